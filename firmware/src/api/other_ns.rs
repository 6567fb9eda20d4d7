//! The other namespaces. They exist and accept connections now; what feeds them arrives
//! with later work, and until then they say so instead of pretending:
//!
//! - `/acars`: joined to the `acars` topic on connect; its snapshot is empty because no VHF
//!   (ACARS/VDL2) receiver exists yet.
//! - `/audio`: needs a token in `private` and `hybrid` mode; empty snapshot; requests answer
//!   `unknown_type` until an airband receiver lands.
//! - `/cannonball`: `session_started` on connect; its events answer `unknown_type` until the
//!   cannonball engine lands.

use super::main_ns::{token_of, Unauthorized};
use super::Hub;
use crate::wall::now_ms;
use serde_json::{json, Value};
use socketioxide::extract::{Event, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::SocketIo;
use std::sync::Arc;

pub fn register(io: &SocketIo) {
    io.ns("/acars", acars.with(private_only));
    io.ns("/audio", audio.with(token_unless_public));
    io.ns("/cannonball", cannonball.with(private_only));
}

/// Middlewares run before the connection is acknowledged, so the fallback handler is in
/// place before a client's first event (see `main_ns::accept`).
async fn private_only(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(auth): TryData<Value>,
) -> Result<(), Unauthorized> {
    if hub.needs_token(false) && !hub.token_valid(token_of(&auth)) {
        return Err(Unauthorized);
    }
    socket.on_fallback(not_yet);
    Ok(())
}

async fn token_unless_public(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(auth): TryData<Value>,
) -> Result<(), Unauthorized> {
    if hub.needs_token(true) && !hub.token_valid(token_of(&auth)) {
        return Err(Unauthorized);
    }
    socket.on_fallback(not_yet);
    Ok(())
}

fn emit(socket: &SocketRef, event: &str, data: &Value) {
    if let Err(e) = socket.emit(event, data) {
        tracing::debug!(sid = %socket.id, "emit {event} failed: {e}");
    }
}

async fn acars(socket: SocketRef) {
    emit(
        &socket,
        "acars:snapshot",
        &json!({"messages": [], "count": 0, "timestamp": now_ms()}),
    );
}

async fn audio(socket: SocketRef) {
    emit(
        &socket,
        "audio:snapshot",
        &json!({"recent_transmissions": [], "pending_transcriptions": 0, "timestamp": now_ms()}),
    );
}

async fn cannonball(socket: SocketRef) {
    emit(
        &socket,
        "session_started",
        &json!({"session_id": socket.id.to_string()}),
    );
    socket.on_fallback(not_yet);
}

/// Every event on these namespaces, for now.
async fn not_yet(socket: SocketRef, Event(event): Event) {
    let name: String = event.chars().take(64).collect();
    let message = format!(
        "{name:?} on {} is not available yet: nothing feeds this namespace",
        socket.ns()
    );
    emit(
        &socket,
        "error",
        &json!({"code": "unknown_type", "message": message}),
    );
}
