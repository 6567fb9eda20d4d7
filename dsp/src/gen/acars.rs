//! ACARS test signals: ARINC 618 blocks as an aircraft's VHF radio sends them, with the
//! truth of every block.
//!
//! ```text
//!  block bytes (with parity, BCS) → bits, LSB first, after a 128-bit pre-key of ones
//!    → FFSK audio: 2,400 Hz for a bit equal to the one before, 1,200 Hz for a change,
//!      phase-continuous, crossing zero at every bit boundary, on the radio's audio clock
//!    → AM: carrier × (1 + m · audio), a 1 ms key-up ramp, the transmitter's carrier offset
//!    → shifted to the channel's place in the sampled band, added to the stream
//! ```
//!
//! The signal-to-noise ratio is carrier power over noise power in 25 kHz (the channel
//! spacing), the measure ACARS receivers are compared by. This models the radio and the
//! standard; it shares no code with the demodulator.

use crate::vhf::acars::block::{bits_lsb_first, BlockFields, NAK, PREKEY_BITS};
use num_complex::Complex32;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::f64::consts::TAU;

const BIT_RATE: f64 = 2400.0;
/// The shortest quiet gap between two bursts on one channel that do not collide (s).
pub const TURN_AROUND_S: f64 = 0.05;
/// The chance that a burst is sent by a hidden terminal, which collides with what is on the
/// air instead of waiting for the channel.
pub const HIDDEN_TERMINAL: f64 = 0.05;
/// Bandwidth the SNR's noise is measured in.
pub const SNR_BANDWIDTH_HZ: f64 = 25_000.0;

/// One ACARS transmission.
#[derive(Clone, Debug, PartialEq)]
pub struct AcarsBurst {
    pub fields: BlockFields,
    /// Centre of the channel relative to the centre of the sampled band (Hz).
    pub channel_hz: f64,
    /// When the carrier comes up (s from the start of the stream).
    pub start_s: f64,
    /// Carrier power over noise power in 25 kHz (dB).
    pub snr_db: f64,
    /// The transmitter's carrier error (Hz).
    pub carrier_offset_hz: f64,
    /// AM modulation depth (0..1).
    pub modulation: f64,
    /// The radio's audio clock error (parts per million).
    pub clock_ppm: f64,
    /// Pre-key bits on the air (a slow transmitter loses some of the 128).
    pub prekey_bits: usize,
}

impl AcarsBurst {
    /// Bits on the air: the pre-key, then every byte of the block.
    pub fn bits(&self) -> Vec<bool> {
        let mut bits = vec![true; self.prekey_bits.min(PREKEY_BITS)];
        bits.extend(bits_lsb_first(&self.fields.encode()));
        // The transmitter holds the carrier for one more bit after DEL.
        bits.push(true);
        bits
    }

    /// Seconds on the air.
    pub fn duration_s(&self) -> f64 {
        0.001 + self.bits().len() as f64 / (BIT_RATE * (1.0 + self.clock_ppm * 1e-6))
    }

    /// Adds the burst to `out`, a stream at `rate` Hz whose first sample is at `first`
    /// (samples since the stream began), with complex noise of `noise_power` in the whole
    /// band.
    pub fn render(&self, rate: f64, noise_power: f64, first: u64, out: &mut [Complex32]) {
        let amplitude =
            (noise_power * SNR_BANDWIDTH_HZ / rate * 10f64.powf(self.snr_db / 10.0)).sqrt();
        let bits = self.bits();
        let clock = 1.0 + self.clock_ppm * 1e-6;
        let bit_s = 1.0 / (BIT_RATE * clock);
        let ramp_s = 0.001;
        let audio_from = self.start_s + ramp_s;
        let end = audio_from + bits.len() as f64 * bit_s;
        // Audio phase at each bit's start: 2π per "same" bit, π per change.
        let mut phase_at = Vec::with_capacity(bits.len() + 1);
        let (mut phase, mut prev) = (0.0f64, true);
        for &b in &bits {
            phase_at.push(phase);
            phase += if b == prev { TAU } else { TAU / 2.0 };
            prev = b;
        }
        let first_s = first as f64 / rate;
        let n0 = ((self.start_s - first_s) * rate).floor().max(0.0) as usize;
        let n1 = (((end + ramp_s) - first_s) * rate).ceil().max(0.0) as usize;
        let rf_phase0 = self.start_s * 7.3; // any phase, fixed per burst
        let len = out.len();
        for (n, slot) in out.iter_mut().enumerate().take(n1.min(len)).skip(n0) {
            let t = first_s + n as f64 / rate;
            let since = t - self.start_s;
            if since < 0.0 || t > end + ramp_s {
                continue;
            }
            let envelope = if since < ramp_s {
                0.5 - 0.5 * (std::f64::consts::PI * since / ramp_s).cos()
            } else if t > end {
                0.5 + 0.5 * (std::f64::consts::PI * (t - end) / ramp_s).cos()
            } else {
                1.0
            };
            let audio = if t >= audio_from && t < end {
                let pos = (t - audio_from) / bit_s;
                let k = pos as usize;
                let within = pos - k as f64;
                let same = bits[k] == if k == 0 { true } else { bits[k - 1] };
                let tone_cycles_per_bit = if same { 1.0 } else { 0.5 };
                (phase_at[k] + TAU * tone_cycles_per_bit * within).sin()
            } else {
                0.0
            };
            let a = amplitude * envelope * (1.0 + self.modulation * audio);
            let ph = TAU * (self.channel_hz + self.carrier_offset_hz) * t + rf_phase0;
            let (s, c) = ph.sin_cos();
            *slot += Complex32::new((a * c) as f32, (a * s) as f32);
        }
    }
}

/// Random blocks of the kinds aircraft and ground stations send: downlinks (H1 position
/// reports, OOOI events, free text, link tests) and uplinks, with registrations and flights.
pub struct MessageMaker {
    rng: SmallRng,
    msn: u32,
}

const WORDS: [&str; 16] = [
    "WX", "REQ", "KSFO", "KLAX", "RWY", "28L", "GATE", "B12", "FUEL", "142", "ETA", "1432",
    "DELAY", "CREW", "MAINT", "OK",
];

impl MessageMaker {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: SmallRng::seed_from_u64(seed ^ 0xacab_5eed),
            msn: 0,
        }
    }

    /// A registration as ACARS pads it: right-aligned in 7 characters with dots.
    pub fn address(registration: &str) -> [u8; 7] {
        let mut a = [b'.'; 7];
        let r = registration.as_bytes();
        let n = r.len().min(7);
        a[7 - n..].copy_from_slice(&r[r.len() - n..]);
        a
    }

    /// A downlink from `registration` flying `flight` at (lat, lon), or an uplink to it.
    pub fn block(&mut self, registration: &str, flight: &str, position: (f64, f64)) -> BlockFields {
        self.msn = (self.msn + 1) % 100;
        let msn = format!("M{:02}A", self.msn);
        let flight6 = format!("{flight:<6}");
        let r = self.rng.random_range(0..10);
        let (label, text, downlink) = match r {
            0..=2 => {
                let (lat, lon) = position;
                let pos = format!(
                    "#M1BPOS{}{:02}{:03}{}{:03}{:03},{},{:06},{:03}",
                    if lat >= 0.0 { 'N' } else { 'S' },
                    lat.abs() as u32,
                    ((lat.abs().fract()) * 600.0) as u32,
                    if lon >= 0.0 { 'E' } else { 'W' },
                    lon.abs() as u32,
                    ((lon.abs().fract()) * 600.0) as u32,
                    WORDS[self.rng.random_range(0..WORDS.len())],
                    self.rng.random_range(0..240_000),
                    self.rng.random_range(100..400),
                );
                (*b"H1", pos, true)
            }
            3..=4 => {
                let labels = [*b"QA", *b"QB", *b"QC", *b"QD"];
                let l = labels[self.rng.random_range(0..4)];
                let t = format!(
                    "KSFO{:02}{:02}",
                    self.rng.random_range(0..24),
                    self.rng.random_range(0..60)
                );
                (l, t, true)
            }
            5..=7 => {
                let n = self.rng.random_range(3..30);
                let words: Vec<&str> = (0..n)
                    .map(|_| WORDS[self.rng.random_range(0..WORDS.len())])
                    .collect();
                (*b"5Z", words.join(" "), true)
            }
            8 => (*b"Q0", String::new(), true),
            _ => {
                let n = self.rng.random_range(5..40);
                let words: Vec<&str> = (0..n)
                    .map(|_| WORDS[self.rng.random_range(0..WORDS.len())])
                    .collect();
                (*b"RA", words.join(" "), false)
            }
        };
        let text = if downlink {
            format!("{msn}{flight6}{text}")
        } else {
            text
        };
        BlockFields {
            mode: b'2',
            address: Self::address(registration),
            ack: NAK,
            label,
            block_id: if downlink {
                b'0' + self.rng.random_range(0..10u8)
            } else {
                b'A' + self.rng.random_range(0..26u8)
            },
            text: Some(text.into_bytes()).filter(|t| !t.is_empty()),
            more: false,
        }
    }
}

/// A test set: `bursts` blocks over `seconds`, each on one of `channels` (offsets from the
/// centre, Hz), with SNR uniform in `snr_db`, carrier offsets within ±500 Hz, random start
/// times as CSMA radios pick them (bursts on different channels overlap freely; on one
/// channel only a hidden terminal's do, [`HIDDEN_TERMINAL`] of them), and the stream: cu8 at
/// `rate` with noise at `noise_dbfs`.
pub struct TestSet {
    pub rate: f64,
    pub bursts: Vec<AcarsBurst>,
}

impl TestSet {
    pub fn new(
        rate: f64,
        channels: &[f64],
        bursts: usize,
        seconds: f64,
        snr_db: (f64, f64),
        seed: u64,
    ) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut maker = MessageMaker::new(seed);
        let mut out = Vec::with_capacity(bursts);
        for i in 0..bursts {
            let reg = format!(
                "N{}{}",
                100 + rng.random_range(0..900),
                ["AB", "UA", "DL", "WN"][i % 4]
            );
            let flight = format!("UA{:04}", rng.random_range(1..9999));
            let pos = (
                rng.random_range(30.0..48.0),
                rng.random_range(-124.0..-70.0),
            );
            let fields = maker.block(&reg, &flight, pos);
            let mut b = AcarsBurst {
                fields,
                channel_hz: channels[rng.random_range(0..channels.len())],
                start_s: 0.0,
                snr_db: rng.random_range(snr_db.0..=snr_db.1),
                carrier_offset_hz: rng.random_range(-500.0..500.0),
                modulation: rng.random_range(0.6..0.9),
                clock_ppm: rng.random_range(-50.0..50.0),
                // ARINC 618's pre-key is 128 bits; the transmitter's key-up and the
                // receiver's settling take up to 16 of them.
                prekey_bits: rng.random_range(PREKEY_BITS - 16..=PREKEY_BITS),
            };
            let d = b.duration_s();
            // Radios listen before they talk (CSMA): a burst waits for a quiet channel and
            // the turn-around gap, except that a station out of sight of the one talking
            // (a hidden terminal) sends anyway and the two collide.
            let hidden = rng.random_bool(HIDDEN_TERMINAL);
            for _ in 0..200 {
                b.start_s = rng.random_range(0.05..(seconds - d - 0.05).max(0.06));
                let clash = out.iter().any(|o: &AcarsBurst| {
                    o.channel_hz == b.channel_hz && {
                        let (a0, a1) = (b.start_s, b.start_s + d);
                        let (b0, b1) = (o.start_s, o.start_s + o.duration_s());
                        let gap = (b0 - a1).max(a0 - b1);
                        if hidden {
                            gap > 0.0 && gap < TURN_AROUND_S
                        } else {
                            gap < TURN_AROUND_S
                        }
                    }
                });
                if !clash {
                    break;
                }
            }
            out.push(b);
        }
        out.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        Self { rate, bursts: out }
    }

    /// Renders `seconds` of the stream as complex samples (noise of `noise_dbfs` included).
    pub fn render(&self, seconds: f64, noise_dbfs: f64, seed: u64) -> Vec<Complex32> {
        let mut out = vec![Complex32::new(0.0, 0.0); (seconds * self.rate) as usize];
        self.render_into(0, &mut out, noise_dbfs, seed);
        out
    }

    /// Renders the stream's samples `first..first + out.len()` into `out` (overwritten), so a
    /// long stream can be made a piece at a time. The noise of each piece depends on `seed`
    /// and `first`.
    pub fn render_into(&self, first: u64, out: &mut [Complex32], noise_dbfs: f64, seed: u64) {
        let noise_power = 10f64.powf(noise_dbfs / 10.0);
        super::Noise::new(
            noise_power,
            seed ^ 0x0a15e ^ first.wrapping_mul(0x9e37_79b9),
        )
        .fill(out);
        let (t0, t1) = (
            first as f64 / self.rate,
            (first + out.len() as u64) as f64 / self.rate,
        );
        for b in &self.bursts {
            if b.start_s < t1 && b.start_s + b.duration_s() + 0.002 > t0 {
                b.render(self.rate, noise_power, first, out);
            }
        }
    }

    /// The stream as cu8 (what an RTL-SDR delivers).
    pub fn render_cu8(&self, seconds: f64, noise_dbfs: f64, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        self.render_cu8_piece(
            0,
            (seconds * self.rate) as usize,
            noise_dbfs,
            seed,
            &mut out,
        );
        out
    }

    /// Appends the stream's samples `first..first + samples` to `out` as cu8 (a piece of a
    /// long recording; see [`TestSet::render_into`]).
    pub fn render_cu8_piece(
        &self,
        first: u64,
        samples: usize,
        noise_dbfs: f64,
        seed: u64,
        out: &mut Vec<u8>,
    ) {
        let mut iq = vec![Complex32::new(0.0, 0.0); samples];
        self.render_into(first, &mut iq, noise_dbfs, seed);
        out.extend(
            iq.iter()
                .flat_map(|v| [super::quantize(v.re), super::quantize(v.im)]),
        );
    }
}

/// An aircraft that sends ACARS.
#[derive(Clone, Debug, PartialEq)]
pub struct AcarsSender {
    pub registration: String,
    pub flight: String,
    /// Where it reports itself (degrees).
    pub position: (f64, f64),
}

/// Live ACARS traffic for the daemon's simulator: each aircraft sends a block every
/// `every_s` seconds on average (Poisson), on a random channel of the plan, at an SNR
/// uniform in `snr_db`; streaming cu8 at `rate` with noise at `noise_dbfs`.
pub struct AcarsTraffic {
    rate: f64,
    channels: Vec<f64>,
    senders: Vec<AcarsSender>,
    next_s: Vec<f64>,
    every_s: f64,
    snr_db: (f64, f64),
    noise_power: f64,
    rng: SmallRng,
    maker: MessageMaker,
    active: Vec<AcarsBurst>,
    next_sample: u64,
    buf: Vec<Complex32>,
    noise: super::Noise,
}

impl AcarsTraffic {
    pub fn new(
        rate: f64,
        channels: Vec<f64>,
        senders: Vec<AcarsSender>,
        every_s: f64,
        seed: u64,
    ) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ 0xac_a25);
        let next_s = senders
            .iter()
            .map(|_| rng.random_range(0.5..every_s.max(1.0)))
            .collect();
        Self {
            rate,
            channels,
            senders,
            next_s,
            every_s: every_s.max(1.0),
            snr_db: (6.0, 30.0),
            noise_power: 10f64.powf(-30.0 / 10.0),
            maker: MessageMaker::new(seed),
            rng,
            active: Vec::new(),
            next_sample: 0,
            buf: Vec::new(),
            noise: super::Noise::new(10f64.powf(-30.0 / 10.0), seed ^ 0x000a_15e0),
        }
    }

    /// The next `n` samples as cu8 into `iq` (appended), and the bursts that begin in them.
    pub fn next_block(&mut self, n: usize, iq: &mut Vec<u8>, sent: &mut Vec<AcarsBurst>) {
        let mut buf = std::mem::take(&mut self.buf);
        buf.resize(n, Complex32::new(0.0, 0.0));
        self.noise.fill(&mut buf);
        self.add_into(&mut buf, sent);
        iq.extend(
            buf.iter()
                .flat_map(|v| [super::quantize(v.re), super::quantize(v.im)]),
        );
        self.buf = buf;
    }

    /// The stream's noise power in the whole band (the SNR's reference).
    pub fn noise_power(&self) -> f64 {
        self.noise_power
    }

    /// Adds the next `out.len()` samples' bursts to `out` (a stream the caller makes, with
    /// [`AcarsTraffic::noise_power`] of noise); appends the bursts that begin in them.
    pub fn add_into(&mut self, out: &mut [Complex32], sent: &mut Vec<AcarsBurst>) {
        let n = out.len();
        let (t0, t1) = (
            self.next_sample as f64 / self.rate,
            (self.next_sample + n as u64) as f64 / self.rate,
        );
        for i in 0..self.senders.len() {
            while self.next_s[i] < t1 && !self.channels.is_empty() {
                let s = &self.senders[i];
                let fields = self.maker.block(&s.registration, &s.flight, s.position);
                let burst = AcarsBurst {
                    fields,
                    channel_hz: self.channels[self.rng.random_range(0..self.channels.len())],
                    start_s: self.next_s[i].max(t0),
                    snr_db: self.rng.random_range(self.snr_db.0..=self.snr_db.1),
                    carrier_offset_hz: self.rng.random_range(-300.0..300.0),
                    modulation: self.rng.random_range(0.6..0.9),
                    clock_ppm: self.rng.random_range(-30.0..30.0),
                    prekey_bits: PREKEY_BITS,
                };
                sent.push(burst.clone());
                self.active.push(burst);
                let gap = -self.every_s * (1.0 - self.rng.random::<f64>()).ln();
                self.next_s[i] += gap.max(0.5);
            }
        }
        for b in &self.active {
            b.render(self.rate, self.noise_power, self.next_sample, out);
        }
        self.active
            .retain(|b| b.start_s + b.duration_s() + 0.002 > t1);
        self.next_sample += n as u64;
    }
}
