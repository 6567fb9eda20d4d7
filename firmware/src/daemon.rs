//! `skyspy run`: the daemon. [`run`] wires source → core → API on a listener the caller
//! bound, until `shutdown` resolves — so tests start the whole daemon on port 0.

use crate::alerts::store::RuleStore;
use crate::api::{self, ApiSettings, Hub};
use crate::cli::CliError;
use crate::config::{AuthMode, Config, ConfigError, SourceKind};
use crate::core::{Core, CoreCounters, CoreSettings};
use crate::source::{Source, SourceSet};
use dsp::cpr::Position;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

#[derive(clap::Args, Debug, Default)]
pub struct RunArgs {
    /// TOML config file (see docs/api.md for every key); flags below override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Replay this IQ file at real-time speed instead of using a radio.
    #[arg(long, conflicts_with = "simulate")]
    pub replay: Option<PathBuf>,
    /// Replay sample format: cu8, cs16 or cf32.
    #[arg(long, requires = "replay")]
    pub format: Option<String>,
    /// Replay sample rate: 2.4M or 2.0M.
    #[arg(long, requires = "replay")]
    pub rate: Option<String>,
    /// Which band the replay is of: 1090 or 978 (UAT at 2.083333 MS/s).
    #[arg(long, requires = "replay")]
    pub band: Option<u16>,
    /// Replay speed (1 = real time).
    #[arg(long, requires = "replay")]
    pub speed: Option<f64>,
    /// Start the replay again when it ends.
    #[arg(long = "loop", requires = "replay")]
    pub looping: bool,
    /// Use the built-in simulator (live traffic through the real demodulator).
    #[arg(long)]
    pub simulate: bool,
    /// Simulated aircraft.
    #[arg(long)]
    pub aircraft: Option<usize>,
    /// Address and port to serve on (default 0.0.0.0:8080).
    #[arg(long)]
    pub listen: Option<String>,
    /// Receiver latitude.
    #[arg(long, requires = "lon", allow_hyphen_values = true)]
    pub lat: Option<f64>,
    /// Receiver longitude.
    #[arg(long, requires = "lat", allow_hyphen_values = true)]
    pub lon: Option<f64>,
    /// public, private or hybrid.
    #[arg(long)]
    pub auth: Option<AuthMode>,
    /// Alert rules file.
    #[arg(long)]
    pub rules_file: Option<PathBuf>,
    /// Check the configuration and exit (0: usable; 64 with the problem otherwise).
    #[arg(long)]
    pub check: bool,
}

/// The config from the file (if any) with the flags applied, validated.
pub fn config_from(args: &RunArgs) -> Result<Config, ConfigError> {
    let mut c = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if let Some(f) = &args.replay {
        c.source.kind = SourceKind::Replay;
        c.source.file = Some(f.clone());
    }
    if args.simulate {
        c.source.kind = SourceKind::Simulator;
    }
    if let Some(v) = &args.format {
        c.source.format = v.clone();
    }
    if let Some(v) = &args.rate {
        c.source.rate = v.clone();
    }
    if let Some(v) = args.band {
        c.source.band = v;
    }
    if let Some(v) = args.speed {
        c.source.speed = v;
    }
    c.source.looping |= args.looping;
    if let Some(v) = args.aircraft {
        c.simulator.aircraft = v;
    }
    if let Some(v) = &args.listen {
        c.api.listen = v.clone();
    }
    if let (Some(lat), Some(lon)) = (args.lat, args.lon) {
        c.receiver.lat = lat;
        c.receiver.lon = lon;
    }
    if let Some(a) = args.auth {
        c.api.auth = a;
    }
    if let Some(r) = &args.rules_file {
        c.alerts.rules_file = r.clone();
    }
    c.validate()?;
    Ok(c)
}

/// `skyspy run` from the command line: logging, the runtime, SIGTERM/Ctrl-C.
pub fn main(args: &RunArgs) -> Result<(), CliError> {
    let config = config_from(args)?;
    if args.check {
        println!("configuration OK");
        return Ok(());
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second init (tests running main twice) keeps the first subscriber.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::bind(config.listen()).await.map_err(|e| {
            CliError::Io(std::io::Error::new(
                e.kind(),
                format!("cannot listen on {}: {e}", config.listen()),
            ))
        })?;
        run(listener, config, terminate()).await
    })
}

/// Feeds systemd's watchdog every `every` while the core answers a request within it.
async fn watchdog(
    core: mpsc::Sender<crate::core::Cmd>,
    every: Duration,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tick.tick() => {}
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        if core.try_send(crate::core::Cmd::StatsSummary(tx)).is_err() {
            continue;
        }
        if let Ok(Ok(_)) = tokio::time::timeout(every, rx).await {
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
        } else {
            tracing::warn!("the core did not answer within {every:?}: watchdog not fed");
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
async fn terminate() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the daemon on `listener` until `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CliError> {
    let sources = Source::all_from_config(&config).map_err(CliError::Input)?;
    let set = SourceSet(sources.iter().map(|(_, s)| s.clone()).collect());
    let now_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (rules, problem) = RuleStore::open(&config.alerts.rules_file, now_unix);
    if let Some(p) = problem {
        tracing::warn!("{p}");
    }
    let receiver = Position {
        lat: config.receiver.lat,
        lon: config.receiver.lon,
    };
    let stats_every =
        Duration::from_secs_f64(1.0 / config.api.stats_hz).min(Duration::from_secs(1));
    let counters = Arc::new(CoreCounters::default());
    let (core, outputs) = Core::new(
        CoreSettings {
            receiver,
            rules,
            speed: if config.source.kind == SourceKind::Replay {
                config.source.speed
            } else {
                1.0
            },
        },
        set.clone(),
        counters.clone(),
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let (blocks_tx, blocks_rx) = mpsc::channel(32);
    let (cmd_tx, cmd_rx) = mpsc::channel(256);
    let cmd_probe = cmd_tx.clone();
    let core_task = tokio::spawn(core.run(blocks_rx, cmd_rx, stats_every, stopped()));

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
        },
        outputs.world,
        outputs.stats,
        cmd_tx,
        set.clone(),
        counters,
    ));
    let fanout = tokio::spawn(api::fanout::run(hub.clone(), outputs.events, stopped()));
    // Feeds: a port that cannot be bound (in use, no permission) is logged and left out; the
    // receiver and the API do not depend on it.
    let epoch = std::time::Instant::now();
    let mut feed_tasks = Vec::new();
    for (feed, addr) in config
        .feeds
        .listeners()
        .map_err(|(k, m)| CliError::Input(format!("{k}: {m}")))?
    {
        match TcpListener::bind(addr).await {
            Ok(l) => {
                tracing::info!(feed = feed.name(), %addr, "feed listening");
                let counters = hub.feed_counters.clone();
                feed_tasks.push(if feed == crate::feeds::Feed::BeastIn {
                    tokio::spawn(crate::feeds::serve_beast_in(
                        l,
                        blocks_tx.clone(),
                        epoch,
                        counters,
                        stopped(),
                    ))
                } else {
                    tokio::spawn(crate::feeds::serve(
                        feed,
                        l,
                        outputs.feeds.clone(),
                        counters,
                        stopped(),
                    ))
                });
            }
            Err(e) => tracing::error!(feed = feed.name(), %addr, "feed not started: {e}"),
        }
    }
    let (router, io) = api::router(hub);

    let stop_dsp = Arc::new(AtomicBool::new(false));
    let mut dsp = Vec::new();
    for (source, status) in sources {
        tracing::info!(band = status.band, "source: {}", status.description);
        dsp.push(source.spawn(status, blocks_tx.clone(), stop_dsp.clone(), epoch)?);
    }
    drop(blocks_tx);
    let addr = listener.local_addr()?;
    tracing::info!(%addr, bands = ?set.bands(), "SkySpy Edge serving the Realtime API");

    // systemd (Type=notify): ready once serving; the watchdog is fed only while the core
    // task answers, so a wedged core gets the daemon restarted. Outside systemd both are no-ops.
    let _ = sd_notify::notify(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status(&format!("serving on {addr}")),
    ]);
    if let Some(period) = sd_notify::watchdog_enabled() {
        tokio::spawn(watchdog(cmd_probe, period / 2, stopped()));
    }
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down");
        // Open WebSockets would hold the graceful shutdown forever: close them first.
        io.close().await;
    });
    let served = server.await;
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    let _ = stop_tx.send(true);
    stop_dsp.store(true, Ordering::Relaxed);
    let _ = tokio::join!(core_task, fanout);
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
    served?;
    tracing::info!("stopped");
    Ok(())
}
