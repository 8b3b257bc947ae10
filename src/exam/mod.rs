//! The exam engine's pure parts: blueprint sampling, a form's dry run, an attempt's plan, and reading answers from forms.
pub mod dry_run;
pub mod form_answer;
pub mod plan;
pub mod practice;
pub mod sampling;
pub mod service;
pub mod study;
