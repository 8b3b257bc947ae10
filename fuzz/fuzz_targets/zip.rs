#![no_main]
//! A .zip upload (pack folder or QTI content package): the archive limits, then the importers inside.

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static BLUEPRINT: OnceLock<ai102::bank::model::Blueprint> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let blueprint = BLUEPRINT.get_or_init(|| {
        ai102::bank::check::shipped_blueprint().expect("the shipped blueprint")
    });
    ai102::fuzz::upload("x.zip", data, None, blueprint);
});
