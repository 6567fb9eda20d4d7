//! The core: the one owner of the picture and its clock.
//!
//! ```text
//!  sources ──Block──→ ┌──────────── core task ─────────────┐ ──watch World──→ API
//!                     │ Clock   TrackTable → SafetyEngine  │ ──watch Stats──→ API
//!  API ───Cmd──────→  │         AirspaceStore → AlertEngine│ ──CoreEvent───→ API (fan-out)
//!      ←reply──────── │         Stats                      │ ──HeardBatch──→ feeds
//!  rules service ─watch Rules→   (housekeeping every second)│
//!                     └─────────────────────────────────────┘
//! ```
//!
//! Nothing else touches the table, so there is no lock around it: a handler that needs more
//! than the published [`World`] sends a [`Cmd`] and awaits the reply. The core knows no wire
//! format, socket or file: it publishes typed values and the API and feeds encode them; the
//! alert rules are saved by their own task ([`alerts::service`]).
//!
//! Time is the core's [`Clock`]: housekeeping (expiry, safety checks, stats, source health)
//! runs on a timer whether or not blocks arrive, so a stopped source never freezes the
//! picture: an aircraft leaves 60 s after its last message, and a source with no block for
//! [`CoreSettings::stall`] shows unhealthy.

pub mod acars;
pub mod aircraft_db;
pub mod airspace;
pub mod alerts;
pub mod cannonball;
pub mod clock;
mod events;
pub mod patterns;
pub mod picture;
pub mod safety;
pub mod stats;
pub mod track;

pub use clock::Clock;
pub use events::{
    CoreEvent, HeardBatch, HeardMessage, HeardUat, HeardVdl2, HeardVoice, SafetyChange,
    StatsSnapshot, VoiceBatch,
};
pub use picture::{AircraftRecord, World};

use crate::source::{AcarsHeard, Block, SourceSet, UatHeard, Vdl2Heard};
use crate::wall;
use acars::{AcarsRecord, AcarsStore, Origin};
use airspace::{AirspaceChange, AirspaceStore};
use alerts::service::Rules;
use alerts::AlertEngine;
use cannonball::{Identifier, WatchList};
use dsp::cpr::Position;
use dsp::vhf::vdl2::{payload, Payload};
use picture::Publisher;
use safety::{Change, SafetyConfig, SafetyEngine, SafetyEvent};
use stats::{process_usage, Stats, Summary};
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::{Instant, MissedTickBehavior};
use track::{TrackConfig, TrackKey, TrackTable};

/// A summary goes to the log every this many stats periods.
const LOG_EVERY: u64 = 60;
/// Safety events kept for `safety-events`.
const SAFETY_HISTORY: usize = 1000;
/// Heard batches a slow feed may fall behind before it misses some.
pub const HEARD_BACKLOG: usize = 256;
/// Events waiting for the API.
const EVENT_QUEUE: usize = 4096;
/// Voice batches waiting for the audio service (one per VHF block: a few seconds' worth).
const VOICE_QUEUE: usize = 256;

/// One point of an aircraft's recent trail (`aircraft-track`).
#[derive(Clone, Debug, PartialEq)]
pub struct TrailPoint {
    pub position: Position,
    pub alt_baro: Option<i32>,
    pub wall_ms: u64,
    pub age_s: f64,
}

/// Requests of the core.
pub enum Cmd {
    Track(TrackKey, oneshot::Sender<Option<Vec<TrailPoint>>>),
    /// The newest first, at most `limit`, from the last `hours`; with whether each was
    /// acknowledged.
    SafetyEvents {
        hours: f64,
        limit: usize,
        reply: oneshot::Sender<Vec<(SafetyEvent, bool)>>,
    },
    SafetyAcknowledge(u64, oneshot::Sender<bool>),
    StatsSummary(oneshot::Sender<Summary>),
}

/// Counters the API reports in `system-status` and `/metrics`.
#[derive(Debug, Default)]
pub struct CoreCounters {
    pub blocks: AtomicU64,
    pub messages: AtomicU64,
    pub events_dropped: AtomicU64,
    /// Voice batches the audio service was too far behind to take.
    pub voice_dropped: AtomicU64,
}

pub struct CoreSettings {
    pub receiver: Position,
    /// How often the stats are published.
    pub stats_every: Duration,
    /// How often expiry, safety checks and source health run.
    pub housekeeping: Duration,
    /// A source with no block for this long is stalled (unhealthy).
    pub stall: Duration,
    /// ACARS messages kept, and for how long (s).
    pub acars_keep: usize,
    pub acars_max_age_s: f64,
    /// Who each address belongs to.
    pub aircraft_db: Option<&'static aircraft_db::AircraftDb>,
    /// How cannonball recognises law enforcement beyond the database.
    pub cannonball: crate::config::CannonballConfig,
}

impl CoreSettings {
    pub fn new(receiver: Position) -> Self {
        Self {
            receiver,
            stats_every: Duration::from_secs(1),
            housekeeping: Duration::from_secs(1),
            stall: Duration::from_secs(2),
            acars_keep: 1000,
            acars_max_age_s: 6.0 * 3600.0,
            aircraft_db: None,
            cannonball: crate::config::CannonballConfig::default(),
        }
    }
}

/// What the core publishes, for the API and the feeds.
pub struct CoreOutputs {
    pub world: watch::Receiver<Arc<World>>,
    pub stats: watch::Receiver<Arc<StatsSnapshot>>,
    /// The recent ACARS messages, oldest first (republished when one comes or goes).
    pub acars: watch::Receiver<Arc<Vec<Arc<AcarsRecord>>>>,
    pub events: mpsc::Receiver<CoreEvent>,
    /// The open safety events (the `safety` topic's snapshot), republished before the events
    /// that change them are sent: an event the queue had to drop still leaves this right.
    pub safety: watch::Receiver<Arc<Vec<SafetyEvent>>>,
    /// Each block's traffic (sent only while someone subscribes).
    pub heard: broadcast::Sender<Arc<HeardBatch>>,
    /// The voice channels' transmissions, levels and live audio.
    pub voice: mpsc::Receiver<VoiceBatch>,
    /// The aircraft of interest, for `/cannonball` (once a second).
    pub watch: watch::Receiver<Arc<WatchList>>,
}

pub struct Core {
    clock: Clock,
    table: TrackTable,
    airspace: AirspaceStore,
    acars: AcarsStore,
    safety: SafetyEngine,
    alerts: AlertEngine,
    /// The alert rules as their owner last saved them (`alerts::service`).
    rules_rx: watch::Receiver<Rules>,
    rules: Rules,
    stats: Stats,
    receiver: Position,
    publisher: Publisher,
    settings: CoreSettings,
    started: Instant,
    sources: SourceSet,
    /// When each source's last block arrived.
    last_block: Vec<Option<Instant>>,
    safety_history: VecDeque<SafetyEvent>,
    /// The open safety events as sent, by id (bounded by the safety engine's open set).
    safety_open: BTreeMap<u64, SafetyEvent>,
    safety_tx: watch::Sender<Arc<Vec<SafetyEvent>>>,
    acknowledged: HashSet<u64>,
    changes: Vec<Change>,
    last_usage: Option<(Instant, f64)>,
    stats_version: u64,
    counters: Arc<CoreCounters>,
    world_tx: watch::Sender<Arc<World>>,
    stats_tx: watch::Sender<Arc<StatsSnapshot>>,
    acars_tx: watch::Sender<Arc<Vec<Arc<AcarsRecord>>>>,
    events_tx: mpsc::Sender<CoreEvent>,
    heard_tx: broadcast::Sender<Arc<HeardBatch>>,
    voice_tx: mpsc::Sender<VoiceBatch>,
    watch_tx: watch::Sender<Arc<WatchList>>,
    identifier: Identifier,
    /// Core time the pattern detectors last ran.
    patterns_at: f64,
}

impl Core {
    pub fn new(
        settings: CoreSettings,
        sources: SourceSet,
        rules: watch::Receiver<Rules>,
        counters: Arc<CoreCounters>,
    ) -> (Core, CoreOutputs) {
        let (world_tx, world) = watch::channel(Arc::new(World::default()));
        let first_stats = Arc::new(StatsSnapshot {
            version: 0,
            wall_ms: wall::now_ms(),
            summary: Stats::new(0.0).summary(&TrackTable::new(TrackConfig::default()), 0.0),
            avg_rssi: None,
            noise_dbfs: None,
            cpu_percent: None,
            rss_bytes: None,
            uptime_s: 0,
            sources: sources.reports(),
            series: Vec::new(),
        });
        let (stats_tx, stats) = watch::channel(first_stats);
        let (events_tx, events) = mpsc::channel(EVENT_QUEUE);
        let (safety_tx, safety) = watch::channel(Arc::new(Vec::new()));
        let (acars_tx, acars) = watch::channel(Arc::new(Vec::new()));
        let (heard_tx, _) = broadcast::channel(HEARD_BACKLOG);
        let (voice_tx, voice) = mpsc::channel(VOICE_QUEUE);
        let current_rules = rules.borrow().clone();
        let (watch_tx, watch) = watch::channel(Arc::new(WatchList::default()));
        let identifier = Identifier::new(&settings.cannonball);
        let core = Core {
            clock: Clock::new(),
            table: TrackTable::new(TrackConfig {
                receiver: Some(settings.receiver),
                db: settings.aircraft_db,
                ..TrackConfig::default()
            }),
            airspace: AirspaceStore::default(),
            acars: AcarsStore::new(settings.acars_keep, settings.acars_max_age_s),
            safety: SafetyEngine::new(SafetyConfig::default()),
            alerts: AlertEngine::new(),
            rules: current_rules,
            rules_rx: rules,
            stats: Stats::new(0.0),
            receiver: settings.receiver,
            publisher: Publisher::new(),
            started: Instant::now(),
            last_block: vec![None; sources.0.len()],
            sources,
            settings,
            safety_history: VecDeque::new(),
            safety_open: BTreeMap::new(),
            safety_tx,
            acknowledged: HashSet::new(),
            changes: Vec::new(),
            last_usage: None,
            stats_version: 0,
            counters,
            world_tx,
            stats_tx,
            acars_tx,
            events_tx,
            heard_tx: heard_tx.clone(),
            voice_tx,
            watch_tx,
            identifier,
            patterns_at: f64::NEG_INFINITY,
        };
        let outputs = CoreOutputs {
            world,
            stats,
            acars,
            events,
            safety,
            heard: heard_tx,
            voice,
            watch,
        };
        (core, outputs)
    }

    /// Runs until `shutdown` resolves or every input is closed.
    pub async fn run(
        mut self,
        mut blocks: mpsc::Receiver<Block>,
        mut cmds: mpsc::Receiver<Cmd>,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let mut housekeeping = tokio::time::interval(self.settings.housekeeping);
        housekeeping.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut stats = tokio::time::interval(self.settings.stats_every);
        stats.set_missed_tick_behavior(MissedTickBehavior::Skip);
        tokio::pin!(shutdown);
        let (mut blocks_open, mut cmds_open, mut rules_open) = (true, true, true);
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
                changed = self.rules_rx.changed(), if rules_open => match changed {
                    Ok(()) => {
                        let rules = self.rules_rx.borrow_and_update().clone();
                        self.alerts.rules_changed(&self.rules, &rules);
                        self.rules = rules;
                    }
                    Err(_) => rules_open = false,
                },
                _ = housekeeping.tick() => self.housekeeping(),
                _ = stats.tick() => self.publish_stats(),
            }
        }
    }

    /// Core time now (s).
    pub fn now(&self) -> f64 {
        self.clock.now()
    }

    /// Takes one block of decoded messages.
    pub fn ingest(&mut self, block: Block) {
        self.counters.blocks.fetch_add(1, Ordering::Relaxed);
        self.counters
            .messages
            .fetch_add(block.heard.len() as u64, Ordering::Relaxed);
        if let Some(seen) = block.source.and_then(|i| self.last_block.get_mut(i)) {
            *seen = Some(Instant::now());
        }
        let offset = self.clock.on_block(&block);
        let wall_now = wall::now_ms();
        let feeding = self.heard_tx.receiver_count() > 0;
        let mut batch = HeardBatch::default();
        for h in block.heard {
            let t = h.t + offset;
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
            self.safety.on_message(a, &h.message, t, &mut self.changes);
            let fired = self.alerts.evaluate(&self.rules, a, t, Some(self.receiver));
            for alert in fired {
                self.send_alert(alert);
            }
            if feeding {
                batch.modes.push(HeardMessage {
                    wall_ms: self.clock.wall_ms(t, wall_now),
                    t,
                    position: fresh,
                    frame: h.frame,
                    message: h.message,
                });
            }
        }
        for u in block.uat {
            self.ingest_uat(u, offset);
        }
        if !(block.acars.is_empty() && block.vdl2.is_empty()) {
            for h in block.acars {
                self.ingest_acars(h, offset, wall_now, feeding.then_some(&mut batch));
            }
            for h in block.vdl2 {
                self.ingest_vdl2(h, offset, wall_now, feeding.then_some(&mut batch));
            }
            self.publish_acars();
        }
        if !(block.voice.is_empty() && block.voice_levels.is_empty()) {
            let voice = VoiceBatch {
                transmissions: block
                    .voice
                    .into_iter()
                    .map(|heard| HeardVoice {
                        wall_ms: self.clock.wall_ms(heard.t + offset, wall_now),
                        heard,
                    })
                    .collect(),
                levels: block.voice_levels,
            };
            if self.voice_tx.try_send(voice).is_err() {
                self.counters.voice_dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        if feeding {
            for mut u in block.uat_frames {
                u.t += offset;
                let wall_ms = self.clock.wall_ms(u.t, wall_now);
                batch.uat.push(HeardUat { frame: u, wall_ms });
            }
            if !(batch.modes.is_empty()
                && batch.uat.is_empty()
                && batch.acars.is_empty()
                && batch.vdl2.is_empty())
            {
                // No receiver only while every feed is between clients.
                let _ = self.heard_tx.send(Arc::new(batch));
            }
        }
        self.send_safety_changes();
        // Publish at once: the fan-out sends fresh data the moment it exists.
        self.publish();
    }

    fn ingest_uat(&mut self, u: UatHeard, offset: f64) {
        match u {
            UatHeard::Downlink {
                downlink,
                rssi_dbfs,
                t,
                repaired,
            } => {
                let t = t + offset;
                self.stats.record_uat(repaired, rssi_dbfs);
                let a = self.table.ingest_uat(&downlink, rssi_dbfs, t);
                if let Some(p) = a.position.aged().filter(|p| p.updated == t) {
                    self.stats.record_position(self.receiver, p.value);
                }
                let fired = self.alerts.evaluate(&self.rules, a, t, Some(self.receiver));
                for alert in fired {
                    self.send_alert(alert);
                }
            }
            UatHeard::Products {
                station, products, ..
            } => {
                let now = wall::now_ms();
                let mut changes = Vec::new();
                for p in products {
                    changes.extend(self.airspace.add(
                        p.product_id,
                        p.time,
                        &p.product,
                        station,
                        now,
                    ));
                }
                self.send_airspace(changes);
            }
        }
    }

    fn ingest_acars(
        &mut self,
        h: AcarsHeard,
        offset: f64,
        wall_now: u64,
        batch: Option<&mut HeardBatch>,
    ) {
        let t = h.t + offset;
        let wall_ms = self.clock.wall_ms(t, wall_now);
        self.stats.record_acars();
        let (record, block) = self.acars.add(
            &h.block,
            h.channel,
            h.frequency_hz,
            h.level_db,
            t,
            wall_ms,
            &self.table,
        );
        if let Some(batch) = batch {
            batch.acars.push(block);
        }
        if let Some(r) = record {
            self.send(CoreEvent::Acars(r));
        }
    }

    /// A VDL2 frame: its ACARS (if it carries any) joins the messages, linked by the
    /// aircraft's address; every frame goes to the feeds.
    fn ingest_vdl2(
        &mut self,
        h: Vdl2Heard,
        offset: f64,
        wall_now: u64,
        batch: Option<&mut HeardBatch>,
    ) {
        let t = h.t + offset;
        let wall_ms = self.clock.wall_ms(t, wall_now);
        self.stats.record_vdl2();
        if let Payload::Acars { block, .. } = payload(&h.frame) {
            let origin = Origin {
                source: "vdlm2",
                channel: h.channel,
                frequency_hz: h.frequency_hz,
                signal_dbfs: h.level_db,
                aircraft: h.frame.aircraft(),
                ground_station: h.frame.ground_station(),
            };
            let (record, _) = self.acars.add_from(&block, origin, t, wall_ms, &self.table);
            if let Some(r) = record {
                self.send(CoreEvent::Acars(r));
            }
        }
        if let Some(batch) = batch {
            batch.vdl2.push(HeardVdl2 { wall_ms, heard: h });
        }
    }

    fn publish_acars(&mut self) {
        let _ = self.acars_tx.send(Arc::new(self.acars.all()));
    }

    /// Expiry, safety checks, stats minutes and source health, on the core's clock.
    pub fn housekeeping(&mut self) {
        let now = self.clock.now();
        let gone = self.table.expire(now);
        self.alerts.forget(&gone);
        let expired = self.airspace.expire(wall::now_ms());
        self.send_airspace(expired);
        if self.acars.expire(now, wall::now_ms()) {
            self.publish_acars();
        }
        self.safety.tick(&self.table, now, &mut self.changes);
        self.send_safety_changes();
        self.stats.tick(&self.table, process_usage(), now);
        self.check_sources();
        self.publish();
        self.publish_watch_list(now);
    }

    /// Runs the pattern detectors (every [`cannonball::PATTERN_EVERY_S`]) and publishes the
    /// aircraft of interest.
    fn publish_watch_list(&mut self, now: f64) {
        if now - self.patterns_at >= cannonball::PATTERN_EVERY_S {
            self.patterns_at = now;
            self.table.iter_mut().for_each(cannonball::update_pattern);
        }
        let aircraft = self
            .table
            .iter()
            .filter_map(|a| cannonball::watched(a, &self.identifier, now))
            .collect();
        let list = WatchList {
            timestamp_ms: wall::now_ms(),
            aircraft,
        };
        let _ = self.watch_tx.send(Arc::new(list));
    }

    /// Marks the sources that sent no block within the stall time.
    fn check_sources(&mut self) {
        let now = Instant::now();
        let stall = self.settings.stall;
        for (status, last) in self.sources.0.iter().zip(&self.last_block) {
            let since = last.unwrap_or(self.started);
            let stalled = now.saturating_duration_since(since) > stall;
            let was = status.stalled.swap(stalled, Ordering::Relaxed);
            if stalled && !was && !status.ended.load(Ordering::Relaxed) {
                tracing::warn!(
                    band = %status.band,
                    source = status.kind,
                    "no samples for {stall:?}: the band is unhealthy"
                );
            } else if was && !stalled {
                tracing::info!(band = %status.band, source = status.kind, "samples again");
            }
        }
    }

    /// Publishes the picture if it changed.
    fn publish(&mut self) {
        let now = self.clock.now();
        let receiver = Some(self.receiver);
        let records = self
            .table
            .iter()
            .map(|a| AircraftRecord::of(a, now, receiver));
        if let Some(w) = self.publisher.publish(records, wall::now_ms()) {
            // No receiver only during shutdown; nothing to do then.
            let _ = self.world_tx.send(w);
        }
    }

    /// The latest published picture.
    pub fn world(&self) -> Arc<World> {
        self.publisher.current().clone()
    }

    fn publish_stats(&mut self) {
        let now = self.clock.now();
        let wall_now = wall::now_ms();
        let summary = self.stats.summary(&self.table, now);
        let usage = process_usage();
        let cpu_percent = match (self.last_usage, usage) {
            (Some((t0, c0)), Some(u)) => {
                let dt = t0.elapsed().as_secs_f64();
                (dt > 0.0).then(|| ((u.cpu_seconds - c0) / dt * 1000.0).round() / 10.0)
            }
            _ => None,
        };
        if let Some(u) = usage {
            self.last_usage = Some((Instant::now(), u.cpu_seconds));
        }
        let rssi: Vec<f32> = self.table.iter().filter_map(|a| a.rssi).collect();
        let avg_rssi = (!rssi.is_empty())
            .then(|| (rssi.iter().sum::<f32>() / rssi.len() as f32 * 10.0).round() / 10.0)
            .map(f64::from);
        let series = summary
            .history
            .iter()
            .map(|m| (self.clock.wall_ms(m.start, wall_now), m.clone()))
            .collect();
        self.stats_version += 1;
        if self.stats_version.is_multiple_of(LOG_EVERY) {
            tracing::info!(
                aircraft = summary.aircraft,
                with_position = summary.aircraft_with_position,
                msg_per_s = summary.messages_per_second,
                max_range_nm = summary.max_range_nm,
                "receiving"
            );
        }
        let snapshot = StatsSnapshot {
            version: self.stats_version,
            wall_ms: wall_now,
            noise_dbfs: histogram_median_dbfs(&summary.noise_histogram),
            summary,
            avg_rssi,
            cpu_percent,
            rss_bytes: usage.map(|u| u.rss_bytes),
            uptime_s: self.started.elapsed().as_secs(),
            sources: self.sources.reports(),
            series,
        };
        let _ = self.stats_tx.send(Arc::new(snapshot));
    }

    fn send(&self, e: CoreEvent) {
        if self.events_tx.try_send(e).is_err() {
            self.counters.events_dropped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                "event queue full: an event was dropped (clients can fetch it by request)"
            );
        }
    }

    fn send_airspace(&mut self, changes: Vec<AirspaceChange>) {
        if changes.is_empty() {
            return;
        }
        let snapshot = Arc::new(self.airspace.snapshot(wall::now_ms()));
        self.send(CoreEvent::Airspace { changes, snapshot });
    }

    fn send_safety_changes(&mut self) {
        if self.changes.is_empty() {
            return;
        }
        let wall_now = wall::now_ms();
        let mut sends = Vec::with_capacity(self.changes.len());
        for c in std::mem::take(&mut self.changes) {
            let (change, mut e) = match c {
                Change::Raised(e) => (SafetyChange::Raised, e),
                Change::Updated(e) => (SafetyChange::Updated, e),
                Change::Resolved(e) => (SafetyChange::Resolved, e),
            };
            e.timestamp = self.clock.wall_ms(e.timestamp, wall_now) as f64;
            e.resolved_at = e
                .resolved_at
                .map(|t| self.clock.wall_ms(t, wall_now) as f64);
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
            if change == SafetyChange::Resolved {
                self.safety_open.remove(&e.id);
            } else {
                self.safety_open.insert(e.id, e.clone());
            }
            sends.push(CoreEvent::Safety { change, event: e });
        }
        // The snapshot state first, so a client subscribing meanwhile gets each event in its
        // snapshot or as the event (possibly both), never neither.
        let open: Vec<SafetyEvent> = self.safety_open.values().cloned().collect();
        self.safety_tx.send_replace(Arc::new(open));
        for e in sends {
            self.send(e);
        }
    }

    fn send_alert(&mut self, mut alert: alerts::Alert) {
        let now = self.clock.now();
        let aircraft = TrackKey::from_hex(&alert.icao)
            .and_then(|k| self.table.get(&k))
            .map(|a| Box::new(AircraftRecord::of(a, now, Some(self.receiver))));
        alert.timestamp = self.clock.wall_ms(alert.timestamp, wall::now_ms()) as f64;
        self.send(CoreEvent::Alert { alert, aircraft });
    }

    /// Answers a request; a dropped reply means the client went away.
    pub fn command(&mut self, c: Cmd) {
        match c {
            Cmd::Track(key, reply) => {
                let now = self.clock.now();
                let wall_now = wall::now_ms();
                let trail = self.table.get(&key).map(|a| {
                    a.trail
                        .iter()
                        .map(|(t, p, alt)| TrailPoint {
                            position: *p,
                            alt_baro: *alt,
                            wall_ms: self.clock.wall_ms(*t, wall_now),
                            age_s: ((now - t) * 10.0).round() / 10.0,
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
                let since = wall::now_ms() as f64 - hours * 3_600_000.0;
                let events = self
                    .safety_history
                    .iter()
                    .rev()
                    .filter(|e| e.timestamp >= since)
                    .take(limit)
                    .map(|e| (e.clone(), self.acknowledged.contains(&e.id)))
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
            Cmd::StatsSummary(reply) => {
                let _ = reply.send(self.stats.summary(&self.table, self.clock.now()));
            }
        }
    }
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
