//! The built-in simulator: generated traffic on every band (the project's own test signal
//! generators, `dsp::gen`), modulated into IQ in real time and put through the real receive
//! chain, so a daemon with no radio shows a live picture. On 1090 MHz one aircraft squawks
//! 7700 for a while; on 978 MHz UAT aircraft and a FIS-B ground station whose TFR, NOTAM and
//! METAR are re-dated as time passes, so they never expire while the daemon runs; on the VHF
//! band the 1090 MHz aircraft send ACARS under their call signs.

use super::pipeline::Pipeline;
use crate::config::ChannelKind;
use crate::wall;
use dsp::cpr::Position;
use dsp::gen::acars::{AcarsSender, AcarsTraffic};
use dsp::gen::am::{VoiceChannel, VoiceTraffic};
use dsp::gen::fisb::{demo_products, Station};
use dsp::gen::uat_traffic::{FisbConfig, UatTrafficConfig, UatTrafficSim};
use dsp::gen::vdl2::{Vdl2Sender, Vdl2Traffic};
use dsp::gen::{quantize, Noise};
use dsp::gen::{TrafficConfig, TrafficSim};
use dsp::uat::uplink::RecordTime;
use dsp::SampleRate;
use num_complex::Complex32;

/// How often the simulated FIS-B reports get new times (s).
const FISB_REDATE_S: f64 = 1800.0;

/// Simulated 1090 MHz traffic.
pub struct Simulated {
    sim: TrafficSim,
    /// Stream times between which the first aircraft squawks 7700.
    emergency: Option<(f64, f64)>,
    normal_squawk: u16,
    /// Times real time.
    pub speed: f64,
}

impl Simulated {
    /// `aircraft` flying straight lines around `centre`, plus the cannonball scenario's
    /// scripted ones when `cannonball`.
    pub fn new(
        centre: Position,
        aircraft: usize,
        seed: u64,
        emergency: Option<(f64, f64)>,
        cannonball: bool,
        speed: f64,
    ) -> Self {
        let mut sim = TrafficSim::new(TrafficConfig::new(
            SampleRate::Msps2_4,
            centre,
            aircraft,
            seed,
        ));
        let normal_squawk = sim.aircraft.first().map_or(0, |a| a.squawk);
        // The emergency is the first random aircraft's; without any, there is none.
        let emergency = emergency.filter(|_| aircraft > 0);
        if cannonball {
            for role in super::scenario::roles(centre.lat, centre.lon) {
                sim.add_scripted(role.script, role.category, 7000);
            }
        }
        Self {
            sim,
            emergency,
            normal_squawk,
            speed,
        }
    }

    pub fn run(&mut self, p: &mut Pipeline) {
        let n = p.block_samples();
        let (mut iq, mut sent) = (Vec::with_capacity(2 * n), Vec::new());
        loop {
            let t = p.stream_s();
            if let Some(first) = self.sim.aircraft.first_mut() {
                let on = self.emergency.is_some_and(|(a, b)| t >= a && t < b);
                first.squawk = if on { 7700 } else { self.normal_squawk };
            }
            iq.clear();
            sent.clear();
            self.sim.next_block(n, &mut iq, &mut sent);
            if !p.process(&iq, false, self.speed) {
                return;
            }
        }
    }
}

/// Simulated 978 MHz traffic: UAT aircraft and, optionally, a FIS-B ground station.
pub struct UatSimulated {
    sim: UatTrafficSim,
    centre: Position,
    fisb: bool,
}

impl UatSimulated {
    pub fn new(centre: Position, aircraft: usize, seed: u64, fisb: bool) -> Self {
        let mut cfg = UatTrafficConfig::new(centre, aircraft, seed);
        if fisb {
            cfg.fisb = Some(FisbConfig {
                station: fisb_station(centre),
                snr_db: 20.0,
                apdus: Vec::new(),
            });
        }
        Self {
            sim: UatTrafficSim::new(cfg),
            centre,
            fisb,
        }
    }

    pub fn run(&mut self, p: &mut Pipeline) {
        let n = p.block_samples();
        let (mut iq, mut sent) = (Vec::with_capacity(2 * n), Vec::new());
        let mut dated_at = f64::NEG_INFINITY;
        loop {
            // FIS-B reports in effect from now for three hours, re-dated every half hour.
            if self.fisb && p.stream_s() - dated_at >= FISB_REDATE_S {
                dated_at = p.stream_s();
                self.sim
                    .set_fisb_apdus(fisb_products(self.centre, wall::now_ms()));
            }
            iq.clear();
            sent.clear();
            self.sim.next_block(n, &mut iq, &mut sent);
            if !p.process(&iq, false, 1.0) {
                return;
            }
        }
    }
}

/// The simulator's ground station: 40 km north-west of the receiver, slot 9.
fn fisb_station(centre: Position) -> Station {
    Station {
        lat: centre.lat + 0.25,
        lon: centre.lon - 0.35,
        slot: 9,
        tisb_site_id: 1,
    }
}

/// The simulator's FIS-B products issued at `now_ms`, in effect for 3 hours.
fn fisb_products(centre: Position, now_ms: u64) -> Vec<Vec<u8>> {
    let at = |ms: u64| {
        let c = wall::civil(ms);
        RecordTime {
            month: None,
            day: Some(c.day as u8),
            hour: c.hour as u8,
            minute: c.minute as u8,
        }
    };
    let start = at(now_ms);
    demo_products(
        centre,
        (start.hour, start.minute),
        start,
        at(now_ms + 3 * 3_600_000),
    )
}

/// Seconds between one voice channel's transmissions, on average (after each ends).
const VOICE_EVERY_S: f64 = 20.0;

/// Simulated VHF traffic: the simulated 1090 MHz aircraft (the same ones, by their seed) send
/// ACARS on the plan's ACARS channels and talk VDL2 with three ground stations on its VDL2
/// channels, each every minute or so; flight ids are their call signs, VDL2 addresses their
/// ICAO addresses, and registrations are made up from their addresses.
pub struct VhfSimulated {
    acars: AcarsTraffic,
    vdl2: Vdl2Traffic,
    voice: VoiceTraffic,
    noise: Noise,
    buf: Vec<Complex32>,
}

impl VhfSimulated {
    pub fn new(
        centre: Position,
        aircraft: usize,
        seed: u64,
        plan: &crate::config::VhfPlan,
        every_s: f64,
    ) -> Self {
        let fleet = TrafficSim::new(TrafficConfig::new(
            SampleRate::Msps2_4,
            centre,
            aircraft,
            seed,
        ));
        let flying: Vec<_> = fleet
            .aircraft
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.on_ground)
            .map(|(i, a)| {
                // One registration per aircraft, US-style (the simulator's fleet is made up).
                let registration = format!(
                    "N{}{}",
                    100 + i % 900,
                    ["AB", "SK", "XY", "ZD"][i / 900 % 4]
                );
                let flight: String = a.callsign.chars().take(6).collect();
                (a.icao, registration, flight, (a.pos.lat, a.pos.lon))
            })
            .collect();
        let offsets = |kind: ChannelKind| -> Vec<f64> {
            plan.channels
                .iter()
                .filter(|c| c.kind == kind)
                .map(|c| c.frequency_hz - plan.centre_hz)
                .collect()
        };
        let acars = AcarsTraffic::new(
            plan.rate_hz,
            offsets(ChannelKind::Acars),
            flying
                .iter()
                .map(|(_, registration, flight, position)| AcarsSender {
                    registration: registration.clone(),
                    flight: flight.clone(),
                    position: *position,
                })
                .collect(),
            every_s,
            seed,
        );
        let vdl2 = Vdl2Traffic::new(
            plan.rate_hz,
            offsets(ChannelKind::Vdl2),
            flying
                .iter()
                .map(|(icao, registration, flight, position)| Vdl2Sender {
                    icao: *icao,
                    registration: registration.clone(),
                    flight: flight.clone(),
                    position: *position,
                })
                .collect(),
            every_s,
            acars.noise_power(),
            seed,
        );
        let voice = VoiceTraffic::new(
            plan.rate_hz,
            plan.channels
                .iter()
                .filter(|c| c.kind == ChannelKind::Am)
                .map(|c| VoiceChannel {
                    offset_hz: c.frequency_hz - plan.centre_hz,
                    width_hz: c.width_hz,
                })
                .collect(),
            super::phrases::phrases()
                .iter()
                .map(|p| p.transmitted.clone())
                .collect(),
            VOICE_EVERY_S,
            acars.noise_power(),
            seed,
        );
        let noise = Noise::new(acars.noise_power(), seed ^ 0x0f1e);
        Self {
            acars,
            vdl2,
            voice,
            noise,
            buf: Vec::new(),
        }
    }

    pub fn run(&mut self, p: &mut Pipeline) {
        let n = p.block_samples();
        let (mut iq, mut acars, mut vdl2) = (Vec::with_capacity(2 * n), Vec::new(), Vec::new());
        let mut voice = Vec::new();
        loop {
            self.buf.resize(n, Complex32::new(0.0, 0.0));
            self.noise.fill(&mut self.buf);
            acars.clear();
            vdl2.clear();
            self.acars.add_into(&mut self.buf, &mut acars);
            self.vdl2.add_into(&mut self.buf, &mut vdl2);
            voice.clear();
            self.voice.add_into(&mut self.buf, &mut voice);
            iq.clear();
            iq.extend(
                self.buf
                    .iter()
                    .flat_map(|v| [quantize(v.re), quantize(v.im)]),
            );
            if !p.process(&iq, false, 1.0) {
                return;
            }
        }
    }
}
