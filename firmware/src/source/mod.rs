//! Where decoded messages come from: one backend per kind of source, each on its own DSP
//! thread, all ending in the same [`pipeline::Pipeline`] that hands [`Block`]s to the core.
//!
//! ```text
//!  simulator (1090, 978 + FIS-B, VHF) ─┐
//!  replay (an IQ file, any band) ──────┼→ Pipeline: receive chain of the band → Block ─┐
//!  radio (rtl-sdr, SoapySDR) ──────────┘   (one DSP thread per band)                ├→ core
//!  Beast input (TCP, another receiver's messages) → parity check → Block ───────────┘
//! ```
//!
//! Each DSP thread is an OS thread so the async runtime never waits on DSP work and one
//! band's load never delays another's. Times inside a block are on the source's own stream
//! clock (seconds of samples); what they mean for the picture is the core's business
//! (`core::clock`). A source never calls into the core: it sends blocks on a bounded channel.

pub mod beast_in;
mod block;
pub mod phrases;
pub mod pipeline;
pub mod radio;
mod replay;
pub mod scenario;
mod simulator;
mod status;
mod uat;
mod vhf;

pub use block::{
    AcarsHeard, Block, FisbProduct, Heard, Timing, UatHeard, UatReceived, Vdl2Heard, VoiceHeard,
    VoiceLevel,
};
pub use pipeline::ChainSpec;
pub use radio::RadioSource;
pub use replay::Replay;
pub use simulator::{Simulated, UatSimulated, VhfSimulated};
pub use status::{SourceReport, SourceSet, SourceStatus};
pub use vhf::{VhfHeard, VhfStage};

use crate::config::{Band, ChannelConfig, ChannelKind, Config, SourceKind};
use dsp::cpr::Position;
use dsp::{IqFormat, SampleRate};
use pipeline::Pipeline;
use radio::Tuning;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// A configured source, ready to start, with the receive chain it needs.
pub struct Source {
    pub backend: Backend,
    pub chain: ChainSpec,
}

pub enum Backend {
    Simulator(Box<Simulated>),
    UatSimulator(Box<UatSimulated>),
    VhfSimulator(Box<VhfSimulated>),
    Replay(Replay),
    Radio(Box<RadioSource>),
}

impl Source {
    pub fn new(backend: Backend, chain: ChainSpec) -> Self {
        Self { backend, chain }
    }

    /// Builds the sources the config asks for: radios for the bands that have a device, a
    /// replay of one band, or the simulator on every band (978 MHz if it has UAT aircraft or
    /// FIS-B, VHF if `simulator.vhf`). An error names what cannot be used (a replay file that
    /// cannot be opened, a VHF plan the channelizer cannot serve).
    pub fn all_from_config(config: &Config) -> Result<Vec<(Source, Arc<SourceStatus>)>, String> {
        let format: IqFormat = config.source.format.parse()?;
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
        let sources = if radios {
            radio_sources(config)?
        } else if config.source.kind == SourceKind::Replay {
            vec![replay_source(config, format)?]
        } else {
            simulator_sources(config)?
        };
        for (s, status) in &sources {
            pipeline::check_chain(status, &s.chain)?;
        }
        Ok(sources)
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
            .name(format!("skyspy-dsp-{}", status.band))
            .spawn(move || {
                status.running.store(true, Ordering::Relaxed);
                let timing = match &self.backend {
                    Backend::Replay(r) => Timing::Replay { speed: r.speed },
                    Backend::Simulator(s) if s.speed != 1.0 => Timing::Replay { speed: s.speed },
                    _ => Timing::Live,
                };
                match Pipeline::new(&status, index, timing, self.chain, tx, stop) {
                    Ok(mut p) => match self.backend {
                        Backend::Simulator(s) => s.run(&mut p),
                        Backend::UatSimulator(s) => s.run(&mut p),
                        Backend::VhfSimulator(s) => s.run(&mut p),
                        Backend::Replay(r) => r.run(&mut p),
                        Backend::Radio(r) => r.run(&mut p),
                    },
                    Err(e) => status.fail(e),
                }
                status.running.store(false, Ordering::Relaxed);
            })
    }
}

fn radio_sources(config: &Config) -> Result<Vec<(Source, Arc<SourceStatus>)>, String> {
    let mut sources = Vec::new();
    let r = &config.radio;
    let mut bands = Vec::new();
    if let Some(d) = &r.modes.device {
        bands.push((
            d.clone(),
            Tuning::of(Band::Modes, &r.modes),
            ChainSpec::Modes(SampleRate::Msps2_4),
        ));
    }
    if let Some(d) = &r.uat.device {
        bands.push((d.clone(), Tuning::of(Band::Uat, &r.uat), ChainSpec::Uat));
    }
    for (band, v, key) in [
        (Band::Vhf, &r.vhf, "radio.vhf"),
        (Band::Vdl2, &r.vdl2, "radio.vdl2"),
    ] {
        if let Some(d) = &v.device {
            let plan = v.plan(key).map_err(|e| e.to_string())?;
            bands.push((d.clone(), Tuning::vhf(band, v, &plan), ChainSpec::Vhf(plan)));
        }
    }
    for (device, tuning, chain) in bands {
        let (driver, format): (Box<dyn radio::Driver>, _) = match config.source.kind {
            #[cfg(feature = "soapysdr")]
            SourceKind::Soapysdr => (Box::new(radio::soapy::SoapyDriver), IqFormat::Cs16),
            _ => (Box::new(radio::rtlsdr::RtlSdrDriver), IqFormat::Cu8),
        };
        let band = tuning.band;
        let rate = f64::from(tuning.rate_hz);
        let radio = RadioSource::new(driver, device, tuning);
        let kind = radio.driver_name();
        let description = format!("{kind} device {} on the {band} band", radio.device);
        let status = match &chain {
            ChainSpec::Vhf(plan) => {
                SourceStatus::vhf(kind, description, format, band, plan.clone())
            }
            _ => SourceStatus::new(kind, description, format, band, rate),
        };
        sources.push((Source::new(Backend::Radio(Box::new(radio)), chain), status));
    }
    Ok(sources)
}

fn replay_source(config: &Config, format: IqFormat) -> Result<(Source, Arc<SourceStatus>), String> {
    let band = config.source.band;
    let path = config
        .source
        .file
        .clone()
        .ok_or("source.file is required for a replay")?;
    let file =
        std::fs::File::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let (chain, rate_hz, rate_text) = match band {
        Band::Modes => {
            let rate: SampleRate = config.source.rate.parse()?;
            (ChainSpec::Modes(rate), rate.hz() as f64, rate.to_string())
        }
        Band::Uat => (
            ChainSpec::Uat,
            dsp::uat::consts::SAMPLE_RATE,
            "978 MHz UAT, 2.083333M".to_string(),
        ),
        Band::Vhf | Band::Vdl2 => {
            let (v, key) = if band == Band::Vhf {
                (&config.radio.vhf, "radio.vhf")
            } else {
                (&config.radio.vdl2, "radio.vdl2")
            };
            let plan = v.plan(key).map_err(|e| e.to_string())?;
            let text = format!(
                "VHF at {:.4} MHz, {:.3}M, {} channels",
                plan.centre_hz / 1e6,
                plan.rate_hz / 1e6,
                plan.channels.len()
            );
            let rate = plan.rate_hz;
            (ChainSpec::Vhf(plan), rate, text)
        }
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
    let status = match &chain {
        ChainSpec::Vhf(plan) => {
            SourceStatus::vhf("replay", description, format, band, plan.clone())
        }
        _ => SourceStatus::new("replay", description, format, band, rate_hz),
    };
    Ok((Source::new(Backend::Replay(replay), chain), status))
}

fn simulator_sources(config: &Config) -> Result<Vec<(Source, Arc<SourceStatus>)>, String> {
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
        Source::new(
            Backend::Simulator(Box::new(Simulated::new(
                centre,
                s.aircraft,
                s.seed,
                emergency,
                s.cannonball,
                s.speed,
            ))),
            ChainSpec::Modes(rate),
        ),
        SourceStatus::new(
            "simulator",
            description,
            IqFormat::Cu8,
            Band::Modes,
            rate.hz() as f64,
        ),
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
            Source::new(
                Backend::UatSimulator(Box::new(UatSimulated::new(
                    centre,
                    s.uat_aircraft,
                    s.seed,
                    s.fisb,
                ))),
                ChainSpec::Uat,
            ),
            SourceStatus::new(
                "simulator",
                description,
                IqFormat::Cu8,
                Band::Uat,
                dsp::uat::consts::SAMPLE_RATE,
            ),
        ));
    }
    for (on, band, v, key, what) in [
        (s.vhf, Band::Vhf, &config.radio.vhf, "radio.vhf", "ACARS"),
        (s.vdl2, Band::Vdl2, &config.radio.vdl2, "radio.vdl2", "VDL2"),
    ] {
        if !on {
            continue;
        }
        let mut v = v.clone();
        let voice = s.voice && band == Band::Vhf;
        if voice && !v.channels.iter().any(|c| c.kind == ChannelKind::Am) {
            v.channels
                .extend(crate::config::SIMULATOR_VOICE.iter().map(|&(f, name)| {
                    let mut c = ChannelConfig::new(f, ChannelKind::Am);
                    c.name = Some(name.into());
                    c
                }));
        }
        let what = if voice { "ACARS and voice" } else { what };
        let plan = v.plan(key).map_err(|e| e.to_string())?;
        let description = format!(
            "built-in simulator: {what} from the simulated aircraft on {} channels around {:.4} MHz, through the real demodulator",
            plan.channels.len(),
            plan.centre_hz / 1e6
        );
        let status = SourceStatus::vhf("simulator", description, IqFormat::Cu8, band, plan.clone());
        sources.push((
            Source::new(
                Backend::VhfSimulator(Box::new(VhfSimulated::new(
                    centre,
                    s.aircraft,
                    s.seed,
                    &plan,
                    s.acars_every_s,
                ))),
                ChainSpec::Vhf(plan),
            ),
            status,
        ));
    }
    Ok(sources)
}
