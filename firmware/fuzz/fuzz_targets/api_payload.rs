//! A Socket.IO event's payload through every namespace's parsers, against a live core with
//! no source: typed answers only, nothing changed by an anonymous client, nothing hangs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static API: OnceLock<skyspy::fuzz::Api> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    API.get_or_init(skyspy::fuzz::Api::new).payload(data);
});
