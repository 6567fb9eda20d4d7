//! Test signal generator: simulated aircraft → Mode S replies → 8-bit IQ, with the ground
//! truth of every reply sent.
//!
//! Aircraft fly straight lines around a centre and transmit at the rates real transponders
//! do (positions and velocity twice a second, identification every five seconds, all-call
//! squitters every second, plus replies to interrogations: DF0/4/5/20/21). Each reply gets
//! its own SNR (uniform over a range, so one run measures a whole sensitivity curve), random
//! carrier phase, the aircraft's carrier offset (most within ±100 kHz, some at ±500 kHz),
//! Poisson timing (so replies overlap as they do in the air), white complex Gaussian noise and
//! 8-bit quantisation with clipping.
//!
//! SNR is pulse peak power over complex noise power in the sampled band: A² / σ².
//! Deterministic for a seed; streaming, so the daemon's simulator runs it forever.

pub mod acars;
pub mod am;
pub mod encode;
pub mod fisb;
pub mod modulate;
pub mod path;
pub mod uat;
pub mod uat_traffic;
pub mod vdl2;

use crate::cpr::Position;
use crate::iq::SampleRate;
use encode::Reply;
use modulate::{Carrier, Modulator};
use num_complex::Complex32;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp, StandardNormal};

/// What to simulate.
#[derive(Clone, Debug)]
pub struct TrafficConfig {
    pub rate: SampleRate,
    pub centre: Position,
    pub aircraft: usize,
    /// Aircraft start within this distance of the centre and turn back at it.
    pub radius_km: f64,
    /// Per-reply SNR, uniform in [lo, hi] dB.
    pub snr_db: (f64, f64),
    /// Complex noise power relative to full scale, in dB (−30 dBFS ≈ 4 counts RMS in cu8).
    pub noise_dbfs: f64,
    /// Fraction of aircraft whose carrier is off by up to ±500 kHz instead of ±100 kHz.
    pub wide_offset_fraction: f64,
    /// Multiplies every message rate (to make traffic denser or sparser).
    pub rate_scale: f64,
    /// Fraction of aircraft on the ground, sending surface positions.
    pub surface_fraction: f64,
    pub seed: u64,
}

impl TrafficConfig {
    pub fn new(rate: SampleRate, centre: Position, aircraft: usize, seed: u64) -> Self {
        Self {
            rate,
            centre,
            aircraft,
            radius_km: 150.0,
            snr_db: (6.0, 30.0),
            noise_dbfs: -30.0,
            wide_offset_fraction: 0.1,
            rate_scale: 1.0,
            surface_fraction: 0.05,
            seed,
        }
    }
}

/// One reply that went on the air, with what a perfect receiver would know about it.
#[derive(Clone, Debug)]
pub struct Transmission {
    pub reply: Reply,
    pub icao: u32,
    /// Start of the preamble, in output samples since the stream began.
    pub start: f64,
    /// Length in output samples.
    pub duration: f64,
    pub snr_db: f64,
    /// The true position at transmission, for position messages.
    pub position: Option<Position>,
    /// Set by [`mark_overlaps`]: another reply was on the air at the same time.
    pub overlaps: bool,
}

/// An aircraft flying a scripted [`path::Path`] (the cannonball scenario's police
/// helicopter, its grid search …). With `period_s`, the path starts again every period under
/// the next address of `addresses` (so the old track expires instead of jumping).
#[derive(Clone, Debug)]
pub struct Scripted {
    pub path: path::Path,
    pub period_s: Option<f64>,
    pub addresses: Vec<u32>,
    pub callsigns: Vec<String>,
}

impl Scripted {
    /// The address, call sign and state at stream time `t`.
    pub fn at(&self, t: f64) -> (u32, &str, path::State) {
        let (cycle, tau) = match self.period_s {
            Some(p) if p > 0.0 => ((t / p).floor().max(0.0) as usize, t.rem_euclid(p)),
            _ => (0, t),
        };
        let pick = |n: usize| if n == 0 { 0 } else { cycle % n };
        let icao = self
            .addresses
            .get(pick(self.addresses.len()))
            .copied()
            .unwrap_or(1);
        let callsign = self
            .callsigns
            .get(pick(self.callsigns.len()))
            .map_or("", String::as_str);
        (icao, callsign, self.path.at(tau))
    }
}

/// One simulated aircraft.
#[derive(Clone, Debug)]
pub struct SimAircraft {
    pub icao: u32,
    pub callsign: String,
    pub squawk: u16,
    pub pos: Position,
    pub alt_ft: i32,
    pub v_east: f64,
    pub v_north: f64,
    pub vrate: i32,
    pub on_ground: bool,
    /// ADS-B emitter category in set A (3: large, 7: rotorcraft).
    pub category: u8,
    /// Flies this instead of a straight line.
    pub script: Option<Scripted>,
    offset_hz: f64,
    odd: bool,
    /// Time (s) of the position above.
    t: f64,
    /// Next time (s) for each message kind: position, velocity, ident, all-call, interrogated,
    /// aircraft status.
    next: [f64; 6],
}

const PERIODS_S: [f64; 6] = [0.5, 0.5, 5.0, 1.0, 0.5, 1.0];
/// The aircraft-status kind (ES TC 28/1), sent only while the squawk is an emergency code.
const STATUS: usize = 5;

pub struct TrafficSim {
    cfg: TrafficConfig,
    rng: SmallRng,
    modulator: Modulator,
    pub aircraft: Vec<SimAircraft>,
    /// Output sample index of the next block.
    next_sample: u64,
    /// Signal already rendered past the end of the last block.
    carry: Vec<Complex32>,
    noise_sigma: f32,
    noise_rms: f64,
}

impl TrafficSim {
    pub fn new(cfg: TrafficConfig) -> Self {
        let mut rng = SmallRng::seed_from_u64(cfg.seed);
        let aircraft = (0..cfg.aircraft)
            .map(|i| new_aircraft(&cfg, &mut rng, i))
            .collect();
        let noise_rms = 10f64.powf(cfg.noise_dbfs / 20.0);
        Self {
            modulator: Modulator::new(cfg.rate),
            noise_sigma: (noise_rms / std::f64::consts::SQRT_2) as f32,
            noise_rms,
            cfg,
            rng,
            aircraft,
            next_sample: 0,
            carry: Vec::new(),
        }
    }

    pub fn config(&self) -> &TrafficConfig {
        &self.cfg
    }

    /// Adds an aircraft that flies `script` (emitter category `category` of set A, e.g. 7
    /// for a rotorcraft), transmitting like the others.
    pub fn add_scripted(&mut self, script: Scripted, category: u8, squawk: u16) {
        let i = self.aircraft.len();
        let mut a = new_aircraft(&self.cfg, &mut self.rng, i);
        let (icao, callsign, st) = script.at(0.0);
        a.icao = icao;
        a.callsign = callsign.to_owned();
        a.pos = Position {
            lat: st.lat,
            lon: st.lon,
        };
        a.alt_ft = st.alt_ft.round() as i32;
        a.on_ground = false;
        a.category = category;
        a.squawk = squawk;
        a.script = Some(script);
        self.aircraft.push(a);
    }

    /// Generates the next `n` samples as cu8 IQ into `iq` (appended) and the replies that
    /// start in them into `sent` (appended).
    pub fn next_block(&mut self, n: usize, iq: &mut Vec<u8>, sent: &mut Vec<Transmission>) {
        let fs = self.cfg.rate.hz() as f64;
        let t0 = self.next_sample as f64;
        let t1 = t0 + n as f64;
        let tail = (self.modulator.duration_samples(&Reply {
            bytes: [0; 14],
            bits: 112,
        }) + 8.0) as usize;
        let mut buf = std::mem::take(&mut self.carry);
        buf.resize(n + tail, Complex32::new(0.0, 0.0));
        let first_sent = sent.len();
        for a in 0..self.aircraft.len() {
            loop {
                let (kind, t) = self.aircraft[a]
                    .next
                    .iter()
                    .copied()
                    .enumerate()
                    .min_by(|x, y| x.1.total_cmp(&y.1))
                    .unwrap_or((0, f64::INFINITY));
                let start = t * fs;
                if start >= t1 {
                    break;
                }
                let period = PERIODS_S[kind] / self.cfg.rate_scale.max(1e-6);
                if kind == STATUS {
                    // Draws nothing from the generator unless it transmits, so traffic
                    // without emergencies is the same as before this kind existed.
                    self.aircraft[a].next[kind] = t + period;
                    if start < t0 || emergency_state(self.aircraft[a].squawk).is_none() {
                        continue;
                    }
                }
                let gap = Exp::new(1.0 / period)
                    .map(|d| d.sample(&mut self.rng))
                    .unwrap_or(period);
                // Squitters are periodic with jitter; interrogation replies are Poisson.
                let step = if kind == STATUS {
                    period
                } else if kind == 4 {
                    gap
                } else {
                    period * self.rng.random_range(0.8..1.2)
                };
                self.aircraft[a].next[kind] = t + step;
                if start < t0 {
                    continue;
                }
                self.fly_to(a, t);
                let Some((reply, position)) = self.message(a, kind) else {
                    continue;
                };
                let snr = self.rng.random_range(self.cfg.snr_db.0..=self.cfg.snr_db.1);
                let amp = (self.noise_rms * 10f64.powf(snr / 20.0)) as f32;
                let phase = self.rng.random_range(0.0..std::f64::consts::TAU);
                let carrier = Carrier {
                    amp,
                    offset_hz: self.aircraft[a].offset_hz,
                    phase,
                };
                self.modulator.add(&mut buf, t0, &reply, start, carrier);
                sent.push(Transmission {
                    reply,
                    icao: self.aircraft[a].icao,
                    start,
                    duration: self.modulator.duration_samples(&reply),
                    snr_db: snr,
                    position,
                    overlaps: false,
                });
            }
        }
        sent[first_sent..].sort_by(|a, b| a.start.total_cmp(&b.start));
        iq.reserve(2 * n);
        for z in &buf[..n] {
            let ni: f32 = self.rng.sample(StandardNormal);
            let nq: f32 = self.rng.sample(StandardNormal);
            iq.push(quantize(z.re + self.noise_sigma * ni));
            iq.push(quantize(z.im + self.noise_sigma * nq));
        }
        self.carry = buf.split_off(n);
        self.next_sample += n as u64;
    }

    /// Moves aircraft `a` to time `t` (s) along its track, turning back at the radius.
    fn fly_to(&mut self, a: usize, t: f64) {
        let centre = self.cfg.centre;
        let radius = self.cfg.radius_km;
        let ac = &mut self.aircraft[a];
        let dt = t - ac.t;
        ac.t = t;
        if let Some(script) = &ac.script {
            let (icao, callsign, st) = script.at(t);
            ac.icao = icao;
            if ac.callsign != callsign {
                ac.callsign = callsign.to_owned();
            }
            ac.pos = Position {
                lat: st.lat,
                lon: st.lon,
            };
            let track = st.track_deg.to_radians();
            ac.v_east = st.gs_kt * track.sin();
            ac.v_north = st.gs_kt * track.cos();
            if dt > 0.0 {
                let climb_fpm = (st.alt_ft - f64::from(ac.alt_ft)) / dt * 60.0;
                ac.vrate = ((climb_fpm / 64.0).round() as i32 * 64).clamp(-6000, 6000);
            }
            ac.alt_ft = st.alt_ft.round() as i32;
            return;
        }
        if ac.on_ground {
            return;
        }
        fly(
            &mut ac.pos,
            &mut ac.v_north,
            &mut ac.v_east,
            dt,
            centre,
            radius,
        );
    }

    fn message(&mut self, a: usize, kind: usize) -> Option<(Reply, Option<Position>)> {
        let ac = &mut self.aircraft[a];
        let icao = ac.icao;
        Some(match kind {
            0 => {
                ac.odd = !ac.odd;
                let r = if ac.on_ground {
                    encode::surface_position(icao, ac.pos, 20, 90.0, ac.odd)
                } else {
                    encode::airborne_position(icao, ac.pos, ac.alt_ft, ac.odd)
                };
                (r, Some(ac.pos))
            }
            1 if !ac.on_ground => (
                encode::velocity(icao, ac.v_east, ac.v_north, ac.vrate),
                None,
            ),
            2 => (
                encode::identification(icao, 4, ac.category, &ac.callsign),
                None,
            ),
            3 => (
                encode::all_call(icao, if ac.on_ground { 4 } else { 5 }),
                None,
            ),
            4 => {
                let r = match self.rng.random_range(0..6) {
                    0 => encode::altitude_reply(icao, ac.alt_ft),
                    1 => encode::identity_reply(icao, ac.squawk),
                    2 => encode::short_acas(icao, ac.alt_ft),
                    3 => encode::comm_b_identification(icao, ac.alt_ft, &ac.callsign),
                    4 => {
                        encode::comm_b_selected_altitude(icao, ac.squawk, (ac.alt_ft / 1000) * 1000)
                    }
                    _ => encode::altitude_reply(icao, ac.alt_ft),
                };
                (r, None)
            }
            STATUS => (
                encode::emergency_status(icao, emergency_state(ac.squawk)?, ac.squawk),
                None,
            ),
            _ => return None,
        })
    }
}

/// The ADS-B emergency state an emergency squawk implies (DO-260B 2.2.3.2.7.8.1.2): general,
/// no communications, unlawful interference; `None` for other codes.
fn emergency_state(squawk: u16) -> Option<u8> {
    match squawk {
        7700 => Some(1),
        7600 => Some(4),
        7500 => Some(5),
        _ => None,
    }
}

fn new_aircraft(cfg: &TrafficConfig, rng: &mut SmallRng, i: usize) -> SimAircraft {
    let on_ground = rng.random_bool(cfg.surface_fraction.clamp(0.0, 1.0));
    let r = if on_ground {
        rng.random_range(0.0..3.0)
    } else {
        cfg.radius_km * rng.random::<f64>().sqrt()
    };
    let bearing: f64 = rng.random_range(0.0..std::f64::consts::TAU);
    let pos = Position {
        lat: cfg.centre.lat + r * bearing.cos() / 111.2,
        lon: cfg.centre.lon
            + r * bearing.sin() / (111.2 * cfg.centre.lat.to_radians().cos().max(0.01)),
    };
    let speed = if on_ground {
        0.0
    } else {
        rng.random_range(140.0..480.0)
    };
    let track: f64 = rng.random_range(0.0..std::f64::consts::TAU);
    let wide = rng.random_bool(cfg.wide_offset_fraction.clamp(0.0, 1.0));
    let span = if wide { 500e3 } else { 100e3 };
    let letters: String = (0..3)
        .map(|_| char::from(b'A' + rng.random_range(0..26u8)))
        .collect();
    let mut next = [0.0; 6];
    for (k, n) in next.iter_mut().enumerate().take(STATUS) {
        *n = rng.random_range(0.0..PERIODS_S[k]);
    }
    SimAircraft {
        // Distinct addresses from a made-up block, never 0.
        icao: 0x100000 + ((i as u32).wrapping_mul(0x9E37) & 0x7FFFF) + i as u32 % 7,
        callsign: format!("{letters}{}", 100 + i % 900),
        squawk: [1200, 2000, 3456, 4521, 6117, 1000][i % 6],
        pos,
        alt_ft: if on_ground {
            0
        } else {
            rng.random_range(20..400) * 100
        },
        v_east: speed * track.sin(),
        v_north: speed * track.cos(),
        vrate: if on_ground {
            0
        } else {
            rng.random_range(-30..30) * 64
        },
        on_ground,
        category: 3,
        script: None,
        offset_hz: rng.random_range(-span..span),
        odd: rng.random_bool(0.5),
        t: 0.0,
        next,
    }
}

/// Complex white Gaussian noise of a given power (the receiver's own noise in a generated
/// stream).
pub struct Noise {
    rng: rand::rngs::SmallRng,
    sigma: f32,
}

impl Noise {
    pub fn new(power: f64, seed: u64) -> Self {
        use rand::SeedableRng;
        Self {
            rng: rand::rngs::SmallRng::seed_from_u64(seed),
            sigma: (power / 2.0).sqrt() as f32,
        }
    }

    /// Overwrites `out` with noise.
    pub fn fill(&mut self, out: &mut [num_complex::Complex32]) {
        use rand::Rng;
        for v in out.iter_mut() {
            let i: f32 = self.rng.sample(rand_distr::StandardNormal);
            let q: f32 = self.rng.sample(rand_distr::StandardNormal);
            *v = num_complex::Complex32::new(self.sigma * i, self.sigma * q);
        }
    }
}

/// Rounds to the nearest 8-bit level (halves up) and clips, like the dongle's ADC. `as u8`
/// truncates and saturates, so adding 0.5 first is round-then-clamp without a libm call
/// (`round` was a tenth of the built-in simulator's CPU).
pub fn quantize(v: f32) -> u8 {
    (128.0 + 127.5 * v) as u8
}

/// Moves `pos` by `dt` seconds at the velocity (kt), turning back once beyond `radius_km` of
/// `centre`.
pub(crate) fn fly(
    pos: &mut Position,
    v_north: &mut f64,
    v_east: &mut f64,
    dt: f64,
    centre: Position,
    radius_km: f64,
) {
    let nm = |kt: f64| kt * dt / 3600.0;
    pos.lat += nm(*v_north) / 60.0;
    pos.lon += nm(*v_east) / (60.0 * pos.lat.to_radians().cos().max(0.01));
    if distance_km(centre, *pos) > radius_km {
        *v_east = -*v_east;
        *v_north = -*v_north;
    }
}

/// Great-circle distance (haversine), in km.
pub fn distance_km(a: Position, b: Position) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0088 * h.sqrt().asin()
}

/// Marks every transmission whose air time intersects another's. `sent` must be in start order.
pub fn mark_overlaps(sent: &mut [Transmission]) {
    let mut reach = f64::NEG_INFINITY;
    let mut reach_idx: Option<usize> = None;
    for i in 0..sent.len() {
        if sent[i].start < reach {
            sent[i].overlaps = true;
            if let Some(j) = reach_idx {
                sent[j].overlaps = true;
            }
        }
        let end = sent[i].start + sent[i].duration;
        if end > reach {
            reach = end;
            reach_idx = Some(i);
        }
    }
}

/// Convenience: `seconds` of traffic in one go.
pub fn generate(cfg: TrafficConfig, seconds: f64) -> (Vec<u8>, Vec<Transmission>) {
    generate_with(TrafficSim::new(cfg), seconds)
}

/// `seconds` of traffic from a simulator set up by the caller (scripted aircraft added).
pub fn generate_with(mut sim: TrafficSim, seconds: f64) -> (Vec<u8>, Vec<Transmission>) {
    let total = (seconds * sim.cfg.rate.hz() as f64) as usize;
    let mut iq = Vec::with_capacity(total * 2);
    let mut sent = Vec::new();
    let block = 1 << 16;
    let mut done = 0;
    while done < total {
        let n = block.min(total - done);
        sim.next_block(n, &mut iq, &mut sent);
        done += n;
    }
    mark_overlaps(&mut sent);
    (iq, sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_rounds_halves_up_and_clips_like_the_adc() {
        let reference = |v: f32| (127.5 + 127.5 * v).round().clamp(0.0, 255.0) as u8;
        for i in -3000..=3000 {
            let v = i as f32 / 1000.0;
            assert_eq!(quantize(v), reference(v), "v = {v}");
        }
        assert_eq!(
            (quantize(-1.0), quantize(0.0), quantize(1.0)),
            (0, 128, 255)
        );
        assert_eq!(quantize(f32::NAN), 0);
    }

    #[test]
    fn emergency_squawk_adds_aircraft_status_squitters() {
        let centre = Position {
            lat: 52.0,
            lon: 4.0,
        };
        let mut sim = TrafficSim::new(TrafficConfig::new(SampleRate::Msps2_4, centre, 3, 5));
        sim.aircraft[0].squawk = 7700;
        let (mut iq, mut sent) = (Vec::new(), Vec::new());
        sim.next_block(2_400_000 * 4, &mut iq, &mut sent);
        let status: Vec<_> = sent
            .iter()
            .filter(|t| t.reply.data()[0] >> 3 == 17 && t.reply.data()[4] >> 3 == 28)
            .collect();
        assert!((3..=5).contains(&status.len()), "{} in 4 s", status.len());
        assert!(status.iter().all(|t| t.icao == sim.aircraft[0].icao));
    }
}
