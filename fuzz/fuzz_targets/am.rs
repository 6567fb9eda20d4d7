//! Airband voice on arbitrary bytes: as a channel label, and as channel samples (floats with
//! NaN and infinities, and signed bytes) through the AM receiver in every squelch mode. None
//! may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dsp::vhf::am::exercise(data);
});
