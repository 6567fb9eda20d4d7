//! Positions of one aircraft from its CPR frames: global decoding from an even/odd pair
//! within 10 s (airborne) or 50 s (surface), then local decoding relative to the last
//! position, with checks so that one bad frame cannot move an aircraft across the map: the
//! implied speed since the last fix, and the distance from the receiver.

use dsp::cpr::{decode_global, decode_local, CprFrame, CprKind, Position};

const AIRBORNE_PAIR_S: f64 = 10.0;
const SURFACE_PAIR_S: f64 = 50.0;
/// Local decoding trusts a last position this recent.
const LOCAL_REF_S: f64 = 60.0;
/// Faster than this between fixes is implausible (kt), with 0.1 NM of slack for CPR steps.
const MAX_AIR_KT: f64 = 1500.0;
const MAX_SURFACE_KT: f64 = 100.0;

/// CPR state of one aircraft.
#[derive(Clone, Copy, Debug, Default)]
pub struct CprState {
    even: Option<(CprFrame, f64)>,
    odd: Option<(CprFrame, f64)>,
    last: Option<(Position, f64)>,
}

/// Why a frame gave no position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejected {
    /// Waiting for the other half of a pair (or a recent reference).
    Unresolved,
    /// Resolved, but implausibly far from the last fix for the time elapsed.
    TooFast,
    /// Resolved, but beyond the receiver's range.
    OutOfRange,
}

impl CprState {
    /// Adds a frame received at `now` (seconds). `receiver` and `max_range_nm` bound where a
    /// position may be; the receiver also resolves surface positions.
    pub fn add(
        &mut self,
        frame: CprFrame,
        kind: CprKind,
        now: f64,
        receiver: Option<Position>,
        max_range_nm: f64,
    ) -> Result<Position, Rejected> {
        if frame.odd {
            self.odd = Some((frame, now));
        } else {
            self.even = Some((frame, now));
        }
        let window = if kind == CprKind::Surface {
            SURFACE_PAIR_S
        } else {
            AIRBORNE_PAIR_S
        };
        let reference = self.last.map(|l| l.0).or(receiver);
        let global = match (self.even, self.odd) {
            (Some((e, te)), Some((o, to))) if (te - to).abs() <= window => {
                decode_global(e, o, frame.odd, kind, reference)
            }
            _ => None,
        };
        let local = || {
            let (last, t) = self.last?;
            (now - t <= LOCAL_REF_S).then(|| decode_local(frame, kind, last))
        };
        let pos = global.or_else(local).ok_or(Rejected::Unresolved)?;
        if let Some(r) = receiver {
            if distance_nm(r, pos) > max_range_nm {
                return Err(Rejected::OutOfRange);
            }
        }
        if let Some((last, t)) = self.last {
            let max_kt = if kind == CprKind::Surface {
                MAX_SURFACE_KT
            } else {
                MAX_AIR_KT
            };
            if distance_nm(last, pos) > 0.1 + max_kt * (now - t).abs() / 3600.0 {
                return Err(Rejected::TooFast);
            }
        }
        self.last = Some((pos, now));
        Ok(pos)
    }

    /// Time of the newest frame of either parity.
    pub fn last_frame(&self) -> Option<f64> {
        match (self.even, self.odd) {
            (Some(e), Some(o)) => Some(e.1.max(o.1)),
            (e, o) => e.or(o).map(|x| x.1),
        }
    }

    /// Forgets the last position (it aged out), so the next fix needs a fresh pair.
    pub fn forget_position(&mut self) {
        self.last = None;
    }
}

/// Great-circle distance in nautical miles.
pub fn distance_nm(a: Position, b: Position) -> f64 {
    dsp::gen::distance_km(a, b) / 1.852
}

/// Initial bearing from `a` to `b`, degrees clockwise from true north, in [0, 360).
pub fn bearing_deg(a: Position, b: Position) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lon - a.lon).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsp::cpr::encode;

    fn frame(lat: f64, lon: f64, odd: bool) -> CprFrame {
        encode(Position { lat, lon }, odd, CprKind::Airborne)
    }

    const AIR: CprKind = CprKind::Airborne;

    #[test]
    fn pair_within_ten_seconds_resolves_then_local_follows() {
        let mut s = CprState::default();
        assert_eq!(
            s.add(frame(52.0, 4.0, false), AIR, 0.0, None, 500.0),
            Err(Rejected::Unresolved)
        );
        let p = s
            .add(frame(52.001, 4.001, true), AIR, 0.5, None, 500.0)
            .expect("pair");
        assert!((p.lat - 52.001).abs() < 1e-4 && (p.lon - 4.001).abs() < 1e-4);
        let p = s
            .add(frame(52.002, 4.002, false), AIR, 1.0, None, 500.0)
            .expect("local");
        assert!((p.lat - 52.002).abs() < 1e-4);
    }

    #[test]
    fn pair_too_far_apart_in_time_does_not_resolve() {
        let mut s = CprState::default();
        let _ = s.add(frame(52.0, 4.0, false), AIR, 0.0, None, 500.0);
        assert_eq!(
            s.add(frame(52.0, 4.0, true), AIR, 10.5, None, 500.0),
            Err(Rejected::Unresolved)
        );
    }

    #[test]
    fn one_bad_frame_cannot_teleport_an_aircraft() {
        let mut s = CprState::default();
        let _ = s.add(frame(52.0, 4.0, false), AIR, 0.0, None, 500.0);
        s.add(frame(52.0, 4.0, true), AIR, 0.5, None, 500.0)
            .expect("pair");
        assert_eq!(
            s.add(frame(53.0, 4.0, false), AIR, 1.5, None, 500.0),
            Err(Rejected::TooFast)
        );
        assert!(s
            .add(frame(52.0005, 4.0, true), AIR, 2.0, None, 500.0)
            .is_ok());
    }

    #[test]
    fn positions_beyond_the_receiver_range_are_refused() {
        let mut s = CprState::default();
        let rx = Some(Position {
            lat: 40.0,
            lon: -74.0,
        });
        let _ = s.add(frame(52.0, 4.0, false), AIR, 0.0, rx, 300.0);
        assert_eq!(
            s.add(frame(52.0, 4.0, true), AIR, 0.5, rx, 300.0),
            Err(Rejected::OutOfRange)
        );
    }

    #[test]
    fn bearing_and_distance() {
        let a = Position {
            lat: 52.0,
            lon: 4.0,
        };
        assert!(
            (bearing_deg(
                a,
                Position {
                    lat: 53.0,
                    lon: 4.0
                }
            ) - 0.0)
                .abs()
                < 1e-6
        );
        assert!(
            (bearing_deg(
                a,
                Position {
                    lat: 52.0,
                    lon: 5.0
                }
            ) - 89.6)
                .abs()
                < 0.1
        );
        assert!(
            (distance_nm(
                a,
                Position {
                    lat: 53.0,
                    lon: 4.0
                }
            ) - 60.0)
                .abs()
                < 0.1
        );
    }
}
