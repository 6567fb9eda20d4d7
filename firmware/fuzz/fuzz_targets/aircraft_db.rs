//! An aircraft database file (plane-alert-db or tar1090-db lines): bad lines are counted,
//! never fatal, and the index holds what it says.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    skyspy::fuzz::aircraft_db(data);
});
