//! CPR pairing per aircraft: turns the even/odd position frames of a message stream into
//! positions, the way a track table does (global from a pair within 10 s airborne / 50 s
//! surface, then local from the last position), with a speed check so that one bad frame
//! cannot move an aircraft across the map. Time is a parameter (seconds, any origin).

use dsp::cpr::{decode_global, decode_local, CprFrame, CprKind, Position};
use dsp::decode::Message;
use std::collections::HashMap;

const AIRBORNE_PAIR_S: f64 = 10.0;
const SURFACE_PAIR_S: f64 = 50.0;
/// Local decoding trusts a reference this recent.
const LOCAL_REF_S: f64 = 60.0;
/// Faster than this between fixes is implausible (kt); surface 100 kt.
const MAX_AIR_KT: f64 = 1500.0;
const MAX_SURFACE_KT: f64 = 100.0;
const MAX_AIRCRAFT: usize = 8192;

#[derive(Default, Clone, Copy)]
struct Entry {
    even: Option<(CprFrame, f64)>,
    odd: Option<(CprFrame, f64)>,
    last: Option<(Position, f64)>,
}

/// Pairs CPR frames per address. Memory is bounded: past `MAX_AIRCRAFT` the stalest go.
#[derive(Default)]
pub struct CprPairer {
    entries: HashMap<u32, Entry>,
    receiver: Option<Position>,
}

impl CprPairer {
    pub fn new(receiver: Option<Position>) -> Self {
        Self {
            entries: HashMap::new(),
            receiver,
        }
    }

    /// Adds the position in a decoded message (if it carries one) of its aircraft at time
    /// `t`; returns the position if it resolves.
    pub fn add_message(&mut self, m: &Message, t: f64) -> Option<Position> {
        let (fmt, lat, lon, tc) = (m.cpr_format?, m.cpr_lat?, m.cpr_lon?, m.typecode?);
        let kind = if (5..=8).contains(&tc) {
            CprKind::Surface
        } else {
            CprKind::Airborne
        };
        self.add(
            m.icao.0,
            CprFrame {
                lat,
                lon,
                odd: fmt == 1,
            },
            kind,
            t,
        )
    }

    /// Adds one position frame of `addr` at time `t`; returns the position if it resolves.
    pub fn add(&mut self, addr: u32, frame: CprFrame, kind: CprKind, t: f64) -> Option<Position> {
        if self.entries.len() >= MAX_AIRCRAFT && !self.entries.contains_key(&addr) {
            self.evict_stalest();
        }
        let receiver = self.receiver;
        let e = self.entries.entry(addr).or_default();
        if frame.odd {
            e.odd = Some((frame, t));
        } else {
            e.even = Some((frame, t));
        }
        let window = if kind == CprKind::Surface {
            SURFACE_PAIR_S
        } else {
            AIRBORNE_PAIR_S
        };
        let reference = e.last.map(|l| l.0).or(receiver);
        let global = match (e.even, e.odd) {
            (Some((ev, te)), Some((od, to))) if (te - to).abs() <= window => {
                decode_global(ev, od, frame.odd, kind, reference)
            }
            _ => None,
        };
        let pos = global.or_else(|| {
            let (last, tl) = e.last?;
            (t - tl <= LOCAL_REF_S).then(|| decode_local(frame, kind, last))
        })?;
        if let Some((last, tl)) = e.last {
            let max_kt = if kind == CprKind::Surface {
                MAX_SURFACE_KT
            } else {
                MAX_AIR_KT
            };
            let nm = distance_nm(last, pos);
            // Allow a fix's worth of slack (CPR resolution) on top of the speed limit.
            if nm > 0.1 + max_kt * (t - tl).abs() / 3600.0 {
                return None;
            }
        }
        e.last = Some((pos, t));
        Some(pos)
    }

    fn evict_stalest(&mut self) {
        let stalest = self
            .entries
            .iter()
            .map(|(&a, e)| {
                (
                    a,
                    e.last
                        .map_or(f64::MIN, |l| l.1)
                        .max(e.even.map_or(f64::MIN, |x| x.1))
                        .max(e.odd.map_or(f64::MIN, |x| x.1)),
                )
            })
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((a, _)) = stalest {
            self.entries.remove(&a);
        }
    }
}

/// Great-circle distance in nautical miles.
pub fn distance_nm(a: Position, b: Position) -> f64 {
    dsp::gen::distance_km(a, b) / 1.852
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsp::cpr::encode;

    fn frame(lat: f64, lon: f64, odd: bool) -> CprFrame {
        encode(Position { lat, lon }, odd, CprKind::Airborne)
    }

    #[test]
    fn pair_within_ten_seconds_resolves_then_local_follows() {
        let mut p = CprPairer::new(None);
        assert_eq!(
            p.add(1, frame(52.0, 4.0, false), CprKind::Airborne, 0.0),
            None
        );
        let pos = p
            .add(1, frame(52.001, 4.001, true), CprKind::Airborne, 0.5)
            .expect("pair");
        assert!((pos.lat - 52.001).abs() < 1e-4 && (pos.lon - 4.001).abs() < 1e-4);
        let next = p
            .add(1, frame(52.002, 4.002, false), CprKind::Airborne, 1.0)
            .expect("local");
        assert!((next.lat - 52.002).abs() < 1e-4);
    }

    #[test]
    fn pair_too_far_apart_in_time_does_not_resolve() {
        let mut p = CprPairer::new(None);
        p.add(1, frame(52.0, 4.0, false), CprKind::Airborne, 0.0);
        assert_eq!(
            p.add(1, frame(52.0, 4.0, true), CprKind::Airborne, 10.5),
            None
        );
    }

    #[test]
    fn one_bad_frame_cannot_teleport_an_aircraft() {
        let mut p = CprPairer::new(None);
        p.add(1, frame(52.0, 4.0, false), CprKind::Airborne, 0.0);
        p.add(1, frame(52.0, 4.0, true), CprKind::Airborne, 0.5)
            .expect("pair");
        // A frame 60 NM away one second later: over 200,000 kt.
        assert_eq!(
            p.add(1, frame(53.0, 4.0, false), CprKind::Airborne, 1.5),
            None
        );
        assert!(p
            .add(1, frame(52.0005, 4.0, true), CprKind::Airborne, 2.0)
            .is_some());
    }

    #[test]
    fn memory_is_bounded() {
        let mut p = CprPairer::new(None);
        for a in 0..(MAX_AIRCRAFT as u32 + 100) {
            p.add(a, frame(10.0, 10.0, false), CprKind::Airborne, f64::from(a));
        }
        assert_eq!(p.entries.len(), MAX_AIRCRAFT);
    }
}
