//! The pattern detectors over one track's history, as the core runs them every 5 s for every
//! track: 15 minutes of an orbit (a detection) and of straight flight (none), at the core's
//! history resolution (a fix every 2 s: 450 fixes) and at 1 s (900).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dsp::gen::path::Path;
use skyspy::core::patterns::{detect, Fix};
use std::hint::black_box;

fn history(path: &Path, step_s: f64) -> Vec<Fix> {
    (0..(900.0 / step_s) as usize)
        .map(|i| {
            let t = i as f64 * step_s;
            let s = path.at(t);
            Fix {
                t,
                lat: s.lat,
                lon: s.lon,
                alt_ft: Some(s.alt_ft as i32),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let orbit = Path::Orbit {
        centre: (52.3, 4.8),
        radius_nm: 0.5,
        speed_kt: 80.0,
        clockwise: true,
        start_bearing_deg: 0.0,
        alt_ft: 1000.0,
    };
    let straight = Path::Straight {
        start: (52.0, 4.0),
        heading_deg: 70.0,
        speed_kt: 300.0,
        alt_ft: 20000.0,
    };
    let mut g = c.benchmark_group("patterns");
    for (name, path) in [("orbit", &orbit), ("straight", &straight)] {
        for step in [2.0, 1.0] {
            let h = history(path, step);
            g.throughput(Throughput::Elements(h.len() as u64));
            g.bench_function(format!("{name}/{}-fixes", h.len()), |b| {
                b.iter(|| detect(black_box(&h)))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
