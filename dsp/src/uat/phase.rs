//! Sample phase for cs16 and cf32 input: a 16-bit fraction of a turn (65536 = 2π), from a
//! polynomial arctangent (error below 1e-5 rad, a tenth of one output step) instead of
//! `atan2`, so that SSE2 (x86_64) and NEON (aarch64) kernels can do four samples at a time
//! with exactly the scalar reference's operations, in the same order: their output is
//! bit-identical to [`phase_f32`] (property-tested, natively and under qemu-aarch64).
//!
//! Non-finite input (corrupt cf32) counts as zero, whose phase is 0.

/// Minimax coefficients of atan(t) on [0, 1], odd powers 1…9.
const C1: f32 = 0.999_866;
const C3: f32 = -0.330_299_5;
const C5: f32 = 0.180_141;
const C7: f32 = -0.085_133;
const C9: f32 = 0.020_835_1;
const HALF_PI: f32 = std::f32::consts::FRAC_PI_2;
const PI: f32 = std::f32::consts::PI;
/// Radians to 16-bit turns.
const TO_U16: f32 = 65536.0 / std::f32::consts::TAU;

/// The scalar reference: phase of (x, y).
#[inline]
pub fn phase_f32(x: f32, y: f32) -> u16 {
    let finite = |v: f32| if v.abs() <= f32::MAX { v } else { 0.0 };
    let (x, y) = (finite(x), finite(y));
    let (ax, ay) = (x.abs(), y.abs());
    let mx = ax.max(ay).max(f32::MIN_POSITIVE);
    let t = ax.min(ay) / mx;
    let t2 = t * t;
    let mut p = ((((C9 * t2 + C7) * t2 + C5) * t2 + C3) * t2 + C1) * t;
    if ay > ax {
        p = HALF_PI - p;
    }
    if x < 0.0 {
        p = PI - p;
    }
    if y < 0.0 {
        p = -p;
    }
    (p * TO_U16) as i32 as u16
}

/// Phases of cf32 samples (little-endian f32 I, Q): reference.
pub fn phase_cf32_scalar(iq: &[u8], out: &mut Vec<u16>) {
    out.extend(iq.chunks_exact(8).map(|s| {
        let x = f32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        let y = f32::from_le_bytes([s[4], s[5], s[6], s[7]]);
        phase_f32(x, y)
    }));
}

/// Phases of cs16 samples (little-endian i16 I, Q): reference. The phase does not depend on
/// scale, so the counts go in as they are.
pub fn phase_cs16_scalar(iq: &[u8], out: &mut Vec<u16>) {
    out.extend(iq.chunks_exact(4).map(|s| {
        let x = f32::from(i16::from_le_bytes([s[0], s[1]]));
        let y = f32::from(i16::from_le_bytes([s[2], s[3]]));
        phase_f32(x, y)
    }));
}

/// Phases of cf32 samples, four at a time where the CPU allows.
pub fn phase_cf32(iq: &[u8], out: &mut Vec<u16>) {
    let full = iq.len() / 32 * 32;
    for chunk in iq[..full].chunks_exact(32) {
        let mut i = [0f32; 4];
        let mut q = [0f32; 4];
        for k in 0..4 {
            let s = &chunk[8 * k..8 * k + 8];
            i[k] = f32::from_le_bytes([s[0], s[1], s[2], s[3]]);
            q[k] = f32::from_le_bytes([s[4], s[5], s[6], s[7]]);
        }
        out.extend_from_slice(&simd::phase4(i, q));
    }
    phase_cf32_scalar(&iq[full..], out);
}

/// Phases of cs16 samples, four at a time where the CPU allows.
pub fn phase_cs16(iq: &[u8], out: &mut Vec<u16>) {
    let full = iq.len() / 16 * 16;
    for chunk in iq[..full].chunks_exact(16) {
        let mut i = [0f32; 4];
        let mut q = [0f32; 4];
        for k in 0..4 {
            let s = &chunk[4 * k..4 * k + 4];
            i[k] = f32::from(i16::from_le_bytes([s[0], s[1]]));
            q[k] = f32::from(i16::from_le_bytes([s[2], s[3]]));
        }
        out.extend_from_slice(&simd::phase4(i, q));
    }
    phase_cs16_scalar(&iq[full..], out);
}

mod simd {
    #[cfg(target_arch = "x86_64")]
    pub fn phase4(i: [f32; 4], q: [f32; 4]) -> [u16; 4] {
        use super::*;
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86_64 baseline; the loads and the store use arrays of
        // exactly four lanes.
        unsafe {
            let x = _mm_loadu_ps(i.as_ptr());
            let y = _mm_loadu_ps(q.as_ptr());
            let sign = _mm_set1_ps(-0.0);
            // Non-finite → 0: |v| <= MAX is false for NaN and infinities.
            let x = _mm_and_ps(
                x,
                _mm_cmple_ps(_mm_andnot_ps(sign, x), _mm_set1_ps(f32::MAX)),
            );
            let y = _mm_and_ps(
                y,
                _mm_cmple_ps(_mm_andnot_ps(sign, y), _mm_set1_ps(f32::MAX)),
            );
            let ax = _mm_andnot_ps(sign, x);
            let ay = _mm_andnot_ps(sign, y);
            let mx = _mm_max_ps(_mm_max_ps(ax, ay), _mm_set1_ps(f32::MIN_POSITIVE));
            let t = _mm_div_ps(_mm_min_ps(ax, ay), mx);
            let t2 = _mm_mul_ps(t, t);
            let mut p = _mm_add_ps(_mm_mul_ps(_mm_set1_ps(C9), t2), _mm_set1_ps(C7));
            p = _mm_add_ps(_mm_mul_ps(p, t2), _mm_set1_ps(C5));
            p = _mm_add_ps(_mm_mul_ps(p, t2), _mm_set1_ps(C3));
            p = _mm_add_ps(_mm_mul_ps(p, t2), _mm_set1_ps(C1));
            p = _mm_mul_ps(p, t);
            let steep = _mm_cmpgt_ps(ay, ax);
            p = _mm_or_ps(
                _mm_and_ps(steep, _mm_sub_ps(_mm_set1_ps(HALF_PI), p)),
                _mm_andnot_ps(steep, p),
            );
            let left = _mm_cmplt_ps(x, _mm_setzero_ps());
            p = _mm_or_ps(
                _mm_and_ps(left, _mm_sub_ps(_mm_set1_ps(PI), p)),
                _mm_andnot_ps(left, p),
            );
            let below = _mm_cmplt_ps(y, _mm_setzero_ps());
            p = _mm_xor_ps(p, _mm_and_ps(below, sign));
            let mut lanes = [0i32; 4];
            _mm_storeu_si128(
                lanes.as_mut_ptr().cast(),
                _mm_cvttps_epi32(_mm_mul_ps(p, _mm_set1_ps(TO_U16))),
            );
            lanes.map(|v| v as u16)
        }
    }

    #[cfg(target_arch = "aarch64")]
    pub fn phase4(i: [f32; 4], q: [f32; 4]) -> [u16; 4] {
        use super::*;
        use std::arch::aarch64::*;
        // SAFETY: NEON is part of the aarch64 baseline; the loads and the store use arrays
        // of exactly four lanes.
        unsafe {
            let x = vld1q_f32(i.as_ptr());
            let y = vld1q_f32(q.as_ptr());
            let max = vdupq_n_f32(f32::MAX);
            let zero = vdupq_n_f32(0.0);
            let x = vbslq_f32(vcleq_f32(vabsq_f32(x), max), x, zero);
            let y = vbslq_f32(vcleq_f32(vabsq_f32(y), max), y, zero);
            let ax = vabsq_f32(x);
            let ay = vabsq_f32(y);
            let mx = vmaxq_f32(vmaxq_f32(ax, ay), vdupq_n_f32(f32::MIN_POSITIVE));
            let t = vdivq_f32(vminq_f32(ax, ay), mx);
            let t2 = vmulq_f32(t, t);
            // vmul + vadd, never a fused multiply-add: the scalar reference rounds twice.
            let mut p = vaddq_f32(vmulq_f32(vdupq_n_f32(C9), t2), vdupq_n_f32(C7));
            p = vaddq_f32(vmulq_f32(p, t2), vdupq_n_f32(C5));
            p = vaddq_f32(vmulq_f32(p, t2), vdupq_n_f32(C3));
            p = vaddq_f32(vmulq_f32(p, t2), vdupq_n_f32(C1));
            p = vmulq_f32(p, t);
            p = vbslq_f32(vcgtq_f32(ay, ax), vsubq_f32(vdupq_n_f32(HALF_PI), p), p);
            p = vbslq_f32(vcltq_f32(x, zero), vsubq_f32(vdupq_n_f32(PI), p), p);
            p = vbslq_f32(vcltq_f32(y, zero), vnegq_f32(p), p);
            let v = vcvtq_s32_f32(vmulq_f32(p, vdupq_n_f32(TO_U16)));
            let mut lanes = [0i32; 4];
            vst1q_s32(lanes.as_mut_ptr(), v);
            lanes.map(|v| v as u16)
        }
    }

    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    pub fn phase4(i: [f32; 4], q: [f32; 4]) -> [u16; 4] {
        std::array::from_fn(|k| super::phase_f32(i[k], q[k]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn close_to_atan2_everywhere() {
        let mut worst = 0i32;
        for k in 0..20_000 {
            let a = k as f64 / 20_000.0 * std::f64::consts::TAU;
            for r in [1e-3f64, 1.0, 3e4] {
                let (x, y) = ((r * a.cos()) as f32, (r * a.sin()) as f32);
                let exact =
                    (f64::from(y).atan2(f64::from(x)) / std::f64::consts::TAU * 65536.0) as i32;
                let got = i32::from(phase_f32(x, y) as i16);
                let err = (got - exact as i16 as i32).abs();
                worst = worst.max(err.min(65536 - err));
            }
        }
        assert!(worst <= 1, "worst error {worst} steps");
        assert_eq!(phase_f32(0.0, 0.0), 0);
        assert_eq!(phase_f32(f32::NAN, f32::INFINITY), 0);
        assert_eq!(phase_f32(-1.0, 0.0), 32768);
        assert_eq!(phase_f32(0.0, 1.0), 16384);
    }

    proptest! {
        #[test]
        fn cf32_kernel_is_bit_identical(words in proptest::collection::vec(any::<u32>(), 0..200)) {
            // Any bit patterns: NaN, infinities, subnormals and zeros included.
            let iq: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            let (mut fast, mut reference) = (Vec::new(), Vec::new());
            phase_cf32(&iq, &mut fast);
            phase_cf32_scalar(&iq, &mut reference);
            prop_assert_eq!(fast, reference);
        }

        #[test]
        fn cf32_kernel_is_bit_identical_on_signals(v in proptest::collection::vec(-2.0f32..2.0, 0..400)) {
            let iq: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
            let (mut fast, mut reference) = (Vec::new(), Vec::new());
            phase_cf32(&iq, &mut fast);
            phase_cf32_scalar(&iq, &mut reference);
            prop_assert_eq!(fast, reference);
        }

        #[test]
        fn cs16_kernel_is_bit_identical(iq in proptest::collection::vec(any::<u8>(), 0..800)) {
            let (mut fast, mut reference) = (Vec::new(), Vec::new());
            phase_cs16(&iq, &mut fast);
            phase_cs16_scalar(&iq, &mut reference);
            prop_assert_eq!(fast, reference);
        }
    }
}
