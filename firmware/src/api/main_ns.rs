//! The main namespace `/`: connect (auth, default subscriptions, first snapshot),
//! subscribe / unsubscribe / resync / ping, and the fallback for unknown events. Requests
//! are in `requests`.
//!
//! Every inbound event takes a token from the client's bucket first; a client over the
//! limit gets one `rate_limited` error a second at most, and its events are dropped without
//! changing anything.

use super::client::{Client, Sent};
use super::requests::{self, ApiError};
use super::wire::{self, Listing};
use super::{lock, Hub, Topic};
use crate::wall::now_ms;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use socketioxide::extract::{AckSender, Event, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::SocketIo;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Most topics named in one subscribe.
const MAX_TOPICS: usize = 32;

pub fn register(io: &SocketIo) {
    io.ns("/", on_connect.with(accept));
}

/// Refusal of a connection; socketioxide sends it as `connect_error {message}`.
#[derive(Debug)]
pub struct Unauthorized;

impl std::fmt::Display for Unauthorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unauthorized")
    }
}

impl std::error::Error for Unauthorized {}

pub fn token_of(auth: &Result<Value, impl std::fmt::Debug>) -> Option<&str> {
    auth.as_ref().ok()?.get("token")?.as_str()
}

/// Runs before the connection is acknowledged (socketioxide spawns the connect handler
/// only after sending the CONNECT packet, so handlers registered there could miss a
/// client's first event): checks the token in `private` mode, then registers the client
/// and its handlers.
async fn accept(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(auth): TryData<Value>,
) -> Result<(), Unauthorized> {
    let authorized = hub.token_valid(token_of(&auth));
    if hub.needs_token(false) && !authorized {
        return Err(Unauthorized);
    }
    let s = &hub.settings;
    let mut client = Client::new(
        socket.clone(),
        authorized,
        s.aircraft_hz,
        s.stats_hz,
        s.batch_window,
        s.client_queue,
        Instant::now(),
    );
    client.join(Topic::Aircraft);
    client.join(Topic::Stats);
    hub.add_client(socket.id, Arc::new(Mutex::new(client)));
    hub.counters.connections.fetch_add(1, Ordering::Relaxed);
    socket.on("subscribe", subscribe);
    socket.on("unsubscribe", unsubscribe);
    socket.on("resync", resync);
    socket.on("ping", ping);
    socket.on("request", request);
    socket.on_fallback(unknown_event);
    socket.on_disconnect(async |socket: SocketRef, State(hub): State<Arc<Hub>>| {
        hub.remove_client(socket.id);
        tracing::debug!(sid = %socket.id, "client disconnected");
    });
    Ok(())
}

/// After the CONNECT packet: the first snapshot (unless the fan-out got there first).
async fn on_connect(socket: SocketRef, State(hub): State<Arc<Hub>>) {
    tracing::debug!(sid = %socket.id, "client connected");
    if let Some(c) = hub.client(socket.id) {
        let mut c = lock(&c);
        if c.needs_snapshot() {
            let w = hub.world();
            c.send_aircraft_snapshot(&w, &mut lock(&hub.cache));
        }
    }
}

/// The client if it may send another event now.
fn admit(hub: &Hub, socket: &SocketRef) -> Option<Arc<Mutex<Client>>> {
    let c = hub.client(socket.id)?;
    {
        let mut g = lock(&c);
        let now = Instant::now();
        if !g.bucket.take(now) {
            hub.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
            if g.last_limited_notice
                .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
            {
                g.last_limited_notice = Some(now);
                send_error(
                    &mut g,
                    None,
                    &ApiError::new(
                        "rate_limited",
                        "too many events: at most 10 per second (burst 30)",
                    ),
                );
            }
            return None;
        }
    }
    Some(c)
}

pub fn send_error(c: &mut Client, request_id: Option<&Value>, e: &ApiError) {
    #[derive(Serialize)]
    struct ErrorPayload<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        request_id: Option<&'a Value>,
        code: &'a str,
        message: &'a str,
    }
    c.emit(
        "error",
        &ErrorPayload {
            request_id,
            code: e.code,
            message: &e.message,
        },
    );
}

fn bad_payload(hub: &Hub, c: &mut Client, e: ApiError) {
    hub.counters.bad_payloads.fetch_add(1, Ordering::Relaxed);
    send_error(c, None, &e);
}

/// The topic names of a `topics` field: a string or an array of strings.
pub(super) fn topic_names(v: Option<&Value>) -> Result<Vec<String>, ApiError> {
    let invalid = |m: &str| Err(ApiError::new("invalid_params", m));
    match v {
        None => invalid("topics is required"),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(a)) if a.len() > MAX_TOPICS => {
            invalid("topics may name at most 32 topics")
        }
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, t)| {
                t.as_str().map(str::to_owned).ok_or_else(|| {
                    ApiError::new("invalid_params", format!("topics[{i}] must be a string"))
                })
            })
            .collect(),
        Some(_) => invalid("topics must be a string or an array of strings"),
    }
}

/// Splits names into known topics ("all" is every topic) and unknown names.
pub(super) fn resolve(names: &[String]) -> (Vec<Topic>, Vec<String>) {
    let mut topics = Vec::new();
    let mut unknown = Vec::new();
    for n in names {
        if n == "all" {
            topics.extend(Topic::ALL);
        } else if let Some(t) = Topic::parse(n) {
            topics.push(t);
        } else {
            unknown.push(n.clone());
        }
    }
    topics.dedup();
    (topics, unknown)
}

fn object(
    data: &Result<Value, impl std::fmt::Display>,
) -> Result<&serde_json::Map<String, Value>, ApiError> {
    match data {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::new(
            "invalid_payload",
            "payload must be a JSON object",
        )),
        Err(e) => Err(ApiError::new(
            "invalid_payload",
            format!("payload is not JSON: {e}"),
        )),
    }
}

/// A `subscribe` payload's topic names, and the rate (Hz) it asks for by topic name.
pub(super) type Subscription = (Vec<String>, Vec<(String, f64)>);

/// What a `subscribe` payload asks for.
pub(super) fn subscribe_params(
    data: &Result<Value, impl std::fmt::Display>,
) -> Result<Subscription, ApiError> {
    let m = object(data)?;
    let names = topic_names(m.get("topics"))?;
    let rates = match m.get("rates") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(r)) => r
            .iter()
            .map(|(k, v)| match v.as_f64() {
                Some(hz) if hz > 0.0 => Ok((k.clone(), hz)),
                _ => Err(ApiError::new(
                    "invalid_params",
                    format!("rates.{k} must be a positive number (Hz)"),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(ApiError::new("invalid_params", "rates must be an object")),
    };
    Ok((names, rates))
}

async fn subscribe(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(data): TryData<Value>,
    ack: AckSender,
) {
    let Some(c) = admit(&hub, &socket) else {
        return;
    };
    let mut c = lock(&c);
    let (names, rates) = match subscribe_params(&data) {
        Ok(p) => p,
        Err(e) => return bad_payload(&hub, &mut c, e),
    };
    let (topics, unknown) = resolve(&names);
    let mut applied = serde_json::Map::new();
    for (name, hz) in rates {
        if let Some(t) = Topic::parse(&name) {
            if let Some(r) = c.set_rate(t, hz) {
                applied.insert(name, json!((r * 1000.0).round() / 1000.0));
            }
        }
    }
    let joined: Vec<Topic> = topics.iter().copied().filter(|t| c.join(*t)).collect();
    let reply = json!({
        "topics": c.topics(),
        "joined": joined.iter().map(|t| t.name()).collect::<Vec<_>>(),
        "denied": Vec::<String>::new(),
        "unknown": unknown,
        "rates": applied,
    });
    c.emit("subscribed", &reply);
    // An ack callback gets the same object; a failed ack only means it was not asked for.
    let _ = ack.send(&reply);
    for t in joined {
        send_snapshot(&hub, &mut c, t);
    }
}

async fn unsubscribe(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(data): TryData<Value>,
) {
    let Some(c) = admit(&hub, &socket) else {
        return;
    };
    let mut c = lock(&c);
    let names = match object(&data).and_then(|m| topic_names(m.get("topics"))) {
        Ok(n) => n,
        Err(e) => return bad_payload(&hub, &mut c, e),
    };
    let (topics, unknown) = resolve(&names);
    let mut removed = Vec::new();
    for t in topics {
        if c.subscribed(t) {
            c.leave(t);
            removed.push(t.name());
        }
    }
    let reply = json!({"topics": removed, "remaining": c.topics(), "unknown": unknown});
    c.emit("unsubscribed", &reply);
}

async fn resync(socket: SocketRef, State(hub): State<Arc<Hub>>, TryData(data): TryData<Value>) {
    let Some(c) = admit(&hub, &socket) else {
        return;
    };
    let mut c = lock(&c);
    let topic = match object(&data) {
        Err(e) => Err(e),
        Ok(m) => match m.get("topic").and_then(Value::as_str) {
            None => Err(ApiError::new(
                "invalid_params",
                "topic must be a topic name",
            )),
            Some(n) => match Topic::parse(n) {
                None => Err(ApiError::new(
                    "invalid_params",
                    format!("unknown topic {n:?}"),
                )),
                Some(t) if !c.subscribed(t) => Err(ApiError::new(
                    "invalid_params",
                    format!("not subscribed to {n:?}"),
                )),
                Some(t) => Ok(t),
            },
        },
    };
    match topic {
        Ok(t) => {
            send_snapshot(&hub, &mut c, t);
        }
        Err(e) => bad_payload(&hub, &mut c, e),
    }
}

async fn ping(socket: SocketRef, State(hub): State<Arc<Hub>>, TryData(data): TryData<Value>) {
    let Some(c) = admit(&hub, &socket) else {
        return;
    };
    let server_time = now_ms();
    let timestamp = data
        .ok()
        .and_then(|d| d.get("timestamp").and_then(Value::as_f64))
        .map_or(json!(server_time), |t| json!(t));
    lock(&c).emit(
        "pong",
        &json!({"timestamp": timestamp, "server_time": server_time}),
    );
}

async fn request(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(data): TryData<Value>,
    ack: AckSender,
) {
    let Some(c) = admit(&hub, &socket) else {
        return;
    };
    let data = match data {
        Ok(d) => d,
        Err(e) => {
            let e = ApiError::new("invalid_payload", format!("payload is not JSON: {e}"));
            return bad_payload(&hub, &mut lock(&c), e);
        }
    };
    let authorized = lock(&c).authorized;
    let request_id = data.get("request_id").cloned();
    match requests::handle(&hub, authorized, &data).await {
        Ok((kind, result)) => {
            let reply = json!({"request_id": request_id, "request_type": kind, "data": result});
            lock(&c).emit("response", &reply);
            let _ = ack.send(&reply);
        }
        Err(e) => {
            if e.code == "invalid_payload" || e.code == "missing_type" {
                hub.counters.bad_payloads.fetch_add(1, Ordering::Relaxed);
            }
            send_error(&mut lock(&c), request_id.as_ref(), &e);
            let _ = ack.send(
                &json!({"request_id": request_id, "error": {"code": e.code, "message": e.message}}),
            );
        }
    }
}

async fn unknown_event(socket: SocketRef, State(hub): State<Arc<Hub>>, Event(event): Event) {
    let Some(c) = admit(&hub, &socket) else {
        return;
    };
    let name: String = event.chars().take(64).collect();
    let e = ApiError::new("unknown_type", format!("unknown event {name:?}"));
    bad_payload(&hub, &mut lock(&c), e);
}

/// Sends a topic's snapshot to one client.
pub fn send_snapshot(hub: &Hub, c: &mut Client, t: Topic) -> Sent {
    let timestamp = now_ms();
    match t {
        Topic::Aircraft => {
            let w = hub.world();
            c.send_aircraft_snapshot(&w, &mut lock(&hub.cache))
        }
        Topic::Stats => c.send_stats_now(hub.stats_now().as_ref().map(|(v, d)| (*v, d))),
        Topic::Safety => {
            let open = hub.links.safety.borrow().clone();
            let events: Vec<Arc<RawValue>> = open.iter().map(|e| wire::raw(e).into()).collect();
            c.emit("safety:snapshot", &Listing("events", &events, timestamp))
        }
        Topic::Alerts => {
            let alerts: Vec<Arc<RawValue>> = lock(&hub.recent_alerts).iter().cloned().collect();
            c.emit("alert:snapshot", &Listing("alerts", &alerts, timestamp))
        }
        // The newest messages (empty with no VHF source).
        Topic::Acars => c.emit(
            "acars:snapshot",
            &*hub.acars_snapshot(super::ACARS_SNAPSHOT, None),
        ),
        // From FIS-B uplinks (a 978 MHz source); empty until the first product arrives.
        Topic::Airspace => match lock(&hub.airspace).as_ref().map(|(_, e)| e.clone()) {
            Some(snapshot) => c.emit("airspace:snapshot", &*snapshot),
            None => c.emit(
                "airspace:snapshot",
                &json!({"notams": [], "tfrs": [], "advisories": [], "count": 0, "timestamp": timestamp}),
            ),
        },
    }
}
