//! The fan-out task: the one place where picture changes and server events become
//! per-client sends.
//!
//! Each publish of the picture sends every client whose aircraft message is due its delta,
//! with anything queued for it (several events as one `batch`); every [`TICK`] the stats tick
//! is queued when due and queues that waited the batch window go out. Urgent events — safety,
//! alerts, and a publish in which an aircraft started squawking 7500/7600/7700 — are sent to
//! every subscriber the moment they arrive. Sends never wait: a client whose queue is full
//! is handled by its own state (see `client`), so one stalled client costs the others nothing.

use super::client::{Queued, WorldCache};
use super::wire::{self, AlertTriggered};
use super::{lock, Hub, Topic};
use crate::core::{CoreEvent, SafetyChange};
use serde_json::value::RawValue;
use socketioxide::{SendError, SocketError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Granularity of the batch window and stats checks.
pub const TICK: Duration = Duration::from_millis(10);
/// Half the core's publish period: an aircraft message due this soon goes with the
/// publish at hand rather than with stale data from the previous one.
pub const PHASE_TOLERANCE: Duration = Duration::from_millis(25);

pub async fn run(
    hub: Arc<Hub>,
    mut events: mpsc::Receiver<CoreEvent>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut cache = WorldCache::default();
    let mut world_rx = hub.links.world.clone();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut prune = tokio::time::interval(Duration::from_secs(5));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            e = events.recv() => match e {
                Some(e) => deliver(&hub, e),
                None => return,
            },
            changed = world_rx.changed() => {
                if changed.is_err() {
                    return;
                }
                let w = world_rx.borrow_and_update().clone();
                let now = Instant::now();
                for c in hub.clients().iter() {
                    let mut c = lock(c);
                    if w.urgent {
                        c.send_urgent_aircraft(&w, &mut cache);
                    } else {
                        c.world_changed(now, &w, &mut cache, PHASE_TOLERANCE);
                    }
                }
            }
            _ = prune.tick() => hub.prune(Instant::now()),
            _ = tick.tick() => {
                let now = Instant::now();
                let w = hub.world();
                let stats = hub.stats_now();
                let stats = stats.as_ref().map(|(v, d)| (*v, d));
                for c in hub.clients().iter() {
                    lock(c).tick(now, stats, &w, &mut cache, PHASE_TOLERANCE);
                }
            }
        }
    }
}

/// Turns a core event into its server events and sends them.
fn deliver(hub: &Hub, e: CoreEvent) {
    match e {
        CoreEvent::Safety { change, event } => {
            let data: Arc<RawValue> = wire::raw(&event).into();
            let name = match change {
                SafetyChange::Raised => "safety:event",
                SafetyChange::Updated => "safety:event_updated",
                SafetyChange::Resolved => "safety:event_resolved",
            };
            // The topic's snapshot (the core's `safety` watch) already has this change.
            send(hub, Topic::Safety, name, data, true);
        }
        CoreEvent::Alert { alert, aircraft } => {
            let data: Arc<RawValue> =
                wire::raw(&AlertTriggered::new(&alert, aircraft.as_deref())).into();
            hub.remember_alert(data.clone());
            send(hub, Topic::Alerts, "alert:triggered", data, true);
        }
        CoreEvent::Airspace { changes, snapshot } => {
            let encoded: Arc<RawValue> = wire::raw(&*snapshot).into();
            *lock(&hub.airspace) = Some((snapshot, encoded));
            for c in &changes {
                let (name, data) = wire::airspace_event(c);
                send(hub, Topic::Airspace, name, data.into(), false);
            }
        }
        CoreEvent::Acars(record) => {
            let data: Arc<RawValue> = wire::raw(&wire::AcarsJson::new(&record)).into();
            // The `/acars` namespace: every socket, sent at once (the messages are few).
            lock(&hub.acars_sockets).retain(|_, socket| {
                match socket.emit("acars:message", &*data) {
                    Err(SendError::Socket(SocketError::Closed)) => false,
                    Err(e) => {
                        tracing::debug!(sid = %socket.id, "acars:message not sent: {e}");
                        true
                    }
                    Ok(()) => true,
                }
            });
            send(hub, Topic::Acars, "acars:message", data, false);
        }
    }
}

/// Sends one server event to every subscriber of its topic.
fn send(hub: &Hub, topic: Topic, event: &'static str, data: Arc<RawValue>, urgent: bool) {
    let q = Queued { event, data };
    let now = Instant::now();
    for c in hub.clients().iter() {
        let mut c = lock(c);
        if c.subscribed(topic) {
            c.offer(&q, urgent, now);
        }
    }
}
