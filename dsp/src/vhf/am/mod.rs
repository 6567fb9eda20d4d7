//! Airband voice: AM on 25 kHz and 8.33 kHz channels, from a channel's complex baseband to
//! transmissions (start, end, 8 kHz audio).
//!
//! - [`channel`]: what the channelizer makes of a voice channel; [`parse_label`]: 8.33 kHz
//!   channel labels (127.105 is 127.10000 MHz) and exact frequencies.
//! - [`squelch`]: the carrier found in a narrow FFT bin against the channel's tracked noise
//!   floor; open and close thresholds, hang time, manual override.
//! - [`demod`]: coherent AM (the carrier's phase tracked), level normalised by the carrier
//!   (the AGC), 300–3,000 Hz, resampled to 8 kHz; transmissions joined across short gaps.

pub mod demod;
pub mod squelch;

pub use demod::{AmReceiver, Transmission};
pub use squelch::{Squelch, SquelchMode};

use super::ChannelSpec;

/// The audio's sample rate.
pub const AUDIO_RATE: f64 = 8_000.0;
/// The lowest rate a voice channel is demodulated at.
pub const MIN_CHANNEL_RATE: f64 = 16_000.0;
/// Channel spacings.
pub const WIDE_HZ: f64 = 25_000.0;
pub const NARROW_HZ: f64 = 25_000.0 / 3.0;

/// Why a frequency is not a voice channel.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LabelError {
    #[error("{0} MHz is not a channel: 8.33 kHz labels end in 05, 10 or 15 within each 25 kHz (e.g. 127.105, 127.110, 127.115), 25 kHz ones in 00; or give the exact frequency (127.10833)")]
    NotAChannel(f64),
}

/// A voice channel's frequency (Hz) and spacing (Hz) from its label or exact frequency (MHz):
/// within each 25 kHz, the label ending in 00 is the 25 kHz channel; 05, 10 and 15 are the 8.33
/// kHz channels at +0, +8.333 and +16.667 kHz. A frequency that is not a label (127.10833)
/// must lie on the 8.33 kHz grid.
pub fn parse_label(mhz: f64) -> Result<(f64, f64), LabelError> {
    let khz = mhz * 1000.0;
    let bad = || LabelError::NotAChannel(mhz);
    if !khz.is_finite() || khz <= 0.0 {
        return Err(bad());
    }
    if (khz - khz.round()).abs() < 1e-6 {
        let k = khz.round() as i64;
        let block = k - k.rem_euclid(25);
        return match k.rem_euclid(25) {
            0 => Ok((k as f64 * 1e3, WIDE_HZ)),
            5 => Ok((block as f64 * 1e3, NARROW_HZ)),
            10 => Ok((block as f64 * 1e3 + NARROW_HZ, NARROW_HZ)),
            15 => Ok((block as f64 * 1e3 + 2.0 * NARROW_HZ, NARROW_HZ)),
            _ => Err(bad()),
        };
    }
    // An exact frequency: on the 8.33 kHz grid, to 50 Hz.
    let hz = mhz * 1e6;
    let steps = (hz / NARROW_HZ).round();
    if (hz - steps * NARROW_HZ).abs() < 50.0 {
        Ok((steps * NARROW_HZ, NARROW_HZ))
    } else {
        Err(bad())
    }
}

/// The one-sided pass band of a voice channel: the 3 kHz of voice plus the carrier's
/// tolerance (8.33 kHz transmitters hold 1 ppm, 25 kHz ones 5 ppm: 0.7 kHz at 137 MHz).
pub fn pass_hz(width_hz: f64) -> f64 {
    if width_hz < WIDE_HZ {
        3_300.0
    } else {
        4_000.0
    }
}

/// Where the stop band starts: the neighbour's sidebands begin one spacing less 3 kHz away.
pub fn stop_hz(width_hz: f64) -> f64 {
    if width_hz < WIDE_HZ {
        NARROW_HZ - 3_000.0
    } else {
        10_000.0
    }
}

/// What the channelizer makes of a voice channel `offset_hz` from the centre of a stream at
/// `rate_hz`: decimated by the largest power of two that keeps [`MIN_CHANNEL_RATE`].
pub fn channel(offset_hz: f64, rate_hz: f64, width_hz: f64) -> ChannelSpec {
    let mut decimation = 1usize;
    while rate_hz / (2 * decimation) as f64 >= MIN_CHANNEL_RATE {
        decimation *= 2;
    }
    ChannelSpec {
        offset_hz,
        decimation,
        pass_hz: pass_hz(width_hz),
        stop_hz: stop_hz(width_hz),
    }
}
