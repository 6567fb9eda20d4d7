//! `/cannonball`: one moving client's threats (protocol.md, section `/cannonball`).
//!
//! ```text
//!   connect ─→ session_started {session_id, radius_nm}
//!   position_update {lat, lon, heading?, speed?} (≤ 5/s) ─→ threats {data, count, position, timestamp}
//!   set_radius {radius_nm} ─→ radius_updated {radius_nm}          (clamped 1–100 nm)
//!   get_threats ─→ threats
//!   every second: threat_update when the list changes (membership, level, trend, pattern),
//!                 new_alert {kind, threat} once per aircraft and kind (then the cooldown)
//! ```
//!
//! Each connection has its own [`Session`]; the aircraft of interest come from the core's
//! watch list and the geometry from `core::cannonball::threat`, so sessions never see each
//! other's state. A bad payload answers `error` naming the field and changes nothing.

use super::client::TokenBucket;
use super::main_ns::{token_of, Unauthorized};
use super::{lock, wire, Hub};
use crate::core::cannonball::threat::{self, AlertMemory, Observer, Threat, RADIUS_NM};
use crate::core::cannonball::WatchList;
use dsp::cpr::Position;
use serde_json::{json, Value};
use socketioxide::extract::{AckSender, Event, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::socket::Sid;
use socketioxide::SocketIo;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Position updates a second, at most (the burst is the same: a second's worth).
pub const POSITION_RATE: f64 = 5.0;
/// How often each session looks for changes and alerts.
const TICK: Duration = Duration::from_secs(1);
/// A connection not completed within this long is forgotten.
const CONNECT_GRACE: Duration = Duration::from_secs(10);

/// For `/metrics`.
#[derive(Debug, Default)]
pub struct CannonballCounters {
    pub sessions: AtomicU64,
    pub position_updates: AtomicU64,
    /// Position updates over the rate, dropped.
    pub position_dropped: AtomicU64,
    pub alerts: AtomicU64,
}

/// One connection's state.
#[derive(Debug)]
pub struct Session {
    observer: Option<Observer>,
    radius_nm: f64,
    positions: TokenBucket,
    requests: TokenBucket,
    alerts: AlertMemory,
    /// What the last `threats`/`threat_update` showed.
    shown: Option<threat::Signature>,
    started: Instant,
}

impl Session {
    fn new(now: Instant) -> Self {
        Self {
            observer: None,
            radius_nm: RADIUS_NM.2,
            positions: TokenBucket::new(POSITION_RATE, POSITION_RATE, now),
            requests: TokenBucket::new(10.0, 30.0, now),
            alerts: AlertMemory::default(),
            shown: None,
            started: now,
        }
    }
}

pub type Sessions = HashMap<Sid, Arc<Mutex<Session>>>;

pub fn register(io: &SocketIo) {
    io.ns("/cannonball", connected.with(accept));
}

/// Token check (private mode), then the handlers, before the connection is acknowledged.
async fn accept(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(auth): TryData<Value>,
) -> Result<(), Unauthorized> {
    if hub.needs_token(false) && !hub.token_valid(token_of(&auth)) {
        return Err(Unauthorized);
    }
    let session = Arc::new(Mutex::new(Session::new(Instant::now())));
    lock(&hub.cannonball_sessions).insert(socket.id, session);
    hub.cannonball.sessions.fetch_add(1, Ordering::Relaxed);
    // Started here, not on connect, so a connection that never completes is cleaned up too.
    tokio::spawn(watch(socket.clone(), hub.clone()));
    socket.on("position_update", position_update);
    socket.on("set_radius", set_radius);
    socket.on("get_threats", get_threats);
    socket.on_fallback(unknown_event);
    socket.on_disconnect(async |socket: SocketRef, State(hub): State<Arc<Hub>>| {
        lock(&hub.cannonball_sessions).remove(&socket.id);
    });
    Ok(())
}

async fn connected(socket: SocketRef) {
    emit(
        &socket,
        "session_started",
        &json!({"session_id": socket.id.to_string(), "radius_nm": RADIUS_NM.2}),
    );
}

fn session(hub: &Hub, socket: &SocketRef) -> Option<Arc<Mutex<Session>>> {
    lock(&hub.cannonball_sessions).get(&socket.id).cloned()
}

/// Every second while connected: `threat_update` when the list changed, and the alerts due.
/// Ends, forgetting the session, once the socket is gone (or never finished connecting
/// within [`CONNECT_GRACE`]), whether or not a disconnect handler ran.
async fn watch(socket: SocketRef, hub: Arc<Hub>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let began = Instant::now();
    let mut was_connected = false;
    loop {
        tick.tick().await;
        let connected = socket.connected();
        was_connected |= connected;
        if !connected && (was_connected || began.elapsed() > CONNECT_GRACE) {
            lock(&hub.cannonball_sessions).remove(&socket.id);
            return;
        }
        let Some(session) = session(&hub, &socket) else {
            return;
        };
        let list = hub.links.watch.borrow().clone();
        let mut s = lock(&session);
        if s.observer.is_some() {
            push(&hub, &socket, &mut s, &list, None);
        }
    }
}

/// Sends `threats` (a reply, `event` set) or `threat_update` (on a change), then the alerts
/// due.
fn push(hub: &Hub, socket: &SocketRef, s: &mut Session, list: &WatchList, event: Option<&str>) {
    let Some(me) = s.observer else { return };
    let threats = threat::threats(list, &me);
    let signature = threat::signature(&threats);
    let changed = s.shown.as_ref() != Some(&signature);
    s.shown = Some(signature);
    match event {
        Some(e) => emit(socket, e, &payload(&threats, &me, list)),
        None if changed => emit(socket, "threat_update", &payload(&threats, &me, list)),
        None => {}
    }
    let now = s.started.elapsed().as_secs_f64();
    let cooldown = hub.settings.cannonball_cooldown.as_secs_f64();
    for (kind, t) in s.alerts.due(&threats, now, cooldown) {
        hub.cannonball.alerts.fetch_add(1, Ordering::Relaxed);
        emit(
            socket,
            "new_alert",
            &json!({"kind": kind.name(), "threat": wire::threat(t), "timestamp": list.timestamp_ms}),
        );
    }
}

fn payload(threats: &[Threat<'_>], me: &Observer, list: &WatchList) -> Value {
    json!({
        "data": threats.iter().map(wire::threat).collect::<Vec<_>>(),
        "count": threats.len(),
        "position": {
            "lat": me.position.lat,
            "lon": me.position.lon,
            "heading": me.heading,
            "speed": me.speed_kt,
        },
        "radius_nm": me.radius_nm,
        "timestamp": list.timestamp_ms,
    })
}

/// `position_update {lat, lon, heading?, speed?}`: over the rate it is dropped (counted);
/// a bad one answers `error` naming the field and changes nothing.
async fn position_update(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(data): TryData<Value>,
) {
    let Some(session) = session(&hub, &socket) else {
        return;
    };
    let mut s = lock(&session);
    if !s.positions.take(Instant::now()) {
        hub.cannonball
            .position_dropped
            .fetch_add(1, Ordering::Relaxed);
        return;
    }
    let observer = match observer_of(data.ok().as_ref(), s.radius_nm) {
        Ok(o) => o,
        Err(message) => {
            drop(s);
            hub.counters.bad_payloads.fetch_add(1, Ordering::Relaxed);
            error(
                &socket,
                "invalid_params",
                format!("position_update: {message}"),
            );
            return;
        }
    };
    hub.cannonball
        .position_updates
        .fetch_add(1, Ordering::Relaxed);
    s.observer = Some(observer);
    let list = hub.links.watch.borrow().clone();
    push(&hub, &socket, &mut s, &list, Some("threats"));
}

/// The observer a `position_update` describes, or what is wrong with it.
pub fn observer_of(data: Option<&Value>, radius_nm: f64) -> Result<Observer, String> {
    let Some(Value::Object(d)) = data else {
        return Err("takes {lat, lon, heading?, speed?}".into());
    };
    let number = |key: &str, lo: f64, hi: f64, unit: &str| -> Result<Option<f64>, String> {
        match d.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_f64() {
                Some(x) if (lo..=hi).contains(&x) => Ok(Some(x)),
                _ => Err(format!("{key} must be a number within {lo}..{hi}{unit}")),
            },
        }
    };
    let lat = number("lat", -90.0, 90.0, "")?.ok_or("lat is required")?;
    let lon = number("lon", -180.0, 180.0, "")?.ok_or("lon is required")?;
    let heading = number("heading", 0.0, 360.0, " degrees")?;
    let speed_kt = number("speed", 0.0, 1000.0, " knots")?;
    Ok(Observer {
        position: Position { lat, lon },
        heading,
        speed_kt,
        radius_nm,
    })
}

/// The radius a `set_radius {radius_nm}` asks for, clamped to 1–100 nm.
pub fn radius_of(data: Option<&Value>) -> Option<f64> {
    let r = data?.get("radius_nm")?.as_f64()?;
    Some(r.clamp(RADIUS_NM.0, RADIUS_NM.1))
}

/// `set_radius {radius_nm}`: clamped to 1–100 nm.
async fn set_radius(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(data): TryData<Value>,
    ack: AckSender,
) {
    let Some(session) = admit(&hub, &socket) else {
        return;
    };
    let Some(radius) = radius_of(data.ok().as_ref()) else {
        hub.counters.bad_payloads.fetch_add(1, Ordering::Relaxed);
        error(
            &socket,
            "invalid_params",
            "set_radius: radius_nm must be a number (1..100)".into(),
        );
        return;
    };
    let mut s = lock(&session);
    s.radius_nm = radius;
    if let Some(o) = &mut s.observer {
        o.radius_nm = radius;
    }
    drop(s);
    let reply = json!({"radius_nm": radius});
    // The protocol's answer is the event; a client that asked for an ack gets it too.
    let _ = ack.send(&reply);
    emit(&socket, "radius_updated", &reply);
}

/// `get_threats`: the threats now (an empty list before the first position).
async fn get_threats(socket: SocketRef, State(hub): State<Arc<Hub>>) {
    let Some(session) = admit(&hub, &socket) else {
        return;
    };
    let mut s = lock(&session);
    let list = hub.links.watch.borrow().clone();
    if s.observer.is_some() {
        push(&hub, &socket, &mut s, &list, Some("threats"));
    } else {
        emit(
            &socket,
            "threats",
            &json!({"data": [], "count": 0, "position": null, "radius_nm": s.radius_nm,
                    "timestamp": list.timestamp_ms}),
        );
    }
}

/// The session, if the socket is within its request rate (an error sent otherwise).
fn admit(hub: &Hub, socket: &SocketRef) -> Option<Arc<Mutex<Session>>> {
    let session = session(hub, socket)?;
    if lock(&session).requests.take(Instant::now()) {
        return Some(session);
    }
    hub.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
    error(
        socket,
        "rate_limited",
        "too many events: at most 10 per second (burst 30)".into(),
    );
    None
}

async fn unknown_event(socket: SocketRef, Event(event): Event) {
    let name: String = event.chars().take(64).collect();
    error(
        &socket,
        "unknown_type",
        format!("{name:?} is not an event of /cannonball: position_update, set_radius and get_threats are"),
    );
}

fn emit(socket: &SocketRef, event: &str, data: &Value) {
    if let Err(e) = socket.emit(event, data) {
        tracing::debug!(sid = %socket.id, "emit {event} failed: {e}");
    }
}

fn error(socket: &SocketRef, code: &str, message: String) {
    let message = super::requests::clipped(message);
    emit(socket, "error", &json!({"code": code, "message": message}));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_update_names_what_is_wrong() {
        let ok = observer_of(Some(&json!({"lat": 52.0, "lon": 4.5, "heading": 90})), 25.0);
        assert_eq!(ok.map(|o| o.heading), Ok(Some(90.0)));
        for (bad, field) in [
            (json!({"lon": 4.5}), "lat is required"),
            (json!({"lat": "52", "lon": 4.5}), "lat must be a number"),
            (
                json!({"lat": 91, "lon": 4.5}),
                "lat must be a number within -90..90",
            ),
            (
                json!({"lat": 52, "lon": 4.5, "heading": 400}),
                "heading must be",
            ),
            (json!({"lat": 52, "lon": 4.5, "speed": -3}), "speed must be"),
            (json!([52, 4.5]), "takes {lat, lon"),
        ] {
            let e = observer_of(Some(&bad), 25.0).expect_err("refused");
            assert!(e.contains(field), "{bad}: {e}");
        }
        assert!(observer_of(None, 25.0).is_err());
    }
}
