//! Sensitivity on generated traffic with exact ground truth (the project's signal generator:
//! PPM with rise time, carrier offset and phase, receiver filter, noise, 8-bit quantisation).
//!
//! A reply counts as recovered when a frame with its exact bits is decoded within three
//! samples of its start. Replies that overlap another are left out of the curve (they are
//! counted separately), and so are the first two seconds, while the receiver has not yet
//! heard the clean squitters that address/parity replies and repairs are checked against.

use crate::common::decode_all;
use dsp::cpr::{decode_global, CprFrame, CprKind, Position};
use dsp::decode::decode;
use dsp::gen::{distance_km, generate, TrafficConfig, Transmission};
use dsp::{Frame, IqFormat, SampleRate};
use std::collections::{HashMap, HashSet};

struct Run {
    sent: Vec<Transmission>,
    frames: Vec<Frame>,
    warmup: f64,
}

fn run(rate: SampleRate, seconds: f64, seed: u64) -> Run {
    let mut cfg = TrafficConfig::new(
        rate,
        Position {
            lat: 52.3,
            lon: 4.76,
        },
        200,
        seed,
    );
    cfg.snr_db = (4.0, 24.0);
    let (iq, sent) = generate(cfg, seconds);
    let frames = decode_all(&iq, IqFormat::Cu8, rate, 1 << 18);
    Run {
        sent,
        frames,
        warmup: 2.0 * rate.hz() as f64,
    }
}

/// Recovered fraction per 1 dB SNR bin (index = floor of SNR), for non-overlapping replies.
fn curve(r: &Run) -> Vec<(u32, u32)> {
    let mut at: HashMap<&[u8], Vec<f64>> = HashMap::new();
    for f in &r.frames {
        at.entry(f.data()).or_default().push(f.sample);
    }
    let mut bins = vec![(0u32, 0u32); 40];
    for s in r.sent.iter().filter(|s| !s.overlaps && s.start > r.warmup) {
        let ok = at
            .get(s.reply.data())
            .is_some_and(|v| v.iter().any(|&x| (x - s.start).abs() < 3.0));
        let b = &mut bins[(s.snr_db.floor() as usize).min(39)];
        b.0 += 1;
        b.1 += u32::from(ok);
    }
    bins
}

fn fraction(b: (u32, u32)) -> f64 {
    f64::from(b.1) / f64::from(b.0.max(1))
}

/// SNR at which the curve first reaches 50 %, interpolated between bin centres.
fn half_point(bins: &[(u32, u32)]) -> f64 {
    for i in 1..bins.len() {
        let (a, b) = (fraction(bins[i - 1]), fraction(bins[i]));
        if bins[i].0 > 0 && b >= 0.5 && a < 0.5 {
            return (i - 1) as f64 + 0.5 + (0.5 - a) / (b - a);
        }
    }
    f64::INFINITY
}

fn invented(r: &Run) -> Vec<String> {
    let sent: HashSet<&[u8]> = r.sent.iter().map(|s| s.reply.data()).collect();
    r.frames
        .iter()
        .filter(|f| !sent.contains(f.data()))
        .map(Frame::hex)
        .collect()
}

fn report(name: &str, r: &Run, bins: &[(u32, u32)]) {
    let line: Vec<String> = bins
        .iter()
        .enumerate()
        .filter(|(_, b)| b.0 > 0)
        .map(|(i, b)| format!("{i}:{:.1}", 100.0 * fraction(*b)))
        .collect();
    let overlapping = r.sent.iter().filter(|s| s.overlaps).count();
    eprintln!(
        "{name}: sent {} ({overlapping} overlapping), decoded {}, 50 % at {:.2} dB\n  recovered % by SNR dB: {}",
        r.sent.len(),
        r.frames.len(),
        half_point(bins),
        line.join(" ")
    );
}

#[test]
fn recovery_by_snr_at_2_4_msps() {
    let r = run(SampleRate::Msps2_4, 12.0, 7);
    let bins = curve(&r);
    report("2.4 MS/s", &r, &bins);
    let half = half_point(&bins);
    assert!(half <= 11.0, "50 % recovery at {half:.2} dB (target ≤ 11)");
    for (snr, b) in bins.iter().enumerate().filter(|(s, b)| *s >= 15 && b.0 > 0) {
        assert!(
            fraction(*b) >= 0.97,
            "{snr} dB: {:.1} %",
            100.0 * fraction(*b)
        );
    }
    let above: (u32, u32) = bins[15..]
        .iter()
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert!(
        fraction(above) >= 0.985,
        "above 15 dB: {:.2} %",
        100.0 * fraction(above)
    );
    assert_eq!(
        invented(&r),
        Vec::<String>::new(),
        "decoded replies that were never sent"
    );
}

#[test]
fn recovery_by_snr_at_2_0_msps() {
    let r = run(SampleRate::Msps2_0, 12.0, 7);
    let bins = curve(&r);
    report("2.0 MS/s", &r, &bins);
    let half = half_point(&bins);
    assert!(half <= 13.5, "50 % recovery at {half:.2} dB");
    let above: (u32, u32) = bins[18..]
        .iter()
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert!(
        fraction(above) >= 0.93,
        "above 18 dB: {:.2} %",
        100.0 * fraction(above)
    );
    let bad = invented(&r);
    assert!(bad.len() * 2000 <= r.frames.len(), "invented {bad:?}");
}

#[test]
fn decoded_positions_are_within_ten_metres_of_the_truth() {
    let r = run(SampleRate::Msps2_4, 8.0, 11);
    let truth: HashMap<&[u8], Position> = r
        .sent
        .iter()
        .filter_map(|s| Some((s.reply.data(), s.position?)))
        .collect();
    let mut last: HashMap<(u32, bool), CprFrame> = HashMap::new();
    let (mut checked, mut worst) = (0, 0.0f64);
    for f in &r.frames {
        let m = decode(f);
        let (Some(fmt), Some(lat), Some(lon), Some(tc)) =
            (m.cpr_format, m.cpr_lat, m.cpr_lon, m.typecode)
        else {
            continue;
        };
        let odd = fmt == 1;
        let kind = if (5..=8).contains(&tc) {
            CprKind::Surface
        } else {
            CprKind::Airborne
        };
        last.insert((f.address, odd), CprFrame { lat, lon, odd });
        let (Some(&even), Some(&oddf)) =
            (last.get(&(f.address, false)), last.get(&(f.address, true)))
        else {
            continue;
        };
        let reference = Some(Position {
            lat: 52.3,
            lon: 4.76,
        });
        let Some(p) = decode_global(even, oddf, odd, kind, reference) else {
            continue;
        };
        let t = truth[f.data()];
        let d = distance_km(p, t) * 1000.0;
        worst = worst.max(d);
        checked += 1;
        assert!(d <= 10.0, "{}: {d:.1} m from the truth", f.hex());
    }
    eprintln!("{checked} positions, worst {worst:.2} m");
    assert!(checked > 500, "only {checked} positions decoded");
}
