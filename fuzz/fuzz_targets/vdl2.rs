//! VDL Mode 2 on arbitrary bytes: as a burst's bits (header FEC, de-interleaving,
//! Reed–Solomon with erasures, deframing), as AVLC frames (addresses, control, ACARS over
//! AVLC, XID parameters), and as channel samples through the receiver. None may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dsp::vhf::vdl2::exercise(data);
});
