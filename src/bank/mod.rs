//! The question bank: the pack model, the YAML loader, the checker (`bank check`), statistics and the JSON Schema.
//!
//! Everything here is pure except [`check::check_path`], which reads the pack's files.

pub mod check;
pub mod commands;
pub mod currency;
pub mod exam;
pub mod export;
pub mod import;
pub mod lexicon;
pub mod model;
pub mod review;
pub mod root;
pub mod schema;
pub mod stats;
pub mod upload;
pub mod yaml;
pub mod yaml_out;

pub use check::{check_path, check_sources, load_blueprint, CheckReport, Problem};
