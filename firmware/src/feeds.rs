//! Feeds in the formats the ADS-B ecosystem reads, on readsb/dump1090/dump978 port conventions:
//! raw `*HEX;` lines (30002), SBS/BaseStation lines (30003), Beast binary with 12 MHz
//! timestamps and signal level (30005), and dump978 raw lines (30978); and Beast input (30004),
//! where another receiver pushes its messages into this one's picture.
//!
//! The core formats each block's messages once ([`FeedChunk`]) and broadcasts it; every TCP
//! client of a port gets that port's part. A client that cannot keep up misses chunks (the
//! broadcast keeps [`BACKLOG`] of them) and the misses are counted, so a slow consumer costs
//! bounded memory and never slows the receiver.

use dsp::beast::BeastParser;
use dsp::decode::Message;
use dsp::uat::frame::UatFrame;
use dsp::Frame;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::broadcast;

/// Chunks (50 ms of traffic each) a client may fall behind before it misses some.
pub const BACKLOG: usize = 256;
/// Clients per port.
pub const MAX_CLIENTS: u64 = 64;

/// `[feeds]`: where each feed listens; an empty string turns it off.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FeedsConfig {
    pub raw: String,
    pub sbs: String,
    pub beast: String,
    pub uat_raw: String,
    /// Beast input: messages pushed here join the picture (CRC-checked like our own).
    pub beast_in: String,
}

impl Default for FeedsConfig {
    fn default() -> Self {
        Self {
            raw: "0.0.0.0:30002".into(),
            sbs: "0.0.0.0:30003".into(),
            beast: "0.0.0.0:30005".into(),
            uat_raw: "0.0.0.0:30978".into(),
            beast_in: "0.0.0.0:30004".into(),
        }
    }
}

impl FeedsConfig {
    /// Each configured feed and its address; the error names the key of a bad one.
    pub fn listeners(&self) -> Result<Vec<(Feed, SocketAddr)>, (&'static str, String)> {
        let mut out = Vec::new();
        for (feed, key, text) in [
            (Feed::Raw, "feeds.raw", &self.raw),
            (Feed::Sbs, "feeds.sbs", &self.sbs),
            (Feed::Beast, "feeds.beast", &self.beast),
            (Feed::UatRaw, "feeds.uat_raw", &self.uat_raw),
            (Feed::BeastIn, "feeds.beast_in", &self.beast_in),
        ] {
            if text.is_empty() {
                continue;
            }
            let addr = text.parse().map_err(|_| {
                (
                    key,
                    format!("must be ADDRESS:PORT or \"\" (off), not {text:?}"),
                )
            })?;
            out.push((feed, addr));
        }
        Ok(out)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    Raw,
    Sbs,
    Beast,
    UatRaw,
    BeastIn,
}

impl Feed {
    pub fn name(self) -> &'static str {
        match self {
            Feed::Raw => "raw",
            Feed::Sbs => "sbs",
            Feed::Beast => "beast",
            Feed::UatRaw => "uat_raw",
            Feed::BeastIn => "beast_in",
        }
    }
}

/// One block's traffic in every feed format.
#[derive(Debug, Default)]
pub struct FeedChunk {
    pub raw: String,
    pub sbs: String,
    pub beast: Vec<u8>,
    pub uat_raw: String,
}

impl FeedChunk {
    fn part(&self, feed: Feed) -> &[u8] {
        match feed {
            Feed::Raw => self.raw.as_bytes(),
            Feed::Sbs => self.sbs.as_bytes(),
            Feed::Beast => &self.beast,
            Feed::UatRaw => self.uat_raw.as_bytes(),
            Feed::BeastIn => &[],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
            && self.sbs.is_empty()
            && self.beast.is_empty()
            && self.uat_raw.is_empty()
    }
}

/// Clients and misses, for `/metrics`.
#[derive(Debug, Default)]
pub struct FeedCounters {
    pub clients: [AtomicU64; 5],
    pub missed_chunks: AtomicU64,
    pub bytes: AtomicU64,
    /// Beast input: messages that passed the parity check, and those that did not.
    pub beast_in_messages: AtomicU64,
    pub beast_in_rejected: AtomicU64,
}

fn index(feed: Feed) -> usize {
    feed as usize
}

impl FeedCounters {
    pub fn clients(&self, feed: Feed) -> u64 {
        self.clients[index(feed)].load(Ordering::Relaxed)
    }
}

/// `*HEX;` and a newline, as dump1090 `--raw` writes.
pub fn raw_line(frame: &Frame, out: &mut String) {
    out.push('*');
    for b in frame.data() {
        out.push_str(&format!("{b:02X}"));
    }
    out.push_str(";\n");
}

/// Where an SBS line's position comes from: the track's, when this message updated it.
pub struct SbsPosition {
    pub lat: f64,
    pub lon: f64,
}

/// An SBS/BaseStation `MSG` line for a message, as dump1090 writes them (22 fields), or `None`
/// for messages SBS has no type for. `wall_ms` is the reception time.
pub fn sbs_line(
    frame: &Frame,
    m: &Message,
    position: Option<SbsPosition>,
    wall_ms: u64,
    out: &mut String,
) {
    let df = frame.df();
    let tc = m.typecode.unwrap_or(0);
    let kind = match (df, tc) {
        (17 | 18, 1..=4) => 1,
        (17 | 18, 5..=8) => 2,
        (17 | 18, 9..=18 | 20..=22) => 3,
        (17 | 18, 19) => 4,
        (4 | 20, _) => 5,
        (5 | 21, _) => 6,
        (16, _) => 7,
        (11, _) => 8,
        _ => return,
    };
    let (date, time) = date_time(wall_ms);
    let opt = |v: Option<String>| v.unwrap_or_default();
    let flag = |b: Option<bool>| opt(b.map(|b| if b { "-1".into() } else { "0".into() }));
    let (lat, lon) = position.map_or((String::new(), String::new()), |p| {
        (format!("{:.5}", p.lat), format!("{:.5}", p.lon))
    });
    let fields = [
        "MSG".to_string(),
        kind.to_string(),
        "1".into(),
        "1".into(),
        format!("{:06X}", frame.address & 0xff_ffff),
        "1".into(),
        date.clone(),
        time.clone(),
        date,
        time,
        opt(m.callsign.as_ref().map(|c| c.trim().to_string())),
        opt(m.altitude.map(|a| a.to_string())),
        opt(m.groundspeed.map(|v| format!("{v:.0}"))),
        opt(m.track.map(|v| format!("{v:.1}"))),
        lat,
        lon,
        opt(m.vertical_rate.map(|v| v.to_string())),
        opt(m.squawk.map(|s| format!("{:04}", s.0))),
        flag(m.alert.filter(|_| matches!(kind, 5 | 6))),
        flag(m.squawk.map(|s| matches!(s.0, 7500 | 7600 | 7700))),
        flag(m.spi.filter(|_| matches!(kind, 5 | 6))),
        flag(m.on_ground),
    ];
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

/// dump978's raw line with the reception time as Unix seconds (what dump978-fa's port 30978
/// sends).
pub fn uat_raw_line(frame: &UatFrame, rssi_dbfs: f32, wall_ms: u64, out: &mut String) {
    out.push_str(&frame.raw());
    if frame.corrected > 0 {
        out.push_str(&format!("rs={};", frame.corrected));
    }
    out.push_str(&format!(
        "rssi={rssi_dbfs:.1};t={}.{:03};\n",
        wall_ms / 1000,
        wall_ms % 1000
    ));
}

/// `YYYY/MM/DD` and `HH:MM:SS.mmm` (UTC).
fn date_time(wall_ms: u64) -> (String, String) {
    let days = (wall_ms / 86_400_000) as i64;
    let (y, m, d) = crate::airspace::civil_from_days(days);
    let ms = wall_ms % 86_400_000;
    (
        format!("{y:04}/{m:02}/{d:02}"),
        format!(
            "{:02}:{:02}:{:02}.{:03}",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        ),
    )
}

/// Accepts clients of `feed` until `shutdown`, at most [`MAX_CLIENTS`] at a time, running
/// `client` for each on its own task (counted in `counters` while it runs).
async fn accept_clients<F, Fut>(
    feed: Feed,
    listener: TcpListener,
    counters: Arc<FeedCounters>,
    shutdown: impl std::future::Future<Output = ()>,
    mut client: F,
) where
    F: FnMut(tokio::net::TcpStream) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    tokio::pin!(shutdown);
    loop {
        let (socket, peer) = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(feed = feed.name(), "accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let clients = &counters.clients[index(feed)];
        if clients.load(Ordering::Relaxed) >= MAX_CLIENTS {
            tracing::warn!(feed = feed.name(), %peer, "refused: {MAX_CLIENTS} clients already");
            continue;
        }
        clients.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(feed = feed.name(), %peer, "feed client connected");
        let running = client(socket);
        let counters = counters.clone();
        tokio::spawn(async move {
            running.await;
            counters.clients[index(feed)].fetch_sub(1, Ordering::Relaxed);
            tracing::debug!(feed = feed.name(), %peer, "feed client left");
        });
    }
}

/// Serves one output feed on `listener` until `shutdown` resolves.
pub async fn serve(
    feed: Feed,
    listener: TcpListener,
    chunks: broadcast::Sender<Arc<FeedChunk>>,
    counters: Arc<FeedCounters>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let shared = counters.clone();
    accept_clients(feed, listener, shared, shutdown, move |mut socket| {
        let mut rx = chunks.subscribe();
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
                let part = chunk.part(feed);
                if part.is_empty() {
                    continue;
                }
                if socket.write_all(part).await.is_err() {
                    break;
                }
                counters
                    .bytes
                    .fetch_add(part.len() as u64, Ordering::Relaxed);
            }
        }
    })
    .await;
}

/// Accepts Beast input connections until `shutdown`: each message is parity-checked as the
/// demodulator's are (DF11/17/18 with a clean CRC teach the address filter; address/parity
/// replies count only for known addresses), decoded, and handed to the core as a block
/// stamped with the daemon's stream time.
pub async fn serve_beast_in(
    listener: TcpListener,
    blocks: tokio::sync::mpsc::Sender<crate::source::Block>,
    epoch: std::time::Instant,
    counters: Arc<FeedCounters>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use tokio::io::AsyncReadExt;
    let checker = Arc::new(dsp::FrameChecker::new(dsp::RepairConfig::default()));
    let filter = Arc::new(std::sync::Mutex::new(dsp::filter::AddressFilter::new(
        4096,
        60 * 12_000_000,
    )));
    let shared = counters.clone();
    accept_clients(
        Feed::BeastIn,
        listener,
        shared,
        shutdown,
        move |mut socket| {
            let (blocks, counters, checker, filter) = (
                blocks.clone(),
                counters.clone(),
                checker.clone(),
                filter.clone(),
            );
            async move {
                let mut parser = BeastParser::default();
                let mut buf = vec![0u8; 16 * 1024];
                let mut messages = Vec::new();
                loop {
                    let n = match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    parser.push(&buf[..n], &mut messages);
                    let t = epoch.elapsed().as_secs_f64();
                    let mut heard = Vec::new();
                    for m in messages.drain(..) {
                        let checked = match filter.lock() {
                            Ok(mut f) => check_beast(&checker, &mut f, &m, t),
                            Err(_) => None,
                        };
                        match checked {
                            Some(h) => heard.push(h),
                            None => {
                                counters.beast_in_rejected.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    if heard.is_empty() {
                        continue;
                    }
                    counters
                        .beast_in_messages
                        .fetch_add(heard.len() as u64, Ordering::Relaxed);
                    let block = crate::source::Block {
                        heard,
                        uat: Vec::new(),
                        uat_frames: Vec::new(),
                        stream_s: t,
                        at: std::time::Instant::now(),
                    };
                    if blocks.send(block).await.is_err() {
                        break;
                    }
                }
            }
        },
    )
    .await;
}

/// One Beast message through the parity check and the decoder.
fn check_beast(
    checker: &dsp::FrameChecker,
    filter: &mut dsp::filter::AddressFilter,
    m: &dsp::beast::BeastMessage,
    t: f64,
) -> Option<crate::source::Heard> {
    let mut bytes = [0u8; 14];
    bytes.get_mut(..m.data.len())?.copy_from_slice(&m.data);
    let now = (t * 12e6) as u64;
    let checked = checker.check(&mut bytes, &[], filter, now).ok()?;
    let df = dsp::frame::df_of(bytes[0]);
    if matches!(df, 11 | 17 | 18) && checked.corrected_bits == 0 && !checked.iid_overlay {
        filter.insert(checked.address, now);
    }
    let amplitude = f32::from(m.signal.max(1)) / 255.0;
    let frame = Frame {
        bytes,
        len_bits: (m.data.len() * 8) as u8,
        address: checked.address,
        corrected_bits: checked.corrected_bits,
        address_recovered: checked.address_recovered,
        sample: 0.0,
        timestamp_12mhz: m.timestamp,
        signal_dbfs: 20.0 * amplitude.log10(),
        noise_dbfs: f32::NEG_INFINITY,
    };
    Some(crate::source::Heard {
        message: dsp::decode::decode(&frame),
        frame,
        t,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(hex: &str, address: u32) -> Frame {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
            .collect();
        let mut f = Frame {
            bytes: [0; 14],
            len_bits: (bytes.len() * 8) as u8,
            address,
            corrected_bits: 0,
            address_recovered: false,
            sample: 0.0,
            timestamp_12mhz: 0,
            signal_dbfs: -10.0,
            noise_dbfs: -40.0,
        };
        f.bytes[..bytes.len()].copy_from_slice(&bytes);
        f
    }

    #[test]
    fn raw_and_sbs_lines_look_like_dump1090s() {
        let f = frame("8D4840D6202CC371C32CE0576098", 0x4840d6);
        let mut raw = String::new();
        raw_line(&f, &mut raw);
        assert_eq!(raw, "*8D4840D6202CC371C32CE0576098;\n");
        let m = dsp::decode::decode(&f);
        let mut sbs = String::new();
        sbs_line(&f, &m, None, 1_795_839_008_988, &mut sbs);
        let fields: Vec<&str> = sbs.trim_end().split(',').collect();
        assert_eq!(fields.len(), 22, "{sbs}");
        assert_eq!(&fields[..6], ["MSG", "1", "1", "1", "4840D6", "1"]);
        assert_eq!((fields[6], fields[10]), ("2026/11/28", "KLM1023"));
        assert!(sbs.ends_with("\r\n"));
    }
}
