//! The UAT demodulator: 8-bit IQ at 2.083333 MS/s (two samples per bit) → corrected frames.
//!
//! CPFSK is detected by phase difference: each sample's phase (a 64K table for cu8), and the
//! phase advance over one bit time (two samples), whose sign is the bit. Both sample phases
//! are searched for the downlink and uplink sync words with up to [`MAX_SYNC_ERRORS`] bit
//! errors. At a sync the carrier offset is measured on the sync word itself (the mean advance
//! of its ones and zeros) and removed; the frame is sliced at the sync's sample phase and at
//! the neighbouring one, and the slicing that Reed–Solomon corrects with fewer changes wins.
//! Streaming: samples are kept across calls until every frame that could start in them has
//! been tried, so output does not depend on how the input is chunked.

use super::consts::*;
use super::frame::{correct_downlink, correct_uplink, Kind, UatFrame};

/// Bit errors allowed in a 36-bit sync word.
pub const MAX_SYNC_ERRORS: u32 = 4;
const SYNC_MASK: u64 = (1 << SYNC_BITS) - 1;
/// Samples from the end of a sync word to the end of the longest frame, plus a margin.
const TAIL: usize = 2 * (UPLINK_BITS + 2);
/// Samples kept before the search position: a whole sync word (for the carrier estimate and
/// the signal level) and the two samples a phase advance looks back.
const HISTORY: u64 = 2 * SYNC_BITS as u64 + 4;

/// A decoded frame and where it was.
#[derive(Clone, Debug, PartialEq)]
pub struct UatMessage {
    pub frame: UatFrame,
    /// Sample index (since the stream began) of the first sample of the sync word.
    pub sample: u64,
    /// Mean power over the frame, dBFS (full scale = amplitude 1).
    pub rssi_dbfs: f32,
}

pub struct UatDemodulator {
    /// cu8 (I, Q) → phase, 0..65536 = 0..2π.
    phase_lut: Vec<u16>,
    /// cu8 (I, Q) → |x|², for the signal level.
    power_lut: Vec<f32>,
    /// Phases and powers not yet fully searched; `base` is the stream index of element 0.
    phase: Vec<u16>,
    power: Vec<f32>,
    base: u64,
    /// Next stream index to search for a sync end.
    next: u64,
    /// Hard bits shifted in per sample phase.
    shift: [u64; 2],
    /// An I byte whose Q has not arrived yet (input may be cut anywhere).
    odd: Option<u8>,
    pub stats: DemodStats,
}

/// Counters for the stats page and the benches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemodStats {
    pub samples: u64,
    pub syncs: u64,
    pub downlinks: u64,
    pub uplinks: u64,
}

impl Default for UatDemodulator {
    fn default() -> Self {
        Self::new()
    }
}

impl UatDemodulator {
    pub fn new() -> Self {
        let mut phase_lut = vec![0u16; 65536];
        let mut power_lut = vec![0f32; 65536];
        for i in 0..256usize {
            for q in 0..256usize {
                let (x, y) = ((i as f64 - 127.5) / 127.5, (q as f64 - 127.5) / 127.5);
                let a = y.atan2(x).rem_euclid(std::f64::consts::TAU);
                phase_lut[(i << 8) | q] =
                    ((a / std::f64::consts::TAU * 65536.0) as u32 & 0xffff) as u16;
                power_lut[(i << 8) | q] = (x * x + y * y) as f32;
            }
        }
        Self {
            phase_lut,
            power_lut,
            phase: Vec::new(),
            power: Vec::new(),
            base: 0,
            next: 2,
            shift: [0; 2],
            odd: None,
            stats: DemodStats::default(),
        }
    }

    /// Feeds interleaved cu8 I/Q bytes, cut anywhere; appends the frames completed.
    pub fn push_cu8(&mut self, mut iq: &[u8], out: &mut Vec<UatMessage>) {
        if let (Some(i), Some((&q, rest))) = (self.odd, iq.split_first()) {
            self.odd = None;
            self.push_sample(i, q);
            iq = rest;
        }
        let pairs = iq.chunks_exact(2);
        self.odd = pairs.remainder().first().copied();
        for pair in pairs {
            self.push_sample(pair[0], pair[1]);
        }
        self.search(false, out);
    }

    fn push_sample(&mut self, i: u8, q: u8) {
        let idx = (usize::from(i) << 8) | usize::from(q);
        self.phase.push(self.phase_lut[idx]);
        self.power.push(self.power_lut[idx]);
        self.stats.samples += 1;
    }

    /// Searches what is left at the end of the stream.
    pub fn finish(&mut self, out: &mut Vec<UatMessage>) {
        self.search(true, out);
    }

    /// The advance of the phase over one bit time ending at stream index `n`, as a signed
    /// fraction of a turn scaled to ±32768.
    fn advance(&self, n: u64) -> i16 {
        let i = (n - self.base) as usize;
        self.phase[i].wrapping_sub(self.phase[i - 2]) as i16
    }

    fn search(&mut self, at_end: bool, out: &mut Vec<UatMessage>) {
        let end = self.base + self.phase.len() as u64;
        // Without the end of the stream, a sync is only tried once its whole frame is here.
        let limit = if at_end {
            end
        } else {
            end.saturating_sub(TAIL as u64)
        };
        let mut n = self.next.max(self.base + 2);
        while n < limit {
            let p = (n & 1) as usize;
            self.shift[p] = ((self.shift[p] << 1) | u64::from(self.advance(n) > 0)) & SYNC_MASK;
            let reg = self.shift[p];
            let kind = if (reg ^ DOWNLINK_SYNC).count_ones() <= MAX_SYNC_ERRORS {
                Some(Kind::Downlink)
            } else if (reg ^ UPLINK_SYNC).count_ones() <= MAX_SYNC_ERRORS {
                Some(Kind::Uplink)
            } else {
                None
            };
            if let Some(kind) = kind {
                self.stats.syncs += 1;
                if let Some(msg) = self.try_frame(kind, n, end) {
                    let bits = 8 * if kind == Kind::Downlink {
                        if msg.frame.payload.len() == LONG_PAYLOAD {
                            LONG_CODEWORD
                        } else {
                            BASIC_CODEWORD
                        }
                    } else {
                        UPLINK_CODEWORD
                    };
                    match kind {
                        Kind::Downlink => self.stats.downlinks += 1,
                        Kind::Uplink => self.stats.uplinks += 1,
                    }
                    out.push(msg);
                    // Past the frame: nothing else can start inside it.
                    n += 2 * bits as u64;
                    self.shift = [0; 2];
                }
            }
            n += 1;
        }
        self.next = n;
        // Keep what a later search still needs: a sync word's worth before `next`.
        let keep_from = self.next.saturating_sub(HISTORY).clamp(self.base, end);
        let drop = (keep_from - self.base) as usize;
        if drop > 0 {
            self.phase.drain(..drop);
            self.power.drain(..drop);
            self.base = keep_from;
        }
    }

    /// Tries a frame whose sync word ends at stream index `n`, at that sample phase and the
    /// next; the one needing fewer corrections wins.
    fn try_frame(&self, kind: Kind, n: u64, end: u64) -> Option<UatMessage> {
        let sync = if kind == Kind::Downlink {
            DOWNLINK_SYNC
        } else {
            UPLINK_SYNC
        };
        let bits = if kind == Kind::Downlink {
            DOWNLINK_BITS
        } else {
            UPLINK_BITS
        };
        let mut best: Option<(UatFrame, u64)> = None;
        for shift in [0u64, 1] {
            let last = n + shift;
            // Carrier offset: the mean advance of the sync's ones and zeros is zero without it.
            let (mut ones, mut zeros, mut n1, mut n0) = (0i64, 0i64, 0i64, 0i64);
            for b in 0..SYNC_BITS as u64 {
                let at = last - 2 * (SYNC_BITS as u64 - 1 - b);
                let v = i64::from(self.advance(at));
                if (sync >> (SYNC_BITS as u64 - 1 - b)) & 1 == 1 {
                    ones += v;
                    n1 += 1;
                } else {
                    zeros += v;
                    n0 += 1;
                }
            }
            let bias = if n1 > 0 && n0 > 0 {
                (ones / n1 + zeros / n0) / 2
            } else {
                0
            };
            let mut bytes = vec![0u8; bits / 8];
            for (k, byte) in bytes.iter_mut().enumerate() {
                for j in 0..8 {
                    let at = last + 2 * (k * 8 + j + 1) as u64;
                    let bit = at < end && i64::from(self.advance(at)) - bias > 0;
                    *byte = (*byte << 1) | u8::from(bit);
                }
            }
            let frame = match kind {
                Kind::Downlink => correct_downlink(&bytes),
                Kind::Uplink => correct_uplink(&bytes),
            };
            if let Some(f) = frame {
                if best.as_ref().is_none_or(|(b, _)| f.corrected < b.corrected) {
                    best = Some((f, last));
                }
            }
        }
        let (frame, last) = best?;
        let first = last + 1 - 2 * SYNC_BITS as u64;
        let frame_bits = SYNC_BITS
            + 8 * match frame.payload.len() {
                BASIC_PAYLOAD => BASIC_CODEWORD,
                LONG_PAYLOAD => LONG_CODEWORD,
                _ => UPLINK_CODEWORD,
            };
        let (from, to) = (
            first.max(self.base),
            (first + 2 * frame_bits as u64).min(end),
        );
        let power: f64 = (from..to)
            .map(|i| f64::from(self.power[(i - self.base) as usize]))
            .sum();
        let mean = power / (to - from).max(1) as f64;
        Some(UatMessage {
            frame,
            sample: first,
            rssi_dbfs: (10.0 * mean.max(1e-12).log10()) as f32,
        })
    }
}
