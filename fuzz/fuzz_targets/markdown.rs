#![no_main]
//! The Markdown renderer and sanitiser: never a panic, never HTML that can run script.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ai102::fuzz::render(&String::from_utf8_lossy(data));
});
