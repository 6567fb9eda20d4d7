//! The alert rules file as found on the card: refused with a reason, or read and written
//! back as the same rules, each of which evaluates.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    skyspy::fuzz::rules_file(&String::from_utf8_lossy(data));
});
