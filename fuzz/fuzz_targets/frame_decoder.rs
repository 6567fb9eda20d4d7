//! Any bytes as a reply: validation (with repair) and decoding must never panic.
#![no_main]
use dsp::crc::syndrome;
use dsp::decode::decode_bytes;
use dsp::frame::{FrameChecker, RepairConfig};
use dsp::AddressFilter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode_bytes(data, 0x4840d6);
    if let Some(s) = syndrome(data) {
        let _ = decode_bytes(data, s);
    }
    let mut bytes = [0u8; 14];
    let n = data.len().min(14);
    bytes[..n].copy_from_slice(&data[..n]);
    let soft: Vec<u32> = data.iter().skip(14).map(|&b| u32::from(b)).collect();
    let mut filter = AddressFilter::new(64, 1000);
    filter.insert(0x4840d6, 0);
    let checker = FrameChecker::new(RepairConfig { fix_2bit: true, ..RepairConfig::default() });
    let _ = checker.check(&mut bytes, &soft, &filter, 10);
});
