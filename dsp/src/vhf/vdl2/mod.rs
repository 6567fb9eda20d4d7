//! VDL Mode 2 (ICAO Annex 10 Vol III Part I §6, Doc 9776) on a VHF channel: D8PSK bursts →
//! AVLC frames → ACARS messages and XID parameters.
//!
//! - [`phy`]: the standard's constants: training sequence, Gray code, scrambler.
//! - [`demod`]: burst detection, timing, carrier, coherent decisions → bits.
//! - [`burst`]: the header and its FEC, de-interleaving, Reed–Solomon with erasures.
//! - [`avlc`]: frames between flags, bit stuffing, FCS, addresses, control.
//! - [`payload`]: ACARS over AVLC, XID parameters.

pub mod avlc;
pub mod burst;
pub mod demod;
pub mod payload;
pub mod phy;

pub use avlc::{AddressType, Frame};
pub use demod::{Received, Vdl2Receiver, Vdl2Stats, CHANNEL_RATE, SPS};
pub use payload::{payload, Payload, Xid};

use super::ChannelSpec;

/// The channel filter's one-sided pass band (Hz): the raised-cosine spectrum's flat part and
/// its shoulder (the band edge is 8.4 kHz; the outer kilohertz carry little power and much of
/// the noise), with room for the carrier's offset. Chosen by measurement
/// (`scripts/compare-vdl2`, SNR for 50 % of messages): 4.5 / 7.5 kHz 12.9 dB, 5.5 / 8.5 kHz
/// 12.3 dB, 7 / 10.5 kHz 13.2 dB.
pub const PASS_HZ: f64 = 5_500.0;
/// Where the stop band starts.
pub const STOP_HZ: f64 = 8_500.0;

/// Why a stream cannot carry VDL2 channels.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("VDL2 needs a sample rate that is a whole multiple of 52.5 kHz (5 samples a symbol after decimation), e.g. 1.05 or 2.1 MS/s; {0} Hz is not")]
pub struct RateError(pub f64);

/// What the channelizer makes of a VDL2 channel `offset_hz` from the centre of a stream at
/// `rate_hz`: decimated to 52.5 kS/s (5 samples a symbol).
pub fn channel(offset_hz: f64, rate_hz: f64) -> Result<ChannelSpec, RateError> {
    let d = rate_hz / CHANNEL_RATE;
    if d < 1.0 || (d - d.round()).abs() > 1e-9 {
        return Err(RateError(rate_hz));
    }
    Ok(ChannelSpec {
        offset_hz,
        decimation: d.round() as usize,
        pass_hz: PASS_HZ,
        stop_hz: STOP_HZ,
    })
}

/// Runs arbitrary bytes through every VDL2 parser: as a burst's bits (header, de-interleaving,
/// Reed–Solomon, deframing), as AVLC frames (addresses, control, ACARS, XID), and as channel
/// samples through the receiver. For the fuzz target and the property tests: nothing may
/// panic. Returns the frames found.
#[doc(hidden)]
pub fn exercise(data: &[u8]) -> usize {
    let bits: Vec<u8> = data
        .iter()
        .flat_map(|b| (0..8).map(move |i| (b >> i) & 1))
        .collect();
    let reliability: Vec<f32> = data
        .iter()
        .flat_map(|&b| [f32::from(b) / 255.0; 8])
        .collect();
    let mut found = 0;
    if let Ok(h) = burst::Header::decode(&bits) {
        let _ = h.blocks();
        if let Ok(b) = burst::decode(
            &h,
            &bits[burst::HEADER_BITS..],
            &reliability[burst::HEADER_BITS..],
        ) {
            found += b.frames.len();
        }
    }
    let mut bad = 0;
    found += avlc::deframe(&bits, &mut bad).len();
    if let Some(f) = Frame::parse(data) {
        let _ = payload(&f);
        let _ = (f.aircraft(), f.ground_station(), f.control.u_name());
    }
    let samples: Vec<num_complex::Complex32> = data
        .chunks_exact(2)
        .map(|c| {
            num_complex::Complex32::new(
                f32::from(c[0] as i8) / 128.0,
                f32::from(c[1] as i8) / 128.0,
            )
        })
        .collect();
    let mut rx = Vdl2Receiver::new();
    let mut out = Vec::new();
    rx.push(&samples, &mut out);
    rx.finish(&mut out);
    found + out.len()
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
}
