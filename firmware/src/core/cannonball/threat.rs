//! Threats relative to one moving observer (a phone in a car), and the alerts it is owed:
//! pure functions of the watch list, the observer and the time, so every session computes
//! its own and tests drive them without a server.
//!
//! Levels: **critical** law enforcement within 2 nm; **warning** law enforcement within 5 nm,
//! a helicopter within 3 nm, a surveillance type or a surveillance pattern within 5 nm;
//! **info** any other aircraft of interest inside the radius.

use super::{range_bearing, WatchList, Watched};
use crate::core::patterns::Pattern;
use crate::core::track::TrackKey;
use dsp::cpr::Position;
use std::collections::HashMap;

/// A range rate beyond this (kt) is approaching or departing; within it, holding.
pub const TREND_KT: f64 = 15.0;
/// `closing_fast`: closing faster than this (kt) ...
pub const CLOSING_FAST_KT: f64 = 150.0;
/// ... and less than this far (nm).
pub const CLOSING_FAST_NM: f64 = 10.0;
/// `overhead`: within this horizontal distance (nm) ...
pub const OVERHEAD_NM: f64 = 0.5;
/// ... and below this altitude (ft).
pub const OVERHEAD_FT: i32 = 5000;
/// A position older than this (s) is not shown: the aircraft's whereabouts are unknown.
pub const MAX_POSITION_AGE_S: f64 = 60.0;

/// Radius limits and default (nm).
pub const RADIUS_NM: (f64, f64, f64) = (1.0, 100.0, 25.0);

/// Where the client is and where it goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observer {
    pub position: Position,
    /// Degrees true, when moving.
    pub heading: Option<f64>,
    /// Knots.
    pub speed_kt: Option<f64>,
    pub radius_nm: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Info,
    Warning,
    Critical,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Critical => "critical",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trend {
    Approaching,
    Departing,
    Holding,
}

impl Trend {
    pub fn name(self) -> &'static str {
        match self {
            Trend::Approaching => "approaching",
            Trend::Departing => "departing",
            Trend::Holding => "holding",
        }
    }
}

/// What kind of aircraft of interest a threat is (the most specific that applies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    LawEnforcement,
    Helicopter,
    Surveillance,
    Military,
    Government,
    Pattern,
    OfInterest,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::LawEnforcement => "law_enforcement",
            Kind::Helicopter => "helicopter",
            Kind::Surveillance => "surveillance",
            Kind::Military => "military",
            Kind::Government => "government",
            Kind::Pattern => "pattern",
            Kind::OfInterest => "of_interest",
        }
    }
}

/// One aircraft as a threat to the observer.
#[derive(Clone, Debug, PartialEq)]
pub struct Threat<'a> {
    pub aircraft: &'a Watched,
    pub kind: Kind,
    pub level: Level,
    pub distance_nm: f64,
    /// From the observer, degrees true.
    pub bearing: f64,
    /// From the observer's heading (clockwise); the true bearing when the heading is unknown.
    pub relative_bearing: f64,
    /// 16-point rose of the true bearing ("NNE").
    pub direction: &'static str,
    /// Rate of change of the distance (kt; negative: closing).
    pub range_rate_kt: Option<f64>,
    pub trend: Trend,
    /// How sure the identification (or the pattern, for an aircraft known by it alone) is.
    pub confidence: f64,
    pub description: String,
}

/// The threats inside the observer's radius, most severe first, then nearest.
pub fn threats<'a>(list: &'a WatchList, me: &Observer) -> Vec<Threat<'a>> {
    let mut out: Vec<Threat<'a>> = list
        .aircraft
        .iter()
        .filter(|a| a.position_age_s <= MAX_POSITION_AGE_S)
        .filter_map(|a| threat(a, me))
        .collect();
    out.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(a.distance_nm.total_cmp(&b.distance_nm))
    });
    out
}

fn threat<'a>(a: &'a Watched, me: &Observer) -> Option<Threat<'a>> {
    let (distance_nm, bearing) = range_bearing(me.position, a.position);
    if distance_nm.is_nan() || distance_nm > me.radius_nm {
        return None;
    }
    // To the 0.01 nm clients are shown, before the levels are drawn from it: a threat at
    // 2.004 nm reads "2.00 nm" and is critical, as the levels say for 2 nm and nearer.
    let distance_nm = (distance_nm * 100.0).round() / 100.0;
    let i = &a.interest;
    let le = i.law_enforcement.as_ref();
    let pattern = a.pattern.as_ref();
    let kind = if le.is_some() {
        Kind::LawEnforcement
    } else if i.helicopter {
        Kind::Helicopter
    } else if i.surveillance_type {
        Kind::Surveillance
    } else if i.military {
        Kind::Military
    } else if i.government {
        Kind::Government
    } else if pattern.is_some() && !i.listed {
        Kind::Pattern
    } else {
        Kind::OfInterest
    };
    let level = if le.is_some() && distance_nm <= 2.0 {
        Level::Critical
    } else if (le.is_some() && distance_nm <= 5.0)
        || (i.helicopter && distance_nm <= 3.0)
        || ((i.surveillance_type || pattern.is_some()) && distance_nm <= 5.0)
    {
        Level::Warning
    } else {
        Level::Info
    };
    let range_rate_kt = range_rate(a, me, distance_nm, bearing);
    let trend = match range_rate_kt {
        Some(r) if r < -TREND_KT => Trend::Approaching,
        Some(r) if r > TREND_KT => Trend::Departing,
        _ => Trend::Holding,
    };
    let confidence = match (le, pattern) {
        (Some(l), _) => l.confidence,
        (None, Some(p)) if kind == Kind::Pattern => p.confidence,
        _ if i.helicopter && a.category.as_deref() == Some("A7") => 0.9,
        _ if i.listed || i.military || i.government || i.helicopter => 0.9,
        _ => 0.5,
    };
    let relative_bearing = match me.heading {
        Some(h) => (bearing - h).rem_euclid(360.0),
        None => bearing,
    };
    Some(Threat {
        aircraft: a,
        kind,
        level,
        distance_nm,
        bearing,
        relative_bearing,
        direction: rose16(bearing),
        range_rate_kt,
        trend,
        confidence,
        description: describe(a, kind),
    })
}

/// d|r|/dt for r from the observer to the aircraft, from both velocities (kt). `None` when
/// the aircraft's velocity is unknown.
fn range_rate(a: &Watched, me: &Observer, distance_nm: f64, bearing: f64) -> Option<f64> {
    let (gs, track) = (a.gs_kt?, a.track_deg?);
    let (ve, vn) = velocity(gs, track);
    let (oe, on) = match (me.speed_kt, me.heading) {
        (Some(s), Some(h)) => velocity(s, h),
        _ => (0.0, 0.0),
    };
    if distance_nm < 1e-6 {
        return Some(0.0);
    }
    let (ue, un) = velocity(1.0, bearing);
    Some((ve - oe) * ue + (vn - on) * un)
}

/// East and north components of a speed along a course.
fn velocity(speed: f64, course_deg: f64) -> (f64, f64) {
    let c = course_deg.to_radians();
    (speed * c.sin(), speed * c.cos())
}

/// The 16-point compass rose name of a bearing.
pub fn rose16(bearing: f64) -> &'static str {
    const ROSE: [&str; 16] = [
        "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW",
        "NW", "NNW",
    ];
    let i = ((bearing.rem_euclid(360.0) / 22.5).round() as usize) % 16;
    ROSE[i]
}

/// "Police helicopter · EC35 · Polizei Bayern · D-HBPA, circling".
fn describe(a: &Watched, kind: Kind) -> String {
    let what = match kind {
        Kind::LawEnforcement if a.interest.helicopter => "Law enforcement helicopter",
        Kind::LawEnforcement => "Law enforcement aircraft",
        Kind::Helicopter => "Helicopter",
        Kind::Surveillance => "Surveillance-capable aircraft",
        Kind::Military => "Military aircraft",
        Kind::Government => "Government aircraft",
        Kind::Pattern => "Aircraft",
        Kind::OfInterest => "Aircraft of interest",
    };
    let mut parts = vec![what.to_owned()];
    parts.extend(
        [a.type_code, a.operator, a.registration]
            .into_iter()
            .flatten()
            .map(str::to_owned),
    );
    let mut s = parts.join(" · ");
    if let Some(p) = &a.pattern {
        s.push_str(", ");
        s.push_str(&p.pattern.name().replace('_', " "));
    }
    s
}

/// `new_alert` kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertKind {
    LeDetected,
    PatternDetected,
    ClosingFast,
    Overhead,
}

impl AlertKind {
    pub fn name(self) -> &'static str {
        match self {
            AlertKind::LeDetected => "le_detected",
            AlertKind::PatternDetected => "pattern_detected",
            AlertKind::ClosingFast => "closing_fast",
            AlertKind::Overhead => "overhead",
        }
    }

    pub const ALL: [AlertKind; 4] = [
        AlertKind::LeDetected,
        AlertKind::PatternDetected,
        AlertKind::ClosingFast,
        AlertKind::Overhead,
    ];
}

/// Whether a threat qualifies for an alert of `kind` now.
pub fn qualifies(t: &Threat<'_>, kind: AlertKind) -> bool {
    match kind {
        AlertKind::LeDetected => t.kind == Kind::LawEnforcement,
        AlertKind::PatternDetected => t.aircraft.pattern.is_some(),
        AlertKind::ClosingFast => {
            t.distance_nm <= CLOSING_FAST_NM
                && t.range_rate_kt.is_some_and(|r| r <= -CLOSING_FAST_KT)
        }
        AlertKind::Overhead => {
            t.distance_nm <= OVERHEAD_NM && t.aircraft.alt_ft.is_none_or(|a| a <= OVERHEAD_FT)
        }
    }
}

/// The alerts one session has been sent: once per aircraft and kind, again only after the
/// cooldown (a pattern that comes and goes, circling ↔ loitering in a reception gap, does not
/// alert again).
#[derive(Debug, Default)]
pub struct AlertMemory {
    sent: HashMap<(TrackKey, AlertKind), f64>,
}

impl AlertMemory {
    /// The alerts due for `threats` at `now` (s on any clock), marked as sent.
    pub fn due<'t, 'a>(
        &mut self,
        threats: &'t [Threat<'a>],
        now: f64,
        cooldown_s: f64,
    ) -> Vec<(AlertKind, &'t Threat<'a>)> {
        let mut out = Vec::new();
        for t in threats {
            for kind in AlertKind::ALL {
                if !qualifies(t, kind) {
                    continue;
                }
                let key = (t.aircraft.key, kind);
                let due = self.sent.get(&key).is_none_or(|&at| now - at >= cooldown_s);
                if due {
                    self.sent.insert(key, now);
                    out.push((kind, t));
                }
            }
        }
        // Forget what is long past its cooldown, so the memory stays bounded.
        self.sent
            .retain(|_, at| now - *at < cooldown_s.max(1.0) * 2.0 + 3600.0);
        out
    }
}

/// Each threat's address, level, trend and pattern, by address.
pub type Signature = Vec<(u32, Level, Trend, Option<Pattern>)>;

/// What a `threat_update` compares: a change in membership, level, trend or pattern is news;
/// a change in distance alone is not.
pub fn signature(threats: &[Threat<'_>]) -> Signature {
    let mut s: Vec<_> = threats
        .iter()
        .map(|t| {
            (
                t.aircraft.key.address,
                t.level,
                t.trend,
                t.aircraft.pattern.map(|p| p.pattern),
            )
        })
        .collect();
    s.sort_by_key(|x| x.0);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::cannonball::identify::{Interest, LawEnforcement};

    const HOME: Position = Position {
        lat: 52.0,
        lon: 5.0,
    };

    /// An aircraft `nm` from HOME on `bearing`.
    fn at(bearing: f64, nm: f64) -> Position {
        let b = bearing.to_radians();
        Position {
            lat: HOME.lat + nm * b.cos() / 60.0,
            lon: HOME.lon + nm * b.sin() / (60.0 * HOME.lat.to_radians().cos()),
        }
    }

    fn watched(address: u32, pos: Position, interest: Interest) -> Watched {
        Watched {
            key: TrackKey {
                address,
                non_icao: false,
            },
            callsign: None,
            position: pos,
            alt_ft: Some(1500),
            gs_kt: Some(90.0),
            track_deg: Some(0.0),
            vertical_rate: None,
            category: None,
            registration: None,
            type_code: None,
            description: None,
            operator: None,
            interest,
            pattern: None,
            position_age_s: 1.0,
        }
    }

    fn police() -> Interest {
        Interest {
            law_enforcement: Some(LawEnforcement {
                reason: "test".into(),
                confidence: 0.95,
            }),
            ..Interest::default()
        }
    }

    fn me(heading: Option<f64>) -> Observer {
        Observer {
            position: HOME,
            heading,
            speed_kt: Some(50.0),
            radius_nm: 25.0,
        }
    }

    #[test]
    fn levels_follow_distance_and_identity() {
        let heli = Interest {
            helicopter: true,
            ..Interest::default()
        };
        let listed = Interest {
            listed: true,
            ..Interest::default()
        };
        let list = WatchList {
            timestamp_ms: 0,
            aircraft: vec![
                watched(1, at(0.0, 1.5), police()),
                watched(2, at(90.0, 4.0), police()),
                watched(3, at(180.0, 2.5), heli.clone()),
                watched(4, at(270.0, 3.5), heli),
                watched(5, at(45.0, 1.0), listed),
                watched(6, at(0.0, 30.0), police()),
            ],
        };
        let t = threats(&list, &me(None));
        let got: Vec<_> = t
            .iter()
            .map(|t| (t.aircraft.key.address, t.level))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, Level::Critical),
                (3, Level::Warning),
                (2, Level::Warning),
                (5, Level::Info),
                (4, Level::Info),
            ],
            "aircraft 6 is outside the radius"
        );
    }

    #[test]
    fn bearings_are_relative_to_the_heading_and_the_trend_follows_the_range_rate() {
        let mut a = watched(1, at(90.0, 3.0), police());
        // Flying west, straight at the observer.
        a.track_deg = Some(270.0);
        let list = WatchList {
            timestamp_ms: 0,
            aircraft: vec![a],
        };
        let t = &threats(&list, &me(Some(45.0)))[0];
        assert!((t.bearing - 90.0).abs() < 0.5, "{}", t.bearing);
        assert!((t.relative_bearing - 45.0).abs() < 0.5);
        assert_eq!(t.direction, "E");
        // 90 kt closing plus the car's 50 kt at 45° off the line of sight.
        let want = -90.0 - 50.0 * 45f64.to_radians().cos();
        assert!((t.range_rate_kt.unwrap() - want).abs() < 1.0);
        assert_eq!(t.trend, Trend::Approaching);
    }

    #[test]
    fn alerts_come_once_per_aircraft_and_kind_until_the_cooldown() {
        let a = watched(1, at(0.0, 0.3), police());
        let list = WatchList {
            timestamp_ms: 0,
            aircraft: vec![a],
        };
        let t = threats(&list, &me(None));
        let mut memory = AlertMemory::default();
        let kinds =
            |v: Vec<(AlertKind, &Threat<'_>)>| v.into_iter().map(|x| x.0).collect::<Vec<_>>();
        assert_eq!(
            kinds(memory.due(&t, 0.0, 600.0)),
            vec![AlertKind::LeDetected, AlertKind::Overhead]
        );
        assert!(memory.due(&t, 1.0, 600.0).is_empty());
        assert!(memory.due(&t, 599.0, 600.0).is_empty());
        assert_eq!(memory.due(&t, 600.0, 600.0).len(), 2);
    }

    #[test]
    fn closing_fast_needs_both_the_speed_and_the_distance() {
        let closing = |nm: f64, gs: f64| {
            let mut a = watched(1, at(90.0, nm), police());
            a.track_deg = Some(270.0);
            a.gs_kt = Some(gs);
            let list = WatchList {
                timestamp_ms: 0,
                aircraft: vec![a],
            };
            let me = Observer {
                speed_kt: None,
                ..me(None)
            };
            threats(&list, &me)
                .iter()
                .any(|t| qualifies(t, AlertKind::ClosingFast))
        };
        assert!(closing(8.0, 200.0));
        assert!(!closing(8.0, 120.0), "too slow");
        assert!(!closing(15.0, 200.0), "too far");
    }

    /// The level is drawn from the distance as shown (0.01 nm): across the 2 nm boundary in
    /// steps finer than the rounding, a threat is critical exactly when it reads 2.00 nm or less.
    #[test]
    fn the_level_follows_the_distance_as_shown() {
        let mut shown_at_two = 0;
        for step in 0..400 {
            let nm = 1.98 + step as f64 * 1e-4;
            let list = WatchList {
                timestamp_ms: 0,
                aircraft: vec![watched(1, at(0.0, nm), police())],
            };
            let t = &threats(&list, &me(None))[0];
            assert_eq!(t.distance_nm, (t.distance_nm * 100.0).round() / 100.0);
            let critical = t.distance_nm <= 2.0;
            assert_eq!(t.level == Level::Critical, critical, "{} nm", t.distance_nm);
            shown_at_two += usize::from(t.distance_nm == 2.0);
        }
        assert!(shown_at_two > 0, "the sweep crossed 2.00 nm");
    }

    #[test]
    fn the_rose_has_sixteen_points() {
        assert_eq!(rose16(0.0), "N");
        assert_eq!(rose16(11.0), "N");
        assert_eq!(rose16(12.0), "NNE");
        assert_eq!(rose16(359.0), "N");
        assert_eq!(rose16(-90.0), "W");
        assert_eq!(rose16(202.5), "SSW");
    }
}
