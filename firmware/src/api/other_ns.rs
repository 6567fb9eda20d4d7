//! The other namespaces:
//!
//! - `/acars`: on connect, `acars:snapshot` (the newest messages), then every `acars:message`
//!   as it completes; `acars-snapshot {limit?, icao?}` asks for more (answered as
//!   `acars:snapshot`, or to an ack callback). Anything else answers `unknown_type`.

use super::main_ns::{token_of, Unauthorized};
use super::{lock, requests, Hub};
use serde_json::{json, Value};
use socketioxide::extract::{Event, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::SocketIo;
use std::sync::Arc;

pub fn register(io: &SocketIo) {
    io.ns("/acars", acars.with(acars_auth));
}

async fn acars_auth(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(auth): TryData<Value>,
) -> Result<(), Unauthorized> {
    if hub.needs_token(false) && !hub.token_valid(token_of(&auth)) {
        return Err(Unauthorized);
    }
    socket.on("acars-snapshot", acars_request);
    socket.on_fallback(unknown_event);
    socket.on_disconnect(async |socket: SocketRef, State(hub): State<Arc<Hub>>| {
        lock(&hub.acars_sockets).remove(&socket.id);
    });
    Ok(())
}

fn emit(socket: &SocketRef, event: &str, data: &Value) {
    if let Err(e) = socket.emit(event, data) {
        tracing::debug!(sid = %socket.id, "emit {event} failed: {e}");
    }
}

/// Joins the socket to the messages first, then sends the snapshot: a message completed in
/// between is in both (a client keys them by `id`), never in neither.
async fn acars(socket: SocketRef, State(hub): State<Arc<Hub>>) {
    lock(&hub.acars_sockets).insert(socket.id, socket.clone());
    let snapshot = hub.acars_snapshot(super::ACARS_SNAPSHOT, None);
    if let Err(e) = socket.emit("acars:snapshot", &*snapshot) {
        tracing::debug!(sid = %socket.id, "acars:snapshot not sent: {e}");
    }
}

/// `acars-snapshot {limit?, icao?}` on `/acars`.
async fn acars_request(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(data): TryData<Value>,
    ack: socketioxide::extract::AckSender,
) {
    let params = match data {
        Ok(Value::Object(p)) => p,
        Ok(Value::Null) | Err(_) => serde_json::Map::new(),
        Ok(_) => {
            let message = "acars-snapshot takes {limit?, icao?}";
            emit(
                &socket,
                "error",
                &json!({"code": "invalid_payload", "message": message}),
            );
            return;
        }
    };
    let reply = match requests::acars_snapshot(&hub, &params) {
        Ok(v) => v,
        Err(e) => {
            emit(
                &socket,
                "error",
                &json!({"code": e.code, "message": e.message}),
            );
            return;
        }
    };
    let replied = ack.send(&reply);
    if replied.is_err() {
        emit(&socket, "acars:snapshot", &reply);
    }
}

async fn unknown_event(socket: SocketRef, Event(event): Event) {
    let name: String = event.chars().take(64).collect();
    let message = format!(
        "{name:?} is not an event of {}: acars-snapshot is",
        socket.ns()
    );
    emit(
        &socket,
        "error",
        &json!({"code": "unknown_type", "message": message}),
    );
}
