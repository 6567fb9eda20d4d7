//! The core task: the one owner of the track table and the engines around it.
//!
//! ```text
//!  DSP thread ──Block──→ ┌──────────── core task ────────────┐ ──watch World──→ fan-out
//!                        │ TrackTable → SafetyEngine          │ ──watch Stats──→ fan-out
//!  API handlers ─Cmd──→  │            → AlertEngine (+store)  │ ──Outgoing────→ fan-out
//!               ←reply── │            → Stats                 │   (safety, alerts: urgent)
//!                        └────────────────────────────────────┘
//! ```
//!
//! Nothing else touches the table, so there is no lock around it: handlers that need more
//! than the published [`World`] (a track's trail, rule changes) send a [`Cmd`] and await the
//! reply. Table time is stream time (see `source`); wire timestamps are wall-clock ms.

use crate::airspace::{AirspaceChange, AirspaceStore};
use crate::alerts::rule::RuleSpec;
use crate::alerts::store::{RuleStore, StoreError};
use crate::alerts::{Alert, AlertEngine};
use crate::api::world::{raw, Publisher, World};
use crate::feeds::{self, FeedChunk};
use crate::safety::{Change, SafetyConfig, SafetyEngine, SafetyEvent};
use crate::source::UatHeard;
use crate::source::{Block, SourceSet};
use crate::stats::{process_usage, Stats, Summary};
use crate::track::{TrackConfig, TrackKey, TrackTable};
use dsp::cpr::Position;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// Stream seconds between expiry and conflict checks.
const HOUSEKEEPING_S: f64 = 1.0;
/// A summary goes to the log every this many stats ticks (one a second).
const LOG_EVERY_TICKS: u64 = 60;
/// Safety events kept for `safety-events`.
const SAFETY_HISTORY: usize = 1000;

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A topic a server event belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    Aircraft,
    Safety,
    Alerts,
    Acars,
    Stats,
    Airspace,
}

impl Topic {
    pub const ALL: [Topic; 6] = [
        Topic::Aircraft,
        Topic::Safety,
        Topic::Alerts,
        Topic::Acars,
        Topic::Stats,
        Topic::Airspace,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Topic::Aircraft => "aircraft",
            Topic::Safety => "safety",
            Topic::Alerts => "alerts",
            Topic::Acars => "acars",
            Topic::Stats => "stats",
            Topic::Airspace => "airspace",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        Some(match s {
            "aircraft" => Topic::Aircraft,
            "safety" => Topic::Safety,
            "alerts" => Topic::Alerts,
            "acars" => Topic::Acars,
            "stats" => Topic::Stats,
            "airspace" | "notams" => Topic::Airspace,
            _ => return None,
        })
    }

    pub fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A server event for every subscriber of its topic.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub topic: Topic,
    pub event: &'static str,
    pub data: Arc<RawValue>,
    /// The safety event's id (the fan-out keeps the open ones for `safety:snapshot`).
    pub safety_id: Option<u64>,
    /// The whole `airspace:snapshot` after this change (the fan-out keeps the latest).
    pub airspace: Option<Arc<RawValue>>,
    /// Sent at once, never batched.
    pub urgent: bool,
}

/// The latest `stats:tick` payload.
#[derive(Debug, Default)]
pub struct StatsTick {
    pub version: u64,
    pub data: Option<Arc<RawValue>>,
}

/// Requests the API makes of the core.
pub enum Cmd {
    Track(TrackKey, oneshot::Sender<Option<Vec<Value>>>),
    SafetyEvents {
        hours: f64,
        limit: usize,
        reply: oneshot::Sender<Vec<Value>>,
    },
    SafetyAcknowledge(u64, oneshot::Sender<bool>),
    AlertRules(oneshot::Sender<Vec<RuleSpec>>),
    AlertCreate(RuleSpec, oneshot::Sender<Result<RuleSpec, StoreError>>),
    AlertUpdate(u64, RuleSpec, oneshot::Sender<Result<RuleSpec, StoreError>>),
    AlertDelete(u64, oneshot::Sender<Result<(), StoreError>>),
    AlertToggle(
        u64,
        Option<bool>,
        oneshot::Sender<Result<RuleSpec, StoreError>>,
    ),
    StatsSummary(oneshot::Sender<Summary>),
}

/// Counters the API reports in `system-status`.
#[derive(Debug, Default)]
pub struct CoreCounters {
    pub blocks: AtomicU64,
    pub messages: AtomicU64,
    pub events_dropped: AtomicU64,
}

/// The channels the core publishes on, for the API to read.
pub struct CoreOutputs {
    pub world: watch::Receiver<Arc<World>>,
    pub stats: watch::Receiver<Arc<StatsTick>>,
    pub events: mpsc::Receiver<Outgoing>,
    /// Each block's traffic in the TCP feed formats (formatted only while someone listens).
    pub feeds: broadcast::Sender<Arc<FeedChunk>>,
}

pub struct CoreSettings {
    pub receiver: Position,
    pub rules: RuleStore,
    pub speed: f64,
}

struct Clock {
    /// Stream time of the last block, and the wall clock (ms) when it arrived.
    stream_s: f64,
    wall_ms: u64,
    speed: f64,
}

impl Clock {
    fn wall_ms(&self, t: f64) -> f64 {
        (self.wall_ms as f64 - (self.stream_s - t) * 1000.0 / self.speed).round()
    }
}

pub struct Core {
    table: TrackTable,
    airspace: AirspaceStore,
    safety: SafetyEngine,
    alerts: AlertEngine,
    rules: RuleStore,
    stats: Stats,
    receiver: Position,
    publisher: Publisher,
    clock: Clock,
    started_ms: u64,
    last_housekeeping: f64,
    safety_history: VecDeque<SafetyEvent>,
    acknowledged: HashSet<u64>,
    changes: Vec<Change>,
    last_usage: Option<(std::time::Instant, f64)>,
    stats_version: u64,
    counters: Arc<CoreCounters>,
    sources: SourceSet,
    world_tx: watch::Sender<Arc<World>>,
    stats_tx: watch::Sender<Arc<StatsTick>>,
    events_tx: mpsc::Sender<Outgoing>,
    feeds_tx: broadcast::Sender<Arc<FeedChunk>>,
}

impl Core {
    pub fn new(
        settings: CoreSettings,
        sources: SourceSet,
        counters: Arc<CoreCounters>,
    ) -> (Core, CoreOutputs) {
        let (world_tx, world) = watch::channel(Arc::new(World::default()));
        let (stats_tx, stats) = watch::channel(Arc::new(StatsTick::default()));
        let (events_tx, events) = mpsc::channel(4096);
        let (feeds_tx, _) = broadcast::channel(crate::feeds::BACKLOG);
        let core = Core {
            airspace: AirspaceStore::default(),
            table: TrackTable::new(TrackConfig {
                receiver: Some(settings.receiver),
                ..TrackConfig::default()
            }),
            safety: SafetyEngine::new(SafetyConfig::default()),
            alerts: AlertEngine::new(),
            rules: settings.rules,
            stats: Stats::new(0.0),
            receiver: settings.receiver,
            publisher: Publisher::new(),
            clock: Clock {
                stream_s: 0.0,
                wall_ms: now_ms(),
                speed: settings.speed,
            },
            started_ms: now_ms(),
            last_housekeeping: 0.0,
            safety_history: VecDeque::new(),
            acknowledged: HashSet::new(),
            changes: Vec::new(),
            last_usage: None,
            stats_version: 0,
            counters,
            sources,
            world_tx,
            stats_tx,
            events_tx,
            feeds_tx: feeds_tx.clone(),
        };
        (
            core,
            CoreOutputs {
                world,
                stats,
                events,
                feeds: feeds_tx,
            },
        )
    }

    /// Runs until `shutdown` resolves or both inputs close.
    pub async fn run(
        mut self,
        mut blocks: mpsc::Receiver<Block>,
        mut cmds: mpsc::Receiver<Cmd>,
        stats_every: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let mut stats = tokio::time::interval(stats_every);
        stats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        tokio::pin!(shutdown);
        let (mut blocks_open, mut cmds_open) = (true, true);
        while blocks_open || cmds_open {
            tokio::select! {
                _ = &mut shutdown => break,
                b = blocks.recv(), if blocks_open => match b {
                    Some(b) => self.ingest(b),
                    None => blocks_open = false,
                },
                c = cmds.recv(), if cmds_open => match c {
                    Some(c) => self.command(c),
                    None => cmds_open = false,
                },
                _ = stats.tick() => self.publish_stats(),
            }
        }
    }

    fn ingest(&mut self, block: Block) {
        self.counters.blocks.fetch_add(1, Ordering::Relaxed);
        self.counters
            .messages
            .fetch_add(block.heard.len() as u64, Ordering::Relaxed);
        // Sources of different bands hand over blocks in any order: the table's clock is the
        // latest stream time any of them reached.
        self.clock.stream_s = self.clock.stream_s.max(block.stream_s);
        self.clock.wall_ms = now_ms();
        let mut feed = (self.feeds_tx.receiver_count() > 0).then(FeedChunk::default);
        if let Some(chunk) = &mut feed {
            for (frame, rssi, t) in &block.uat_frames {
                feeds::uat_raw_line(
                    frame,
                    *rssi,
                    self.clock.wall_ms(*t) as u64,
                    &mut chunk.uat_raw,
                );
            }
        }
        for h in &block.heard {
            let t = h.t;
            let f = &h.frame;
            self.stats
                .record_frame(f.df(), f.corrected_bits > 0, f.signal_dbfs, f.noise_dbfs);
            let a = self.table.ingest(&h.message, f.signal_dbfs, t);
            let fresh = a
                .position
                .aged()
                .filter(|p| p.updated == t)
                .map(|p| p.value);
            if let Some(p) = fresh {
                self.stats.record_position(self.receiver, p);
            }
            if let Some(chunk) = &mut feed {
                feeds::raw_line(f, &mut chunk.raw);
                dsp::beast::beast_frame(f, t, f.signal_dbfs, &mut chunk.beast);
                let position = fresh.map(|p| feeds::SbsPosition {
                    lat: p.lat,
                    lon: p.lon,
                });
                feeds::sbs_line(
                    f,
                    &h.message,
                    position,
                    self.clock.wall_ms(t) as u64,
                    &mut chunk.sbs,
                );
            }
            self.safety.on_message(a, &h.message, t, &mut self.changes);
            let fired = self
                .alerts
                .evaluate(self.rules.rules(), a, t, Some(self.receiver));
            for alert in fired {
                self.send_alert(alert);
            }
        }
        for u in &block.uat {
            match u {
                UatHeard::Downlink {
                    downlink,
                    rssi_dbfs,
                    t,
                    repaired,
                } => {
                    self.stats.record_uat(*repaired, *rssi_dbfs);
                    let a = self.table.ingest_uat(downlink, *rssi_dbfs, *t);
                    if let Some(p) = a.position.aged().filter(|p| p.updated == *t) {
                        self.stats.record_position(self.receiver, p.value);
                    }
                    let fired =
                        self.alerts
                            .evaluate(self.rules.rules(), a, *t, Some(self.receiver));
                    for alert in fired {
                        self.send_alert(alert);
                    }
                }
                UatHeard::Products {
                    station, products, ..
                } => {
                    let now = now_ms();
                    let mut changes = Vec::new();
                    for p in products {
                        changes.extend(self.airspace.add(
                            p.product_id,
                            p.time,
                            &p.product,
                            *station,
                            now,
                        ));
                    }
                    self.send_airspace(changes);
                }
            }
        }
        if self.clock.stream_s - self.last_housekeeping >= HOUSEKEEPING_S {
            let now = self.clock.stream_s;
            self.last_housekeeping = now;
            let gone = self.table.expire(now);
            let expired = self.airspace.expire(now_ms());
            self.send_airspace(expired);
            self.alerts.forget(&gone);
            self.safety.tick(&self.table, now, &mut self.changes);
            self.stats.tick(&self.table, process_usage(), now);
        }
        if let Some(chunk) = feed.filter(|c| !c.is_empty()) {
            let _ = self.feeds_tx.send(Arc::new(chunk));
        }
        let changes = std::mem::take(&mut self.changes);
        for c in changes {
            self.send_safety(c);
        }
        // Publish at once: the fan-out sends fresh data the moment it exists.
        self.publish();
    }

    /// Publishes the picture; called after every block, the only thing that changes it.
    fn publish(&mut self) {
        let now = self.clock.stream_s;
        let records = self
            .table
            .records(now)
            .into_iter()
            .filter_map(|mut r| {
                // Whole seconds: a delta carries `seen` once a second, not on every publish.
                r.seen = r.seen.floor();
                r.seen_pos = r.seen_pos.map(f64::floor);
                match serde_json::to_value(r) {
                    Ok(Value::Object(m)) => Some(m),
                    _ => None,
                }
            })
            .collect();
        // Stamped with the data time (when the newest block arrived), so a client sees latency.
        if let Some(w) = self.publisher.publish(records, self.clock.wall_ms) {
            // No receiver only during shutdown; nothing to do then.
            let _ = self.world_tx.send(w);
        }
    }

    fn publish_stats(&mut self) {
        let now = self.clock.stream_s;
        let s = self.stats.summary(&self.table, now);
        let usage = process_usage();
        let cpu = match (self.last_usage, usage) {
            (Some((t0, c0)), Some(u)) => {
                let dt = t0.elapsed().as_secs_f64();
                (dt > 0.0).then(|| ((u.cpu_seconds - c0) / dt * 1000.0).round() / 10.0)
            }
            _ => None,
        };
        if let Some(u) = usage {
            self.last_usage = Some((std::time::Instant::now(), u.cpu_seconds));
        }
        let rssi: Vec<f32> = self.table.iter().filter_map(|a| a.rssi).collect();
        let avg_rssi = (!rssi.is_empty())
            .then(|| (rssi.iter().sum::<f32>() / rssi.len() as f32 * 10.0).round() / 10.0);
        let noise = histogram_median_dbfs(&s.noise_histogram);
        let series: Vec<Value> = s
            .history
            .iter()
            .map(|m| {
                json!({
                    "ts": self.clock.wall_ms(m.start),
                    "messages": m.messages,
                    "aircraft": m.aircraft,
                    "with_position": m.with_position,
                    "max_range_nm": m.max_range_nm,
                    "mean_signal_dbfs": m.mean_signal_dbfs,
                    "cpu_percent": m.cpu_percent,
                })
            })
            .collect();
        let tick = json!({
            "ts": now_ms(),
            "traffic": {
                "aircraft": s.aircraft,
                "with_position": s.aircraft_with_position,
                "msg_rate": s.messages_per_second,
                "by_source": s.aircraft_by_source,
            },
            "reception": {
                "max_range_nm": s.max_range_nm,
                "avg_rssi": avg_rssi,
                "noise_dbfs": noise,
            },
            "system": {
                "cpu": cpu,
                "mem": usage.map(|u| u.rss_bytes),
                "uptime_s": (now_ms().saturating_sub(self.started_ms)) / 1000,
                "sdr": self.sources.by_band(),
            },
            "series": series,
        });
        self.stats_version += 1;
        if self.stats_version.is_multiple_of(LOG_EVERY_TICKS) {
            tracing::info!(
                aircraft = s.aircraft,
                with_position = s.aircraft_with_position,
                msg_per_s = s.messages_per_second,
                max_range_nm = s.max_range_nm,
                "receiving"
            );
        }
        let _ = self.stats_tx.send(Arc::new(StatsTick {
            version: self.stats_version,
            data: Some(raw(&tick).into()),
        }));
    }

    fn send(&self, o: Outgoing) {
        if self.events_tx.try_send(o).is_err() {
            self.counters.events_dropped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                "event queue full: an event was dropped (clients can fetch it by request)"
            );
        }
    }

    /// Airspace events: `notam:tfr_new` / `notam:new` for a new report, `airspace:update`
    /// for a changed one, `notam:expired` for one that expired or was cancelled. Each carries
    /// the snapshot after it for the fan-out.
    fn send_airspace(&mut self, changes: Vec<AirspaceChange>) {
        if changes.is_empty() {
            return;
        }
        let snapshot: Arc<RawValue> = raw(&self.airspace.snapshot(now_ms())).into();
        for c in changes {
            let (event, data) = match c {
                AirspaceChange::New(i) if i.kind == "tfr" => ("notam:tfr_new", json!(i)),
                AirspaceChange::New(i) => ("notam:new", json!(i)),
                AirspaceChange::Updated(i) => ("airspace:update", json!(i)),
                AirspaceChange::Removed { item, reason } => (
                    "notam:expired",
                    json!({"id": item.id, "kind": item.kind, "reason": reason, "item": item}),
                ),
            };
            self.send(Outgoing {
                topic: Topic::Airspace,
                event,
                data: raw(&data).into(),
                safety_id: None,
                airspace: Some(snapshot.clone()),
                urgent: false,
            });
        }
    }

    fn send_safety(&mut self, c: Change) {
        let (event, mut e) = match c {
            Change::Raised(e) => ("safety:event", e),
            Change::Updated(e) => ("safety:event_updated", e),
            Change::Resolved(e) => ("safety:event_resolved", e),
        };
        e.timestamp = self.clock.wall_ms(e.timestamp);
        e.resolved_at = e.resolved_at.map(|t| self.clock.wall_ms(t));
        match self.safety_history.iter_mut().find(|h| h.id == e.id) {
            Some(h) => *h = e.clone(),
            None => {
                if self.safety_history.len() == SAFETY_HISTORY {
                    if let Some(old) = self.safety_history.pop_front() {
                        self.acknowledged.remove(&old.id);
                    }
                }
                self.safety_history.push_back(e.clone());
            }
        }
        self.send(Outgoing {
            topic: Topic::Safety,
            event,
            data: raw(&e).into(),
            safety_id: Some(e.id),
            airspace: None,
            urgent: true,
        });
    }

    fn send_alert(&mut self, alert: Alert) {
        let key = TrackKey::from_hex(&alert.icao);
        let aircraft = key
            .and_then(|k| self.table.get(&k))
            .map(|a| a.record(self.clock.stream_s, Some(self.receiver)));
        let payload = AlertPayload {
            id: alert.id,
            rule_id: alert.rule_id,
            rule_name: &alert.rule_name,
            icao: &alert.icao,
            callsign: alert.callsign.as_deref(),
            message: &alert.message,
            priority: alert.priority,
            aircraft,
            timestamp: self.clock.wall_ms(alert.timestamp),
        };
        self.send(Outgoing {
            topic: Topic::Alerts,
            event: "alert:triggered",
            data: raw(&payload).into(),
            safety_id: None,
            airspace: None,
            urgent: true,
        });
    }

    fn command(&mut self, c: Cmd) {
        // A dropped reply means the client went away; nothing to do.
        match c {
            Cmd::Track(key, reply) => {
                let now = self.clock.stream_s;
                let trail = self.table.get(&key).map(|a| {
                    a.trail
                        .iter()
                        .map(|(t, p, alt)| {
                            json!({"lat": p.lat, "lon": p.lon, "alt_baro": alt,
                                   "timestamp": self.clock.wall_ms(*t), "age_s": ((now - t) * 10.0).round() / 10.0})
                        })
                        .collect()
                });
                let _ = reply.send(trail);
            }
            Cmd::SafetyEvents {
                hours,
                limit,
                reply,
            } => {
                let since = now_ms() as f64 - hours * 3_600_000.0;
                let events = self
                    .safety_history
                    .iter()
                    .rev()
                    .filter(|e| e.timestamp >= since)
                    .take(limit)
                    .map(|e| {
                        let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
                        if let Value::Object(m) = &mut v {
                            m.insert(
                                "acknowledged".into(),
                                self.acknowledged.contains(&e.id).into(),
                            );
                        }
                        v
                    })
                    .collect();
                let _ = reply.send(events);
            }
            Cmd::SafetyAcknowledge(id, reply) => {
                let known = self.safety_history.iter().any(|e| e.id == id);
                if known {
                    self.acknowledged.insert(id);
                }
                let _ = reply.send(known);
            }
            Cmd::AlertRules(reply) => {
                let _ = reply.send(self.rules.rules().iter().map(|r| r.spec.clone()).collect());
            }
            Cmd::AlertCreate(spec, reply) => {
                let _ = reply.send(self.rules.create(spec));
            }
            Cmd::AlertUpdate(id, spec, reply) => {
                let _ = reply.send(self.rules.update(id, spec));
            }
            Cmd::AlertDelete(id, reply) => {
                let _ = reply.send(self.rules.delete(id));
            }
            Cmd::AlertToggle(id, enabled, reply) => {
                let enabled = enabled.unwrap_or_else(|| {
                    !self
                        .rules
                        .rules()
                        .iter()
                        .any(|r| r.spec.id == id && r.spec.enabled)
                });
                let _ = reply.send(self.rules.toggle(id, enabled));
            }
            Cmd::StatsSummary(reply) => {
                let _ = reply.send(self.stats.summary(&self.table, self.clock.stream_s));
            }
        }
    }
}

#[derive(Serialize)]
struct AlertPayload<'a> {
    id: u64,
    rule_id: u64,
    rule_name: &'a str,
    icao: &'a str,
    callsign: Option<&'a str>,
    message: &'a str,
    priority: crate::safety::Severity,
    aircraft: Option<crate::track::AircraftRecord>,
    timestamp: f64,
}

/// The median of a 1-dB histogram from −60 dBFS (the noise floor the receiver measured).
fn histogram_median_dbfs(h: &[u64]) -> Option<f64> {
    let total: u64 = h.iter().sum();
    let mut acc = 0;
    for (i, n) in h.iter().enumerate() {
        acc += n;
        if total > 0 && acc * 2 >= total {
            return Some(i as f64 - 60.0 + 0.5);
        }
    }
    None
}
