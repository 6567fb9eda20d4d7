//! Developer probe: ACARS recovery by SNR on a generated six-channel set (the sensitivity
//! measurement's method), rendered a second at a time.
//!
//!   cargo run --release -p dsp --example acars_probe -- LO HI BURSTS SECONDS
use dsp::gen::acars::TestSet;
use dsp::vhf::acars::{self, AcarsReceiver};
use dsp::vhf::{ChannelSpec, Channelizer};
use num_complex::Complex32;

fn main() {
    let rate = 2_500_000.0;
    let centre = 130_344_500.0;
    let offs: Vec<f64> = [129.125, 130.025, 130.425, 130.450, 131.125, 131.550]
        .iter()
        .map(|f| f * 1e6 - centre)
        .collect();
    let args: Vec<String> = std::env::args().collect();
    let lo: f64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(-4.0);
    let hi: f64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(34.0);
    let n: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(300);
    let secs: f64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(60.0);
    let set = TestSet::new(rate, &offs, n, secs, (lo, hi), 11);
    let specs: Vec<ChannelSpec> = offs
        .iter()
        .map(|&o| ChannelSpec {
            offset_hz: o,
            decimation: 100,
            pass_hz: acars::PASS_HZ,
            stop_hz: acars::STOP_HZ,
        })
        .collect();
    let mut ch = Channelizer::new(rate, &specs).unwrap();
    let mut rx: Vec<AcarsReceiver> = specs.iter().map(|_| AcarsReceiver::new(25_000.0)).collect();
    let mut outs = vec![Vec::new(); specs.len()];
    let mut got: Vec<Vec<Vec<u8>>> = vec![Vec::new(); specs.len()];
    let step = rate as usize;
    let mut buf = vec![Complex32::new(0.0, 0.0); step];
    let t = std::time::Instant::now();
    let only: Option<usize> = std::env::var("ONLY_S").ok().and_then(|v| v.parse().ok());
    for s in 0..secs as usize {
        if only.is_some_and(|o| s + 1 < o || s > o + 1) {
            continue;
        }
        set.render_into((s * step) as u64, &mut buf, -30.0, 11);
        ch.push(&buf, &mut outs);
        for c in 0..specs.len() {
            let mut d = Vec::new();
            rx[c].push(&outs[c], &mut d);
            outs[c].clear();
            got[c].extend(d.into_iter().map(|d| d.block.chars));
        }
    }
    for c in 0..specs.len() {
        let mut d = Vec::new();
        rx[c].finish(&mut d);
        got[c].extend(d.into_iter().map(|d| d.block.chars));
    }
    let mut bins = std::collections::BTreeMap::<i64, (u32, u32)>::new();
    let mut invented = 0;
    for (c, o) in offs.iter().enumerate() {
        for g in &got[c] {
            if !set.bursts.iter().any(|b| {
                b.channel_hz == *o
                    && b.fields
                        .covered()
                        .iter()
                        .map(|x| x & 0x7f)
                        .collect::<Vec<_>>()
                        == *g
            }) {
                invented += 1;
            }
        }
    }
    if let Some(o) = only {
        for b in set
            .bursts
            .iter()
            .filter(|b| (b.start_s - o as f64).abs() < 2.0)
        {
            let c = offs.iter().position(|x| *x == b.channel_hz).unwrap();
            println!(
                "truth ch{c} {:.3}..{:.3} snr {:.1}",
                b.start_s,
                b.start_s + b.duration_s(),
                b.snr_db
            );
        }
    }
    for b in &set.bursts {
        let c = offs.iter().position(|o| *o == b.channel_hz).unwrap();
        let overl = set.bursts.iter().any(|o| {
            !std::ptr::eq(o, b)
                && o.channel_hz == b.channel_hz
                && o.start_s < b.start_s + b.duration_s()
                && b.start_s < o.start_s + o.duration_s()
        });
        if overl {
            continue;
        }
        let want: Vec<u8> = b.fields.covered().iter().map(|x| x & 0x7f).collect();
        let e = bins.entry(b.snr_db.floor() as i64).or_default();
        e.1 += 1;
        if got[c].contains(&want) {
            e.0 += 1;
        } else if b.snr_db > 5.0 {
            println!(
                "missed ch{c} t={:.3} snr={:.1} pre={} off={:.0} m={:.2} ppm={:.0} len={}",
                b.start_s,
                b.snr_db,
                b.prekey_bits,
                b.carrier_offset_hz,
                b.modulation,
                b.clock_ppm,
                want.len()
            );
        }
    }
    for (k, (f, n)) in &bins {
        println!(
            "{k:>4} dB: {f}/{n} = {:.0} %",
            100.0 * *f as f64 / *n as f64
        );
    }
    let total: u32 = bins.values().map(|v| v.0).sum();
    println!(
        "decoded {total}, invented {invented}, stats {:?}, {:.1} s",
        rx.iter().map(|r| r.stats).collect::<Vec<_>>(),
        t.elapsed().as_secs_f64()
    );
}
