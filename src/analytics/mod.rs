//! Pure statistics for the analytics pages: classical item analysis (`item_stats`), dashboard aggregation
//! (`dashboard`), a candidate's readiness (`readiness`), item analysis from running sums (`rollup`) and synthetic demo data (`synth`). No I/O: the
//! storage layer loads the rows and passes them in.

#![warn(missing_docs)]

pub mod booking;
pub mod dashboard;
pub mod deck;
pub mod gradebook;
pub mod item_stats;
mod math;
pub mod readiness;
pub mod rollup;
pub mod study_plan;
pub mod synth;
