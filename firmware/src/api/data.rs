//! Plain HTTP for the ecosystem: `/data/aircraft.json`, `/data/receiver.json` and
//! `/data/stats.json` in the shapes tar1090 and other readsb/dump1090 web front ends poll, and
//! `/metrics` in the Prometheus text format.

use super::{wire, Hub};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Json, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

fn now_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// readsb's aircraft.json: `now`, `messages`, and the aircraft records (the same
/// aircraft.json field names the Realtime API uses).
pub async fn aircraft(State(hub): State<Arc<Hub>>) -> Json<Box<RawValue>> {
    #[derive(serde::Serialize)]
    struct AircraftJson {
        now: f64,
        messages: u64,
        aircraft: Box<RawValue>,
    }
    let world = hub.world();
    Json(wire::raw(&AircraftJson {
        now: (now_s() * 10.0).round() / 10.0,
        messages: hub.links.core_counters.messages.load(Ordering::Relaxed),
        aircraft: wire::snapshot_records(&world),
    }))
}

pub async fn receiver(State(hub): State<Arc<Hub>>) -> Json<Value> {
    let (lat, lon) = hub.settings.receiver;
    Json(json!({
        "version": concat!("skyspy-edge ", env!("CARGO_PKG_VERSION")),
        "refresh": 1000,
        "history": 0,
        "lat": lat,
        "lon": lon,
    }))
}

/// A short summary (not readsb's full statistics schema): counts and each band's source.
pub async fn stats(State(hub): State<Arc<Hub>>) -> Json<Value> {
    let world = hub.world();
    let with_pos = world.records().filter(|r| r.lat.is_some()).count();
    Json(json!({
        "now": now_s(),
        "aircraft_with_pos": with_pos,
        "aircraft_without_pos": world.aircraft.len() - with_pos,
        "messages": hub.links.core_counters.messages.load(Ordering::Relaxed),
        "sources": hub.links.sources.reports(),
    }))
}

/// Prometheus metrics: message and aircraft counts, process CPU and memory, each band's
/// radio health, samples, drops and reconnects, API clients and queues, feed clients.
pub async fn metrics(State(hub): State<Arc<Hub>>) -> Response {
    let mut registry = Registry::with_prefix("skyspy");
    let counter = |v: u64| {
        let c = Counter::<u64>::default();
        c.inc_by(v);
        c
    };
    let gauge = |v: i64| {
        let g = Gauge::<i64>::default();
        g.set(v);
        g
    };
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let c = &hub.links.core_counters;
    registry.register("messages", "Messages decoded", counter(load(&c.messages)));
    registry.register(
        "blocks",
        "Sample blocks processed",
        counter(load(&c.blocks)),
    );
    registry.register(
        "events_dropped",
        "Server events dropped because the event queue was full",
        counter(load(&c.events_dropped)),
    );
    let world = hub.world();
    registry.register(
        "aircraft",
        "Aircraft tracked",
        gauge(world.aircraft.len() as i64),
    );
    registry.register(
        "aircraft_with_position",
        "Aircraft tracked with a position",
        gauge(world.records().filter(|r| r.lat.is_some()).count() as i64),
    );
    if let Some(u) = crate::core::stats::process_usage() {
        let cpu = Gauge::<f64, AtomicU64>::default();
        cpu.set(u.cpu_seconds);
        registry.register("cpu_seconds", "Process CPU time (s)", cpu);
        registry.register("rss_bytes", "Resident memory", gauge(u.rss_bytes as i64));
    }
    let sdr_healthy = Family::<Vec<(String, String)>, Gauge>::default();
    let sdr_samples = Family::<Vec<(String, String)>, Counter>::default();
    let sdr_frames = Family::<Vec<(String, String)>, Counter>::default();
    let sdr_dropped = Family::<Vec<(String, String)>, Counter>::default();
    let sdr_reconnects = Family::<Vec<(String, String)>, Counter>::default();
    for r in hub.links.sources.reports() {
        let labels = vec![
            ("band".to_string(), r.band.to_string()),
            ("kind".to_string(), r.kind.to_string()),
        ];
        sdr_healthy.get_or_create(&labels).set(i64::from(r.healthy));
        sdr_samples.get_or_create(&labels).inc_by(r.samples);
        sdr_frames.get_or_create(&labels).inc_by(r.frames);
        sdr_dropped.get_or_create(&labels).inc_by(r.dropped_samples);
        sdr_reconnects.get_or_create(&labels).inc_by(r.reconnects);
    }
    registry.register(
        "sdr_healthy",
        "1 while the band's source delivers",
        sdr_healthy,
    );
    registry.register("sdr_samples", "IQ samples received", sdr_samples);
    registry.register("sdr_frames", "Frames decoded", sdr_frames);
    registry.register(
        "sdr_dropped_samples",
        "Samples lost to overruns",
        sdr_dropped,
    );
    registry.register("sdr_reconnects", "Radio reopen attempts", sdr_reconnects);
    registry.register(
        "api_clients",
        "Connected Realtime API clients",
        gauge(hub.client_count() as i64),
    );
    let a = &hub.counters;
    registry.register(
        "api_connections",
        "Realtime API connections accepted",
        counter(load(&a.connections)),
    );
    registry.register(
        "api_bad_payloads",
        "Malformed client payloads",
        counter(load(&a.bad_payloads)),
    );
    registry.register(
        "api_connections_refused",
        "API connections closed at accept: their address had api.max_connections_per_ip open",
        counter(load(&a.refused)),
    );
    registry.register(
        "api_rate_limited",
        "Client events refused by the rate limit",
        counter(load(&a.rate_limited)),
    );
    let feed_clients = Family::<Vec<(String, String)>, Gauge>::default();
    let feeds = &hub.links.feed_counters;
    let beast_in = &hub.links.beast_in;
    for feed in crate::feeds::Feed::ALL {
        feed_clients
            .get_or_create(&vec![("feed".to_string(), feed.name().to_string())])
            .set(feeds.clients(feed) as i64);
    }
    feed_clients
        .get_or_create(&vec![("feed".to_string(), "beast_in".to_string())])
        .set(load(&beast_in.clients) as i64);
    registry.register("feed_clients", "TCP feed clients", feed_clients);
    registry.register(
        "beast_in_messages",
        "Beast input messages that passed the parity check",
        counter(load(&beast_in.messages)),
    );
    registry.register(
        "beast_in_rejected",
        "Beast input messages that failed it",
        counter(load(&beast_in.rejected)),
    );
    registry.register(
        "feed_missed_chunks",
        "Feed chunks slow clients missed",
        counter(load(&feeds.missed_chunks)),
    );
    let cb = &hub.cannonball;
    registry.register(
        "cannonball_sessions",
        "Open /cannonball sessions",
        gauge(super::lock(&hub.cannonball_sessions).len() as i64),
    );
    registry.register(
        "cannonball_position_updates",
        "/cannonball position updates accepted",
        counter(load(&cb.position_updates)),
    );
    registry.register(
        "cannonball_position_dropped",
        "/cannonball position updates over 5 per second, dropped",
        counter(load(&cb.position_dropped)),
    );
    registry.register(
        "cannonball_alerts",
        "/cannonball alerts sent",
        counter(load(&cb.alerts)),
    );
    let voice = &hub.links.voice;
    let v = &voice.counters;
    let usage = voice.usage();
    registry.register(
        "audio_transmissions",
        "Voice transmissions recorded",
        counter(load(&v.transmissions)),
    );
    registry.register(
        "audio_stored",
        "Voice transmissions listed",
        gauge(usage.transmissions as i64),
    );
    registry.register(
        "audio_memory_bytes",
        "Clip bytes in memory",
        gauge(usage.memory_bytes as i64),
    );
    registry.register(
        "audio_disk_bytes",
        "Clip bytes on disk",
        gauge(usage.disk_bytes as i64),
    );
    registry.register(
        "audio_clips_evicted",
        "Clips removed for space (oldest first)",
        counter(usage.clips_evicted),
    );
    registry.register(
        "audio_disk_errors",
        "Clips that could not be written to disk (kept in memory)",
        counter(usage.disk_errors),
    );
    registry.register(
        "audio_transcriptions_pending",
        "Transcriptions queued or under way",
        gauge(voice.pending.load(Ordering::Relaxed) as i64),
    );
    registry.register(
        "audio_transcribed",
        "Transmissions transcribed",
        counter(load(&v.transcribed)),
    );
    registry.register(
        "audio_transcription_failures",
        "Transcriptions that failed after their retries",
        counter(load(&v.transcription_failures)),
    );
    registry.register(
        "audio_transcription_skipped",
        "Transmissions not transcribed: the queue was full",
        counter(load(&v.transcription_skipped)),
    );
    registry.register(
        "audio_live_chunks",
        "Live audio chunks sent to listeners",
        counter(load(&v.live_chunks)),
    );
    registry.register(
        "acars_json_sent",
        "ACARS blocks sent as acarsdec JSON (UDP)",
        counter(load(&feeds.acars_json.sent)),
    );
    registry.register(
        "acars_json_failed",
        "ACARS blocks the UDP feed could not send",
        counter(load(&feeds.acars_json.failed)),
    );
    registry.register(
        "vdl2_json_sent",
        "VDL2 frames sent as dumpvdl2 JSON (UDP)",
        counter(load(&feeds.vdl2_json.sent)),
    );
    registry.register(
        "vdl2_json_failed",
        "VDL2 frames the UDP feed could not send",
        counter(load(&feeds.vdl2_json.failed)),
    );
    registry.register(
        "acars_messages",
        "ACARS messages kept (from ACARS and VDL2)",
        gauge(hub.links.acars.borrow().len() as i64),
    );
    let mut body = String::new();
    if encode(&mut body, &registry).is_err() {
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
