//! Feeds in the formats the ADS-B ecosystem reads, on readsb/dump1090/dump978 port
//! conventions: raw `*HEX;` lines (30002), SBS/BaseStation lines (30003), Beast binary with
//! 12 MHz timestamps and signal level (30005), and dump978 raw lines (30978); and ACARS as
//! acarsdec's JSON over UDP to a configured address (`acars_json`), dumpvdl2's (`vdl2_json`).
//!
//! ```text
//!  core ──HeardBatch (broadcast)──→ one formatter per port ──bytes (broadcast)──→ its clients
//! ```
//!
//! Each port's formatter subscribes to what the core heard only while the port has a client,
//! formats each batch once in its own format (one file each), and every client of the port
//! gets the same bytes. A client that cannot keep up misses chunks (each broadcast keeps
//! [`BACKLOG`] of them) and the misses are counted, so a slow consumer costs bounded memory
//! and never slows the receiver.

pub mod acars_json;
mod beast;
mod raw;
pub mod sbs;
mod uat_raw;
pub mod vdl2_json;

use crate::core::HeardBatch;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, Notify};

/// Chunks (one block of traffic each) a client may fall behind before it misses some.
pub const BACKLOG: usize = 256;
/// Clients per port.
pub const MAX_CLIENTS: u64 = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    Raw,
    Sbs,
    Beast,
    UatRaw,
}

impl Feed {
    pub const ALL: [Feed; 4] = [Feed::Raw, Feed::Sbs, Feed::Beast, Feed::UatRaw];

    pub fn name(self) -> &'static str {
        match self {
            Feed::Raw => "raw",
            Feed::Sbs => "sbs",
            Feed::Beast => "beast",
            Feed::UatRaw => "uat_raw",
        }
    }

    /// The feed of a `[feeds]` key (`feeds.raw`…); `None` for keys that are not output feeds.
    pub fn of_key(key: &str) -> Option<Feed> {
        Feed::ALL
            .into_iter()
            .find(|f| key.strip_prefix("feeds.") == Some(f.name()))
    }

    fn format(self, batch: &HeardBatch, out: &mut Vec<u8>) {
        match self {
            Feed::Raw => raw::format(batch, out),
            Feed::Sbs => sbs::format(batch, out),
            Feed::Beast => beast::format(batch, out),
            Feed::UatRaw => uat_raw::format(batch, out),
        }
    }
}

/// Clients, bytes and misses, for `/metrics`.
#[derive(Debug, Default)]
pub struct FeedCounters {
    pub clients: [Arc<AtomicU64>; 4],
    pub missed_chunks: AtomicU64,
    pub bytes: AtomicU64,
    /// The ACARS JSON datagrams (UDP).
    pub acars_json: Arc<acars_json::UdpCounters>,
    /// The VDL2 JSON datagrams (UDP).
    pub vdl2_json: Arc<acars_json::UdpCounters>,
}

impl FeedCounters {
    pub fn clients(&self, feed: Feed) -> u64 {
        self.clients[feed as usize].load(Ordering::Relaxed)
    }
}

/// Serves one output feed on `listener` until `shutdown` resolves.
pub async fn serve(
    feed: Feed,
    listener: TcpListener,
    heard: broadcast::Sender<Arc<HeardBatch>>,
    counters: Arc<FeedCounters>,
    shutdown: impl Future<Output = ()>,
) {
    let (bytes_tx, _) = broadcast::channel::<Arc<[u8]>>(BACKLOG);
    let wake = Arc::new(Notify::new());
    let clients = counters.clients[feed as usize].clone();
    let formatter = tokio::spawn(format_while_listened(
        feed,
        heard,
        bytes_tx.clone(),
        clients.clone(),
        wake.clone(),
        counters.clone(),
    ));
    crate::net::accept_clients(
        feed.name(),
        listener,
        MAX_CLIENTS,
        clients,
        shutdown,
        move |mut socket| {
            let mut rx = bytes_tx.subscribe();
            wake.notify_one();
            let counters = counters.clone();
            async move {
                let _ = socket.set_nodelay(true);
                loop {
                    let chunk = match rx.recv().await {
                        Ok(c) => c,
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            counters.missed_chunks.fetch_add(n, Ordering::Relaxed);
                            continue;
                        }
                        Err(broadcast::error::RecvError::Closed) => break,
                    };
                    if socket.write_all(&chunk).await.is_err() {
                        break;
                    }
                    counters
                        .bytes
                        .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                }
            }
        },
    )
    .await;
    formatter.abort();
}

/// Formats what the core heard, once per batch, while the port has a client.
async fn format_while_listened(
    feed: Feed,
    heard: broadcast::Sender<Arc<HeardBatch>>,
    bytes: broadcast::Sender<Arc<[u8]>>,
    clients: Arc<AtomicU64>,
    wake: Arc<Notify>,
    counters: Arc<FeedCounters>,
) {
    let mut out = Vec::new();
    loop {
        if bytes.receiver_count() == 0 && clients.load(Ordering::Relaxed) == 0 {
            wake.notified().await;
        }
        let mut rx = heard.subscribe();
        loop {
            let batch = match rx.recv().await {
                Ok(b) => b,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    counters.missed_chunks.fetch_add(n, Ordering::Relaxed);
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            };
            out.clear();
            feed.format(&batch, &mut out);
            if !out.is_empty() && bytes.send(Arc::from(out.as_slice())).is_err() {
                // The last client left: stop listening to the core until the next one.
                break;
            }
        }
    }
}
