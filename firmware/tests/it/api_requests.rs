//! The request parser under arbitrary input: any JSON, as any request type, with any
//! params, against a live core. It never panics or hangs, answers only with the protocol's
//! error codes, and changes nothing unless the request was well-formed.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use skyspy::api::requests::handle;
use skyspy::api::Hub;
use skyspy::config::{AuthMode, Config};
use skyspy::daemon::Spine;
use skyspy::source::{Source, SourceSet};
use std::sync::Arc;
use std::time::Duration;

const TYPES: [&str; 18] = [
    "aircraft-info",
    "aircraft-info-bulk",
    "aircraft-list",
    "aircraft-snapshot",
    "aircraft-track",
    "safety-events",
    "safety-acknowledge",
    "alert-rules",
    "alert-rule-create",
    "alert-rule-update",
    "alert-rule-delete",
    "alert-rule-toggle",
    "airspace-snapshot",
    "acars-snapshot",
    "stats-summary",
    "receiver-info",
    "system-status",
    "no-such-type",
];

const CODES: [&str; 8] = [
    "invalid_payload",
    "missing_type",
    "unknown_type",
    "invalid_params",
    "not_found",
    "rate_limited",
    "unauthorized",
    "internal",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z~0-9A-F]{0,8}".prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("icao".to_string()),
                    Just("icaos".to_string()),
                    Just("id".to_string()),
                    Just("filters".to_string()),
                    Just("hours".to_string()),
                    Just("limit".to_string()),
                    Just("name".to_string()),
                    Just("conditions".to_string()),
                    Just("enabled".to_string()),
                    "[a-z_]{1,10}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn request() -> impl Strategy<Value = Value> {
    prop_oneof![
        json_value(),
        (prop::sample::select(&TYPES[..]), json_value())
            .prop_map(|(t, p)| json!({"type": t, "request_id": 1, "params": p})),
    ]
}

struct Fixture {
    rt: tokio::runtime::Runtime,
    hub: Arc<Hub>,
    /// Held for as long as the fixture lives: the spine runs until it turns true.
    _stop: tokio::sync::watch::Sender<bool>,
    _spine: Spine,
}

fn fixture() -> Fixture {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut config = Config::default();
    config.api.auth = AuthMode::Hybrid;
    config.api.tokens = vec!["token-123456".into()];
    config.alerts.rules_file =
        std::env::temp_dir().join(format!("skyspy-api-requests-{}.json", std::process::id()));
    let sources = SourceSet(
        Source::all_from_config(&config)
            .unwrap()
            .into_iter()
            .map(|(_, status)| status)
            .collect(),
    );
    // The spine with no source running: the core answers requests on an empty picture.
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let spine = rt.block_on(async move { Spine::start(&config, sources, stop) });
    Fixture {
        rt,
        hub: spine.hub.clone(),
        _stop: stop_tx,
        _spine: spine,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_request_gets_a_typed_answer(req in request(), authorized in any::<bool>()) {
        thread_local!(static F: Fixture = fixture());
        F.with(|f| {
            let rules = |f: &Fixture| {
                f.rt.block_on(handle(&f.hub, true, &json!({"type": "alert-rules"})))
                    .map(|(_, data)| data)
                    .unwrap_or_default()
            };
            let before = rules(f);
            let answer = f.rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(10), handle(&f.hub, authorized, &req)).await
            });
            let answer = answer.expect("answered within 10 s");
            if let Err(e) = answer {
                prop_assert!(CODES.contains(&e.code), "{e:?}");
                prop_assert!(!e.message.is_empty());
                prop_assert!(e.message.len() < 600, "{e:?}");
            }
            // Anonymous clients in hybrid mode never change state.
            if !authorized {
                prop_assert_eq!(rules(f), before);
            }
            Ok(())
        })?;
    }
}
