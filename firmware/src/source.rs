//! Where IQ comes from, and the DSP thread that turns it into decoded messages.
//!
//! ```text
//!  1090 simulator (TrafficSim) ──→ Receiver (demod + CRC) → decode ─┐  one DSP thread per
//!  978 simulator (UatTrafficSim) → UatDemodulator → decode, FIS-B ──┼→ Block → core task
//!  IQ file (replay, either band) → the chain of its band ───────────┘  (bounded channel)
//! ```
//!
//! Each source runs on its own OS thread so the async runtime never waits on DSP work and
//! one band's load never delays the other's. Time inside the pipeline is *stream time*:
//! seconds of samples. The track table runs on it, so a replay at 4× ages tracks and pairs
//! CPR frames as the air did, and a replay that ends leaves the picture as it was at its last
//! sample. Live sources count from the daemon's start (their `base_s` is when they started),
//! so the bands share one clock.

use crate::config::{Config, RadioConfig, SourceKind};
use crate::radio::agc::{Agc, GainLadder};
use crate::radio::{DeviceSelector, Driver, Gain, Tuning};
use dsp::cpr::Position;
use dsp::decode::{decode, Message};
use dsp::gen::fisb::{demo_products, Station};
use dsp::gen::uat_traffic::{FisbConfig, UatTrafficConfig, UatTrafficSim};
use dsp::gen::{TrafficConfig, TrafficSim};
use dsp::uat::decode::{decode_downlink, LatLon, UatDownlink};
use dsp::uat::demod::{UatDemodulator, UatMessage};
use dsp::uat::frame::{Kind as UatKind, UatFrame};
use dsp::uat::uplink::{
    decode_apdu, decode_product, decode_uplink, ApduTime, Product, Reassembler, RecordTime,
};
use dsp::{Frame, IqFormat, Receiver, RepairConfig, SampleRate};
use serde::Serialize;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Seconds of IQ handled per step (and so the pipeline's latency floor).
const BLOCK_S: f64 = 0.05;

/// One message as heard: the frame (timing, signal level) and its decoding.
#[derive(Clone, Debug)]
pub struct Heard {
    pub frame: Frame,
    pub message: Message,
    /// Stream time of the frame (s).
    pub t: f64,
}

/// What the UAT chain heard: a downlink, or the FIS-B products an uplink completed.
#[derive(Clone, Debug)]
pub enum UatHeard {
    Downlink {
        downlink: Box<UatDownlink>,
        rssi_dbfs: f32,
        /// Stream time of the frame (s).
        t: f64,
        repaired: bool,
    },
    Products {
        station: LatLon,
        products: Vec<FisbProduct>,
        t: f64,
    },
}

/// One complete FIS-B product.
#[derive(Clone, Debug)]
pub struct FisbProduct {
    pub product_id: u16,
    pub time: ApduTime,
    pub product: Product,
}

/// What one step of the source produced.
#[derive(Debug)]
pub struct Block {
    pub heard: Vec<Heard>,
    /// From a 978 MHz source.
    pub uat: Vec<UatHeard>,
    /// Every UAT frame as received (for the dump978 raw feed): frame, signal (dBFS), time.
    pub uat_frames: Vec<(UatFrame, f32, f64)>,
    /// Stream time at the end of the block (s).
    pub stream_s: f64,
    /// When the block's last sample was handed over (for latency accounting).
    pub at: Instant,
}

/// The source in use, as `receiver-info` and `stats:tick` show it.
#[derive(Debug)]
pub struct SourceStatus {
    pub kind: &'static str,
    pub description: String,
    pub format: IqFormat,
    /// The 1090 MHz sample rate (unused for 978 MHz, which is always 2.083333 MS/s).
    pub rate: SampleRate,
    /// 1090 or 978.
    pub band: u16,
    pub samples: AtomicU64,
    pub frames: AtomicU64,
    pub running: AtomicBool,
    pub ended: AtomicBool,
    pub error: Mutex<Option<String>>,
    /// A radio: the device in use (none while it is missing).
    pub device: Mutex<Option<String>>,
    /// A radio: samples it lost to overruns, and how often it was reopened.
    pub dropped: AtomicU64,
    pub reconnects: AtomicU64,
}

#[derive(Debug, Serialize)]
pub struct SourceReport {
    pub kind: &'static str,
    pub description: String,
    pub band: &'static str,
    pub format: String,
    pub sample_rate: u64,
    pub healthy: bool,
    pub state: &'static str,
    pub samples: u64,
    pub frames: u64,
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    pub dropped_samples: u64,
    pub reconnects: u64,
}

impl SourceStatus {
    /// Samples per second of the stream.
    pub fn rate_hz(&self) -> f64 {
        if self.band == 978 {
            dsp::uat::consts::SAMPLE_RATE
        } else {
            self.rate.hz() as f64
        }
    }

    pub fn report(&self) -> SourceReport {
        let error = self.error.lock().map(|e| e.clone()).unwrap_or_default();
        let state = if error.is_some() {
            "failed"
        } else if self.ended.load(Ordering::Relaxed) {
            "ended"
        } else {
            "running"
        };
        SourceReport {
            kind: self.kind,
            description: self.description.clone(),
            band: band_name(self.band),
            format: self.format.to_string(),
            sample_rate: self.rate_hz().round() as u64,
            healthy: error.is_none(),
            state,
            samples: self.samples.load(Ordering::Relaxed),
            frames: self.frames.load(Ordering::Relaxed),
            error,
            device: self.device.lock().map(|d| d.clone()).unwrap_or_default(),
            dropped_samples: self.dropped.load(Ordering::Relaxed),
            reconnects: self.reconnects.load(Ordering::Relaxed),
        }
    }

    fn fail(&self, message: String) {
        tracing::error!(source = self.kind, band = self.band, "{message}");
        if let Ok(mut e) = self.error.lock() {
            *e = Some(message);
        }
    }

    fn recover(&self) {
        if let Ok(mut e) = self.error.lock() {
            *e = None;
        }
    }

    fn set_device(&self, device: Option<String>) {
        if let Ok(mut d) = self.device.lock() {
            *d = device;
        }
    }
}

impl SourceStatus {
    pub fn new(
        kind: &'static str,
        description: String,
        format: IqFormat,
        rate: SampleRate,
        band: u16,
    ) -> Arc<SourceStatus> {
        Arc::new(SourceStatus {
            kind,
            description,
            format,
            rate,
            band,
            samples: AtomicU64::new(0),
            frames: AtomicU64::new(0),
            running: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            error: Mutex::new(None),
            device: Mutex::new(None),
            dropped: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
        })
    }
}

/// Every source the daemon runs (one per band), for the API's reports.
#[derive(Clone, Debug, Default)]
pub struct SourceSet(pub Vec<Arc<SourceStatus>>);

impl SourceSet {
    /// "1090" and/or "978", in the order the sources run.
    pub fn bands(&self) -> Vec<&'static str> {
        self.0.iter().map(|s| band_name(s.band)).collect()
    }

    pub fn reports(&self) -> Vec<SourceReport> {
        self.0.iter().map(|s| s.report()).collect()
    }

    /// The reports keyed by band, as `stats:tick.system.sdr` carries them.
    pub fn by_band(&self) -> serde_json::Map<String, serde_json::Value> {
        self.0
            .iter()
            .filter_map(|s| {
                let v = serde_json::to_value(s.report()).ok()?;
                Some((band_name(s.band).to_string(), v))
            })
            .collect()
    }
}

fn band_name(band: u16) -> &'static str {
    if band == 978 {
        "978"
    } else {
        "1090"
    }
}

/// A configured source, ready to start.
pub enum Source {
    Simulator(Box<Simulated>),
    UatSimulator(Box<UatSimulated>),
    Replay(Replay),
    Radio(Box<RadioSource>),
}

/// A band's radio: the driver that opens it, which device, how it is tuned, and how long to
/// wait between attempts to (re)open it.
pub struct RadioSource {
    driver: Box<dyn Driver>,
    device: DeviceSelector,
    tuning: Tuning,
    pub backoff: (Duration, Duration),
}

impl RadioSource {
    pub fn new(
        driver: Box<dyn Driver>,
        device: DeviceSelector,
        band: u16,
        r: &RadioConfig,
    ) -> Self {
        let (centre_hz, rate_hz) = if band == 978 {
            (978_000_000, dsp::uat::consts::SAMPLE_RATE.round() as u32)
        } else {
            (1_090_000_000, SampleRate::Msps2_4.hz() as u32)
        };
        Self {
            driver,
            device,
            tuning: Tuning {
                band,
                centre_hz,
                rate_hz,
                gain: r.gain,
                ppm: r.ppm,
                bias_tee: r.bias_tee,
            },
            backoff: (Duration::from_secs(1), Duration::from_secs(30)),
        }
    }
}

pub struct Simulated {
    sim: TrafficSim,
    emergency: Option<(f64, f64)>,
    normal_squawk: u16,
}

pub struct UatSimulated {
    sim: UatTrafficSim,
    centre: Position,
    /// Whether the ground station sends FIS-B (its products are re-dated as time passes).
    fisb: bool,
}

pub struct Replay {
    path: PathBuf,
    file: std::fs::File,
    speed: f64,
    looping: bool,
}

impl Source {
    /// Builds the sources the config asks for: a replay of one band, or the simulator on
    /// both (978 MHz only if it has UAT aircraft or FIS-B). A replay file that cannot be
    /// opened is an error.
    pub fn all_from_config(config: &Config) -> Result<Vec<(Source, Arc<SourceStatus>)>, String> {
        let format: IqFormat = config.source.format.parse()?;
        let rate: SampleRate = config.source.rate.parse()?;
        let status = SourceStatus::new;
        let radios = match config.source.kind {
            SourceKind::Rtlsdr | SourceKind::Soapysdr => true,
            SourceKind::Auto => {
                let found = crate::radio::rtlsdr::list();
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
            let mut sources = Vec::new();
            for (band, r) in [(1090, &config.radio.modes), (978, &config.radio.uat)] {
                let Some(device) = r.device.clone() else {
                    continue;
                };
                let (driver, format): (Box<dyn Driver>, _) = match config.source.kind {
                    #[cfg(feature = "soapysdr")]
                    SourceKind::Soapysdr => {
                        (Box::new(crate::radio::soapy::SoapyDriver), IqFormat::Cs16)
                    }
                    _ => (Box::new(crate::radio::rtlsdr::RtlSdrDriver), IqFormat::Cu8),
                };
                let kind = driver.name();
                let radio = RadioSource::new(driver, device, band, r);
                let description = format!("{kind} device {} on {band} MHz", radio.device);
                let rate = SampleRate::Msps2_4;
                sources.push((
                    Source::Radio(Box::new(radio)),
                    status(kind, description, format, rate, band),
                ));
            }
            return Ok(sources);
        }
        match config.source.kind {
            SourceKind::Replay => {
                let band = config.source.band;
                let path = config
                    .source
                    .file
                    .clone()
                    .ok_or("source.file is required for a replay")?;
                let file = std::fs::File::open(&path)
                    .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
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
                Ok(vec![(
                    Source::Replay(replay),
                    status("replay", description, format, rate, band),
                )])
            }
            _ => {
                let s = &config.simulator;
                let centre = Position {
                    lat: config.receiver.lat,
                    lon: config.receiver.lon,
                };
                let rate = SampleRate::Msps2_4;
                let sim = TrafficSim::new(TrafficConfig::new(rate, centre, s.aircraft, s.seed));
                let normal_squawk = sim.aircraft.first().map_or(0, |a| a.squawk);
                let description = format!(
                    "built-in simulator: {} aircraft around {:.4}, {:.4}, through the real demodulator",
                    s.aircraft, centre.lat, centre.lon
                );
                let simulated = Simulated {
                    sim,
                    emergency: s
                        .emergency_after_s
                        .filter(|_| s.emergency)
                        .map(|t| (t, t + s.emergency_for_s)),
                    normal_squawk,
                };
                let mut sources = vec![(
                    Source::Simulator(Box::new(simulated)),
                    status("simulator", description, IqFormat::Cu8, rate, 1090),
                )];
                if s.uat_aircraft > 0 || s.fisb {
                    let mut cfg = UatTrafficConfig::new(centre, s.uat_aircraft, s.seed);
                    if s.fisb {
                        cfg.fisb = Some(FisbConfig {
                            station: fisb_station(centre),
                            snr_db: 20.0,
                            apdus: Vec::new(),
                        });
                    }
                    let description = format!(
                        "built-in simulator: {} UAT aircraft{} around {:.4}, {:.4}, through the real demodulator",
                        s.uat_aircraft,
                        if s.fisb { " and a FIS-B ground station" } else { "" },
                        centre.lat,
                        centre.lon
                    );
                    let uat = UatSimulated {
                        sim: UatTrafficSim::new(cfg),
                        centre,
                        fisb: s.fisb,
                    };
                    sources.push((
                        Source::UatSimulator(Box::new(uat)),
                        status("simulator", description, IqFormat::Cu8, rate, 978),
                    ));
                }
                Ok(sources)
            }
        }
    }

    /// Starts the DSP thread. It stops when `stop` is set, the receiving side is dropped,
    /// or a non-looping replay ends.
    /// Live sources count stream time from `epoch` (the daemon's start); a replay from its
    /// first sample.
    pub fn spawn(
        self,
        status: Arc<SourceStatus>,
        tx: mpsc::Sender<Block>,
        stop: Arc<AtomicBool>,
        epoch: Instant,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name(format!("skyspy-dsp-{}", band_name(status.band)))
            .spawn(move || {
                status.running.store(true, Ordering::Relaxed);
                let base_s = match self {
                    Source::Replay(_) => 0.0,
                    _ => epoch.elapsed().as_secs_f64(),
                };
                let mut pipeline = Pipeline::new(&status, tx, stop, base_s);
                match self {
                    Source::Simulator(s) => pipeline.run_simulator(*s),
                    Source::UatSimulator(s) => pipeline.run_uat_simulator(*s),
                    Source::Replay(r) => pipeline.run_replay(r),
                    Source::Radio(r) => pipeline.run_radio(*r, epoch),
                }
                status.running.store(false, Ordering::Relaxed);
            })
    }
}

/// The receive chain of the source's band.
enum Chain {
    Modes(Box<Receiver>),
    Uat(Box<UatChain>),
}

struct UatChain {
    demod: UatDemodulator,
    reassembler: Reassembler,
    messages: Vec<UatMessage>,
}

impl Chain {
    fn new(status: &SourceStatus) -> Chain {
        if status.band == 978 {
            Chain::Uat(Box::new(UatChain {
                demod: UatDemodulator::new(status.format),
                reassembler: Reassembler::default(),
                messages: Vec::new(),
            }))
        } else {
            Chain::Modes(Box::new(Receiver::new(
                status.format,
                status.rate,
                RepairConfig::default(),
            )))
        }
    }
}

/// The receive chain plus pacing, shared by every source.
struct Pipeline<'a> {
    status: &'a SourceStatus,
    chain: Chain,
    tx: mpsc::Sender<Block>,
    stop: Arc<AtomicBool>,
    frames: Vec<Frame>,
    samples: u64,
    /// Stream time of sample 0.
    base_s: f64,
    started: Instant,
}

impl<'a> Pipeline<'a> {
    fn new(
        status: &'a SourceStatus,
        tx: mpsc::Sender<Block>,
        stop: Arc<AtomicBool>,
        base_s: f64,
    ) -> Self {
        Self {
            status,
            chain: Chain::new(status),
            tx,
            stop,
            frames: Vec::new(),
            samples: 0,
            base_s,
            started: Instant::now(),
        }
    }

    fn block_samples(&self) -> usize {
        (self.status.rate_hz() * BLOCK_S) as usize
    }

    /// Stream time at sample `n`.
    fn time_of(&self, n: f64) -> f64 {
        self.base_s + n / self.status.rate_hz()
    }

    fn stream_s(&self) -> f64 {
        self.time_of(self.samples as f64)
    }

    /// Runs `bytes` through the chain and hands the messages on; false when the daemon is
    /// stopping.
    fn process(&mut self, bytes: &[u8], last: bool, speed: f64) -> bool {
        let mut uat = Vec::new();
        let mut uat_frames = Vec::new();
        match &mut self.chain {
            Chain::Modes(rx) => {
                rx.push(bytes, &mut self.frames);
                if last {
                    rx.finish(&mut self.frames);
                }
            }
            Chain::Uat(c) => {
                c.demod.push(bytes, &mut c.messages);
                if last {
                    c.demod.finish(&mut c.messages);
                }
                self.status
                    .frames
                    .fetch_add(c.messages.len() as u64, Ordering::Relaxed);
                for m in c.messages.drain(..) {
                    let t = self.base_s + m.sample as f64 / dsp::uat::consts::SAMPLE_RATE;
                    uat_frames.push((m.frame.clone(), m.rssi_dbfs, t));
                    match m.frame.kind {
                        UatKind::Downlink => {
                            if let Some(downlink) = decode_downlink(&m.frame.payload) {
                                uat.push(UatHeard::Downlink {
                                    downlink: Box::new(downlink),
                                    rssi_dbfs: m.rssi_dbfs,
                                    t,
                                    repaired: m.frame.corrected > 0,
                                });
                            }
                        }
                        UatKind::Uplink => {
                            let Some(up) = decode_uplink(&m.frame.payload) else {
                                continue;
                            };
                            let mut products = Vec::new();
                            for f in up.frames.iter().filter(|f| f.frame_type == 0) {
                                let Some(apdu) = decode_apdu(&f.data) else {
                                    continue;
                                };
                                if let Some(whole) = c.reassembler.add(&apdu) {
                                    products.push(FisbProduct {
                                        product_id: apdu.product_id,
                                        time: apdu.time,
                                        product: decode_product(apdu.product_id, &whole),
                                    });
                                }
                            }
                            if !products.is_empty() {
                                uat.push(UatHeard::Products {
                                    station: up.header.site,
                                    products,
                                    t,
                                });
                            }
                        }
                    }
                }
            }
        }
        let n = (bytes.len() / self.status.format.bytes_per_sample()) as u64;
        self.samples += n;
        self.status.samples.fetch_add(n, Ordering::Relaxed);
        self.status
            .frames
            .fetch_add(self.frames.len() as u64, Ordering::Relaxed);
        // Real-time pacing: the block's last sample is "now" once its time has come.
        let due = self.started + Duration::from_secs_f64((self.stream_s() - self.base_s) / speed);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let heard = self
            .frames
            .drain(..)
            .map(|frame| Heard {
                message: decode(&frame),
                t: self.base_s + frame.sample / self.status.rate_hz(),
                frame,
            })
            .collect();
        let block = Block {
            heard,
            uat,
            uat_frames,
            stream_s: self.stream_s(),
            at: Instant::now(),
        };
        !self.stop.load(Ordering::Relaxed) && self.tx.blocking_send(block).is_ok()
    }

    fn run_simulator(&mut self, mut s: Simulated) {
        let n = self.block_samples();
        let (mut iq, mut sent) = (Vec::with_capacity(2 * n), Vec::new());
        loop {
            let t = self.stream_s();
            if let Some(first) = s.sim.aircraft.first_mut() {
                let on = s.emergency.is_some_and(|(a, b)| t >= a && t < b);
                first.squawk = if on { 7700 } else { s.normal_squawk };
            }
            iq.clear();
            sent.clear();
            s.sim.next_block(n, &mut iq, &mut sent);
            if !self.process(&iq, false, 1.0) {
                return;
            }
        }
    }

    fn run_uat_simulator(&mut self, mut s: UatSimulated) {
        let n = self.block_samples();
        let (mut iq, mut sent) = (Vec::with_capacity(2 * n), Vec::new());
        let mut dated_at = f64::NEG_INFINITY;
        loop {
            // FIS-B reports in effect from now for three hours, re-dated every half hour so
            // they never expire while the daemon runs.
            if s.fisb && self.stream_s() - dated_at >= FISB_REDATE_S {
                dated_at = self.stream_s();
                s.sim.set_fisb_apdus(fisb_products(s.centre, now_unix_s()));
            }
            iq.clear();
            sent.clear();
            s.sim.next_block(n, &mut iq, &mut sent);
            if !self.process(&iq, false, 1.0) {
                return;
            }
        }
    }

    /// A radio: open it, stream until it fails, then report the band unhealthy and reopen it
    /// with backoff (doubling from `backoff.0` to `backoff.1`) until the daemon stops. Each
    /// (re)opened stream starts a fresh chain whose stream time begins at the current time.
    fn run_radio(&mut self, mut r: RadioSource, epoch: Instant) {
        let mut wait = r.backoff.0;
        let mut dropped_before = 0;
        let mut buf = Vec::new();
        let rate = self.status.rate_hz();
        loop {
            match r.driver.open(&r.device, &r.tuning) {
                Ok(mut radio) => {
                    wait = r.backoff.0;
                    self.status.recover();
                    self.status.set_device(Some(radio.describe()));
                    tracing::info!(band = r.tuning.band, "radio open: {}", radio.describe());
                    self.restart(epoch.elapsed().as_secs_f64());
                    // The ADC-rail rule is for 8-bit samples; other devices use their own.
                    let mut agc = match r.tuning.gain {
                        Gain::Auto if radio.format() == IqFormat::Cu8 => {
                            GainLadder::new(radio.gains(), 400)
                                .map(|ladder| (Agc::new(rate), ladder))
                        }
                        _ => None,
                    };
                    let failure = loop {
                        buf.clear();
                        if let Err(e) = radio.read(&mut buf) {
                            break e;
                        }
                        self.status
                            .dropped
                            .store(dropped_before + radio.dropped_samples(), Ordering::Relaxed);
                        if let Some((agc, ladder)) = &mut agc {
                            if let Some(gain) = agc.observe(&buf).and_then(|s| ladder.step(s)) {
                                tracing::info!(
                                    band = r.tuning.band,
                                    "gain {:.1} dB",
                                    f64::from(gain) / 10.0
                                );
                                if let Err(e) = radio.set_gain(gain) {
                                    break e;
                                }
                            }
                        }
                        let keep_going = if buf.is_empty() {
                            !self.stop.load(Ordering::Relaxed)
                        } else {
                            self.process(&buf, false, f64::INFINITY)
                        };
                        if !keep_going {
                            return;
                        }
                    };
                    dropped_before += radio.dropped_samples();
                    self.status.set_device(None);
                    self.status
                        .fail(format!("{} failed: {failure}; reopening", radio.describe()));
                }
                Err(e) => self.status.fail(format!("{e}; retrying in {wait:?}")),
            }
            // Wait, a tenth of a second at a time so a stop is seen at once.
            let until = Instant::now() + wait;
            while Instant::now() < until {
                if self.stop.load(Ordering::Relaxed) || self.tx.is_closed() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100).min(wait));
            }
            wait = (wait * 2).min(r.backoff.1);
            self.status.reconnects.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A fresh chain whose sample 0 is at stream time `base_s`.
    fn restart(&mut self, base_s: f64) {
        self.chain = Chain::new(self.status);
        self.frames.clear();
        self.samples = 0;
        self.base_s = base_s;
    }

    fn run_replay(&mut self, mut r: Replay) {
        let bytes_per = self.status.format.bytes_per_sample();
        let mut buf = vec![0u8; self.block_samples() * bytes_per];
        loop {
            let n = match read_full(&mut r.file, &mut buf) {
                Ok(n) => n,
                Err(e) => {
                    self.status
                        .fail(format!("reading {} failed: {e}", r.path.display()));
                    return;
                }
            };
            let end = n < buf.len();
            // A trailing partial sample is dropped; the Receiver keeps partial blocks itself.
            let whole = n - n % bytes_per;
            if end && r.looping {
                if !self.process(&buf[..whole], false, r.speed) {
                    return;
                }
                if let Err(e) = r.file.seek(SeekFrom::Start(0)) {
                    self.status
                        .fail(format!("rewinding {}: {e}", r.path.display()));
                    return;
                }
                if n == 0 && self.samples == 0 {
                    self.status.fail(format!("{} is empty", r.path.display()));
                    return;
                }
                continue;
            }
            if !self.process(&buf[..whole], end, r.speed) {
                return;
            }
            if end {
                tracing::info!(
                    seconds = self.stream_s(),
                    "replay of {} ended",
                    r.path.display()
                );
                self.status.ended.store(true, Ordering::Relaxed);
                return;
            }
        }
    }
}

/// How often the simulated FIS-B reports get new times (s).
const FISB_REDATE_S: f64 = 1800.0;

/// The simulator's ground station: 40 km north-west of the receiver, slot 9.
fn fisb_station(centre: Position) -> Station {
    Station {
        lat: centre.lat + 0.25,
        lon: centre.lon - 0.35,
        slot: 9,
        tisb_site_id: 1,
    }
}

fn now_unix_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The simulator's FIS-B products issued at `now_s` (Unix seconds), in effect for 3 hours.
fn fisb_products(centre: Position, now_s: u64) -> Vec<Vec<u8>> {
    let at = |s: u64| {
        let (_, _, day) = crate::airspace::civil_from_days((s / 86_400) as i64);
        let secs = s % 86_400;
        RecordTime {
            month: None,
            day: Some(day as u8),
            hour: (secs / 3600) as u8,
            minute: (secs % 3600 / 60) as u8,
        }
    };
    let start = at(now_s);
    demo_products(
        centre,
        (start.hour, start.minute),
        start,
        at(now_s + 3 * 3600),
    )
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(file: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
