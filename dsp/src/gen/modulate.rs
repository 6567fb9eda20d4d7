//! The radio half of the test signal generator: a transponder's pulses as the SDR sees them.
//!
//! Each reply is drawn at 24 MHz (10 or 12 times the output rate) as a train of 0.5 µs pulses
//! with linear 80 ns rise and fall (Annex 10 allows 50–100 ns), multiplied by the carrier's
//! residual offset and a random phase, then low-pass filtered by a windowed-sinc FIR standing
//! in for the dongle's decimation filter (cut-off 0.42 × the sample rate) and decimated. The
//! demodulator is never consulted: nothing here knows about sample phases or chip kernels.

use crate::consts::{PREAMBLE_PULSES_US, PREAMBLE_US};
use crate::iq::SampleRate;
use num_complex::Complex32;
use std::f64::consts::PI;

use super::encode::Reply;

const HI_RATE_HZ: f64 = 24e6;
const RISE_US: f64 = 0.08;
const PULSE_US: f64 = 0.5;
/// FIR half-length in 24 MHz samples (±1.25 µs).
const HALF_TAPS: usize = 30;

/// One reply's carrier as received: peak amplitude (1.0 = full scale), residual frequency
/// offset and phase at the start of the preamble.
#[derive(Clone, Copy, Debug)]
pub struct Carrier {
    pub amp: f32,
    pub offset_hz: f64,
    pub phase: f64,
}

pub struct Modulator {
    up: usize,
    samples_per_us: f64,
    taps: Vec<f32>,
}

impl Modulator {
    pub fn new(rate: SampleRate) -> Self {
        let up = (HI_RATE_HZ / rate.hz() as f64).round() as usize;
        let cutoff = 0.42 * rate.hz() as f64 / HI_RATE_HZ;
        let n = 2 * HALF_TAPS + 1;
        let mut taps: Vec<f64> = (0..n)
            .map(|i| {
                let x = i as f64 - HALF_TAPS as f64;
                let sinc = if x == 0.0 {
                    2.0 * cutoff
                } else {
                    (2.0 * PI * cutoff * x).sin() / (PI * x)
                };
                let window = 0.54 - 0.46 * (2.0 * PI * i as f64 / (n - 1) as f64).cos();
                sinc * window
            })
            .collect();
        let gain: f64 = taps.iter().sum();
        taps.iter_mut().for_each(|t| *t /= gain);
        Self {
            up,
            samples_per_us: rate.per_us(),
            taps: taps.into_iter().map(|t| t as f32).collect(),
        }
    }

    /// Length of a reply in output samples, preamble included.
    pub fn duration_samples(&self, reply: &Reply) -> f64 {
        (PREAMBLE_US + reply.bits as f64) * self.samples_per_us
    }

    /// Adds `reply` to `out`, whose element 0 is output sample `out_start`, with its preamble
    /// starting at output sample time `start`, peak amplitude `amp` (1.0 = full scale), a
    /// carrier offset and starting phase. Parts outside `out` are dropped.
    pub fn add(
        &self,
        out: &mut [Complex32],
        out_start: f64,
        reply: &Reply,
        start: f64,
        carrier: Carrier,
    ) {
        let dur = self.duration_samples(reply);
        let up = self.up as f64;
        let margin = HALF_TAPS as f64 / up + 1.0;
        let first = ((start - margin - out_start).floor().max(0.0)) as usize;
        let last = ((start + dur + margin - out_start).ceil().max(0.0) as usize).min(out.len());
        if first >= last {
            return;
        }
        // The envelope times carrier on the 24 MHz grid covering [first, last) plus filter spill.
        let k0 = (first * self.up) as isize - HALF_TAPS as isize;
        let k1 = (last * self.up) as isize + HALF_TAPS as isize;
        let hi: Vec<Complex32> = (k0..k1)
            .map(|k| {
                let t_samples = out_start + k as f64 / up;
                let t_us = (t_samples - start) / self.samples_per_us;
                let e = envelope(reply, t_us);
                if e == 0.0 {
                    return Complex32::new(0.0, 0.0);
                }
                let ph = carrier.phase + 2.0 * PI * carrier.offset_hz * t_us * 1e-6;
                Complex32::from_polar(carrier.amp * e as f32, ph as f32)
            })
            .collect();
        for (n, o) in out.iter_mut().enumerate().take(last).skip(first) {
            let centre = (n * self.up) as isize - k0;
            let mut acc = Complex32::new(0.0, 0.0);
            for (j, &h) in self.taps.iter().enumerate() {
                acc += hi[(centre + j as isize - HALF_TAPS as isize) as usize] * h;
            }
            *o += acc;
        }
    }
}

/// Start (µs) of the pulse of data bit `i`: first chip for a 1, second for a 0.
fn bit_pulse(reply: &Reply, i: usize) -> f64 {
    let one = reply.bytes[i / 8] & (0x80 >> (i % 8)) != 0;
    PREAMBLE_US + i as f64 + if one { 0.0 } else { PULSE_US }
}

fn trapezoid(s: f64, t: f64) -> f64 {
    let up = (t - s) / RISE_US + 0.5;
    let down = (s + PULSE_US - t) / RISE_US + 0.5;
    up.min(down).clamp(0.0, 1.0)
}

/// Trapezoidal pulse envelope at time `t` µs; touching pulses sum to a flat top. Only the
/// pulses that can reach `t` are visited.
fn envelope(reply: &Reply, t: f64) -> f64 {
    let mut e = 0.0;
    if t < PREAMBLE_US + RISE_US {
        e += PREAMBLE_PULSES_US
            .iter()
            .map(|&s| trapezoid(s, t))
            .sum::<f64>();
    }
    let i = (t - PREAMBLE_US).floor();
    for k in [i - 1.0, i, i + 1.0] {
        if k >= 0.0 && (k as usize) < reply.bits {
            e += trapezoid(bit_pulse(reply, k as usize), t);
        }
    }
    e.min(1.0)
}
