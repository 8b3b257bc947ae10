#![no_main]
//! The native importer, then the rendering of every text it read (see ai102::fuzz).

use ai102::bank::import::Format;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static BLUEPRINT: OnceLock<ai102::bank::model::Blueprint> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let blueprint = BLUEPRINT.get_or_init(|| {
        ai102::bank::check::shipped_blueprint().expect("the shipped blueprint")
    });
    ai102::fuzz::upload("x.yaml", data, Some(Format::Native), blueprint);
});
