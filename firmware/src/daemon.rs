//! The daemon: [`run`] wires sources → core → API and feeds on a listener the caller bound,
//! until `shutdown` resolves — so tests start the whole daemon on port 0.
//!
//! ```text
//!  sources (DSP threads) ──Block──→ core ──World, Stats, CoreEvent──→ API (Socket.IO, HTTP)
//!  Beast input (TCP) ───────Block──→  │  ──HeardBatch──────────────→ feeds (TCP)
//!                       rules service ┘ (alert rules on disk)
//! ```

use crate::api::{self, ApiSettings, Hub, Links};
use crate::config::{AircraftDbConfig, AudioConfig, Config};
use crate::core::aircraft_db::{AircraftDb, LoadError};
use crate::core::alerts::service::{self, RuleCmd};
use crate::core::alerts::store::RuleStore;
use crate::core::{Cmd, Core, CoreCounters, CoreSettings, HeardBatch, VoiceBatch};
use crate::feeds::{self, Feed, FeedCounters};
use crate::source::beast_in::{self, BeastInCounters};
use crate::source::{Block, Source, SourceSet, SourceStatus};
use crate::voice::{self, VoiceHub};
use dsp::cpr::Position;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

/// Why the daemon could not run.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// A source the config names cannot be used (a replay file that cannot be opened).
    #[error("{0}")]
    Source(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A database file the config names cannot be read.
    #[error(transparent)]
    AircraftDb(#[from] LoadError),
}

/// The aircraft database the config names, loaded once per process: a daemon started again
/// with the same files (tests start many) shares it. Each file's line counts are logged.
pub fn aircraft_db(config: &AircraftDbConfig) -> Result<&'static AircraftDb, LoadError> {
    type Loaded = Vec<(AircraftDbConfig, &'static AircraftDb)>;
    static LOADED: Mutex<Loaded> = Mutex::new(Vec::new());
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, db)) = loaded.iter().find(|(c, _)| c == config) {
        return Ok(db);
    }
    let (db, reports) = AircraftDb::load(config.builtin, &config.files)?;
    for r in &reports {
        tracing::info!("aircraft database {r}");
    }
    let db = db.leak();
    loaded.push((config.clone(), db));
    Ok(db)
}

/// Runs the daemon with the sources its config names until `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DaemonError> {
    let sources = Source::all_from_config(&config).map_err(DaemonError::Source)?;
    aircraft_db(&config.aircraft_db)?;
    run_with_sources(listener, config, sources, shutdown).await
}

/// The daemon's spine: the core with its clock, the alert rules' owner, and the API's hub
/// over them with its fan-out — everything but the sockets and the DSP threads.
pub struct Spine {
    pub hub: Arc<Hub>,
    /// Where sources send their blocks.
    pub blocks: mpsc::Sender<Block>,
    /// What the core heard, for the feeds.
    pub heard: broadcast::Sender<Arc<HeardBatch>>,
    pub core: mpsc::Sender<Cmd>,
    tasks: Vec<JoinHandle<()>>,
    rules_task: JoinHandle<()>,
}

impl Spine {
    /// Starts the spine for `sources`; its tasks end once `stop` turns true.
    pub fn start(config: &Config, sources: SourceSet, stop: watch::Receiver<bool>) -> Spine {
        let stopped = move || {
            let mut rx = stop.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };
        // The alert rules: read once here, then owned by their service, which saves changes
        // off the core's task and hands the core each saved set.
        let (store, problem) =
            RuleStore::open(&config.alerts.rules_file, crate::wall::now_ms() / 1000);
        if let Some(p) = problem {
            tracing::warn!("{p}");
        }
        let (rules_tx, rules_rx) = watch::channel(service::compiled(&store));
        let (rule_cmds, rule_cmds_rx) = mpsc::channel::<RuleCmd>(64);
        let rules_task = tokio::spawn(service::run(store, rule_cmds_rx, rules_tx, stopped()));

        let receiver = Position {
            lat: config.receiver.lat,
            lon: config.receiver.lon,
        };
        let mut settings = CoreSettings::new(receiver);
        settings.acars_keep = config.acars.keep;
        settings.acars_max_age_s = config.acars.max_age_s;
        // Read before the daemon starts (`run` fails on a bad file); a file that went bad
        // since leaves the built-in database only.
        settings.cannonball = config.cannonball.clone();
        settings.aircraft_db = match aircraft_db(&config.aircraft_db) {
            Ok(db) => Some(db),
            Err(e) => {
                tracing::error!("{e}: using the built-in database only");
                aircraft_db(&AircraftDbConfig::default()).ok()
            }
        };
        settings.stats_every =
            Duration::from_secs_f64(1.0 / config.api.stats_hz).min(Duration::from_secs(1));
        let counters = Arc::new(CoreCounters::default());
        let (core, outputs) = Core::new(settings, sources.clone(), rules_rx, counters.clone());
        let (blocks, blocks_rx) = mpsc::channel(32);
        let (cmd_tx, cmd_rx) = mpsc::channel(256);
        let core_task = tokio::spawn(core.run(blocks_rx, cmd_rx, stopped()));

        let voice = start_voice(&config.audio, outputs.voice);
        let a = &config.api;
        let hub = Arc::new(Hub::new(
            ApiSettings {
                auth: a.auth,
                tokens: a.tokens.clone(),
                aircraft_hz: a.aircraft_hz,
                stats_hz: a.stats_hz,
                batch_window: Duration::from_millis(a.batch_window_ms),
                ping_interval: Duration::from_secs_f64(a.ping_interval_s),
                ping_timeout: Duration::from_secs_f64(a.ping_timeout_s),
                client_queue: a.client_queue,
                receiver: (receiver.lat, receiver.lon),
                cannonball_cooldown: Duration::from_secs_f64(config.cannonball.alert_cooldown_s),
            },
            Links {
                world: outputs.world,
                stats: outputs.stats,
                acars: outputs.acars,
                safety: outputs.safety,
                core: cmd_tx.clone(),
                rules: rule_cmds,
                sources,
                core_counters: counters,
                feed_counters: Arc::new(FeedCounters::default()),
                beast_in: Arc::new(BeastInCounters::default()),
                voice: voice.hub.clone(),
                watch: outputs.watch,
            },
        ));
        let fanout = tokio::spawn(api::fanout::run(hub.clone(), outputs.events, stopped()));
        let audio_fanout = tokio::spawn(api::audio_ns::fanout(hub.clone(), stopped()));
        Spine {
            hub,
            blocks,
            heard: outputs.heard,
            core: cmd_tx,
            tasks: vec![core_task, fanout, audio_fanout, voice.task],
            rules_task,
        }
    }

    /// Waits for the tasks to end (after `stop`).
    pub async fn join(self) {
        drop(self.blocks);
        for t in self.tasks {
            let _ = t.await;
        }
        // The service ends at `stop` once the requests already queued are saved (a save under
        // way finishes on its blocking thread whatever happens here).
        drop(self.hub);
        let _ = tokio::time::timeout(Duration::from_secs(2), self.rules_task).await;
    }
}

/// The voice service and, if configured, its transcriber.
struct Voice {
    hub: Arc<VoiceHub>,
    task: JoinHandle<()>,
}

fn start_voice(config: &AudioConfig, batches: mpsc::Receiver<VoiceBatch>) -> Voice {
    let mut config = config.clone();
    if let Some(dir) = &config.dir {
        if let Err(e) = std::fs::create_dir_all(dir) {
            tracing::error!("audio.dir {}: {e}; clips stay in memory", dir.display());
            config.dir = None;
        }
    }
    let hub = Arc::new(VoiceHub::new(&config));
    let queue =
        config
            .transcription
            .as_ref()
            .and_then(|t| match voice::transcribe::Client::new(t) {
                Ok(client) => {
                    let (queue, rx) = voice::transcribe::queue(t);
                    tokio::spawn(voice::transcribe::run(hub.clone(), rx, client));
                    Some(queue)
                }
                Err(e) => {
                    tracing::error!("{e}; transmissions will not be transcribed");
                    None
                }
            });
    let task = tokio::spawn(voice::run(hub.clone(), batches, queue));
    Voice { hub, task }
}

/// Runs the daemon with these sources (tests bring scripted ones).
pub async fn run_with_sources(
    listener: TcpListener,
    config: Config,
    sources: Vec<(Source, Arc<SourceStatus>)>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DaemonError> {
    let set = SourceSet(sources.iter().map(|(_, s)| s.clone()).collect());
    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = {
        let stop_rx = stop_rx.clone();
        move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        }
    };
    let spine = Spine::start(&config, set.clone(), stop_rx);
    for w in config.warnings() {
        tracing::warn!("{w}");
    }

    // Feeds and Beast input: a port that cannot be bound (in use, no permission) is logged and
    // left out; the receiver and the API do not depend on it.
    let mut feed_tasks = Vec::new();
    let listeners = config
        .feeds
        .listeners()
        .map_err(|(k, m)| DaemonError::Source(format!("{k}: {m}")))?;
    for (key, addr) in listeners {
        let l = match TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(feed = key, %addr, "feed not started: {e}");
                continue;
            }
        };
        tracing::info!(feed = key, %addr, "feed listening");
        let links = &spine.hub.links;
        feed_tasks.push(match Feed::of_key(key) {
            Some(feed) => tokio::spawn(feeds::serve(
                feed,
                l,
                spine.heard.clone(),
                links.feed_counters.clone(),
                stopped(),
            )),
            None => tokio::spawn(beast_in::serve(
                l,
                spine.blocks.clone(),
                links.beast_in.clone(),
                stopped(),
            )),
        });
    }
    if !config.feeds.acars_json.is_empty() {
        tracing::info!(
            feed = "acars_json",
            "ACARS as acarsdec JSON to {}",
            config.feeds.acars_json
        );
        feed_tasks.push(tokio::spawn(feeds::acars_json::send(
            config.feeds.acars_json.clone(),
            spine.heard.clone(),
            spine.hub.links.feed_counters.acars_json.clone(),
            stopped(),
        )));
    }
    if !config.feeds.vdl2_json.is_empty() {
        tracing::info!(
            feed = "vdl2_json",
            "VDL2 as dumpvdl2 JSON to {}",
            config.feeds.vdl2_json
        );
        feed_tasks.push(tokio::spawn(feeds::vdl2_json::send(
            config.feeds.vdl2_json.clone(),
            spine.heard.clone(),
            spine.hub.links.feed_counters.vdl2_json.clone(),
            stopped(),
        )));
    }
    let (router, io) = api::router(spine.hub.clone());

    // The DSP threads take this thread's priority; then this thread (it runs the accept loop
    // from here on) steps down to the runtime's (crate::priority).
    let base = crate::priority::current();
    let stop_dsp = Arc::new(AtomicBool::new(false));
    let mut dsp = Vec::new();
    for (index, (source, status)) in sources.into_iter().enumerate() {
        tracing::info!(band = %status.band, "source: {}", status.description);
        dsp.push(source.spawn(index, status, spine.blocks.clone(), stop_dsp.clone())?);
    }
    if let Ok(base) = base {
        crate::priority::lower_this_thread(base);
    }
    let addr = listener.local_addr()?;
    tracing::info!(%addr, bands = ?set.bands(), "SkySpy Edge serving the Realtime API");

    // systemd (Type=notify): ready once serving; the watchdog is fed only while the core
    // task answers, so a wedged core gets the daemon restarted. Outside systemd both are no-ops.
    let _ = sd_notify::notify(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status(&format!("serving on {addr}")),
    ]);
    if let Some(period) = sd_notify::watchdog_enabled() {
        tokio::spawn(watchdog(spine.core.clone(), period / 2, stopped()));
    }
    let listener = crate::net::PerIpListener::new(
        listener,
        config.api.max_connections_per_ip,
        spine.hub.counters.refused.clone(),
    );
    crate::net::serve_http(listener, router, async move {
        shutdown.await;
        tracing::info!("shutting down");
        // The WebSockets are the application's to close: close them first.
        io.close().await;
    })
    .await;
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    let _ = stop_tx.send(true);
    stop_dsp.store(true, Ordering::Relaxed);
    spine.join().await;
    for t in feed_tasks {
        let _ = t.await;
    }
    // The DSP threads see `stop` within one block (50 ms of samples).
    let _ = tokio::task::spawn_blocking(move || {
        for thread in dsp {
            let _ = thread.join();
        }
    })
    .await;
    tracing::info!("stopped");
    Ok(())
}

/// Feeds systemd's watchdog every `every` while the core answers a request within it.
async fn watchdog(core: mpsc::Sender<Cmd>, every: Duration, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tick.tick() => {}
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        if core.try_send(Cmd::StatsSummary(tx)).is_err() {
            continue;
        }
        if let Ok(Ok(_)) = tokio::time::timeout(every, rx).await {
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
        } else {
            tracing::warn!("the core did not answer within {every:?}: watchdog not fed");
        }
    }
}
