//! `request {type, request_id, params}` → `response {request_id, request_type, data}` or
//! `error {request_id, code, message}` (protocol.md "Request types", "Errors").
//!
//! Each request type is one function; parameters are checked before anything is read or
//! changed, and the message of an `invalid_params` error names the parameter.

use super::wire::{self, RecordJson, SafetyEventListed, TrailPointJson};
use super::{lock, Hub};
use crate::core::alerts::rule::RuleSpec;
use crate::core::alerts::service::RuleCmd;
use crate::core::alerts::store::StoreError;
use crate::core::picture::AltBaro;
use crate::core::track::TrackKey;
use crate::core::Cmd;
use crate::wall::now_ms;
use serde_json::{json, Map, Value};
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::oneshot;

/// How long a request waits for the core before answering `internal`.
const CORE_TIMEOUT: Duration = Duration::from_secs(5);

/// A typed error for the client.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: clipped(message.into()),
        }
    }
}

/// The longest error message sent, in bytes: messages quote what the client sent (a field
/// name, an operator), and a client may send a long one.
pub const MAX_MESSAGE: usize = 300;

/// `message` cut to [`MAX_MESSAGE`] bytes at a character boundary, marked with "…".
pub fn clipped(mut message: String) -> String {
    if message.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push('…');
    }
    message
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new("invalid_params", message)
}

type Reply = Result<Value, ApiError>;

/// Runs one request; returns its type and result.
pub async fn handle(
    hub: &Hub,
    authorized: bool,
    data: &Value,
) -> Result<(String, Value), ApiError> {
    let Value::Object(req) = data else {
        return Err(ApiError::new(
            "invalid_payload",
            "payload must be a JSON object",
        ));
    };
    let kind = match req.get("type") {
        None | Some(Value::Null) => return Err(ApiError::new("missing_type", "type is required")),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(ApiError::new("invalid_payload", "type must be a string")),
    };
    let empty = Map::new();
    let params = match req.get("params") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(p)) => p,
        Some(_) => return Err(invalid("params must be an object")),
    };
    let changes_state = matches!(
        kind.as_str(),
        "safety-acknowledge"
            | "alert-rule-create"
            | "alert-rule-update"
            | "alert-rule-delete"
            | "alert-rule-toggle"
    );
    if changes_state && hub.needs_token(true) && !authorized {
        return Err(ApiError::new(
            "unauthorized",
            format!("{kind} changes state: connect with a valid auth.token"),
        ));
    }
    let p = params;
    let data = match kind.as_str() {
        "aircraft-info" => aircraft_info(hub, p),
        "aircraft-info-bulk" => aircraft_info_bulk(hub, p),
        "aircraft-list" => aircraft_list(hub, p),
        "aircraft-snapshot" => Ok(aircraft_snapshot(hub)),
        "aircraft-track" => aircraft_track(hub, p).await,
        "safety-events" => safety_events(hub, p).await,
        "safety-acknowledge" => safety_acknowledge(hub, p).await,
        "alert-rules" => ask_rules(hub, RuleCmd::List)
            .await
            .map(|r| json!({"rules": r, "count": r.len()})),
        "alert-rule-create" => alert_create(hub, p).await,
        "alert-rule-update" => alert_update(hub, p).await,
        "alert-rule-delete" => alert_delete(hub, p).await,
        "alert-rule-toggle" => alert_toggle(hub, p).await,
        "airspace-snapshot" => Ok(match lock(&hub.airspace).as_ref() {
            Some((snapshot, _)) => json!(**snapshot),
            None => json!({"notams": [], "tfrs": [], "advisories": [], "count": 0,
                "timestamp": now_ms()}),
        }),
        "acars-snapshot" => acars_snapshot(hub, p),
        "stats-summary" => ask(hub, Cmd::StatsSummary).await.map(|s| json!(s)),
        "receiver-info" => Ok(receiver_info(hub)),
        "system-status" => Ok(system_status(hub)),
        other => {
            let name: String = other.chars().take(64).collect();
            return Err(ApiError::new(
                "unknown_type",
                format!("unknown request type {name:?}"),
            ));
        }
    }?;
    Ok((kind, data))
}

/// Sends a command to the core and waits for its answer.
async fn ask<T>(hub: &Hub, make: impl FnOnce(oneshot::Sender<T>) -> Cmd) -> Result<T, ApiError> {
    let (tx, rx) = oneshot::channel();
    let gone = || ApiError::new("internal", "the receiver core is not answering");
    hub.links.core.send(make(tx)).await.map_err(|_| gone())?;
    tokio::time::timeout(CORE_TIMEOUT, rx)
        .await
        .map_err(|_| gone())?
        .map_err(|_| gone())
}

/// Sends a request to the alert rules' owner and waits for its answer.
async fn ask_rules<T>(
    hub: &Hub,
    make: impl FnOnce(oneshot::Sender<T>) -> RuleCmd,
) -> Result<T, ApiError> {
    let (tx, rx) = oneshot::channel();
    let gone = || ApiError::new("internal", "the alert rules' store is not answering");
    hub.links.rules.send(make(tx)).await.map_err(|_| gone())?;
    tokio::time::timeout(CORE_TIMEOUT, rx)
        .await
        .map_err(|_| gone())?
        .map_err(|_| gone())
}

/// `params.icao` as a track key (any case, `~` for non-ICAO).
fn icao_param(p: &Map<String, Value>) -> Result<TrackKey, ApiError> {
    let bad = || invalid("params.icao must be 6 hex digits");
    let s = p.get("icao").and_then(Value::as_str).ok_or_else(bad)?;
    TrackKey::from_hex(s).ok_or_else(bad)
}

fn id_param(p: &Map<String, Value>) -> Result<u64, ApiError> {
    p.get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid("params.id must be a positive integer"))
}

fn number_param(
    p: &Map<String, Value>,
    key: &str,
    default: f64,
    range: (f64, f64),
) -> Result<f64, ApiError> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_f64() {
            Some(x) if x >= range.0 && x <= range.1 => Ok(x),
            _ => Err(invalid(format!(
                "params.{key} must be a number from {} to {}",
                range.0, range.1
            ))),
        },
    }
}

fn aircraft_info(hub: &Hub, p: &Map<String, Value>) -> Reply {
    let key = icao_param(p)?;
    let w = hub.world();
    w.get(&key)
        .map(|r| json!(RecordJson::whole(r)))
        .ok_or_else(|| ApiError::new("not_found", format!("no aircraft {} in range", key.hex())))
}

fn aircraft_info_bulk(hub: &Hub, p: &Map<String, Value>) -> Reply {
    let list = p
        .get("icaos")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("params.icaos must be an array of up to 100 hex addresses"))?;
    if list.len() > 100 {
        return Err(invalid("params.icaos may hold at most 100 addresses"));
    }
    let w = hub.world();
    let mut found = Map::new();
    let mut missing = Vec::new();
    for (i, v) in list.iter().enumerate() {
        let key = v
            .as_str()
            .and_then(TrackKey::from_hex)
            .ok_or_else(|| invalid(format!("params.icaos[{i}] must be 6 hex digits")))?;
        match w.get(&key) {
            Some(r) => {
                found.insert(key.hex(), json!(RecordJson::whole(r)));
            }
            None => missing.push(key.hex()),
        }
    }
    Ok(json!({"aircraft": found, "missing": missing}))
}

/// Filters of `aircraft-list`; every key is optional.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Filters {
    min_altitude: Option<f64>,
    max_altitude: Option<f64>,
    has_position: Option<bool>,
    max_distance_nm: Option<f64>,
    /// Callsign prefix, any case.
    callsign: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    source_band: Option<String>,
}

fn aircraft_list(hub: &Hub, p: &Map<String, Value>) -> Reply {
    let f: Filters = match p.get("filters") {
        None | Some(Value::Null) => Filters::default(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| invalid(format!("params.filters: {e}")))?,
    };
    let w = hub.world();
    let list: Vec<Value> = w
        .records()
        .filter(|r| {
            let alt = match r.alt_baro {
                Some(AltBaro::Feet(ft)) => Some(f64::from(ft)),
                _ => None,
            };
            f.min_altitude.is_none_or(|m| alt.is_some_and(|a| a >= m))
                && f.max_altitude.is_none_or(|m| alt.is_some_and(|a| a <= m))
                && f.has_position.is_none_or(|h| r.lat.is_some() == h)
                && f.max_distance_nm
                    .is_none_or(|m| r.distance_nm.is_some_and(|d| d <= m))
                && f.callsign.as_ref().is_none_or(|c| {
                    r.flight.as_ref().is_some_and(|fl| {
                        fl.to_ascii_uppercase().starts_with(&c.to_ascii_uppercase())
                    })
                })
                && f.kind.as_deref().is_none_or(|k| r.kind == k)
                && f.source_band.as_deref().is_none_or(|b| r.source_band == b)
        })
        .map(|r| json!(RecordJson::whole(r)))
        .collect();
    Ok(json!({"count": list.len(), "aircraft": list, "timestamp": w.timestamp_ms}))
}

fn aircraft_snapshot(hub: &Hub) -> Value {
    let w = hub.world();
    json!({"aircraft": wire::snapshot_records(&w), "count": w.aircraft.len(),
           "timestamp": w.timestamp_ms, "version": w.version})
}

async fn aircraft_track(hub: &Hub, p: &Map<String, Value>) -> Reply {
    let key = icao_param(p)?;
    let hex = key.hex();
    match ask(hub, |tx| Cmd::Track(key, tx)).await? {
        Some(points) => {
            let points: Vec<TrailPointJson> = points.iter().map(TrailPointJson::from).collect();
            Ok(json!({"icao": hex, "count": points.len(), "positions": points}))
        }
        None => Err(ApiError::new(
            "not_found",
            format!("no aircraft {hex} in range"),
        )),
    }
}

async fn safety_events(hub: &Hub, p: &Map<String, Value>) -> Reply {
    let hours = number_param(p, "hours", 24.0, (0.0, 168.0))?;
    let limit = number_param(p, "limit", 100.0, (1.0, 1000.0))? as usize;
    let events = ask(hub, |reply| Cmd::SafetyEvents {
        hours,
        limit,
        reply,
    })
    .await?;
    let events: Vec<SafetyEventListed> = events
        .iter()
        .map(|(event, acknowledged)| SafetyEventListed {
            event,
            acknowledged: *acknowledged,
        })
        .collect();
    Ok(json!({"count": events.len(), "events": events}))
}

async fn safety_acknowledge(hub: &Hub, p: &Map<String, Value>) -> Reply {
    let id = id_param(p)?;
    if ask(hub, |tx| Cmd::SafetyAcknowledge(id, tx)).await? {
        Ok(json!({"id": id, "acknowledged": true}))
    } else {
        Err(ApiError::new(
            "not_found",
            format!("no safety event with id {id}"),
        ))
    }
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid(m) => invalid(m),
        StoreError::NotFound(id) => {
            ApiError::new("not_found", format!("no alert rule with id {id}"))
        }
        StoreError::Write { .. } => {
            // The client (a token holder where the mode asks for one) is told why: a full or
            // read-only card is something its user can fix.
            tracing::error!("{e}");
            ApiError::new(
                "internal",
                format!("the change was not saved, the rules are as they were: {e}"),
            )
        }
    }
}

fn rule_param(p: &Map<String, Value>) -> Result<RuleSpec, ApiError> {
    let mut spec = p.clone();
    spec.remove("id");
    serde_json::from_value(Value::Object(spec)).map_err(|e| invalid(format!("params: {e}")))
}

async fn alert_create(hub: &Hub, p: &Map<String, Value>) -> Reply {
    let spec = rule_param(p)?;
    let r = ask_rules(hub, |tx| RuleCmd::Create(spec, tx)).await?;
    r.map(|s| json!(s)).map_err(store_error)
}

async fn alert_update(hub: &Hub, p: &Map<String, Value>) -> Reply {
    let id = id_param(p)?;
    let spec = rule_param(p)?;
    let r = ask_rules(hub, |tx| RuleCmd::Update(id, spec, tx)).await?;
    r.map(|s| json!(s)).map_err(store_error)
}

async fn alert_delete(hub: &Hub, p: &Map<String, Value>) -> Reply {
    let id = id_param(p)?;
    let r = ask_rules(hub, |tx| RuleCmd::Delete(id, tx)).await?;
    r.map(|()| json!({"id": id, "deleted": true}))
        .map_err(store_error)
}

async fn alert_toggle(hub: &Hub, p: &Map<String, Value>) -> Reply {
    let id = id_param(p)?;
    let enabled = match p.get("enabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(invalid("params.enabled must be true or false")),
    };
    let r = ask_rules(hub, |tx| RuleCmd::Toggle(id, enabled, tx)).await?;
    r.map(|s| json!(s)).map_err(store_error)
}

/// `acars-snapshot {limit?, icao?}`: the newest messages (50 unless `limit`, at most 1000),
/// of one aircraft if `icao` is given.
pub fn acars_snapshot(hub: &Hub, p: &Map<String, Value>) -> Reply {
    let limit = number_param(p, "limit", 50.0, (1.0, 1000.0))? as usize;
    let icao = match p.get("icao") {
        None | Some(Value::Null) => None,
        Some(_) => Some(icao_param(p)?),
    };
    serde_json::from_str(hub.acars_snapshot(limit, icao).get())
        .map_err(|e| ApiError::new("internal", format!("acars snapshot: {e}")))
}

fn receiver_info(hub: &Hub) -> Value {
    let (lat, lon) = hub.settings.receiver;
    json!({
        "lat": lat,
        "lon": lon,
        "version": env!("CARGO_PKG_VERSION"),
        "bands": hub.links.sources.bands(),
        "sources": hub.links.sources.reports(),
        "auth": hub.settings.auth,
        "rates": {"aircraft_hz": hub.settings.aircraft_hz, "stats_hz": hub.settings.stats_hz},
        "batch_window_ms": hub.settings.batch_window.as_millis() as u64,
    })
}

fn system_status(hub: &Hub) -> Value {
    let usage = crate::core::stats::process_usage();
    let c = &hub.links.core_counters;
    let a = &hub.counters;
    json!({
        "server_time": now_ms(),
        "uptime_s": hub.started.elapsed().as_secs(),
        "version": env!("CARGO_PKG_VERSION"),
        "process": usage,
        "clients": hub.client_count(),
        "sends_refused": hub.clients().iter().map(|c| super::lock(c).refused).sum::<u64>(),
        "connections_total": a.connections.load(Ordering::Relaxed),
        "rate_limited_events": a.rate_limited.load(Ordering::Relaxed),
        "bad_payloads": a.bad_payloads.load(Ordering::Relaxed),
        "core": {
            "blocks": c.blocks.load(Ordering::Relaxed),
            "messages": c.messages.load(Ordering::Relaxed),
            "events_dropped": c.events_dropped.load(Ordering::Relaxed),
        },
        "sources": hub.links.sources.reports(),
    })
}
