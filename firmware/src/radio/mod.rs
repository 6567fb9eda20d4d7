//! Radios: the devices IQ comes from on a real receiver. A [`Driver`] opens a device for a
//! band ([`Tuning`]); the [`Radio`] it returns hands over cu8 IQ until it fails. What to do
//! about a failure — mark the band unhealthy, keep serving, reopen with backoff — is the
//! source pipeline's job (`source::Pipeline::run_radio`), the same for every driver.
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

use serde::Deserialize;

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

/// Which device: a serial number (as `rtl_eeprom` sets it; what to use with several dongles)
/// or an index in the order the bus lists them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum DeviceSelector {
    Index(usize),
    Serial(String),
}

impl std::fmt::Display for DeviceSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceSelector::Index(i) => write!(f, "#{i}"),
            DeviceSelector::Serial(s) => write!(f, "with serial {s}"),
        }
    }
}

/// Gain: fixed (dB; the driver picks the nearest step the tuner has) or automatic
/// ([`agc`]: backs off on clipping, raises on a noise floor lost in quantisation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gain {
    Auto,
    Fixed(f64),
}

impl serde::Serialize for Gain {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Gain::Auto => s.serialize_str("auto"),
            Gain::Fixed(db) => s.serialize_f64(*db),
        }
    }
}

impl<'de> Deserialize<'de> for Gain {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(f64),
        }
        match Raw::deserialize(d)? {
            Raw::Text(t) if t == "auto" => Ok(Gain::Auto),
            Raw::Number(n) => Ok(Gain::Fixed(n)),
            Raw::Text(t) => Err(serde::de::Error::custom(format!(
                "gain must be \"auto\" or a number of dB, not {t:?}"
            ))),
        }
    }
}

/// How a band's radio is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct Tuning {
    pub band: u16,
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
