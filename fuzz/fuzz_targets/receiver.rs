//! Any bytes as IQ in every format and rate: the whole receive chain must never panic.
#![no_main]
use dsp::decode::decode;
use dsp::{IqFormat, Receiver, RepairConfig, SampleRate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for format in [IqFormat::Cu8, IqFormat::Cs16, IqFormat::Cf32] {
        for rate in [SampleRate::Msps2_4, SampleRate::Msps2_0] {
            let mut rx = Receiver::new(format, rate, RepairConfig::default());
            let mut out = Vec::new();
            let split = data.len() / 3;
            rx.push(&data[..split], &mut out);
            rx.push(&data[split..], &mut out);
            rx.finish(&mut out);
            for f in &out {
                let _ = decode(f);
            }
        }
    }
});
