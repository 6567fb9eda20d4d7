//! The boot partition's settings file, which anyone holding the card can write: refused with
//! the key named, or every system file it writes keeps its shape.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    skyspy::fuzz::boot_settings(&String::from_utf8_lossy(data));
});
