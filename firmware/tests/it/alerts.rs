//! Alert rules: every condition type (a geofence crossing among them), precise validation
//! errors, cooldowns, and persistence across a restart, a corrupt file included.

use dsp::cpr::Position;
use dsp::decode::decode_bytes;
use dsp::gen::encode;
use skyspy::core::alerts::rule::{Rule, RuleSpec};
use skyspy::core::alerts::store::{RuleStore, StoreError};
use skyspy::core::alerts::AlertEngine;
use skyspy::core::track::{TrackConfig, TrackKey, TrackTable};

const HOME: Position = Position {
    lat: 52.3,
    lon: 4.76,
};

fn spec(json: serde_json::Value) -> RuleSpec {
    serde_json::from_value(json).expect("rule JSON")
}

fn one(kind: &str, op: &str, value: serde_json::Value) -> RuleSpec {
    spec(
        serde_json::json!({"name": format!("{kind} {op}"), "cooldown_s": 0,
        "conditions": {"logic": "AND", "groups": [{"logic": "AND", "conditions": [{"type": kind, "operator": op, "value": value}]}]}}),
    )
}

/// A table with one aircraft: KLM1023, squawk 7700, 3,000 ft, 250 kt, −1,200 ft/min, A3,
/// 10 NM north of the receiver.
fn table() -> (TrackTable, TrackKey) {
    let mut t = TrackTable::new(TrackConfig {
        receiver: Some(HOME),
        ..TrackConfig::default()
    });
    let icao = 0x4840D6;
    let pos = Position {
        lat: HOME.lat + 10.0 / 60.0,
        lon: HOME.lon,
    };
    for (r, at) in [
        (encode::identification(icao, 4, 3, "KLM1023"), 0.0),
        (encode::airborne_position(icao, pos, 3000, false), 0.1),
        (encode::airborne_position(icao, pos, 3000, true), 0.2),
        (encode::velocity(icao, 0.0, 250.0, -1216), 0.3),
        (encode::identity_reply(icao, 7700), 0.4),
    ] {
        t.ingest(&decode_bytes(r.data(), icao), -10.0, at);
    }
    (
        t,
        TrackKey {
            address: icao,
            non_icao: false,
        },
    )
}

fn fires(rule: RuleSpec) -> bool {
    let (t, key) = table();
    let rule = Rule::compile(rule).expect("valid rule");
    let a = t.get(&key).expect("track");
    !AlertEngine::new()
        .evaluate(&[rule], a, 1.0, Some(HOME))
        .is_empty()
}

#[test]
fn every_condition_type_matches_and_misses() {
    use serde_json::json;
    let cases = [
        ("icao", "eq", json!("4840D6"), json!("4840d7")),
        ("callsign", "contains", json!("klm"), json!("DLH")),
        ("callsign", "regex", json!("^KLM[0-9]+$"), json!("^DLH")),
        ("squawk", "eq", json!("7700"), json!("1200")),
        ("altitude", "lt", json!(3500), json!(2500)),
        ("speed", "gt", json!(200), json!(300)),
        ("vertical_rate", "le", json!(-1000), json!(-2000)),
        ("category", "eq", json!("A3"), json!("A5")),
        ("emergency", "eq", json!(true), json!(false)),
        ("distance", "le", json!(11), json!(9)),
        (
            "geofence",
            "inside",
            json!({"type": "circle", "lat": 52.47, "lon": 4.76, "radius_nm": 2}),
            json!({"type": "circle", "lat": 51.0, "lon": 4.76, "radius_nm": 2}),
        ),
        (
            "geofence",
            "inside",
            json!({"type": "polygon", "points": [[52.4, 4.6], [52.6, 4.6], [52.6, 4.9], [52.4, 4.9]]}),
            json!({"type": "polygon", "points": [[50.4, 4.6], [50.6, 4.6], [50.6, 4.9]]}),
        ),
    ];
    for (kind, op, hit, miss) in cases {
        assert!(
            fires(one(kind, op, hit.clone())),
            "{kind} {op} {hit} should match"
        );
        assert!(
            !fires(one(kind, op, miss.clone())),
            "{kind} {op} {miss} should not match"
        );
    }
}

#[test]
fn and_or_groups_combine() {
    let r = spec(
        serde_json::json!({"name": "either", "cooldown_s": 0, "conditions": {"logic": "OR", "groups": [
        {"logic": "AND", "conditions": [{"type": "altitude", "operator": "gt", "value": 30000}]},
        {"logic": "AND", "conditions": [{"type": "squawk", "operator": "eq", "value": "7700"},
                                        {"type": "callsign", "operator": "startswith", "value": "KLM"}]}]}}),
    );
    assert!(fires(r.clone()));
    let mut r = r;
    r.conditions.logic = skyspy::core::alerts::rule::Logic::And;
    assert!(!fires(r));
}

#[test]
fn geofence_fires_on_entering_and_leaving_only() {
    let fence = serde_json::json!({"type": "circle", "lat": 52.5, "lon": 4.76, "radius_nm": 3});
    // Ids as the store assigns them: geofence state is kept per rule id and aircraft.
    let (mut e, mut l) = (
        one("geofence", "entering", fence.clone()),
        one("geofence", "leaving", fence),
    );
    (e.id, l.id) = (1, 2);
    let entering = Rule::compile(e).expect("rule");
    let leaving = Rule::compile(l).expect("rule");
    let mut engine = AlertEngine::new();
    let mut t = TrackTable::new(TrackConfig {
        receiver: Some(HOME),
        ..TrackConfig::default()
    });
    let icao = 0x3C6586;
    let key = TrackKey {
        address: icao,
        non_icao: false,
    };
    let mut fired = Vec::new();
    // Flying north at 360 kt (0.1 NM/s) from 6 NM south of the fence centre to 6 NM north.
    for step in 0..=120 {
        let now = f64::from(step);
        let lat = 52.5 + (-6.0 + 0.1 * now) / 60.0;
        let pos = Position { lat, lon: 4.76 };
        let r = encode::airborne_position(icao, pos, 5000, step % 2 == 1);
        t.ingest(&decode_bytes(r.data(), icao), -10.0, now);
        let a = t.get(&key).expect("track");
        for alert in engine.evaluate(&[entering.clone(), leaving.clone()], a, now, Some(HOME)) {
            fired.push((alert.rule_name, step));
        }
    }
    let names: Vec<&str> = fired.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        names,
        ["geofence entering", "geofence leaving"],
        "{fired:?}"
    );
    assert!(
        (29..=32).contains(&fired[0].1) && (89..=92).contains(&fired[1].1),
        "{fired:?}"
    );
}

#[test]
fn cooldown_holds_repeat_alerts() {
    let (t, key) = table();
    let mut r = one("squawk", "eq", serde_json::json!("7700"));
    r.cooldown_s = 60.0;
    let rules = [Rule::compile(r).expect("rule")];
    let mut engine = AlertEngine::new();
    let a = t.get(&key).expect("track");
    assert_eq!(engine.evaluate(&rules, a, 0.0, None).len(), 1);
    assert!(engine.evaluate(&rules, a, 30.0, None).is_empty());
    assert_eq!(engine.evaluate(&rules, a, 61.0, None).len(), 1);
}

#[test]
fn forgetting_an_aircraft_that_left_clears_its_cooldown() {
    let (t, key) = table();
    let mut r = one("squawk", "eq", serde_json::json!("7700"));
    r.cooldown_s = 600.0;
    let rules = [Rule::compile(r).expect("rule")];
    let mut engine = AlertEngine::new();
    let a = t.get(&key).expect("track");
    assert_eq!(engine.evaluate(&rules, a, 0.0, None).len(), 1);
    assert!(engine.evaluate(&rules, a, 10.0, None).is_empty());
    engine.forget(&[key]);
    assert_eq!(
        engine.evaluate(&rules, a, 20.0, None).len(),
        1,
        "no state kept for a departed aircraft"
    );
}

/// The soak found memory growing with every rule created and deleted while aircraft stayed:
/// state per rule and aircraft is kept only where there is some, and goes with its rule.
#[test]
fn rule_state_goes_with_its_rule_and_a_rule_without_fences_keeps_none() {
    let (t, key) = table();
    let a = t.get(&key).expect("track");
    let fence = serde_json::json!({"type": "circle", "lat": 52.5, "lon": 4.76, "radius_nm": 3});
    let mut squawk = one("squawk", "eq", serde_json::json!("7700"));
    let mut high = one("altitude", "gt", serde_json::json!(40000));
    let mut fenced = one("geofence", "inside", fence);
    (squawk.id, high.id, fenced.id) = (1, 2, 3);
    squawk.cooldown_s = 600.0;
    let compile = |s: &RuleSpec| Rule::compile(s.clone()).expect("rule");
    let mut engine = AlertEngine::new();
    // Evaluating a rule that matches nothing and has no geofence leaves nothing behind.
    let rules = vec![compile(&high)];
    assert!(engine.evaluate(&rules, a, 0.0, None).is_empty());
    assert_eq!(
        engine.state_len(),
        0,
        "no state for a rule without geofences"
    );
    // The aircraft squawks 7700 inside the fence: two cooldowns and a geofence memory.
    let rules = vec![compile(&high), compile(&squawk), compile(&fenced)];
    assert_eq!(engine.evaluate(&rules, a, 1.0, Some(HOME)).len(), 2);
    assert_eq!(engine.state_len(), 3);
    // The geofence rule edited: its memory goes (by condition index), the others' stays.
    let mut moved = fenced.clone();
    moved.conditions.groups[0].conditions[0].value =
        serde_json::json!({"type": "circle", "lat": 50.0, "lon": 4.0, "radius_nm": 3});
    let edited = vec![compile(&high), compile(&squawk), compile(&moved)];
    engine.rules_changed(&rules, &edited);
    assert_eq!(
        engine.state_len(),
        2,
        "the cooldowns are kept, the fence memory is not"
    );
    assert!(
        engine.evaluate(&edited, a, 2.0, Some(HOME)).is_empty(),
        "an edit does not restart the cooldown"
    );
    // Rules deleted: their state goes with them.
    engine.rules_changed(&edited, &[compile(&high)]);
    assert_eq!(engine.state_len(), 0);
}

#[test]
fn validation_errors_name_the_field_and_the_problem() {
    use serde_json::json;
    let err = |r: RuleSpec| Rule::compile(r).expect_err("invalid");
    assert_eq!(
        err(one("callsign", "lt", json!("KLM"))),
        "conditions.groups[0].conditions[0].operator: 'lt' does not apply to callsign (use eq, neq, contains, startswith, endswith, regex)"
    );
    assert!(err(one("altitude", "gt", json!("high"))).ends_with("value: altitude needs a number"));
    assert!(
        err(one("colour", "eq", json!("red"))).contains("type: unknown condition type 'colour'")
    );
    assert!(err(one("callsign", "regex", json!("a".repeat(501))))
        .ends_with("regex longer than 500 characters"));
    assert!(err(one("callsign", "regex", json!("(unclosed"))).contains("value: invalid regex"));
    assert!(err(one(
        "geofence",
        "inside",
        json!({"type": "polygon", "points": [[1, 2], [3, 4], [95, 0]]})
    ))
    .ends_with("value.points[2]: must be [lat, lon] on Earth"));
    assert!(err(one("geofence", "near", json!({}))).contains("'near' does not apply to geofence"));
    let mut r = one("icao", "eq", json!("abc123"));
    r.conditions.groups.clear();
    assert_eq!(err(r), "conditions.groups: must hold 1–16 groups");
    let unknown = serde_json::from_value::<RuleSpec>(
        json!({"name": "x", "colour": 1, "conditions": {"logic": "AND", "groups": []}}),
    );
    assert!(unknown
        .expect_err("unknown field")
        .to_string()
        .contains("unknown field `colour`"));
}

#[test]
fn rules_persist_across_a_restart() {
    let dir = std::env::temp_dir().join(format!("skyspy-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("alert-rules.json");
    let _ = std::fs::remove_file(&path);
    let (mut store, warning) = RuleStore::open(&path, 1);
    assert!(warning.is_none());
    let a = store
        .create(one("squawk", "eq", serde_json::json!("7700")))
        .expect("create");
    let b = store
        .create(one("altitude", "lt", serde_json::json!(1000)))
        .expect("create");
    assert_eq!((a.id, b.id), (1, 2));
    store.toggle(1, false).expect("toggle");
    store.delete(2).expect("delete");
    assert!(matches!(store.delete(2), Err(StoreError::NotFound(2))));
    assert!(matches!(
        store.create(one("colour", "eq", serde_json::json!(1))),
        Err(StoreError::Invalid(_))
    ));
    assert!(
        !dir.join("alert-rules.json.tmp").exists(),
        "atomic write leaves no temporary file"
    );
    drop(store);
    let (store, warning) = RuleStore::open(&path, 2);
    assert!(warning.is_none());
    let specs: Vec<_> = store
        .rules()
        .iter()
        .map(|r| (r.spec.id, r.spec.enabled))
        .collect();
    assert_eq!(specs, [(1, false)]);
    let (mut store, _) = RuleStore::open(&path, 3);
    assert_eq!(
        store
            .create(one("icao", "eq", serde_json::json!("abcdef")))
            .expect("create")
            .id,
        2,
        "ids continue"
    );
}

#[test]
fn a_corrupt_rule_file_is_kept_aside_and_reported() {
    let dir = std::env::temp_dir().join(format!("skyspy-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("alert-rules.json");
    std::fs::write(&path, b"{\"version\": 1, \"rules\": [ {\"name\": ").expect("write");
    let (store, warning) = RuleStore::open(&path, 1234);
    assert!(store.rules().is_empty());
    let warning = warning.expect("reported");
    assert!(
        warning.contains("unreadable") && warning.contains("alert-rules.json.corrupt-1234"),
        "{warning}"
    );
    assert!(
        dir.join("alert-rules.json.corrupt-1234").exists(),
        "the bad file is kept"
    );
    assert!(!path.exists());
}

/// The database's conditions, on an aircraft the built-in plane-alert-db knows (a South African
/// Police Service PC-12, a Colombian military C295) and one it does not.
#[test]
fn database_conditions_match_what_the_database_says() {
    use serde_json::json;
    use skyspy::core::aircraft_db::AircraftDb;
    let db = AircraftDb::builtin().leak();
    let mut t = TrackTable::new(TrackConfig {
        receiver: Some(HOME),
        db: Some(db),
        ..TrackConfig::default()
    });
    for icao in [0x0081A9, 0x4840D6, 0x000004] {
        let r = encode::identification(icao, 4, 1, "TEST1");
        t.ingest(&decode_bytes(r.data(), icao), -10.0, 0.0);
    }
    let fires_on = |icao: u32, rule: RuleSpec| {
        let rule = Rule::compile(rule).expect("valid rule");
        let key = TrackKey {
            address: icao,
            non_icao: false,
        };
        let a = t.get(&key).expect("track");
        !AlertEngine::new()
            .evaluate(&[rule], a, 1.0, Some(HOME))
            .is_empty()
    };
    let cases = [
        ("registration", "eq", json!("ZS-APS")),
        ("aircraft_type", "eq", json!("pc12")),
        ("operator", "contains", json!("police")),
        ("military", "eq", json!(false)),
    ];
    for (kind, op, value) in cases {
        assert!(
            fires_on(0x0081A9, one(kind, op, value.clone())),
            "{kind} {op} {value}"
        );
        // Not in the database: no registration, type or operator to match.
        let unknown_fires = fires_on(0x4840D6, one(kind, op, value.clone()));
        assert_eq!(
            unknown_fires,
            kind == "military",
            "{kind} on an unknown aircraft"
        );
    }
    assert!(!fires_on(0x0081A9, one("military", "eq", json!(true))));
    // A Colombian Aerospace Force C295.
    assert!(fires_on(0x000004, one("military", "eq", json!(true))));
}
