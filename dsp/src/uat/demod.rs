//! The UAT demodulator: IQ at 2.083333 MS/s (two samples per bit) → corrected frames.
//!
//! CPFSK is detected by phase difference: each sample's phase (a 64K table for cu8, SIMD
//! kernels for cs16 and cf32, one definition in [`super::phase`]), and the phase advance over
//! one bit time (two samples), whose sign is the bit. Both sample phases
//! are searched for the downlink and uplink sync words with up to [`MAX_SYNC_ERRORS`] bit
//! errors. At a sync the carrier offset is measured on the sync word itself (the mean advance
//! of its ones and zeros) and removed; the frame is sliced at the sync's sample phase and at
//! the neighbouring one, and the slicing that Reed–Solomon corrects with fewer changes wins.
//! Streaming: samples are kept across calls until every frame that could start in them has
//! been tried, so output does not depend on how the input is chunked.

use super::consts::*;
use super::frame::{
    correct_downlink, correct_downlink_soft, correct_uplink, correct_uplink_soft, Kind, UatFrame,
};
use super::phase::{phase_cf32, phase_cs16, phase_f32};
use crate::iq::IqFormat;

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
    format: IqFormat,
    /// cu8 (I, Q) → phase, 0..65536 = 0..2π (empty for other formats).
    phase_lut: Vec<u16>,
    /// Phases and powers not yet fully searched; `base` is the stream index of element 0.
    phase: Vec<u16>,
    power: Vec<f32>,
    base: u64,
    /// Next stream index to search for a sync end.
    next: u64,
    /// Hard bits shifted in per sample phase.
    shift: [u64; 2],
    /// The start of a sample whose other bytes have not arrived yet (input may be cut anywhere).
    partial: Vec<u8>,
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

/// 1 / 127.5²: cu8 counts² to full-scale power.
const CU8_POWER_SCALE: f32 = 1.0 / (127.5 * 127.5);

impl UatDemodulator {
    /// A demodulator for `format` at 2.083333 MS/s. For cu8 it builds a 64K phase table.
    pub fn new(format: IqFormat) -> Self {
        let mut phase_lut = Vec::new();
        if format == IqFormat::Cu8 {
            phase_lut = vec![0u16; 65536];
            for i in 0..256usize {
                for q in 0..256usize {
                    let (x, y) = ((i as f32 - 127.5) / 127.5, (q as f32 - 127.5) / 127.5);
                    phase_lut[(i << 8) | q] = phase_f32(x, y);
                }
            }
        }
        Self {
            format,
            phase_lut,
            phase: Vec::new(),
            power: Vec::new(),
            base: 0,
            next: 2,
            shift: [0; 2],
            partial: Vec::with_capacity(8),
            stats: DemodStats::default(),
        }
    }

    /// Feeds interleaved I/Q bytes in the demodulator's format, cut anywhere; appends the
    /// frames completed.
    pub fn push(&mut self, mut iq: &[u8], out: &mut Vec<UatMessage>) {
        let size = self.format.bytes_per_sample();
        if !self.partial.is_empty() {
            let take = (size - self.partial.len()).min(iq.len());
            self.partial.extend_from_slice(&iq[..take]);
            iq = &iq[take..];
            if self.partial.len() == size {
                let sample = std::mem::take(&mut self.partial);
                self.push_samples(&sample);
                self.partial = sample;
                self.partial.clear();
            }
        }
        let whole = iq.len() / size * size;
        self.push_samples(&iq[..whole]);
        self.partial.extend_from_slice(&iq[whole..]);
        self.search(false, out);
    }

    /// Phases and powers of whole samples: a table for cu8, SIMD kernels for the others.
    fn push_samples(&mut self, bytes: &[u8]) {
        let before = self.phase.len();
        match self.format {
            IqFormat::Cu8 => {
                for s in bytes.chunks_exact(2) {
                    let idx = (usize::from(s[0]) << 8) | usize::from(s[1]);
                    self.phase.push(self.phase_lut[idx]);
                    // Power by arithmetic: a second 256 KB table measured no faster.
                    let (x, y) = (f32::from(s[0]) - 127.5, f32::from(s[1]) - 127.5);
                    self.power.push((x * x + y * y) * CU8_POWER_SCALE);
                }
            }
            IqFormat::Cs16 => {
                phase_cs16(bytes, &mut self.phase);
                self.power.extend(bytes.chunks_exact(4).map(|s| {
                    let x = f32::from(i16::from_le_bytes([s[0], s[1]])) / 32768.0;
                    let y = f32::from(i16::from_le_bytes([s[2], s[3]])) / 32768.0;
                    x * x + y * y
                }));
            }
            IqFormat::Cf32 => {
                phase_cf32(bytes, &mut self.phase);
                self.power.extend(bytes.chunks_exact(8).map(|s| {
                    let x = f32::from_le_bytes([s[0], s[1], s[2], s[3]]);
                    let y = f32::from_le_bytes([s[4], s[5], s[6], s[7]]);
                    // Corrupt (non-finite) samples count as silence, as their phase does.
                    let p = x * x + y * y;
                    if p.is_finite() {
                        p
                    } else {
                        0.0
                    }
                }));
            }
        }
        self.stats.samples += (self.phase.len() - before) as u64;
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
        let mut sliced = Vec::with_capacity(2);
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
            // Per byte, the margin of its least certain bit: where erasures should go.
            let mut confidence = vec![u16::MAX; bits / 8];
            for (k, (byte, conf)) in bytes.iter_mut().zip(confidence.iter_mut()).enumerate() {
                for j in 0..8 {
                    let at = last + 2 * (k * 8 + j + 1) as u64;
                    let v = if at < end {
                        i64::from(self.advance(at)) - bias
                    } else {
                        0
                    };
                    *byte = (*byte << 1) | u8::from(v > 0);
                    *conf = (*conf).min(v.unsigned_abs().min(u64::from(u16::MAX)) as u16);
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
            sliced.push((bytes, confidence, last));
        }
        // Neither slicing decodes with errors alone: try again with erasures.
        if best.is_none() {
            for (bytes, confidence, last) in &sliced {
                let frame = match kind {
                    Kind::Downlink => correct_downlink_soft(bytes, confidence),
                    Kind::Uplink => correct_uplink_soft(bytes, confidence),
                };
                if let Some(f) = frame {
                    if best.as_ref().is_none_or(|(b, _)| f.corrected < b.corrected) {
                        best = Some((f, *last));
                    }
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
