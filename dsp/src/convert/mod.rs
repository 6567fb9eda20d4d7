//! IQ → magnitude conversion.
//!
//! Magnitudes are `u16` with 65535 standing for |z| = 1.0 (full scale); anything louder is
//! clipped there. 8-bit input goes through a 64K lookup table indexed by the raw (I,Q) byte
//! pair; 16-bit and float input through SIMD kernels (SSE2 on x86_64, NEON on aarch64, both
//! always present on their targets) that are tested bit-exact against the scalar references
//! below. Each function converts `min(input samples, out.len())` samples and returns how many.

mod simd;

use crate::iq::{IqBlock, IqFormat};

/// Magnitude of one complex sample, the one formula every kernel must reproduce exactly:
/// multiply and add in f32 (no fused multiply-add), square root, clip at full scale, round.
#[inline]
pub fn magnitude_f32(i: f32, q: f32) -> u16 {
    let m = (i * i + q * q).sqrt();
    (m.min(1.0) * 65535.0 + 0.5) as u16
}

/// Normalised value of an unsigned 8-bit sample (`rtl_sdr` centres on 127.5).
#[inline]
pub fn cu8_value(b: u8) -> f32 {
    (f32::from(b) - 127.5) / 127.5
}

/// Normalised value of a signed 16-bit sample.
#[inline]
pub fn cs16_value(v: i16) -> f32 {
    f32::from(v) * (1.0 / 32768.0)
}

/// A 64K table from an 8-bit (I,Q) pair to magnitude, built by its owner (no global state).
pub struct MagnitudeLut {
    table: Box<[u16]>,
}

impl Default for MagnitudeLut {
    fn default() -> Self {
        Self::new()
    }
}

impl MagnitudeLut {
    pub fn new() -> Self {
        let mut table = vec![0u16; 65536];
        for (idx, m) in table.iter_mut().enumerate() {
            *m = magnitude_f32(cu8_value((idx >> 8) as u8), cu8_value(idx as u8));
        }
        Self {
            table: table.into_boxed_slice(),
        }
    }

    #[inline]
    pub fn get(&self, i: u8, q: u8) -> u16 {
        self.table[(usize::from(i) << 8) | usize::from(q)]
    }
}

/// Scalar reference: cu8 bytes to magnitudes.
pub fn magnitude_cu8_scalar(iq: &[u8], out: &mut [u16]) -> usize {
    let n = (iq.len() / 2).min(out.len());
    for (o, p) in out[..n].iter_mut().zip(iq.chunks_exact(2)) {
        *o = magnitude_f32(cu8_value(p[0]), cu8_value(p[1]));
    }
    n
}

/// Fast path: cu8 bytes to magnitudes by table lookup.
pub fn magnitude_cu8(lut: &MagnitudeLut, iq: &[u8], out: &mut [u16]) -> usize {
    let n = (iq.len() / 2).min(out.len());
    for (o, p) in out[..n].iter_mut().zip(iq.chunks_exact(2)) {
        *o = lut.get(p[0], p[1]);
    }
    n
}

/// Scalar reference: little-endian cs16 bytes to magnitudes.
pub fn magnitude_cs16_scalar(iq: &[u8], out: &mut [u16]) -> usize {
    let n = (iq.len() / 4).min(out.len());
    for (o, p) in out[..n].iter_mut().zip(iq.chunks_exact(4)) {
        let i = i16::from_le_bytes([p[0], p[1]]);
        let q = i16::from_le_bytes([p[2], p[3]]);
        *o = magnitude_f32(cs16_value(i), cs16_value(q));
    }
    n
}

/// Scalar reference: little-endian cf32 bytes to magnitudes.
pub fn magnitude_cf32_scalar(iq: &[u8], out: &mut [u16]) -> usize {
    let n = (iq.len() / 8).min(out.len());
    for (o, p) in out[..n].iter_mut().zip(iq.chunks_exact(8)) {
        let i = f32::from_le_bytes([p[0], p[1], p[2], p[3]]);
        let q = f32::from_le_bytes([p[4], p[5], p[6], p[7]]);
        *o = magnitude_f32(i, q);
    }
    n
}

/// Fast path: cs16 bytes to magnitudes (SIMD where the target has it).
pub fn magnitude_cs16(iq: &[u8], out: &mut [u16]) -> usize {
    simd::magnitude_cs16(iq, out)
}

/// Fast path: cf32 bytes to magnitudes (SIMD where the target has it).
pub fn magnitude_cf32(iq: &[u8], out: &mut [u16]) -> usize {
    simd::magnitude_cf32(iq, out)
}

/// Converts a block with the fastest kernel for its format; returns samples written.
pub fn magnitude(lut: &MagnitudeLut, block: &IqBlock<'_>, out: &mut [u16]) -> usize {
    match block.format {
        IqFormat::Cu8 => magnitude_cu8(lut, block.bytes, out),
        IqFormat::Cs16 => magnitude_cs16(block.bytes, out),
        IqFormat::Cf32 => magnitude_cf32(block.bytes, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lut_equals_reference_for_every_pair() {
        let lut = MagnitudeLut::new();
        let mut iq = Vec::with_capacity(131072);
        for i in 0..=255u8 {
            for q in 0..=255u8 {
                iq.extend_from_slice(&[i, q]);
            }
        }
        let (mut a, mut b) = (vec![0u16; 65536], vec![0u16; 65536]);
        assert_eq!(magnitude_cu8(&lut, &iq, &mut a), 65536);
        magnitude_cu8_scalar(&iq, &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn full_scale_and_silence() {
        assert_eq!(magnitude_f32(0.0, 0.0), 0);
        assert_eq!(magnitude_f32(1.0, 0.0), 65535);
        assert_eq!(magnitude_f32(-1.0, -1.0), 65535, "clipped, not wrapped");
        assert_eq!(
            magnitude_f32(f32::NAN, 0.0),
            65535,
            "NaN input is a clipped sample"
        );
    }

    proptest! {
        #[test]
        fn cs16_simd_equals_scalar(data in proptest::collection::vec(any::<u8>(), 0..1000)) {
            let (mut a, mut b) = (vec![7u16; 300], vec![7u16; 300]);
            prop_assert_eq!(magnitude_cs16(&data, &mut a), magnitude_cs16_scalar(&data, &mut b));
            prop_assert_eq!(a, b);
        }

        #[test]
        fn cf32_simd_equals_scalar(vals in proptest::collection::vec(-2.0f32..2.0, 0..600)) {
            let data: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
            let (mut a, mut b) = (vec![7u16; 300], vec![7u16; 300]);
            prop_assert_eq!(magnitude_cf32(&data, &mut a), magnitude_cf32_scalar(&data, &mut b));
            prop_assert_eq!(a, b);
        }

        #[test]
        fn cf32_special_values_match(bits in proptest::collection::vec(any::<u32>(), 0..64)) {
            let data: Vec<u8> = bits.iter().flat_map(|v| v.to_le_bytes()).collect();
            let (mut a, mut b) = (vec![0u16; 32], vec![0u16; 32]);
            magnitude_cf32(&data, &mut a);
            magnitude_cf32_scalar(&data, &mut b);
            prop_assert_eq!(a, b);
        }
    }
}
