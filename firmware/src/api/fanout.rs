//! The fan-out task: the one place where picture changes and server events become
//! per-client sends.
//!
//! Every [`TICK`] it runs each client's send cycle if due (aircraft delta at the client's
//! rate, stats at theirs, queued events; several as one `batch`). Urgent events — safety,
//! alerts, and a publish in which an aircraft started squawking 7500/7600/7700 — are sent to
//! every subscriber the moment they arrive. Sends never wait: a client whose queue is full
//! is handled by its own state (see `client`), so one stalled client costs the others nothing.

use super::client::{Queued, WorldCache};
use super::{lock, Hub};
use crate::core::{Outgoing, Topic};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Granularity of the send cycles.
pub const TICK: Duration = Duration::from_millis(10);

pub async fn run(
    hub: Arc<Hub>,
    mut events: mpsc::Receiver<Outgoing>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut cache = WorldCache::default();
    let mut world_rx = hub.world.clone();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
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
                if w.urgent {
                    for c in hub.clients() {
                        lock(&c).send_urgent_aircraft(&w, &mut cache);
                    }
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                let w = hub.world.borrow().clone();
                let stats = hub.stats_now();
                let stats = stats.as_ref().map(|(v, d)| (*v, d));
                for c in hub.clients() {
                    lock(&c).cycle_due(now, &w, stats, &mut cache);
                }
            }
        }
    }
}

/// Sends one server event to every subscriber of its topic, and keeps the topic's
/// snapshot state up to date first (so a client subscribing concurrently gets it either
/// in its snapshot or as the event, possibly both, never neither).
fn deliver(hub: &Hub, e: Outgoing) {
    match (e.topic, e.event) {
        (Topic::Safety, "safety:event_resolved") => {
            if let Some(id) = event_id(&e) {
                lock(&hub.safety_active).remove(&id);
            }
        }
        (Topic::Safety, _) => {
            if let Some(id) = event_id(&e) {
                lock(&hub.safety_active).insert(id, e.data.clone());
            }
        }
        (Topic::Alerts, _) => hub.remember_alert(e.data.clone()),
        _ => {}
    }
    let q = Queued {
        event: e.event,
        data: e.data,
    };
    for c in hub.clients() {
        let mut c = lock(&c);
        if c.subscribed(e.topic) {
            c.offer(&q, e.urgent);
        }
    }
}

fn event_id(e: &Outgoing) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: u64,
    }
    serde_json::from_str::<Id>(e.data.get()).ok().map(|i| i.id)
}
