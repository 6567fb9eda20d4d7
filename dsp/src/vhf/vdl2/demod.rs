//! From one VDL2 channel's complex baseband (5 samples a symbol) to bursts of bits.
//!
//! ```text
//!  samples ─ lag-one-symbol products z·z*(−5) ─ correlate with the training sequence's
//!    15 known phase changes (a carrier offset only turns the sum) → candidate start
//!    → symbol timing: the correlation's peak, to a fraction of a sample (parabola)
//!    → carrier: frequency from the sum's angle, phase from the 16 known symbols
//!    → coherent 8PSK decisions with a decision-directed phase-locked loop
//!    → phase changes → 3-bit groups, each bit with the decision's margin as its reliability
//!    → the header (its FEC), then as many symbols as the header's length says (`burst`)
//! ```
//!
//! Why coherent: the training sequence gives the carrier's phase and frequency to well under
//! a degree per symbol, so each symbol can be decided against a fixed reference rather than
//! against the previous, noisy, symbol (what differential detection does, at about 3 dB of
//! sensitivity); the information is still in the phase changes, so a cycle slip costs one
//! symbol, not the burst.

use super::burst::{self, Burst, BurstError, Header};
use super::phy::{Scrambler, GROUP_OF, SYMBOL_RATE, SYNC, SYNC_PHASES};
use num_complex::Complex32;
use std::f32::consts::{FRAC_PI_4, FRAC_PI_8};

/// Samples a symbol (the channel's rate is 52.5 kS/s).
pub const SPS: usize = 5;
/// The channel's sample rate.
pub const CHANNEL_RATE: f64 = SYMBOL_RATE * SPS as f64;
/// The normalised correlation with the training sequence that makes a candidate (1 for a
/// clean burst; about 0.23 on average for noise).
const DETECT: f32 = 0.55;
/// The training sequence's power over the noise floor that makes a candidate (3 dB: a burst
/// the code can correct stands 10 dB or more above the floor in the channel).
const GATE: f32 = 2.0;
/// Samples the training sequence spans.
const SYNC_SPAN: usize = SYNC.len() * SPS;
/// Samples kept before a candidate (interpolation and the search around the peak).
const HISTORY: usize = 4 * SPS;
/// Loop gains of the carrier tracking (per symbol): phase and frequency.
const LOOP_PHASE: f32 = 0.06;
const LOOP_FREQ: f32 = 0.002;
/// Noise floor tracking: window (samples), and how fast the floor may rise per window.
const NOISE_WINDOW: usize = 1024;
const NOISE_RISE: f32 = 0.02;

/// What the receiver counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Vdl2Stats {
    /// Candidates whose header did not check.
    pub bad_headers: u64,
    /// Bursts whose header checked.
    pub bursts: u64,
    /// Bursts with a Reed–Solomon block that could not be corrected.
    pub uncorrectable: u64,
}

/// A burst as received.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    pub burst: Burst,
    /// Channel sample index of the first training symbol.
    pub start: u64,
    /// Signal and noise power, dB of full scale of the channel's samples.
    pub level_db: f32,
    pub noise_db: f32,
    /// Carrier offset (Hz).
    pub freq_hz: f32,
}

pub struct Vdl2Receiver {
    buf: Vec<Complex32>,
    /// `lag[i] = buf[i] · conj(buf[i − SPS])`, and its magnitude.
    lag: Vec<Complex32>,
    lag_mag: Vec<f32>,
    /// Absolute sample index of `buf[0]`.
    base: u64,
    /// Next candidate start (index into `buf`).
    scan: usize,
    noise: f32,
    window_power: f32,
    window_len: usize,
    reference: [Complex32; 16],
    pub stats: Vdl2Stats,
}

impl Default for Vdl2Receiver {
    fn default() -> Self {
        Self::new()
    }
}

impl Vdl2Receiver {
    pub fn new() -> Self {
        let reference = std::array::from_fn(|k| {
            Complex32::from_polar(1.0, f32::from(SYNC_PHASES[k]) * FRAC_PI_4)
        });
        Self {
            buf: Vec::new(),
            lag: Vec::new(),
            lag_mag: Vec::new(),
            base: 0,
            scan: HISTORY,
            noise: 0.0,
            window_power: 0.0,
            window_len: 0,
            reference,
            stats: Vdl2Stats::default(),
        }
    }

    /// Noise floor (mean power of the quiet channel) in dB of full scale.
    pub fn noise_db(&self) -> f32 {
        10.0 * self.noise.max(1e-12).log10()
    }

    /// Takes the channel's next samples; appends every burst that ended in them.
    pub fn push(&mut self, samples: &[Complex32], out: &mut Vec<Received>) {
        for &s in samples {
            let p = s.norm_sqr();
            self.window_power += if p.is_finite() { p } else { 0.0 };
            self.window_len += 1;
            if self.window_len == NOISE_WINDOW {
                let mean = self.window_power / NOISE_WINDOW as f32;
                self.noise = if self.noise == 0.0 || mean < self.noise {
                    mean
                } else {
                    self.noise + (mean - self.noise) * NOISE_RISE
                };
                self.window_power = 0.0;
                self.window_len = 0;
            }
            let s = if s.re.is_finite() && s.im.is_finite() {
                s
            } else {
                Complex32::new(0.0, 0.0)
            };
            let n = self.buf.len();
            let prev = if n >= SPS {
                self.buf[n - SPS]
            } else {
                Complex32::new(0.0, 0.0)
            };
            self.buf.push(s);
            let z = s * prev.conj();
            self.lag.push(z);
            self.lag_mag.push(z.norm_sqr().sqrt());
        }
        self.scan_for_bursts(false, out);
        self.trim();
    }

    /// The stream ended: decodes what can still be decoded.
    pub fn finish(&mut self, out: &mut Vec<Received>) {
        self.scan_for_bursts(true, out);
        self.buf.clear();
        self.lag.clear();
        self.lag_mag.clear();
        self.scan = HISTORY;
    }

    fn trim(&mut self) {
        if self.scan > 2 * HISTORY + 4096 {
            let drop = self.scan - HISTORY;
            self.buf.drain(..drop);
            self.lag.drain(..drop);
            self.lag_mag.drain(..drop);
            self.base += drop as u64;
            self.scan -= drop;
        }
    }

    /// The training sequence's correlation at candidate `t` (first training symbol's
    /// sample): the complex sum and the sum of magnitudes.
    fn correlate(&self, t: usize) -> (Complex32, f32) {
        let mut sum = Complex32::new(0.0, 0.0);
        let mut mag = 0.0f32;
        for k in 1..SYNC.len() {
            sum += self.lag[t + k * SPS] * self.reference[k].conj();
            mag += self.lag_mag[t + k * SPS];
        }
        (sum, mag)
    }

    fn scan_for_bursts(&mut self, last: bool, out: &mut Vec<Received>) {
        // Room for the candidate's training sequence and the peak search after it.
        while self.scan + SYNC_SPAN + 2 * SPS < self.buf.len() {
            let t = self.scan;
            let (sum, mag) = self.correlate(t);
            // The training sequence's power (the lag products' coherent mean) must stand above
            // the noise floor: noise alone passes the correlation now and then, and each pass
            // costs a header's demodulation.
            let power = sum.norm() / (SYNC.len() - 1) as f32;
            if mag <= 0.0
                || sum.norm_sqr() < DETECT * DETECT * mag * mag
                || (self.noise > 0.0 && power < GATE * self.noise)
            {
                self.scan += 1;
                continue;
            }
            // The peak within the next symbol.
            let peak = (t..t + SPS)
                .map(|u| (u, self.correlate(u).0.norm_sqr()))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map_or(t, |(u, _)| u);
            match self.demodulate(peak, last) {
                Step::Wait => return,
                Step::Skip => self.scan = t + 1,
                Step::Burst(r, end) => {
                    out.push(*r);
                    self.scan = end.max(t + 1);
                }
            }
        }
    }

    /// The symbol at fractional sample position `x` (cubic interpolation).
    fn sample_at(&self, x: f32) -> Complex32 {
        let i = x.floor() as isize;
        let f = x - i as f32;
        let at = |j: isize| -> Complex32 {
            usize::try_from(j)
                .ok()
                .and_then(|j| self.buf.get(j).copied())
                .unwrap_or_default()
        };
        let (p0, p1, p2, p3) = (at(i - 1), at(i), at(i + 1), at(i + 2));
        // Catmull–Rom.
        let a = p1 * 2.0;
        let b = p2 - p0;
        let c = p0 * 2.0 - p1 * 5.0 + p2 * 4.0 - p3;
        let d = (p1 - p2) * 3.0 + p3 - p0;
        (a + (b + (c + d * f) * f) * f) * 0.5
    }

    fn demodulate(&mut self, peak: usize, last: bool) -> Step {
        // Timing to a fraction of a sample: a parabola through the peak and its neighbours.
        let c = |t: usize| self.correlate(t).0.norm();
        let (l, m, r) = (c(peak - 1), c(peak), c(peak + 1));
        let denom = l - 2.0 * m + r;
        let frac = if denom < 0.0 {
            (0.5 * (l - r) / denom).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        let t0 = peak as f32 + frac;
        // Carrier frequency (radians a symbol) from the correlation's angle; phase and
        // amplitude from the 16 known symbols.
        let (sum, _) = self.correlate(peak);
        let mut omega = sum.arg();
        let mut expected = 0u32;
        let mut acc = Complex32::new(0.0, 0.0);
        for (k, &change) in SYNC_PHASES.iter().enumerate() {
            if k > 0 {
                expected += u32::from(change);
            }
            let s = self.sample_at(t0 + (k * SPS) as f32);
            let turn = expected as f32 * FRAC_PI_4 + omega * k as f32;
            acc += s * Complex32::from_polar(1.0, -turn);
        }
        let amplitude = acc.norm() / SYNC.len() as f32;
        if amplitude <= 0.0 || !amplitude.is_finite() {
            return Step::Skip;
        }
        // The carrier's phase at the last training symbol, advanced a symbol at a time.
        let mut phase = acc.arg() + omega * (SYNC.len() - 1) as f32;
        let mut state = (expected % 8) as u8;
        // Symbols after the training sequence, decided one at a time.
        let mut tracker = Tracker {
            t0,
            next: SYNC.len(),
            amplitude,
            last_margin: 1.0,
        };
        let mut bits: Vec<u8> = Vec::new();
        let mut reliability: Vec<f32> = Vec::new();
        let mut scrambler = Scrambler::default();
        let mut header: Option<Header> = None;
        let mut need_bits = burst::HEADER_BITS;
        loop {
            while bits.len() < need_bits {
                let x = tracker.t0 + (tracker.next * SPS) as f32;
                if x as usize + 3 >= self.buf.len() {
                    return if last { Step::Skip } else { Step::Wait };
                }
                let s = self.sample_at(x);
                phase += omega;
                let rot = s * Complex32::from_polar(1.0, -(phase + f32::from(state) * FRAC_PI_4));
                let angle = rot.arg();
                // The phase change from the previous symbol, to the nearest eighth of a turn.
                let steps = (angle / FRAC_PI_4).round();
                let mut err = angle - steps * FRAC_PI_4;
                let change = (steps as i32).rem_euclid(8) as u8;
                if err > std::f32::consts::PI {
                    err -= std::f32::consts::TAU;
                } else if err < -std::f32::consts::PI {
                    err += std::f32::consts::TAU;
                }
                phase += LOOP_PHASE * err;
                omega += LOOP_FREQ * err;
                let margin = ((FRAC_PI_8 - err.abs()) / FRAC_PI_8).max(0.0)
                    * (rot.norm() / tracker.amplitude).min(1.0);
                state = (state + change) % 8;
                let group = GROUP_OF[change as usize];
                let rel = margin.min(tracker.last_margin);
                tracker.last_margin = margin;
                for b in (0..3).rev() {
                    bits.push(((group >> b) & 1) ^ scrambler.next_bit());
                    reliability.push(rel);
                }
                tracker.next += 1;
            }
            match header {
                None => match Header::decode(&bits[..burst::HEADER_BITS]) {
                    Ok(h) => {
                        need_bits = burst::HEADER_BITS + h.coded_bits();
                        header = Some(h);
                    }
                    Err(_) => {
                        self.stats.bad_headers += 1;
                        return Step::Skip;
                    }
                },
                Some(h) => {
                    self.stats.bursts += 1;
                    let decoded = burst::decode(
                        &h,
                        &bits[burst::HEADER_BITS..],
                        &reliability[burst::HEADER_BITS..],
                    );
                    let end = (tracker.t0 as usize) + tracker.next * SPS;
                    return match decoded {
                        // A header that checked by chance over noise (or a burst whose
                        // frames all failed) must not hide a burst that starts within it.
                        Ok(b) if b.frames.is_empty() => Step::Skip,
                        Ok(b) => Step::Burst(
                            Box::new(Received {
                                burst: b,
                                start: self.base + peak as u64,
                                level_db: 20.0 * amplitude.log10(),
                                noise_db: self.noise_db(),
                                freq_hz: omega / std::f32::consts::TAU * SYMBOL_RATE as f32,
                            }),
                            end,
                        ),
                        Err(e) => {
                            if e == BurstError::Uncorrectable {
                                self.stats.uncorrectable += 1;
                            }
                            Step::Skip
                        }
                    };
                }
            }
        }
    }
}

struct Tracker {
    t0: f32,
    next: usize,
    amplitude: f32,
    last_margin: f32,
}

enum Step {
    /// Not enough samples yet.
    Wait,
    /// Not a burst: go on one sample later.
    Skip,
    /// A burst, and the sample it ended at.
    Burst(Box<Received>, usize),
}
