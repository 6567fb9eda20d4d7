//! The daemon's config file (TOML, from the card or /etc): refused with a message or loaded,
//! with everything derived from it computed.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    skyspy::fuzz::config(&String::from_utf8_lossy(data));
});
