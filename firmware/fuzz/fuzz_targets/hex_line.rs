//! A line of `skyspy hex` input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    skyspy::fuzz::hex_line(&String::from_utf8_lossy(data));
});
