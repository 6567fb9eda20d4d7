//! Developer probe: sensitivity and false decodes on generated traffic, thresholds from env.
//! `SECS=10 AC=200 RATE=2.4 cargo run --release -p dsp --example sweep`
use dsp::cpr::Position;
use dsp::gen::{generate, TrafficConfig};
use dsp::{IqFormat, Receiver, RepairConfig, SampleRate};
use std::collections::HashMap;
fn env<T: std::str::FromStr>(k: &str, d: T) -> T {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}
fn main() {
    let rate = if env("RATE", 2.4f64) == 2.0 {
        SampleRate::Msps2_0
    } else {
        SampleRate::Msps2_4
    };
    let mut cfg = TrafficConfig::new(
        rate,
        Position {
            lat: 52.0,
            lon: 4.0,
        },
        env("AC", 200usize),
        env("SEED", 1u64),
    );
    cfg.snr_db = (env("LO", 4.0), env("HI", 24.0));
    cfg.wide_offset_fraction = env("WIDE", 0.1);
    let (iq, sent) = generate(cfg, env("SECS", 10.0));
    let mut rx = Receiver::new(
        IqFormat::Cu8,
        rate,
        RepairConfig {
            fix_2bit: env("FIX2", 0u8) == 1,
            soft: env("SOFT", 1u8) == 1,
            ..RepairConfig::default()
        },
    );
    let t = &mut rx.demodulator_mut().thresholds;
    t.preamble_ratio_x16 = env("PRE", t.preamble_ratio_x16);
    t.pulse_ratio_x16 = env("PULSE", t.pulse_ratio_x16);
    t.floor_ratio_x16 = env("FLOOR", t.floor_ratio_x16);
    t.quality_ratio_x16 = env("QUAL", t.quality_ratio_x16);
    t.viterbi_ratio_x16 = env("VIT", t.viterbi_ratio_x16);
    t.head_ratio_x16 = env("HEAD", t.head_ratio_x16);
    t.address_parity_ratio_x16 = env("APQ", t.address_parity_ratio_x16);
    t.new_address_ratio_x16 = env("NEWQ", t.new_address_ratio_x16);
    let t0 = std::time::Instant::now();
    let mut out = Vec::new();
    for chunk in iq.chunks(1 << 18) {
        rx.push(chunk, &mut out);
    }
    rx.finish(&mut out);
    let el = t0.elapsed().as_secs_f64();
    let mut by: HashMap<Vec<u8>, Vec<f64>> = HashMap::new();
    for f in &out {
        by.entry(f.data().to_vec()).or_default().push(f.sample);
    }
    let mut bins = [(0u32, 0u32); 40];
    for s in &sent {
        if s.overlaps {
            continue;
        }
        let ok = by
            .get(s.reply.data())
            .is_some_and(|v| v.iter().any(|&x| (x - s.start).abs() < 3.0));
        let b = (s.snr_db.floor() as usize).min(39);
        bins[b].0 += 1;
        bins[b].1 += u32::from(ok);
        if !ok && s.snr_db > env("DBG", 99.0) {
            let h: String = s.reply.data().iter().map(|b| format!("{b:02x}")).collect();
            println!("miss {h} {:.1} {:.1}", s.start, s.snr_db);
        }
    }
    let sent_set: std::collections::HashSet<&[u8]> = sent.iter().map(|s| s.reply.data()).collect();
    let invented = out.iter().filter(|f| !sent_set.contains(f.data())).count();
    let repaired = out.iter().filter(|f| f.corrected_bits > 0).count();
    let overl = sent.iter().filter(|s| s.overlaps).count();
    if env("DBG", 99.0) < 99.0 {
        for f in &out {
            if !sent_set.contains(f.data()) {
                println!(
                    "invented {} {:.1} {} {} {:.1}",
                    f.hex(),
                    f.sample,
                    f.corrected_bits,
                    f.address_recovered,
                    f.signal_dbfs
                );
                for s in sent
                    .iter()
                    .filter(|s| (s.start - f.sample).abs() < 400.0 || s.icao == f.address)
                    .filter(|s| (s.start - f.sample).abs() < 50000.0)
                {
                    let h: String = s.reply.data().iter().map(|b| format!("{b:02x}")).collect();
                    println!(
                        "   near {h} {:.1} snr {:.1} ovl {}",
                        s.start, s.snr_db, s.overlaps
                    );
                }
            }
        }
    }
    println!(
        "sent {} (overlap {}) decoded {} repaired {} invented {} cpu/iq-s {:.4}",
        sent.len(),
        overl,
        out.len(),
        repaired,
        invented,
        el / env("SECS", 10.0)
    );
    for (i, (n, k)) in bins.iter().enumerate() {
        if *n > 0 {
            print!("{i}:{:.0} ", 100.0 * *k as f64 / *n as f64);
        }
    }
    println!();
}
