//! `/audio`: airband transmissions, their transcriptions, and live listening.
//!
//! - On connect (a token needed in `private` and `hybrid` mode): `audio:snapshot
//!   {recent_transmissions[], pending_transcriptions, timestamp}`; the socket is subscribed to
//!   `transmissions` (each `audio:transmission` as it is stored).
//! - `subscribe {topics}` / `unsubscribe {topics}`: `transmissions`, `transcriptions`
//!   (`audio:transcription_started|completed|failed`) or `all`; answered `subscribed` /
//!   `unsubscribed` (and to an ack callback).
//! - `request {type, request_id, params}` with type `transmissions {frequency?, limit?}`,
//!   `transmission {id}` or `stats`, answered `response {request_id, request_type, data}`;
//!   the same three as events of their own name answer an ack callback.
//! - `listen {frequency, on}`: the channel's audio as it is demodulated, in `audio:live
//!   {frequency, seq, rate, pcm}` events whose `pcm` is a binary attachment (16-bit
//!   little-endian at 8 kHz), at most `audio.max_listeners` (socket, channel) pairs at once.
//!
//! A transmission's `audio_url` (`/audio/clips/{id}.flac`) is served by [`clip`] under the
//! same rule: in `private` and `hybrid` mode it needs `?token=` or `Authorization: Bearer`.

use super::client::TokenBucket;
use super::main_ns::{token_of, Unauthorized};
use super::requests;
use super::wire::transmission as record;
use super::{lock, Hub};
use crate::voice::store::Clip;
use crate::voice::{clip, VoiceEvent};
use crate::wall::now_ms;
use axum::extract::{Path, State as AxumState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use socketioxide::extract::{AckSender, Event, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::socket::Sid;
use socketioxide::SocketIo;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

/// Transmissions in `audio:snapshot`, and the most a `transmissions` request returns.
pub const SNAPSHOT: usize = 50;
pub const MAX_LIMIT: usize = 500;

const TRANSMISSIONS: u8 = 1;
const TRANSCRIPTIONS: u8 = 2;

/// One `/audio` socket.
pub struct AudioSocket {
    socket: SocketRef,
    topics: u8,
    /// Channels listened to (MHz as configured, in kHz·1000 to compare exactly).
    listening: BTreeSet<u64>,
    bucket: TokenBucket,
}

#[derive(Default)]
pub struct AudioSockets {
    sockets: HashMap<Sid, AudioSocket>,
}

impl AudioSockets {
    fn listeners(&self) -> usize {
        self.sockets.values().map(|s| s.listening.len()).sum()
    }
}

fn key(mhz: f64) -> u64 {
    (mhz * 1e6).round() as u64
}

pub fn register(io: &SocketIo) {
    io.ns("/audio", connected.with(authorize));
}

async fn authorize(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(auth): TryData<Value>,
) -> Result<(), Unauthorized> {
    if hub.needs_token(true) && !hub.token_valid(token_of(&auth)) {
        return Err(Unauthorized);
    }
    lock(&hub.audio_sockets).sockets.insert(
        socket.id,
        AudioSocket {
            socket: socket.clone(),
            topics: TRANSMISSIONS,
            listening: BTreeSet::new(),
            bucket: TokenBucket::new(10.0, 30.0, Instant::now()),
        },
    );
    socket.on("subscribe", subscribe);
    socket.on("unsubscribe", unsubscribe);
    socket.on("request", request);
    socket.on("listen", listen);
    for name in ["transmissions", "transmission", "stats"] {
        socket.on(name, direct);
    }
    socket.on_fallback(unknown_event);
    socket.on_disconnect(async |socket: SocketRef, State(hub): State<Arc<Hub>>| {
        lock(&hub.audio_sockets).sockets.remove(&socket.id);
    });
    Ok(())
}

async fn connected(socket: SocketRef, State(hub): State<Arc<Hub>>) {
    let voice = &hub.links.voice;
    let recent: Vec<Value> = voice.list(None, SNAPSHOT).iter().map(record).collect();
    emit(
        &socket,
        "audio:snapshot",
        &json!({
            "recent_transmissions": recent,
            "pending_transcriptions": voice.pending.load(Ordering::Relaxed),
            "timestamp": now_ms(),
        }),
    );
}

fn emit(socket: &SocketRef, event: &str, data: &impl serde::Serialize) {
    if let Err(e) = socket.emit(event, data) {
        tracing::debug!(sid = %socket.id, "emit {event} failed: {e}");
    }
}

fn error(socket: &SocketRef, request_id: Option<&Value>, code: &str, message: String) {
    let mut e = json!({"code": code, "message": requests::clipped(message)});
    if let Some(id) = request_id {
        e["request_id"] = id.clone();
    }
    emit(socket, "error", &e);
}

/// False (and an error sent) if the socket is over its rate.
fn admit(hub: &Hub, socket: &SocketRef) -> bool {
    let mut sockets = lock(&hub.audio_sockets);
    let Some(s) = sockets.sockets.get_mut(&socket.id) else {
        return false;
    };
    if s.bucket.take(Instant::now()) {
        return true;
    }
    hub.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
    drop(sockets);
    error(
        socket,
        None,
        "rate_limited",
        "too many events: at most 10 per second (burst 30)".into(),
    );
    false
}

/// `topics` as a set of bits, or what was wrong with it.
pub(super) fn topics_of(
    data: &Result<Value, impl std::fmt::Debug>,
) -> Result<(u8, Vec<String>), String> {
    let usage = "takes {topics: \"transmissions\" | \"transcriptions\" | \"all\" | [..]}";
    let topics = data
        .as_ref()
        .ok()
        .and_then(|d| d.get("topics"))
        .ok_or_else(|| usage.to_string())?;
    let names: Vec<&str> = match topics {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => return Err(usage.into()),
    };
    let mut bits = 0;
    let mut unknown = Vec::new();
    for n in names {
        match n {
            "transmissions" => bits |= TRANSMISSIONS,
            "transcriptions" => bits |= TRANSCRIPTIONS,
            "all" => bits |= TRANSMISSIONS | TRANSCRIPTIONS,
            other => unknown.push(other.chars().take(64).collect()),
        }
    }
    Ok((bits, unknown))
}

fn names(bits: u8) -> Vec<&'static str> {
    let mut v = Vec::new();
    if bits & TRANSMISSIONS != 0 {
        v.push("transmissions");
    }
    if bits & TRANSCRIPTIONS != 0 {
        v.push("transcriptions");
    }
    v
}

async fn subscribe(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(data): TryData<Value>,
    ack: AckSender,
) {
    change_topics(socket, hub, data, ack, true);
}

async fn unsubscribe(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(data): TryData<Value>,
    ack: AckSender,
) {
    change_topics(socket, hub, data, ack, false);
}

fn change_topics(
    socket: SocketRef,
    hub: Arc<Hub>,
    data: Result<Value, impl std::fmt::Debug>,
    ack: AckSender,
    join: bool,
) {
    if !admit(&hub, &socket) {
        return;
    }
    let (bits, unknown) = match topics_of(&data) {
        Ok(t) => t,
        Err(usage) => {
            let event = if join { "subscribe" } else { "unsubscribe" };
            return error(&socket, None, "invalid_payload", format!("{event} {usage}"));
        }
    };
    let now = {
        let mut sockets = lock(&hub.audio_sockets);
        let Some(s) = sockets.sockets.get_mut(&socket.id) else {
            return;
        };
        if join {
            s.topics |= bits;
        } else {
            s.topics &= !bits;
        }
        s.topics
    };
    let (event, reply) = if join {
        (
            "subscribed",
            json!({"topics": names(now), "joined": names(bits), "unknown": unknown}),
        )
    } else {
        (
            "unsubscribed",
            json!({"topics": names(bits), "remaining": names(now), "unknown": unknown}),
        )
    };
    emit(&socket, event, &reply);
    let _ = ack.send(&reply);
}

/// A request's answer, or its error code and message.
pub(super) fn answer(
    hub: &Hub,
    kind: &str,
    params: &Value,
) -> Result<Value, (&'static str, String)> {
    let voice = &hub.links.voice;
    match kind {
        "transmissions" => {
            let frequency = match params.get("frequency") {
                None | Some(Value::Null) => None,
                Some(f) => Some(f.as_f64().filter(|f| f.is_finite()).ok_or((
                    "invalid_params",
                    "params.frequency must be a number (MHz)".to_string(),
                ))?),
            };
            let limit = match params.get("limit") {
                None | Some(Value::Null) => SNAPSHOT,
                Some(l) => l
                    .as_u64()
                    .filter(|l| (1..=MAX_LIMIT as u64).contains(l))
                    .ok_or((
                        "invalid_params",
                        format!("params.limit must be an integer in 1..={MAX_LIMIT}"),
                    ))? as usize,
            };
            let list: Vec<Value> = voice.list(frequency, limit).iter().map(record).collect();
            Ok(json!({"count": list.len(), "transmissions": list}))
        }
        "transmission" => {
            let id = params.get("id").and_then(Value::as_u64).ok_or((
                "invalid_params",
                "params.id must be a transmission's id (an integer)".to_string(),
            ))?;
            voice
                .record(id)
                .map(|r| record(&r))
                .ok_or(("not_found", format!("no transmission {id}")))
        }
        "stats" => {
            let u = voice.usage();
            let c = &voice.counters;
            let listeners = lock(&hub.audio_sockets).listeners();
            Ok(json!({
                "transmissions": c.transmissions.load(Ordering::Relaxed),
                "stored": u.transmissions,
                "pending_transcriptions": voice.pending.load(Ordering::Relaxed),
                "transcription": voice.transcription,
                "transcribed": c.transcribed.load(Ordering::Relaxed),
                "transcription_failures": c.transcription_failures.load(Ordering::Relaxed),
                "transcription_skipped": c.transcription_skipped.load(Ordering::Relaxed),
                "memory_bytes": u.memory_bytes,
                "disk_bytes": u.disk_bytes,
                "clips_evicted": u.clips_evicted,
                "disk_errors": u.disk_errors,
                "listeners": listeners,
                "max_listeners": voice.max_listeners,
                "channels": voice.channels(),
            }))
        }
        other => Err((
            "unknown_type",
            format!(
                "{:?} is not a request of /audio: transmissions, transmission or stats",
                other.chars().take(64).collect::<String>()
            ),
        )),
    }
}

async fn request(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(data): TryData<Value>,
    ack: AckSender,
) {
    if !admit(&hub, &socket) {
        return;
    }
    let data = match data {
        Ok(Value::Object(d)) => Value::Object(d),
        _ => {
            return error(
                &socket,
                None,
                "invalid_payload",
                "request takes {type, request_id, params}".into(),
            )
        }
    };
    let request_id = data.get("request_id").cloned();
    let Some(kind) = data.get("type").and_then(Value::as_str) else {
        return error(
            &socket,
            request_id.as_ref(),
            "missing_type",
            "request needs a type: transmissions, transmission or stats".into(),
        );
    };
    let params = data.get("params").cloned().unwrap_or(Value::Null);
    match answer(&hub, kind, &params) {
        Ok(result) => {
            let reply = json!({"request_id": request_id, "request_type": kind, "data": result});
            emit(&socket, "response", &reply);
            let _ = ack.send(&reply);
        }
        Err((code, message)) => {
            let message = requests::clipped(message);
            let _ = ack.send(
                &json!({"request_id": request_id, "error": {"code": code, "message": message}}),
            );
            error(&socket, request_id.as_ref(), code, message);
        }
    }
}

/// `transmissions`, `transmission` and `stats` as events of their own: the params are the
/// payload, the answer goes to the ack callback (or as `response` without one).
async fn direct(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    Event(event): Event,
    TryData(data): TryData<Value>,
    ack: AckSender,
) {
    if !admit(&hub, &socket) {
        return;
    }
    let params = data.unwrap_or(Value::Null);
    match answer(&hub, &event, &params) {
        Ok(result) => {
            let reply = json!({"request_type": &*event, "data": result});
            if ack.send(&reply).is_err() {
                emit(&socket, "response", &reply);
            }
        }
        Err((code, message)) => error(&socket, None, code, message),
    }
}

async fn listen(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(data): TryData<Value>,
    ack: AckSender,
) {
    if !admit(&hub, &socket) {
        return;
    }
    match listen_change(&hub, &socket, data.ok()) {
        Ok(reply) => {
            emit(&socket, "listening", &reply);
            let _ = ack.send(&reply);
        }
        Err((code, message)) => {
            let message = requests::clipped(message);
            let _ = ack.send(&json!({"error": {"code": code, "message": message}}));
            error(&socket, None, code, message);
        }
    }
}

/// `listen {frequency, on}`: the socket's channels after the change.
fn listen_change(
    hub: &Hub,
    socket: &SocketRef,
    data: Option<Value>,
) -> Result<Value, (&'static str, String)> {
    let usage = || {
        (
            "invalid_payload",
            "listen takes {frequency: MHz, on: true | false}".to_string(),
        )
    };
    let data = data.ok_or_else(usage)?;
    let frequency = data
        .get("frequency")
        .and_then(Value::as_f64)
        .ok_or_else(usage)?;
    let on = match data.get("on") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(usage()),
    };
    if on && hub.links.voice.channel(frequency).is_none() {
        return Err((
            "not_found",
            format!("{frequency} MHz is not a voice channel of this receiver"),
        ));
    }
    let max = hub.links.voice.max_listeners;
    let mut sockets = lock(&hub.audio_sockets);
    let total = sockets.listeners();
    let s = sockets
        .sockets
        .get_mut(&socket.id)
        .ok_or(("internal", "the socket is gone".to_string()))?;
    if on && !s.listening.contains(&key(frequency)) && total >= max {
        return Err((
            "rate_limited",
            format!("at most {max} live listeners at once; try again later"),
        ));
    }
    if on {
        s.listening.insert(key(frequency));
    } else {
        s.listening.remove(&key(frequency));
    }
    let listening: Vec<f64> = s.listening.iter().map(|&k| k as f64 / 1e6).collect();
    Ok(json!({"listening": listening, "rate": crate::voice::AUDIO_RATE, "format": "s16le"}))
}

async fn unknown_event(socket: SocketRef, State(hub): State<Arc<Hub>>, Event(event): Event) {
    if !admit(&hub, &socket) {
        return;
    }
    let name: String = event.chars().take(64).collect();
    error(
        &socket,
        None,
        "unknown_type",
        format!("{name:?} is not an event of /audio: subscribe, unsubscribe, request, listen"),
    );
}

/// The live payload: `pcm` goes as a binary attachment.
#[derive(serde::Serialize)]
struct Live<'a> {
    frequency: f64,
    seq: u64,
    rate: f64,
    pcm: &'a bytes::Bytes,
}

/// Sends voice events to the subscribed sockets and live audio to its listeners, until stop.
pub async fn fanout(hub: Arc<Hub>, stop: impl std::future::Future<Output = ()>) {
    let mut events = hub.links.voice.events.subscribe();
    let mut live = hub.links.voice.live.subscribe();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            e = events.recv() => match e {
                Ok(e) => send_event(&hub, &e),
                Err(RecvError::Lagged(n)) => tracing::debug!("audio fan-out missed {n} events"),
                Err(RecvError::Closed) => return,
            },
            c = live.recv() => match c {
                Ok(c) => {
                    let targets: Vec<SocketRef> = lock(&hub.audio_sockets)
                        .sockets
                        .values()
                        .filter(|s| s.listening.contains(&key(c.frequency)))
                        .map(|s| s.socket.clone())
                        .collect();
                    let payload = Live {
                        frequency: c.frequency,
                        seq: c.seq,
                        rate: crate::voice::AUDIO_RATE,
                        pcm: &c.pcm,
                    };
                    for s in targets {
                        emit(&s, "audio:live", &payload);
                    }
                }
                Err(RecvError::Lagged(n)) => tracing::debug!("live audio missed {n} chunks"),
                Err(RecvError::Closed) => return,
            },
        }
    }
}

fn send_event(hub: &Hub, e: &VoiceEvent) {
    let (event, topic, r) = match e {
        VoiceEvent::Transmission(r) => ("audio:transmission", TRANSMISSIONS, r),
        VoiceEvent::TranscriptionStarted(r) => ("audio:transcription_started", TRANSCRIPTIONS, r),
        VoiceEvent::TranscriptionCompleted(r) => {
            ("audio:transcription_completed", TRANSCRIPTIONS, r)
        }
        VoiceEvent::TranscriptionFailed(r) => ("audio:transcription_failed", TRANSCRIPTIONS, r),
    };
    let data = record(r);
    let targets: Vec<SocketRef> = lock(&hub.audio_sockets)
        .sockets
        .values()
        .filter(|s| s.topics & topic != 0)
        .map(|s| s.socket.clone())
        .collect();
    for s in targets {
        emit(&s, event, &data);
    }
}

/// `GET /audio/clips/{id}.flac`: a transmission's clip (`audio/flac`). Its access rule (a
/// token in `private` and `hybrid` mode) is the router's, as for every HTTP data path.
pub async fn clip(AxumState(hub): AxumState<Arc<Hub>>, Path(name): Path<String>) -> Response {
    let Some(id) = name
        .strip_suffix(".flac")
        .and_then(|n| n.parse::<u64>().ok())
    else {
        return (StatusCode::NOT_FOUND, "no such clip\n").into_response();
    };
    let bytes: Vec<u8> = match hub.links.voice.clip(id) {
        Some(Clip::Memory(b)) => b.to_vec(),
        Some(Clip::File(path)) => match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("{}: {e}", path.display());
                return (StatusCode::GONE, "the clip's file is gone\n").into_response();
            }
        },
        Some(Clip::Gone) => {
            return (StatusCode::GONE, "the clip was removed for space\n").into_response()
        }
        None => return (StatusCode::NOT_FOUND, "no such clip\n").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, clip::FLAC_TYPE),
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}
