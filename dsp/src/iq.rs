//! IQ sample formats and rates: what SDRs and recording tools write.

use std::fmt;
use std::str::FromStr;

/// Interleaved complex sample formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IqFormat {
    /// Unsigned 8-bit I,Q with offset 127.5: what `rtl_sdr` writes.
    Cu8,
    /// Signed 16-bit little-endian I,Q.
    Cs16,
    /// 32-bit little-endian float I,Q in [-1, 1].
    Cf32,
}

impl IqFormat {
    pub const fn bytes_per_sample(self) -> usize {
        match self {
            IqFormat::Cu8 => 2,
            IqFormat::Cs16 => 4,
            IqFormat::Cf32 => 8,
        }
    }
}

impl FromStr for IqFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "cu8" | "uc8" => Ok(IqFormat::Cu8),
            "cs16" | "sc16" => Ok(IqFormat::Cs16),
            "cf32" | "fc32" => Ok(IqFormat::Cf32),
            other => Err(format!(
                "unknown IQ format {other:?} (expected cu8, cs16 or cf32)"
            )),
        }
    }
}

impl fmt::Display for IqFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IqFormat::Cu8 => "cu8",
            IqFormat::Cs16 => "cs16",
            IqFormat::Cf32 => "cf32",
        })
    }
}

/// Sample rates the 1090 MHz demodulator supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SampleRate {
    /// 2.4 MS/s: the primary rate (1.2 samples per chip).
    Msps2_4,
    /// 2.0 MS/s: one sample per chip, for Pi Zero-class CPUs.
    Msps2_0,
}

impl SampleRate {
    pub const fn hz(self) -> u64 {
        match self {
            SampleRate::Msps2_4 => 2_400_000,
            SampleRate::Msps2_0 => 2_000_000,
        }
    }

    /// Samples per microsecond.
    pub const fn per_us(self) -> f64 {
        self.hz() as f64 / 1e6
    }
}

impl FromStr for SampleRate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_uppercase();
        let t = t
            .trim_end_matches("SPS")
            .trim_end_matches("S/S")
            .trim_end_matches("HZ");
        match t {
            "2.4M" | "2.4" | "2400000" | "2400K" => Ok(SampleRate::Msps2_4),
            "2.0M" | "2M" | "2.0" | "2" | "2000000" | "2000K" => Ok(SampleRate::Msps2_0),
            _ => Err(format!(
                "unsupported sample rate {s:?} for 1090 MHz (expected 2.4M or 2.0M)"
            )),
        }
    }
}

impl fmt::Display for SampleRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SampleRate::Msps2_4 => "2.4M",
            SampleRate::Msps2_0 => "2.0M",
        })
    }
}

/// A block of raw interleaved IQ bytes and the index of its first sample in the stream.
#[derive(Clone, Copy, Debug)]
pub struct IqBlock<'a> {
    pub format: IqFormat,
    pub bytes: &'a [u8],
    pub first_sample: u64,
}

impl<'a> IqBlock<'a> {
    /// Whole samples in the block; a trailing partial sample is left for the next block.
    pub fn samples(&self) -> usize {
        self.bytes.len() / self.format.bytes_per_sample()
    }
}
