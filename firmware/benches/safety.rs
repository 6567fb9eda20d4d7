//! Conflict detection at 1,000 aircraft: the grid-based check the engine runs each second,
//! against comparing every pair (what it avoids).

use criterion::{criterion_group, criterion_main, Criterion};
use dsp::cpr::Position;
use dsp::decode::decode_bytes;
use dsp::gen::encode;
use rand::{Rng, SeedableRng};
use skyspy::core::safety::{closest_approach, SafetyConfig, SafetyEngine, State};
use skyspy::core::track::{TrackConfig, TrackTable};
use std::hint::black_box;

const HOME: Position = Position {
    lat: 52.3,
    lon: 4.76,
};

fn traffic(n: usize) -> TrackTable {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(4);
    let mut table = TrackTable::new(TrackConfig {
        receiver: Some(HOME),
        ..TrackConfig::default()
    });
    for i in 0..n {
        let icao = 0x100000 + i as u32;
        // Within 200 NM of the receiver, 2,000–40,000 ft, 150–500 kt in any direction.
        let pos = Position {
            lat: HOME.lat + rng.random_range(-3.3..3.3),
            lon: HOME.lon + rng.random_range(-5.0..5.0),
        };
        let alt = rng.random_range(20..400) * 100;
        let (gs, trk): (f64, f64) = (
            rng.random_range(150.0..500.0),
            rng.random_range(0.0..std::f64::consts::TAU),
        );
        for (r, t) in [
            (encode::airborne_position(icao, pos, alt, false), 0.0),
            (encode::airborne_position(icao, pos, alt, true), 0.1),
            (
                encode::velocity(
                    icao,
                    gs * trk.sin(),
                    gs * trk.cos(),
                    rng.random_range(-20..20) * 64,
                ),
                0.2,
            ),
        ] {
            table.ingest(&decode_bytes(r.data(), icao), -20.0, t);
        }
    }
    table
}

fn conflicts(c: &mut Criterion) {
    let table = traffic(1000);
    assert_eq!(table.len(), 1000);
    let mut g = c.benchmark_group("safety");
    g.bench_function("conflict_tick_1000_aircraft_grid", |b| {
        let mut engine = SafetyEngine::new(SafetyConfig::default());
        let mut out = Vec::new();
        b.iter(|| {
            out.clear();
            engine.tick(black_box(&table), 1.0, &mut out);
            out.len()
        })
    });
    let states: Vec<State> = table
        .iter()
        .filter_map(|a| {
            let p = a.position.get()?;
            let (gs, trk) = (a.gs.get()?, a.track.get()?.to_radians());
            Some(State {
                x: (p.lon - HOME.lon) * 60.0 * HOME.lat.to_radians().cos(),
                y: (p.lat - HOME.lat) * 60.0,
                vx: gs * trk.sin(),
                vy: gs * trk.cos(),
                alt: f64::from(a.alt_baro.get()?),
                vs: 0.0,
            })
        })
        .collect();
    g.bench_function("conflict_all_pairs_1000_aircraft", |b| {
        b.iter(|| {
            let mut n = 0;
            for i in 0..states.len() {
                for j in i + 1..states.len() {
                    let ap = closest_approach(&states[i], &states[j], 35.0);
                    n += usize::from(ap.cpa_nm < 0.5 && ap.cpa_ft < 500.0);
                }
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, conflicts);
criterion_main!(benches);
