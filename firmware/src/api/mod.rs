//! The Realtime API (shared/docs/protocol.md): Socket.IO over axum + socketioxide, and the
//! plain HTTP the ecosystem polls.
//!
//! ```text
//!  core ──watch World / Stats──→ fanout (one task) ──per client: delta, rate, batch──→ socket
//!       ──CoreEvent───────────→    │
//!  socket ──subscribe / request──→ main_ns, requests ──Cmd──→ core, ──RuleCmd──→ rules
//! ```
//!
//! - `wire`: every payload type, encoded from the core's typed values.
//! - `client`: one client's subscriptions, `seq`, baseline, rates, batch, token bucket.
//! - `fanout`: the one task that turns picture changes and events into per-client sends.
//! - `main_ns`, `requests`: the `/` namespace; `audio_ns`: `/audio` and its clips;
//!   `cannonball_ns`: `/cannonball` and its sessions; `other_ns`: `/acars`.
//! - `data`: `/data/*.json` and `/metrics`; `ui`: the web UI's files.

pub mod audio_ns;
pub mod cannonball_ns;
pub mod client;
pub mod data;
pub mod fanout;
#[doc(hidden)]
pub mod fuzz;
pub mod main_ns;
pub mod other_ns;
pub mod requests;
pub mod ui;
pub mod wire;

use crate::config::AuthMode;
use crate::core::acars::AcarsRecord;
use crate::core::airspace::AirspaceSnapshot;
use crate::core::alerts::service::RuleCmd;
use crate::core::{Cmd, CoreCounters, StatsSnapshot, World};
use crate::feeds::FeedCounters;
use crate::source::beast_in::BeastInCounters;
use crate::source::SourceSet;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use client::{Client, WorldCache};
use serde_json::value::RawValue;
use socketioxide::socket::Sid;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Alerts kept for `alert:snapshot`.
const RECENT_ALERTS: usize = 100;
/// ACARS messages in the `acars` topic's snapshot (more by `acars-snapshot {limit}`).
pub const ACARS_SNAPSHOT: usize = 100;
/// Largest inbound Socket.IO packet (protocol.md: 1 MB).
pub const MAX_INBOUND: u64 = 1 << 20;
/// A client's inbound WebSocket buffer starts this small (clients send little: pongs and
/// requests); a larger message grows it for as long as it takes.
const WS_READ_BUFFER: usize = 1024;

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

/// What the API needs from the config.
#[derive(Clone, Debug)]
pub struct ApiSettings {
    pub auth: AuthMode,
    pub tokens: Vec<String>,
    pub aircraft_hz: f64,
    pub stats_hz: f64,
    pub batch_window: Duration,
    pub ping_interval: Duration,
    pub ping_timeout: Duration,
    pub client_queue: usize,
    pub receiver: (f64, f64),
    /// `/cannonball`: one alert of a kind per aircraft per this long.
    pub cannonball_cooldown: Duration,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it (the data here
/// stays consistent between statements, so a poisoned lock is still usable).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// API-side counters for `system-status`.
#[derive(Debug, Default)]
pub struct ApiCounters {
    pub connections: std::sync::atomic::AtomicU64,
    pub rate_limited: std::sync::atomic::AtomicU64,
    pub bad_payloads: std::sync::atomic::AtomicU64,
    /// Connections closed at accept: their address had `api.max_connections_per_ip` open.
    pub refused: Arc<std::sync::atomic::AtomicU64>,
}

/// Where the API reaches the rest of the daemon.
pub struct Links {
    pub world: watch::Receiver<Arc<World>>,
    pub stats: watch::Receiver<Arc<StatsSnapshot>>,
    /// The recent ACARS messages, oldest first.
    pub acars: watch::Receiver<Arc<Vec<Arc<AcarsRecord>>>>,
    /// The open safety events (the `safety` topic's snapshot).
    pub safety: watch::Receiver<Arc<Vec<crate::core::safety::SafetyEvent>>>,
    pub core: mpsc::Sender<Cmd>,
    pub rules: mpsc::Sender<RuleCmd>,
    pub sources: SourceSet,
    pub core_counters: Arc<CoreCounters>,
    pub feed_counters: Arc<FeedCounters>,
    pub beast_in: Arc<BeastInCounters>,
    /// Voice transmissions, clips, live audio.
    pub voice: Arc<crate::voice::VoiceHub>,
    /// The aircraft of interest (`/cannonball`).
    pub watch: watch::Receiver<Arc<crate::core::cannonball::WatchList>>,
}

/// State shared by the handlers and the fan-out.
pub struct Hub {
    pub settings: ApiSettings,
    pub links: Links,
    clients: Mutex<HashMap<Sid, Arc<Mutex<Client>>>>,
    /// The same clients as a list, rebuilt when one comes or goes: the fan-out walks it
    /// several times a tick without allocating.
    list: Mutex<Arc<Vec<Arc<Mutex<Client>>>>>,
    pub counters: ApiCounters,
    pub recent_alerts: Mutex<VecDeque<Arc<RawValue>>>,
    /// The latest airspace picture (none until the first FIS-B product), and its encoding.
    pub airspace: Mutex<Option<(Arc<AirspaceSnapshot>, Arc<RawValue>)>>,
    /// The latest `stats:tick`, encoded once per version.
    stats_tick: Mutex<(u64, Option<Arc<RawValue>>)>,
    /// Snapshot cache for handlers (the fan-out keeps its own).
    pub cache: Mutex<WorldCache>,
    /// Sockets of the `/acars` namespace.
    pub acars_sockets: Mutex<HashMap<Sid, socketioxide::extract::SocketRef>>,
    /// Sockets of the `/audio` namespace.
    pub audio_sockets: Mutex<audio_ns::AudioSockets>,
    /// Sessions of the `/cannonball` namespace.
    pub cannonball_sessions: Mutex<cannonball_ns::Sessions>,
    pub cannonball: cannonball_ns::CannonballCounters,
    pub started: Instant,
}

impl Hub {
    pub fn new(settings: ApiSettings, links: Links) -> Self {
        Self {
            settings,
            links,
            clients: Mutex::new(HashMap::new()),
            list: Mutex::new(Arc::new(Vec::new())),
            counters: ApiCounters::default(),
            recent_alerts: Mutex::new(VecDeque::new()),
            airspace: Mutex::new(None),
            stats_tick: Mutex::new((0, None)),
            cache: Mutex::new(WorldCache::default()),
            acars_sockets: Mutex::new(HashMap::new()),
            audio_sockets: Mutex::new(audio_ns::AudioSockets::default()),
            cannonball_sessions: Mutex::new(HashMap::new()),
            cannonball: cannonball_ns::CannonballCounters::default(),
            started: Instant::now(),
        }
    }

    /// The published picture now.
    pub fn world(&self) -> Arc<World> {
        self.links.world.borrow().clone()
    }

    pub fn client(&self, sid: Sid) -> Option<Arc<Mutex<Client>>> {
        lock(&self.clients).get(&sid).cloned()
    }

    pub fn add_client(&self, sid: Sid, c: Arc<Mutex<Client>>) {
        let mut clients = lock(&self.clients);
        clients.insert(sid, c);
        self.relist(&clients);
    }

    pub fn remove_client(&self, sid: Sid) {
        let mut clients = lock(&self.clients);
        if clients.remove(&sid).is_some() {
            self.relist(&clients);
        }
    }

    /// Forgets clients whose socket is gone without a disconnect callback.
    pub fn prune(&self, now: Instant) {
        let mut clients = lock(&self.clients);
        let before = clients.len();
        clients.retain(|_, c| !lock(c).abandoned(now));
        if clients.len() != before {
            self.relist(&clients);
        }
    }

    fn relist(&self, clients: &HashMap<Sid, Arc<Mutex<Client>>>) {
        *lock(&self.list) = Arc::new(clients.values().cloned().collect());
    }

    /// Every connected client of the main namespace.
    pub fn clients(&self) -> Arc<Vec<Arc<Mutex<Client>>>> {
        lock(&self.list).clone()
    }

    pub fn client_count(&self) -> usize {
        lock(&self.clients).len()
    }

    /// Whether a client needs a valid token (protocol.md "Auth"): for everything in
    /// `private` mode; in `hybrid` mode only for `sensitive` things (state changes, `/audio`).
    pub fn needs_token(&self, sensitive: bool) -> bool {
        match self.settings.auth {
            AuthMode::Public => false,
            AuthMode::Private => true,
            AuthMode::Hybrid => sensitive,
        }
    }

    /// True if `token` is one of the configured tokens (constant time per token).
    pub fn token_valid(&self, token: Option<&str>) -> bool {
        let Some(token) = token else { return false };
        self.settings.tokens.iter().fold(false, |ok, t| {
            ok | constant_time_eq::constant_time_eq(t.as_bytes(), token.as_bytes())
        })
    }

    pub fn remember_alert(&self, data: Arc<RawValue>) {
        let mut recent = lock(&self.recent_alerts);
        if recent.len() == RECENT_ALERTS {
            recent.pop_front();
        }
        recent.push_back(data);
    }

    /// `acars:snapshot` of the newest `limit` messages, of one aircraft if `icao` is given.
    pub fn acars_snapshot(
        &self,
        limit: usize,
        icao: Option<crate::core::track::TrackKey>,
    ) -> Box<RawValue> {
        let all = self.links.acars.borrow().clone();
        let chosen: Vec<Arc<AcarsRecord>> = all
            .iter()
            .rev()
            .filter(|r| icao.is_none_or(|k| r.icao == Some(k)))
            .take(limit)
            .cloned()
            .collect();
        wire::acars_snapshot(&chosen, crate::wall::now_ms())
    }

    /// The latest `stats:tick` with its version (none before the first).
    pub fn stats_now(&self) -> Option<(u64, Arc<RawValue>)> {
        let s = self.links.stats.borrow().clone();
        if s.version == 0 {
            return None;
        }
        let mut cached = lock(&self.stats_tick);
        if cached.0 != s.version || cached.1.is_none() {
            *cached = (s.version, Some(wire::stats_tick(&s).into()));
        }
        cached.1.clone().map(|d| (s.version, d))
    }
}

/// The axum router with the Socket.IO layer and its namespaces.
pub fn router(hub: Arc<Hub>) -> (axum::Router, socketioxide::SocketIo) {
    let s = &hub.settings;
    let (layer, io) = socketioxide::SocketIo::builder()
        .ping_interval(s.ping_interval)
        .ping_timeout(s.ping_timeout)
        .max_payload(MAX_INBOUND)
        .ws_max_message_size(MAX_INBOUND as usize)
        .ws_max_frame_size(MAX_INBOUND as usize)
        .ws_read_buffer_size(WS_READ_BUFFER)
        .max_buffer_size(s.client_queue)
        .with_state(hub.clone())
        .build_layer();
    main_ns::register(&io);
    other_ns::register(&io);
    audio_ns::register(&io);
    cannonball_ns::register(&io);
    // Plain HTTP follows the auth mode as Socket.IO does: the data paths are reads (a token
    // in `private` mode), the clips belong to `/audio` (a token in `private` and `hybrid`).
    // The UI's own files are open: the page loads, then asks for the token it needs.
    let data = axum::Router::new()
        .route("/data/aircraft.json", get(data::aircraft))
        .route("/data/receiver.json", get(data::receiver))
        .route("/data/stats.json", get(data::stats))
        .route("/metrics", get(data::metrics))
        .route_layer(from_fn_with_state((hub.clone(), false), guard));
    let clips = axum::Router::new()
        .route("/audio/clips/{name}", get(audio_ns::clip))
        .route_layer(from_fn_with_state((hub.clone(), true), guard));
    let router = data
        .merge(clips)
        .with_state(hub.clone())
        .route("/", get(ui::index))
        .route("/{name}", get(ui::file))
        .layer(layer);
    (router, io)
}

/// The `token` query parameter of an HTTP request (tar1090-style pages, audio elements).
#[derive(serde::Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// The token an HTTP request carries: `Authorization: Bearer TOKEN` (Prometheus'
/// `authorization` setting, scripts) or `?token=TOKEN`.
fn http_token<'a>(headers: &'a HeaderMap, query: &'a Option<TokenQuery>) -> Option<&'a str> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    bearer.or(query.as_ref().and_then(|q| q.token.as_deref()))
}

/// Passes the request on if the mode lets it through (`sensitive`: the path belongs to
/// `/audio`), else answers 401 with a `WWW-Authenticate` challenge (the token itself is
/// never echoed or logged).
async fn guard(
    State((hub, sensitive)): State<(Arc<Hub>, bool)>,
    query: Result<Query<TokenQuery>, QueryRejection>,
    headers: HeaderMap,
    req: Request,
    next: Next,
) -> Response {
    let query = query.ok().map(|q| q.0);
    if hub.needs_token(sensitive) && !hub.token_valid(http_token(&headers, &query)) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"skyspy\"")],
            "unauthorized: send the token as Authorization: Bearer TOKEN or ?token=TOKEN\n",
        )
            .into_response();
    }
    next.run(req).await
}
