//! Every payload parser of the four namespaces on arbitrary input, for the fuzz target and
//! the property test that share it (`crate::fuzz`). Socket.IO hands a handler whatever JSON a
//! client sent; these are the functions that take it apart. None may panic, every refusal is
//! one of the protocol's error codes with a short message, and an anonymous client changes
//! nothing.

use super::requests::{self, ApiError};
use super::{audio_ns, cannonball_ns, main_ns, Hub};
use serde_json::{json, Value};

/// The request types of `/` (and one that is not).
pub const TYPES: [&str; 18] = [
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

/// The error codes protocol.md lists.
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

/// An error as the protocol allows it: a listed code and a message that says something.
/// (Messages are clipped to `requests::MAX_MESSAGE` on their way out.)
pub fn check_error(code: &str, message: &str) {
    assert!(CODES.contains(&code), "code {code:?}: {message}");
    assert!(!message.is_empty(), "{code} without a message");
}

/// A request's error, as sent: within the message bound too.
fn check(e: &ApiError) {
    check_error(e.code, &e.message);
    assert!(
        e.message.len() <= requests::MAX_MESSAGE + '…'.len_utf8(),
        "{}: a {}-byte message",
        e.code,
        e.message.len()
    );
}

/// The rules as a client lists them.
async fn rules(hub: &Hub) -> Value {
    requests::handle(hub, true, &json!({"type": "alert-rules"}))
        .await
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// `data`: the first byte says whether the client holds a token and which request type its
/// params go to; the rest is the payload (JSON when it parses, otherwise the not-JSON path).
pub async fn payload(hub: &Hub, data: &[u8]) {
    let (head, body) = data.split_first().unwrap_or((&0, &[]));
    let authorized = head & 1 == 1;
    let kind = TYPES[usize::from(head >> 1) % TYPES.len()];
    let parsed: Result<Value, String> = serde_json::from_slice(body).map_err(|e| e.to_string());
    let before = rules(hub).await;

    if let Ok(v) = &parsed {
        for request in [
            v.clone(),
            json!({"type": kind, "request_id": 1, "params": v}),
        ] {
            if let Err(e) = requests::handle(hub, authorized, &request).await {
                check(&e);
            }
        }
        if let Value::Object(m) = v {
            if let Err(e) = requests::acars_snapshot(hub, m) {
                check(&e);
            }
        }
        if let Ok(names) = main_ns::topic_names(Some(v)) {
            main_ns::resolve(&names);
        }
        let _ = main_ns::token_of(&Ok::<_, String>(v.clone()));
        if let Err(message) = cannonball_ns::observer_of(Some(v), 25.0) {
            check_error("invalid_params", &message);
        }
        if let Some(r) = cannonball_ns::radius_of(Some(v)) {
            assert!((1.0..=100.0).contains(&r), "radius {r}");
        }
        for kind in ["transmissions", "transmission", "stats", "nothing"] {
            if let Err((code, message)) = audio_ns::answer(hub, kind, v) {
                check_error(code, &message);
            }
        }
    }
    match main_ns::subscribe_params(&parsed) {
        Ok((names, _rates)) => {
            main_ns::resolve(&names);
        }
        Err(e) => check(&e),
    }
    if let Err(message) = audio_ns::topics_of(&parsed) {
        check_error("invalid_params", &message);
    }

    let after = rules(hub).await;
    if !authorized {
        assert_eq!(after, before, "an anonymous client changed the rules");
    }
    // Rules this input created go again, so each input starts from the same few rules and
    // a failure replays from its input alone.
    let kept = ids(&before);
    for id in ids(&after).difference(&kept) {
        let delete = json!({"type": "alert-rule-delete", "params": {"id": id}});
        let _ = requests::handle(hub, true, &delete).await;
    }
}

/// The ids of a rule listing.
fn ids(rules: &Value) -> std::collections::BTreeSet<u64> {
    let list = rules
        .as_array()
        .or_else(|| rules.get("rules").and_then(Value::as_array));
    list.into_iter()
        .flatten()
        .filter_map(|r| r.get("id").and_then(Value::as_u64))
        .collect()
}
