//! Feeds in the formats the ADS-B ecosystem reads, on readsb/dump1090/dump978 port conventions:
//! raw `*HEX;` lines (30002), SBS/BaseStation lines (30003), Beast binary with 12 MHz
//! timestamps and signal level (30005), and dump978 raw lines (30978).
//!
//! The core formats each block's messages once ([`FeedChunk`]) and broadcasts it; every TCP
//! client of a port gets that port's part. A client that cannot keep up misses chunks (the
//! broadcast keeps [`BACKLOG`] of them) and the misses are counted, so a slow consumer costs
//! bounded memory and never slows the receiver.

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
}

impl Default for FeedsConfig {
    fn default() -> Self {
        Self {
            raw: "0.0.0.0:30002".into(),
            sbs: "0.0.0.0:30003".into(),
            beast: "0.0.0.0:30005".into(),
            uat_raw: "0.0.0.0:30978".into(),
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
}

impl Feed {
    pub fn name(self) -> &'static str {
        match self {
            Feed::Raw => "raw",
            Feed::Sbs => "sbs",
            Feed::Beast => "beast",
            Feed::UatRaw => "uat_raw",
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
    pub clients: [AtomicU64; 4],
    pub missed_chunks: AtomicU64,
    pub bytes: AtomicU64,
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

/// Beast binary: 0x1a, type ('2' short, '3' long), 6-byte timestamp of a 12 MHz clock, one
/// signal byte (amplitude × 255), the message; every 0x1a inside is doubled.
pub fn beast_frame(frame: &Frame, t_s: f64, signal_dbfs: f32, out: &mut Vec<u8>) {
    let data = frame.data();
    out.push(0x1a);
    out.push(if data.len() == 7 { b'2' } else { b'3' });
    let ticks = (t_s.max(0.0) * 12e6) as u64 & 0xffff_ffff_ffff;
    let amplitude = 10f32.powf(signal_dbfs / 20.0);
    let signal = (amplitude * 255.0).round().clamp(0.0, 255.0) as u8;
    let ticks = ticks.to_be_bytes();
    let body = ticks[2..]
        .iter()
        .copied()
        .chain([signal])
        .chain(data.iter().copied());
    for b in body {
        out.push(b);
        if b == 0x1a {
            out.push(0x1a);
        }
    }
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

/// Serves one feed on `listener` until `shutdown` resolves.
pub async fn serve(
    feed: Feed,
    listener: TcpListener,
    chunks: broadcast::Sender<Arc<FeedChunk>>,
    counters: Arc<FeedCounters>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let (mut socket, peer) = tokio::select! {
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
        let mut rx = chunks.subscribe();
        let counters = counters.clone();
        tokio::spawn(async move {
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
            counters.clients[index(feed)].fetch_sub(1, Ordering::Relaxed);
            tracing::debug!(feed = feed.name(), %peer, "feed client left");
        });
    }
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
    fn beast_escapes_0x1a_and_counts_twelve_megahertz() {
        let f = frame("8D1A1A1A58C382D690C8AC2863A7", 0x1a1a1a);
        let mut out = Vec::new();
        beast_frame(&f, 1.0, 0.0, &mut out);
        // 12,000,000 ticks = 0x00_00_00_B7_1B_00; full-scale signal = 255.
        assert_eq!(&out[..2], &[0x1a, b'3']);
        assert_eq!(&out[2..9], &[0, 0, 0, 0xb7, 0x1b, 0, 255]);
        assert_eq!(&out[9..15], &[0x8d, 0x1a, 0x1a, 0x1a, 0x1a, 0x1a]);
        assert_eq!(out.len(), 2 + 7 + 14 + 3);
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
