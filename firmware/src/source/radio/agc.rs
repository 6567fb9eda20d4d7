//! Automatic gain for an RTL-SDR: the most common reason a receiver hears less than it could is
//! a wrong gain — too high and strong nearby aircraft clip the 8-bit ADC (their replies turn
//! to garbage), too low and weak ones sink under the quantisation step.
//!
//! The rule, judged over windows of [`WINDOW_S`] seconds of samples:
//! - **down one step** when more than [`CLIP_LIMIT`] of the samples are at the ADC's rails
//!   (0 or 255 on either axis), or the noise floor is above [`NOISE_HIGH_DBFS`];
//! - **up one step** when nothing clipped and the noise floor is below [`NOISE_LOW_DBFS`]
//!   (the noise then spans too few ADC steps for weak signals to stand out);
//! - otherwise stay. The noise floor is the median of the window's 1 ms block powers, so
//!   replies (a few percent of the time) do not move it.
//!
//! Pure logic on cu8 bytes: the radio backend asks it what to do after each read.

/// Seconds of samples per decision.
pub const WINDOW_S: f64 = 2.0;
/// Fraction of samples at the rails above which the gain comes down.
pub const CLIP_LIMIT: f64 = 1e-5;
/// Noise floor band the gain aims for (power relative to full scale, dBFS).
pub const NOISE_LOW_DBFS: f64 = -36.0;
pub const NOISE_HIGH_DBFS: f64 = -22.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Down,
    Up,
}

pub struct Agc {
    /// Samples per second (to size the window and the noise blocks).
    rate: f64,
    samples: u64,
    clipped: u64,
    block: (f64, u32),
    block_powers: Vec<f32>,
}

impl Agc {
    pub fn new(rate_hz: f64) -> Self {
        Self {
            rate: rate_hz,
            samples: 0,
            clipped: 0,
            block: (0.0, 0),
            block_powers: Vec::new(),
        }
    }

    /// Takes cu8 IQ; at the end of each window returns the step to take, if any.
    pub fn observe(&mut self, iq: &[u8]) -> Option<Step> {
        let block_len = (self.rate / 1000.0).max(1.0) as u32;
        let mut decision = None;
        for s in iq.chunks_exact(2) {
            if matches!(s[0], 0 | 255) || matches!(s[1], 0 | 255) {
                self.clipped += 1;
            }
            let (i, q) = (f64::from(s[0]) - 127.5, f64::from(s[1]) - 127.5);
            self.block.0 += i * i + q * q;
            self.block.1 += 1;
            if self.block.1 == block_len {
                let p = self.block.0 / f64::from(block_len) / (127.5 * 127.5);
                self.block_powers.push(p as f32);
                self.block = (0.0, 0);
            }
            self.samples += 1;
            if self.samples as f64 >= self.rate * WINDOW_S {
                decision = self.decide();
            }
        }
        decision
    }

    fn decide(&mut self) -> Option<Step> {
        let clip = self.clipped as f64 / self.samples.max(1) as f64;
        let mut powers = std::mem::take(&mut self.block_powers);
        powers.sort_by(f32::total_cmp);
        let noise = powers
            .get(powers.len() / 2)
            .map_or(f64::NEG_INFINITY, |&p| {
                10.0 * f64::from(p.max(1e-12)).log10()
            });
        self.samples = 0;
        self.clipped = 0;
        powers.clear();
        self.block_powers = powers;
        if clip > CLIP_LIMIT || noise > NOISE_HIGH_DBFS {
            Some(Step::Down)
        } else if clip == 0.0 && noise < NOISE_LOW_DBFS {
            Some(Step::Up)
        } else {
            None
        }
    }
}

/// A gain table walked one step at a time (tenths of dB, as the tuner reports them).
pub struct GainLadder {
    gains: Vec<i32>,
    index: usize,
}

impl GainLadder {
    /// Starts at the table entry nearest `start` (tenths of dB); `None` for an empty table.
    pub fn new(mut gains: Vec<i32>, start: i32) -> Option<Self> {
        gains.sort_unstable();
        gains.dedup();
        let index = (0..gains.len()).min_by_key(|&i| (gains[i] - start).abs())?;
        Some(Self { gains, index })
    }

    pub fn current(&self) -> i32 {
        self.gains[self.index]
    }

    /// Moves one step; returns the new gain, or `None` at the end of the table.
    pub fn step(&mut self, step: Step) -> Option<i32> {
        let next = match step {
            Step::Down => self.index.checked_sub(1)?,
            Step::Up => (self.index + 1 < self.gains.len()).then_some(self.index + 1)?,
        };
        self.index = next;
        Some(self.current())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsp::cpr::Position;
    use dsp::gen::{TrafficConfig, TrafficSim};
    use dsp::SampleRate;

    /// Simulated traffic with its noise at `noise_dbfs` and replies up to 30 dB above it: the
    /// IQ a dongle gives at some gain setting.
    fn iq_at(noise_dbfs: f64, seconds: f64) -> Vec<u8> {
        let mut cfg = TrafficConfig::new(
            SampleRate::Msps2_4,
            Position {
                lat: 52.0,
                lon: 4.0,
            },
            60,
            3,
        );
        cfg.noise_dbfs = noise_dbfs;
        let mut sim = TrafficSim::new(cfg);
        let (mut iq, mut sent) = (Vec::new(), Vec::new());
        sim.next_block((2.4e6 * seconds) as usize, &mut iq, &mut sent);
        iq
    }

    fn decide(noise_dbfs: f64) -> Option<Step> {
        let mut agc = Agc::new(2.4e6);
        agc.observe(&iq_at(noise_dbfs, WINDOW_S))
    }

    #[test]
    fn gain_goes_down_when_strong_replies_clip() {
        // Noise at −12 dBFS: replies 6–30 dB above it hit the rails.
        assert_eq!(decide(-12.0), Some(Step::Down));
    }

    #[test]
    fn gain_goes_up_when_the_noise_is_lost_in_quantisation() {
        // Noise at −45 dBFS is about one ADC step: weak replies vanish.
        assert_eq!(decide(-45.0), Some(Step::Up));
    }

    #[test]
    fn gain_stays_in_the_band() {
        // Noise at −34 dBFS: the strongest replies (30 dB above) peak at −4 dBFS, unclipped.
        assert_eq!(decide(-34.0), None);
    }

    #[test]
    fn no_decision_before_a_window_is_full() {
        let mut agc = Agc::new(2.4e6);
        assert_eq!(agc.observe(&iq_at(-12.0, WINDOW_S * 0.9)), None);
    }

    #[test]
    fn the_ladder_walks_the_table_and_stops_at_its_ends() {
        let mut l = GainLadder::new(vec![0, 9, 14, 27, 496, 480], 490).expect("gains");
        assert_eq!(l.current(), 496);
        assert_eq!(l.step(Step::Up), None);
        assert_eq!(l.step(Step::Down), Some(480));
        for _ in 0..4 {
            l.step(Step::Down);
        }
        assert_eq!((l.current(), l.step(Step::Down)), (0, None));
        assert!(GainLadder::new(Vec::new(), 0).is_none());
    }
}
