//! Radios: the devices IQ comes from on a real receiver. A [`Driver`] opens a device for a
//! band ([`Tuning`]); the [`Radio`] it returns hands over cu8 IQ until it fails. What to do
//! about a failure — mark the band unhealthy, keep serving, reopen with backoff — is the
//! job of [`RadioSource::run`], the same for every driver.
//!
//! Drivers: [`rtlsdr::RtlSdrDriver`] (the pure-Rust `rtl-sdr-rs` USB driver, the default;
//! no C library) and, behind the `soapysdr` cargo feature, `soapy::SoapyDriver` (Airspy,
//! HackRF, LimeSDR, SDRplay… through SoapySDR). [`fake::FakeDriver`] is a scripted device
//! for the tests of that machinery (unplug, replug, overruns, gain changes).

pub mod agc;
pub mod fake;
pub mod rtlsdr;
#[cfg(feature = "soapysdr")]
pub mod soapy;

use super::pipeline::Pipeline;
use crate::config::{Band, RadioConfig, VhfConfig, VhfPlan};
pub use crate::config::{DeviceSelector, Gain};
use agc::{Agc, GainLadder};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Why a radio could not be opened or stopped delivering.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum RadioError {
    #[error("no device {0}")]
    NotFound(String),
    #[error("{0}")]
    Device(String),
    #[error("no samples for {0:.1} s")]
    Stalled(f64),
}

/// How a band's radio is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct Tuning {
    pub band: Band,
    pub centre_hz: u32,
    pub rate_hz: u32,
    pub gain: Gain,
    pub ppm: i32,
    pub bias_tee: bool,
}

/// An open device delivering IQ.
pub trait Radio: Send {
    /// For logs and `receiver-info`: driver, device, tuner.
    fn describe(&self) -> String;
    /// The sample format `read` delivers.
    fn format(&self) -> dsp::IqFormat {
        dsp::IqFormat::Cu8
    }
    /// Waits for the next IQ (at most a fraction of a second) and appends it, in
    /// [`Radio::format`], to `out`; an error means the device is gone or failed.
    fn read(&mut self, out: &mut Vec<u8>) -> Result<(), RadioError>;
    /// The gains the tuner offers, tenths of dB (empty: gain cannot be changed).
    fn gains(&self) -> Vec<i32>;
    fn set_gain(&mut self, tenths_db: i32) -> Result<(), RadioError>;
    /// Samples lost since opening because they were not read in time (USB overruns).
    fn dropped_samples(&self) -> u64;
}

/// Opens devices of one kind.
pub trait Driver: Send {
    fn name(&self) -> &'static str;
    fn open(
        &mut self,
        device: &DeviceSelector,
        tuning: &Tuning,
    ) -> Result<Box<dyn Radio>, RadioError>;
}

/// A band's radio: the driver that opens it, which device, how it is tuned, and how long to
/// wait between attempts to (re)open it.
pub struct RadioSource {
    driver: Box<dyn Driver>,
    pub device: DeviceSelector,
    tuning: Tuning,
    pub backoff: (Duration, Duration),
}

impl Tuning {
    /// The fixed tuning of the 1090 MHz and 978 MHz bands.
    pub fn of(band: Band, r: &RadioConfig) -> Tuning {
        let (centre_hz, rate_hz) = match band {
            Band::Uat => (978_000_000, dsp::uat::consts::SAMPLE_RATE.round() as u32),
            _ => (1_090_000_000, dsp::SampleRate::Msps2_4.hz() as u32),
        };
        Tuning {
            band,
            centre_hz,
            rate_hz,
            gain: r.gain,
            ppm: r.ppm,
            bias_tee: r.bias_tee,
        }
    }

    /// A VHF dongle's tuning (`band`: vhf or vdl2), from its checked plan.
    pub fn vhf(band: Band, v: &VhfConfig, plan: &VhfPlan) -> Tuning {
        Tuning {
            band,
            centre_hz: plan.centre_hz.round() as u32,
            rate_hz: plan.rate_hz.round() as u32,
            gain: v.gain,
            ppm: v.ppm,
            bias_tee: v.bias_tee,
        }
    }
}

impl RadioSource {
    pub fn new(driver: Box<dyn Driver>, device: DeviceSelector, tuning: Tuning) -> Self {
        Self {
            driver,
            device,
            tuning,
            backoff: (Duration::from_secs(1), Duration::from_secs(30)),
        }
    }

    pub fn driver_name(&self) -> &'static str {
        self.driver.name()
    }

    /// Opens the radio and streams until it fails, then reports the band unhealthy and
    /// reopens it with backoff (doubling from `backoff.0` to `backoff.1`) until the daemon
    /// stops. Each (re)opened stream starts a fresh receive chain.
    pub fn run(&mut self, p: &mut Pipeline) {
        let mut wait = self.backoff.0;
        let mut dropped_before = 0;
        let mut buf = Vec::new();
        let rate = p.status.rate_hz;
        loop {
            match self.driver.open(&self.device, &self.tuning) {
                Ok(mut radio) => {
                    wait = self.backoff.0;
                    p.status.recover();
                    p.status.set_device(Some(radio.describe()));
                    if let Some(n) = p.status.opens_logged.allow() {
                        tracing::info!(
                            band = %self.tuning.band,
                            "radio open: {}{}",
                            radio.describe(),
                            crate::logging::left_out(n)
                        );
                    }
                    p.restart(p.stream_s());
                    // The ADC-rail rule is for 8-bit samples; other devices use their own.
                    let mut agc = match self.tuning.gain {
                        Gain::Auto if radio.format() == dsp::IqFormat::Cu8 => {
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
                        p.status
                            .dropped
                            .store(dropped_before + radio.dropped_samples(), Ordering::Relaxed);
                        if let Some((agc, ladder)) = &mut agc {
                            if let Some(gain) = agc.observe(&buf).and_then(|s| ladder.step(s)) {
                                tracing::info!(
                                    band = %self.tuning.band,
                                    "gain {:.1} dB",
                                    f64::from(gain) / 10.0
                                );
                                if let Err(e) = radio.set_gain(gain) {
                                    break e;
                                }
                            }
                        }
                        let keep_going = if buf.is_empty() {
                            !p.stopping()
                        } else {
                            p.process(&buf, false, f64::INFINITY)
                        };
                        if !keep_going {
                            return;
                        }
                    };
                    dropped_before += radio.dropped_samples();
                    p.status.set_device(None);
                    p.status
                        .fail(format!("{} failed: {failure}; reopening", radio.describe()));
                }
                Err(e) => p.status.fail(format!("{e}; retrying in {wait:?}")),
            }
            // Wait, a tenth of a second at a time so a stop is seen at once.
            let until = Instant::now() + wait;
            while Instant::now() < until {
                if p.stopping() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100).min(wait));
            }
            wait = (wait * 2).min(self.backoff.1);
            p.status.reconnects.fetch_add(1, Ordering::Relaxed);
        }
    }
}
