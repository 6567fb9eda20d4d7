//! Proximity conflicts: closest point of approach of two straight-line tracks, found with a
//! spatial grid so that a check at 1,000 aircraft compares only neighbours, not all pairs.
//!
//! Positions are projected onto a local flat plane (nautical miles east and north of the
//! receiver, or of the first aircraft): at the few tens of miles that matter here the error
//! is far below the 0.5 NM threshold. A grid cell is as wide as two aircraft can close in the
//! look-ahead time plus the threshold, so any pair that can conflict lies in the same or an
//! adjacent cell.

use super::SafetyConfig;
use crate::core::track::{TrackKey, TrackTable};
use dsp::cpr::Position;
use std::collections::HashMap;

/// Fastest closure considered, kt (two aircraft at 600 kt head-on).
const MAX_CLOSURE_KT: f64 = 1200.0;

/// The closest approach of a pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Approach {
    pub now_nm: f64,
    pub now_ft: f64,
    /// Seconds until the closest approach (0 if they are already diverging).
    pub t_s: f64,
    pub cpa_nm: f64,
    pub cpa_ft: f64,
}

/// Kinematic state on the local plane: NM east/north, knots east/north, feet, feet/minute.
#[derive(Clone, Copy, Debug)]
pub struct State {
    pub x: f64,
    pub y: f64,
    pub vx: f64,
    pub vy: f64,
    pub alt: f64,
    pub vs: f64,
}

/// Closest approach within `lookahead_s` of two straight-line tracks.
pub fn closest_approach(a: &State, b: &State, lookahead_s: f64) -> Approach {
    let (rx, ry) = (b.x - a.x, b.y - a.y);
    let (vx, vy) = ((b.vx - a.vx) / 3600.0, (b.vy - a.vy) / 3600.0); // NM per second
    let v2 = vx * vx + vy * vy;
    let t = if v2 > 0.0 {
        (-(rx * vx + ry * vy) / v2).clamp(0.0, lookahead_s)
    } else {
        0.0
    };
    let (cx, cy) = (rx + vx * t, ry + vy * t);
    let dz = |t: f64| ((b.alt - a.alt) + (b.vs - a.vs) * t / 60.0).abs();
    Approach {
        now_nm: rx.hypot(ry),
        now_ft: dz(0.0),
        t_s: t,
        cpa_nm: cx.hypot(cy),
        cpa_ft: dz(t),
    }
}

fn project(origin: Position, p: Position) -> (f64, f64) {
    let x = (p.lon - origin.lon) * 60.0 * origin.lat.to_radians().cos();
    let y = (p.lat - origin.lat) * 60.0;
    (x, y)
}

/// Every pair of airborne aircraft with fresh positions whose separation, now or at the
/// closest approach within the look-ahead, is inside both thresholds.
pub fn find(table: &TrackTable, now: f64, c: &SafetyConfig) -> Vec<(TrackKey, TrackKey, Approach)> {
    let origin = table
        .config()
        .receiver
        .or_else(|| table.iter().find_map(|a| a.position.get()));
    let Some(origin) = origin else {
        return Vec::new();
    };
    let states: Vec<(TrackKey, State)> = table
        .iter()
        .filter(|a| a.on_ground.get() != Some(true))
        .filter_map(|a| {
            let p = a.position.fresh(now, c.position_max_age_s)?;
            let alt = f64::from(a.alt_baro.get()?);
            let (x, y) = project(origin, p);
            let (gs, trk) = (
                a.gs.get().unwrap_or(0.0),
                a.track.get().unwrap_or(0.0).to_radians(),
            );
            let vs = f64::from(a.baro_rate.get().or(a.geom_rate.get()).unwrap_or(0));
            Some((
                a.key,
                State {
                    x,
                    y,
                    vx: gs * trk.sin(),
                    vy: gs * trk.cos(),
                    alt,
                    vs,
                },
            ))
        })
        .collect();
    let cell = MAX_CLOSURE_KT * c.lookahead_s / 3600.0 + c.conflict_nm;
    let mut grid: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for (i, (_, s)) in states.iter().enumerate() {
        grid.entry(((s.x / cell).floor() as i64, (s.y / cell).floor() as i64))
            .or_default()
            .push(i);
    }
    let mut out = Vec::new();
    for (&(gx, gy), members) in &grid {
        for dx in -1..=1 {
            for dy in -1..=1 {
                let Some(others) = grid.get(&(gx + dx, gy + dy)) else {
                    continue;
                };
                for &i in members {
                    for &j in others {
                        // Each unordered pair once: by index.
                        if j <= i {
                            continue;
                        }
                        let (ka, a) = states[i];
                        let (kb, b) = states[j];
                        if (a.alt - b.alt).abs() > c.conflict_ft + 12_000.0 * c.lookahead_s / 60.0 {
                            continue;
                        }
                        let ap = closest_approach(&a, &b, c.lookahead_s);
                        let now_in = ap.now_nm < c.conflict_nm && ap.now_ft < c.conflict_ft;
                        let cpa_in = ap.cpa_nm < c.conflict_nm && ap.cpa_ft < c.conflict_ft;
                        if now_in || cpa_in {
                            let (k1, k2) = if ka <= kb { (ka, kb) } else { (kb, ka) };
                            out.push((k1, k2, ap));
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: f64, y: f64, vx: f64, vy: f64, alt: f64, vs: f64) -> State {
        State {
            x,
            y,
            vx,
            vy,
            alt,
            vs,
        }
    }

    #[test]
    fn head_on_pair_meets_in_the_middle() {
        // 4 NM apart, closing at 480 kt: 30 s to the closest approach, 0 NM apart.
        let ap = closest_approach(
            &s(0.0, 0.0, 240.0, 0.0, 10000.0, 0.0),
            &s(4.0, 0.0, -240.0, 0.0, 10200.0, 0.0),
            35.0,
        );
        assert!(
            (ap.t_s - 30.0).abs() < 1e-9 && ap.cpa_nm < 1e-9 && (ap.cpa_ft - 200.0).abs() < 1e-9
        );
    }

    #[test]
    fn diverging_pair_is_closest_now() {
        let ap = closest_approach(
            &s(0.0, 0.0, -100.0, 0.0, 5000.0, 0.0),
            &s(1.0, 0.0, 100.0, 0.0, 5000.0, 0.0),
            35.0,
        );
        assert_eq!(ap.t_s, 0.0);
        assert!((ap.cpa_nm - 1.0).abs() < 1e-9);
    }

    #[test]
    fn vertical_rates_close_altitude() {
        // 1,000 ft apart, one climbing 1,200 ft/min toward the other: 500 ft after 25 s.
        let ap = closest_approach(
            &s(0.0, 0.0, 0.0, 0.0, 10000.0, 1200.0),
            &s(0.0, 0.0, 0.0, 0.0, 11000.0, 0.0),
            35.0,
        );
        assert_eq!(ap.t_s, 0.0, "no horizontal motion: closest now");
        assert_eq!(ap.now_ft, 1000.0);
    }
}
