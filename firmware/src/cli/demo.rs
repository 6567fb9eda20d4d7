//! `skyspy demo`: the receive chain end to end with no radio: simulated aircraft around a
//! location are modulated into IQ, demodulated and decoded by the real chain, and the result
//! is checked against what was sent.

use super::cpr_pairer::CprPairer;
use crate::cli::CliError;
use dsp::cpr::Position;
use dsp::decode::decode;
use dsp::gen::{mark_overlaps, TrafficConfig, TrafficSim};
use dsp::{IqFormat, Receiver, RepairConfig, SampleRate};
use std::collections::{BTreeMap, HashSet};

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Seconds of simulated traffic.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    #[arg(long, default_value_t = 40)]
    pub aircraft: usize,
    #[arg(long, default_value_t = 52.31, allow_hyphen_values = true)]
    pub lat: f64,
    #[arg(long, default_value_t = 4.76, allow_hyphen_values = true)]
    pub lon: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Default)]
struct Seen {
    callsign: Option<String>,
    altitude: Option<i32>,
    position: Option<Position>,
    messages: u32,
}

pub fn demo(args: &DemoArgs) -> Result<(), CliError> {
    if !(args.seconds > 0.0 && args.seconds <= 600.0) {
        return Err(CliError::Input("--seconds must be in (0, 600]".into()));
    }
    let rate = SampleRate::Msps2_4;
    let centre = Position {
        lat: args.lat,
        lon: args.lon,
    };
    let mut sim = TrafficSim::new(TrafficConfig::new(rate, centre, args.aircraft, args.seed));
    let mut rx = Receiver::new(IqFormat::Cu8, rate, RepairConfig::default());
    let mut pairer = CprPairer::new(Some(centre));
    let (mut iq, mut sent, mut frames) = (Vec::new(), Vec::new(), Vec::new());
    let mut table: BTreeMap<u32, Seen> = BTreeMap::new();
    let mut decoded = HashSet::new();
    let total = (args.seconds * rate.hz() as f64) as usize;
    let mut done = 0;
    while done < total {
        let n = (1usize << 18).min(total - done);
        iq.clear();
        sim.next_block(n, &mut iq, &mut sent);
        rx.push(&iq, &mut frames);
        if done + n == total {
            rx.finish(&mut frames);
        }
        done += n;
        for f in frames.drain(..) {
            decoded.insert(f.data().to_vec());
            let m = decode(&f);
            let e = table.entry(f.address).or_default();
            e.messages += 1;
            if let Some(c) = &m.callsign {
                e.callsign = Some(c.to_string());
            }
            e.altitude = m.altitude.or(e.altitude);
            if let Some(p) = pairer.add_message(&m, f.sample / rate.hz() as f64) {
                e.position = Some(p);
            }
        }
    }
    mark_overlaps(&mut sent);
    println!(
        "{:<8} {:<9} {:>7} {:>10} {:>11} {:>5}",
        "icao", "callsign", "alt ft", "lat", "lon", "msgs"
    );
    for (icao, s) in &table {
        let (lat, lon) = s
            .position
            .map_or((String::from("-"), String::from("-")), |p| {
                (format!("{:.5}", p.lat), format!("{:.5}", p.lon))
            });
        println!(
            "{icao:06x}   {:<9} {:>7} {lat:>10} {lon:>11} {:>5}",
            s.callsign.as_deref().unwrap_or("-"),
            s.altitude.map_or(String::from("-"), |a| a.to_string()),
            s.messages
        );
    }
    let clean: Vec<_> = sent.iter().filter(|s| !s.overlaps).collect();
    let recovered = clean
        .iter()
        .filter(|s| decoded.contains(s.reply.data()))
        .count();
    let sent_set: HashSet<&[u8]> = sent.iter().map(|s| s.reply.data()).collect();
    let invented = decoded
        .iter()
        .filter(|d| !sent_set.contains(d.as_slice()))
        .count();
    println!(
        "\n{} replies sent by {} simulated aircraft in {:.0} s (SNR 6–30 dB); {} of {} that overlapped no other were decoded ({:.1} %); {} aircraft seen; {} decoded replies were never sent.",
        sent.len(),
        args.aircraft,
        args.seconds,
        recovered,
        clean.len(),
        100.0 * recovered as f64 / clean.len().max(1) as f64,
        table.len(),
        invented
    );
    Ok(())
}
