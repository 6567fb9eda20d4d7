//! The payload parsers of every namespace under arbitrary input: any JSON, as any request
//! type, with any params, against a live core (`skyspy::fuzz::Api`, the fixture the fuzz
//! target runs on). Nothing panics or hangs, every refusal carries one of the protocol's
//! error codes, and an anonymous client changes nothing.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use skyspy::api::fuzz::TYPES;

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

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_payload_gets_a_typed_answer(req in request(), head in any::<u8>(), garbage in any::<bool>()) {
        thread_local!(static API: skyspy::fuzz::Api = skyspy::fuzz::Api::new());
        let mut data = vec![head];
        if garbage {
            // Cut short: the not-JSON path.
            let text = req.to_string();
            data.extend_from_slice(&text.as_bytes()[..text.len() / 2]);
        } else {
            data.extend(serde_json::to_vec(&req).expect("JSON"));
        }
        API.with(|api| api.payload(&data));
    }
}
