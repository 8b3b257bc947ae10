//! The exam engine's pure parts: blueprint sampling, an attempt's plan, and reading answers from forms.
pub mod form_answer;
pub mod plan;
pub mod practice;
pub mod sampling;
pub mod service;
