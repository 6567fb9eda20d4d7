//! The VHF channelizer and the ACARS receive chain against the project's own ACARS
//! generator (ARINC 618 framing, FFSK, AM; `dsp::gen::acars`) and a direct mixer + FIR
//! written plainly here.

use dsp::gen::acars::{AcarsBurst, MessageMaker, TestSet};
use dsp::vhf::acars::{self, message, AcarsReceiver};
use dsp::vhf::fir::LowPass;
use dsp::vhf::{ChannelSpec, Channelizer};
use num_complex::Complex32;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::f64::consts::TAU;

const RATE: f64 = 2_500_000.0;

/// What an ACARS channel comes out of the channelizer at.
fn acars_rate() -> f64 {
    RATE / acars::channel(0.0, RATE).decimation as f64
}
/// The six US ACARS channels, offsets from a 130.3375 MHz centre shifted 7 kHz off the
/// middle (so the outer pair are not each other's image).
const CENTRE_HZ: f64 = 130_344_500.0;
const US_ACARS_MHZ: [f64; 6] = [129.125, 130.025, 130.425, 130.450, 131.125, 131.550];

fn offsets() -> Vec<f64> {
    US_ACARS_MHZ.iter().map(|f| f * 1e6 - CENTRE_HZ).collect()
}

fn acars_spec(offset_hz: f64) -> ChannelSpec {
    acars::channel(offset_hz, RATE)
}

fn noise(n: usize, seed: u64) -> Vec<Complex32> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..n)
        .map(|_| Complex32::new(rng.random_range(-0.5..0.5), rng.random_range(-0.5..0.5)))
        .collect()
}

/// The reference: mix the channel to baseband, convolve with the same taps, keep every d-th.
fn reference(x: &[Complex32], spec: &ChannelSpec, taps: &[f32], count: usize) -> Vec<Complex32> {
    let d = spec.decimation;
    (0..count)
        .map(|r| {
            let n = r * d;
            let mut acc = Complex32::new(0.0, 0.0);
            for (k, &h) in taps.iter().enumerate() {
                if k > n {
                    break;
                }
                let i = n - k;
                let ph = -TAU * spec.offset_hz * i as f64 / RATE;
                let (s, c) = ph.sin_cos();
                acc += x[i] * Complex32::new(c as f32, s as f32) * h;
            }
            acc
        })
        .collect()
}

#[test]
fn channels_match_a_plain_mixer_and_fir() {
    // Centres on the transform's bin grid (the remainder mixing is tested below).
    let x = noise(200_000, 1);
    let mut specs = Vec::new();
    let probe = Channelizer::new(RATE, &[acars_spec(0.0)]).unwrap();
    let (n, _) = probe.plan();
    let bin = RATE / n as f64;
    for k in [-900.0, -37.0, 0.0, 211.0, 950.0] {
        specs.push(acars_spec(k * bin));
    }
    let mut ch = Channelizer::new(RATE, &specs).unwrap();
    let mut out = vec![Vec::new(); specs.len()];
    ch.push(&x, &mut out);
    for (c, spec) in specs.iter().enumerate() {
        let taps = LowPass {
            rate_hz: RATE,
            pass_hz: spec.pass_hz,
            stop_hz: spec.stop_hz,
            atten_db: dsp::vhf::channelizer::ATTEN_DB,
        }
        .design();
        let count = out[c].len().min(400);
        let want = reference(&x, spec, &taps, count);
        let power: f32 = want.iter().map(|v| v.norm_sqr()).sum::<f32>() / count as f32;
        let err: f32 = want
            .iter()
            .zip(&out[c])
            .map(|(a, b)| (a - b).norm_sqr())
            .sum::<f32>()
            / count as f32;
        let db = 10.0 * (err / power).log10();
        assert!(db < -55.0, "channel {c}: error {db:.1} dB below the signal");
    }
}

#[test]
fn off_grid_centres_are_mixed_exactly_to_zero() {
    // A tone 1 kHz above an off-grid centre comes out at +1 kHz, with continuous phase.
    let offset = 212_345.6;
    let spec = acars_spec(offset);
    let mut ch = Channelizer::new(RATE, &[spec]).unwrap();
    let f = offset + 1000.0;
    let x: Vec<Complex32> = (0..250_000)
        .map(|i| {
            let (s, c) = (TAU * f * i as f64 / RATE).sin_cos();
            Complex32::new(0.5 * c as f32, 0.5 * s as f32)
        })
        .collect();
    let mut out = vec![Vec::new()];
    ch.push(&x, &mut out);
    let y = &out[0][200..];
    let step = TAU * 1000.0 / ch.output_rate(0);
    for w in y.windows(2) {
        let d = (w[1] * w[0].conj()).arg() as f64;
        assert!((d - step).abs() < 1e-3, "{d} vs {step}");
        assert!((w[0].norm() - 0.5).abs() < 0.01);
    }
}

#[test]
fn output_does_not_depend_on_how_the_stream_is_cut() {
    let x = noise(300_000, 2);
    let specs: Vec<ChannelSpec> = offsets().into_iter().map(acars_spec).collect();
    let mut whole = Channelizer::new(RATE, &specs).unwrap();
    let mut a = vec![Vec::new(); specs.len()];
    whole.push(&x, &mut a);
    let mut cut = Channelizer::new(RATE, &specs).unwrap();
    let mut b = vec![Vec::new(); specs.len()];
    let mut rng = SmallRng::seed_from_u64(3);
    let mut rest = &x[..];
    while !rest.is_empty() {
        let k = rng.random_range(1..20_000).min(rest.len());
        cut.push(&rest[..k], &mut b);
        rest = &rest[k..];
    }
    assert_eq!(a, b);
}

#[test]
fn adjacent_channels_stay_apart() {
    // A strong carrier with full AM on 130.450 MHz; what reaches the 130.425 MHz channel?
    let strong = 130.450e6 - CENTRE_HZ;
    let weak = 130.425e6 - CENTRE_HZ;
    let specs = [acars_spec(strong), acars_spec(weak)];
    let mut ch = Channelizer::new(RATE, &specs).unwrap();
    let x: Vec<Complex32> = (0..500_000)
        .map(|i| {
            let t = i as f64 / RATE;
            let a = 0.5 * (1.0 + 0.9 * (TAU * 2400.0 * t).sin());
            let (s, c) = (TAU * strong * t).sin_cos();
            Complex32::new((a * c) as f32, (a * s) as f32)
        })
        .collect();
    let mut out = vec![Vec::new(); 2];
    ch.push(&x, &mut out);
    let p = |v: &[Complex32]| {
        v[100..].iter().map(|z| z.norm_sqr()).sum::<f32>() / (v.len() - 100) as f32
    };
    let rejection = 10.0 * (p(&out[0]) / p(&out[1])).log10();
    println!("adjacent-channel rejection (25 kHz): {rejection:.1} dB");
    assert!(rejection > 60.0, "{rejection:.1} dB");
}

/// Runs a cu8-free complex stream through the channelizer and one ACARS receiver per
/// channel; returns (channel index, decoded block) in time order.
fn receive(x: &[Complex32], channel_offsets: &[f64]) -> Vec<(usize, acars::Decoded)> {
    let specs: Vec<ChannelSpec> = channel_offsets.iter().copied().map(acars_spec).collect();
    let mut ch = Channelizer::new(RATE, &specs).unwrap();
    let mut rx: Vec<AcarsReceiver> = specs
        .iter()
        .map(|_| AcarsReceiver::new(acars_rate()))
        .collect();
    let mut out = vec![Vec::new(); specs.len()];
    let mut got = Vec::new();
    for chunk in x.chunks(125_000) {
        ch.push(chunk, &mut out);
        for (c, samples) in out.iter_mut().enumerate() {
            let mut d = Vec::new();
            rx[c].push(samples, &mut d);
            samples.clear();
            got.extend(d.into_iter().map(|d| (c, d)));
        }
    }
    for (c, r) in rx.iter_mut().enumerate() {
        let mut d = Vec::new();
        r.finish(&mut d);
        got.extend(d.into_iter().map(|d| (c, d)));
    }
    got
}

/// The truth a burst carries, as the receiver should print it.
fn covered7(b: &AcarsBurst) -> Vec<u8> {
    b.fields.covered().iter().map(|c| c & 0x7f).collect()
}

#[test]
fn clean_blocks_on_six_channels_are_all_decoded_exactly() {
    let set = TestSet::new(RATE, &offsets(), 24, 12.0, (20.0, 30.0), 11);
    let x = set.render(12.0, -30.0, 11);
    let got = receive(&x, &offsets());
    let mut found = 0;
    for b in &set.bursts {
        let c = offsets().iter().position(|o| *o == b.channel_hz).unwrap();
        let want = covered7(b);
        if got.iter().any(|(gc, d)| *gc == c && d.block.chars == want) {
            found += 1;
        }
    }
    // Bursts that overlapped on one channel may collide; everything else is decoded.
    let overlapping = set
        .bursts
        .iter()
        .filter(|a| {
            set.bursts.iter().any(|b| {
                !std::ptr::eq(*a, b)
                    && a.channel_hz == b.channel_hz
                    && a.start_s < b.start_s + b.duration_s()
                    && b.start_s < a.start_s + a.duration_s()
            })
        })
        .count();
    println!(
        "{found} of {} (overlapping: {overlapping})",
        set.bursts.len()
    );
    assert!(found + overlapping >= set.bursts.len(), "{found} found");
    // Nothing that was not sent.
    for (c, d) in &got {
        assert!(
            set.bursts
                .iter()
                .any(|b| covered7(b) == d.block.chars && offsets()[*c] == b.channel_hz),
            "invented on channel {c}: {:?}",
            String::from_utf8_lossy(&d.block.chars)
        );
    }
    // The fields read back.
    let (_, d) = &got[0];
    let m = message::parse(&d.block);
    assert!(!m.registration.is_empty());
}

#[test]
fn a_strong_burst_does_not_decode_on_its_neighbour() {
    let mut maker = MessageMaker::new(5);
    let burst = AcarsBurst {
        fields: maker.block("N123AB", "UA0001", (37.6, -122.4)),
        channel_hz: 130.450e6 - CENTRE_HZ,
        start_s: 0.1,
        snr_db: 60.0,
        carrier_offset_hz: 300.0,
        modulation: 0.9,
        clock_ppm: 0.0,
        prekey_bits: 128,
    };
    let set = TestSet {
        rate: RATE,
        bursts: vec![burst],
    };
    let x = set.render(1.5, -40.0, 5);
    let got = receive(&x, &[130.450e6 - CENTRE_HZ, 130.425e6 - CENTRE_HZ]);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, 0);
}

#[test]
fn noise_alone_decodes_nothing() {
    // 20 s of noise on six channels, at two noise levels.
    for (seed, dbfs) in [(21, -30.0), (22, -15.0)] {
        let set = TestSet {
            rate: RATE,
            bursts: Vec::new(),
        };
        let x = set.render(10.0, dbfs, seed);
        let got = receive(&x, &offsets());
        assert!(got.is_empty(), "{got:?}");
    }
}

/// Recovered fraction by SNR on a generated six-channel set, rendered a second at a time.
/// Bursts that collide on their channel are left out; every decoded block must be one that
/// was sent, character for character.
#[test]
fn sensitivity_on_six_channels() {
    let seconds = 30;
    let set = TestSet::new(RATE, &offsets(), 200, f64::from(seconds), (-3.0, 9.0), 17);
    let specs: Vec<ChannelSpec> = offsets().into_iter().map(acars_spec).collect();
    let mut ch = Channelizer::new(RATE, &specs).unwrap();
    let mut rx: Vec<AcarsReceiver> = specs
        .iter()
        .map(|_| AcarsReceiver::new(acars_rate()))
        .collect();
    let mut out = vec![Vec::new(); specs.len()];
    let mut got: Vec<Vec<Vec<u8>>> = vec![Vec::new(); specs.len()];
    let mut buf = vec![Complex32::new(0.0, 0.0); RATE as usize];
    for s in 0..seconds {
        set.render_into(u64::from(s as u32) * RATE as u64, &mut buf, -30.0, 17);
        ch.push(&buf, &mut out);
        for c in 0..specs.len() {
            let mut d = Vec::new();
            rx[c].push(&out[c], &mut d);
            out[c].clear();
            got[c].extend(d.into_iter().map(|d| d.block.chars));
        }
    }
    for c in 0..specs.len() {
        let mut d = Vec::new();
        rx[c].finish(&mut d);
        got[c].extend(d.into_iter().map(|d| d.block.chars));
    }
    let offs = offsets();
    for (c, blocks) in got.iter().enumerate() {
        for g in blocks {
            assert!(
                set.bursts
                    .iter()
                    .any(|b| b.channel_hz == offs[c] && covered7(b) == *g),
                "invented or damaged on channel {c}: {:?}",
                String::from_utf8_lossy(g)
            );
        }
    }
    let mut bins = std::collections::BTreeMap::<i64, (u32, u32)>::new();
    for b in &set.bursts {
        let collides = set.bursts.iter().any(|o| {
            !std::ptr::eq(o, b)
                && o.channel_hz == b.channel_hz
                && o.start_s < b.start_s + b.duration_s()
                && b.start_s < o.start_s + o.duration_s()
        });
        if collides {
            continue;
        }
        let c = offs.iter().position(|o| *o == b.channel_hz).unwrap();
        let e = bins.entry(b.snr_db.floor() as i64).or_default();
        e.1 += 1;
        e.0 += u32::from(got[c].contains(&covered7(b)));
    }
    let report: Vec<String> = bins
        .iter()
        .map(|(k, (f, n))| format!("{k}: {f}/{n}"))
        .collect();
    println!("recovered by SNR (dB: found/sent): {}", report.join(", "));
    let rate = |lo: i64, hi: i64| {
        let (f, n) = bins
            .range(lo..=hi)
            .fold((0, 0), |a, (_, (f, n))| (a.0 + f, a.1 + n));
        f as f64 / n.max(1) as f64
    };
    assert!(rate(4, 9) == 1.0, "every block above 4 dB");
    assert!(rate(1, 2) >= 0.6, "1–2 dB: {:.2}", rate(1, 2));
}
