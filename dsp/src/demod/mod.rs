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
//! 3. **Slicing** at the three best phases by up to three detectors (see [`detect`]): plain
//!    per-bit slicing, decision feedback and Viterbi against a chip model estimated from the
//!    preamble. Each gives bits and a reliability per bit, which the [`FrameChecker`] uses to
//!    repair the least reliable bits. The first clean reading wins; otherwise the one needing
//!    the fewest corrections.
//!
//! After a frame the search skips to its end. The function keeps no state between calls: it
//! returns how many samples it consumed and the caller passes the rest again with the next
//! block. The same code serves 2.0 MS/s, where a chip is exactly one sample.

use crate::consts::{reply_bits, BEAST_CLOCK_HZ, CHIPS_PER_BIT, CHIP_US, LONG_BITS, PREAMBLE_US};
use crate::filter::AddressFilter;
use crate::frame::{df_of, is_known_df, Frame, FrameChecker};
use crate::iq::SampleRate;
use detect::{equalize, plain, viterbi, ChipModel};

pub mod detect;

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
/// Samples from a candidate's base that the preamble covers at any phase and either rate.
const TEMPLATE_LEN: usize = 24;
/// Fixed-point scale of kernel weights: 256 is one whole sample.
const WEIGHT_ONE: f64 = 256.0;

/// Which samples the quick test reads, relative to the candidate position `n`, for a reply
/// starting anywhere in `[n, n + 1)`. Each high pair brackets one preamble pulse; the quiet
/// samples lie in the gaps (1.5–3.5 µs and 5–8 µs) whatever the phase. Constants, so the
/// per-sample test compiles to straight-line code.
trait QuickTaps {
    const HIGH: [[usize; 2]; 4];
    const QUIET: &'static [usize];
}

struct Taps2400;
impl QuickTaps for Taps2400 {
    const HIGH: [[usize; 2]; 4] = [[0, 1], [2, 3], [8, 9], [11, 12]];
    const QUIET: &'static [usize] = &[5, 6, 7, 13, 14, 15, 16, 17, 18];
}

struct Taps2000;
impl QuickTaps for Taps2000 {
    const HIGH: [[usize; 2]; 4] = [[0, 1], [2, 3], [7, 8], [9, 10]];
    const QUIET: &'static [usize] = &[4, 5, 6, 11, 12, 13, 14, 15];
}

/// Samples the quick test looks at from `n`.
const QUICK_SPAN: usize = 19;

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
    /// The same ratio for a 1-bit repair that would introduce a new aircraft.
    pub new_address_ratio_x16: u32,
    /// The same ratio for address/parity replies.
    pub address_parity_ratio_x16: u32,
    /// Stronger-chip over weaker-chip energy, ×16, below which a candidate that decision
    /// feedback could not read is not worth the Viterbi detector.
    pub viterbi_ratio_x16: u32,
    /// The same ratio over the first eight bits, below which a phase is not sliced at all.
    pub head_ratio_x16: u32,
    /// Re-fit the chip model to a failed Viterbi reading and try again.
    pub refit_model: bool,
}

impl Thresholds {
    /// Defaults per rate, tuned on generated traffic (docs/performance.md). At 2.0 MS/s
    /// edge-aligned pulses make every chip pair look alike to a plain slicer, so every
    /// candidate gets the Viterbi detector; at 2.4 MS/s only those that look like replies.
    pub fn for_rate(rate: SampleRate) -> Self {
        match rate {
            SampleRate::Msps2_4 => Self {
                preamble_ratio_x16: 32,
                pulse_ratio_x16: 20,
                floor_ratio_x16: 40,
                quality_ratio_x16: 40,
                address_parity_ratio_x16: 28,
                new_address_ratio_x16: 32,
                viterbi_ratio_x16: 40,
                head_ratio_x16: 24,
                refit_model: false,
            },
            // Chips that straddle two samples read closer together at 2.0 MS/s, so the
            // chip-energy ratios of real replies are lower there.
            SampleRate::Msps2_0 => Self {
                preamble_ratio_x16: 32,
                pulse_ratio_x16: 20,
                floor_ratio_x16: 40,
                quality_ratio_x16: 32,
                address_parity_ratio_x16: 24,
                new_address_ratio_x16: 24,
                viterbi_ratio_x16: 0,
                head_ratio_x16: 0,
                refit_model: true,
            },
        }
    }
}

/// Where the demodulator's work went: how many candidates reached each stage. Counted as it
/// goes (a few increments per candidate), shown by `skyspy decode` and used for tuning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DemodStats {
    /// Sample positions that passed the quick test.
    pub candidates: u64,
    /// Phases sliced (up to three per candidate, those with a positive preamble score).
    pub phases: u64,
    /// Phases not sliced because one of the two candidates before, which failed, had sliced
    /// the same start already (neighbouring candidates' phases overlap by a sample or more).
    pub phases_repeated: u64,
    /// Phases whose first eight bits showed a reply's contrast and a known DF.
    pub phases_read: u64,
    /// Runs of each detector: plain, decision feedback, Viterbi (the runs after a re-fit
    /// are not counted here, only the re-fit in `refits`).
    pub detector_runs: [u64; 3],
    /// Phases where the chip model was re-fitted and the detectors run again.
    pub refits: u64,
    /// Frames returned.
    pub frames: u64,
}

/// The reply starts the last two candidates sliced, in eighths of a sample from the block's
/// start. A candidate's phases span two samples and the next candidate is one sample on, so
/// neighbours share starts; slicing a start again would read the same chip energies and fail
/// the same way (a candidate that found a frame moves the search past it, so only failed
/// starts are remembered where they can recur).
#[derive(Default)]
struct TriedStarts {
    starts: [Option<u64>; 2 * SLICED_PHASES],
    next: usize,
}

impl TriedStarts {
    /// Whether `start` was sliced before; remembers it if not.
    fn seen(&mut self, start: u64) -> bool {
        if self.starts.contains(&Some(start)) {
            return true;
        }
        self.starts[self.next] = Some(start);
        self.next = (self.next + 1) % self.starts.len();
        false
    }
}

/// A detector: chip energies and a chip model in, bits and reliabilities out.
type Detector = fn(&[[u32; 2]], &ChipModel, &mut [u8; 14], &mut [u32; LONG_BITS]);

/// What one detector made of one phase.
enum Attempt {
    /// A frame and its rank (0 = clean).
    Found(Frame, u8),
    /// Bits of a known format that did not validate.
    Read([u8; 14], usize),
    Nothing,
}

/// Everything the demodulator needs that does not change between blocks.
pub struct Demodulator {
    rate: SampleRate,
    pub checker: FrameChecker,
    pub thresholds: Thresholds,
    kernels: Vec<ChipKernel>,
    /// Per phase, the preamble correlator (3 × pulse chips − empty chips) as weights on the
    /// samples from the base, scaled by 1 / its norm so that phases whose chips straddle
    /// samples (smeared templates) score fairly against sharp ones.
    templates: Vec<[f32; TEMPLATE_LEN]>,
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
        let mut templates = vec![[0f32; TEMPLATE_LEN]; PHASES];
        for (p, out) in templates.iter_mut().enumerate() {
            let mut template = [0f64; TEMPLATE_LEN];
            for c in 0..PREAMBLE_CHIPS {
                let k = kernels[p * CHIPS + c];
                let sign = if PREAMBLE_HIGH.contains(&c) {
                    3.0
                } else {
                    -1.0
                };
                for (j, &w) in k.weight.iter().enumerate() {
                    template[usize::from(k.offset) + j] += sign * f64::from(w);
                }
            }
            let scale = 1.0 / template.iter().map(|t| t * t).sum::<f64>().sqrt().max(1.0);
            for (o, t) in out.iter_mut().zip(template) {
                *o = (t * scale) as f32;
            }
        }
        let window = (0.5 + 2.0 + CHIPS as f64 * chip).ceil() as usize + 3;
        Self {
            rate,
            checker,
            thresholds: Thresholds::for_rate(rate),
            kernels,
            templates,
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

    /// Demodulates `mag` (whose first sample is `first_sample` in the stream) against the
    /// noise floor `floor` (see [`noise_floor`]), appending frames to `out`, recording
    /// announced addresses in `filter` and counting the work in `stats`. Returns the number
    /// of samples consumed; the caller passes `mag[consumed..]` again at the head of the next
    /// block.
    pub fn demodulate(
        &self,
        mag: &[u16],
        first_sample: u64,
        floor: u32,
        filter: &mut AddressFilter,
        stats: &mut DemodStats,
        out: &mut Vec<Frame>,
    ) -> usize {
        if mag.len() <= self.window + 1 {
            return 0;
        }
        let limit = mag.len() - self.window;
        match self.rate {
            SampleRate::Msps2_4 => {
                self.scan::<Taps2400>(mag, limit, first_sample, floor, filter, stats, out)
            }
            SampleRate::Msps2_0 => {
                self.scan::<Taps2000>(mag, limit, first_sample, floor, filter, stats, out)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn scan<T: QuickTaps>(
        &self,
        mag: &[u16],
        limit: usize,
        first_sample: u64,
        floor: u32,
        filter: &mut AddressFilter,
        stats: &mut DemodStats,
        out: &mut Vec<Frame>,
    ) -> usize {
        let mut n = 1;
        let mut tried = TriedStarts::default();
        while n < limit {
            if !self.quick_test::<T>(&mag[n..n + QUICK_SPAN], floor) {
                n += 1;
                continue;
            }
            stats.candidates += 1;
            match self.try_candidate(mag, n - 1, first_sample, filter, stats, &mut tried) {
                Some(frame) => {
                    let dur_us = PREAMBLE_US + f64::from(frame.len_bits);
                    n += (dur_us * self.samples_per_us) as usize;
                    stats.frames += 1;
                    out.push(frame);
                }
                None => n += 1,
            }
        }
        (n - 1).min(mag.len())
    }

    #[inline(always)]
    fn quick_test<T: QuickTaps>(&self, w: &[u16], floor: u32) -> bool {
        let th = &self.thresholds;
        let m = |k: usize| u32::from(w[k]);
        let pulses = T::HIGH.map(|[a, b]| m(a).max(m(b)));
        let high: u32 = pulses.iter().sum();
        // Cheapest and most selective first: the pulses must rise above the block's floor.
        if high * 4 <= th.floor_ratio_x16 * floor {
            return false;
        }
        let quiet: u32 = T::QUIET.iter().map(|&k| m(k)).sum();
        let nq = T::QUIET.len() as u32;
        let weakest = pulses.iter().copied().min().unwrap_or(0);
        // mean(high) > ratio · mean(quiet), without division: high·nq·16 > ratio·4·quiet
        high * nq * 16 > th.preamble_ratio_x16 * 4 * quiet
            && weakest * nq * 16 > th.pulse_ratio_x16 * quiet
    }

    #[inline]
    fn chip_energy(&self, mag: &[u16], base: usize, phase: usize, chip: usize) -> u32 {
        let k = self.kernels[phase * CHIPS + chip];
        let s = &mag[base + usize::from(k.offset)..][..3];
        u32::from(k.weight[0]) * u32::from(s[0])
            + u32::from(k.weight[1]) * u32::from(s[1])
            + u32::from(k.weight[2]) * u32::from(s[2])
    }

    /// Normalised preamble correlation at a phase: four pulse chips against twelve empty
    /// ones, as one dot product over the samples (vectorises).
    fn preamble_score(&self, window: &[f32; TEMPLATE_LEN], phase: usize) -> f32 {
        self.templates[phase]
            .iter()
            .zip(window)
            .map(|(t, m)| t * m)
            .sum()
    }

    fn try_candidate(
        &self,
        mag: &[u16],
        base: usize,
        first_sample: u64,
        filter: &mut AddressFilter,
        stats: &mut DemodStats,
        tried: &mut TriedStarts,
    ) -> Option<Frame> {
        let mut window = [0f32; TEMPLATE_LEN];
        for (w, &m) in window.iter_mut().zip(&mag[base..]) {
            *w = f32::from(m);
        }
        let mut ranked = [(f32::MIN, 0usize); SLICED_PHASES];
        for p in 0..PHASES {
            let score = self.preamble_score(&window, p);
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
            if score <= 0.0 {
                break;
            }
            if tried.seen((base * PHASES_PER_SAMPLE + phase) as u64) {
                stats.phases_repeated += 1;
                continue;
            }
            stats.phases += 1;
            let Some((frame, rank)) = self.slice(mag, base, phase, first_sample, filter, stats)
            else {
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

    /// The chip model at this phase, from the preamble: what an empty chip reads (noise),
    /// what a pulse adds to its own chip, and what it spills into each neighbour (receiver
    /// filter and timing error). Chips 0, 2, 7, 9 are lone pulses; 1 and 8 sit between two
    /// pulses; 4, 5, 12 and 13 are far from any.
    fn chip_model(&self, mag: &[u16], base: usize, phase: usize) -> ChipModel {
        let e = |c: usize| f64::from(self.chip_energy(mag, base, phase, c));
        let empty = (e(4) + e(5) + e(12) + e(13)) / 4.0;
        let pulse = ((e(0) + e(2) + e(7) + e(9)) / 4.0 - empty).max(1.0);
        let spill = ((e(1) + e(8)) / 4.0 - empty / 2.0).clamp(0.0, pulse / 2.0);
        ChipModel {
            empty,
            pulse,
            spill,
        }
    }

    /// Slices the bits at one phase and validates them.
    fn slice(
        &self,
        mag: &[u16],
        base: usize,
        phase: usize,
        first_sample: u64,
        filter: &AddressFilter,
        stats: &mut DemodStats,
    ) -> Option<(Frame, u8)> {
        // Chip energies of every bit: first (pulse for a 1) and second chip.
        let mut e = [[0u32; 2]; LONG_BITS];
        let fill = |e: &mut [[u32; 2]; LONG_BITS], from: usize, to: usize| {
            for (i, pair) in e.iter_mut().enumerate().take(to).skip(from) {
                let c = PREAMBLE_CHIPS + 2 * i;
                *pair = [
                    self.chip_energy(mag, base, phase, c),
                    self.chip_energy(mag, base, phase, c + 1),
                ];
            }
        };
        fill(&mut e, 0, 8);
        // Noise triggers show little contrast between the two chips of a bit; replies at
        // the sensitivity limit already show more over the first eight bits.
        if !self.contrast_at_least(&e[..8], self.thresholds.head_ratio_x16) {
            return None;
        }
        let first = e[..8]
            .iter()
            .fold(0u8, |acc, p| (acc << 1) | u8::from(p[0] > p[1]));
        let df = df_of(first);
        if !is_known_df(df) {
            return None;
        }
        stats.phases_read += 1;
        let model = self.chip_model(mag, base, phase);
        let mut filled = 8;
        let mut best: Option<(Frame, u8)> = None;
        // Plain slicing first (cheapest; reads every strong reply and some very weak ones
        // whose chip model is too noisy), then decision feedback (best at 2.4 MS/s), then the
        // Viterbi detector (it wins where pulses split evenly between samples). Where all of
        // them fail, the chip model is re-fitted to the Viterbi reading of the whole reply
        // (224 chips instead of the preamble's 16) and the two model-based detectors retried.
        let mut last = None;
        let viterbi_ok = self.worth_viterbi(&e[..filled]);
        let plan: [(Detector, bool); 3] = [(plain, true), (equalize, true), (viterbi, viterbi_ok)];
        for (runs, (detector, run)) in stats.detector_runs.iter_mut().zip(plan) {
            if !run {
                continue;
            }
            *runs += 1;
            let reading = self.attempt(
                &mut e,
                &mut filled,
                df,
                detector,
                &model,
                mag,
                base,
                phase,
                first_sample,
                filter,
            );
            match reading {
                Attempt::Found(frame, 0) => return Some((frame, 0)),
                Attempt::Found(frame, rank) => {
                    if best.is_none_or(|b| rank < b.1) {
                        best = Some((frame, rank));
                    }
                }
                Attempt::Read(bytes, bits) => last = Some((bytes, bits)),
                Attempt::Nothing => {}
            }
        }
        if best.is_none() && self.thresholds.refit_model && viterbi_ok {
            if let Some(refit) = last.and_then(|(bytes, bits)| ChipModel::fit(&e[..bits], &bytes)) {
                stats.refits += 1;
                for detector in [viterbi as Detector, equalize] {
                    let reading = self.attempt(
                        &mut e,
                        &mut filled,
                        df,
                        detector,
                        &refit,
                        mag,
                        base,
                        phase,
                        first_sample,
                        filter,
                    );
                    if let Attempt::Found(frame, rank) = reading {
                        if best.is_none_or(|b| rank < b.1) {
                            best = Some((frame, rank));
                        }
                        if rank == 0 {
                            break;
                        }
                    }
                }
            }
        }
        best
    }

    /// One detector on one phase: slice (again, if the detector changes the DF and with it
    /// the length) and validate.
    #[allow(clippy::too_many_arguments)]
    fn attempt(
        &self,
        e: &mut [[u32; 2]; LONG_BITS],
        filled: &mut usize,
        df: u8,
        detector: Detector,
        model: &ChipModel,
        mag: &[u16],
        base: usize,
        phase: usize,
        first_sample: u64,
        filter: &AddressFilter,
    ) -> Attempt {
        let mut bits = reply_bits(df);
        for _ in 0..2 {
            if *filled < bits {
                for (i, pair) in e.iter_mut().enumerate().take(bits).skip(*filled) {
                    let c = PREAMBLE_CHIPS + 2 * i;
                    *pair = [
                        self.chip_energy(mag, base, phase, c),
                        self.chip_energy(mag, base, phase, c + 1),
                    ];
                }
                *filled = bits;
            }
            let mut bytes = [0u8; 14];
            let mut soft = [0u32; LONG_BITS];
            detector(&e[..bits], model, &mut bytes, &mut soft);
            let df = df_of(bytes[0]);
            if !is_known_df(df) {
                return Attempt::Nothing;
            }
            if reply_bits(df) != bits {
                bits = reply_bits(df);
                continue;
            }
            return match self.validate(
                &e[..bits],
                bytes,
                &soft[..bits],
                base,
                phase,
                first_sample,
                filter,
            ) {
                Some((frame, rank)) => Attempt::Found(frame, rank),
                None => Attempt::Read(bytes, bits),
            };
        }
        Attempt::Nothing
    }

    /// Whether a candidate that decision feedback could not read looks enough like a reply
    /// (pulse chips well above empty ones) to spend the Viterbi detector on it. Noise
    /// triggers score about 1.8 here; replies at 8 dB SNR above 2.5.
    fn worth_viterbi(&self, e: &[[u32; 2]]) -> bool {
        self.contrast_at_least(e, self.thresholds.viterbi_ratio_x16)
    }

    /// Whether the stronger chips of these bits carry at least `ratio_x16` / 16 times the
    /// energy of the weaker ones.
    fn contrast_at_least(&self, e: &[[u32; 2]], ratio_x16: u32) -> bool {
        let (strong, weak) = e.iter().fold((0u64, 0u64), |(s, w), p| {
            (s + u64::from(p[0].max(p[1])), w + u64::from(p[0].min(p[1])))
        });
        strong * 16 >= u64::from(ratio_x16) * weak.max(1)
    }

    /// Checks a sliced reply and builds its frame.
    #[allow(clippy::too_many_arguments)]
    fn validate(
        &self,
        e: &[[u32; 2]],
        mut bytes: [u8; 14],
        soft: &[u32],
        base: usize,
        phase: usize,
        first_sample: u64,
        filter: &AddressFilter,
    ) -> Option<(Frame, u8)> {
        let bits = e.len();
        let (strong, weak) = e.iter().fold((0u64, 0u64), |(s, w), p| {
            (s + u64::from(p[0].max(p[1])), w + u64::from(p[0].min(p[1])))
        });
        let now = first_sample + base as u64;
        let checked = self.checker.check(&mut bytes, soft, filter, now).ok()?;
        // A DF11 read with a non-zero interrogator code cannot be told from one with errors
        // in its last seven bits: believe it only from a clean, strong signal.
        // Errors come with low reliability, so every bit of the overlaid field must be sure.
        // Address/parity replies have no check beyond the address: noise that happens to
        // land on a known address must at least look like a reply.
        if checked.address_recovered {
            // DF24 (Comm-D) takes a quarter of all DF codes, so noise lands there most often.
            let q = if bits == LONG_BITS && bytes[0] >> 6 == 3 {
                self.thresholds.quality_ratio_x16
            } else {
                self.thresholds.address_parity_ratio_x16
            };
            let q = u64::from(q);
            if strong * 16 < q * weak.max(1) {
                return None;
            }
        }
        if checked.new_address
            && strong * 16 < u64::from(self.thresholds.new_address_ratio_x16) * weak.max(1)
        {
            return None;
        }
        if checked.iid_overlay {
            let q = u64::from(self.thresholds.quality_ratio_x16);
            let mean = soft.iter().map(|&s| u64::from(s)).sum::<u64>() / bits as u64;
            let weakest = soft[bits - 7..bits].iter().copied().min().unwrap_or(0);
            // A second reply starting on top of the tail flips "reliable" bits: the tail
            // must not carry more energy than the rest of the reply.
            let energy = |bits: &[[u32; 2]]| {
                bits.iter()
                    .map(|p| u64::from(p[0]) + u64::from(p[1]))
                    .sum::<u64>()
                    / bits.len() as u64
            };
            let (head, tail) = e.split_at(bits - 7);
            let head_energy = energy(head);
            let tail_peak = tail
                .iter()
                .map(|p| u64::from(p[0]) + u64::from(p[1]))
                .max()
                .unwrap_or(0);
            if strong * 16 < q * weak.max(1)
                || u64::from(weakest) * 2 < mean
                || tail_peak * 4 > head_energy * 5
            {
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

/// The noise floor of a stretch of magnitudes: the 10th percentile of the mean magnitude of
/// 32-sample pieces (every eighth piece is looked at). A low percentile rather than the mean,
/// so that busy stretches, or recordings with the quiet parts cut out, do not raise it.
pub fn noise_floor(mag: &[u16]) -> u32 {
    const STRETCH: usize = 32;
    const MAX: usize = 1024;
    let mut means = [0u32; MAX];
    let mut n = 0;
    for chunk in mag.chunks_exact(STRETCH).step_by(8).take(MAX) {
        means[n] = chunk.iter().map(|&m| u32::from(m)).sum::<u32>() / STRETCH as u32;
        n += 1;
    }
    if n == 0 {
        return 0;
    }
    let k = n / 10;
    *means[..n].select_nth_unstable(k).1
}
