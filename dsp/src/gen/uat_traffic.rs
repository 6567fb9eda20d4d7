//! Live UAT traffic for the built-in simulator and tests: aircraft with UAT transceivers
//! around a centre, each sending one ADS-B downlink a second in a random message start
//! opportunity of the ADS-B segment, and a ground station sending FIS-B uplinks in its slot
//! of the ground segment — the timing of DO-282B's one-second UAT frame. Bursts are modulated
//! as [`super::uat`] does (exact CPFSK phase, carrier offset and phase, complex Gaussian
//! noise, 8-bit quantisation), streaming, with the truth of every burst sent.

use super::fisb::{angular, put, uplink, Station};
use super::uat::{add_burst, burst_bits, UatBurst};
use super::{fly, quantize};
use crate::cpr::Position;
use crate::uat::consts::*;
use crate::uat::frame::{encode_downlink, encode_uplink, Kind};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

/// The ground station's part: which APDUs it repeats, from where, how strong.
#[derive(Clone, Debug)]
pub struct FisbConfig {
    pub station: Station,
    pub snr_db: f64,
    /// Sent in turn, as many per uplink as fit, round and round.
    pub apdus: Vec<Vec<u8>>,
}

#[derive(Clone, Debug)]
pub struct UatTrafficConfig {
    pub centre: Position,
    pub aircraft: usize,
    /// Aircraft start within this distance of the centre and turn back at it.
    pub radius_km: f64,
    /// Per-downlink SNR, uniform in [lo, hi] dB.
    pub snr_db: (f64, f64),
    /// Complex noise power relative to full scale, dB.
    pub noise_dbfs: f64,
    /// Each transmitter's carrier offset, uniform in ±this.
    pub max_offset_hz: f64,
    pub fisb: Option<FisbConfig>,
    pub seed: u64,
}

impl UatTrafficConfig {
    pub fn new(centre: Position, aircraft: usize, seed: u64) -> Self {
        Self {
            centre,
            aircraft,
            radius_km: 100.0,
            snr_db: (6.0, 30.0),
            noise_dbfs: -30.0,
            max_offset_hz: 5000.0,
            fisb: None,
            seed,
        }
    }
}

/// A UAT-equipped aircraft (general aviation: slow, low, often on autopilot).
#[derive(Clone, Debug)]
pub struct UatAircraft {
    pub address: u32,
    pub callsign: String,
    pub pos: Position,
    pub alt_ft: i32,
    pub v_north: f64,
    pub v_east: f64,
    pub vrate: i32,
    /// Autopilot selected altitude (sent in target state elements) if any.
    pub selected_alt_ft: Option<i32>,
    /// Emergency/priority code (0 none … 6 downed).
    pub emergency: u8,
    offset_hz: f64,
    /// Which second of the four-second payload-type cycle it is in.
    phase: u64,
    t: f64,
}

struct Pending {
    burst: UatBurst,
    codeword: Vec<u8>,
}

pub struct UatTrafficSim {
    cfg: UatTrafficConfig,
    rng: SmallRng,
    pub aircraft: Vec<UatAircraft>,
    next_frame: u64,
    next_apdu: usize,
    next_sample: u64,
    pending: Vec<Pending>,
    carry: Vec<[f64; 2]>,
    noise_rms: f64,
}

/// Samples a burst may run past the block it starts in (an uplink, plus rounding).
const TAIL: usize = ((SYNC_BITS + UPLINK_BITS) * 2) + 8;

impl UatTrafficSim {
    pub fn new(cfg: UatTrafficConfig) -> Self {
        let mut rng = SmallRng::seed_from_u64(cfg.seed);
        let aircraft = (0..cfg.aircraft)
            .map(|i| new_aircraft(&cfg, &mut rng, i))
            .collect();
        Self {
            noise_rms: 10f64.powf(cfg.noise_dbfs / 20.0),
            cfg,
            rng,
            aircraft,
            next_frame: 0,
            next_apdu: 0,
            next_sample: 0,
            pending: Vec::new(),
            carry: Vec::new(),
        }
    }

    /// Replaces what the ground station sends (from its next uplink); nothing without a
    /// station configured.
    pub fn set_fisb_apdus(&mut self, apdus: Vec<Vec<u8>>) {
        if let Some(f) = &mut self.cfg.fisb {
            f.apdus = apdus;
            self.next_apdu = 0;
        }
    }

    /// Generates the next `n` samples as cu8 IQ (appended to `iq`) and the bursts that start
    /// in them (appended to `sent`, in order).
    pub fn next_block(&mut self, n: usize, iq: &mut Vec<u8>, sent: &mut Vec<UatBurst>) {
        let t0 = self.next_sample as f64;
        let t1 = t0 + n as f64;
        while self.next_frame as f64 * FRAME_S * SAMPLE_RATE < t1 {
            self.schedule_frame(self.next_frame);
            self.next_frame += 1;
        }
        self.pending
            .sort_by(|a, b| a.burst.start.total_cmp(&b.burst.start));
        let due = self.pending.partition_point(|p| p.burst.start < t1);
        let mut buf = std::mem::take(&mut self.carry);
        buf.resize(n + TAIL, [0.0; 2]);
        for p in self.pending.drain(..due) {
            let b = &p.burst;
            let amp = self.noise_rms * 10f64.powf(b.snr_db / 20.0);
            let phase0 = self.rng.random_range(0.0..std::f64::consts::TAU);
            let bits = burst_bits(b.kind, &p.codeword);
            add_burst(&mut buf, &bits, b.start - t0, amp, b.offset_hz, phase0);
            sent.push(p.burst);
        }
        let sigma = (self.noise_rms / std::f64::consts::SQRT_2) as f32;
        iq.reserve(2 * n);
        for s in &buf[..n] {
            for v in s {
                let noise: f32 = self.rng.sample(StandardNormal);
                iq.push(quantize(*v as f32 + sigma * noise));
            }
        }
        self.carry = buf.split_off(n);
        self.next_sample += n as u64;
    }

    /// Puts second `k`'s bursts in the queue: the station's uplink, then one downlink per
    /// aircraft.
    fn schedule_frame(&mut self, k: u64) {
        let frame_s = k as f64 * FRAME_S;
        if let Some(f) = &self.cfg.fisb {
            let n = f.apdus.len();
            let offered: Vec<Vec<u8>> = (0..n)
                .map(|i| f.apdus[(self.next_apdu + i) % n].clone())
                .collect();
            let (station, snr_db) = (f.station, f.snr_db);
            if let Some((payload, used)) = uplink(station, &offered) {
                self.next_apdu = (self.next_apdu + used) % n.max(1);
                let t = frame_s
                    + GROUND_GUARD_S
                    + f64::from(station.slot % UPLINK_SLOTS) * UPLINK_SLOT_S;
                let offset_hz = self.offset();
                self.push(Kind::Uplink, payload, t, snr_db, offset_hz);
            }
        }
        for a in 0..self.aircraft.len() {
            let mso = self.rng.random_range(0..ADSB_MSOS);
            let t = frame_s + ADSB_SEGMENT_S + f64::from(mso) * MSO_S;
            let centre = self.cfg.centre;
            let radius = self.cfg.radius_km;
            let ac = &mut self.aircraft[a];
            let dt = t - ac.t;
            ac.t = t;
            fly(
                &mut ac.pos,
                &mut ac.v_north,
                &mut ac.v_east,
                dt,
                centre,
                radius,
            );
            ac.alt_ft = (ac.alt_ft + (f64::from(ac.vrate) * dt / 60.0) as i32).clamp(500, 17_500);
            if ac.alt_ft <= 500 || ac.alt_ft >= 17_500 {
                ac.vrate = -ac.vrate;
            }
            let payload_type = match (k + ac.phase) % 4 {
                0 => 1,
                2 if ac.selected_alt_ft.is_some() => 3,
                2 => 1,
                _ => 0,
            };
            let payload = downlink_payload(ac, payload_type, mso);
            let snr = self.rng.random_range(self.cfg.snr_db.0..=self.cfg.snr_db.1);
            let offset_hz = self.aircraft[a].offset_hz;
            self.push(Kind::Downlink, payload, t, snr, offset_hz);
        }
    }

    fn offset(&mut self) -> f64 {
        let m = self.cfg.max_offset_hz.abs();
        if m > 0.0 {
            self.rng.random_range(-m..=m)
        } else {
            0.0
        }
    }

    fn push(&mut self, kind: Kind, payload: Vec<u8>, t: f64, snr_db: f64, offset_hz: f64) {
        let codeword = match kind {
            Kind::Downlink => encode_downlink(&payload),
            Kind::Uplink => encode_uplink(&payload),
        };
        let Some(codeword) = codeword else {
            return;
        };
        // A random sub-sample start, as a real receiver's clock falls anywhere in a bit.
        let start = t * SAMPLE_RATE + self.rng.random_range(0.0..1.0);
        self.pending.push(Pending {
            burst: UatBurst {
                kind,
                payload,
                start,
                snr_db,
                offset_hz,
            },
            codeword,
        });
    }
}

fn new_aircraft(cfg: &UatTrafficConfig, rng: &mut SmallRng, i: usize) -> UatAircraft {
    let r = cfg.radius_km * rng.random::<f64>().sqrt();
    let bearing: f64 = rng.random_range(0.0..std::f64::consts::TAU);
    let pos = Position {
        lat: cfg.centre.lat + r * bearing.cos() / 111.2,
        lon: cfg.centre.lon
            + r * bearing.sin() / (111.2 * cfg.centre.lat.to_radians().cos().max(0.01)),
    };
    let speed = rng.random_range(80.0..180.0);
    let track: f64 = rng.random_range(0.0..std::f64::consts::TAU);
    let alt_ft = rng.random_range(15..120) * 100;
    let tail: String = (0..2)
        .map(|_| char::from(b'A' + rng.random_range(0..26u8)))
        .collect();
    let m = cfg.max_offset_hz.abs();
    UatAircraft {
        // US civil registrations N1xxxx sit from 0xA00001; a made-up block inside it.
        address: 0xA5_0000 + (i as u32 * 0x2F1) % 0x1_0000,
        callsign: format!("N{}{tail}", 100 + i % 900),
        pos,
        alt_ft,
        v_north: speed * track.cos(),
        v_east: speed * track.sin(),
        vrate: rng.random_range(-8..8) * 64,
        selected_alt_ft: rng.random_bool(0.5).then(|| (alt_ft + 500) / 1000 * 1000),
        emergency: 0,
        offset_hz: if m > 0.0 {
            rng.random_range(-m..=m)
        } else {
            0.0
        },
        phase: rng.random_range(0..4),
        t: 0.0,
    }
}

/// Base-40 code of a mode status call sign character (space for anything else).
fn base40(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'A'..=b'Z' => u32::from(c - b'A') + 10,
        _ => 36,
    }
}

/// A downlink payload of `payload_type` (0, 1 or 3) for the aircraft as it is now.
fn downlink_payload(ac: &UatAircraft, payload_type: u8, mso: u32) -> Vec<u8> {
    let long = payload_type != 0;
    let mut p = vec![0u8; if long { LONG_PAYLOAD } else { BASIC_PAYLOAD }];
    p[0] = payload_type << 3; // address qualifier 0: ADS-B with ICAO address
    put(&mut p, 8, 24, ac.address);
    // State vector: position, pressure altitude, NIC 8, airborne, velocities, UTC coupled.
    let (raw_lat, raw_lon) = angular(ac.pos.lat, ac.pos.lon, 24);
    put(&mut p, 32, 23, raw_lat);
    put(&mut p, 55, 24, raw_lon);
    put(&mut p, 80, 12, altitude_code(ac.alt_ft));
    put(&mut p, 92, 4, 8);
    put(&mut p, 99, 11, sign_magnitude(ac.v_north, 10));
    put(&mut p, 110, 11, sign_magnitude(ac.v_east, 10));
    // Vertical rate: barometric source, sign, 64 ft/min steps.
    let vrate = sign_magnitude(f64::from(ac.vrate) / 64.0, 9);
    put(&mut p, 121, 11, (1 << 10) | vrate);
    put(&mut p, 132, 1, 1);
    if !long {
        return p;
    }
    // Mode status: emitter category A1 and call sign in base 40, then status and quality.
    let cs: Vec<u32> = format!("{:<8}", ac.callsign)
        .bytes()
        .take(8)
        .map(base40)
        .collect();
    put(&mut p, 136, 16, 1600 + cs[0] * 40 + cs[1]);
    put(&mut p, 152, 16, cs[2] * 1600 + cs[3] * 40 + cs[4]);
    put(&mut p, 168, 16, cs[5] * 1600 + cs[6] * 40 + cs[7]);
    put(&mut p, 184, 3, u32::from(ac.emergency.min(7)));
    put(&mut p, 187, 3, 2); // MOPS version (DO-282B)
    put(&mut p, 190, 2, 3); // SIL
    put(&mut p, 192, 6, mso & 0x3f); // transmit MSO, low six bits
    put(&mut p, 198, 2, 2); // SDA
    put(&mut p, 200, 4, 9); // NACp
    put(&mut p, 204, 3, 2); // NACv
    put(&mut p, 207, 1, 1); // NICbaro
    put(&mut p, 208, 1, 1); // UAT in
    put(&mut p, 214, 1, 1); // CSID: a call sign
    match (payload_type, ac.selected_alt_ft) {
        (3, Some(sel)) => {
            // Target state: MCP selected altitude, QNH 1013.6 hPa, heading along the track,
            // autopilot and altitude hold engaged.
            put(
                &mut p,
                233,
                11,
                (f64::from(sel.max(0)) / 32.0).round() as u32 + 1,
            );
            put(&mut p, 244, 9, 268);
            let track = ac.v_east.atan2(ac.v_north).to_degrees().rem_euclid(360.0);
            put(&mut p, 253, 1, 1);
            put(&mut p, 254, 9, (track * 512.0 / 360.0).round() as u32 % 512);
            put(&mut p, 263, 1, 1);
            put(&mut p, 264, 1, 1);
            put(&mut p, 266, 1, 1);
        }
        // Auxiliary state vector: the geometric altitude.
        _ => put(&mut p, 232, 12, altitude_code(ac.alt_ft + 150)),
    }
    p
}

/// A sign bit above `bits` bits of magnitude + 1 (0 meaning "no data"), as UAT velocities are
/// sent.
fn sign_magnitude(v: f64, bits: u32) -> u32 {
    let max = (1u32 << bits) - 1;
    let mag = (v.abs().round() as u32 + 1).min(max);
    (u32::from(v < 0.0) << bits) | mag
}

/// 25 ft steps from −1000 ft, 0 meaning "no altitude".
fn altitude_code(ft: i32) -> u32 {
    ((ft + 1000).max(0) / 25 + 1).min(4095) as u32
}
