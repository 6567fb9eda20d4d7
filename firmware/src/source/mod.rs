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

use crate::config::{Band, ChannelConfig, ChannelKind, Config, ReplayFile, SourceKind};
use dsp::cpr::Position;
use dsp::{IqFormat, SampleRate};
use pipeline::Pipeline;
use radio::Tuning;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
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
    /// replay (one recording per band: `file` and `also`), or the simulator on every band
    /// (978 MHz if it has UAT aircraft or FIS-B, VHF if `simulator.vhf`). An error names what
    /// cannot be used (a replay file that cannot be opened, a VHF plan the channelizer cannot
    /// serve).
    pub fn all_from_config(config: &Config) -> Result<Vec<(Source, Arc<SourceStatus>)>, String> {
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
            config
                .source
                .replays()
                .iter()
                .map(|r| replay_source(config, r))
                .collect::<Result<_, _>>()?
        } else {
            simulator_sources(config)?
        };
        for (s, status) in &sources {
            pipeline::check_chain(status, &s.chain)?;
        }
        Ok(sources)
    }

    /// Starts the DSP thread of the source with index `index` in the daemon's set. It stops
    /// when `stop` is set, the core is gone, or a non-looping replay ends. A panic inside the
    /// band's DSP (a bug) is caught here: the band is reported failed with the panic's
    /// message, and after a pause (doubling from 1 s to a minute) its receive chain starts
    /// afresh, its stream clock continuing; the other bands never notice.
    pub fn spawn(
        self,
        index: usize,
        status: Arc<SourceStatus>,
        tx: mpsc::Sender<Block>,
        stop: Arc<AtomicBool>,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name(format!("{DSP_THREAD}{}", status.band))
            .spawn(move || {
                status.running.store(true, Ordering::Relaxed);
                let Source { mut backend, chain } = self;
                let timing = match &backend {
                    Backend::Replay(r) => Timing::Replay { speed: r.speed },
                    Backend::Simulator(s) if s.speed != 1.0 => Timing::Replay { speed: s.speed },
                    _ => Timing::Live,
                };
                match Pipeline::new(&status, index, timing, chain, tx, stop.clone()) {
                    Ok(mut p) => run_restarting(&mut backend, &mut p, &status, &stop),
                    Err(e) => status.fail(e),
                }
                status.running.store(false, Ordering::Relaxed);
            })
    }
}

/// The name of every DSP thread starts so (the process's panic hook lets these unwind).
pub const DSP_THREAD: &str = "skyspy-dsp-";

/// First pause before a band whose DSP panicked starts again, and the longest.
const PANIC_PAUSE: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(60));

/// Runs the backend; after a panic, reports it, waits, and runs it again on a fresh chain.
fn run_restarting(
    backend: &mut Backend,
    p: &mut Pipeline,
    status: &SourceStatus,
    stop: &AtomicBool,
) {
    let mut pause = PANIC_PAUSE.0;
    let mut after_panic = false;
    loop {
        // The backend and the pipeline are whole values between blocks; what a panic left
        // half-done in the chain is thrown away by `restart` on the next turn.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if after_panic {
                // A fresh chain, the stream clock going on.
                p.restart(p.stream_s());
            }
            match backend {
                Backend::Simulator(s) => s.run(p),
                Backend::UatSimulator(s) => s.run(p),
                Backend::VhfSimulator(s) => s.run(p),
                Backend::Replay(r) => r.run(p),
                Backend::Radio(r) => r.run(p),
            }
        }));
        let Err(panic) = ran else { return };
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        status.panics.fetch_add(1, Ordering::Relaxed);
        status.fail_loudly(format!(
            "the {} band's DSP panicked ({what}): a bug, please report it; restarting the band in {pause:?}",
            status.band
        ));
        let until = Instant::now() + pause;
        while Instant::now() < until {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        pause = (pause * 2).min(PANIC_PAUSE.1);
        after_panic = true;
        status.recover();
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

fn replay_source(
    config: &Config,
    recording: &ReplayFile,
) -> Result<(Source, Arc<SourceStatus>), String> {
    let band = recording.band;
    let format: IqFormat = recording.format.parse()?;
    let path = recording.file.clone();
    let file =
        std::fs::File::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let (chain, rate_hz, rate_text) = match band {
        Band::Modes => {
            let rate: SampleRate = recording.modes_rate().parse()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_one_bands_dsp_restarts_that_band_and_the_others_keep_serving() {
        let mut config = Config::default();
        config.source.kind = SourceKind::Simulator;
        config.simulator.aircraft = 5;
        config.simulator.uat_aircraft = 3;
        config.simulator.vhf = false;
        config.simulator.vdl2 = false;
        config.simulator.cannonball = false;
        let sources = Source::all_from_config(&config).expect("simulator sources");
        let bands: Vec<Band> = sources.iter().map(|(_, s)| s.band).collect();
        assert_eq!(bands, [Band::Modes, Band::Uat]);
        let statuses: Vec<_> = sources.iter().map(|(_, s)| s.clone()).collect();
        let (tx, mut rx) = mpsc::channel(256);
        let stop = Arc::new(AtomicBool::new(false));
        pipeline::fault::arm(Band::Modes, 5);
        let threads: Vec<_> = sources
            .into_iter()
            .enumerate()
            .map(|(i, (s, status))| s.spawn(i, status, tx.clone(), stop.clone()).expect("spawn"))
            .collect();

        // Blocks by source (0: 1090, 1: 978) with their stream times, and when they came.
        let mut seen: Vec<(usize, f64, Instant)> = Vec::new();
        let mut panicked_at = None;
        let mut recovered_at = None;
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(10) {
            while let Ok(b) = rx.try_recv() {
                seen.push((b.source.expect("a DSP block"), b.stream_s, Instant::now()));
            }
            let report = statuses[0].report();
            if panicked_at.is_none() && statuses[0].panics.load(Ordering::Relaxed) == 1 {
                let error = report.error.clone().unwrap_or_default();
                assert!(
                    error.contains("1090 band's DSP panicked (injected fault"),
                    "{error}"
                );
                assert!(!report.healthy);
                panicked_at = Some(Instant::now());
            }
            if let Some(p) = panicked_at {
                let again = seen.iter().any(|&(s, _, at)| s == 0 && at > p);
                if report.healthy && again {
                    recovered_at = Some(Instant::now());
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::Relaxed);
        for t in threads {
            t.join()
                .expect("a DSP thread ends without a panic escaping");
        }
        let panicked_at = panicked_at.expect("the injected panic was reported");
        let recovered_at = recovered_at.expect("the 1090 band came back");
        let outage = recovered_at - panicked_at;
        println!("1090 MHz back {outage:?} after the panic");
        assert!(outage < Duration::from_secs(3), "back after {outage:?}");
        // The 978 MHz band kept delivering while 1090 was down.
        let during = seen
            .iter()
            .filter(|&&(s, _, at)| s == 1 && at > panicked_at && at < recovered_at)
            .count();
        assert!(during >= 5, "978 MHz blocks during the outage: {during}");
        // The 1090 band's stream clock went on from where it was.
        let times: Vec<f64> = seen.iter().filter(|b| b.0 == 0).map(|b| b.1).collect();
        assert!(times.windows(2).all(|w| w[1] > w[0]), "{times:?}");
        assert_eq!(statuses[1].panics.load(Ordering::Relaxed), 0);
    }
}
