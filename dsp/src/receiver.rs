//! A receiver for one 1090 MHz stream: the stages of this crate wired together, with the
//! state a stream needs (the unconsumed magnitude tail, a partial sample, the address filter)
//! held in plain view rather than hidden inside a stage.

use crate::convert::{magnitude, MagnitudeLut};
use crate::demod::{noise_floor, DemodStats, Demodulator};

/// The demodulator runs in steps of this many samples, aligned to the stream, each with the
/// noise floor of its own samples: the result does not depend on how the input is chunked.
const STEP: usize = 1 << 16;
use crate::filter::AddressFilter;
use crate::frame::{Frame, FrameChecker, RepairConfig};
use crate::iq::{IqBlock, IqFormat, SampleRate};

pub struct Receiver {
    format: IqFormat,
    lut: MagnitudeLut,
    demod: Demodulator,
    pub filter: AddressFilter,
    /// Where the demodulator's work went so far.
    pub stats: DemodStats,
    /// Magnitudes not yet consumed by the demodulator; `mag[0]` is sample `mag_start`.
    mag: Vec<u16>,
    mag_start: u64,
    partial: [u8; 8],
    partial_len: usize,
    samples_in: u64,
}

impl Receiver {
    pub fn new(format: IqFormat, rate: SampleRate, repair: RepairConfig) -> Self {
        Self {
            format,
            lut: MagnitudeLut::new(),
            demod: Demodulator::new(rate, FrameChecker::new(repair)),
            filter: AddressFilter::for_sample_rate(rate.hz()),
            stats: DemodStats::default(),
            mag: Vec::with_capacity(1 << 18),
            mag_start: 0,
            partial: [0; 8],
            partial_len: 0,
            samples_in: 0,
        }
    }

    pub fn demodulator(&self) -> &Demodulator {
        &self.demod
    }

    pub fn demodulator_mut(&mut self) -> &mut Demodulator {
        &mut self.demod
    }

    /// Samples received so far.
    pub fn samples(&self) -> u64 {
        self.samples_in
    }

    /// Feeds raw IQ bytes of any length (a sample split across calls is kept whole) and
    /// appends the frames found.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<Frame>) {
        let bps = self.format.bytes_per_sample();
        if self.partial_len > 0 {
            let take = (bps - self.partial_len).min(bytes.len());
            self.partial[self.partial_len..self.partial_len + take].copy_from_slice(&bytes[..take]);
            self.partial_len += take;
            bytes = &bytes[take..];
            if self.partial_len == bps {
                let sample = self.partial;
                self.convert(&sample[..bps]);
                self.partial_len = 0;
            }
        }
        let whole = bytes.len() / bps * bps;
        self.convert(&bytes[..whole]);
        let rest = &bytes[whole..];
        self.partial[..rest.len()].copy_from_slice(rest);
        self.partial_len += rest.len();
        self.run_steps(out, false);
    }

    /// Flushes the tail at the end of a stream (as if followed by silence).
    pub fn finish(&mut self, out: &mut Vec<Frame>) {
        let pad = self.demod.window() + 2;
        self.mag.resize(self.mag.len() + pad, 0);
        self.run_steps(out, true);
        self.mag_start += self.mag.len() as u64;
        self.mag.clear();
    }

    fn convert(&mut self, bytes: &[u8]) {
        let n = bytes.len() / self.format.bytes_per_sample();
        let old = self.mag.len();
        self.mag.resize(old + n, 0);
        let block = IqBlock {
            format: self.format,
            bytes,
            first_sample: self.samples_in,
        };
        magnitude(&self.lut, &block, &mut self.mag[old..]);
        self.samples_in += n as u64;
    }

    /// Demodulates every whole step that is available (everything when `flush`).
    ///
    /// Candidates of step k are the samples [k·STEP, (k+1)·STEP); a step runs once the
    /// samples its last candidate needs have arrived, so every candidate sees the same
    /// floor and the same samples however the input was chunked.
    fn run_steps(&mut self, out: &mut Vec<Frame>, flush: bool) {
        let window = self.demod.window();
        let step = STEP as u64;
        let mut start = 0usize;
        loop {
            // mag[start] is the base sample; the first candidate is the one after it.
            let pos = self.mag_start + start as u64;
            let step_end = ((pos + 1) / step + 1) * step;
            let limit = (step_end - pos) as usize;
            let stop = start + limit + window;
            if stop > self.mag.len() && !flush {
                break;
            }
            let stop = stop.min(self.mag.len());
            let chunk = &self.mag[start..stop];
            let floor = noise_floor(&chunk[1..chunk.len().min(limit).max(1)]);
            let consumed =
                self.demod
                    .demodulate(chunk, pos, floor, &mut self.filter, &mut self.stats, out);
            if consumed == 0 {
                break;
            }
            start += consumed;
        }
        self.mag.drain(..start);
        self.mag_start += start as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_bytes_in_any_format_never_panic(data in proptest::collection::vec(any::<u8>(), 0..20_000), split in 0usize..20_000) {
            for format in [IqFormat::Cu8, IqFormat::Cs16, IqFormat::Cf32] {
                for rate in [SampleRate::Msps2_4, SampleRate::Msps2_0] {
                    let mut rx = Receiver::new(format, rate, RepairConfig::default());
                    let mut out = Vec::new();
                    let split = split.min(data.len());
                    rx.push(&data[..split], &mut out);
                    rx.push(&data[split..], &mut out);
                    rx.finish(&mut out);
                    prop_assert_eq!(rx.samples(), (data.len() / format.bytes_per_sample()) as u64);
                }
            }
        }
    }
}
