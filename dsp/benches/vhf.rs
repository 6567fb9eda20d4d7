//! The VHF channelizer's cost per input sample as channels go 1 → 6 → 30, one ACARS channel's
//! receiver on a busy channel, and one VDL2 channel's. `Throughput` is wideband samples.

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

criterion_group!(benches, channelizer, receiver, vdl2_receiver);
criterion_main!(benches);
