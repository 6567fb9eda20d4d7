//! Throughput of each stage, in IQ samples per second: convert (every kernel and its scalar
//! reference), demodulate (real capture and dense generated traffic at both rates) and decode.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dsp::convert::{
    magnitude_cf32, magnitude_cf32_scalar, magnitude_cs16, magnitude_cs16_scalar, magnitude_cu8,
    magnitude_cu8_scalar, MagnitudeLut,
};
use dsp::cpr::Position;
use dsp::decode::decode;
use dsp::gen::{generate, TrafficConfig};
use dsp::{Frame, IqFormat, Receiver, RepairConfig, SampleRate};
use std::hint::black_box;

fn capture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/testdata/modes")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn traffic(rate: SampleRate, seconds: f64) -> Vec<u8> {
    let mut cfg = TrafficConfig::new(
        rate,
        Position {
            lat: 52.3,
            lon: 4.76,
        },
        200,
        3,
    );
    cfg.snr_db = (4.0, 24.0);
    generate(cfg, seconds).0
}

fn run_receiver(iq: &[u8], rate: SampleRate) -> Vec<Frame> {
    let mut rx = Receiver::new(IqFormat::Cu8, rate, RepairConfig::default());
    let mut out = Vec::with_capacity(4096);
    for chunk in iq.chunks(1 << 18) {
        rx.push(chunk, &mut out);
    }
    rx.finish(&mut out);
    out
}

fn convert(c: &mut Criterion) {
    let n = 1 << 16;
    let cu8: Vec<u8> = (0..2 * n).map(|i| (i * 7 % 251) as u8).collect();
    let cs16: Vec<u8> = (0..4 * n).map(|i| (i * 13 % 255) as u8).collect();
    let cf32: Vec<u8> = (0..2 * n)
        .flat_map(|i| ((i % 200) as f32 / 150.0 - 0.6).to_le_bytes())
        .collect();
    let lut = MagnitudeLut::new();
    let mut out = vec![0u16; n];
    let mut g = c.benchmark_group("convert");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("cu8_lut", |b| {
        b.iter(|| magnitude_cu8(&lut, black_box(&cu8), &mut out))
    });
    g.bench_function("cu8_scalar", |b| {
        b.iter(|| magnitude_cu8_scalar(black_box(&cu8), &mut out))
    });
    g.bench_function("cs16_simd", |b| {
        b.iter(|| magnitude_cs16(black_box(&cs16), &mut out))
    });
    g.bench_function("cs16_scalar", |b| {
        b.iter(|| magnitude_cs16_scalar(black_box(&cs16), &mut out))
    });
    g.bench_function("cf32_simd", |b| {
        b.iter(|| magnitude_cf32(black_box(&cf32), &mut out))
    });
    g.bench_function("cf32_scalar", |b| {
        b.iter(|| magnitude_cf32_scalar(black_box(&cf32), &mut out))
    });
    g.finish();
}

fn demod(c: &mut Criterion) {
    let mut g = c.benchmark_group("receive");
    g.sample_size(20);
    let real = capture("modes1_2400k.cu8");
    g.throughput(Throughput::Elements(real.len() as u64 / 2));
    g.bench_function("capture_modes1_2400k", |b| {
        b.iter(|| run_receiver(black_box(&real), SampleRate::Msps2_4))
    });
    for (rate, name) in [
        (SampleRate::Msps2_4, "traffic200_2.4M"),
        (SampleRate::Msps2_0, "traffic200_2.0M"),
    ] {
        let iq = traffic(rate, 1.0);
        g.throughput(Throughput::Elements(iq.len() as u64 / 2));
        g.bench_function(name, |b| b.iter(|| run_receiver(black_box(&iq), rate)));
    }
    g.finish();
}

fn decoding(c: &mut Criterion) {
    let frames = run_receiver(&traffic(SampleRate::Msps2_4, 1.0), SampleRate::Msps2_4);
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("frames_to_messages", |b| {
        b.iter(|| {
            frames
                .iter()
                .map(|f| decode(black_box(f)).df as u64)
                .sum::<u64>()
        })
    });
    g.finish();
}

criterion_group!(benches, convert, demod, decoding);
criterion_main!(benches);
