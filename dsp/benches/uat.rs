//! UAT receive chain throughput, in IQ samples per second at 2.083333 MS/s: dense generated
//! traffic (the real payloads of dump978's sample data, 20 µs + 300 µs mean gaps, as in the
//! test data README's dump978-fa CPU figure) and noise alone. CPU seconds per IQ second is
//! 2,083,333 divided by the throughput.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dsp::gen::uat::{generate, UatConfig};
use dsp::uat::demod::UatDemodulator;
use dsp::uat::frame::{parse_raw, Kind};
use dsp::uat::phase;
use dsp::IqFormat;
use std::hint::black_box;
use std::io::Read;

fn sample_payloads() -> Vec<(Kind, Vec<u8>)> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/testdata/uat/dump978/sample-data.txt.gz");
    let gz = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .expect("gzip text");
    text.lines().filter_map(parse_raw).collect()
}

fn demodulate(iq: &[u8]) -> usize {
    let mut demod = UatDemodulator::new(IqFormat::Cu8);
    let mut out = Vec::new();
    for chunk in iq.chunks(1 << 18) {
        demod.push(chunk, &mut out);
    }
    demod.finish(&mut out);
    out.len()
}

fn bench(c: &mut Criterion) {
    // Three passes over the 1,143 payloads: about 10 s of IQ, 3,429 bursts.
    let one = sample_payloads();
    let payloads: Vec<(Kind, Vec<u8>)> = (0..3).flat_map(|_| one.iter().cloned()).collect();
    let mut cfg = UatConfig::new(10.0, 1);
    cfg.snr_db = (8.0, 20.0);
    let (dense, truth) = generate(&payloads, &cfg);
    let noise = {
        let mut quiet = cfg.clone();
        quiet.seed = 2;
        let (iq, _) = generate(&[], &quiet);
        // `generate` with no payloads is 100 µs of noise; tile a second's worth of it.
        iq.repeat((2_083_333 * 2 / iq.len()).max(1))
    };
    let mut g = c.benchmark_group("uat");
    g.sample_size(10);
    g.throughput(Throughput::Elements((dense.len() / 2) as u64));
    g.bench_function("demodulate_dense_traffic", |b| {
        b.iter(|| {
            let n = demodulate(black_box(&dense));
            assert!(n >= truth.len() * 99 / 100);
        })
    });
    g.throughput(Throughput::Elements((noise.len() / 2) as u64));
    g.bench_function("demodulate_noise", |b| {
        b.iter(|| demodulate(black_box(&noise)))
    });
    // Phase of cf32 and cs16 input: SIMD kernel against its scalar reference.
    let n = 1 << 16;
    let cf32: Vec<u8> = (0..2 * n)
        .flat_map(|k| ((k as f32 * 0.37).sin()).to_le_bytes())
        .collect();
    let cs16: Vec<u8> = (0..2 * n)
        .flat_map(|k| (((k as f32 * 0.37).sin() * 20000.0) as i16).to_le_bytes())
        .collect();
    g.throughput(Throughput::Elements(n as u64));
    let mut out = Vec::with_capacity(n);
    g.bench_function("phase_cf32_simd", |b| {
        b.iter(|| {
            out.clear();
            phase::phase_cf32(black_box(&cf32), &mut out)
        })
    });
    g.bench_function("phase_cf32_scalar", |b| {
        b.iter(|| {
            out.clear();
            phase::phase_cf32_scalar(black_box(&cf32), &mut out)
        })
    });
    g.bench_function("phase_cs16_simd", |b| {
        b.iter(|| {
            out.clear();
            phase::phase_cs16(black_box(&cs16), &mut out)
        })
    });
    g.bench_function("phase_cs16_scalar", |b| {
        b.iter(|| {
            out.clear();
            phase::phase_cs16_scalar(black_box(&cs16), &mut out)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
