//! The VHF decoder stage: the wideband stream through one channelizer for every channel, each
//! channel through its kind's receiver (ACARS today).
//!
//! ```text
//!  IQ bytes → complex → Channelizer ─┬→ 131.550 MHz → AcarsReceiver → AcarsHeard
//!                                    ├→ 130.025 MHz → AcarsReceiver → AcarsHeard
//!                                    └→ …
//! ```

use super::block::AcarsHeard;
use crate::config::{ChannelKind, VhfPlan};
use dsp::vhf::acars::{self, AcarsReceiver};
use dsp::vhf::{ChannelSpec, Channelizer};
use dsp::IqFormat;
use num_complex::Complex32;

struct Channel {
    frequency_hz: f64,
    rate: f64,
    acars: AcarsReceiver,
}

pub struct VhfStage {
    format: IqFormat,
    channelizer: Channelizer,
    channels: Vec<Channel>,
    outputs: Vec<Vec<Complex32>>,
    decoded: Vec<acars::Decoded>,
}

/// What the channelizer must make of a channel of this kind at this input rate.
pub fn channel_spec(kind: ChannelKind, offset_hz: f64, rate_hz: f64) -> ChannelSpec {
    match kind {
        ChannelKind::Acars => acars::channel(offset_hz, rate_hz),
    }
}

impl VhfStage {
    /// A stage for a checked plan; the error says why the channelizer cannot serve it.
    pub fn new(format: IqFormat, plan: &VhfPlan) -> Result<Self, String> {
        let specs: Vec<ChannelSpec> = plan
            .channels
            .iter()
            .map(|c| channel_spec(c.kind, c.frequency * 1e6 - plan.centre_hz, plan.rate_hz))
            .collect();
        let channelizer =
            Channelizer::new(plan.rate_hz, &specs).map_err(|e| format!("VHF channels: {e}"))?;
        let channels = plan
            .channels
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let rate = channelizer.output_rate(i);
                Channel {
                    frequency_hz: c.frequency * 1e6,
                    rate,
                    acars: AcarsReceiver::new(rate),
                }
            })
            .collect();
        Ok(Self {
            format,
            channelizer,
            outputs: vec![Vec::new(); specs.len()],
            channels,
            decoded: Vec::new(),
        })
    }

    /// Runs `bytes` (and, if `last`, what the receivers still hold) through the channels;
    /// appends what was heard, with stream times from `base_s` (the stream's sample 0).
    /// Returns the number of blocks.
    pub fn push(
        &mut self,
        bytes: &[u8],
        last: bool,
        base_s: f64,
        out: &mut Vec<AcarsHeard>,
    ) -> usize {
        self.channelizer
            .push_iq(self.format, bytes, &mut self.outputs);
        let before = out.len();
        for (i, (ch, samples)) in self.channels.iter_mut().zip(&mut self.outputs).enumerate() {
            ch.acars.push(samples, &mut self.decoded);
            samples.clear();
            if last {
                ch.acars.finish(&mut self.decoded);
            }
            for d in self.decoded.drain(..) {
                out.push(AcarsHeard {
                    channel: i,
                    frequency_hz: ch.frequency_hz,
                    t: base_s + d.start as f64 / ch.rate,
                    level_db: d.level_db,
                    noise_db: d.noise_db,
                    block: d.block,
                });
            }
        }
        out.len() - before
    }
}
