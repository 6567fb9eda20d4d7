//! The VHF band: one wideband stream (118–137 MHz), many narrow channels.
//!
//! ```text
//!  IQ ─convert→ complex samples ─Channelizer (one FFT for all)─┬→ ACARS channel → acars::Receiver → blocks
//!                                                              ├→ …
//! ```
//!
//! - [`plan`]: which tuning serves a set of channels (band edges, DC, images).
//! - [`channelizer`]: the fast-convolution filter bank, [`fir`] its filter design.
//! - [`acars`]: ARINC 618 ACARS (AM-MSK, 2,400 bit/s) from a channel to messages.

pub mod acars;
pub mod am;
pub mod channelizer;
pub mod fir;
pub mod plan;
pub mod vdl2;

pub use channelizer::{ChannelSpec, Channelizer, PlanError};

use crate::IqFormat;
use num_complex::Complex32;

/// Appends the samples of raw IQ bytes as complex values, full scale ±1 (`cu8` centred on
/// 127.5, `cs16` little-endian over 32,768, `cf32` as is). A trailing partial sample is
/// ignored (the caller keeps whole samples).
pub fn to_complex(format: IqFormat, bytes: &[u8], out: &mut Vec<Complex32>) {
    let start = out.len();
    out.resize(
        start + bytes.len() / format.bytes_per_sample(),
        Complex32::new(0.0, 0.0),
    );
    to_complex_into(format, bytes, &mut out[start..]);
}

/// Converts the first `out.len()` samples of `bytes` (as [`to_complex`]) into `out`; `out` is
/// filled only as far as `bytes` has whole samples.
pub fn to_complex_into(format: IqFormat, bytes: &[u8], out: &mut [Complex32]) {
    match format {
        IqFormat::Cu8 => {
            // One flat loop over the I and Q values (it vectorises), multiplying by the
            // reciprocal (a division does not).
            const SCALE: f32 = 1.0 / 127.5;
            let n = out.len().min(bytes.len() / 2);
            let flat: &mut [f32] = bytemuck::cast_slice_mut(&mut out[..n]);
            for (o, &b) in flat.iter_mut().zip(&bytes[..2 * n]) {
                *o = (f32::from(b) - 127.5) * SCALE;
            }
        }
        IqFormat::Cs16 => {
            for (o, p) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                *o = Complex32::new(
                    f32::from(i16::from_le_bytes([p[0], p[1]])) / 32768.0,
                    f32::from(i16::from_le_bytes([p[2], p[3]])) / 32768.0,
                );
            }
        }
        IqFormat::Cf32 => {
            for (o, p) in out.iter_mut().zip(bytes.chunks_exact(8)) {
                *o = Complex32::new(
                    f32::from_le_bytes([p[0], p[1], p[2], p[3]]),
                    f32::from_le_bytes([p[4], p[5], p[6], p[7]]),
                );
            }
        }
    }
}
