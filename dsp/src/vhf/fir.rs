//! Linear-phase low-pass FIR design by the window method with a Kaiser window (Kaiser's
//! formulas for the window's β and the length from the attenuation and the transition band,
//! as in Oppenheim & Schafer §7.6).

use std::f64::consts::PI;

/// What a low-pass filter must do: pass up to `pass_hz`, attenuate from `stop_hz` by at least
/// `atten_db`, at sample rate `rate_hz`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LowPass {
    pub rate_hz: f64,
    pub pass_hz: f64,
    pub stop_hz: f64,
    pub atten_db: f64,
}

impl LowPass {
    /// The number of taps Kaiser's formula asks for (odd, so the delay is whole samples).
    pub fn taps(&self) -> usize {
        let dw = 2.0 * PI * (self.stop_hz - self.pass_hz) / self.rate_hz;
        let n = ((self.atten_db - 7.95) / (2.285 * dw)).ceil().max(1.0) as usize + 1;
        n | 1
    }

    /// The window's shape parameter for the attenuation.
    fn beta(&self) -> f64 {
        let a = self.atten_db;
        if a > 50.0 {
            0.1102 * (a - 8.7)
        } else if a >= 21.0 {
            0.5842 * (a - 21.0).powf(0.4) + 0.07886 * (a - 21.0)
        } else {
            0.0
        }
    }

    /// The taps, unity gain at DC.
    pub fn design(&self) -> Vec<f32> {
        let n = self.taps();
        let fc = (self.pass_hz + self.stop_hz) / 2.0 / self.rate_hz;
        let beta = self.beta();
        let mid = (n - 1) as f64 / 2.0;
        let i0b = bessel_i0(beta);
        let mut h: Vec<f64> = (0..n)
            .map(|i| {
                let t = i as f64 - mid;
                let sinc = if t == 0.0 {
                    2.0 * fc
                } else {
                    (2.0 * PI * fc * t).sin() / (PI * t)
                };
                let r = if mid > 0.0 { t / mid } else { 0.0 };
                let w = bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0b;
                sinc * w
            })
            .collect();
        let sum: f64 = h.iter().sum();
        for v in &mut h {
            *v /= sum;
        }
        h.into_iter().map(|v| v as f32).collect()
    }
}

/// The modified Bessel function of the first kind, order 0, by its power series (converges
/// fast for the window's arguments, β < 20).
pub fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    let q = x * x / 4.0;
    for k in 1..64 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    /// |H(f)| of real taps, by direct evaluation.
    fn gain(h: &[f32], f: f64, rate: f64) -> f64 {
        let w = 2.0 * PI * f / rate;
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &v) in h.iter().enumerate() {
            re += f64::from(v) * (w * i as f64).cos();
            im -= f64::from(v) * (w * i as f64).sin();
        }
        (re * re + im * im).sqrt()
    }

    #[test]
    fn the_design_meets_its_specification() {
        let spec = LowPass {
            rate_hz: 250_000.0,
            pass_hz: 4_000.0,
            stop_hz: 8_500.0,
            atten_db: 70.0,
        };
        let h = spec.design();
        assert_eq!(h.len(), spec.taps());
        assert_eq!(h.len() % 2, 1);
        for f in [0.0, 1_000.0, 3_000.0, 4_000.0] {
            let db = 20.0 * gain(&h, f, spec.rate_hz).log10();
            assert!(db.abs() < 0.05, "{f} Hz: {db:.3} dB in the pass band");
        }
        for f in [8_500.0, 10_000.0, 25_000.0, 60_000.0, 124_000.0] {
            let db = 20.0 * gain(&h, f, spec.rate_hz).log10();
            assert!(db < -69.0, "{f} Hz: {db:.1} dB in the stop band");
        }
    }

    #[test]
    fn bessel_i0_matches_known_values() {
        assert!((bessel_i0(0.0) - 1.0).abs() < 1e-15);
        assert!((bessel_i0(1.0) - 1.266_065_877_752_008_4).abs() < 1e-12);
        assert!((bessel_i0(5.0) - 27.239_871_823_604_45).abs() < 1e-9);
    }
}
