//! From one ACARS channel's complex baseband to checked blocks.
//!
//! ```text
//!  channel samples ─gate (carrier power over the noise floor)─→ one burst at a time:
//!    carrier frequency from the burst's lag-1 phase, carrier phase smoothed over 5 ms
//!    → coherent AM: audio = Re(z · ĉ*) / |ĉ|² − 1
//!    → FFSK tones (1,200 / 2,400 Hz, 2,400 bit/s) as MSK around 1,800 Hz:
//!      the pre-key's 2,400 Hz tone gives the bit boundaries (FFSK crosses zero at each),
//!      a half-cosine matched filter on each boundary gives one soft value per bit
//!    → the sync characters found by correlation (either polarity, either half-bit timing)
//!    → soft characters → parity, BCS and repair (`block::check`)
//! ```
//!
//! Why coherent: the AM carrier's phase is the signal's phase (amplitude modulation below
//! 100 % only scales it), so it can be averaged over milliseconds and the audio recovered
//! without the envelope detector's loss at low signal-to-noise; and FFSK with phase-continuous
//! tones is MSK, whose coherent detection with a half-cosine matched filter is antipodal.
//! After the derotation by the boundary's 1,800 Hz reference the soft value keeps its sign
//! for a bit equal to the previous one and flips for a different one, so it is the data bit
//! itself, up to one polarity for the whole burst.

use super::block::{
    check, with_parity, RawBlock, SoftChar, HEADER, MAX_TEXT, PREKEY_BITS, SOH, SYN,
};
use num_complex::{Complex32, Complex64};
use std::f64::consts::TAU;

pub const BIT_RATE: f64 = 2400.0;
/// The FFSK centre: tones at 1,800 ∓ 600 Hz.
const CENTRE_HZ: f64 = 1800.0;
/// The tone of a bit equal to the one before (the pre-key's).
const SAME_TONE_HZ: f64 = 2400.0;
/// Power windows of the burst gate (s).
const GATE_S: f64 = 0.005;
/// A burst opens when a window's power exceeds the floor by this factor, and closes when
/// [`GATE_CLOSE_WINDOWS`] windows in a row fall below [`GATE_OFF`] times the floor.
const GATE_ON: f32 = 1.6;
const GATE_OFF: f32 = 1.3;
const GATE_CLOSE_WINDOWS: usize = 2;
/// The longest block: pre-key, sync, header, 220 characters of text and the trailer, with
/// room for the transmitter's key-up and key-down.
const MAX_BURST_S: f64 = ((PREKEY_BITS + 8 * (5 + HEADER + MAX_TEXT + 4)) as f64) / BIT_RATE + 0.1;
/// Carrier phase is averaged over this long (s) ...
const CARRIER_SMOOTH_S: f64 = 0.005;
/// ... and its frequency over this long.
const CARRIER_FREQ_S: f64 = 0.1;
/// Bits to search for the sync characters from the start of a burst.
const SYNC_SEARCH_BITS: usize = PREKEY_BITS + 96;
/// Of the 40 bits of '+', '*', SYN, SYN, SOH, at most this many may be wrong.
const SYNC_MAX_ERRORS: usize = 4;

/// A checked block and where it was heard.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub block: RawBlock,
    /// Channel sample index where the burst began.
    pub start: u64,
    /// Carrier power, dB relative to full scale of the channel's samples.
    pub level_db: f32,
    /// Noise power in the channel before the burst, same scale.
    pub noise_db: f32,
}

/// Why a burst gave no block (counted for the channel's statistics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BurstStats {
    pub bursts: u64,
    pub no_sync: u64,
    pub rejected: u64,
    pub decoded: u64,
}

pub struct AcarsReceiver {
    rate: f64,
    window: usize,
    /// Power of the current window and how many samples it has.
    acc: f32,
    acc_n: usize,
    floor: Option<f32>,
    /// The last window's samples (the burst starts with them: its first 5 ms).
    previous: Vec<Complex32>,
    burst: Option<Burst>,
    index: u64,
    pub stats: BurstStats,
}

struct Burst {
    start: u64,
    samples: Vec<Complex32>,
    quiet: usize,
    noise: f32,
}

impl AcarsReceiver {
    /// A receiver for a channel sampled at `rate_hz` (at least 4 samples a bit).
    pub fn new(rate_hz: f64) -> Self {
        let window = (rate_hz * GATE_S).round() as usize;
        Self {
            rate: rate_hz,
            window,
            acc: 0.0,
            acc_n: 0,
            floor: None,
            previous: Vec::with_capacity(window),
            burst: None,
            index: 0,
            stats: BurstStats::default(),
        }
    }

    /// Takes channel samples; appends the blocks of the bursts that ended in them.
    pub fn push(&mut self, samples: &[Complex32], out: &mut Vec<Decoded>) {
        let max_len = (MAX_BURST_S * self.rate) as usize;
        for &z in samples {
            self.index += 1;
            match &mut self.burst {
                Some(b) => b.samples.push(z),
                None => self.previous.push(z),
            }
            self.acc += z.norm_sqr();
            self.acc_n += 1;
            if self.acc_n < self.window {
                continue;
            }
            let power = self.acc / self.acc_n as f32;
            self.acc = 0.0;
            self.acc_n = 0;
            let floor = *self.floor.get_or_insert(power);
            match &mut self.burst {
                None => {
                    if power > floor * GATE_ON {
                        let mut samples = Vec::with_capacity(max_len + self.window);
                        samples.append(&mut self.previous);
                        self.burst = Some(Burst {
                            start: self.index - samples.len() as u64,
                            samples,
                            quiet: 0,
                            noise: floor,
                        });
                    } else {
                        // The floor is the mean of the quiet windows (a minimum would sit
                        // below the noise's mean and let the noise open the gate).
                        self.floor = Some(floor + (power - floor) * 0.05);
                        self.previous.clear();
                    }
                }
                Some(b) => {
                    b.quiet = if power < floor * GATE_OFF {
                        b.quiet + 1
                    } else {
                        0
                    };
                    if b.quiet >= GATE_CLOSE_WINDOWS || b.samples.len() >= max_len {
                        self.close(out);
                    }
                }
            }
        }
    }

    /// Ends a burst still open (the stream ended).
    pub fn finish(&mut self, out: &mut Vec<Decoded>) {
        if self.burst.is_some() {
            self.close(out);
        }
    }

    fn close(&mut self, out: &mut Vec<Decoded>) {
        let Some(b) = self.burst.take() else { return };
        self.stats.bursts += 1;
        match demodulate(&b.samples, self.rate) {
            Err(BurstError::NoSync) => self.stats.no_sync += 1,
            Err(BurstError::Rejected) => self.stats.rejected += 1,
            Ok((block, level)) => {
                self.stats.decoded += 1;
                out.push(Decoded {
                    block,
                    start: b.start,
                    level_db: 10.0 * level.max(1e-12).log10(),
                    noise_db: 10.0 * b.noise.max(1e-12).log10(),
                });
            }
        }
    }
}

#[derive(Debug, PartialEq)]
enum BurstError {
    NoSync,
    Rejected,
}

/// One burst's samples to a block and its carrier power.
fn demodulate(z: &[Complex32], rate: f64) -> Result<(RawBlock, f32), BurstError> {
    let spb = rate / BIT_RATE;
    if z.len() < (spb * (PREKEY_BITS / 2 + 8 * (5 + HEADER)) as f64) as usize {
        return Err(BurstError::NoSync);
    }
    let (audio, carrier_power) = am_audio(z, rate);
    let tone_from = (0.005 * rate) as usize;
    let tone_len = ((PREKEY_BITS / 3) as f64 * spb) as usize;
    let boundary =
        prekey_boundary(&audio[tone_from..tone_from + tone_len], rate) + tone_from as f64;
    // Either zero crossing of the 2,400 Hz tone may be a bit boundary: half a bit apart.
    // The sync decides which, on the burst's first bits; then the whole burst is read.
    let mut best: Option<(f64, f64, usize, f32)> = None;
    for first in [boundary % spb, (boundary + spb / 2.0) % spb] {
        let soft = soft_bits(&audio, rate, first, SYNC_SEARCH_BITS + 40);
        if let Some((at, polarity, errors)) = find_sync(&soft) {
            if best.is_none_or(|(e, ..)| errors < e) {
                best = Some((errors, first, at, polarity));
            }
        }
    }
    let (_, first, at, polarity) = best.ok_or(BurstError::NoSync)?;
    let soft = soft_bits(&audio, rate, first, usize::MAX);
    let bits: Vec<f32> = soft[at..].iter().map(|v| v * polarity).collect();
    let block = read_block(&bits).ok_or(BurstError::Rejected)?;
    Ok((block, carrier_power))
}

/// Coherent AM demodulation: the carrier's frequency from the lag-1 phase averaged over
/// [`CARRIER_FREQ_S`] around each sample (two transmitters one after the other in one burst
/// each get their own), its phase and amplitude averaged over [`CARRIER_SMOOTH_S`]; the audio
/// normalised to the carrier.
fn am_audio(z: &[Complex32], rate: f64) -> (Vec<f32>, f32) {
    let n = z.len();
    let sums = |v: &mut dyn Iterator<Item = Complex32>| -> Vec<Complex32> {
        let mut p = Vec::with_capacity(n + 1);
        let mut acc = Complex32::new(0.0, 0.0);
        p.push(acc);
        for x in v {
            acc += x;
            p.push(acc);
        }
        p
    };
    let window = |p: &[Complex32], i: usize, half: usize| {
        let (a, b) = (i.saturating_sub(half), (i + half + 1).min(p.len() - 1));
        (p[b] - p[a]) / (b - a).max(1) as f32
    };
    let lag = sums(
        &mut std::iter::once(Complex32::new(0.0, 0.0))
            .chain(z.windows(2).map(|w| w[1] * w[0].conj())),
    );
    let half_f = ((CARRIER_FREQ_S * rate) as usize / 2).max(1);
    // The carrier's phase is the sum of the per-sample steps; kept as a unit phasor that
    // turns by each step (renormalised now and then against rounding).
    let mut rot = Complex64::new(1.0, 0.0);
    let derot: Vec<Complex32> = z
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let w = window(&lag, i, half_f);
            let m = w.norm();
            if m > 0.0 {
                rot *= Complex64::new(f64::from(w.re / m), -f64::from(w.im / m));
            }
            if i % 64 == 0 {
                rot /= rot.norm();
            }
            v * Complex32::new(rot.re as f32, rot.im as f32)
        })
        .collect();
    let carrier = sums(&mut derot.iter().copied());
    let half = ((CARRIER_SMOOTH_S * rate) as usize / 2).max(1);
    let mut power_sum = 0.0f64;
    let audio = (0..n)
        .map(|i| {
            let c = window(&carrier, i, half);
            let p = c.norm_sqr().max(1e-20);
            power_sum += f64::from(p);
            (derot[i] * c.conj()).re / p - 1.0
        })
        .collect();
    (audio, (power_sum / n.max(1) as f64) as f32)
}

/// The sample position of a bit boundary in the pre-key: its 2,400 Hz tone crosses zero at
/// every boundary (and half-way between them).
fn prekey_boundary(tone: &[f32], rate: f64) -> f64 {
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (n, &a) in tone.iter().enumerate() {
        let ph = TAU * SAME_TONE_HZ * n as f64 / rate;
        re += f64::from(a) * ph.cos();
        im -= f64::from(a) * ph.sin();
    }
    // a(t) = sin(2π·2400·t + φ): the sum is (N/2)·e^{j(φ − π/2)}.
    let phi = im.atan2(re) + std::f64::consts::FRAC_PI_2;
    // Zero crossing where 2π·2400·t + φ ≡ 0 (mod 2π).
    let period = rate / BIT_RATE;
    (-phi).rem_euclid(TAU) / TAU * period
}

/// One soft value per bit (at most `max_bits`): the half-cosine matched filter on the MSK baseband at each bit
/// boundary, derotated by the 1,800 Hz reference there; the value at boundary k+1 is bit k.
/// The reference phase follows slow drift (the transmitter's audio clock) by the decisions.
fn soft_bits(audio: &[f32], rate: f64, first: f64, max_bits: usize) -> Vec<f32> {
    let spb = rate / BIT_RATE;
    let alpha = std::f64::consts::FRAC_PI_2 / spb;
    let beta = -TAU * CENTRE_HZ / rate;
    let step1 = Complex64::from_polar(1.0, beta + alpha);
    let step2 = Complex64::from_polar(1.0, beta - alpha);
    let mut out = Vec::new();
    let mut drift = 0.0f64;
    let mut k = 1.0;
    while first + (k + 1.0) * spb < audio.len() as f64 && out.len() < max_bits {
        let t = first + k * spb;
        let lo = (t - spb).ceil().max(0.0) as usize;
        let hi = ((t + spb).floor() as usize).min(audio.len() - 1);
        // Σ a · cos(α·d) · e^{jβ·d} over the taps (d = n − t: the half-cosine weight and
        // the 1,800 Hz reference), as ½ Σ a · (e^{j(β+α)d} + e^{j(β−α)d}): two phasors that
        // step by a constant turn per tap.
        let d0 = lo as f64 - t;
        let mut p1 = Complex64::from_polar(1.0, (beta + alpha) * d0);
        let mut p2 = Complex64::from_polar(1.0, (beta - alpha) * d0);
        let mut acc = Complex64::new(0.0, 0.0);
        for &a in &audio[lo..=hi] {
            acc += (p1 + p2) * f64::from(a);
            p1 *= step1;
            p2 *= step2;
        }
        let (re, im) = (acc.re / 2.0, acc.im / 2.0);
        // u ≈ (−j/2)·e^{jψ}; the reference at a boundary is e^{j(ψ mod π)}: 2j·u is ±1 there.
        let (vr, vi) = (-2.0 * im, 2.0 * re);
        let (s, c) = drift.sin_cos();
        let (x, q) = (vr * c + vi * s, vi * c - vr * s);
        out.push(x as f32);
        // Decision-directed phase: the quadrature part should be zero.
        drift += 0.02 * (q * x.signum()).atan2(x.abs().max(1e-9));
        k += 1.0;
    }
    out
}

/// The sync characters' bits ('+', '*', SYN, SYN, SOH, with parity, least significant first).
fn sync_pattern() -> [f32; 40] {
    let mut p = [0.0; 40];
    for (i, b) in [b'+', b'*', SYN, SYN, SOH]
        .into_iter()
        .map(with_parity)
        .flat_map(|c| (0..8).map(move |k| (c >> k) & 1))
        .enumerate()
    {
        p[i] = if b == 1 { 1.0 } else { -1.0 };
    }
    p
}

/// Where the bits after SOH start, the polarity, and how many sync bits were wrong.
fn find_sync(soft: &[f32]) -> Option<(usize, f32, f64)> {
    let pat = sync_pattern();
    let mut best: Option<(usize, f32, usize, f32)> = None;
    let last = soft.len().saturating_sub(40).min(SYNC_SEARCH_BITS);
    for at in 0..last {
        let w = &soft[at..at + 40];
        let corr: f32 = w.iter().zip(&pat).map(|(a, b)| a * b).sum();
        let polarity = corr.signum();
        let errors = w
            .iter()
            .zip(&pat)
            .filter(|(a, b)| (**a * polarity).signum() != **b)
            .count();
        if errors <= SYNC_MAX_ERRORS
            && best.is_none_or(|(_, _, e, c)| errors < e || (errors == e && corr.abs() > c))
        {
            best = Some((at + 40, polarity, errors, corr.abs()));
        }
    }
    best.map(|(at, p, e, _)| (at, p, e as f64))
}

/// Characters from the bits after SOH up to the suffix, then the BCS.
fn read_block(bits: &[f32]) -> Option<RawBlock> {
    let char_at = |i: usize| -> Option<SoftChar> {
        let b = bits.get(i * 8..i * 8 + 8)?;
        let mut c = SoftChar::default();
        for (k, v) in b.iter().enumerate() {
            if *v > 0.0 {
                c.byte |= 1 << k;
            }
            c.reliability[k] = v.abs();
        }
        Some(c)
    };
    let mut chars = Vec::with_capacity(HEADER + MAX_TEXT + 1);
    for i in 0..HEADER + MAX_TEXT + 1 {
        let c = char_at(i)?;
        chars.push(c);
        let seven = c.byte & 0x7f;
        // The suffix: ETX or ETB, once the header is in (STX/ETX at the header's end).
        if i + 1 >= HEADER && (seven == super::block::ETX || seven == super::block::ETB) {
            if i + 1 == HEADER && seven == super::block::ETB {
                continue;
            }
            if i + 1 > HEADER || seven == super::block::ETX {
                let n = chars.len();
                let bcs = [char_at(n)?, char_at(n + 1)?];
                return check(&chars, bcs).ok();
            }
        }
    }
    None
}
