//! The cannonball scenario: scripted aircraft near the receiver, flying what `/cannonball`
//! is there to notice, under addresses the built-in plane-alert-db knows.
//!
//! ```text
//!              N ↑            grid (police C208, 8 legs north/south, stepping east)
//!                │   ◯ police helicopter orbit       ┌┐┌┐┌┐┌┐
//!   ─────────────C──────────────────── road (east from the receiver C)
//!          ↗ air-ambulance helicopter   ─→ airliner along the road, 3,000 ft
//! ```
//!
//! Positions are nautical miles east (x) and north (y) of the receiver. The same description
//! is the test's truth: `skyspy simulate OUT --scenario scenario.json` writes it as JSON.

use dsp::gen::path::{to_lat_lon, Path};
use dsp::gen::Scripted;
use serde::Serialize;

/// One scripted aircraft and what it is.
#[derive(Clone, Debug, Serialize)]
pub struct Role {
    pub name: &'static str,
    /// Addresses flown in turn, one per period (plane-alert-db's, but for the airliner's).
    pub addresses: Vec<String>,
    pub callsigns: Vec<String>,
    pub law_enforcement: bool,
    pub helicopter: bool,
    /// The pattern it flies, as `/cannonball` names it.
    pub pattern: Option<&'static str>,
    /// The path, in words and numbers (nm from the receiver, kt, ft, s).
    pub path: serde_json::Value,
    #[serde(skip)]
    pub script: Scripted,
    #[serde(skip)]
    pub category: u8,
}

/// The scenario around a receiver at (`lat`, `lon`).
pub fn roles(lat: f64, lon: f64) -> Vec<Role> {
    let at = |x: f64, y: f64| to_lat_lon((lat, lon), x, y);
    let hex = |a: &[u32]| a.iter().map(|a| format!("{a:06x}")).collect::<Vec<_>>();
    let strings = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let script =
        |path: Path, period_s: Option<f64>, addresses: &[u32], callsigns: &[&str]| Scripted {
            path,
            period_s,
            addresses: addresses.to_vec(),
            callsigns: strings(callsigns),
        };
    // KLPD Police Aviation EC135 (PH-PXA).
    let heli = [0x484A91];
    // Colombian National Police Cessna 208s.
    let grid = [0x0AC947, 0x0AC94A, 0x0AC94B];
    // ANWB Medical Air Assistance EC135s (air ambulance: a helicopter, not police).
    let ambulance = [0x4843BB, 0x4844C2, 0x484B58];
    // Not in the database.
    let airliner = [0x4CA9F1, 0x4CA9F2];
    vec![
        Role {
            name: "police_helicopter",
            addresses: hex(&heli),
            callsigns: strings(&["PHPXA"]),
            law_enforcement: true,
            helicopter: true,
            pattern: Some("circling"),
            path: serde_json::json!({"orbit": {"centre_nm": [3.0, 0.5], "radius_nm": 0.5,
                "speed_kt": 80, "alt_ft": 1000}}),
            script: script(
                Path::Orbit {
                    centre: at(3.0, 0.5),
                    radius_nm: 0.5,
                    speed_kt: 80.0,
                    clockwise: true,
                    start_bearing_deg: 180.0,
                    alt_ft: 1000.0,
                },
                None,
                &heli,
                &["PHPXA"],
            ),
            category: 7,
        },
        Role {
            name: "police_grid",
            addresses: hex(&grid),
            callsigns: strings(&["PNC0216", "PNC3018", "PNC3019"]),
            law_enforcement: true,
            helicopter: false,
            pattern: Some("grid_search"),
            path: serde_json::json!({"grid": {"origin_nm": [6.0, -4.0], "heading_deg": 0,
                "legs": 8, "leg_nm": 3.0, "spacing_nm": 0.6, "speed_kt": 110, "alt_ft": 2000,
                "period_s": 1800}}),
            script: script(
                Path::Grid {
                    origin: at(6.0, -4.0),
                    heading_deg: 0.0,
                    leg_nm: 3.0,
                    spacing_nm: 0.6,
                    legs: 8,
                    to_right: true,
                    speed_kt: 110.0,
                    alt_ft: 2000.0,
                },
                Some(1800.0),
                &grid,
                &["PNC0216", "PNC3018", "PNC3019"],
            ),
            category: 1,
        },
        Role {
            name: "ambulance_helicopter",
            addresses: hex(&ambulance),
            callsigns: strings(&["LIFELN1", "LIFELN2", "LIFELN3"]),
            law_enforcement: false,
            helicopter: true,
            pattern: None,
            path: serde_json::json!({"straight": {"start_nm": [-8.0, -6.0], "heading_deg": 45,
                "speed_kt": 110, "alt_ft": 1200, "period_s": 1200}}),
            script: script(
                Path::Straight {
                    start: at(-8.0, -6.0),
                    heading_deg: 45.0,
                    speed_kt: 110.0,
                    alt_ft: 1200.0,
                },
                Some(1200.0),
                &ambulance,
                &["LIFELN1", "LIFELN2", "LIFELN3"],
            ),
            category: 7,
        },
        Role {
            name: "airliner",
            addresses: hex(&airliner),
            callsigns: strings(&["SKY1234", "SKY1236"]),
            law_enforcement: false,
            helicopter: false,
            pattern: None,
            path: serde_json::json!({"straight": {"start_nm": [-15.0, 0.2], "heading_deg": 90,
                "speed_kt": 220, "alt_ft": 3000, "period_s": 900}}),
            script: script(
                Path::Straight {
                    start: at(-15.0, 0.2),
                    heading_deg: 90.0,
                    speed_kt: 220.0,
                    alt_ft: 3000.0,
                },
                Some(900.0),
                &airliner,
                &["SKY1234", "SKY1236"],
            ),
            category: 3,
        },
    ]
}
