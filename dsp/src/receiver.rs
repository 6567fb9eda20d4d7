//! A receiver for one 1090 MHz stream: the stages of this crate wired together, with the
//! state a stream needs (the unconsumed magnitude tail, a partial sample, the address filter)
//! held in plain view rather than hidden inside a stage.

use crate::convert::{magnitude, MagnitudeLut};
use crate::demod::Demodulator;
use crate::filter::AddressFilter;
use crate::frame::{Frame, FrameChecker, RepairConfig};
use crate::iq::{IqBlock, IqFormat, SampleRate};

pub struct Receiver {
    format: IqFormat,
    lut: MagnitudeLut,
    demod: Demodulator,
    pub filter: AddressFilter,
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
        self.run(out);
    }

    /// Flushes the tail at the end of a stream (as if followed by silence).
    pub fn finish(&mut self, out: &mut Vec<Frame>) {
        let pad = self.demod.window() + 2;
        self.mag.resize(self.mag.len() + pad, 0);
        self.run(out);
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

    fn run(&mut self, out: &mut Vec<Frame>) {
        let consumed = self
            .demod
            .demodulate(&self.mag, self.mag_start, &mut self.filter, out);
        self.mag.drain(..consumed);
        self.mag_start += consumed as u64;
    }
}
