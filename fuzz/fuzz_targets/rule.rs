//! Fuzz target: any UTF-8 text through the rule parser and checker must not panic, and every
//! error must point inside the text. Run with `cargo +nightly fuzz run rule` from `fuzz/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_core::rules::{check_condition, schema::Schema};

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        if let Err(e) = check_condition(src, &Schema::default()) {
            assert!(e.span.end <= src.len() && src.is_char_boundary(e.span.start) && src.is_char_boundary(e.span.end));
            let _ = e.render(src);
        }
    }
});
