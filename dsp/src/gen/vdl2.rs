//! VDL Mode 2 test signals: AVLC frames as an aircraft's or a ground station's VDR sends
//! them, with the truth of every frame.
//!
//! ```text
//!  frames (addresses, control, information, FCS) → bit stuffing, flags → TL bits
//!    → octets in Reed–Solomon blocks of 249 (the short last block's checks cut to 0/2/4/6),
//!      data then checks, a column at a time across the blocks
//!    → header (reserved, TL, its parity) + data, scrambled → 3-bit groups
//!    → D8PSK: phase changes of k·π/4 (Gray coded), 4 ramp-up and 16 training symbols first,
//!      raised-cosine pulses (α = 0.6) on the transmitter's symbol clock
//!    → the transmitter's carrier offset, moved to the channel's place in the sampled band
//! ```
//!
//! The signal-to-noise ratio is signal power over noise power in 25 kHz, as for ACARS. This
//! models the standard and the radio; the only code it shares with the receiver is the
//! standard's own tables (training sequence, Gray code, scrambler, header parity) and the
//! Reed–Solomon encoder UAT's tests check.

use super::acars::{MessageMaker, SNR_BANDWIDTH_HZ};
use crate::rs::ReedSolomon;
use crate::vhf::acars::block::BlockFields;
use crate::vhf::vdl2::burst::{checks_for, PARITY_ROWS};
use crate::vhf::vdl2::phy::{Scrambler, PHASE_OF, RAMP_UP, SYMBOL_RATE, SYNC};
use crc::{Crc, CRC_16_IBM_SDLC, CRC_16_KERMIT};
use num_complex::Complex32;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::f64::consts::{PI, TAU};

const FCS: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_SDLC);
const ACARS_CRC: Crc<u16> = Crc::<u16>::new(&CRC_16_KERMIT);
const RS: ReedSolomon = ReedSolomon::new(255, 249);
/// Raised-cosine roll-off.
pub const ALPHA: f64 = 0.6;
/// Symbols each side of a pulse's centre that are rendered.
const PULSE_SPAN: i64 = 5;
/// Address types.
pub const AIRCRAFT: u8 = 1;
pub const GROUND_STATION: u8 = 4;

/// One AVLC address: type, 24-bit address, and the status bit (A/G in a destination, C/R in
/// a source).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Addr {
    pub kind: u8,
    pub addr: u32,
    pub bit: bool,
}

/// The four octets of an address (the last one's extension bit set if `last`).
fn address_octets(a: Addr, last: bool) -> [u8; 4] {
    let word = u32::from(a.bit) << 27 | u32::from(a.kind & 7) << 24 | (a.addr & 0xff_ffff);
    // Sent status bit first, then type and address most significant bit first, seven bits
    // an octet after each octet's extension bit.
    let mut out = [0u8; 4];
    for (k, o) in out.iter_mut().enumerate() {
        let mut seven = 0u8;
        for j in 0..7 {
            let bit = (word >> (27 - (7 * k + j))) & 1;
            seven |= (bit as u8) << j;
        }
        *o = seven << 1 | u8::from(last && k == 3);
    }
    out
}

/// What a frame carries, for the truth.
#[derive(Clone, Debug, PartialEq)]
pub enum Carried {
    Acars(BlockFields),
    /// A ground station information frame with the station's location.
    Gsif {
        lat: f64,
        lon: f64,
    },
}

/// An AVLC frame to send.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameSpec {
    pub dst: Addr,
    pub src: Addr,
    pub control: u8,
    pub carried: Carried,
}

impl FrameSpec {
    /// The information field.
    pub fn info(&self) -> Vec<u8> {
        match &self.carried {
            Carried::Acars(fields) => {
                let mut info = vec![0xff, 0xff, 0x01];
                let chars: Vec<u8> = fields.covered().iter().map(|c| c & 0x7f).collect();
                let crc = ACARS_CRC.checksum(&chars);
                info.extend_from_slice(&chars);
                info.extend_from_slice(&crc.to_le_bytes());
                info.push(0x7f);
                info
            }
            Carried::Gsif { lat, lon } => {
                let tenths = |v: f64| ((v * 10.0).round() as i32 as u32) & 0xfff;
                let loc = tenths(*lat) << 12 | tenths(*lon);
                // Without a connection management parameter (h = r = 1) a command XID with
                // P = 0 is a ground station information frame.
                let vdl = [0xc8, 0x03, (loc >> 16) as u8, (loc >> 8) as u8, loc as u8];
                let mut info = vec![0x82, 0xf0, 0x00, vdl.len() as u8];
                info.extend_from_slice(&vdl);
                info
            }
        }
    }

    /// The frame's octets with its FCS (low octet first).
    pub fn octets(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&address_octets(self.dst, false));
        out.extend_from_slice(&address_octets(self.src, true));
        out.push(self.control);
        out.extend(self.info());
        let fcs = FCS.checksum(&out);
        out.extend_from_slice(&fcs.to_le_bytes());
        out
    }
}

/// Bits (least significant first) of frames between flags, stuffed: `7E f₁ 7E f₂ … 7E`.
fn stuffed(frames: &[FrameSpec]) -> Vec<u8> {
    let flag = |out: &mut Vec<u8>| out.extend((0..8).map(|i| (0x7e >> i) & 1));
    let mut out = Vec::new();
    flag(&mut out);
    for f in frames {
        let mut ones = 0;
        for byte in f.octets() {
            for i in 0..8 {
                let b = (byte >> i) & 1;
                out.push(b);
                ones = if b == 1 { ones + 1 } else { 0 };
                if ones == 5 {
                    out.push(0);
                    ones = 0;
                }
            }
        }
        flag(&mut out);
    }
    out
}

/// The burst's bits after the training sequence, before scrambling: header, then data
/// and check octets interleaved.
pub fn burst_bits(frames: &[FrameSpec]) -> Vec<u8> {
    let stream = stuffed(frames);
    let tl = stream.len();
    let mut data: Vec<u8> = stream
        .chunks(8)
        .map(|c| c.iter().enumerate().fold(0u8, |v, (i, &b)| v | b << i))
        .collect();
    let n = data.len();
    // Blocks: (first octet, length, checks).
    let mut blocks = Vec::new();
    let mut at = 0;
    while at < n {
        let len = (n - at).min(249);
        let checks = if len == 249 { 6 } else { checks_for(len) };
        blocks.push((at, len, checks));
        at += len;
    }
    let parity: Vec<[u8; 6]> = blocks
        .iter()
        .map(|&(start, len, _)| {
            let mut word = [0u8; 255];
            word[..len].copy_from_slice(&data[start..start + len]);
            RS.encode(&mut word);
            let mut p = [0u8; 6];
            p.copy_from_slice(&word[249..]);
            p
        })
        .collect();
    let mut sent = Vec::with_capacity(n + 6 * blocks.len());
    for col in 0..249 {
        for &(start, len, _) in &blocks {
            if col < len {
                sent.push(data[start + col]);
            }
        }
    }
    for col in 0..6 {
        for (p, &(_, _, checks)) in parity.iter().zip(&blocks) {
            if col < checks {
                sent.push(p[col]);
            }
        }
    }
    data.clear();
    // The header: reserved 000, TL least significant bit first, then its parity.
    let mut x: u32 = 0; // the 20 protected bits, the first sent in bit 19
    for i in 0..17 {
        x |= ((tl as u32 >> i) & 1) << (16 - i);
    }
    let mut bits = Vec::with_capacity(25 + 8 * sent.len() + 2);
    bits.extend((0..20).rev().map(|i| ((x >> i) & 1) as u8));
    for row in PARITY_ROWS {
        bits.push(((row >> 5) & x).count_ones() as u8 & 1);
    }
    for byte in sent {
        bits.extend((0..8).map(|i| (byte >> i) & 1));
    }
    bits
}

/// One VDL2 transmission.
#[derive(Clone, Debug, PartialEq)]
pub struct Vdl2Burst {
    pub frames: Vec<FrameSpec>,
    /// Centre of the channel relative to the centre of the sampled band (Hz).
    pub channel_hz: f64,
    /// When the first ramp-up symbol is at its peak (s from the start of the stream).
    pub start_s: f64,
    /// Signal power over noise power in 25 kHz (dB).
    pub snr_db: f64,
    pub carrier_offset_hz: f64,
    /// The transmitter's symbol clock error (parts per million).
    pub clock_ppm: f64,
    /// Symbols on the air, once counted.
    symbols: std::sync::OnceLock<usize>,
}

/// Raised-cosine pulse at `u` symbols from its centre.
fn raised_cosine(u: f64) -> f64 {
    let sinc = if u.abs() < 1e-9 {
        1.0
    } else {
        (PI * u).sin() / (PI * u)
    };
    let d = 1.0 - (2.0 * ALPHA * u).powi(2);
    let shape = if d.abs() < 1e-9 {
        PI / 4.0
    } else {
        (PI * ALPHA * u).cos() / d
    };
    sinc * shape
}

impl Vdl2Burst {
    pub fn new(
        frames: Vec<FrameSpec>,
        channel_hz: f64,
        start_s: f64,
        snr_db: f64,
        carrier_offset_hz: f64,
        clock_ppm: f64,
    ) -> Self {
        Self {
            frames,
            channel_hz,
            start_s,
            snr_db,
            carrier_offset_hz,
            clock_ppm,
            symbols: std::sync::OnceLock::new(),
        }
    }

    /// The phase (eighths of a turn) of every symbol: ramp-up, training, then the
    /// scrambled bits in groups of three (the last group filled with zeros).
    pub fn phases(&self) -> Vec<u8> {
        let mut groups: Vec<u8> = vec![0; RAMP_UP];
        groups.extend_from_slice(&SYNC);
        let mut bits = burst_bits(&self.frames);
        while !bits.len().is_multiple_of(3) {
            bits.push(0);
        }
        let mut scrambler = Scrambler::default();
        for g in bits.chunks(3) {
            let s = |b: u8, sc: &mut Scrambler| b ^ sc.next_bit();
            let (a, b, c) = (
                s(g[0], &mut scrambler),
                s(g[1], &mut scrambler),
                s(g[2], &mut scrambler),
            );
            groups.push(a << 2 | b << 1 | c);
        }
        let mut phase = 0u8;
        groups
            .iter()
            .map(|&g| {
                phase = (phase + PHASE_OF[g as usize]) % 8;
                phase
            })
            .collect()
    }

    fn symbol_s(&self) -> f64 {
        1.0 / (SYMBOL_RATE * (1.0 + self.clock_ppm * 1e-6))
    }

    /// Seconds on the air, ramp-down included.
    pub fn duration_s(&self) -> f64 {
        let symbols = *self.symbols.get_or_init(|| self.phases().len());
        (symbols as f64 + 3.0) * self.symbol_s()
    }

    /// Adds the burst to `out`, a stream at `rate` Hz whose first sample is at `first`, with
    /// complex noise of `noise_power` in the whole band.
    pub fn render(&self, rate: f64, noise_power: f64, first: u64, out: &mut [Complex32]) {
        let phases = self.phases();
        // RC pulses of unit symbols have unit mean power.
        let amplitude =
            (noise_power * SNR_BANDWIDTH_HZ / rate * 10f64.powf(self.snr_db / 10.0)).sqrt();
        let symbol_s = self.symbol_s();
        let points: Vec<Complex32> = phases
            .iter()
            .map(|&p| Complex32::from_polar(1.0, f32::from(p) * std::f32::consts::FRAC_PI_4))
            .collect();
        let first_s = first as f64 / rate;
        let begin = self.start_s - symbol_s;
        let end = self.start_s + (phases.len() as f64 + 1.5) * symbol_s;
        let n0 = ((begin - first_s) * rate).floor().max(0.0) as usize;
        let n1 = (((end - first_s) * rate).ceil().max(0.0) as usize).min(out.len());
        let rf_phase0 = self.start_s * 5.1;
        for (n, slot) in out.iter_mut().enumerate().take(n1).skip(n0) {
            let t = first_s + n as f64 / rate;
            let u = (t - self.start_s) / symbol_s;
            let k0 = u.floor() as i64;
            let mut s = Complex32::new(0.0, 0.0);
            for k in (k0 - PULSE_SPAN + 1).max(0)..=(k0 + PULSE_SPAN).min(phases.len() as i64 - 1) {
                s += points[k as usize] * raised_cosine(u - k as f64) as f32;
            }
            // Power comes up over the first symbol and goes down within 1.5 after the last.
            let last = phases.len() as f64 - 1.0;
            let envelope = if u < 0.0 {
                0.5 + 0.5 * (PI * u).cos()
            } else if u > last {
                0.5 + 0.5 * (PI * ((u - last) / 1.5).min(1.0)).cos()
            } else {
                1.0
            };
            // Reduced in f64: the phase runs to 10⁸ radians in a minute, past f32's precision.
            let ph = (TAU * (self.channel_hz + self.carrier_offset_hz) * t + rf_phase0) % TAU;
            let carrier = Complex32::from_polar((amplitude * envelope) as f32, ph as f32);
            *slot += s * carrier;
        }
    }
}

/// An aircraft that talks VDL2.
#[derive(Clone, Debug, PartialEq)]
pub struct Vdl2Sender {
    pub icao: u32,
    pub registration: String,
    pub flight: String,
    pub position: (f64, f64),
}

/// Makes the frames of an exchange: an aircraft's ACARS downlink to its ground station, a
/// ground station's uplink to an aircraft, or a ground station's GSIF.
pub struct FrameMaker {
    rng: SmallRng,
    messages: MessageMaker,
    ns: u8,
}

impl FrameMaker {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: SmallRng::seed_from_u64(seed ^ 0x0d12),
            messages: MessageMaker::new(seed ^ 0x0d12),
            ns: 0,
        }
    }

    /// One burst's frames (one ACARS frame, sometimes two, or a GSIF).
    pub fn frames(&mut self, from: &Vdl2Sender, ground_station: u32) -> Vec<FrameSpec> {
        let gs = Addr {
            kind: GROUND_STATION,
            addr: ground_station,
            bit: false,
        };
        let ac = Addr {
            kind: AIRCRAFT,
            addr: from.icao,
            bit: false,
        };
        let r = self.rng.random_range(0..10);
        if r == 0 {
            // A GSIF: ground station to all stations, its location.
            let all = Addr {
                kind: 7,
                addr: 0xff_ffff,
                bit: true,
            };
            return vec![FrameSpec {
                dst: all,
                src: gs,
                control: 0xaf,
                carried: Carried::Gsif {
                    lat: (from.position.0 * 10.0).round() / 10.0,
                    lon: (from.position.1 * 10.0).round() / 10.0,
                },
            }];
        }
        let count = if r == 1 { 2 } else { 1 };
        (0..count)
            .map(|_| {
                let fields = self
                    .messages
                    .block(&from.registration, &from.flight, from.position);
                let downlink = fields.block_id.is_ascii_digit();
                self.ns = (self.ns + 1) % 8;
                let control = self.ns << 1 | 1 << 5;
                let (dst, src) = if downlink {
                    // The sender is airborne (A/G 0, in the destination).
                    (gs, ac)
                } else {
                    (Addr { bit: true, ..ac }, gs)
                };
                FrameSpec {
                    dst,
                    src,
                    control,
                    carried: Carried::Acars(fields),
                }
            })
            .collect()
    }
}

/// A test set: `bursts` bursts over `seconds` on `channels` (offsets from the centre, Hz),
/// SNR uniform in `snr_db`, carrier offsets within ±600 Hz (±4.4 ppm at 137 MHz), symbol
/// clocks within ±20 ppm, start times as the VDL2 MAC (p-persistent CSMA) picks them: on one
/// channel a burst waits for the channel to be quiet, except a hidden terminal's.
pub struct Vdl2TestSet {
    pub rate: f64,
    pub bursts: Vec<Vdl2Burst>,
}

impl Vdl2TestSet {
    pub fn new(
        rate: f64,
        channels: &[f64],
        bursts: usize,
        seconds: f64,
        snr_db: (f64, f64),
        seed: u64,
    ) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ 0x5d12);
        let mut maker = FrameMaker::new(seed);
        let mut out: Vec<Vdl2Burst> = Vec::with_capacity(bursts);
        for i in 0..bursts {
            let sender = Vdl2Sender {
                icao: rng.random_range(0xa0_0000..0xad_ffff),
                registration: format!(
                    "N{}{}",
                    100 + rng.random_range(0..900),
                    ["VD", "LM", "TW", "OK"][i % 4]
                ),
                flight: format!("DL{:04}", rng.random_range(1..9999)),
                position: (
                    rng.random_range(30.0..48.0),
                    rng.random_range(-124.0..-70.0),
                ),
            };
            let gs = 0x10_0000 + rng.random_range(0..0x1000);
            let frames = maker.frames(&sender, gs);
            let channel = channels[rng.random_range(0..channels.len())];
            let snr = rng.random_range(snr_db.0..=snr_db.1);
            let offset = rng.random_range(-600.0..600.0);
            let ppm = rng.random_range(-20.0..20.0);
            let mut b = Vdl2Burst::new(frames, channel, 0.0, snr, offset, ppm);
            let d = b.duration_s();
            let hidden = rng.random_bool(super::acars::HIDDEN_TERMINAL);
            for _ in 0..200 {
                b.start_s = rng.random_range(0.05..(seconds - d - 0.05).max(0.06));
                let clash = out.iter().any(|o| {
                    o.channel_hz == b.channel_hz && {
                        let (a0, a1) = (b.start_s, b.start_s + d);
                        let (b0, b1) = (o.start_s, o.start_s + o.duration_s());
                        let gap = (b0 - a1).max(a0 - b1);
                        if hidden {
                            gap > 0.0 && gap < 0.002
                        } else {
                            gap < 0.002
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

    /// Adds the bursts in samples `first..first + out.len()` to `out` (a stream with
    /// `noise_dbfs` of noise, the SNR's reference).
    pub fn add_into(&self, first: u64, out: &mut [Complex32], noise_dbfs: f64) {
        let noise_power = 10f64.powf(noise_dbfs / 10.0);
        let (t0, t1) = (
            first as f64 / self.rate,
            (first + out.len() as u64) as f64 / self.rate,
        );
        for b in &self.bursts {
            if b.start_s < t1 && b.start_s + b.duration_s() + 0.001 > t0 {
                b.render(self.rate, noise_power, first, out);
            }
        }
    }

    /// Renders samples `first..first + out.len()` into `out` (overwritten), noise included.
    pub fn render_into(&self, first: u64, out: &mut [Complex32], noise_dbfs: f64, seed: u64) {
        let noise_power = 10f64.powf(noise_dbfs / 10.0);
        super::Noise::new(
            noise_power,
            seed ^ 0x0d12e ^ first.wrapping_mul(0x9e37_79b9),
        )
        .fill(out);
        self.add_into(first, out, noise_dbfs);
    }
}

/// Live VDL2 traffic for the daemon's simulator: each aircraft sends (or is sent) an ACARS
/// frame every `every_s` seconds on average (Poisson), each ground station its GSIF about
/// once a minute, on random channels of the plan, at an SNR uniform in 14–32 dB. The bursts
/// are added to a stream the caller makes (noise, other traffic).
pub struct Vdl2Traffic {
    rate: f64,
    channels: Vec<f64>,
    senders: Vec<Vdl2Sender>,
    ground_stations: Vec<u32>,
    next_s: Vec<f64>,
    every_s: f64,
    noise_power: f64,
    rng: SmallRng,
    maker: FrameMaker,
    active: Vec<Vdl2Burst>,
    next_sample: u64,
}

impl Vdl2Traffic {
    /// `noise_power`: the stream's noise in the whole band (the SNR's reference).
    pub fn new(
        rate: f64,
        channels: Vec<f64>,
        senders: Vec<Vdl2Sender>,
        every_s: f64,
        noise_power: f64,
        seed: u64,
    ) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ 0x000d_127a);
        let every_s = every_s.max(1.0);
        let ground_stations: Vec<u32> = (0..3).map(|i| 0x10_2a40 + 0x111 * i).collect();
        let next_s = (0..senders.len() + ground_stations.len())
            .map(|_| rng.random_range(0.5..every_s))
            .collect();
        Self {
            rate,
            channels,
            senders,
            ground_stations,
            next_s,
            every_s,
            noise_power,
            maker: FrameMaker::new(seed),
            rng,
            active: Vec::new(),
            next_sample: 0,
        }
    }

    /// Adds the next `out.len()` samples' bursts to `out`; appends the bursts that begin.
    pub fn add_into(&mut self, out: &mut [Complex32], sent: &mut Vec<Vdl2Burst>) {
        let (t0, t1) = (
            self.next_sample as f64 / self.rate,
            (self.next_sample + out.len() as u64) as f64 / self.rate,
        );
        let talkers = self.senders.len() + self.ground_stations.len();
        for i in 0..talkers {
            while self.next_s[i] < t1 && !self.channels.is_empty() {
                let gs = self.ground_stations[i % self.ground_stations.len()];
                let frames = if i < self.senders.len() {
                    let s = &self.senders[i];
                    let mut frames = self.maker.frames(s, gs);
                    frames.retain(|f| matches!(f.carried, Carried::Acars(_)));
                    frames
                } else {
                    let here = self.senders.first().map_or((0.0, 0.0), |s| s.position);
                    vec![FrameSpec {
                        dst: Addr {
                            kind: 7,
                            addr: 0xff_ffff,
                            bit: true,
                        },
                        src: Addr {
                            kind: GROUND_STATION,
                            addr: gs,
                            bit: false,
                        },
                        control: 0xaf,
                        carried: Carried::Gsif {
                            lat: (here.0 * 10.0).round() / 10.0,
                            lon: (here.1 * 10.0).round() / 10.0,
                        },
                    }]
                };
                let burst = Vdl2Burst::new(
                    frames,
                    self.channels[self.rng.random_range(0..self.channels.len())],
                    self.next_s[i].max(t0),
                    self.rng.random_range(14.0..=32.0),
                    self.rng.random_range(-300.0..300.0),
                    self.rng.random_range(-10.0..10.0),
                );
                if !burst.frames.is_empty() {
                    sent.push(burst.clone());
                    self.active.push(burst);
                }
                let every = if i < self.senders.len() {
                    self.every_s
                } else {
                    60.0
                };
                let gap = -every * (1.0 - self.rng.random::<f64>()).ln();
                self.next_s[i] += gap.max(0.5);
            }
        }
        for b in &self.active {
            b.render(self.rate, self.noise_power, self.next_sample, out);
        }
        self.active
            .retain(|b| b.start_s + b.duration_s() + 0.001 > t1);
        self.next_sample += out.len() as u64;
    }
}
