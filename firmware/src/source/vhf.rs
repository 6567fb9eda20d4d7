//! The VHF decoder stage: the wideband stream through one channelizer for every channel, each
//! channel through its kind's receiver (ACARS or VDL2).
//!
//! ```text
//!  IQ bytes → complex → Channelizer ─┬→ 131.550 MHz → AcarsReceiver → AcarsHeard
//!                                    ├→ 136.975 MHz → Vdl2Receiver → frames → Vdl2Heard
//!                                    └→ …
//! ```

use super::block::{AcarsHeard, Vdl2Heard};
use crate::config::{ChannelKind, VhfPlan};
use dsp::vhf::acars::{self, AcarsReceiver};
use dsp::vhf::vdl2::{self, Frame, Vdl2Receiver};
use dsp::vhf::{ChannelSpec, Channelizer};
use dsp::IqFormat;
use num_complex::Complex32;

enum Receiver {
    Acars(AcarsReceiver),
    Vdl2(Box<Vdl2Receiver>),
}

struct Channel {
    frequency_hz: f64,
    rate: f64,
    receiver: Receiver,
}

pub struct VhfStage {
    format: IqFormat,
    channelizer: Channelizer,
    channels: Vec<Channel>,
    outputs: Vec<Vec<Complex32>>,
    decoded: Vec<acars::Decoded>,
    bursts: Vec<vdl2::Received>,
}

/// What the channelizer must make of a channel of this kind at this input rate (the plan
/// was checked: a VDL2 channel's rate suits it).
pub fn channel_spec(
    kind: ChannelKind,
    offset_hz: f64,
    rate_hz: f64,
) -> Result<ChannelSpec, String> {
    match kind {
        ChannelKind::Acars => Ok(acars::channel(offset_hz, rate_hz)),
        ChannelKind::Vdl2 => vdl2::channel(offset_hz, rate_hz).map_err(|e| e.to_string()),
    }
}

impl VhfStage {
    /// A stage for a checked plan; the error says why the channelizer cannot serve it.
    pub fn new(format: IqFormat, plan: &VhfPlan) -> Result<Self, String> {
        let specs = plan
            .channels
            .iter()
            .map(|c| channel_spec(c.kind, c.frequency * 1e6 - plan.centre_hz, plan.rate_hz))
            .collect::<Result<Vec<ChannelSpec>, String>>()?;
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
                    receiver: match c.kind {
                        ChannelKind::Acars => Receiver::Acars(AcarsReceiver::new(rate)),
                        ChannelKind::Vdl2 => Receiver::Vdl2(Box::new(Vdl2Receiver::new())),
                    },
                }
            })
            .collect();
        Ok(Self {
            format,
            channelizer,
            outputs: vec![Vec::new(); specs.len()],
            channels,
            decoded: Vec::new(),
            bursts: Vec::new(),
        })
    }

    /// Runs `bytes` (and, if `last`, what the receivers still hold) through the channels;
    /// appends what was heard, with stream times from `base_s` (the stream's sample 0).
    /// Returns the number of ACARS blocks and VDL2 frames.
    pub fn push(
        &mut self,
        bytes: &[u8],
        last: bool,
        base_s: f64,
        acars_out: &mut Vec<AcarsHeard>,
        vdl2_out: &mut Vec<Vdl2Heard>,
    ) -> usize {
        self.channelizer
            .push_iq(self.format, bytes, &mut self.outputs);
        let before = acars_out.len() + vdl2_out.len();
        for (i, (ch, samples)) in self.channels.iter_mut().zip(&mut self.outputs).enumerate() {
            match &mut ch.receiver {
                Receiver::Acars(rx) => {
                    rx.push(samples, &mut self.decoded);
                    if last {
                        rx.finish(&mut self.decoded);
                    }
                    for d in self.decoded.drain(..) {
                        acars_out.push(AcarsHeard {
                            channel: i,
                            frequency_hz: ch.frequency_hz,
                            t: base_s + d.start as f64 / ch.rate,
                            level_db: d.level_db,
                            noise_db: d.noise_db,
                            block: d.block,
                        });
                    }
                }
                Receiver::Vdl2(rx) => {
                    rx.push(samples, &mut self.bursts);
                    if last {
                        rx.finish(&mut self.bursts);
                    }
                    for b in self.bursts.drain(..) {
                        let skew = f64::from(b.freq_hz) / ch.frequency_hz * 1e6;
                        for (idx, octets) in b.burst.frames.iter().enumerate() {
                            let Some(frame) = Frame::parse(octets) else {
                                continue;
                            };
                            vdl2_out.push(Vdl2Heard {
                                channel: i,
                                frequency_hz: ch.frequency_hz,
                                t: base_s + b.start as f64 / ch.rate,
                                level_db: b.level_db,
                                noise_db: b.noise_db,
                                freq_skew_ppm: skew as f32,
                                burst_len_octets: b.burst.length_octets,
                                hdr_bits_fixed: b.burst.header.corrected,
                                octets_corrected: b.burst.corrected,
                                idx,
                                frame,
                            });
                        }
                    }
                }
            }
            samples.clear();
        }
        acars_out.len() + vdl2_out.len() - before
    }
}
