//! The DSP thread's loop body, shared by every backend: IQ bytes through the band's receive
//! chain (the 1090 MHz [`Receiver`] or the 978 MHz [`UatStage`]), decoded, paced to the
//! stream's real time, and handed to the core as a [`Block`] on a bounded channel.
//!
//! ```text
//!  backend (simulator, replay, radio) ── IQ bytes ──→ Pipeline::process
//!      → Receiver (demod + CRC) → decode  (1090)        ─┐
//!      → UatStage (demod + RS) → decode, FIS-B (978)    ─┴→ Block ──→ core
//! ```

use super::block::{Block, Heard, Timing};
use super::status::SourceStatus;
use super::uat::UatStage;
use super::vhf::{VhfHeard, VhfStage};
use crate::config::VhfPlan;
use dsp::decode::decode;
use dsp::{Frame, Receiver, RepairConfig, SampleRate};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Seconds of IQ handled per step (and so the pipeline's latency floor).
pub const BLOCK_S: f64 = 0.05;

/// Which receive chain a source needs: its band's, with what the band needs to know.
#[derive(Clone, Debug)]
pub enum ChainSpec {
    Modes(SampleRate),
    Uat,
    Vhf(VhfPlan),
}

/// The receive chain of a band.
enum Chain {
    Modes(Box<Receiver>),
    Uat(Box<UatStage>),
    Vhf(Box<VhfStage>),
}

impl Chain {
    /// The chain; an error only for a VHF plan the channelizer cannot serve.
    fn new(status: &SourceStatus, spec: &ChainSpec) -> Result<Chain, String> {
        Ok(match spec {
            ChainSpec::Modes(rate) => Chain::Modes(Box::new(Receiver::new(
                status.format,
                *rate,
                RepairConfig::default(),
            ))),
            ChainSpec::Uat => Chain::Uat(Box::new(UatStage::new(status.format))),
            ChainSpec::Vhf(plan) => Chain::Vhf(Box::new(VhfStage::new(status.format, plan)?)),
        })
    }
}

/// Checks that a chain can be built (before any thread starts).
pub fn check_chain(status: &SourceStatus, spec: &ChainSpec) -> Result<(), String> {
    Chain::new(status, spec).map(|_| ())
}

/// The receive chain plus pacing.
pub struct Pipeline<'a> {
    pub(super) status: &'a SourceStatus,
    index: usize,
    timing: Timing,
    spec: ChainSpec,
    chain: Chain,
    tx: mpsc::Sender<Block>,
    pub(super) stop: Arc<AtomicBool>,
    frames: Vec<Frame>,
    pub(super) samples: u64,
    /// Stream time of sample 0.
    base_s: f64,
    started: Instant,
}

impl<'a> Pipeline<'a> {
    pub fn new(
        status: &'a SourceStatus,
        index: usize,
        timing: Timing,
        spec: ChainSpec,
        tx: mpsc::Sender<Block>,
        stop: Arc<AtomicBool>,
    ) -> Result<Self, String> {
        Ok(Self {
            status,
            index,
            timing,
            chain: Chain::new(status, &spec)?,
            spec,
            tx,
            stop,
            frames: Vec::new(),
            samples: 0,
            base_s: 0.0,
            started: Instant::now(),
        })
    }

    /// Samples in one step.
    pub fn block_samples(&self) -> usize {
        (self.status.rate_hz * BLOCK_S) as usize
    }

    /// Stream time at the end of what was processed so far.
    pub fn stream_s(&self) -> f64 {
        self.base_s + self.samples as f64 / self.status.rate_hz
    }

    /// True once the daemon is stopping or the core is gone.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.tx.is_closed()
    }

    /// Runs `bytes` through the chain and hands the messages on, after waiting until the
    /// block's last sample is due (stream time at `speed` × real time; `f64::INFINITY` for a
    /// radio, which is paced by the air). `last` flushes the chain and marks the source's end.
    /// Returns false when the daemon is stopping.
    pub fn process(&mut self, bytes: &[u8], last: bool, speed: f64) -> bool {
        #[cfg(test)]
        fault::check(self.status.band);
        let n = (bytes.len() / self.status.format.bytes_per_sample()) as u64;
        let mut block = Block::new(
            Some(self.index),
            self.timing,
            self.base_s + (self.samples + n) as f64 / self.status.rate_hz,
        );
        block.end = last;
        let frames = match &mut self.chain {
            Chain::Modes(rx) => {
                rx.push(bytes, &mut self.frames);
                if last {
                    rx.finish(&mut self.frames);
                }
                self.frames.len()
            }
            Chain::Uat(stage) => stage.push(
                bytes,
                last,
                self.base_s,
                &mut block.uat,
                &mut block.uat_frames,
            ),
            Chain::Vhf(stage) => {
                let mut heard = VhfHeard::default();
                let n = stage.push(bytes, last, self.base_s, &mut heard);
                block.acars = heard.acars;
                block.vdl2 = heard.vdl2;
                block.voice = heard.voice;
                block.voice_levels = heard.levels;
                n
            }
        };
        self.samples += n;
        self.status.samples.fetch_add(n, Ordering::Relaxed);
        self.status
            .frames
            .fetch_add(frames as u64, Ordering::Relaxed);
        let due = self.started + Duration::from_secs_f64((self.stream_s() - self.base_s) / speed);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let rate = self.status.rate_hz;
        let base_s = self.base_s;
        block.heard = self
            .frames
            .drain(..)
            .map(|frame| Heard {
                message: decode(&frame),
                t: base_s + frame.sample / rate,
                frame,
            })
            .collect();
        !self.stop.load(Ordering::Relaxed) && self.tx.blocking_send(block).is_ok()
    }

    /// A fresh chain whose sample 0 is at stream time `base_s` (a reopened radio).
    pub fn restart(&mut self, base_s: f64) {
        // The spec was built once already, so building it again cannot fail; keep the old
        // chain if it somehow does.
        if let Ok(chain) = Chain::new(self.status, &self.spec) {
            self.chain = chain;
        }
        self.frames.clear();
        self.samples = 0;
        self.base_s = base_s;
        self.started = Instant::now();
    }
}

/// Fault injection, compiled only in the crate's own tests: makes a band's DSP panic.
#[cfg(test)]
pub(crate) mod fault {
    use crate::config::Band;
    use std::sync::Mutex;

    /// Bands armed to panic, with the blocks each processes first.
    static ARMED: Mutex<Vec<(Band, u32)>> = Mutex::new(Vec::new());

    /// The `band`'s pipeline panics once, after `blocks` more blocks.
    pub fn arm(band: Band, blocks: u32) {
        ARMED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((band, blocks));
    }

    pub(super) fn check(band: Band) {
        let mut armed = ARMED.lock().unwrap_or_else(|e| e.into_inner());
        let Some(i) = armed.iter().position(|(b, _)| *b == band) else {
            return;
        };
        if armed[i].1 == 0 {
            armed.remove(i);
            drop(armed);
            panic!("injected fault in the {band} band");
        }
        armed[i].1 -= 1;
    }
}
