//! Developer probe: decode a cu8 file with thresholds from the environment and print hex.
//! `PRE=36 PULSE=20 FLOOR=24 QUAL=36 cargo run --release -p dsp --example probe FILE [2.0]`
use dsp::{IqFormat, Receiver, RepairConfig, SampleRate};
fn env(k: &str, d: u32) -> u32 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rate = if args.get(2).map(|s| s.as_str()) == Some("2.0") {
        SampleRate::Msps2_0
    } else {
        SampleRate::Msps2_4
    };
    let data = std::fs::read(&args[1]).expect("read");
    let mut rx = Receiver::new(IqFormat::Cu8, rate, RepairConfig::default());
    let t = &mut rx.demodulator_mut().thresholds;
    t.preamble_ratio_x16 = env("PRE", t.preamble_ratio_x16);
    t.pulse_ratio_x16 = env("PULSE", t.pulse_ratio_x16);
    t.floor_ratio_x16 = env("FLOOR", t.floor_ratio_x16);
    t.quality_ratio_x16 = env("QUAL", t.quality_ratio_x16);
    t.address_parity_ratio_x16 = env("APQ", t.address_parity_ratio_x16);
    t.new_address_ratio_x16 = env("NEWQ", t.new_address_ratio_x16);
    let mut out = Vec::new();
    let chunk: usize = env("CHUNK", 1u32 << 30) as usize;
    for c in data.chunks(chunk) {
        rx.push(c, &mut out);
    }
    rx.finish(&mut out);
    for f in out {
        println!(
            "{} {:.1} {} {} {:.1}",
            f.hex(),
            f.sample,
            f.corrected_bits,
            f.address_recovered,
            f.signal_dbfs
        );
    }
}
