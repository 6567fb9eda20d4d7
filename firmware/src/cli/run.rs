//! `skyspy run`: the flags, the config they make, logging, the runtime and the signals; the
//! daemon itself is `crate::daemon::run`.

use super::CliError;
use crate::config::{AuthMode, Config, ConfigError, SourceKind};
use std::path::PathBuf;
use tokio::net::TcpListener;

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
    /// Which band the replay is of: 1090, 978 (UAT at 2.083333 MS/s) or vhf (the
    /// `[radio.vhf]` plan: centre, rate, channels).
    #[arg(long, requires = "replay")]
    pub band: Option<crate::config::Band>,
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
        let rss = || crate::core::stats::process_usage().map_or(0.0, |u| u.rss_bytes as f64 / 1e6);
        let rss_before = rss();
        let (db, reports) = crate::core::aircraft_db::AircraftDb::load(
            config.aircraft_db.builtin,
            &config.aircraft_db.files,
        )?;
        println!("configuration OK");
        for w in config.warnings() {
            println!("warning: {w}");
        }
        for r in &reports {
            println!("aircraft database {r}");
        }
        println!(
            "aircraft database: {} aircraft, index {:.1} MB; resident {:.1} MB ({:.1} MB before loading)",
            db.len(),
            db.heap_bytes() as f64 / 1e6,
            rss(),
            rss_before,
        );
        // The VHF dongles' plans, as the channelizer will be set up (auto centre resolved).
        for (v, key) in [
            (&config.radio.vhf, "radio.vhf"),
            (&config.radio.vdl2, "radio.vdl2"),
        ] {
            if let Ok(plan) = v.plan(key) {
                print!("{key}: {}", plan.describe());
            }
        }
        return Ok(());
    }
    crate::logging::init();
    contain_panics();
    // Every client is a file descriptor: take what the hard limit allows (a distribution's
    // default soft limit of 1,024 would cap the API near a thousand browsers).
    match rlimit::increase_nofile_limit(65_536) {
        Ok(n) => tracing::debug!("open files limit {n}"),
        Err(e) => tracing::warn!("cannot raise the open files limit: {e}"),
    }
    // The process's own priority, which the bands' DSP threads keep (crate::priority).
    let base = crate::priority::current().unwrap_or(0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(move || crate::priority::lower_this_thread(base))
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::bind(config.listen()).await.map_err(|e| {
            CliError::Io(std::io::Error::new(
                e.kind(),
                format!("cannot listen on {}: {e}", config.listen()),
            ))
        })?;
        crate::daemon::run(listener, config, terminate())
            .await
            .map_err(CliError::from)
    })
}

/// A panic is a bug. In a band's DSP thread it is caught there and the band restarts
/// (`source::Source::spawn`); anywhere else (the core, the API, a feed) the process cannot
/// know what state it left, so it reports the panic and aborts, and systemd starts it again.
fn contain_panics() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        let dsp = std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with(crate::source::DSP_THREAD));
        if !dsp {
            std::process::abort();
        }
    }));
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
