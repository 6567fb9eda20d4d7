//! Where decoded messages come from: one backend per kind of source, each on its own DSP
//! thread, all ending in the same [`pipeline::Pipeline`] that hands [`Block`]s to the core.
//!
//! ```text
//!  simulator (1090, 978 + FIS-B) ─┐
//!  replay (an IQ file, either band) ─┼→ Pipeline: receive chain of the band → Block ─┐
//!  radio (rtl-sdr, SoapySDR) ────────┘   (one DSP thread per band)                ├→ core
//!  Beast input (TCP, another receiver's messages) → parity check → Block ─────────┘
//! ```
//!
//! Each DSP thread is an OS thread so the async runtime never waits on DSP work and one
//! band's load never delays another's. Times inside a block are on the source's own stream
//! clock (seconds of samples); what they mean for the picture is the core's business
//! (`core::clock`). A source never calls into the core: it sends blocks on a bounded channel.

pub mod beast_in;
mod block;
pub mod pipeline;
pub mod radio;
mod replay;
mod simulator;
mod status;
mod uat;

pub use block::{Block, FisbProduct, Heard, Timing, UatHeard, UatReceived};
pub use radio::RadioSource;
pub use replay::Replay;
pub use simulator::{Simulated, UatSimulated};
pub use status::{band_name, SourceReport, SourceSet, SourceStatus};

use crate::config::{Config, SourceKind};
use dsp::cpr::Position;
use dsp::{IqFormat, SampleRate};
use pipeline::Pipeline;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// A configured source, ready to start.
pub enum Source {
    Simulator(Box<Simulated>),
    UatSimulator(Box<UatSimulated>),
    Replay(Replay),
    Radio(Box<RadioSource>),
}

impl Source {
    /// Builds the sources the config asks for: radios for the bands that have a device, a
    /// replay of one band, or the simulator on both (978 MHz only if it has UAT aircraft or
    /// FIS-B). A replay file that cannot be opened is an error naming it.
    pub fn all_from_config(config: &Config) -> Result<Vec<(Source, Arc<SourceStatus>)>, String> {
        let format: IqFormat = config.source.format.parse()?;
        let rate: SampleRate = config.source.rate.parse()?;
        let radios = match config.source.kind {
            SourceKind::Rtlsdr | SourceKind::Soapysdr => true,
            SourceKind::Auto => {
                let found = radio::rtlsdr::list();
                if found.is_empty() {
                    tracing::info!("no RTL-SDR dongle found: using the built-in simulator");
                } else {
                    tracing::info!("RTL-SDR dongles: {found:?}");
                }
                !found.is_empty()
            }
            _ => false,
        };
        if radios {
            return Ok(radio_sources(config));
        }
        match config.source.kind {
            SourceKind::Replay => replay_source(config, format, rate).map(|s| vec![s]),
            _ => Ok(simulator_sources(config)),
        }
    }

    /// Starts the DSP thread of the source with index `index` in the daemon's set. It stops
    /// when `stop` is set, the core is gone, or a non-looping replay ends.
    pub fn spawn(
        self,
        index: usize,
        status: Arc<SourceStatus>,
        tx: mpsc::Sender<Block>,
        stop: Arc<AtomicBool>,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name(format!("skyspy-dsp-{}", band_name(status.band)))
            .spawn(move || {
                status.running.store(true, Ordering::Relaxed);
                let timing = match &self {
                    Source::Replay(r) => Timing::Replay { speed: r.speed },
                    _ => Timing::Live,
                };
                let mut p = Pipeline::new(&status, index, timing, tx, stop);
                match self {
                    Source::Simulator(s) => s.run(&mut p),
                    Source::UatSimulator(s) => s.run(&mut p),
                    Source::Replay(r) => r.run(&mut p),
                    Source::Radio(r) => r.run(&mut p),
                }
                status.running.store(false, Ordering::Relaxed);
            })
    }
}

fn radio_sources(config: &Config) -> Vec<(Source, Arc<SourceStatus>)> {
    let mut sources = Vec::new();
    for (band, r) in [(1090, &config.radio.modes), (978, &config.radio.uat)] {
        let Some(device) = r.device.clone() else {
            continue;
        };
        let (driver, format): (Box<dyn radio::Driver>, _) = match config.source.kind {
            #[cfg(feature = "soapysdr")]
            SourceKind::Soapysdr => (Box::new(radio::soapy::SoapyDriver), IqFormat::Cs16),
            _ => (Box::new(radio::rtlsdr::RtlSdrDriver), IqFormat::Cu8),
        };
        let radio = RadioSource::new(driver, device, band, r);
        let kind = radio.driver_name();
        let description = format!("{kind} device {} on {band} MHz", radio.device);
        sources.push((
            Source::Radio(Box::new(radio)),
            SourceStatus::new(kind, description, format, SampleRate::Msps2_4, band),
        ));
    }
    sources
}

fn replay_source(
    config: &Config,
    format: IqFormat,
    rate: SampleRate,
) -> Result<(Source, Arc<SourceStatus>), String> {
    let band = config.source.band;
    let path = config
        .source
        .file
        .clone()
        .ok_or("source.file is required for a replay")?;
    let file =
        std::fs::File::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let rate_text = if band == 978 {
        "978 MHz UAT, 2.083333M".to_string()
    } else {
        rate.to_string()
    };
    let description = format!(
        "replay of {} ({format}, {rate_text}, {}× speed{})",
        path.display(),
        config.source.speed,
        if config.source.looping {
            ", looping"
        } else {
            ""
        }
    );
    let replay = Replay {
        path,
        file,
        speed: config.source.speed,
        looping: config.source.looping,
    };
    Ok((
        Source::Replay(replay),
        SourceStatus::new("replay", description, format, rate, band),
    ))
}

fn simulator_sources(config: &Config) -> Vec<(Source, Arc<SourceStatus>)> {
    let s = &config.simulator;
    let centre = Position {
        lat: config.receiver.lat,
        lon: config.receiver.lon,
    };
    let rate = SampleRate::Msps2_4;
    let description = format!(
        "built-in simulator: {} aircraft around {:.4}, {:.4}, through the real demodulator",
        s.aircraft, centre.lat, centre.lon
    );
    let emergency = s
        .emergency_after_s
        .filter(|_| s.emergency)
        .map(|t| (t, t + s.emergency_for_s));
    let mut sources = vec![(
        Source::Simulator(Box::new(Simulated::new(
            centre, s.aircraft, s.seed, emergency,
        ))),
        SourceStatus::new("simulator", description, IqFormat::Cu8, rate, 1090),
    )];
    if s.uat_aircraft > 0 || s.fisb {
        let description = format!(
            "built-in simulator: {} UAT aircraft{} around {:.4}, {:.4}, through the real demodulator",
            s.uat_aircraft,
            if s.fisb { " and a FIS-B ground station" } else { "" },
            centre.lat,
            centre.lon
        );
        sources.push((
            Source::UatSimulator(Box::new(UatSimulated::new(
                centre,
                s.uat_aircraft,
                s.seed,
                s.fisb,
            ))),
            SourceStatus::new("simulator", description, IqFormat::Cu8, rate, 978),
        ));
    }
    sources
}
