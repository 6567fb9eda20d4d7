//! Compact Position Reporting (DO-260B §A.1.7): encoding, global decoding from an even/odd
//! pair, and local decoding relative to a reference position.
//!
//! CPR splits the globe into latitude zones (60 for even frames, 59 for odd) and each zone's
//! ring into NL(lat) longitude zones, and sends the 17-bit position inside the zone. One frame
//! is ambiguous up to a zone; an even and an odd frame together, or one frame and a nearby
//! reference, pin it down. Surface frames use the same bits for a zone a quarter the size, so
//! they are 4× finer and need a reference to pick the quadrant.

use crate::consts::{
    AIR_DLAT_EVEN, AIR_DLAT_ODD, CPR_MAX, CPR_NZ, SURFACE_DLAT_EVEN, SURFACE_DLAT_ODD,
};
use std::f64::consts::PI;

/// A decoded position in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
}

/// One CPR-encoded position as sent: 17-bit latitude and longitude and the odd flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CprFrame {
    pub lat: u32,
    pub lon: u32,
    pub odd: bool,
}

/// Airborne or surface: the size of the globe the zones divide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CprKind {
    Airborne,
    Surface,
}

impl CprKind {
    fn span(self) -> f64 {
        match self {
            CprKind::Airborne => 360.0,
            CprKind::Surface => 90.0,
        }
    }
    fn dlat(self, odd: bool) -> f64 {
        match (self, odd) {
            (CprKind::Airborne, false) => AIR_DLAT_EVEN,
            (CprKind::Airborne, true) => AIR_DLAT_ODD,
            (CprKind::Surface, false) => SURFACE_DLAT_EVEN,
            (CprKind::Surface, true) => SURFACE_DLAT_ODD,
        }
    }
}

/// Positive remainder: the spec's MOD.
fn modulo(x: f64, y: f64) -> f64 {
    x - y * (x / y).floor()
}

/// Number of longitude zones at a latitude, from the formula of §A.1.7.2.d.
pub fn nl(lat: f64) -> u32 {
    let lat = lat.abs();
    if lat == 0.0 {
        return 59;
    }
    if lat > 87.0 {
        return 1;
    }
    if lat == 87.0 {
        return 2;
    }
    let a = 1.0 - (PI / (2.0 * CPR_NZ)).cos();
    let b = (PI / 180.0 * lat).cos().powi(2);
    let v = (1.0 - a / b).acos();
    (2.0 * PI / v).floor() as u32
}

/// Encodes a position as an even or odd frame.
pub fn encode(pos: Position, odd: bool, kind: CprKind) -> CprFrame {
    let i = f64::from(u8::from(odd));
    let dlat = kind.dlat(odd);
    let yz = (CPR_MAX * modulo(pos.lat, dlat) / dlat + 0.5).floor();
    let rlat = dlat * (yz / CPR_MAX + (pos.lat / dlat).floor());
    let dlon = kind.span() / (f64::from(nl(rlat)) - i).max(1.0);
    let xz = (CPR_MAX * modulo(pos.lon, dlon) / dlon + 0.5).floor();
    CprFrame {
        lat: modulo(yz, CPR_MAX) as u32,
        lon: modulo(xz, CPR_MAX) as u32,
        odd,
    }
}

fn wrap_lon(lon: f64) -> f64 {
    let l = modulo(lon + 180.0, 360.0) - 180.0;
    if l == -180.0 {
        180.0
    } else {
        l
    }
}

/// Global decoding of an even/odd pair; the position is that of the newer frame. Surface
/// pairs need a reference (the receiver) within 45° to choose among the quadrants. Fails
/// (`None`) when the two frames straddle a longitude-zone boundary.
pub fn decode_global(
    even: CprFrame,
    odd: CprFrame,
    newest_is_odd: bool,
    kind: CprKind,
    reference: Option<Position>,
) -> Option<Position> {
    let (yz0, yz1) = (f64::from(even.lat) / CPR_MAX, f64::from(odd.lat) / CPR_MAX);
    let (xz0, xz1) = (f64::from(even.lon) / CPR_MAX, f64::from(odd.lon) / CPR_MAX);
    let j = (59.0 * yz0 - 60.0 * yz1 + 0.5).floor();
    let mut rlat0 = kind.dlat(false) * (modulo(j, 60.0) + yz0);
    let mut rlat1 = kind.dlat(true) * (modulo(j, 59.0) + yz1);
    match kind {
        CprKind::Airborne => {
            if rlat0 >= 270.0 {
                rlat0 -= 360.0;
            }
            if rlat1 >= 270.0 {
                rlat1 -= 360.0;
            }
        }
        CprKind::Surface => {
            // Northern solution in [0, 90); the southern one is 90° lower.
            let r = reference?;
            if (rlat0 - 90.0 - r.lat).abs() < (rlat0 - r.lat).abs() {
                rlat0 -= 90.0;
                rlat1 -= 90.0;
            }
        }
    }
    if !(-90.0..=90.0).contains(&rlat0) || !(-90.0..=90.0).contains(&rlat1) {
        return None;
    }
    let zones = nl(rlat0);
    if zones != nl(rlat1) {
        return None;
    }
    let (lat, i, xz) = if newest_is_odd {
        (rlat1, 1.0, xz1)
    } else {
        (rlat0, 0.0, xz0)
    };
    let nl_lat = f64::from(zones);
    let ni = (nl_lat - i).max(1.0);
    let m = (xz0 * (nl_lat - 1.0) - xz1 * nl_lat + 0.5).floor();
    let dlon = kind.span() / ni;
    let mut lon = dlon * (modulo(m, ni) + xz);
    if kind == CprKind::Surface {
        // Four candidates 90° apart: take the one nearest the reference.
        let r = reference?;
        let base = lon;
        lon = (0..4)
            .map(|k| wrap_lon(base + 90.0 * f64::from(k)))
            .min_by(|a, b| lon_distance(*a, r.lon).total_cmp(&lon_distance(*b, r.lon)))?;
    }
    Some(Position {
        lat,
        lon: wrap_lon(lon),
    })
}

fn lon_distance(a: f64, b: f64) -> f64 {
    let d = modulo(a - b, 360.0);
    d.min(360.0 - d)
}

/// Local decoding relative to a reference within half a zone (about 180 NM airborne,
/// 45 NM surface).
pub fn decode_local(frame: CprFrame, kind: CprKind, reference: Position) -> Position {
    let i = f64::from(u8::from(frame.odd));
    let dlat = kind.dlat(frame.odd);
    let yz = f64::from(frame.lat) / CPR_MAX;
    let xz = f64::from(frame.lon) / CPR_MAX;
    let j =
        (reference.lat / dlat).floor() + (modulo(reference.lat, dlat) / dlat - yz + 0.5).floor();
    let lat = dlat * (j + yz);
    let dlon = kind.span() / (f64::from(nl(lat)) - i).max(1.0);
    let m =
        (reference.lon / dlon).floor() + (modulo(reference.lon, dlon) / dlon - xz + 0.5).floor();
    Position {
        lat,
        lon: wrap_lon(dlon * (m + xz)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within `tol` degrees of latitude, as a distance (so longitude shrinks toward the poles).
    fn close(a: Position, lat: f64, lon: f64, tol: f64) -> bool {
        let dlon = (a.lon - lon + 540.0).rem_euclid(360.0) - 180.0;
        let dx = dlon * lat.to_radians().cos();
        (a.lat - lat).hypot(dx) < tol
    }

    #[test]
    fn nl_matches_known_transitions() {
        assert_eq!(nl(0.0), 59);
        assert_eq!(nl(10.0), 59);
        assert_eq!(nl(10.48), 58);
        assert_eq!(nl(52.25), 36);
        assert_eq!(nl(-52.25), 36);
        assert_eq!(nl(86.9), 2);
        assert_eq!(nl(87.5), 1);
    }

    #[test]
    fn airborne_pair_from_the_literature() {
        // The worked example of "The 1090 MHz Riddle": 52.2572, 3.91937.
        let even = CprFrame {
            lat: 93000,
            lon: 51372,
            odd: false,
        };
        let odd = CprFrame {
            lat: 74158,
            lon: 50194,
            odd: true,
        };
        let p = decode_global(even, odd, false, CprKind::Airborne, None).unwrap();
        assert!(close(p, 52.2572, 3.91937, 1e-4), "{p:?}");
    }

    #[test]
    fn encode_decode_round_trips_everywhere() {
        for lat in [-85.0, -45.5, -0.3, 0.0, 12.3, 52.25, 79.9] {
            for lon in [-179.9, -90.1, -0.01, 0.0, 3.9, 120.0, 179.95] {
                let p = Position { lat, lon };
                let (e, o) = (
                    encode(p, false, CprKind::Airborne),
                    encode(p, true, CprKind::Airborne),
                );
                let g = decode_global(e, o, true, CprKind::Airborne, None).unwrap();
                assert!(close(g, lat, lon, 1e-4), "{p:?} → {g:?}");
                let l = decode_local(
                    e,
                    CprKind::Airborne,
                    Position {
                        lat: lat + 0.5,
                        lon: lon - 0.4,
                    },
                );
                assert!(close(l, lat, lon, 1e-4), "{p:?} → {l:?}");
            }
        }
    }

    #[test]
    fn cpr_surface_resolves_quadrant_from_reference() {
        for (lat, lon) in [
            (51.47, -0.45),
            (-33.94, 151.17),
            (40.64, -73.78),
            (1.36, 103.99),
        ] {
            let p = Position { lat, lon };
            let (e, o) = (
                encode(p, false, CprKind::Surface),
                encode(p, true, CprKind::Surface),
            );
            let r = Position {
                lat: lat + 0.3,
                lon: lon - 0.3,
            };
            let g = decode_global(e, o, false, CprKind::Surface, Some(r)).unwrap();
            assert!(close(g, lat, lon, 1e-5), "{p:?} → {g:?}");
            let l = decode_local(o, CprKind::Surface, r);
            assert!(close(l, lat, lon, 1e-5), "{p:?} → {l:?}");
        }
    }

    #[test]
    fn cpr_surface_wraps_longitude() {
        let p = Position {
            lat: -16.8,
            lon: 179.99,
        };
        let (e, o) = (
            encode(p, false, CprKind::Surface),
            encode(p, true, CprKind::Surface),
        );
        let g = decode_global(
            e,
            o,
            true,
            CprKind::Surface,
            Some(Position {
                lat: -17.0,
                lon: -179.9,
            }),
        )
        .unwrap();
        assert!(close(g, -16.8, 179.99, 1e-5), "{g:?}");
    }

    #[test]
    fn pair_across_zone_boundary_is_refused() {
        let e = encode(
            Position {
                lat: 10.46,
                lon: 5.0,
            },
            false,
            CprKind::Airborne,
        );
        let o = encode(
            Position {
                lat: 10.50,
                lon: 5.0,
            },
            true,
            CprKind::Airborne,
        );
        assert_eq!(decode_global(e, o, true, CprKind::Airborne, None), None);
    }
}
