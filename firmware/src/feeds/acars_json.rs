//! ACARS blocks as acarsdec writes them with `-j HOST:PORT`: one JSON object per block, one
//! UDP datagram each, in acarsdec's field names — what acarshub (and other tools that take
//! acarsdec's output) listen for, so an existing install works unchanged.
//!
//! The fields: `timestamp` (s since the epoch, with a fraction), `channel`, `freq` (MHz),
//! `level` (dB), `error` (bits corrected), `mode`, `label`, `block_id`, `ack` (the block
//! acknowledged, or `false`), `tail` (the registration), and on downlinks `flight` and
//! `msgno`; `text` when there is any; `end` when the block ends its message; the OOOI times of
//! a `QA`–`QF` report (`depa`, `dsta`, `gtout`, `wloff`, `wlin`, `gtin`); `app {name, ver}`.
//! Datagrams are sent best effort, as UDP is: a send that fails is counted and logged once.

use crate::core::acars::AcarsBlock;
use crate::core::HeardBatch;
use dsp::vhf::acars::message;
use serde::Serialize;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::broadcast;

/// How often a destination that does not resolve is tried again.
const RESOLVE_RETRY: Duration = Duration::from_secs(30);

#[derive(Serialize)]
struct App {
    name: &'static str,
    ver: &'static str,
}

/// The block acknowledged, or `false` for none (NAK), as acarsdec writes it.
struct Ack(Option<char>);

impl Serialize for Ack {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(c) => s.serialize_char(c),
            None => s.serialize_bool(false),
        }
    }
}

/// One block in acarsdec's JSON.
#[derive(Serialize)]
pub struct AcarsdecJson<'a> {
    timestamp: f64,
    channel: usize,
    freq: f64,
    level: f64,
    error: u8,
    mode: char,
    label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    block_id: Option<char>,
    ack: Ack,
    tail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    flight: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    msgno: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    text: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    end: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    depa: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dsta: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gtout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wloff: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wlin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gtin: Option<String>,
    app: App,
}

impl<'a> AcarsdecJson<'a> {
    pub fn new(b: &'a AcarsBlock) -> Self {
        let m = &b.message;
        let oooi = message::oooi(&m.label, &m.text).unwrap_or_default();
        Self {
            timestamp: b.wall_ms as f64 / 1000.0,
            channel: b.channel,
            freq: (b.frequency_hz / 1e3).round() / 1e3,
            level: (f64::from(b.signal_dbfs) * 10.0).round() / 10.0,
            error: b.error_count,
            mode: m.mode,
            label: &m.label,
            block_id: m.block_id,
            ack: Ack(m.ack),
            tail: &m.registration,
            flight: m.flight.as_deref(),
            msgno: m.msg_num.as_deref(),
            text: &m.text,
            end: !m.more,
            depa: oooi.station,
            dsta: oooi.destination,
            gtout: oooi.out,
            wloff: oooi.off,
            wlin: oooi.on,
            gtin: oooi.r#in,
            app: App {
                name: "skyspy",
                ver: env!("CARGO_PKG_VERSION"),
            },
        }
    }
}

/// Datagrams sent and failed, for `/metrics`.
#[derive(Debug, Default)]
pub struct UdpCounters {
    pub sent: AtomicU64,
    pub failed: AtomicU64,
}

/// Sends every ACARS block the core hears to `dest` (HOST:PORT) until `shutdown`.
pub async fn send(
    dest: String,
    heard: broadcast::Sender<Arc<HeardBatch>>,
    counters: Arc<UdpCounters>,
    shutdown: impl Future<Output = ()>,
) {
    let encode = |batch: &HeardBatch| -> Vec<Vec<u8>> {
        batch
            .acars
            .iter()
            .filter_map(|b| serde_json::to_vec(&AcarsdecJson::new(b)).ok())
            .collect()
    };
    send_udp("acars_json", dest, heard, counters, shutdown, encode).await;
}

/// Sends the datagrams `encode` makes of each batch the core hears to `dest` (HOST:PORT)
/// until `shutdown`; `feed` names the feed in the log.
pub async fn send_udp(
    feed: &'static str,
    dest: String,
    heard: broadcast::Sender<Arc<HeardBatch>>,
    counters: Arc<UdpCounters>,
    shutdown: impl Future<Output = ()>,
    encode: impl Fn(&HeardBatch) -> Vec<Vec<u8>>,
) {
    tokio::pin!(shutdown);
    let mut rx = heard.subscribe();
    let socket = match UdpSocket::bind(("0.0.0.0", 0)).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(feed, "no UDP socket: {e}; the feed is off");
            return;
        }
    };
    let mut target: Option<SocketAddr> = None;
    let mut next_resolve = tokio::time::Instant::now();
    let mut warned = false;
    loop {
        let batch = tokio::select! {
            _ = &mut shutdown => return,
            b = rx.recv() => match b {
                Ok(b) => b,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    counters.failed.fetch_add(n, Ordering::Relaxed);
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        };
        let datagrams = encode(&batch);
        if datagrams.is_empty() {
            continue;
        }
        if target.is_none() && tokio::time::Instant::now() >= next_resolve {
            target = resolve(&dest).await;
            if target.is_none() {
                next_resolve = tokio::time::Instant::now() + RESOLVE_RETRY;
                tracing::warn!(feed, "{dest} does not resolve; trying again later");
            }
        }
        let Some(addr) = target else {
            counters
                .failed
                .fetch_add(datagrams.len() as u64, Ordering::Relaxed);
            continue;
        };
        for datagram in datagrams {
            match socket.send_to(&datagram, addr).await {
                Ok(_) => {
                    counters.sent.fetch_add(1, Ordering::Relaxed);
                    warned = false;
                }
                Err(e) => {
                    counters.failed.fetch_add(1, Ordering::Relaxed);
                    if !warned {
                        tracing::warn!(feed, "sending to {addr}: {e}");
                        warned = true;
                    }
                    // Resolve again next time: the name may point elsewhere now.
                    target = None;
                }
            }
        }
    }
}

async fn resolve(dest: &str) -> Option<SocketAddr> {
    tokio::net::lookup_host(dest).await.ok()?.next()
}
