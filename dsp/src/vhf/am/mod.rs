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
use num_complex::Complex32;

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

/// Runs arbitrary bytes through the voice parsers and receiver: as a label (a float), and as
/// channel samples (pairs of little-endian f32: NaN, infinities and huge values included, and
/// signed bytes) through a receiver in each squelch mode. For the fuzz target and the
/// property tests: nothing may panic, and no transmission outgrows [`demod::MAX_S`].
#[doc(hidden)]
pub fn exercise(data: &[u8]) -> usize {
    if let Some(b) = data.get(..8) {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(b);
        let _ = parse_label(f64::from_le_bytes(raw));
    }
    let floats: Vec<Complex32> = data
        .chunks_exact(8)
        .map(|c| {
            let f = |i: usize| f32::from_le_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
            Complex32::new(f(0), f(4))
        })
        .collect();
    let bytes: Vec<Complex32> = data
        .chunks_exact(2)
        .map(|c| Complex32::new(f32::from(c[0] as i8) / 128.0, f32::from(c[1] as i8) / 128.0))
        .collect();
    let mut found = 0;
    for (i, mode) in [
        SquelchMode::Auto,
        SquelchMode::Open,
        SquelchMode::Closed,
        SquelchMode::Threshold(3.0),
    ]
    .into_iter()
    .enumerate()
    {
        let mut rx = AmReceiver::new(MIN_CHANNEL_RATE, 1_000.0, pass_hz(NARROW_HZ), mode);
        rx.set_live(i % 2 == 0);
        let mut out = Vec::new();
        let mut live = Vec::new();
        for piece in [&floats, &bytes] {
            // Repeated, so that a few bytes still fill the squelch's frames.
            for _ in 0..4 {
                rx.push(piece, &mut out);
                rx.take_live(&mut live);
            }
        }
        rx.finish(&mut out);
        for t in &out {
            assert!(t.end >= t.start);
            assert!(t.audio.len() as f64 <= (demod::MAX_S + 1.0) * AUDIO_RATE);
        }
        found += out.len();
    }
    found
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn any_bytes_through_the_voice_receiver(data in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64),
            proptest::collection::vec(any::<u8>(), 0..20_000),
        ]) {
            super::exercise(&data);
        }
    }

    #[test]
    fn non_finite_samples_open_nothing_and_panic_nowhere() {
        let mut data = Vec::new();
        for v in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, 0.0] {
            for _ in 0..2_000 {
                data.extend(v.to_le_bytes());
                data.extend(v.to_le_bytes());
            }
        }
        super::exercise(&data);
    }
}
