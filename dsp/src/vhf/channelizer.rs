//! The VHF channelizer: one pass over the wideband stream serves every channel, each channel
//! coming out filtered, at baseband and decimated to the rate its demodulator wants.
//!
//! It is a fast-convolution filter bank (overlap-save, Borgerding 2006, "Turning overlap-save
//! into a multiband mixing, downsampling filter bank"): the stream is cut into blocks of `n`
//! samples overlapping by `p`; each block is transformed once (one `n`-point FFT for all
//! channels); each channel takes the `m = n / d` bins around its centre, multiplies them by
//! its low-pass filter's response, and transforms them back with an `m`-point inverse FFT —
//! which filters, mixes to baseband and decimates by `d` in one step. Of those `m` samples the
//! first `p / d` are wrapped-around (the overlap) and dropped; the rest are exact.
//!
//! ```text
//!  stream ─┬─ block b (n samples, the last p of block b−1 first) ─ FFT(n) ─┬─ bins of ch 1 × H₁ ─ IFFT(m₁) ─ ch 1
//!          │                                                               ├─ bins of ch 2 × H₂ ─ IFFT(m₂) ─ ch 2
//!          └─ hop = n − p new samples per block                            └─ …
//! ```
//!
//! Why this and not a polyphase filter bank: a PFB puts every channel on one uniform grid at
//! one output rate, while the VHF band mixes 25 kHz ACARS and VDL2 channels (at 12.5 and 105
//! kS/s) with 8.33 kHz voice channels (at 16 kS/s) wherever the band plan puts them; here
//! each channel has its own centre, filter and rate, and adding one costs one small inverse
//! FFT, not a pass over the stream (measured: `benches/vhf.rs`).
//!
//! A channel's centre is rounded to the nearest bin (`rate / n` apart); the remainder (at most
//! half a bin) is mixed out after decimation, at the low rate, with a continuous phase.
//! Channel `c`'s output sample `r` is the filtered stream at input sample `r · d`, delayed by
//! the filter's `(taps − 1) / 2` samples. Pure and chunking-independent: the output depends
//! only on the stream, not on how it is cut into calls.

use super::fir::LowPass;
use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Attenuation every channel filter is designed for (dB).
pub const ATTEN_DB: f64 = 70.0;
/// New samples per block, at least this many times the overlap (the transform's cost is
/// shared by the new samples only).
const HOP_OVER_OVERLAP: usize = 4;
/// Largest transform the planner accepts.
pub const MAX_FFT: usize = 1 << 18;

/// One channel to extract.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChannelSpec {
    /// Centre of the channel relative to the centre of the stream (Hz).
    pub offset_hz: f64,
    /// Output rate = input rate / `decimation`.
    pub decimation: usize,
    /// One-sided pass band (Hz): what the demodulator needs, plus any carrier offset.
    pub pass_hz: f64,
    /// One-sided edge of the stop band (Hz); at most half the output rate.
    pub stop_hz: f64,
}

/// Why a set of channels cannot be extracted.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("channel {0}: the decimation must be at least 1")]
    Decimation(usize),
    #[error("channel {0}: its stop band must end within half its output rate ({1:.0} Hz)")]
    StopBand(usize, f64),
    #[error("channel {0}: it reaches past the edge of the sampled band")]
    OutOfBand(usize),
    #[error("the decimations need a transform of more than {MAX_FFT} points")]
    TooLarge,
}

struct Channel {
    /// Centre bin (0..n).
    bin: usize,
    m: usize,
    /// The filter's response at the m bins around the centre, in inverse-FFT order.
    response: Vec<Complex32>,
    ifft: Arc<dyn Fft<f32>>,
    /// Rotation of each block's output (the block's start times the centre frequency), in
    /// cycles, and its step per block.
    block_turns: f64,
    block_step: f64,
    /// The remainder of the centre past its bin, mixed out at the output rate: phase (cycles)
    /// and step per output sample.
    residual_turns: f64,
    residual_step: f64,
    buf: Vec<Complex32>,
}

pub struct Channelizer {
    rate_hz: f64,
    n: usize,
    p: usize,
    fft: Arc<dyn Fft<f32>>,
    /// The current block: the last `p` samples of the previous one, then new samples.
    window: Vec<Complex32>,
    filled: usize,
    spectrum: Vec<Complex32>,
    scratch: Vec<Complex32>,
    channels: Vec<(ChannelSpec, Channel)>,
    taps: Vec<usize>,
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// True if `n` has no prime factor above 7 (sizes the FFT is fast at).
fn smooth(mut n: usize) -> bool {
    for p in [2, 3, 5, 7] {
        while n > 1 && n.is_multiple_of(p) {
            n /= p;
        }
    }
    n == 1
}

impl Channelizer {
    /// Plans the transforms and designs each channel's filter. The block is the smallest
    /// whose new part is at least [`HOP_OVER_OVERLAP`] times the overlap and whose size the
    /// FFT is fast at.
    pub fn new(rate_hz: f64, specs: &[ChannelSpec]) -> Result<Self, PlanError> {
        let mut lcm = 1usize;
        let mut longest = 1usize;
        let mut taps = Vec::new();
        for (i, s) in specs.iter().enumerate() {
            if s.decimation == 0 {
                return Err(PlanError::Decimation(i));
            }
            let half_out = rate_hz / s.decimation as f64 / 2.0;
            if s.stop_hz > half_out + 1e-9 || s.pass_hz >= s.stop_hz {
                return Err(PlanError::StopBand(i, half_out));
            }
            if s.offset_hz.abs() + half_out > rate_hz / 2.0 {
                return Err(PlanError::OutOfBand(i));
            }
            lcm = lcm / gcd(lcm, s.decimation) * s.decimation;
            let spec = LowPass {
                rate_hz,
                pass_hz: s.pass_hz,
                stop_hz: s.stop_hz,
                atten_db: ATTEN_DB,
            };
            taps.push(spec.taps());
            longest = longest.max(spec.taps());
        }
        if lcm > MAX_FFT {
            return Err(PlanError::TooLarge);
        }
        let p = (longest - 1).div_ceil(lcm).max(1) * lcm;
        let mut hop = (HOP_OVER_OVERLAP * p).div_ceil(lcm) * lcm;
        while !smooth(p + hop) {
            hop += lcm;
            if p + hop > MAX_FFT {
                return Err(PlanError::TooLarge);
            }
        }
        let n = p + hop;
        let mut planner = FftPlanner::<f32>::new();
        let fft = planner.plan_fft_forward(n);
        let mut channels = Vec::new();
        for s in specs {
            let h = LowPass {
                rate_hz,
                pass_hz: s.pass_hz,
                stop_hz: s.stop_hz,
                atten_db: ATTEN_DB,
            }
            .design();
            let mut full: Vec<Complex32> = vec![Complex32::new(0.0, 0.0); n];
            for (slot, &v) in full.iter_mut().zip(&h) {
                *slot = Complex32::new(v, 0.0);
            }
            fft.process(&mut full);
            let m = n / s.decimation;
            let half = m / 2;
            // Inverse-FFT order: bins 0..half above the centre, then the ones below.
            let response: Vec<Complex32> = (0..m)
                .map(|j| {
                    let offset = if j < m - half { j } else { n - (m - j) };
                    full[offset] / n as f32
                })
                .collect();
            let exact = s.offset_hz / rate_hz * n as f64;
            let bin_signed = exact.round();
            let bin = bin_signed.rem_euclid(n as f64) as usize;
            let out_rate = rate_hz / s.decimation as f64;
            let residual_hz = (exact - bin_signed) * rate_hz / n as f64;
            channels.push((
                *s,
                Channel {
                    bin,
                    m,
                    response,
                    ifft: planner.plan_fft_inverse(m),
                    // The first block starts p samples before the stream (zeros).
                    block_turns: -(bin_signed * -(p as f64) / n as f64),
                    block_step: -(bin_signed * hop as f64 / n as f64),
                    residual_turns: 0.0,
                    residual_step: -residual_hz / out_rate,
                    buf: vec![Complex32::new(0.0, 0.0); m],
                },
            ));
        }
        let scratch_len = fft.get_inplace_scratch_len().max(
            channels
                .iter()
                .map(|(_, c)| c.ifft.get_inplace_scratch_len())
                .max()
                .unwrap_or(0),
        );
        Ok(Self {
            rate_hz,
            n,
            p,
            fft,
            window: vec![Complex32::new(0.0, 0.0); n],
            filled: p,
            spectrum: vec![Complex32::new(0.0, 0.0); n],
            scratch: vec![Complex32::new(0.0, 0.0); scratch_len],
            channels,
            taps,
        })
    }

    pub fn channels(&self) -> usize {
        self.channels.len()
    }

    /// The transform size and the overlap, as planned.
    pub fn plan(&self) -> (usize, usize) {
        (self.n, self.p)
    }

    /// Channel `c`'s output rate (samples per second).
    pub fn output_rate(&self, c: usize) -> f64 {
        self.rate_hz / self.channels[c].0.decimation as f64
    }

    /// Channel `c`'s filter length; its output lags the stream by half of it, in input samples.
    pub fn taps(&self, c: usize) -> usize {
        self.taps[c]
    }

    /// Takes wideband samples; appends each channel's new output to `out[c]`.
    pub fn push(&mut self, mut input: &[Complex32], out: &mut [Vec<Complex32>]) {
        while !input.is_empty() {
            let take = (self.n - self.filled).min(input.len());
            self.window[self.filled..self.filled + take].copy_from_slice(&input[..take]);
            self.filled += take;
            input = &input[take..];
            if self.filled == self.n {
                self.block(out);
                self.window.copy_within(self.n - self.p.., 0);
                self.filled = self.p;
            }
        }
    }

    fn block(&mut self, out: &mut [Vec<Complex32>]) {
        self.spectrum.copy_from_slice(&self.window);
        self.fft
            .process_with_scratch(&mut self.spectrum, &mut self.scratch);
        let (n, p) = (self.n, self.p);
        for ((spec, ch), out) in self.channels.iter_mut().zip(out.iter_mut()) {
            let m = ch.m;
            let half = m / 2;
            for (j, slot) in ch.buf.iter_mut().enumerate() {
                let offset = if j < m - half { j } else { n - (m - j) };
                let k = (ch.bin + offset) % n;
                *slot = self.spectrum[k] * ch.response[j];
            }
            ch.ifft.process_with_scratch(&mut ch.buf, &mut self.scratch);
            let d = spec.decimation;
            // The block's rotation and the remainder's phasor at its first sample; the
            // phasor steps by multiplication (exact phase kept in `residual_turns`, so no
            // error accumulates from block to block).
            let mut r = turn(ch.block_turns) * turn(ch.residual_turns);
            let step = turn(ch.residual_step);
            let valid = &ch.buf[p / d..];
            for &v in valid {
                out.push(v * r);
                r *= step;
            }
            ch.residual_turns =
                (ch.residual_turns + ch.residual_step * valid.len() as f64).rem_euclid(1.0);
            ch.block_turns = (ch.block_turns + ch.block_step).rem_euclid(1.0);
        }
    }
}

/// e^{j 2π t}.
fn turn(t: f64) -> Complex32 {
    let (s, c) = (t * std::f64::consts::TAU).sin_cos();
    Complex32::new(c as f32, s as f32)
}
