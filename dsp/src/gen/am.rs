//! AM voice test signals: a transmitter's carrier modulated by audio, on a 25 kHz or 8.33 kHz
//! channel, with the truth of every transmission (start, end, the clean audio).
//!
//! ```text
//!  audio (8 kHz) → interpolated to the stream's rate → carrier × (1 + m · audio), 5 ms key-up
//!  and key-down ramps, the transmitter's carrier offset → the channel's place in the band
//! ```
//!
//! SNR is carrier power over noise power in the channel's spacing (8.33 or 25 kHz), the
//! measure voice receivers are compared by. [`babble`] makes speech-like audio for tests
//! that need no words: voiced syllables (a pitch with its harmonics through two formants)
//! and fricatives (shaped noise) at a talker's syllable rate.

use num_complex::Complex32;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::f64::consts::{PI, TAU};
use std::sync::Arc;

/// Key-up and key-down ramps (s).
const RAMP_S: f64 = 0.005;
/// The audio's interpolation: a Kaiser-windowed sinc (cut-off 3.5 kHz, 32 taps, β = 9) in
/// 256 phases, so the 8 kHz audio's images (which a linear interpolation leaves only 25 dB
/// down, where they land in the next 8.33 kHz channel) are more than 80 dB down.
const TAPS: usize = 32;
const PHASES: usize = 256;

fn kernel() -> &'static [[f32; TAPS]] {
    static K: std::sync::OnceLock<Vec<[f32; TAPS]>> = std::sync::OnceLock::new();
    K.get_or_init(|| {
        let fc = 3_500.0 / 8_000.0;
        let beta: f64 = 9.0;
        let i0 = |x: f64| {
            let (mut sum, mut term, mut k) = (1.0, 1.0, 1.0);
            while term > 1e-12 * sum {
                term *= (x / (2.0 * k)).powi(2);
                sum += term;
                k += 1.0;
            }
            sum
        };
        (0..PHASES)
            .map(|p| {
                let frac = p as f64 / PHASES as f64;
                let mut row = [0.0f32; TAPS];
                for (j, r) in row.iter_mut().enumerate() {
                    // Tap j multiplies audio[i - TAPS/2 + 1 + j] for position i + frac.
                    let x = (j as f64 - (TAPS / 2 - 1) as f64) - frac;
                    let sinc = if x.abs() < 1e-9 {
                        1.0
                    } else {
                        (PI * 2.0 * fc * x).sin() / (PI * 2.0 * fc * x)
                    };
                    let u = x / (TAPS as f64 / 2.0);
                    let w = if u.abs() >= 1.0 {
                        0.0
                    } else {
                        i0(beta * (1.0 - u * u).sqrt()) / i0(beta)
                    };
                    *r = (2.0 * fc * sinc * w) as f32;
                }
                row
            })
            .collect()
    })
}

/// One transmission.
#[derive(Clone, Debug, PartialEq)]
pub struct AmBurst {
    /// Clean audio at 8 kHz, full scale ±1.
    pub audio: Arc<Vec<f32>>,
    /// Centre of the channel relative to the centre of the sampled band (Hz), and its spacing.
    pub channel_hz: f64,
    pub width_hz: f64,
    /// When the carrier comes up (s from the start of the stream).
    pub start_s: f64,
    /// Carrier power over noise power in the channel's spacing (dB).
    pub snr_db: f64,
    pub carrier_offset_hz: f64,
    /// Modulation depth at the audio's full scale.
    pub depth: f64,
}

impl AmBurst {
    /// The audio at a fractional 8 kHz sample position.
    fn audio_at(&self, pos: f64) -> f32 {
        let i = pos.floor() as i64;
        let phase = (((pos - i as f64) * PHASES as f64) as usize).min(PHASES - 1);
        let row = &kernel()[phase];
        let mut acc = 0.0f32;
        for (j, &h) in row.iter().enumerate() {
            let k = i - (TAPS / 2 - 1) as i64 + j as i64;
            if let Some(&v) = usize::try_from(k).ok().and_then(|k| self.audio.get(k)) {
                acc += h * v;
            }
        }
        acc
    }

    pub fn duration_s(&self) -> f64 {
        self.audio.len() as f64 / 8_000.0 + 2.0 * RAMP_S
    }

    /// Adds the transmission to `out`, a stream at `rate` whose first sample is `first`, with
    /// complex noise of `noise_power` in the whole band.
    pub fn render(&self, rate: f64, noise_power: f64, first: u64, out: &mut [Complex32]) {
        let carrier = (noise_power * self.width_hz / rate * 10f64.powf(self.snr_db / 10.0)).sqrt();
        let first_s = first as f64 / rate;
        let end = self.start_s + self.duration_s();
        let n0 = ((self.start_s - first_s) * rate).floor().max(0.0) as usize;
        let n1 = (((end - first_s) * rate).ceil().max(0.0) as usize).min(out.len());
        let phase0 = self.start_s * 3.7;
        for (n, slot) in out.iter_mut().enumerate().take(n1).skip(n0) {
            let t = first_s + n as f64 / rate;
            let since = t - self.start_s;
            if since < 0.0 || t > end {
                continue;
            }
            let envelope = if since < RAMP_S {
                0.5 - 0.5 * (PI * since / RAMP_S).cos()
            } else if t > end - RAMP_S {
                0.5 - 0.5 * (PI * (end - t) / RAMP_S).cos()
            } else {
                1.0
            };
            let a = self.audio_at((since - RAMP_S).max(0.0) * 8_000.0);
            let amp = carrier * envelope * (1.0 + self.depth * f64::from(a));
            let ph = (TAU * (self.channel_hz + self.carrier_offset_hz) * t + phase0) % TAU;
            *slot += Complex32::from_polar(amp as f32, ph as f32);
        }
    }
}

/// Speech-like audio of `seconds` at 8 kHz, peak near ±1: syllables of a voiced sound (a
/// pitch of 90–220 Hz and its harmonics through two formants) or a fricative (noise above
/// 2 kHz), 80–250 ms each with short pauses, their levels varying as a talker's do.
pub fn babble(seconds: f64, seed: u64) -> Vec<f32> {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0xba_bb1e);
    let n = (seconds * 8_000.0) as usize;
    let mut out = Vec::with_capacity(n);
    let pitch: f64 = rng.random_range(90.0..220.0);
    while out.len() < n {
        let len = (rng.random_range(0.08..0.25) * 8_000.0) as usize;
        let gap = (rng.random_range(0.01..0.08) * 8_000.0) as usize;
        let level = rng.random_range(0.3..1.0);
        let voiced = rng.random_bool(0.75);
        let (f1, f2): (f64, f64) = (
            rng.random_range(300.0..900.0),
            rng.random_range(900.0..2_500.0),
        );
        let f0: f64 = pitch * rng.random_range(0.85..1.2);
        let mut hp = 0.0f64;
        for k in 0..len {
            let t = k as f64 / 8_000.0;
            let env = (PI * k as f64 / len as f64).sin();
            let v = if voiced {
                let mut s = 0.0;
                let mut h = 1.0;
                while h * f0 < 3_400.0 {
                    let f = h * f0;
                    // Two formant resonances' gains.
                    let g = 1.0 / (1.0 + ((f - f1) / 120.0).powi(2))
                        + 0.6 / (1.0 + ((f - f2) / 200.0).powi(2));
                    s += g * (TAU * f * t).sin() / h.sqrt();
                    h += 1.0;
                }
                s * 0.5
            } else {
                // Noise, high-passed (a first difference) for a hiss.
                let w: f64 = rng.random_range(-1.0..1.0);
                let d = w - hp;
                hp = w;
                d * 0.35
            };
            out.push((level * env * v) as f32);
        }
        out.extend(std::iter::repeat_n(0.0, gap));
    }
    out.truncate(n);
    // A transmitter's audio stops near 2.7 kHz: two second-order low-passes.
    for _ in 0..2 {
        let w = TAU * 2_700.0 / 8_000.0;
        let (s, c) = w.sin_cos();
        let alpha = s / std::f64::consts::SQRT_2;
        let a0 = 1.0 + alpha;
        let b = [(1.0 - c) / 2.0 / a0, (1.0 - c) / a0, (1.0 - c) / 2.0 / a0];
        let a = [-2.0 * c / a0, (1.0 - alpha) / a0];
        let (mut x1, mut x2, mut y1, mut y2) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for v in out.iter_mut() {
            let x = f64::from(*v);
            let y = b[0] * x + b[1] * x1 + b[2] * x2 - a[0] * y1 - a[1] * y2;
            (x2, x1, y2, y1) = (x1, x, y1, y);
            *v = y as f32;
        }
    }
    let peak = out.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-6);
    for v in &mut out {
        *v /= peak;
    }
    out
}
