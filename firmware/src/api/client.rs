//! One connected client of the main namespace: what it subscribed to, its own baseline and
//! `seq` for aircraft deltas, its rate limits, its batch, and its inbound token bucket.
//!
//! The fan-out task and this client's handlers both send to it, each holding this client's
//! lock for the duration of a send, so `seq` and snapshot/delta order are consistent without
//! a lock shared between clients.
//!
//! Backpressure: socketioxide gives each socket a bounded packet queue and refuses a packet
//! when it is full. A refused aircraft message leaves `seq` where it was and drops the
//! baseline, so the next send is a fresh snapshot: a stalled client never accumulates stale
//! positions, and its other topics keep their own state. Urgent events that do not fit wait
//! in a bounded backlog ([`URGENT_BACKLOG`]).
//!
//! The same queue carries the transport's heartbeat: socketioxide closes a connection whose
//! queue is full when a ping is due. Urgent events come in bursts (a rule matching every
//! aircraft fires for all of them at once), so they are paced: at most half the queue at once,
//! then a queue's worth every [`URGENT_REFILL`]. A client that reads keeps room for the ping
//! through any burst; only one that falls behind that pace fills its queue.

use super::wire::{self, AircraftSnapshot, AircraftUpdate, Batch, BatchItem, DeltaJson};
use super::Topic;
use crate::core::World;
use crate::logging::{left_out, Throttle};
use serde::Serialize;
use serde_json::value::RawValue;
use socketioxide::extract::SocketRef;
use socketioxide::socket::Sid;
use socketioxide::{SendError, SocketError};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How often one slow client's dropped events are logged at most.
const SLOW_LOGGED_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Where a client's messages go: its socket, or a recorder in the tests of this logic.
pub trait Outbox: Send + 'static {
    fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), SendError>;
    fn connected(&self) -> bool;
    fn sid(&self) -> Sid;
}

impl Outbox for SocketRef {
    fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), SendError> {
        (**self).emit(event, data)
    }

    fn connected(&self) -> bool {
        (**self).connected()
    }

    fn sid(&self) -> Sid {
        self.id
    }
}

/// A batch holds at most this many events ...
pub const BATCH_MAX_EVENTS: usize = 50;
/// ... and at most this many bytes of event data.
pub const BATCH_MAX_BYTES: usize = 1 << 20;
/// Urgent events kept for a client whose queue is full. A rule that matches every aircraft
/// raises one alert per aircraft when its cooldown ends, all at once (urgent events are never
/// batched): about 300 in a busy sky, more than a queue of `client_queue` packets takes in one
/// pass. The backlog holds three such bursts for a client that is reading, and drains at its
/// pace; only a client stalled through more loses the oldest. An entry is a pointer to the
/// encoded event, which all clients share: 32 bytes, so 32 kB for a full backlog.
pub const URGENT_BACKLOG: usize = 1024;
/// Backlog entries a client keeps memory for once a burst has drained (more is freed).
const KEPT_AFTER_BURST: usize = 64;
/// Urgent events go out at most a socket queue's worth per this period (after a first half
/// queue at once): 256 a second with the default queue of 64, so a burst of 300 alerts takes
/// about a second to deliver while a client reading at that pace never has a full queue.
pub const URGENT_REFILL: Duration = Duration::from_millis(250);

/// Inbound rate limit: a token bucket (protocol.md: 10/s, burst 30).
#[derive(Debug)]
pub struct TokenBucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    at: Instant,
}

impl TokenBucket {
    pub fn new(rate: f64, burst: f64, now: Instant) -> Self {
        Self {
            tokens: burst,
            rate,
            burst,
            at: now,
        }
    }

    pub fn take(&mut self, now: Instant) -> bool {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = now;
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// An event waiting to go with the client's next aircraft message or batch.
#[derive(Clone, Debug)]
pub struct Queued {
    pub event: &'static str,
    pub data: Arc<RawValue>,
}

/// Per-world caches shared by all clients in one fan-out pass.
/// A snapshot of more than this many bytes goes in pieces (see [`Client`]): no connection
/// keeps a write buffer the size of the whole picture.
pub const PIECE_BYTES: usize = 8 * 1024;

/// The picture in pieces: the snapshot's `aircraft` array first, then `added` arrays.
pub type Pieces = Arc<Vec<(Arc<RawValue>, usize)>>;

#[derive(Default)]
pub struct WorldCache {
    version: u64,
    snapshot: Option<Pieces>,
    deltas: std::collections::HashMap<u64, Option<Arc<DeltaJson>>>,
}

impl WorldCache {
    fn reset_for(&mut self, w: &World) {
        if self.version != w.version {
            self.version = w.version;
            self.snapshot = None;
            self.deltas.clear();
        }
    }

    fn snapshot(&mut self, w: &World) -> Pieces {
        self.reset_for(w);
        self.snapshot
            .get_or_insert_with(|| Arc::new(wire::snapshot_pieces(w, PIECE_BYTES)))
            .clone()
    }

    fn delta(&mut self, w: &World, base: u64) -> Option<Arc<DeltaJson>> {
        self.reset_for(w);
        self.deltas
            .entry(base)
            .or_insert_with(|| w.delta_since(base).map(|d| Arc::new(DeltaJson::encode(&d))))
            .clone()
    }
}

/// Whether a send got through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    Ok,
    /// The client's queue is full.
    Full,
    /// The client is gone.
    Closed,
}

pub struct Client<O: Outbox = SocketRef> {
    pub socket: O,
    /// Connected with a valid token.
    pub authorized: bool,
    subs: u8,
    pub aircraft_period: Duration,
    pub stats_period: Duration,
    default_aircraft_period: Duration,
    default_stats_period: Duration,
    batch_window: Duration,
    seq: u64,
    /// World version the client holds; `None`: it needs a snapshot.
    baseline: Option<u64>,
    /// The pieces of its snapshot still to send, and the next one's index.
    pieces: Option<(Pieces, usize)>,
    next_aircraft: Instant,
    next_stats: Instant,
    stats_sent: u64,
    pending: Vec<Queued>,
    retry: VecDeque<Queued>,
    /// A client too slow for its urgent events is told about in the log once per
    /// [`SLOW_LOGGED_EVERY`], with the count of the rest (a stalled browser drops many).
    drops_logged: Throttle,
    /// When the oldest queued event was queued.
    pending_since: Option<Instant>,
    pub bucket: TokenBucket,
    pub last_limited_notice: Option<Instant>,
    /// Sends refused because the client's queue was full.
    pub refused: u64,
    /// Paces urgent sends so a burst leaves room in the queue (see the module notes).
    urgent_pace: TokenBucket,
    created: Instant,
}

impl<O: Outbox> Client<O> {
    /// A client whose socket queues at most `queue` packets (`api.client_queue`).
    pub fn new(
        socket: O,
        authorized: bool,
        aircraft_hz: f64,
        stats_hz: f64,
        batch_window: Duration,
        queue: usize,
        now: Instant,
    ) -> Self {
        let queue = queue.max(2) as f64;
        let aircraft_period = Duration::from_secs_f64(1.0 / aircraft_hz);
        let stats_period = Duration::from_secs_f64(1.0 / stats_hz);
        Self {
            socket,
            authorized,
            subs: 0,
            aircraft_period,
            stats_period,
            default_aircraft_period: aircraft_period,
            default_stats_period: stats_period,
            batch_window,
            seq: 0,
            baseline: None,
            pieces: None,
            next_aircraft: now,
            next_stats: now,
            stats_sent: 0,
            pending: Vec::new(),
            retry: VecDeque::new(),
            drops_logged: Throttle::new(SLOW_LOGGED_EVERY),
            pending_since: None,
            bucket: TokenBucket::new(10.0, 30.0, now),
            last_limited_notice: None,
            refused: 0,
            urgent_pace: TokenBucket::new(
                queue / URGENT_REFILL.as_secs_f64(),
                (queue / 2.0).floor(),
                now,
            ),
            created: now,
        }
    }

    /// A client whose socket closed without a disconnect callback (a connection that failed
    /// right after the connect middleware) — safe to forget after a grace period.
    pub fn abandoned(&self, now: Instant) -> bool {
        !self.socket.connected()
            && now.saturating_duration_since(self.created) > Duration::from_secs(10)
    }

    /// True until the client holds a picture to apply deltas to.
    pub fn needs_snapshot(&self) -> bool {
        self.baseline.is_none()
    }

    /// True while pieces of a snapshot are still to be sent.
    pub fn receiving_pieces(&self) -> bool {
        self.pieces.is_some()
    }

    pub fn subscribed(&self, t: Topic) -> bool {
        self.subs & t.bit() != 0
    }

    pub fn topics(&self) -> Vec<&'static str> {
        Topic::ALL
            .iter()
            .filter(|t| self.subscribed(**t))
            .map(|t| t.name())
            .collect()
    }

    /// Adds a topic; true if it was not subscribed before.
    pub fn join(&mut self, t: Topic) -> bool {
        let new = !self.subscribed(t);
        self.subs |= t.bit();
        new
    }

    pub fn leave(&mut self, t: Topic) {
        self.subs &= !t.bit();
        if t == Topic::Aircraft {
            self.baseline = None;
            self.pieces = None;
        }
    }

    /// Sets a topic's rate (Hz); a client may only ask for less than the server's limit.
    /// Returns the rate in force.
    pub fn set_rate(&mut self, t: Topic, hz: f64) -> Option<f64> {
        let slot = match t {
            Topic::Aircraft => (&mut self.aircraft_period, self.default_aircraft_period),
            Topic::Stats => (&mut self.stats_period, self.default_stats_period),
            _ => return None,
        };
        let min = slot.1;
        let period = if hz.is_finite() && hz > 0.0 {
            Duration::from_secs_f64((1.0 / hz).min(3600.0)).max(min)
        } else {
            min
        };
        *slot.0 = period;
        Some(1.0 / period.as_secs_f64())
    }

    pub fn emit(&mut self, event: &str, data: &(impl Serialize + ?Sized)) -> Sent {
        match self.socket.emit(event, data) {
            Ok(()) => Sent::Ok,
            Err(SendError::Socket(SocketError::InternalChannelFull)) => {
                self.refused += 1;
                Sent::Full
            }
            Err(SendError::Socket(SocketError::Closed)) => Sent::Closed,
            Err(e) => {
                tracing::warn!(sid = %self.socket.sid(), "emit {event} failed: {e}");
                Sent::Closed
            }
        }
    }

    /// Sends `aircraft:snapshot` now and makes it the baseline.
    pub fn send_aircraft_snapshot(&mut self, w: &World, cache: &mut WorldCache) -> Sent {
        let m = self.snapshot_message(w, cache);
        let sent = m.emit(self);
        if sent != Sent::Ok {
            self.aircraft_refused();
        }
        sent
    }

    /// The snapshot that brings this client to `w` (its first piece, when it is large; the
    /// rest follow as `added` deltas at the client's rate, and its baseline stays `w` until
    /// they are all sent).
    fn snapshot_message(&mut self, w: &World, cache: &mut WorldCache) -> AircraftMessage {
        let pieces = cache.snapshot(w);
        let (records, count) = pieces[0].clone();
        self.pieces = (pieces.len() > 1).then_some((pieces, 1));
        self.seq += 1;
        self.baseline = Some(w.version);
        AircraftMessage::Snapshot {
            seq: self.seq,
            records,
            count,
            timestamp: w.timestamp_ms,
        }
    }

    /// The aircraft message that brings this client up to `w`, if it is behind; the
    /// baseline and `seq` advance (call [`Client::aircraft_refused`] if it is not delivered).
    fn aircraft_message(&mut self, w: &World, cache: &mut WorldCache) -> Option<AircraftMessage> {
        if let Some((pieces, next)) = self.pieces.take() {
            let (records, _) = pieces[next].clone();
            if next + 1 < pieces.len() {
                self.pieces = Some((pieces, next + 1));
            }
            self.seq += 1;
            return Some(AircraftMessage::Delta {
                seq: self.seq,
                parts: Arc::new(DeltaJson::adding(records)),
                timestamp: w.timestamp_ms,
            });
        }
        let delta = match self.baseline {
            Some(b) if b >= w.version => return None,
            Some(b) => cache.delta(w, b),
            None => None,
        };
        let Some(parts) = delta else {
            return Some(self.snapshot_message(w, cache));
        };
        self.seq += 1;
        self.baseline = Some(w.version);
        Some(AircraftMessage::Delta {
            seq: self.seq,
            parts,
            timestamp: w.timestamp_ms,
        })
    }

    /// An aircraft message was not delivered: take its `seq` back and start over from a
    /// snapshot.
    fn aircraft_refused(&mut self) {
        self.seq -= 1;
        self.baseline = None;
        self.pieces = None;
    }

    /// An emergency squawk appeared: the delta goes now, outside the rate limit and batch.
    pub fn send_urgent_aircraft(&mut self, w: &World, cache: &mut WorldCache) -> Sent {
        if !self.subscribed(Topic::Aircraft) {
            return Sent::Ok;
        }
        match self.aircraft_message(w, cache) {
            None => Sent::Ok,
            Some(m) => {
                let sent = m.emit(self);
                if sent != Sent::Ok {
                    self.aircraft_refused();
                }
                sent
            }
        }
    }

    /// A server event for this client: urgent ones go now, the rest are queued (see `tick`).
    pub fn offer(&mut self, q: &Queued, urgent: bool, now: Instant) -> Sent {
        if !urgent {
            self.queue(q.clone(), now);
            return Sent::Ok;
        }
        self.flush_retry(now);
        let sent = if self.retry.is_empty() && self.urgent_pace.take(now) {
            self.emit(q.event, &*q.data)
        } else {
            Sent::Full
        };
        if sent == Sent::Full {
            if self.retry.len() == URGENT_BACKLOG {
                self.retry.pop_front();
                if let Some(n) = self.drops_logged.allow() {
                    tracing::warn!(
                        sid = %self.socket.sid(),
                        "client too slow: an urgent event was dropped{}",
                        left_out(n)
                    );
                }
            }
            self.retry.push_back(q.clone());
        }
        sent
    }

    fn flush_retry(&mut self, now: Instant) {
        while let Some(q) = self.retry.front() {
            let (event, data) = (q.event, q.data.clone());
            if !self.urgent_pace.take(now) || self.emit(event, &*data) != Sent::Ok {
                return;
            }
            self.retry.pop_front();
        }
        if self.retry.capacity() > KEPT_AFTER_BURST {
            // A burst is over: its backlog's memory goes back, or every client that once
            // fell behind would hold a full backlog's worth for the rest of its connection.
            self.retry = VecDeque::new();
        }
    }

    /// Entries the client's event buffers (urgent backlog and batch queue) hold memory for:
    /// what a burst left behind once it has gone out.
    pub fn buffered_capacity(&self) -> usize {
        self.retry.capacity() + self.pending.capacity()
    }

    fn queue(&mut self, q: Queued, now: Instant) {
        self.pending_since.get_or_insert(now);
        self.pending.push(q);
    }

    /// A new picture was published. If this client's aircraft message is due (within
    /// `tolerance`, half the publish period, so sends ride on fresh publishes rather than
    /// drift between them), it goes now, with whatever else is queued: one event alone,
    /// several as `batch`.
    pub fn world_changed(
        &mut self,
        now: Instant,
        w: &World,
        cache: &mut WorldCache,
        tolerance: Duration,
    ) -> Sent {
        if !self.subscribed(Topic::Aircraft) || now + tolerance < self.next_aircraft {
            return Sent::Ok;
        }
        self.send_aircraft_due(now, w, cache)
    }

    /// Sends the aircraft message (with anything queued) if the client is behind.
    fn send_aircraft_due(&mut self, now: Instant, w: &World, cache: &mut WorldCache) -> Sent {
        self.flush_retry(now);
        if !self.retry.is_empty() {
            // Urgent events are still waiting for room in the queue or for their pace (a
            // burst of alerts): the picture waits with them, keeping its baseline, and its next delta covers this
            // one. Sent now it would be refused, and a refusal costs a snapshot.
            return Sent::Full;
        }
        let Some(m) = self.aircraft_message(w, cache) else {
            return Sent::Ok;
        };
        self.next_aircraft = next_due(self.next_aircraft, self.aircraft_period, now);
        if self.pending.is_empty() {
            // The common case: the message alone, its shared parts written straight into
            // the packet (no copy of its own).
            self.pending_since = None;
            let sent = m.emit(self);
            if sent != Sent::Ok {
                self.aircraft_refused();
            }
            return sent;
        }
        let pending = std::mem::take(&mut self.pending);
        let mut out = Vec::with_capacity(1 + pending.len());
        out.push(m.queued());
        out.extend(pending);
        let window = self.take_window(now);
        let (sent, delivered) = self.send_batched(&out, window);
        // The aircraft message leads the first batch: only if that batch was refused did
        // the client miss it (a later batch refused costs only queued events).
        if delivered == 0 {
            self.aircraft_refused();
        }
        sent
    }

    /// The periodic check: queues the stats tick when due, and sends what is queued once it
    /// has waited the batch window (or fills a batch). Aircraft clients usually send their
    /// queue sooner, with their next aircraft message.
    pub fn tick(
        &mut self,
        now: Instant,
        stats: Option<(u64, &Arc<RawValue>)>,
        w: &World,
        cache: &mut WorldCache,
        tolerance: Duration,
    ) -> Sent {
        // Publishes normally serve a due client; when they stop (a replay ended) the last
        // change still has to go out.
        if self.subscribed(Topic::Aircraft) && now >= self.next_aircraft + tolerance {
            let sent = self.send_aircraft_due(now, w, cache);
            if sent != Sent::Ok {
                return sent;
            }
        }
        if let Some((version, data)) = stats {
            if self.subscribed(Topic::Stats) && now >= self.next_stats && version > self.stats_sent
            {
                self.stats_sent = version;
                self.next_stats = next_due(self.next_stats, self.stats_period, now);
                let q = Queued {
                    event: "stats:tick",
                    data: data.clone(),
                };
                self.queue(q, now);
            }
        }
        self.flush_retry(now);
        let waited = self
            .pending_since
            .is_some_and(|t| now.saturating_duration_since(t) >= self.batch_window);
        if !(waited || self.pending.len() >= BATCH_MAX_EVENTS) {
            return Sent::Ok;
        }
        let out = std::mem::take(&mut self.pending);
        let window = self.take_window(now);
        self.send_batched(&out, window).0
    }

    /// How long the queued events waited; the queue starts over.
    fn take_window(&mut self, now: Instant) -> Duration {
        self.pending_since
            .take()
            .map_or(Duration::ZERO, |t| now.saturating_duration_since(t))
    }

    /// One event as itself; more as `batch` messages within the count and size bounds.
    /// Returns how the sending ended and how many of the events were handed over.
    fn send_batched(&mut self, out: &[Queued], window: Duration) -> (Sent, usize) {
        match out {
            [] => (Sent::Ok, 0),
            [one] => {
                let sent = self.emit(one.event, &*one.data);
                (sent, usize::from(sent == Sent::Ok))
            }
            _ => {
                let mut delivered = 0;
                for chunk in batches(out) {
                    let batch = Batch {
                        events: chunk
                            .iter()
                            .map(|q| BatchItem {
                                event: q.event,
                                data: &q.data,
                            })
                            .collect(),
                        count: chunk.len(),
                        window_ms: window.as_millis() as u64,
                    };
                    let sent = self.emit("batch", &batch);
                    if sent != Sent::Ok {
                        return (sent, delivered);
                    }
                    delivered += chunk.len();
                }
                (Sent::Ok, delivered)
            }
        }
    }

    /// Sends the stats tick now (the `stats` topic's snapshot on subscribe).
    pub fn send_stats_now(&mut self, stats: Option<(u64, &Arc<RawValue>)>) -> Sent {
        match stats {
            Some((version, data)) => {
                self.stats_sent = version;
                self.emit("stats:tick", &**data)
            }
            None => Sent::Ok,
        }
    }
}

/// An aircraft message for one client: its `seq` and the shared encoded body.
enum AircraftMessage {
    Delta {
        seq: u64,
        parts: Arc<DeltaJson>,
        timestamp: u64,
    },
    Snapshot {
        seq: u64,
        records: Arc<RawValue>,
        count: usize,
        timestamp: u64,
    },
}

impl AircraftMessage {
    fn emit<O: Outbox>(&self, c: &mut Client<O>) -> Sent {
        match self {
            AircraftMessage::Delta {
                seq,
                parts,
                timestamp,
            } => c.emit(
                "aircraft:update",
                &AircraftUpdate {
                    seq: *seq,
                    kind: "delta",
                    added: &parts.added,
                    updated: &parts.updated,
                    removed: &parts.removed,
                    timestamp: *timestamp,
                },
            ),
            AircraftMessage::Snapshot {
                seq,
                records,
                count,
                timestamp,
            } => c.emit(
                "aircraft:snapshot",
                &AircraftSnapshot {
                    seq: *seq,
                    aircraft: records,
                    count: *count,
                    timestamp: *timestamp,
                },
            ),
        }
    }

    /// The message encoded on its own, to travel in a `batch`.
    fn queued(&self) -> Queued {
        let (event, data) = match self {
            AircraftMessage::Delta {
                seq,
                parts,
                timestamp,
            } => (
                "aircraft:update",
                wire::raw(&AircraftUpdate {
                    seq: *seq,
                    kind: "delta",
                    added: &parts.added,
                    updated: &parts.updated,
                    removed: &parts.removed,
                    timestamp: *timestamp,
                }),
            ),
            AircraftMessage::Snapshot {
                seq,
                records,
                count,
                timestamp,
            } => (
                "aircraft:snapshot",
                wire::raw(&AircraftSnapshot {
                    seq: *seq,
                    aircraft: records,
                    count: *count,
                    timestamp: *timestamp,
                }),
            ),
        };
        Queued {
            event,
            data: data.into(),
        }
    }
}

/// The next due time: one period after the last, not before now (no bursts to catch up).
fn next_due(last: Instant, period: Duration, now: Instant) -> Instant {
    (last + period).max(now)
}

/// Splits events into batches of at most [`BATCH_MAX_EVENTS`] and [`BATCH_MAX_BYTES`]
/// (an event larger than the byte bound travels alone).
pub fn batches(events: &[Queued]) -> Vec<&[Queued]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, q) in events.iter().enumerate() {
        let n = q.data.get().len();
        if i > start && (i - start == BATCH_MAX_EVENTS || bytes + n > BATCH_MAX_BYTES) {
            out.push(&events[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += n;
    }
    if start < events.len() {
        out.push(&events[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(bytes: usize) -> Queued {
        let s = format!("\"{}\"", "x".repeat(bytes.saturating_sub(2)));
        Queued {
            event: "e",
            data: Arc::from(RawValue::from_string(s).unwrap()),
        }
    }

    #[test]
    fn batches_hold_at_most_50_events() {
        let events: Vec<Queued> = (0..120).map(|_| q(10)).collect();
        let sizes: Vec<usize> = batches(&events).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![50, 50, 20]);
    }

    #[test]
    fn batches_hold_at_most_a_megabyte() {
        let events: Vec<Queued> = (0..5).map(|_| q(400_000)).collect();
        let sizes: Vec<usize> = batches(&events).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![2, 2, 1]);
        let big = vec![q(2 << 20), q(10)];
        assert_eq!(batches(&big).len(), 2);
    }

    #[test]
    fn token_bucket_allows_the_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10.0, 30.0, t0);
        assert_eq!((0..100).filter(|_| b.take(t0)).count(), 30);
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!((0..100).filter(|_| b.take(t1)).count(), 5);
    }

    #[test]
    fn next_due_does_not_burst_after_a_stall() {
        let t0 = Instant::now();
        let p = Duration::from_millis(100);
        assert_eq!(next_due(t0, p, t0), t0 + p);
        let late = t0 + Duration::from_secs(5);
        assert_eq!(next_due(t0, p, late), late);
    }
}
