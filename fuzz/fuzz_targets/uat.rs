//! UAT parsers on arbitrary bytes: frame correction, downlink decoding, uplink header,
//! information frames, APDU headers, every product decoder and segment reassembly, and the
//! demodulator on the same bytes as cu8 IQ. None may panic; reassembly must stay bounded.
#![no_main]

use dsp::uat::decode::decode_downlink;
use dsp::uat::demod::UatDemodulator;
use dsp::uat::frame::{correct_downlink, correct_uplink};
use dsp::uat::uplink::{decode_apdu, decode_product, decode_uplink, Reassembler};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = correct_downlink(data);
    let _ = correct_uplink(data);
    let _ = decode_downlink(data);
    let mut reasm = Reassembler::default();
    if let Some(up) = decode_uplink(data) {
        for f in &up.frames {
            if let Some(apdu) = decode_apdu(&f.data) {
                if let Some(whole) = reasm.add(&apdu) {
                    let _ = decode_product(apdu.product_id, &whole);
                }
            }
        }
    }
    // The APDU and product decoders straight on the input too (not only inside an uplink).
    if let Some(apdu) = decode_apdu(data) {
        let _ = decode_product(apdu.product_id, &apdu.payload);
        let _ = reasm.add(&apdu);
    }
    for id in [8u16, 11, 13, 14, 413] {
        let _ = decode_product(id, data);
    }
    assert!(reasm.pending() <= Reassembler::MAX_PENDING);
    let mut demod = UatDemodulator::new(dsp::IqFormat::Cu8);
    let mut out = Vec::new();
    demod.push(data, &mut out);
    demod.finish(&mut out);
});
