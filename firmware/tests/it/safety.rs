//! The safety engine on scripted scenarios: two aircraft converging, a squawk 7700 and back,
//! an ACAS RA pair, an emergency status, an extreme vertical rate.

use dsp::cpr::Position;
use dsp::decode::{decode_bytes, Message};
use dsp::gen::encode;
use skyspy::core::safety::{Change, EventType, SafetyConfig, SafetyEngine, Severity};
use skyspy::core::track::{TrackConfig, TrackTable};

const HOME: Position = Position {
    lat: 52.3,
    lon: 4.76,
};

struct World {
    table: TrackTable,
    safety: SafetyEngine,
    changes: Vec<Change>,
}

impl World {
    fn new() -> Self {
        Self {
            table: TrackTable::new(TrackConfig {
                receiver: Some(HOME),
                ..TrackConfig::default()
            }),
            safety: SafetyEngine::new(SafetyConfig::default()),
            changes: Vec::new(),
        }
    }

    fn feed(&mut self, m: &Message, now: f64) {
        let a = self.table.ingest(m, -10.0, now);
        self.safety.on_message(a, m, now, &mut self.changes);
    }

    fn reply(&mut self, r: encode::Reply, icao: u32, now: f64) {
        let m = decode_bytes(r.data(), icao);
        self.feed(&m, now);
    }

    /// An aircraft at `pos`, `alt` ft, flying east at `v_east` kt: both CPR halves and a velocity.
    fn fly(&mut self, icao: u32, pos: Position, alt: i32, v_east: f64, now: f64) {
        self.reply(encode::airborne_position(icao, pos, alt, false), icao, now);
        self.reply(
            encode::airborne_position(icao, pos, alt, true),
            icao,
            now + 0.01,
        );
        self.reply(encode::velocity(icao, v_east, 0.0, 0), icao, now + 0.02);
    }

    fn tick(&mut self, now: f64) {
        self.safety.tick(&self.table, now, &mut self.changes);
    }

    fn take(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }
}

fn of_type(changes: &[Change], t: EventType) -> Vec<&Change> {
    changes
        .iter()
        .filter(|c| match c {
            Change::Raised(e) | Change::Updated(e) | Change::Resolved(e) => e.event_type == t,
        })
        .collect()
}

#[test]
fn converging_pair_raises_escalates_and_resolves_a_conflict() {
    let mut w = World::new();
    // 6 NM apart on one latitude, 300 ft apart, closing head-on at 480 kt: CPA in 45 s.
    let lat: f64 = 52.4;
    let dlon = 6.0 / (60.0 * lat.to_radians().cos());
    let (a, b) = (0x484001, 0x484002);
    let mut raised = None;
    let mut escalated = false;
    let mut t = 0.0;
    while t <= 90.0 {
        let x = 240.0 * t / 3600.0 / (60.0 * lat.to_radians().cos());
        w.fly(a, Position { lat, lon: 4.0 + x }, 10000, 240.0, t);
        w.fly(
            b,
            Position {
                lat,
                lon: 4.0 + dlon - x,
            },
            10300,
            -240.0,
            t,
        );
        w.tick(t + 0.1);
        for c in w.take() {
            match c {
                Change::Raised(e) if e.event_type == EventType::ProximityConflict => {
                    assert_eq!(
                        (e.icao.as_str(), e.icao_2.as_deref()),
                        ("484001", Some("484002"))
                    );
                    assert_eq!(
                        e.severity,
                        Severity::Warning,
                        "first raised ahead of time: {e:?}"
                    );
                    // Inside 0.5 NM from 41.25 s on: first predicted when t + 35 s reaches it.
                    assert!((6.0..=8.0).contains(&t), "raised at {t} s");
                    raised = Some(e.id);
                }
                Change::Updated(e) if e.event_type == EventType::ProximityConflict => {
                    assert_eq!(Some(e.id), raised);
                    if e.severity == Severity::Critical {
                        assert!(t >= 30.0, "critical within 15 s of the CPA, at {t} s");
                        escalated = true;
                    }
                }
                Change::Resolved(e) if e.event_type == EventType::ProximityConflict => {
                    assert!(t > 45.0, "resolved once they have passed, at {t} s");
                    assert_eq!(Some(e.id), raised);
                    assert!(
                        escalated,
                        "escalated to critical before the closest approach"
                    );
                    return;
                }
                _ => {}
            }
        }
        t += 1.0;
    }
    panic!("the conflict was not raised and resolved (raised: {raised:?})");
}

#[test]
fn squawk_7700_raises_resolves_and_respects_the_cooldown() {
    let mut w = World::new();
    let icao = 0x3C6586;
    w.reply(encode::identity_reply(icao, 7700), icao, 0.0);
    let c = w.take();
    let raised = of_type(&c, EventType::SquawkEmergency);
    assert!(
        matches!(raised[..], [Change::Raised(e)] if e.severity == Severity::Critical && e.message == "squawk 7700")
    );
    w.reply(encode::identity_reply(icao, 7700), icao, 1.0);
    assert!(
        of_type(&w.take(), EventType::SquawkEmergency).is_empty(),
        "no repeat while active"
    );
    w.reply(encode::identity_reply(icao, 1200), icao, 5.0);
    let c = w.take();
    assert!(
        matches!(of_type(&c, EventType::SquawkEmergency)[..], [Change::Resolved(e)] if e.resolved_at == Some(5.0))
    );
    w.reply(encode::identity_reply(icao, 7700), icao, 20.0);
    assert!(
        of_type(&w.take(), EventType::SquawkEmergency).is_empty(),
        "cooldown: 60 s"
    );
    w.tick(70.0);
    w.reply(encode::identity_reply(icao, 7700), icao, 70.5);
    assert_eq!(
        of_type(&w.take(), EventType::SquawkEmergency).len(),
        1,
        "raised again after the cooldown"
    );
}

#[test]
fn hijack_and_radio_failure_squawks_have_their_own_events() {
    let mut w = World::new();
    for (icao, code, t, sev) in [
        (0x400001, 7500, EventType::SquawkHijack, Severity::Critical),
        (
            0x400002,
            7600,
            EventType::SquawkRadioFailure,
            Severity::Warning,
        ),
    ] {
        w.reply(encode::identity_reply(icao, code), icao, 0.0);
        let c = w.take();
        assert!(
            matches!(of_type(&c, t)[..], [Change::Raised(e)] if e.severity == sev && e.icao == format!("{icao:06x}"))
        );
        w.reply(encode::identity_reply(icao, 2000), icao, 1.0);
        assert!(matches!(of_type(&w.take(), t)[..], [Change::Resolved(_)]));
    }
}

#[test]
fn acas_ra_pair_from_the_aircraft_own_reports() {
    let mut w = World::new();
    // DF16 with an active corrective, downward RA against 0xABCDEF (tests/oracle/vectors.txt).
    let df16 = decode_bytes(&hex("80e1983830a00206af37bce246c2"), 0x4840D6);
    let commb = decode_bytes(&hex("a000183830a00206af37bc9aa96f"), 0x4840D6);
    w.feed(&df16, 0.0);
    let c = w.take();
    let ra = of_type(&c, EventType::AcasRa);
    let Change::Raised(e) = ra[0] else {
        panic!("{c:?}")
    };
    assert_eq!(e.details["threat_icao"], "abcdef");
    assert_eq!(e.details["sense"], "preventive");
    w.feed(&commb, 2.0);
    assert!(
        of_type(&w.take(), EventType::AcasRa).is_empty(),
        "the Comm-B report continues the same RA"
    );
    w.tick(10.0);
    assert!(w.take().is_empty());
    w.tick(23.0);
    assert!(
        matches!(
            of_type(&w.take(), EventType::AcasRa)[..],
            [Change::Resolved(_)]
        ),
        "over after 20 s without a report"
    );
}

#[test]
fn emergency_status_and_extreme_vertical_rate() {
    let mut w = World::new();
    let icao = 0x400123;
    w.reply(encode::emergency_status(icao, 3, 7700), icao, 0.0);
    let c = w.take();
    assert!(
        matches!(of_type(&c, EventType::EmergencyStatus)[..], [Change::Raised(e)] if e.details["emergency"] == "minfuel")
    );
    w.reply(encode::emergency_status(icao, 0, 1200), icao, 3.0);
    assert!(matches!(
        of_type(&w.take(), EventType::EmergencyStatus)[..],
        [Change::Resolved(_)]
    ));
    w.reply(encode::velocity(icao, 300.0, 0.0, -7040), icao, 4.0);
    assert!(
        matches!(of_type(&w.take(), EventType::ExtremeVs)[..], [Change::Raised(e)] if e.severity == Severity::Warning)
    );
    w.reply(encode::velocity(icao, 300.0, 0.0, -9600), icao, 5.0);
    assert!(
        matches!(of_type(&w.take(), EventType::ExtremeVs)[..], [Change::Updated(e)] if e.severity == Severity::Critical)
    );
    w.reply(encode::velocity(icao, 300.0, 0.0, -1000), icao, 6.0);
    assert!(matches!(
        of_type(&w.take(), EventType::ExtremeVs)[..],
        [Change::Resolved(_)]
    ));
}

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}
