//! From one voice channel's complex baseband to transmissions.
//!
//! ```text
//!  samples ─ frames of 512, half overlapping → squelch (carrier in a narrow bin)
//!    while open: mix the carrier to 0 Hz (its frequency from the bin, then a phase-locked
//!    loop), audio = (Re − A) / A with A the carrier's amplitude (so the level is the
//!    modulation depth: the AGC), resampled to 8 kHz, 300–3,000 Hz
//!  squelch closes → a transmission: first carrier frame to last, its audio
//! ```
//!
//! Why coherent: with the carrier's phase known, the audio is the in-phase part alone, and
//! the quadrature noise — half of it — never reaches the ear; an envelope detector adds it,
//! and below about 6 dB its noise is no longer additive (the threshold effect).

use super::squelch::{FrameReport, Squelch, SquelchMode, FRAME, HOP};
use super::AUDIO_RATE;
use num_complex::Complex32;
use std::f64::consts::TAU;

/// The longest transmission kept in one piece (s); a longer one is cut.
pub const MAX_S: f64 = 60.0;
/// How fast the carrier's amplitude estimate follows, per sample, once settled.
const AMPLITUDE_RATE: f32 = 0.001;
/// Audio full scale for a modulation depth of 1 (leaves headroom for overmodulation).
const FULL_SCALE: f32 = 16_000.0;

/// One transmission.
#[derive(Clone, Debug, PartialEq)]
pub struct Transmission {
    /// Channel sample indices: the first frame with the carrier, and the end of the last.
    pub start: u64,
    pub end: u64,
    /// 16-bit audio at [`AUDIO_RATE`].
    pub audio: Vec<i16>,
    /// The carrier's power over the noise in its bin, at its strongest (dB), and the floor
    /// (dB of full scale per bin).
    pub snr_db: f32,
    pub floor_db: f32,
    /// The carrier's offset from the channel's centre (Hz).
    pub carrier_hz: f32,
}

fn to_pcm(v: f32) -> i16 {
    (v * FULL_SCALE).clamp(-32_767.0, 32_767.0) as i16
}

/// A second-order section (RBJ's cookbook), direct form I.
#[derive(Clone, Copy, Debug, Default)]
struct Biquad {
    b: [f32; 3],
    a: [f32; 2],
    x: [f32; 2],
    y: [f32; 2],
}

impl Biquad {
    fn new(rate: f64, hz: f64, high: bool) -> Self {
        let w = TAU * hz / rate;
        let (s, c) = w.sin_cos();
        let alpha = s / (2.0 * std::f64::consts::FRAC_1_SQRT_2);
        let a0 = 1.0 + alpha;
        let (b0, b1) = if high {
            ((1.0 + c) / 2.0, -(1.0 + c))
        } else {
            ((1.0 - c) / 2.0, 1.0 - c)
        };
        Biquad {
            b: [(b0 / a0) as f32, (b1 / a0) as f32, (b0 / a0) as f32],
            a: [(-2.0 * c / a0) as f32, ((1.0 - alpha) / a0) as f32],
            ..Biquad::default()
        }
    }

    fn step(&mut self, x: f32) -> f32 {
        let y = self.b[0] * x + self.b[1] * self.x[0] + self.b[2] * self.x[1]
            - self.a[0] * self.y[0]
            - self.a[1] * self.y[1];
        self.x = [x, self.x[0]];
        self.y = [y, self.y[0]];
        y
    }
}

/// The coherent AM detector and audio chain of one transmission.
struct Detector {
    rate: f64,
    /// Carrier phase and frequency (radians, radians a sample).
    phase: f64,
    omega: f64,
    amplitude: f32,
    /// The voice band at the channel rate: two high-passes at 300 Hz, four low-passes at
    /// 3 kHz (which also keep what would alias at 8 kHz out).
    filters: [Biquad; 6],
    /// Filtered audio at the channel rate (the last four), and where the next 8 kHz sample
    /// falls among them.
    recent: [f32; 4],
    next_out: f64,
    taken: u64,
    audio: Vec<f32>,
}

impl Detector {
    fn new(rate: f64, carrier_hz: f64) -> Self {
        Self {
            rate,
            phase: 0.0,
            omega: TAU * carrier_hz / rate,
            amplitude: 0.0,
            filters: [
                Biquad::new(rate, 300.0, true),
                Biquad::new(rate, 300.0, true),
                Biquad::new(rate, 3_000.0, false),
                Biquad::new(rate, 3_000.0, false),
                Biquad::new(rate, 3_000.0, false),
                Biquad::new(rate, 3_000.0, false),
            ],
            recent: [0.0; 4],
            next_out: 1.0,
            taken: 0,
            audio: Vec::new(),
        }
    }

    fn push(&mut self, z: Complex32) {
        // Loop gains for a natural frequency of 20 Hz, damping 0.7, per sample.
        let wn = TAU * 20.0 / self.rate;
        let (kp, ki) = (2.0 * 0.7 * wn, wn * wn);
        if self.taken == 0 {
            // Start locked to the first sample's phase.
            self.phase = f64::from(z.arg());
        }
        let y = z * Complex32::from_polar(1.0, -(self.phase as f32));
        let err = f64::from(y.im.atan2(y.re.abs().max(1e-12)));
        self.phase = (self.phase + self.omega + kp * err) % TAU;
        self.omega += ki * err;
        let a = self.amplitude;
        // The carrier's amplitude: the running mean at first, then over about 50 ms.
        let alpha = (1.0 / (self.taken + 1) as f32).max(AMPLITUDE_RATE);
        self.amplitude = a + (y.re - a) * alpha;
        let depth = if self.amplitude > 1e-9 {
            ((y.re - self.amplitude) / self.amplitude).clamp(-2.0, 2.0)
        } else {
            0.0
        };
        let v = self.filters.iter_mut().fold(depth, |v, f| f.step(v));
        self.recent = [self.recent[1], self.recent[2], self.recent[3], v];
        self.taken += 1;
        // 8 kHz samples falling between recent[1] and recent[2] (Catmull–Rom).
        let step = self.rate / AUDIO_RATE;
        while self.next_out <= (self.taken as f64) - 2.0 {
            let f = (self.next_out - (self.taken as f64 - 3.0)) as f32;
            let [p0, p1, p2, p3] = self.recent;
            let out = 0.5
                * (2.0 * p1
                    + (p2 - p0) * f
                    + (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3) * f * f
                    + (3.0 * (p1 - p2) + p3 - p0) * f * f * f);
            self.audio.push(out);
            self.next_out += step;
        }
    }
}

struct Active {
    start: u64,
    last_carrier_end: u64,
    snr_db: f32,
    carrier_hz: f32,
    detector: Detector,
    /// Next channel sample to demodulate.
    at: u64,
    /// Audio samples already handed to the live tap.
    live_from: usize,
}

pub struct AmReceiver {
    rate: f64,
    squelch: Squelch,
    buf: Vec<Complex32>,
    /// Absolute index of `buf[0]`, and of the next frame's first sample.
    base: u64,
    next_frame: u64,
    active: Option<Active>,
    max_samples: u64,
    /// Audio demodulated since the last [`AmReceiver::take_live`], if the tap is on.
    live: Option<Vec<i16>>,
}

impl AmReceiver {
    /// A receiver for a channel at `rate` whose carrier may be `search_hz` off its centre and
    /// whose voice band reaches `band_hz` each side.
    pub fn new(rate: f64, search_hz: f64, band_hz: f64, mode: SquelchMode) -> Self {
        Self {
            rate,
            squelch: Squelch::new(rate, search_hz, band_hz, mode),
            buf: Vec::new(),
            base: 0,
            next_frame: 0,
            active: None,
            max_samples: (MAX_S * rate) as u64,
            live: None,
        }
    }

    /// Turns the live tap on or off: while on, the audio of an open squelch (hang time
    /// included) collects for [`AmReceiver::take_live`] as it is demodulated.
    pub fn set_live(&mut self, on: bool) {
        self.live = on.then(Vec::new);
    }

    /// The audio demodulated since the last call (empty while the squelch is closed or the
    /// tap is off).
    pub fn take_live(&mut self, out: &mut Vec<i16>) {
        if let Some(live) = &mut self.live {
            out.append(live);
        }
    }

    pub fn squelch(&mut self) -> &mut Squelch {
        &mut self.squelch
    }

    /// Open now: a transmission in progress.
    pub fn is_open(&self) -> bool {
        self.active.is_some()
    }

    /// Takes the channel's next samples; appends the transmissions that ended in them.
    pub fn push(
        &mut self,
        samples: &[Complex32],
        out: &mut Vec<Transmission>,
    ) -> Option<FrameReport> {
        self.buf.extend_from_slice(samples);
        let mut last = None;
        while self.next_frame + FRAME as u64 <= self.base + self.buf.len() as u64 {
            let from = (self.next_frame - self.base) as usize;
            let report = self.squelch.frame(&self.buf[from..from + FRAME]);
            let frame_end = self.next_frame + FRAME as u64;
            if self.active.is_none() && report.open {
                self.active = Some(Active {
                    start: self.next_frame,
                    last_carrier_end: frame_end,
                    snr_db: report.snr_db,
                    carrier_hz: report.peak_hz,
                    detector: Detector::new(self.rate, f64::from(report.peak_hz)),
                    at: self.next_frame,
                    live_from: 0,
                });
            }
            if let Some(a) = &mut self.active {
                if report.carrier {
                    a.last_carrier_end = frame_end;
                    a.snr_db = a.snr_db.max(report.snr_db);
                }
                // Demodulate up to the next frame's start.
                let until = self.next_frame + HOP as u64;
                for i in a.at..until {
                    a.detector.push(self.buf[(i - self.base) as usize]);
                }
                a.at = until;
                if let Some(live) = &mut self.live {
                    live.extend(a.detector.audio[a.live_from..].iter().map(|&v| to_pcm(v)));
                    a.live_from = a.detector.audio.len();
                }
                if !report.open || until - a.start >= self.max_samples {
                    let done = self.active.take().map(|a| self.finish_one(a));
                    out.extend(done);
                }
            }
            self.next_frame += HOP as u64;
            last = Some(report);
        }
        // Keep what the next frame and the detector still need.
        let keep_from = self
            .active
            .as_ref()
            .map_or(self.next_frame, |a| a.at.min(self.next_frame));
        let drop = (keep_from - self.base) as usize;
        if drop > 0 {
            self.buf.drain(..drop.min(self.buf.len()));
            self.base += drop as u64;
        }
        last
    }

    /// The stream ended: a transmission in progress ends here.
    pub fn finish(&mut self, out: &mut Vec<Transmission>) {
        if let Some(a) = self.active.take() {
            out.push(self.finish_one(a));
        }
    }

    fn finish_one(&self, a: Active) -> Transmission {
        // The audio from the first carrier frame to the end of the last.
        let seconds = (a.last_carrier_end - a.start) as f64 / self.rate;
        let keep = ((seconds * AUDIO_RATE) as usize).min(a.detector.audio.len());
        let audio = a.detector.audio[..keep]
            .iter()
            .map(|&v| to_pcm(v))
            .collect();
        Transmission {
            start: a.start,
            end: a.last_carrier_end,
            audio,
            snr_db: a.snr_db,
            floor_db: self.squelch.floor_db(),
            carrier_hz: a.carrier_hz,
        }
    }
}
