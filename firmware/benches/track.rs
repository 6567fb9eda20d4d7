//! Ingest rate of the track table: decoded messages from generated traffic (200 aircraft)
//! applied in order, in messages per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dsp::cpr::Position;
use dsp::decode::{decode, Message};
use dsp::gen::{generate, TrafficConfig};
use dsp::{IqFormat, Receiver, RepairConfig, SampleRate};
use skyspy::core::track::{TrackConfig, TrackTable};
use std::hint::black_box;

fn messages() -> Vec<(Message, f32, f64)> {
    let rate = SampleRate::Msps2_4;
    let home = Position {
        lat: 52.3,
        lon: 4.76,
    };
    let mut cfg = TrafficConfig::new(rate, home, 200, 9);
    cfg.snr_db = (10.0, 30.0);
    let (iq, _) = generate(cfg, 5.0);
    let mut rx = Receiver::new(IqFormat::Cu8, rate, RepairConfig::default());
    let mut frames = Vec::new();
    rx.push(&iq, &mut frames);
    rx.finish(&mut frames);
    frames
        .iter()
        .map(|f| (decode(f), f.signal_dbfs, f.sample / rate.hz() as f64))
        .collect()
}

fn ingest(c: &mut Criterion) {
    let msgs = messages();
    let mut g = c.benchmark_group("track");
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.bench_function("ingest_200_aircraft", |b| {
        b.iter(|| {
            let mut table = TrackTable::new(TrackConfig {
                receiver: Some(Position {
                    lat: 52.3,
                    lon: 4.76,
                }),
                ..TrackConfig::default()
            });
            for (m, rssi, t) in &msgs {
                table.ingest(black_box(m), *rssi, *t);
            }
            table.len()
        })
    });
    g.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
