//! AM voice test signals: a transmitter's carrier modulated by audio, on a 25 kHz or 8.33 kHz
//! channel, with the truth of every transmission (start, end, the clean audio).
//!
//! ```text
//!  audio (8 kHz) → interpolated to the stream's rate → carrier × (1 + m · audio), 5 ms key-up
//!  and key-down ramps, the transmitter's carrier offset → the channel's place in the band
//! ```
//!
//! SNR is carrier power over noise power in the channel's spacing (8.33 or 25 kHz), the
//! measure voice receivers are compared by. [`babble`] makes speech-like audio for tests
//! that need no words: voiced syllables (a pitch with its harmonics through two formants)
//! and fricatives (shaped noise) at a talker's syllable rate.

use num_complex::Complex32;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::f64::consts::{PI, TAU};
use std::sync::Arc;

/// Key-up and key-down ramps (s).
const RAMP_S: f64 = 0.005;
/// The audio's interpolation: a Kaiser-windowed sinc (cut-off 3.5 kHz, 32 taps, β = 9) in
/// 256 phases, so the 8 kHz audio's images (which a linear interpolation leaves only 25 dB
/// down, where they land in the next 8.33 kHz channel) are more than 80 dB down.
const TAPS: usize = 32;
const PHASES: usize = 256;

fn kernel() -> &'static [[f32; TAPS]] {
    static K: std::sync::OnceLock<Vec<[f32; TAPS]>> = std::sync::OnceLock::new();
    K.get_or_init(|| {
        let fc = 3_500.0 / 8_000.0;
        let beta: f64 = 9.0;
        let i0 = |x: f64| {
            let (mut sum, mut term, mut k) = (1.0, 1.0, 1.0);
            while term > 1e-12 * sum {
                term *= (x / (2.0 * k)).powi(2);
                sum += term;
                k += 1.0;
            }
            sum
        };
        (0..PHASES)
            .map(|p| {
                let frac = p as f64 / PHASES as f64;
                let mut row = [0.0f32; TAPS];
                for (j, r) in row.iter_mut().enumerate() {
                    // Tap j multiplies audio[i - TAPS/2 + 1 + j] for position i + frac.
                    let x = (j as f64 - (TAPS / 2 - 1) as f64) - frac;
                    let sinc = if x.abs() < 1e-9 {
                        1.0
                    } else {
                        (PI * 2.0 * fc * x).sin() / (PI * 2.0 * fc * x)
                    };
                    let u = x / (TAPS as f64 / 2.0);
                    let w = if u.abs() >= 1.0 {
                        0.0
                    } else {
                        i0(beta * (1.0 - u * u).sqrt()) / i0(beta)
                    };
                    *r = (2.0 * fc * sinc * w) as f32;
                }
                row
            })
            .collect()
    })
}

/// One transmission.
#[derive(Clone, Debug, PartialEq)]
pub struct AmBurst {
    /// Clean audio at 8 kHz, full scale ±1.
    pub audio: Arc<Vec<f32>>,
    /// Centre of the channel relative to the centre of the sampled band (Hz), and its spacing.
    pub channel_hz: f64,
    pub width_hz: f64,
    /// When the carrier comes up (s from the start of the stream).
    pub start_s: f64,
    /// Carrier power over noise power in the channel's spacing (dB).
    pub snr_db: f64,
    pub carrier_offset_hz: f64,
    /// Modulation depth at the audio's full scale.
    pub depth: f64,
}

impl AmBurst {
    /// The audio at a fractional 8 kHz sample position.
    fn audio_at(&self, pos: f64) -> f32 {
        let i = pos.floor() as i64;
        let phase = (((pos - i as f64) * PHASES as f64) as usize).min(PHASES - 1);
        let row = &kernel()[phase];
        let mut acc = 0.0f32;
        for (j, &h) in row.iter().enumerate() {
            let k = i - (TAPS / 2 - 1) as i64 + j as i64;
            if let Some(&v) = usize::try_from(k).ok().and_then(|k| self.audio.get(k)) {
                acc += h * v;
            }
        }
        acc
    }

    pub fn duration_s(&self) -> f64 {
        self.audio.len() as f64 / 8_000.0 + 2.0 * RAMP_S
    }

    /// Adds the transmission to `out`, a stream at `rate` whose first sample is `first`, with
    /// complex noise of `noise_power` in the whole band.
    pub fn render(&self, rate: f64, noise_power: f64, first: u64, out: &mut [Complex32]) {
        let carrier = (noise_power * self.width_hz / rate * 10f64.powf(self.snr_db / 10.0)).sqrt();
        let first_s = first as f64 / rate;
        let end = self.start_s + self.duration_s();
        let n0 = ((self.start_s - first_s) * rate).floor().max(0.0) as usize;
        let n1 = (((end - first_s) * rate).ceil().max(0.0) as usize).min(out.len());
        let phase0 = self.start_s * 3.7;
        for (n, slot) in out.iter_mut().enumerate().take(n1).skip(n0) {
            let t = first_s + n as f64 / rate;
            let since = t - self.start_s;
            if since < 0.0 || t > end {
                continue;
            }
            let envelope = if since < RAMP_S {
                0.5 - 0.5 * (PI * since / RAMP_S).cos()
            } else if t > end - RAMP_S {
                0.5 - 0.5 * (PI * (end - t) / RAMP_S).cos()
            } else {
                1.0
            };
            let a = self.audio_at((since - RAMP_S).max(0.0) * 8_000.0);
            let amp = carrier * envelope * (1.0 + self.depth * f64::from(a));
            let ph = (TAU * (self.channel_hz + self.carrier_offset_hz) * t + phase0) % TAU;
            *slot += Complex32::from_polar(amp as f32, ph as f32);
        }
    }
}

/// Speech-like audio of `seconds` at 8 kHz, peak near ±1: syllables of a voiced sound (a
/// pitch of 90–220 Hz and its harmonics through two formants) or a fricative (noise above
/// 2 kHz), 80–250 ms each with short pauses, their levels varying as a talker's do.
pub fn babble(seconds: f64, seed: u64) -> Vec<f32> {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0xba_bb1e);
    let n = (seconds * 8_000.0) as usize;
    let mut out = Vec::with_capacity(n);
    let pitch: f64 = rng.random_range(90.0..220.0);
    while out.len() < n {
        let len = (rng.random_range(0.08..0.25) * 8_000.0) as usize;
        let gap = (rng.random_range(0.01..0.08) * 8_000.0) as usize;
        let level = rng.random_range(0.3..1.0);
        let voiced = rng.random_bool(0.75);
        let (f1, f2): (f64, f64) = (
            rng.random_range(300.0..900.0),
            rng.random_range(900.0..2_500.0),
        );
        let f0: f64 = pitch * rng.random_range(0.85..1.2);
        let mut hp = 0.0f64;
        for k in 0..len {
            let t = k as f64 / 8_000.0;
            let env = (PI * k as f64 / len as f64).sin();
            let v = if voiced {
                let mut s = 0.0;
                let mut h = 1.0;
                while h * f0 < 3_400.0 {
                    let f = h * f0;
                    // Two formant resonances' gains.
                    let g = 1.0 / (1.0 + ((f - f1) / 120.0).powi(2))
                        + 0.6 / (1.0 + ((f - f2) / 200.0).powi(2));
                    s += g * (TAU * f * t).sin() / h.sqrt();
                    h += 1.0;
                }
                s * 0.5
            } else {
                // Noise, high-passed (a first difference) for a hiss.
                let w: f64 = rng.random_range(-1.0..1.0);
                let d = w - hp;
                hp = w;
                d * 0.35
            };
            out.push((level * env * v) as f32);
        }
        out.extend(std::iter::repeat_n(0.0, gap));
    }
    out.truncate(n);
    transmitter_filter(&mut out);
    normalise(&mut out);
    out
}

/// A transmitter's audio stops near 2.7 kHz: two second-order low-passes (8 kHz audio).
fn transmitter_filter(out: &mut [f32]) {
    for _ in 0..2 {
        let w = TAU * 2_700.0 / 8_000.0;
        let (s, c) = w.sin_cos();
        let alpha = s / std::f64::consts::SQRT_2;
        let a0 = 1.0 + alpha;
        let b = [(1.0 - c) / 2.0 / a0, (1.0 - c) / a0, (1.0 - c) / 2.0 / a0];
        let a = [-2.0 * c / a0, (1.0 - alpha) / a0];
        let (mut x1, mut x2, mut y1, mut y2) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for v in out.iter_mut() {
            let x = f64::from(*v);
            let y = b[0] * x + b[1] * x1 + b[2] * x2 - a[0] * y1 - a[1] * y2;
            (x2, x1, y2, y1) = (x1, x, y1, y);
            *v = y as f32;
        }
    }
}

/// Peak to ±1.
fn normalise(out: &mut [f32]) {
    let peak = out.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-6);
    for v in out.iter_mut() {
        *v /= peak;
    }
}

/// A transmitter's speech processing, applied to its microphone audio (8 kHz, peak ±1)
/// before it modulates the carrier: airband radios compress and clip speech so that its
/// average modulation stays high (Annex 10 asks for a peak depth of at least 85 %; raw
/// speech, with a crest factor near 17 dB, would leave the average depth under 10 %). A
/// syllabic compressor (4:1 above −20 dB, 3 ms attack, 150 ms release, at most 20 dB of
/// gain), a clipper at full scale, then the transmitter's 2.7 kHz audio filter, which keeps
/// the clipper's harmonics out of the neighbouring 8.33 kHz channel. Returns the audio as
/// transmitted, peak ±1.
pub fn speech_processor(mic: &[f32]) -> Vec<f32> {
    let attack = (-1.0f32 / (0.003 * 8_000.0)).exp();
    let release = (-1.0f32 / (0.150 * 8_000.0)).exp();
    let threshold = 0.1f32;
    let mut env = 0.0f32;
    let mut out: Vec<f32> = mic
        .iter()
        .map(|&x| {
            let a = x.abs();
            let k = if a > env { attack } else { release };
            env = k * env + (1.0 - k) * a;
            // Above the threshold the level grows a quarter as fast; the gain is then
            // scaled so that a full-scale envelope comes out at full scale.
            let level = env.max(1e-6);
            let gain = if level > threshold {
                (threshold / level).powf(0.75) / threshold.powf(0.75)
            } else {
                1.0 / threshold.powf(0.75)
            }
            .min(10.0);
            (x * gain).clamp(-1.0, 1.0)
        })
        .collect();
    transmitter_filter(&mut out);
    normalise(&mut out);
    out
}

/// A voice channel of a band plan: its centre relative to the band's and its spacing (Hz).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VoiceChannel {
    pub offset_hz: f64,
    pub width_hz: f64,
}

/// A transmitter's carrier error: 8.33 kHz radios hold about 1 ppm, 25 kHz ones 5 ppm
/// (Annex 10 Vol. III); at 130 MHz, ±130 Hz and ±650 Hz. Drawn uniformly within half that.
fn carrier_offset(rng: &mut SmallRng, width_hz: f64) -> f64 {
    let limit = if width_hz < 20_000.0 { 65.0 } else { 325.0 };
    rng.random_range(-limit..=limit)
}

/// A measured set of transmissions with exact truth: `count` of them spread over `seconds`
/// on the channels (never two at once on one channel; neighbours overlap freely), phrases
/// taken in turn, SNRs uniform in `snr_db`; plus `interferers` strong carriers (40 dB) on
/// frequencies *between* the channels, which a receiver must not open for.
pub struct VoiceTestSet {
    pub rate: f64,
    pub bursts: Vec<AmBurst>,
    pub interferers: Vec<AmBurst>,
    /// Which phrase each burst says.
    pub phrase: Vec<usize>,
}

impl VoiceTestSet {
    /// `phrases` is the transmitters' audio as they send it (see [`speech_processor`]).
    pub fn new(
        rate: f64,
        channels: &[VoiceChannel],
        phrases: &[Arc<Vec<f32>>],
        count: usize,
        seconds: f64,
        snr_db: (f64, f64),
        seed: u64,
    ) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ 0x0a_u64);
        let mut bursts = Vec::new();
        let mut phrase = Vec::new();
        if channels.is_empty() || phrases.is_empty() {
            return Self {
                rate,
                bursts,
                interferers: Vec::new(),
                phrase,
            };
        }
        // Each channel's transmissions in order, with at least a second between them.
        let mut free_at = vec![0.5; channels.len()];
        let mean_gap = (seconds * channels.len() as f64 / count.max(1) as f64).max(1.5);
        for i in 0..count {
            let c = rng.random_range(0..channels.len());
            let p = i % phrases.len();
            let audio = phrases[p].clone();
            let length = audio.len() as f64 / 8_000.0 + 2.0 * RAMP_S;
            let start = free_at[c] + rng.random_range(0.0..mean_gap);
            if start + length > seconds - 0.5 {
                continue;
            }
            free_at[c] = start + length + 1.0;
            let ch = channels[c];
            bursts.push(AmBurst {
                audio,
                channel_hz: ch.offset_hz,
                width_hz: ch.width_hz,
                start_s: start,
                snr_db: rng.random_range(snr_db.0..=snr_db.1),
                carrier_offset_hz: carrier_offset(&mut rng, ch.width_hz),
                depth: 0.85,
            });
            phrase.push(p);
        }
        bursts.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        // Interferers: half a 25 kHz spacing beside a channel (where no channel of the set is),
        // strong, a few seconds each.
        let mut interferers = Vec::new();
        for k in 0..(seconds / 30.0).ceil() as usize {
            let ch = channels[k % channels.len()];
            let side = if k % 2 == 0 { 1.0 } else { -1.0 };
            let offset_hz = ch.offset_hz + side * 12_500.0;
            // Not nearer any channel than half a 25 kHz spacing.
            if channels
                .iter()
                .any(|o| (o.offset_hz - offset_hz).abs() < 12_000.0)
            {
                continue;
            }
            interferers.push(AmBurst {
                audio: phrases[k % phrases.len()].clone(),
                channel_hz: offset_hz,
                width_hz: 25_000.0,
                start_s: rng.random_range(0.5..(seconds - 4.0).max(1.0)),
                snr_db: 40.0,
                carrier_offset_hz: 0.0,
                depth: 0.85,
            });
        }
        Self {
            rate,
            bursts,
            interferers,
            phrase,
        }
    }

    /// Adds every transmission and interferer overlapping `out` (samples from `first`) to
    /// it, a stream with complex noise of `noise_power` in the whole band.
    pub fn add_into(&self, first: u64, out: &mut [Complex32], noise_power: f64) {
        let (t0, t1) = (
            first as f64 / self.rate,
            (first + out.len() as u64) as f64 / self.rate,
        );
        for b in self.bursts.iter().chain(&self.interferers) {
            if b.start_s < t1 && b.start_s + b.duration_s() > t0 {
                b.render(self.rate, noise_power, first, out);
            }
        }
    }
}

/// Live voice traffic for the daemon's simulator: each channel carries a transmission every
/// `every_s` on average (never two at once), phrases in turn, at an SNR uniform in 6–30 dB.
pub struct VoiceTraffic {
    rate: f64,
    channels: Vec<VoiceChannel>,
    phrases: Vec<Arc<Vec<f32>>>,
    next_s: Vec<f64>,
    every_s: f64,
    noise_power: f64,
    rng: SmallRng,
    active: Vec<AmBurst>,
    next_sample: u64,
    turn: usize,
}

impl VoiceTraffic {
    pub fn new(
        rate: f64,
        channels: Vec<VoiceChannel>,
        phrases: Vec<Arc<Vec<f32>>>,
        every_s: f64,
        noise_power: f64,
        seed: u64,
    ) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ 0x0f01ce);
        let every_s = every_s.max(2.0);
        let next_s = channels
            .iter()
            .map(|_| rng.random_range(1.0..every_s))
            .collect();
        Self {
            rate,
            channels,
            phrases,
            next_s,
            every_s,
            noise_power,
            rng,
            active: Vec::new(),
            next_sample: 0,
            turn: 0,
        }
    }

    /// Adds the next `out.len()` samples' transmissions to `out`; appends those that begin.
    pub fn add_into(&mut self, out: &mut [Complex32], sent: &mut Vec<AmBurst>) {
        let n = out.len();
        let (t0, t1) = (
            self.next_sample as f64 / self.rate,
            (self.next_sample + n as u64) as f64 / self.rate,
        );
        if !self.phrases.is_empty() {
            for (c, ch) in self.channels.iter().enumerate() {
                if self.next_s[c] >= t1 {
                    continue;
                }
                let audio = self.phrases[self.turn % self.phrases.len()].clone();
                self.turn += 1;
                let burst = AmBurst {
                    audio,
                    channel_hz: ch.offset_hz,
                    width_hz: ch.width_hz,
                    start_s: self.next_s[c].max(t0),
                    snr_db: self.rng.random_range(6.0..=30.0),
                    carrier_offset_hz: carrier_offset(&mut self.rng, ch.width_hz),
                    depth: 0.85,
                };
                // Exponential gaps after the transmission ends.
                let u: f64 = self.rng.random_range(1e-6..1.0);
                self.next_s[c] = burst.start_s + burst.duration_s() + 1.0 - self.every_s * u.ln();
                sent.push(burst.clone());
                self.active.push(burst);
            }
        }
        for b in &self.active {
            b.render(self.rate, self.noise_power, self.next_sample, out);
        }
        self.active.retain(|b| b.start_s + b.duration_s() > t1);
        self.next_sample += n as u64;
    }
}
