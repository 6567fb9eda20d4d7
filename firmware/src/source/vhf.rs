//! The VHF decoder stage: the wideband stream through one channelizer for every channel, each
//! channel through its kind's receiver (ACARS, VDL2 or voice).
//!
//! ```text
//!  IQ bytes → complex → Channelizer ─┬→ 131.550 MHz → AcarsReceiver → AcarsHeard
//!                                    ├→ 136.975 MHz → Vdl2Receiver → frames → Vdl2Heard
//!                                    ├→ 127.105     → AmReceiver → VoiceHeard (+ live audio)
//!                                    └→ …
//! ```

use super::block::{AcarsHeard, Vdl2Heard, VoiceHeard, VoiceLevel};
use crate::config::{ChannelKind, PlannedChannel, Squelch, VhfPlan};
use dsp::vhf::acars::{self, AcarsReceiver};
use dsp::vhf::am::{self, AmReceiver, SquelchMode};
use dsp::vhf::vdl2::{self, Frame, Vdl2Receiver};
use dsp::vhf::{ChannelSpec, Channelizer};
use dsp::IqFormat;
use num_complex::Complex32;

enum Receiver {
    Acars(AcarsReceiver),
    Vdl2(Box<Vdl2Receiver>),
    Am(Box<AmReceiver>),
}

/// How far a voice carrier may sit off its channel's centre (Hz): 5 ppm at 137 MHz, with room.
const VOICE_SEARCH_HZ: f64 = 1_000.0;

struct Channel {
    label_mhz: f64,
    name: Option<std::sync::Arc<str>>,
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
    voice: Vec<am::Transmission>,
}

/// What one push heard.
#[derive(Debug, Default)]
pub struct VhfHeard {
    pub acars: Vec<AcarsHeard>,
    pub vdl2: Vec<Vdl2Heard>,
    pub voice: Vec<VoiceHeard>,
    /// Each voice channel's squelch and level at the end of the push.
    pub levels: Vec<VoiceLevel>,
}

impl VhfHeard {
    pub fn len(&self) -> usize {
        self.acars.len() + self.vdl2.len() + self.voice.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the channelizer must make of a channel of this kind at this input rate (the plan
/// was checked: a VDL2 channel's rate suits it).
pub fn channel_spec(
    c: &PlannedChannel,
    centre_hz: f64,
    rate_hz: f64,
) -> Result<ChannelSpec, String> {
    let offset_hz = c.frequency_hz - centre_hz;
    match c.kind {
        ChannelKind::Acars => Ok(acars::channel(offset_hz, rate_hz)),
        ChannelKind::Vdl2 => vdl2::channel(offset_hz, rate_hz).map_err(|e| e.to_string()),
        ChannelKind::Am => Ok(am::channel(offset_hz, rate_hz, c.width_hz)),
    }
}

fn squelch_mode(s: Squelch) -> SquelchMode {
    match s {
        Squelch::Auto => SquelchMode::Auto,
        Squelch::Open => SquelchMode::Open,
        Squelch::Closed => SquelchMode::Closed,
        Squelch::Threshold(db) => SquelchMode::Threshold(db),
    }
}

impl VhfStage {
    /// A stage for a checked plan; the error says why the channelizer cannot serve it.
    pub fn new(format: IqFormat, plan: &VhfPlan) -> Result<Self, String> {
        let specs = plan
            .channels
            .iter()
            .map(|c| channel_spec(c, plan.centre_hz, plan.rate_hz))
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
                    label_mhz: c.label_mhz,
                    name: c.name.as_deref().map(std::sync::Arc::from),
                    frequency_hz: c.frequency_hz,
                    rate,
                    receiver: match c.kind {
                        ChannelKind::Acars => Receiver::Acars(AcarsReceiver::new(rate)),
                        ChannelKind::Vdl2 => Receiver::Vdl2(Box::new(Vdl2Receiver::new())),
                        ChannelKind::Am => {
                            let mut rx = AmReceiver::new(
                                rate,
                                VOICE_SEARCH_HZ,
                                am::pass_hz(c.width_hz),
                                squelch_mode(c.squelch),
                            );
                            rx.set_live(true);
                            Receiver::Am(Box::new(rx))
                        }
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
            voice: Vec::new(),
        })
    }

    /// Runs `bytes` (and, if `last`, what the receivers still hold) through the channels;
    /// appends what was heard to `out`, with stream times from `base_s` (the stream's sample
    /// 0). Returns the number of ACARS blocks, VDL2 frames and transmissions.
    pub fn push(&mut self, bytes: &[u8], last: bool, base_s: f64, out: &mut VhfHeard) -> usize {
        self.channelizer
            .push_iq(self.format, bytes, &mut self.outputs);
        let before = out.len();
        let VhfHeard {
            acars: acars_out,
            vdl2: vdl2_out,
            voice: voice_out,
            levels,
        } = out;
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
                Receiver::Am(rx) => {
                    let report = rx.push(samples, &mut self.voice);
                    let mut live = Vec::new();
                    rx.take_live(&mut live);
                    if last {
                        rx.finish(&mut self.voice);
                    }
                    levels.push(VoiceLevel {
                        channel: i,
                        label_mhz: ch.label_mhz,
                        name: ch.name.clone(),
                        open: rx.is_open(),
                        snr_db: report.map_or(0.0, |r| r.snr_db),
                        floor_db: rx.squelch().floor_db(),
                        live,
                    });
                    for t in self.voice.drain(..) {
                        voice_out.push(VoiceHeard {
                            channel: i,
                            label_mhz: ch.label_mhz,
                            name: ch.name.clone(),
                            frequency_hz: ch.frequency_hz,
                            t: base_s + t.start as f64 / ch.rate,
                            end_t: base_s + t.end as f64 / ch.rate,
                            snr_db: t.snr_db,
                            floor_db: t.floor_db,
                            audio: t.audio.into(),
                        });
                    }
                }
            }
            samples.clear();
        }
        out.len() - before
    }
}
