//! One client's delivery rules (protocol.md "Delivery rules") on an injected clock, with its
//! sends recorded: the aircraft stream at most at the client's rate with the latest values
//! (changes coalesce between sends), `seq` rising by one per aircraft message, a refused send
//! taking its `seq` back and turning into a snapshot, non-urgent events gathered into one
//! `batch` for the batch window, urgent ones sent at once, and stats at their own rate.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use skyspy::api::client::{Client, Outbox, Queued, WorldCache, URGENT_BACKLOG, URGENT_REFILL};
use skyspy::api::fanout::PHASE_TOLERANCE;
use skyspy::api::Topic;
use skyspy::core::picture::{AircraftRecord, Publisher, World};
use skyspy::core::track::{Aircraft, TrackKey};
use socketioxide::socket::Sid;
use socketioxide::{SendError, SocketError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Records what the client sends; refuses sends while `full`, or once `room` (when set: the
/// free places in the socket's packet queue) is used up.
#[derive(Clone, Default)]
struct Recorder {
    sent: Arc<Mutex<Vec<(String, Value)>>>,
    full: Arc<AtomicBool>,
    room: Arc<Mutex<Option<usize>>>,
}

impl Outbox for Recorder {
    fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), SendError> {
        if self.full.load(Ordering::Relaxed) {
            return Err(SendError::Socket(SocketError::InternalChannelFull));
        }
        if let Some(room) = self.room.lock().unwrap().as_mut() {
            if *room == 0 {
                return Err(SendError::Socket(SocketError::InternalChannelFull));
            }
            *room -= 1;
        }
        let v = serde_json::to_value(data).expect("payload is JSON");
        self.sent.lock().unwrap().push((event.to_string(), v));
        Ok(())
    }

    fn connected(&self) -> bool {
        true
    }

    fn sid(&self) -> Sid {
        Sid::new()
    }
}

impl Recorder {
    fn take(&self) -> Vec<(String, Value)> {
        std::mem::take(&mut self.sent.lock().unwrap())
    }
}

/// Unwraps `batch` events, in order.
fn flat(sent: Vec<(String, Value)>) -> Vec<(String, Value)> {
    sent.into_iter()
        .flat_map(|(e, d)| {
            if e == "batch" {
                d["events"]
                    .as_array()
                    .expect("events")
                    .iter()
                    .map(|i| (i["event"].as_str().unwrap().to_string(), i["data"].clone()))
                    .collect()
            } else {
                vec![(e, d)]
            }
        })
        .collect()
}

fn record(gs: f64) -> AircraftRecord {
    let a = Aircraft::new(
        TrackKey {
            address: 0x4840d6,
            non_icao: false,
        },
        0.0,
    );
    let mut r = AircraftRecord::of(&a, 0.0, None);
    r.gs = Some(gs);
    r
}

/// The socket queue's size (`api.client_queue`, its default).
const QUEUE: usize = 64;

fn client(rec: &Recorder, t0: Instant) -> Client<Recorder> {
    let mut c = Client::new(
        rec.clone(),
        false,
        10.0,
        0.1,
        Duration::from_millis(200),
        QUEUE,
        t0,
    );
    c.join(Topic::Aircraft);
    c
}

/// Runs the fan-out's two calls for `seconds`: a publish every 25 ms (ground speed rising by
/// one each time) and the 10 ms tick. Returns the last world.
fn stream(
    c: &mut Client<Recorder>,
    p: &mut Publisher,
    t0: Instant,
    from_ms: u64,
    seconds: u64,
) -> Arc<World> {
    let mut cache = WorldCache::default();
    let mut w = p.current().clone();
    for ms in (from_ms..from_ms + seconds * 1000).step_by(5) {
        let now = t0 + Duration::from_millis(ms);
        if ms % 25 == 0 {
            w = p.publish([record(ms as f64)], ms).expect("changed");
            c.world_changed(now, &w, &mut cache, PHASE_TOLERANCE);
        }
        if ms % 10 == 0 {
            c.tick(now, None, &w, &mut cache, PHASE_TOLERANCE);
        }
    }
    w
}

#[test]
fn aircraft_messages_go_at_the_client_rate_with_the_latest_values() {
    let (rec, t0) = (Recorder::default(), Instant::now());
    let mut c = client(&rec, t0);
    let mut p = Publisher::new();
    let w = stream(&mut c, &mut p, t0, 0, 10);
    let sent = flat(rec.take());
    let aircraft: Vec<&Value> = sent
        .iter()
        .filter(|(e, _)| e.starts_with("aircraft:"))
        .map(|(_, d)| d)
        .collect();
    // 400 publishes in 10 s; at 10 Hz the client gets 100 messages (one a tolerance early).
    assert!(
        (99..=101).contains(&aircraft.len()),
        "{} in 10 s",
        aircraft.len()
    );
    let seqs: Vec<u64> = aircraft
        .iter()
        .map(|d| d["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    // Each delta carries the latest ground speed, not a queue of old ones.
    let last = aircraft.last().unwrap();
    assert_eq!(
        last["updated"][0]["gs"],
        w.records().next().unwrap().gs.unwrap()
    );
    // A slower rate asked for is honoured.
    c.set_rate(Topic::Aircraft, 2.0);
    stream(&mut c, &mut p, t0, 10_000, 10);
    let n = flat(rec.take())
        .iter()
        .filter(|(e, _)| e.starts_with("aircraft:"))
        .count();
    assert!((19..=21).contains(&n), "{n} at 2 Hz in 10 s");
}

#[test]
fn a_refused_message_gives_its_seq_back_and_the_next_is_a_snapshot() {
    let (rec, t0) = (Recorder::default(), Instant::now());
    let mut c = client(&rec, t0);
    let mut p = Publisher::new();
    stream(&mut c, &mut p, t0, 0, 1);
    let before = flat(rec.take());
    let last_seq = before.last().unwrap().1["seq"].as_u64().unwrap();
    rec.full.store(true, Ordering::Relaxed);
    stream(&mut c, &mut p, t0, 1000, 1);
    rec.full.store(false, Ordering::Relaxed);
    stream(&mut c, &mut p, t0, 2000, 1);
    let after = flat(rec.take());
    let (event, data) = &after[0];
    assert_eq!(event, "aircraft:snapshot");
    assert_eq!(
        data["seq"].as_u64(),
        Some(last_seq + 1),
        "no gap, no repeat"
    );
    assert_eq!(after[1].0, "aircraft:update");
}

/// A burst of alerts fills the queue: the urgent events wait for room and the aircraft
/// stream waits behind them, keeping its baseline, so the client gets a delta after them and
/// not a resync (the soak saw every client resynced at each burst).
#[test]
fn urgent_events_waiting_for_room_hold_the_aircraft_stream_without_a_resync() {
    let (rec, t0) = (Recorder::default(), Instant::now());
    let mut c = client(&rec, t0);
    c.join(Topic::Alerts);
    let mut p = Publisher::new();
    stream(&mut c, &mut p, t0, 0, 1);
    let last_seq = flat(rec.take()).last().unwrap().1["seq"].as_u64().unwrap();
    rec.full.store(true, Ordering::Relaxed);
    let alert = event("alert:triggered", "{\"id\":7}");
    c.offer(&alert, true, t0 + Duration::from_millis(1000));
    stream(&mut c, &mut p, t0, 1000, 1);
    rec.full.store(false, Ordering::Relaxed);
    stream(&mut c, &mut p, t0, 2000, 1);
    let after = flat(rec.take());
    assert_eq!(after[0].0, "alert:triggered", "{after:?}");
    assert_eq!(after[1].0, "aircraft:update", "a delta, not a snapshot");
    assert_eq!(after[1].1["seq"].as_u64(), Some(last_seq + 1), "no gap");
}

/// A rule matching every aircraft fires for all of them at once when its cooldown ends: 300
/// alerts in one pass, three such bursts here, into a socket queue of 64 packets that the
/// connection writes out at 16 packets per 10 ms tick. Every alert arrives, in order, within
/// the pace (a queue's worth per `URGENT_REFILL`); the queue always has room for the
/// transport's heartbeat ping, which socketioxide sends through the same queue and which
/// closes the connection when it does not fit (the soak saw steady clients closed at each
/// burst); and the aircraft stream carries on with a delta.
#[test]
fn a_burst_of_alerts_larger_than_the_socket_queue_arrives_whole_in_order_leaving_room_for_the_ping()
{
    let (rec, t0) = (Recorder::default(), Instant::now());
    let mut c = client(&rec, t0);
    c.join(Topic::Alerts);
    let mut p = Publisher::new();
    let w = stream(&mut c, &mut p, t0, 0, 1);
    let last_seq = flat(rec.take()).last().unwrap().1["seq"].as_u64().unwrap();
    let now = t0 + Duration::from_millis(1000);
    *rec.room.lock().unwrap() = Some(QUEUE);
    let room_after_sends = |rec: &Recorder, at: &str| {
        let room = rec.room.lock().unwrap().expect("queue modelled");
        assert!(
            room >= 1,
            "the queue was full {at}: a ping would close the connection"
        );
    };
    let burst = 900;
    for i in 0..burst {
        c.offer(
            &event("alert:triggered", &format!("{{\"n\":{i}}}")),
            true,
            now,
        );
        room_after_sends(&rec, "during the burst");
    }
    let mut cache = WorldCache::default();
    let pace = QUEUE as f64 / URGENT_REFILL.as_secs_f64();
    let deliver_ms = ((burst - QUEUE / 2) as f64 / pace * 1000.0) as u64 + 20;
    for tick in 1..=deliver_ms / 10 {
        let mut room = rec.room.lock().unwrap();
        *room = room.map(|r| (r + 16).min(QUEUE)); // the connection wrote some out
        drop(room);
        let now = now + Duration::from_millis(10 * tick);
        c.tick(now, None, &w, &mut cache, PHASE_TOLERANCE);
        room_after_sends(&rec, &format!("{} ms into the burst", 10 * tick));
    }
    let in_burst = flat(rec.take());
    let alerts: Vec<u64> = in_burst
        .iter()
        .filter(|(e, _)| e == "alert:triggered")
        .map(|(_, d)| d["n"].as_u64().unwrap())
        .collect();
    assert_eq!(
        alerts,
        (0..burst as u64).collect::<Vec<_>>(),
        "every alert, in order, within {deliver_ms} ms"
    );
    *rec.room.lock().unwrap() = None;
    stream(&mut c, &mut p, t0, 1000 + deliver_ms, 1);
    let sent: Vec<_> = in_burst.into_iter().chain(flat(rec.take())).collect();
    let first_aircraft = sent
        .iter()
        .position(|(e, _)| e.starts_with("aircraft:"))
        .unwrap();
    assert!(
        first_aircraft >= burst,
        "the picture waited behind the alerts"
    );
    assert_eq!(
        sent[first_aircraft].0, "aircraft:update",
        "a delta, not a snapshot"
    );
    assert_eq!(sent[first_aircraft].1["seq"].as_u64(), Some(last_seq + 1));
    assert!(
        c.buffered_capacity() <= 128,
        "the drained burst's memory went back: {} entries kept",
        c.buffered_capacity()
    );
}

/// A client that reads nothing keeps at most `URGENT_BACKLOG` urgent events; beyond that the
/// oldest go, so a stalled client's memory is bounded.
#[test]
fn a_stalled_clients_urgent_backlog_is_bounded_and_keeps_the_newest() {
    let (rec, t0) = (Recorder::default(), Instant::now());
    let mut c = client(&rec, t0);
    c.leave(Topic::Aircraft);
    c.join(Topic::Alerts);
    rec.full.store(true, Ordering::Relaxed);
    let extra = 10;
    for i in 0..URGENT_BACKLOG + extra {
        c.offer(
            &event("alert:triggered", &format!("{{\"n\":{i}}}")),
            true,
            t0,
        );
    }
    rec.full.store(false, Ordering::Relaxed);
    let (w, mut cache) = (Publisher::new().current().clone(), WorldCache::default());
    for tick in 1..=500 {
        let now = t0 + Duration::from_millis(10 * tick);
        c.tick(now, None, &w, &mut cache, PHASE_TOLERANCE);
    }
    let got: Vec<u64> = flat(rec.take())
        .iter()
        .map(|(_, d)| d["n"].as_u64().unwrap())
        .collect();
    let kept: Vec<u64> = (extra as u64..(URGENT_BACKLOG + extra) as u64).collect();
    assert_eq!(got, kept);
}

fn event(name: &'static str, body: &str) -> Queued {
    Queued {
        event: name,
        data: Arc::from(RawValue::from_string(body.to_string()).unwrap()),
    }
}

#[test]
fn non_urgent_events_wait_for_the_batch_window_and_go_together() {
    let (rec, t0) = (Recorder::default(), Instant::now());
    let mut c = Client::new(
        rec.clone(),
        false,
        10.0,
        0.1,
        Duration::from_millis(200),
        QUEUE,
        t0,
    );
    c.join(Topic::Airspace);
    let (w, mut cache) = (World::default(), WorldCache::default());
    for i in 0..3 {
        c.offer(&event("notam:new", &format!("{{\"n\":{i}}}")), false, t0);
    }
    c.tick(
        t0 + Duration::from_millis(190),
        None,
        &w,
        &mut cache,
        PHASE_TOLERANCE,
    );
    assert!(rec.take().is_empty(), "held for the 200 ms window");
    c.tick(
        t0 + Duration::from_millis(200),
        None,
        &w,
        &mut cache,
        PHASE_TOLERANCE,
    );
    let sent = rec.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "batch");
    assert_eq!(sent[0].1["count"], 3);
    assert_eq!(sent[0].1["window_ms"], 200);
}

#[test]
fn urgent_events_go_at_once_and_alone() {
    let (rec, t0) = (Recorder::default(), Instant::now());
    let mut c = Client::new(
        rec.clone(),
        false,
        10.0,
        0.1,
        Duration::from_millis(200),
        QUEUE,
        t0,
    );
    c.join(Topic::Safety);
    c.offer(&event("notam:new", "{}"), false, t0);
    c.offer(&event("safety:event", "{\"id\":1}"), true, t0);
    let sent = rec.take();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, "safety:event");
}

#[test]
fn stats_go_at_their_own_rate() {
    let (rec, t0) = (Recorder::default(), Instant::now());
    let mut c = Client::new(
        rec.clone(),
        false,
        10.0,
        0.1,
        Duration::from_millis(200),
        QUEUE,
        t0,
    );
    c.join(Topic::Stats);
    let (w, mut cache) = (World::default(), WorldCache::default());
    // The core publishes stats every second; the client takes one every 10 s.
    for s in 0..30u64 {
        let data: Arc<RawValue> =
            Arc::from(RawValue::from_string(format!("{{\"v\":{s}}}")).unwrap());
        for ms in (0..1000).step_by(10) {
            let now = t0 + Duration::from_millis(s * 1000 + ms);
            c.tick(now, Some((s + 1, &data)), &w, &mut cache, PHASE_TOLERANCE);
        }
    }
    let ticks: Vec<Value> = flat(rec.take())
        .into_iter()
        .filter(|(e, _)| e == "stats:tick")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(ticks.len(), 3, "{ticks:?}");
    assert_eq!(ticks[1]["v"], 10);
}

#[test]
fn a_large_picture_arrives_as_a_snapshot_and_added_pieces_at_the_client_rate() {
    let (rec, t0) = (Recorder::default(), Instant::now());
    let mut c = client(&rec, t0);
    let mut p = Publisher::new();
    // 300 aircraft: about 40 kB of records.
    let records: Vec<AircraftRecord> = (0..300u32)
        .map(|i| {
            let mut r = record(f64::from(i));
            r.key.address = 0x400000 + i;
            r.flight = heapless::String::try_from("KLM1234").ok();
            r.lat = Some(52.0 + f64::from(i) / 1000.0);
            r.lon = Some(4.0);
            r
        })
        .collect();
    let w = p.publish(records, 0).expect("world");
    let mut cache = WorldCache::default();
    c.send_aircraft_snapshot(&w, &mut cache);
    for ms in (0..2000).step_by(10) {
        c.tick(
            t0 + Duration::from_millis(ms),
            None,
            &w,
            &mut cache,
            PHASE_TOLERANCE,
        );
    }
    let sent = flat(rec.take());
    let mut hexes = std::collections::BTreeSet::new();
    for (i, (event, data)) in sent.iter().enumerate() {
        let list = if i == 0 {
            assert_eq!(event, "aircraft:snapshot");
            assert_eq!(
                data["count"].as_u64(),
                Some(data["aircraft"].as_array().unwrap().len() as u64)
            );
            &data["aircraft"]
        } else {
            assert_eq!(event, "aircraft:update");
            &data["added"]
        };
        assert_eq!(data["seq"].as_u64(), Some(i as u64 + 1));
        let bytes = list.to_string().len();
        assert!(bytes < 17 * 1024, "piece {i}: {bytes} bytes");
        for a in list.as_array().unwrap() {
            hexes.insert(a["hex"].as_str().unwrap().to_string());
        }
    }
    assert!(sent.len() >= 3, "{} messages", sent.len());
    assert_eq!(
        hexes.len(),
        300,
        "every aircraft arrived once the pieces are in"
    );
    // At the client's 10 Hz: the pieces took about a tenth of a second each.
    assert!(sent.len() <= 21, "{} messages in 2 s", sent.len());
}
