//! Load generator for the Realtime API: N WebSocket clients on `/`, each receiving the
//! aircraft stream; reports latency from the message's `timestamp` (the server's data time)
//! to receipt, messages delivered per server CPU-second, and the server's RSS.
//!
//! It speaks only the sliver of Engine.IO v4 / Socket.IO v5 a receiving client needs (open,
//! namespace connect `40`, pong `3`, event frames `42[...]`) over tokio-tungstenite, so that
//! its own cost per message stays small next to the server's: it is a measuring tool, not a
//! client library. The product never does this; its tests use the stock clients.
//!
//!   skyspy-loadgen --url ws://127.0.0.1:8080 --clients 1000 --seconds 10 --server-pid PID
//!
//! With `--mix` (the soak, scripts/soak) a tenth of the clients stall: after 10–60 s of
//! reading they stop for `--stall` seconds, so their socket buffers fill and the server may
//! drop them, then read again (reconnecting if they were dropped), and so on; another tenth
//! reconnect every 2–5 s; the rest read steadily. Each asks for aircraft at `--hz`.

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser)]
struct Args {
    /// Server base URL, ws://HOST:PORT.
    #[arg(long)]
    url: String,
    #[arg(long)]
    clients: usize,
    /// Measured seconds (after every client connected and a warm-up).
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// The server's pid, for its CPU time and RSS.
    #[arg(long)]
    server_pid: u32,
    /// A label for the output line.
    #[arg(long, default_value = "server")]
    label: String,
    /// Stallers and reconnectors among the clients (see above).
    #[arg(long)]
    mix: bool,
    /// Seconds a stalling client stops reading.
    #[arg(long, default_value_t = 120.0)]
    stall: f64,
    /// Aircraft updates per second each client asks for (a `subscribe` with `rates`).
    #[arg(long)]
    hz: Option<f64>,
}

/// What a client of the mix does.
#[derive(Clone, Copy, PartialEq)]
#[repr(usize)]
enum Kind {
    Steady,
    Staller,
    Reconnector,
}

#[derive(Deserialize)]
struct Payload {
    timestamp: Option<f64>,
    events: Option<Vec<Inner>>,
}

#[derive(Deserialize)]
struct Inner {
    event: String,
    data: InnerData,
}

#[derive(Deserialize)]
struct InnerData {
    timestamp: Option<f64>,
}

struct Shared {
    measuring: AtomicBool,
    done: AtomicBool,
    connected: AtomicU64,
    disconnects: AtomicU64,
    messages: AtomicU64,
    bytes: AtomicU64,
    latencies: Mutex<Vec<u32>>,
    /// The mix: connections opened (first ones included), stalls done, connections the
    /// server closed under a client.
    connects: AtomicU64,
    stalls: AtomicU64,
    /// Connections the server ended, by `Kind` (steady, staller, reconnector).
    closed: [AtomicU64; 3],
    /// Connections that got no namespace CONNECT answer.
    unanswered: AtomicU64,
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// CPU seconds (user + system) and RSS (kB) of a process, from /proc.
fn usage(pid: &str) -> (f64, u64) {
    let (user, system, rss) = usage_split(pid);
    (user + system, rss)
}

/// User and system CPU seconds and RSS (kB) of a process, from /proc.
fn usage_split(pid: &str) -> (f64, f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rfind(')').map_or("", |i| &stat[i + 2..]);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    (ticks(11) / 100.0, ticks(12) / 100.0, rss)
}

/// One client; holds a `connecting` permit until its namespace connect is answered, so at
/// most that many handshakes are in flight.
async fn client(url: String, shared: Arc<Shared>, connecting: Arc<Semaphore>) {
    let mut permit = connecting.acquire_owned().await.ok();
    let ws =
        tokio_tungstenite::connect_async(format!("{url}/socket.io/?EIO=4&transport=websocket"))
            .await;
    let Ok((mut ws, _)) = ws else {
        shared.disconnects.fetch_add(1, Ordering::Relaxed);
        return;
    };
    if ws.send(Message::text("40")).await.is_err() {
        shared.disconnects.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mut counted = false;
    let mut local = Vec::new();
    while let Some(Ok(msg)) = ws.next().await {
        if shared.done.load(Ordering::Relaxed) {
            break;
        }
        let Message::Text(text) = msg else { continue };
        let text = text.as_str();
        if text == "2" {
            let _ = ws.send(Message::text("3")).await;
            continue;
        }
        if text.starts_with("40") && !counted {
            counted = true;
            permit = None;
            shared.connected.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let Some(body) = text.strip_prefix("42") else {
            continue;
        };
        if !shared.measuring.load(Ordering::Relaxed) {
            continue;
        }
        let Ok((event, p)) = serde_json::from_str::<(&str, Payload)>(body) else {
            continue;
        };
        let t = now_ms();
        let mut record = |ts: Option<f64>| {
            shared.messages.fetch_add(1, Ordering::Relaxed);
            if let Some(ts) = ts {
                local.push((t - ts).max(0.0) as u32);
            }
        };
        shared.bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
        match (event, p.events) {
            ("batch", Some(events)) => {
                for e in events
                    .into_iter()
                    .filter(|e| e.event.starts_with("aircraft:"))
                {
                    record(e.data.timestamp);
                }
            }
            (e, _) if e.starts_with("aircraft:") => record(p.timestamp),
            _ => {}
        }
    }
    drop(permit);
    if !shared.done.load(Ordering::Relaxed) {
        shared.disconnects.fetch_add(1, Ordering::Relaxed);
    }
    if let Ok(mut all) = shared.latencies.lock() {
        all.extend(local);
    }
}

/// A client of the mix, until `done`: connects, subscribes, reads; a staller stops reading
/// for `stall_s` after every 10–60 s of reading, a reconnector closes after 2–5 s; any of
/// them connects again when its connection ends.
async fn mixed_client(url: String, shared: Arc<Shared>, kind: Kind, seed: u64, stall_s: f64, hz: Option<f64>) {
    // A small generator of its own (xorshift): the mix needs spread, not quality.
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut uniform = move |lo: f64, hi: f64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        lo + (hi - lo) * (state >> 11) as f64 / (1u64 << 53) as f64
    };
    while !shared.done.load(Ordering::Relaxed) {
        let ws =
            tokio_tungstenite::connect_async(format!("{url}/socket.io/?EIO=4&transport=websocket"))
                .await;
        let Ok((mut ws, _)) = ws else {
            shared.disconnects.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        shared.connects.fetch_add(1, Ordering::Relaxed);
        let mut subscribe = String::from("42[\"subscribe\",{\"topics\":[\"aircraft\",\"safety\",\"alerts\"]");
        if let Some(hz) = hz {
            subscribe.push_str(&format!(",\"rates\":{{\"aircraft\":{hz}}}"));
        }
        subscribe.push_str("}]");
        // An event sent before the namespace CONNECT is acknowledged ends the session
        // (socketioxide closes it; socket.io-client buffers emits until then), so wait.
        if ws.send(Message::text("40")).await.is_err()
            || !acknowledged(&mut ws).await
            || ws.send(Message::text(subscribe)).await.is_err()
        {
            shared.unanswered.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        let started = Instant::now();
        let life = match kind {
            Kind::Reconnector => Duration::from_secs_f64(uniform(2.0, 5.0)),
            _ => Duration::MAX,
        };
        let mut stall_at = match kind {
            Kind::Staller => Duration::from_secs_f64(uniform(10.0, 60.0)),
            _ => Duration::MAX,
        };
        let mut closed_by_server = true;
        loop {
            if shared.done.load(Ordering::Relaxed) {
                closed_by_server = false;
                break;
            }
            let age = started.elapsed();
            if age >= life {
                closed_by_server = false;
                break;
            }
            if age >= stall_at {
                shared.stalls.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_secs_f64(stall_s)).await;
                stall_at = started.elapsed() + Duration::from_secs_f64(uniform(10.0, 60.0));
            }
            let next = tokio::time::timeout(Duration::from_millis(500), ws.next()).await;
            let msg = match next {
                Err(_) => continue,
                Ok(Some(Ok(m))) => m,
                Ok(_) => break,
            };
            let Message::Text(text) = msg else {
                if matches!(msg, Message::Close(_)) {
                    break;
                }
                continue;
            };
            if text.as_str() == "2" {
                let _ = ws.send(Message::text("3")).await;
                continue;
            }
            shared.messages.fetch_add(1, Ordering::Relaxed);
            shared.bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
        }
        if closed_by_server {
            shared.closed[kind as usize].fetch_add(1, Ordering::Relaxed);
        }
        let _ = ws.close(None).await;
    }
}

/// Reads until the namespace CONNECT answer (`40{...}`), answering pings; false if the
/// connection ends or no answer comes within 10 s.
async fn acknowledged<S>(ws: &mut S) -> bool
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + SinkExt<Message>
        + Unpin,
{
    let wait = async {
        while let Some(Ok(msg)) = ws.next().await {
            let Message::Text(text) = msg else { continue };
            if text.as_str() == "2" {
                let _ = ws.send(Message::text("3")).await;
            } else if text.as_str().starts_with("40") {
                return true;
            }
        }
        false
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or(false)
}

fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    Some(sorted[i])
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let shared = Arc::new(Shared {
        measuring: AtomicBool::new(false),
        done: AtomicBool::new(false),
        connected: AtomicU64::new(0),
        disconnects: AtomicU64::new(0),
        messages: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        latencies: Mutex::new(Vec::new()),
        connects: AtomicU64::new(0),
        stalls: AtomicU64::new(0),
        closed: Default::default(),
        unanswered: AtomicU64::new(0),
    });
    if args.mix {
        return mix(args, shared).await;
    }
    let connecting = Arc::new(Semaphore::new(200));
    let (_, rss_before) = usage(&args.server_pid.to_string());
    let t_connect = Instant::now();
    let tasks: Vec<_> = (0..args.clients)
        .map(|_| tokio::spawn(client(args.url.clone(), shared.clone(), connecting.clone())))
        .collect();
    while (shared.connected.load(Ordering::Relaxed) + shared.disconnects.load(Ordering::Relaxed))
        < args.clients as u64
        && t_connect.elapsed() < Duration::from_secs(120)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let connect_s = t_connect.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
    let pid = args.server_pid.to_string();
    let (user0, sys0, _) = usage_split(&pid);
    let cpu0 = user0 + sys0;
    let (own0, _) = usage("self");
    let t0 = Instant::now();
    shared.measuring.store(true, Ordering::Relaxed);
    let mut peak_rss = 0;
    while t0.elapsed().as_secs_f64() < args.seconds {
        tokio::time::sleep(Duration::from_millis(250)).await;
        peak_rss = peak_rss.max(usage(&pid).1);
    }
    shared.measuring.store(false, Ordering::Relaxed);
    let dt = t0.elapsed().as_secs_f64();
    let (user1, sys1, rss) = usage_split(&pid);
    let cpu1 = user1 + sys1;
    let (own1, _) = usage("self");
    shared.done.store(true, Ordering::Relaxed);
    // Each client hands its samples over on its next message (10 Hz), then stops.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for t in tasks {
        t.abort();
    }
    let mut lat = shared
        .latencies
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default();
    lat.sort_unstable();
    let messages = shared.messages.load(Ordering::Relaxed);
    let cpu = cpu1 - cpu0;
    let line = serde_json::json!({
        "label": args.label,
        "clients": args.clients,
        "connected": shared.connected.load(Ordering::Relaxed),
        "disconnects": shared.disconnects.load(Ordering::Relaxed),
        "connect_s": (connect_s * 10.0).round() / 10.0,
        "seconds": (dt * 10.0).round() / 10.0,
        "messages": messages,
        "messages_per_s": (messages as f64 / dt).round(),
        "mbytes_per_s": ((shared.bytes.load(Ordering::Relaxed) as f64 / dt / 1e6) * 10.0).round() / 10.0,
        "server_cpu_s": (cpu * 100.0).round() / 100.0,
        "server_user_s": ((user1 - user0) * 100.0).round() / 100.0,
        "server_sys_s": ((sys1 - sys0) * 100.0).round() / 100.0,
        "messages_per_cpu_s": if cpu > 0.0 { (messages as f64 / cpu).round() } else { 0.0 },
        "latency_ms": {
            "p50": percentile(&lat, 0.50),
            "p99": percentile(&lat, 0.99),
            "max": lat.last(),
            "samples": lat.len(),
        },
        "server_rss_mb": (rss as f64 / 1024.0 * 10.0).round() / 10.0,
        "server_rss_before_mb": (rss_before as f64 / 1024.0 * 10.0).round() / 10.0,
        "server_peak_rss_mb": (peak_rss as f64 / 1024.0 * 10.0).round() / 10.0,
        "loadgen_cpu_s": ((own1 - own0) * 100.0).round() / 100.0,
    });
    println!("{line}");
}

/// The soak's load: the mix of clients for `--seconds`, then one line of counts.
async fn mix(args: Args, shared: Arc<Shared>) {
    let tenth = (args.clients / 10).max(1);
    let tasks: Vec<_> = (0..args.clients)
        .map(|i| {
            let kind = if i < tenth {
                Kind::Staller
            } else if i < 2 * tenth {
                Kind::Reconnector
            } else {
                Kind::Steady
            };
            tokio::spawn(mixed_client(
                args.url.clone(),
                shared.clone(),
                kind,
                i as u64 + 1,
                args.stall,
                args.hz,
            ))
        })
        .collect();
    let pid = args.server_pid.to_string();
    let (own0, _) = usage("self");
    let t0 = Instant::now();
    // Until `--seconds` have passed or SIGTERM (the soak ends the load when it has taken its
    // last sample).
    let terminated = async {
        match signal(SignalKind::terminate()) {
            Ok(mut term) => term.recv().await,
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_secs_f64(args.seconds)) => {}
        _ = terminated => {}
    }
    shared.done.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(1)).await;
    for t in tasks {
        t.abort();
    }
    let dt = t0.elapsed().as_secs_f64();
    let (own1, _) = usage("self");
    let (_, rss) = usage(&pid);
    let line = serde_json::json!({
        "label": args.label,
        "clients": args.clients,
        "stallers": tenth,
        "reconnectors": tenth,
        "seconds": (dt * 10.0).round() / 10.0,
        "connects": shared.connects.load(Ordering::Relaxed),
        "connect_failures": shared.disconnects.load(Ordering::Relaxed),
        "closed_by_server": {
            "steady": shared.closed[Kind::Steady as usize].load(Ordering::Relaxed),
            "stallers": shared.closed[Kind::Staller as usize].load(Ordering::Relaxed),
            "reconnectors": shared.closed[Kind::Reconnector as usize].load(Ordering::Relaxed),
        },
        "unanswered": shared.unanswered.load(Ordering::Relaxed),
        "stalls": shared.stalls.load(Ordering::Relaxed),
        "messages": shared.messages.load(Ordering::Relaxed),
        "mbytes": (shared.bytes.load(Ordering::Relaxed) as f64 / 1e6).round(),
        "server_rss_mb": (rss as f64 / 1024.0 * 10.0).round() / 10.0,
        "loadgen_cpu_s": ((own1 - own0) * 100.0).round() / 100.0,
    });
    println!("{line}");
}
