//! Pure scoring: a candidate's responses, item points with partial credit, the 1–1000 scaled score and the
//! per-domain breakdown of the score report. No I/O; the rules are written up in docs/scoring.md.

mod item;
mod report;
mod response;
mod scale;

#[cfg(test)]
pub(crate) mod fixtures;

pub use item::{score, ItemScore};
pub use report::{attempt_result, band, breakdown, result, Band, DomainScore, ExamResult};
pub use response::{validate, Response, ResponseError};
pub use scale::{scaled_score, DEFAULT_CUT, PASSING_SCORE};
