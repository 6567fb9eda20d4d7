//! ACARS on VHF (ARINC 618): one channel's complex baseband → checked blocks → messages.
//!
//! - [`demod`]: burst gate, coherent AM, coherent MSK, sync, soft characters.
//! - [`block`]: the character frame, parity, the block check sequence, repair.
//! - [`message`]: fields, labels, OOOI and position reports.
//! - [`reassembly`]: multi-block messages (ETB … ETX), with a timeout.

pub mod block;
pub mod demod;
pub mod message;
pub mod reassembly;

pub use block::{BlockFields, RawBlock};
pub use demod::{AcarsReceiver, Decoded, BIT_RATE};
pub use message::AcarsMessage;

use super::ChannelSpec;

/// The lowest sample rate an ACARS channel is demodulated at: 16 kS/s (6.7 samples a bit).
pub const MIN_CHANNEL_RATE: f64 = 16_000.0;
/// The channel filter's one-sided pass band: the ±4 kHz of AM sidebands and the carrier's
/// offset (Hz).
pub const PASS_HZ: f64 = 6_000.0;
/// Where the stop band may start at the latest: 19 kHz, where the sidebands of a channel 25
/// kHz away begin.
pub const STOP_MAX_HZ: f64 = 19_000.0;

/// What the channelizer makes of an ACARS channel `offset_hz` from the centre of a stream at
/// `rate_hz`: decimated by the largest power of two that keeps [`MIN_CHANNEL_RATE`] (the
/// transform is cheapest at power-of-two sizes), and filtered to [`PASS_HZ`] with the stop
/// band as wide as aliasing allows: what folds back lands beyond the pass band.
pub fn channel(offset_hz: f64, rate_hz: f64) -> ChannelSpec {
    let mut decimation = 1usize;
    while rate_hz / (2 * decimation) as f64 >= MIN_CHANNEL_RATE {
        decimation *= 2;
    }
    let out = rate_hz / decimation as f64;
    ChannelSpec {
        offset_hz,
        decimation,
        pass_hz: PASS_HZ,
        stop_hz: (out - PASS_HZ).min(STOP_MAX_HZ),
    }
}
