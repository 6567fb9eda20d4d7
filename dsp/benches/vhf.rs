//! The VHF channelizer's cost per input sample as channels go 1 → 6 → 30, one ACARS channel's
//! receiver on a busy channel, one VDL2 channel's, and voice bands of 1, 8 and 30 channels.
//! `Throughput` is wideband samples.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dsp::gen::acars::TestSet;
use dsp::vhf::acars::{self, AcarsReceiver};
use dsp::vhf::{ChannelSpec, Channelizer};
use num_complex::Complex32;

const RATE: f64 = 2_500_000.0;

/// What an ACARS channel comes out of the channelizer at.
fn acars_rate() -> f64 {
    RATE / acars::channel(0.0, RATE).decimation as f64
}

fn spec(offset_hz: f64) -> ChannelSpec {
    acars::channel(offset_hz, RATE)
}

fn channelizer(c: &mut Criterion) {
    let set = TestSet {
        rate: RATE,
        bursts: Vec::new(),
    };
    let x = set.render(0.4, -30.0, 1);
    let mut g = c.benchmark_group("channelizer");
    g.throughput(Throughput::Elements(x.len() as u64));
    for n in [1usize, 6, 30] {
        let specs: Vec<ChannelSpec> = (0..n)
            .map(|i| spec(-1_150_000.0 + i as f64 * 2_300_000.0 / n.max(2) as f64 + 7_000.0))
            .collect();
        let mut ch = Channelizer::new(RATE, &specs).unwrap();
        let mut out = vec![Vec::new(); n];
        g.bench_function(format!("{n}_channels"), |b| {
            b.iter(|| {
                ch.push(&x, &mut out);
                for o in &mut out {
                    o.clear();
                }
            })
        });
    }
    g.finish();
}

fn receiver(c: &mut Criterion) {
    // One channel, busy: a burst every 0.3 s.
    let offsets = [0.0f64];
    let set = TestSet::new(RATE, &offsets, 6, 2.0, (10.0, 20.0), 3);
    let x = set.render(2.0, -30.0, 3);
    let mut ch = Channelizer::new(RATE, &[spec(0.0)]).unwrap();
    let mut out = vec![Vec::new()];
    ch.push(&x, &mut out);
    let samples: Vec<Complex32> = std::mem::take(&mut out[0]);
    let mut g = c.benchmark_group("acars");
    g.throughput(Throughput::Elements(x.len() as u64));
    g.bench_function("receiver_busy_channel", |b| {
        b.iter(|| {
            let mut rx = AcarsReceiver::new(acars_rate());
            let mut d = Vec::new();
            rx.push(&samples, &mut d);
            rx.finish(&mut d);
            d.len()
        })
    });
    g.finish();
}

fn vdl2_receiver(c: &mut Criterion) {
    // One VDL2 channel of a 2.1 MS/s stream, busy: 20 bursts in 2 s, 12–30 dB.
    use dsp::gen::vdl2::Vdl2TestSet;
    use dsp::vhf::vdl2::{self, Vdl2Receiver};
    let rate = 2_100_000.0;
    let set = Vdl2TestSet::new(rate, &[100e3], 20, 2.0, (12.0, 30.0), 3);
    let mut x = vec![Complex32::new(0.0, 0.0); (2.0 * rate) as usize];
    set.render_into(0, &mut x, -30.0, 3);
    let spec = vdl2::channel(100e3, rate).unwrap();
    let mut ch = Channelizer::new(rate, &[spec]).unwrap();
    let mut out = vec![Vec::new()];
    ch.push(&x, &mut out);
    let samples: Vec<Complex32> = std::mem::take(&mut out[0]);
    let mut g = c.benchmark_group("vdl2");
    g.throughput(Throughput::Elements(x.len() as u64));
    g.bench_function("receiver_busy_channel", |b| {
        b.iter(|| {
            let mut rx = Vdl2Receiver::new();
            let mut d = Vec::new();
            rx.push(&samples, &mut d);
            rx.finish(&mut d);
            d.len()
        })
    });
    g.finish();
}

/// Voice: the channelizer and an AM receiver per channel, 1 → 8 → 30 8.33 kHz channels of a
/// 2.4 MS/s stream, each busy about half the time (speech-like audio at 10–25 dB): the whole
/// band's cost per wideband sample, from which the cost of one more channel follows.
fn voice(c: &mut Criterion) {
    use dsp::gen::am::{babble, VoiceChannel, VoiceTestSet};
    use dsp::vhf::am::{self, AmReceiver, SquelchMode};
    use std::sync::Arc;
    let rate = 2_400_000.0;
    let seconds = 3.0;
    let phrases: Vec<Arc<Vec<f32>>> = (0..4).map(|i| Arc::new(babble(0.8, i))).collect();
    let mut g = c.benchmark_group("voice");
    g.sample_size(10);
    for n in [1usize, 8, 30] {
        let channels: Vec<VoiceChannel> = (0..n)
            .map(|i| VoiceChannel {
                offset_hz: -1_000_000.0 + i as f64 * 2_000_000.0 / n.max(2) as f64 + 8_333.0,
                width_hz: am::NARROW_HZ,
            })
            .collect();
        let set = VoiceTestSet::new(rate, &channels, &phrases, 2 * n, seconds, (10.0, 25.0), 5);
        let noise = dsp::gen::acars::TestSet {
            rate,
            bursts: Vec::new(),
        };
        let mut x = noise.render(seconds, -30.0, 5);
        set.add_into(0, &mut x, 1e-3);
        let specs: Vec<ChannelSpec> = channels
            .iter()
            .map(|ch| am::channel(ch.offset_hz, rate, ch.width_hz))
            .collect();
        g.throughput(Throughput::Elements(x.len() as u64));
        g.bench_function(format!("{n}_channels"), |b| {
            b.iter(|| {
                let mut chz = Channelizer::new(rate, &specs).unwrap();
                let mut rx: Vec<AmReceiver> = (0..n)
                    .map(|i| {
                        AmReceiver::new(
                            chz.output_rate(i),
                            1_000.0,
                            am::pass_hz(am::NARROW_HZ),
                            SquelchMode::Auto,
                        )
                    })
                    .collect();
                let mut out = vec![Vec::new(); n];
                let mut found = Vec::new();
                for piece in x.chunks(131_072) {
                    chz.push(piece, &mut out);
                    for (r, o) in rx.iter_mut().zip(&mut out) {
                        r.push(o, &mut found);
                        o.clear();
                    }
                }
                found.len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, channelizer, receiver, vdl2_receiver, voice);
criterion_main!(benches);
