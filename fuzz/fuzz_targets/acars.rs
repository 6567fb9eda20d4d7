//! ACARS on arbitrary bytes: as received characters (parity, BCS, repair), as a block's
//! characters (fields, labels, OOOI, positions), through reassembly, and as channel samples
//! through the receiver. None may panic; reassembly and output stay bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dsp::vhf::acars::exercise(data);
});
