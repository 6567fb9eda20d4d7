//! 1090 MHz Mode S demodulator: magnitudes → candidate replies → [`Frame`]s.
//!
//! A reply is an 8 µs preamble and 56 or 112 bits of pulse-position modulation, one bit per
//! µs, each bit two 0.5 µs chips with the pulse in the first chip for a 1:
//!
//! ```text
//!  preamble                                   data
//!  _   _          _   _                       _     _   _
//! | | | |        | | | |                     | |   | | | |
//! |_|_|_|________|_|_|_|_____________________|_|___|_|_|_|__ ...
//! 0   1   2   3   4   5   6   7   8 µs       1   0   1   1
//! ```
//!
//! At 2.4 MS/s a chip is 1.2 samples, so chips straddle samples and the reply's start can fall
//! anywhere between two samples. The demodulator works in three steps per sample position:
//!
//! 1. **Quick test** (every sample, a handful of adds): the four preamble pulses must stand
//!    out from the quiet stretches between and after them, and from the block's floor.
//! 2. **Phase search**: the preamble is correlated at 16 start phases covering two samples in
//!    eighths of a sample (the peers use five), with chip energies from precomputed overlap
//!    kernels: each chip's energy is the sum of the magnitudes it covers, weighted by how much
//!    of each sample falls inside it (an integrate-and-dump matched filter for the chip).
//! 3. **Slicing** at the three best phases: each bit is the sign of first-chip minus
//!    second-chip energy, and the size of that difference is the bit's reliability, which the
//!    [`FrameChecker`] uses to repair the least reliable bits. The first phase that checks
//!    clean wins; otherwise the one needing the fewest corrections.
//!
//! After a frame the search skips to its end. The function keeps no state between calls: it
//! returns how many samples it consumed and the caller passes the rest again with the next
//! block. The same code serves 2.0 MS/s, where a chip is exactly one sample.

use crate::consts::{reply_bits, BEAST_CLOCK_HZ, CHIPS_PER_BIT, CHIP_US, LONG_BITS, PREAMBLE_US};
use crate::filter::AddressFilter;
use crate::frame::{df_of, is_known_df, Frame, FrameChecker};
use crate::iq::SampleRate;

/// Start phases per sample tried by the phase search.
const PHASES_PER_SAMPLE: usize = 8;
/// Phases span two samples: from half a sample before the candidate to 1.5 after.
const PHASES: usize = 2 * PHASES_PER_SAMPLE;
/// Phases sliced per candidate.
const SLICED_PHASES: usize = 3;
/// Chips in a long reply including the preamble.
const CHIPS: usize = (PREAMBLE_US as usize + LONG_BITS) * CHIPS_PER_BIT;
const PREAMBLE_CHIPS: usize = PREAMBLE_US as usize * CHIPS_PER_BIT;
/// Chips holding a preamble pulse (0, 1.0, 3.5, 4.5 µs).
const PREAMBLE_HIGH: [usize; 4] = [0, 2, 7, 9];
/// Fixed-point scale of kernel weights: 256 is one whole sample.
const WEIGHT_ONE: f64 = 256.0;

/// Which samples the quick test reads, relative to the candidate position `n`, for a reply
/// starting anywhere in `[n, n + 1)`. Each high pair brackets one preamble pulse; the quiet
/// samples lie in the gaps (1.5–3.5 µs and 5–8 µs) whatever the phase.
struct QuickTaps {
    high: [[usize; 2]; 4],
    quiet: &'static [usize],
}

const TAPS_2400: QuickTaps = QuickTaps {
    high: [[0, 1], [2, 3], [8, 9], [11, 12]],
    quiet: &[5, 6, 7, 13, 14, 15, 16, 17, 18],
};
const TAPS_2000: QuickTaps = QuickTaps {
    high: [[0, 1], [2, 3], [7, 8], [9, 10]],
    quiet: &[4, 5, 6, 11, 12, 13, 14, 15],
};

/// Overlap weights of one chip with the samples it covers.
#[derive(Clone, Copy, Debug, Default)]
struct ChipKernel {
    offset: u16,
    weight: [u16; 3],
}

/// Demodulator tuning that the quick test and quality gate use, as ratios ×16.
#[derive(Clone, Copy, Debug)]
pub struct Thresholds {
    /// Mean pulse sample over mean quiet sample, ×16.
    pub preamble_ratio_x16: u32,
    /// Weakest pulse over mean quiet sample, ×16.
    pub pulse_ratio_x16: u32,
    /// Mean pulse sample over the block's mean magnitude, ×16.
    pub floor_ratio_x16: u32,
    /// For DF11 with an interrogator code in its parity: mean stronger-chip energy over mean
    /// weaker-chip energy, ×16.
    pub quality_ratio_x16: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            preamble_ratio_x16: 36,
            pulse_ratio_x16: 20,
            floor_ratio_x16: 24,
            quality_ratio_x16: 36,
        }
    }
}

/// Everything the demodulator needs that does not change between blocks.
pub struct Demodulator {
    rate: SampleRate,
    pub checker: FrameChecker,
    pub thresholds: Thresholds,
    taps: &'static QuickTaps,
    kernels: Vec<ChipKernel>,
    /// Samples needed from the candidate's base (n - 1) to the end of a long reply.
    window: usize,
    samples_per_us: f64,
}

impl Demodulator {
    pub fn new(rate: SampleRate, checker: FrameChecker) -> Self {
        let r = rate.per_us();
        let chip = CHIP_US * r;
        let mut kernels = vec![ChipKernel::default(); PHASES * CHIPS];
        for p in 0..PHASES {
            // Start of the reply relative to the base sample n - 1.
            let t0 = 0.5 + p as f64 / PHASES_PER_SAMPLE as f64;
            for c in 0..CHIPS {
                let a = t0 + c as f64 * chip;
                let b = a + chip;
                let first = a.floor();
                let mut k = ChipKernel {
                    offset: first as u16,
                    weight: [0; 3],
                };
                for (j, w) in k.weight.iter_mut().enumerate() {
                    let lo = first + j as f64;
                    let overlap = (b.min(lo + 1.0) - a.max(lo)).max(0.0);
                    *w = (overlap * WEIGHT_ONE).round() as u16;
                }
                kernels[p * CHIPS + c] = k;
            }
        }
        let window = (0.5 + 2.0 + CHIPS as f64 * chip).ceil() as usize + 3;
        let taps = match rate {
            SampleRate::Msps2_4 => &TAPS_2400,
            SampleRate::Msps2_0 => &TAPS_2000,
        };
        Self {
            rate,
            checker,
            thresholds: Thresholds::default(),
            taps,
            kernels,
            window,
            samples_per_us: r,
        }
    }

    pub fn rate(&self) -> SampleRate {
        self.rate
    }

    /// Samples a block must overlap the next by: the caller keeps at least this many.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Demodulates `mag` (whose first sample is `first_sample` in the stream), appending
    /// frames to `out` and recording announced addresses in `filter`. Returns the number of
    /// samples consumed; the caller passes `mag[consumed..]` again at the head of the next
    /// block.
    pub fn demodulate(
        &self,
        mag: &[u16],
        first_sample: u64,
        filter: &mut AddressFilter,
        out: &mut Vec<Frame>,
    ) -> usize {
        if mag.len() <= self.window + 1 {
            return 0;
        }
        let limit = mag.len() - self.window;
        let floor = block_floor(mag);
        let mut n = 1;
        while n < limit {
            if !self.quick_test(mag, n, floor) {
                n += 1;
                continue;
            }
            match self.try_candidate(mag, n - 1, first_sample, filter) {
                Some(frame) => {
                    let dur_us = PREAMBLE_US + f64::from(frame.len_bits);
                    n += (dur_us * self.samples_per_us) as usize;
                    out.push(frame);
                }
                None => n += 1,
            }
        }
        (n - 1).min(mag.len())
    }

    #[inline]
    fn quick_test(&self, mag: &[u16], n: usize, floor: u32) -> bool {
        let th = &self.thresholds;
        let m = |k: usize| u32::from(mag[n + k]);
        let mut high = 0u32;
        let mut weakest = u32::MAX;
        for [a, b] in self.taps.high {
            let p = m(a).max(m(b));
            high += p;
            weakest = weakest.min(p);
        }
        let quiet: u32 = self.taps.quiet.iter().map(|&k| m(k)).sum();
        let nq = self.taps.quiet.len() as u32;
        // mean(high) > ratio · mean(quiet), without division: high·nq·16 > ratio·4·quiet
        high * nq * 16 > th.preamble_ratio_x16 * 4 * quiet
            && weakest * nq * 16 > th.pulse_ratio_x16 * quiet
            && high * 4 > th.floor_ratio_x16 * floor
    }

    #[inline]
    fn chip_energy(&self, mag: &[u16], base: usize, phase: usize, chip: usize) -> u32 {
        let k = self.kernels[phase * CHIPS + chip];
        let s = &mag[base + usize::from(k.offset)..][..3];
        u32::from(k.weight[0]) * u32::from(s[0])
            + u32::from(k.weight[1]) * u32::from(s[1])
            + u32::from(k.weight[2]) * u32::from(s[2])
    }

    fn preamble_score(&self, mag: &[u16], base: usize, phase: usize) -> i64 {
        let mut high = 0i64;
        let mut low = 0i64;
        for c in 0..PREAMBLE_CHIPS {
            let e = i64::from(self.chip_energy(mag, base, phase, c));
            if PREAMBLE_HIGH.contains(&c) {
                high += e;
            } else {
                low += e;
            }
        }
        // Four high chips against twelve low ones.
        3 * high - low
    }

    fn try_candidate(
        &self,
        mag: &[u16],
        base: usize,
        first_sample: u64,
        filter: &mut AddressFilter,
    ) -> Option<Frame> {
        let mut ranked = [(i64::MIN, 0usize); SLICED_PHASES];
        for p in 0..PHASES {
            let score = self.preamble_score(mag, base, p);
            if score > ranked[SLICED_PHASES - 1].0 {
                let mut i = SLICED_PHASES - 1;
                while i > 0 && ranked[i - 1].0 < score {
                    ranked[i] = ranked[i - 1];
                    i -= 1;
                }
                ranked[i] = (score, p);
            }
        }
        let mut best: Option<(Frame, u8)> = None;
        for &(score, phase) in &ranked {
            if score <= 0 {
                break;
            }
            let Some((frame, rank)) = self.slice(mag, base, phase, first_sample, filter) else {
                continue;
            };
            if best.is_none_or(|b| rank < b.1) {
                best = Some((frame, rank));
            }
            if rank == 0 {
                break;
            }
        }
        let best = best.map(|b| b.0);
        if let Some(f) = best.filter(Frame::announces_address) {
            filter.insert(f.address, first_sample + base as u64);
        }
        best
    }

    /// Slices the bits at one phase and validates them.
    fn slice(
        &self,
        mag: &[u16],
        base: usize,
        phase: usize,
        first_sample: u64,
        filter: &AddressFilter,
    ) -> Option<(Frame, u8)> {
        let mut bytes = [0u8; 14];
        let mut soft = [0u32; LONG_BITS];
        let (mut strong, mut weak) = (0u64, 0u64);
        let mut bits = 8;
        let mut i = 0;
        while i < bits {
            let c = PREAMBLE_CHIPS + 2 * i;
            let e1 = self.chip_energy(mag, base, phase, c);
            let e0 = self.chip_energy(mag, base, phase, c + 1);
            if e1 > e0 {
                bytes[i / 8] |= 0x80 >> (i % 8);
            }
            soft[i] = e1.abs_diff(e0);
            strong += u64::from(e1.max(e0));
            weak += u64::from(e1.min(e0));
            i += 1;
            if i == 8 {
                let df = df_of(bytes[0]);
                if !is_known_df(df) {
                    return None;
                }
                bits = reply_bits(df);
            }
        }
        let now = first_sample + base as u64;
        let checked = self
            .checker
            .check(&mut bytes, &soft[..bits], filter, now)
            .ok()?;
        // A DF11 read with a non-zero interrogator code cannot be told from one with errors
        // in its last seven bits: believe it only from a clean, strong signal.
        // Errors come with low reliability, so every bit of the overlaid field must be sure.
        if checked.iid_overlay {
            let q = u64::from(self.thresholds.quality_ratio_x16);
            let mean = soft[..bits].iter().map(|&s| u64::from(s)).sum::<u64>() / bits as u64;
            let weakest = soft[bits - 7..bits].iter().copied().min().unwrap_or(0);
            if strong * 16 < q * weak.max(1) || u64::from(weakest) * 2 < mean {
                return None;
            }
        }
        let start = base as f64 + 0.5 + phase as f64 / PHASES_PER_SAMPLE as f64;
        let sample = first_sample as f64 + start;
        let per_chip_weight = CHIP_US * self.samples_per_us * WEIGHT_ONE * 65535.0;
        let to_dbfs = |sum: u64| {
            20.0 * ((sum as f64 / bits as f64) / per_chip_weight)
                .max(1e-6)
                .log10()
        };
        let frame = Frame {
            bytes,
            len_bits: bits as u8,
            address: checked.address,
            corrected_bits: checked.corrected_bits,
            address_recovered: checked.address_recovered,
            sample,
            timestamp_12mhz: (sample * BEAST_CLOCK_HZ as f64 / self.rate.hz() as f64).round()
                as u64,
            signal_dbfs: to_dbfs(strong) as f32,
            noise_dbfs: to_dbfs(weak) as f32,
        };
        Some((frame, checked.rank()))
    }
}

/// Mean magnitude of a block, from every eighth sample (cheap, and plenty for a floor).
fn block_floor(mag: &[u16]) -> u32 {
    let (sum, n) = mag
        .iter()
        .step_by(8)
        .fold((0u64, 0u64), |(s, n), &m| (s + u64::from(m), n + 1));
    (sum / n.max(1)) as u32
}
