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

/// Runs arbitrary bytes through every ACARS parser: as received characters (parity, BCS,
/// repair), as a checked block's characters (fields, labels, OOOI, positions), through
/// reassembly, and as channel samples through the receiver. For the fuzz target and the
/// property tests: nothing may panic, and what comes out is bounded. Returns the blocks the
/// receiver found in the samples.
#[doc(hidden)]
pub fn exercise(data: &[u8]) -> usize {
    use block::SoftChar;
    let soft: Vec<SoftChar> = data
        .iter()
        .map(|&b| SoftChar {
            byte: b,
            reliability: [f32::from(b) / 255.0; 8],
        })
        .collect();
    let mut reassembler = reassembly::Reassembler::new();
    if soft.len() >= 2 {
        let (chars, bcs) = soft.split_at(soft.len() - 2);
        if let Ok(b) = block::check(chars, [bcs[0], bcs[1]]) {
            let _ = reassembler.add(message::parse(&b), 0.0);
        }
    }
    let raw = RawBlock {
        chars: data.iter().map(|b| b & 0x7f).collect(),
        corrected_bits: 0,
    };
    let m = message::parse(&raw);
    let _ = message::label_name(&m.label);
    let _ = message::oooi(&m.label, &m.text);
    let _ = message::position(&m.text);
    for i in 0..300 {
        let _ = reassembler.add(m.clone(), f64::from(i));
    }
    assert!(reassembler.pending() <= reassembly::MAX_PENDING);
    let samples: Vec<num_complex::Complex32> = data
        .chunks_exact(2)
        .map(|p| {
            num_complex::Complex32::new(
                (f32::from(p[0]) - 127.5) / 127.5,
                (f32::from(p[1]) - 127.5) / 127.5,
            )
        })
        .collect();
    let mut rx = AcarsReceiver::new(19_531.25);
    let mut out = Vec::new();
    for chunk in samples.chunks(977) {
        rx.push(chunk, &mut out);
    }
    rx.finish(&mut out);
    assert!(out.len() <= samples.len() / 100 + 1);
    out.len()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_bytes_through_every_parser(data in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64),
            proptest::collection::vec(any::<u8>(), 0..30_000),
        ]) {
            super::exercise(&data);
        }
    }

    #[test]
    fn a_strong_carrier_then_noise_gives_nothing() {
        // A constant strong signal then noise: the gate opens and closes; no block appears.
        let mut data = vec![255u8; 20_000];
        data.extend((0..40_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
        assert_eq!(super::exercise(&data), 0);
    }
}
