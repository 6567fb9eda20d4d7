//! SIMD magnitude kernels. Each processes four complex samples per step with exactly the
//! operations of [`super::magnitude_f32`] (mul, add, sqrt, min, mul, add, truncate) so the
//! results are bit-identical; the remainder goes through the scalar reference.

use super::{magnitude_cf32_scalar, magnitude_cs16_scalar};

#[cfg(target_arch = "x86_64")]
pub fn magnitude_cf32(iq: &[u8], out: &mut [u16]) -> usize {
    use std::arch::x86_64::*;
    let n = (iq.len() / 8).min(out.len());
    let full = n / 4 * 4;
    for (chunk, o) in iq[..full * 8]
        .chunks_exact(32)
        .zip(out[..full].chunks_exact_mut(4))
    {
        // SAFETY: SSE2 is part of the x86_64 baseline; `chunk` is exactly 32 bytes, so both
        // unaligned 16-byte loads stay inside it.
        let m = unsafe {
            let a = _mm_loadu_ps(chunk.as_ptr().cast());
            let b = _mm_loadu_ps(chunk.as_ptr().add(16).cast());
            sse_magnitude(a, b)
        };
        o.copy_from_slice(&m);
    }
    full + magnitude_cf32_scalar(&iq[full * 8..n * 8], &mut out[full..n])
}

/// On x86_64 the compiler vectorises the scalar cs16 loop better than a hand-written SSE2
/// kernel does (criterion `convert/cs16_*`: 600 vs 340 Msamples/s), so the reference is the
/// fast path there.
#[cfg(target_arch = "x86_64")]
pub fn magnitude_cs16(iq: &[u8], out: &mut [u16]) -> usize {
    magnitude_cs16_scalar(iq, out)
}

/// Magnitudes of four interleaved complex samples held in `a` = [i0 q0 i1 q1], `b` = [i2 q2 i3 q3].
///
/// # Safety
/// Needs SSE2, which every x86_64 CPU has.
#[cfg(target_arch = "x86_64")]
#[inline]
unsafe fn sse_magnitude(a: std::arch::x86_64::__m128, b: std::arch::x86_64::__m128) -> [u16; 4] {
    use std::arch::x86_64::*;
    let i = _mm_shuffle_ps::<0b10_00_10_00>(a, b);
    let q = _mm_shuffle_ps::<0b11_01_11_01>(a, b);
    let m = _mm_sqrt_ps(_mm_add_ps(_mm_mul_ps(i, i), _mm_mul_ps(q, q)));
    // minps returns its second operand when the first is NaN, as f32::min does.
    let m = _mm_min_ps(m, _mm_set1_ps(1.0));
    let m = _mm_add_ps(_mm_mul_ps(m, _mm_set1_ps(65535.0)), _mm_set1_ps(0.5));
    let mut lanes = [0i32; 4];
    _mm_storeu_si128(lanes.as_mut_ptr().cast(), _mm_cvttps_epi32(m));
    lanes.map(|v| v as u16)
}

#[cfg(target_arch = "aarch64")]
pub fn magnitude_cf32(iq: &[u8], out: &mut [u16]) -> usize {
    use std::arch::aarch64::*;
    let n = (iq.len() / 8).min(out.len());
    let full = n / 4 * 4;
    for (chunk, o) in iq[..full * 8]
        .chunks_exact(32)
        .zip(out[..full].chunks_exact_mut(4))
    {
        // SAFETY: NEON is mandatory on aarch64; `chunk` is exactly 32 bytes = 8 f32, which
        // vld2q_f32 reads (unaligned loads are allowed) and deinterleaves into I and Q.
        let m = unsafe {
            let v = vld2q_f32(chunk.as_ptr().cast());
            neon_magnitude(v.0, v.1)
        };
        o.copy_from_slice(&m);
    }
    full + magnitude_cf32_scalar(&iq[full * 8..n * 8], &mut out[full..n])
}

#[cfg(target_arch = "aarch64")]
pub fn magnitude_cs16(iq: &[u8], out: &mut [u16]) -> usize {
    use std::arch::aarch64::*;
    let n = (iq.len() / 4).min(out.len());
    let full = n / 4 * 4;
    for (chunk, o) in iq[..full * 4]
        .chunks_exact(16)
        .zip(out[..full].chunks_exact_mut(4))
    {
        // SAFETY: NEON is mandatory on aarch64; `chunk` is exactly 16 bytes = 4 (I,Q) i16
        // pairs, which vld2_s16 reads and deinterleaves.
        let m = unsafe {
            let v = vld2_s16(chunk.as_ptr().cast());
            let scale = vdupq_n_f32(1.0 / 32768.0);
            let i = vmulq_f32(vcvtq_f32_s32(vmovl_s16(v.0)), scale);
            let q = vmulq_f32(vcvtq_f32_s32(vmovl_s16(v.1)), scale);
            neon_magnitude(i, q)
        };
        o.copy_from_slice(&m);
    }
    full + magnitude_cs16_scalar(&iq[full * 4..n * 4], &mut out[full..n])
}

/// # Safety
/// Needs NEON, which every aarch64 CPU has.
#[cfg(target_arch = "aarch64")]
#[inline]
unsafe fn neon_magnitude(
    i: std::arch::aarch64::float32x4_t,
    q: std::arch::aarch64::float32x4_t,
) -> [u16; 4] {
    use std::arch::aarch64::*;
    // Separate multiply and add (no vfmaq) so rounding matches the scalar reference.
    let m = vsqrtq_f32(vaddq_f32(vmulq_f32(i, i), vmulq_f32(q, q)));
    // minnm returns the number when the other operand is NaN, as f32::min does.
    let m = vminnmq_f32(m, vdupq_n_f32(1.0));
    let m = vaddq_f32(vmulq_f32(m, vdupq_n_f32(65535.0)), vdupq_n_f32(0.5));
    let mut lanes = [0u32; 4];
    vst1q_u32(lanes.as_mut_ptr(), vcvtq_u32_f32(m));
    lanes.map(|v| v as u16)
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub fn magnitude_cf32(iq: &[u8], out: &mut [u16]) -> usize {
    magnitude_cf32_scalar(iq, out)
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub fn magnitude_cs16(iq: &[u8], out: &mut [u16]) -> usize {
    magnitude_cs16_scalar(iq, out)
}
