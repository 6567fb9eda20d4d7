//! The VHF channelizer: one pass over the wideband stream serves every channel, each channel
//! coming out filtered, at baseband and decimated to the rate its demodulator wants.
//!
//! It is a fast-convolution filter bank (overlap-save, Borgerding 2006, "Turning overlap-save
//! into a multiband mixing, downsampling filter bank"): the stream is cut into blocks of `n`
//! samples overlapping by `p`; each block is transformed once (one `n`-point FFT for all
//! channels); each channel takes the bins its low-pass filter passes around its centre,
//! multiplies them by the filter's response, folds them onto `m = n / d` bins (decimation in
//! time is that fold in frequency) and transforms them back with an `m`-point inverse FFT —
//! which filters, mixes to baseband and decimates by `d` in one step, exactly as a mixer, FIR
//! and decimator would. Of those `m` samples the first `p / d` are wrapped-around (the
//! overlap) and dropped; the rest are exact.
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
use crate::IqFormat;
use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Attenuation every channel filter is designed for (dB).
pub const ATTEN_DB: f64 = 70.0;
/// New samples per block, at least this many times the overlap (the transform's cost is
/// shared by the new samples only) ...
const HOP_OVER_OVERLAP: usize = 4;
/// ... and the block at most this many times the overlap (larger transforms gain little).
const MAX_BLOCK_OVER_OVERLAP: usize = 40;
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
    /// One-sided edge of the stop band (Hz). What lies beyond half the output rate folds
    /// back, so the stop band must start within the output rate less the pass band (the
    /// folded transition band then lands beyond the pass band).
    pub stop_hz: f64,
}

/// Why a set of channels cannot be extracted.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("channel {0}: the decimation must be at least 1")]
    Decimation(usize),
    #[error("channel {0}: its stop band must start within {1:.0} Hz (the output rate less the pass band)")]
    StopBand(usize, f64),
    #[error("channel {0}: it reaches past the edge of the sampled band")]
    OutOfBand(usize),
    #[error("the decimations need a transform of more than {MAX_FFT} points")]
    TooLarge,
}

struct Channel {
    /// Each bin the filter passes, with the output slot it folds onto, and the filter's
    /// response there.
    fold: Vec<(usize, usize)>,
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
    /// The overlap, kept across the transform.
    tail: Vec<Complex32>,
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

/// The block size for overlap `p`: a multiple of `lcm` (every decimation) with no prime
/// factor above 7, at least `(1 + HOP_OVER_OVERLAP) · p`, of the least estimated cost per
/// new sample: n·log₂n / (n − p), a third more for sizes that are not powers of two (what
/// rustfft's mixed-radix kernels cost over its power-of-two ones, measured).
fn block_size(p: usize, lcm: usize) -> Option<usize> {
    let cost = |n: usize| {
        let radix = if n.is_power_of_two() { 1.0 } else { 1.33 };
        radix * n as f64 * (n as f64).log2() / (n - p) as f64
    };
    let first = ((1 + HOP_OVER_OVERLAP) * p).div_ceil(lcm) * lcm;
    let last = (MAX_BLOCK_OVER_OVERLAP * p).max(first).min(MAX_FFT);
    (first..=last)
        .step_by(lcm)
        .filter(|&n| smooth(n))
        .min_by(|&a, &b| cost(a).total_cmp(&cost(b)))
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
            let out_rate = rate_hz / s.decimation as f64;
            let half_out = out_rate / 2.0;
            let alias_free = out_rate - s.pass_hz;
            if s.stop_hz > alias_free + 1e-9 || s.pass_hz >= s.stop_hz {
                return Err(PlanError::StopBand(i, alias_free));
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
        let n = block_size(p, lcm).ok_or(PlanError::TooLarge)?;
        let hop = n - p;
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
            let exact = s.offset_hz / rate_hz * n as f64;
            let bin_signed = exact.round();
            let bin = bin_signed.rem_euclid(n as f64) as usize;
            // The bins the filter passes (to the stop band's edge), each folded onto the
            // m-point output grid: decimating by d in time sums the spectrum's copies m
            // bins apart, so what lies beyond half the output rate aliases exactly as in
            // a mixer, filter and decimator (and, by the stop band's rule, beyond the pass
            // band).
            let span = ((s.stop_hz / rate_hz * n as f64).ceil() as usize).min((n - 1) / 2);
            let mut fold = Vec::with_capacity(2 * span + 1);
            let mut response = Vec::with_capacity(2 * span + 1);
            for j in -(span as isize)..=span as isize {
                let k = (bin as isize + j).rem_euclid(n as isize) as usize;
                let slot = j.rem_euclid(m as isize) as usize;
                fold.push((k, slot));
                response.push(full[j.rem_euclid(n as isize) as usize] / n as f32);
            }
            let out_rate = rate_hz / s.decimation as f64;
            let residual_hz = (exact - bin_signed) * rate_hz / n as f64;
            channels.push((
                *s,
                Channel {
                    fold,
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
        let scratch_len = fft.get_outofplace_scratch_len().max(
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
            tail: vec![Complex32::new(0.0, 0.0); p],
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
    pub fn push(&mut self, input: &[Complex32], out: &mut [Vec<Complex32>]) {
        self.feed(
            input.len(),
            |dst, from| dst.copy_from_slice(&input[from..from + dst.len()]),
            out,
        );
    }

    /// Takes raw IQ bytes (whole samples; a trailing partial one is ignored), converted as
    /// [`super::to_complex`] does straight into the transform's block.
    pub fn push_iq(&mut self, format: IqFormat, bytes: &[u8], out: &mut [Vec<Complex32>]) {
        let size = format.bytes_per_sample();
        self.feed(
            bytes.len() / size,
            |dst, from| super::to_complex_into(format, &bytes[from * size..], dst),
            out,
        );
    }

    /// Fills the block from `fill(slot, first)` (`slot` to be filled with input samples
    /// `first..`), `total` samples in all, transforming each full block.
    fn feed(
        &mut self,
        total: usize,
        mut fill: impl FnMut(&mut [Complex32], usize),
        out: &mut [Vec<Complex32>],
    ) {
        let mut done = 0;
        while done < total {
            let take = (self.n - self.filled).min(total - done);
            fill(&mut self.window[self.filled..self.filled + take], done);
            self.filled += take;
            done += take;
            if self.filled == self.n {
                self.block(out);
                self.filled = self.p;
            }
        }
    }

    /// Transforms the full block, serves every channel, and keeps the block's last `p`
    /// samples as the next one's first.
    fn block(&mut self, out: &mut [Vec<Complex32>]) {
        let (n, p) = (self.n, self.p);
        // The out-of-place transform uses the block as scratch: its overlap is kept first.
        self.tail.copy_from_slice(&self.window[n - p..]);
        self.fft.process_outofplace_with_scratch(
            &mut self.window,
            &mut self.spectrum,
            &mut self.scratch,
        );
        self.window[..p].copy_from_slice(&self.tail);
        for ((spec, ch), out) in self.channels.iter_mut().zip(out.iter_mut()) {
            ch.buf.fill(Complex32::new(0.0, 0.0));
            for (&(k, slot), h) in ch.fold.iter().zip(&ch.response) {
                ch.buf[slot] += self.spectrum[k] * h;
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
