//! Cannonball: which aircraft around a moving client are law enforcement or surveillance, and
//! what they are doing.
//!
//! ```text
//!   core (every second)                       each /cannonball session (api)
//!   tracks ─ identify ─ patterns ─→ WatchList ──→ threats(list, observer) ─→ threats[]
//!           (database, call sign,  (every 5 s)     geometry from its own      alerts once per
//!            operator, type, A7)                   position and heading       aircraft and kind
//! ```
//!
//! The core keeps the list of aircraft of interest (what each is and why, independent of any
//! client); a session turns it into threats relative to its own position with the pure
//! functions of [`threat`], so sessions never see each other's state.

pub mod identify;
pub mod threat;

use super::patterns::{self, Detection};
use super::track::position::{bearing_deg, distance_nm};
use super::track::{Aircraft, TrackKey};
use dsp::cpr::Position;
pub use identify::{Identifier, Interest, LawEnforcement};

/// One aircraft of interest with a position, as the core last saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct Watched {
    pub key: TrackKey,
    pub callsign: Option<String>,
    pub position: Position,
    pub alt_ft: Option<i32>,
    pub gs_kt: Option<f64>,
    pub track_deg: Option<f64>,
    pub vertical_rate: Option<i32>,
    /// Emitter category (`A7` is a rotorcraft).
    pub category: Option<String>,
    pub registration: Option<&'static str>,
    pub type_code: Option<&'static str>,
    pub description: Option<&'static str>,
    pub operator: Option<&'static str>,
    pub interest: Interest,
    pub pattern: Option<Detection>,
    /// Age of the position (s).
    pub position_age_s: f64,
}

/// Every aircraft of interest, published by the core once a second.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WatchList {
    /// Wall clock of the picture, ms since the epoch.
    pub timestamp_ms: u64,
    pub aircraft: Vec<Watched>,
}

/// How often the core runs the pattern detectors over each track (s).
pub const PATTERN_EVERY_S: f64 = 5.0;

/// Runs the detectors over one track's history.
pub fn update_pattern(a: &mut Aircraft) {
    a.pattern = if a.on_ground.get() == Some(true) {
        None
    } else {
        let history = a.history.make_contiguous();
        patterns::detect(history)
    };
}

/// The watch list entry of a track: `None` unless it has a position and is of interest.
pub fn watched(a: &Aircraft, id: &Identifier, now: f64) -> Option<Watched> {
    let pos = a.position.aged()?;
    let callsign = a.flight.get().map(|f| f.trim().to_owned());
    let category = a.category.get().map(|c| c.to_string());
    let db = a.identity.db;
    let type_code = db.map(|e| e.type_code).filter(|s| !s.is_empty());
    let interest = id.classify(db.as_ref(), callsign.as_deref(), category.as_deref());
    if !interest.any() && a.pattern.is_none() {
        return None;
    }
    let non_empty = |s: &'static str| Some(s).filter(|s| !s.is_empty());
    Some(Watched {
        key: a.key,
        callsign,
        position: pos.value,
        alt_ft: a.alt_baro.get().or(a.alt_geom.get()),
        gs_kt: a.gs.get(),
        track_deg: a.track.get(),
        vertical_rate: a.baro_rate.get().or(a.geom_rate.get()),
        category,
        registration: db.and_then(|e| non_empty(e.registration)),
        type_code,
        description: db.and_then(|e| non_empty(e.description)),
        operator: db.and_then(|e| non_empty(e.owner_operator)),
        interest,
        pattern: a.pattern,
        position_age_s: (now - pos.updated).max(0.0),
    })
}

/// Distance (nm) and bearing (°) from `from` to `to`.
pub fn range_bearing(from: Position, to: Position) -> (f64, f64) {
    (distance_nm(from, to), bearing_deg(from, to))
}
