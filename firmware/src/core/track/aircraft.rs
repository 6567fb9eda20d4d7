//! One aircraft's track: every field aged and attributed (see [`Field`]), positions from CPR
//! with plausibility checks, a bounded trail, and the set of fields changed since the API
//! last looked.

use super::aged::{Field, Update};
use super::position::{distance_nm, CprState};
use crate::core::aircraft_db::Identity;
use crate::core::patterns::{Detection, Fix};
use dsp::cpr::{CprFrame, CprKind, Position};
use dsp::decode::{Message, Source};
use dsp::uat::decode::{AddressQualifier, AirGround, SelectedAltitudeType, UatDownlink};

/// A weaker source may overwrite a field this many seconds after its last update.
pub const STALE_S: f64 = 15.0;
/// Positions kept for trails and `aircraft-track`.
pub const TRAIL_LEN: usize = 128;
/// The position history the pattern detectors read: this long (s) ...
pub const HISTORY_S: f64 = 900.0;
/// ... one position per this long at most (s; what the detectors thin to): 451 positions,
/// 14.4 kB, a track.
pub const HISTORY_STEP_S: f64 = 2.0;

/// Address of a track: 24 bits, plus whether it is an ICAO address (readsb's `~` prefix
/// marks the others: TIS-B track files, anonymous and non-ICAO ADS-B).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackKey {
    pub address: u32,
    pub non_icao: bool,
}

impl TrackKey {
    /// `hex` as aircraft.json writes it: six lowercase digits, `~` first for non-ICAO.
    pub fn hex(&self) -> String {
        let prefix = if self.non_icao { "~" } else { "" };
        format!("{prefix}{:06x}", self.address & 0xFF_FFFF)
    }

    /// The key of a `hex` (any case, `~` first for non-ICAO); `None` unless six hex digits.
    pub fn from_hex(hex: &str) -> Option<TrackKey> {
        let (non_icao, digits) = match hex.strip_prefix('~') {
            Some(d) => (true, d),
            None => (false, hex),
        };
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let address = u32::from_str_radix(digits, 16).ok()?;
        Some(TrackKey { address, non_icao })
    }
}

/// Fields that changed, as bits (for per-client deltas).
pub mod changed {
    pub const FLIGHT: u32 = 1 << 0;
    pub const ALT_BARO: u32 = 1 << 1;
    pub const ALT_GEOM: u32 = 1 << 2;
    pub const GS: u32 = 1 << 3;
    pub const TRACK: u32 = 1 << 4;
    pub const BARO_RATE: u32 = 1 << 5;
    pub const GEOM_RATE: u32 = 1 << 6;
    pub const SQUAWK: u32 = 1 << 7;
    pub const EMERGENCY: u32 = 1 << 8;
    pub const CATEGORY: u32 = 1 << 9;
    pub const POSITION: u32 = 1 << 10;
    pub const IAS: u32 = 1 << 11;
    pub const TAS: u32 = 1 << 12;
    pub const MACH: u32 = 1 << 13;
    pub const MAG_HEADING: u32 = 1 << 14;
    pub const NAV: u32 = 1 << 15;
    pub const QUALITY: u32 = 1 << 16;
    pub const GROUND: u32 = 1 << 17;
    pub const SOURCE: u32 = 1 << 18;
    pub const BAND: u32 = 1 << 19;
}

/// Emergency names of aircraft.json by emergency/priority code: the same 3-bit code in
/// 1090 ES (BDS 6,1) and UAT mode status, so the table is the dsp crate's.
pub use dsp::uat::decode::EMERGENCY;

#[derive(Clone, Debug)]
pub struct Aircraft {
    pub key: TrackKey,
    pub first_seen: f64,
    pub last_seen: f64,
    pub messages: u64,
    /// Strongest source heard recently (for aircraft.json `type`).
    pub source: Field<Source>,
    /// The band of that source: 1090 or 978 (`source_band`).
    pub band: Field<u16>,
    pub flight: Field<heapless::String<8>>,
    pub alt_baro: Field<i32>,
    pub on_ground: Field<bool>,
    pub alt_geom: Field<i32>,
    pub gs: Field<f64>,
    pub track: Field<f64>,
    pub ias: Field<f64>,
    pub tas: Field<f64>,
    pub mach: Field<f64>,
    pub mag_heading: Field<f64>,
    pub baro_rate: Field<i32>,
    pub geom_rate: Field<i32>,
    pub squawk: Field<u16>,
    pub emergency: Field<u8>,
    pub category: Field<heapless::String<2>>,
    pub nav_qnh: Field<f64>,
    pub nav_altitude_mcp: Field<i32>,
    pub nav_heading: Field<f64>,
    pub position: Field<Position>,
    pub nac_p: Field<u8>,
    pub nac_v: Field<u8>,
    pub sil: Field<u8>,
    pub nic_baro: Field<u8>,
    pub version: Field<u8>,
    /// Mean signal level of recent messages, dBFS (exponential, 1/8 weight).
    pub rssi: Option<f32>,
    pub cpr: CprState,
    /// Recent positions with time and altitude, oldest first.
    pub trail: heapless::Deque<(f64, Position, Option<i32>), TRAIL_LEN>,
    /// Fields changed since [`Aircraft::take_changes`].
    pub changes: u32,
    /// Registration, type, operator and country (fixed for the track's life).
    pub identity: Identity,
    /// Positions of the last [`HISTORY_S`], one per [`HISTORY_STEP_S`] at most, oldest first.
    pub history: std::collections::VecDeque<Fix>,
    /// What the pattern detectors last made of the history.
    pub pattern: Option<Detection>,
}

impl Aircraft {
    pub fn new(key: TrackKey, now: f64) -> Self {
        Self {
            key,
            first_seen: now,
            last_seen: now,
            messages: 0,
            source: Field::default(),
            band: Field::default(),
            flight: Field::default(),
            alt_baro: Field::default(),
            on_ground: Field::default(),
            alt_geom: Field::default(),
            gs: Field::default(),
            track: Field::default(),
            ias: Field::default(),
            tas: Field::default(),
            mach: Field::default(),
            mag_heading: Field::default(),
            baro_rate: Field::default(),
            geom_rate: Field::default(),
            squawk: Field::default(),
            emergency: Field::default(),
            category: Field::default(),
            nav_qnh: Field::default(),
            nav_altitude_mcp: Field::default(),
            nav_heading: Field::default(),
            position: Field::default(),
            nac_p: Field::default(),
            nac_v: Field::default(),
            sil: Field::default(),
            nic_baro: Field::default(),
            version: Field::default(),
            rssi: None,
            cpr: CprState::default(),
            trail: heapless::Deque::new(),
            changes: 0,
            identity: Identity::default(),
            history: std::collections::VecDeque::new(),
            pattern: None,
        }
    }

    /// Keeps a new position in the trail, and in the history at most one every
    /// [`HISTORY_STEP_S`] for [`HISTORY_S`] (what the pattern detectors read).
    fn remember(&mut self, now: f64, p: Position) {
        let alt = self.alt_baro.get();
        if self.trail.is_full() {
            self.trail.pop_front();
        }
        let _ = self.trail.push_back((now, p, alt));
        if self
            .history
            .back()
            .is_some_and(|f| now - f.t < HISTORY_STEP_S)
        {
            return;
        }
        while self.history.front().is_some_and(|f| now - f.t > HISTORY_S) {
            self.history.pop_front();
        }
        if self.history.capacity() == 0 {
            // Exactly what the window holds, instead of growing by doubling to 512.
            self.history
                .reserve_exact((HISTORY_S / HISTORY_STEP_S) as usize + 2);
        }
        self.history.push_back(Fix {
            t: now,
            lat: p.lat,
            lon: p.lon,
            alt_ft: alt,
        });
    }

    /// Returns and clears the changed-field bits.
    pub fn take_changes(&mut self) -> u32 {
        std::mem::take(&mut self.changes)
    }

    /// What every message does, whatever its band: counts, times, signal, and the source
    /// and band it came from. Returns the changed-field bits.
    fn heard(&mut self, src: Source, band: u16, rssi: f32, now: f64) -> u32 {
        self.messages += 1;
        self.last_seen = now;
        self.rssi = Some(self.rssi.map_or(rssi, |r| r + (rssi - r) / 8.0));
        let mut changes = 0;
        if self.source.offer(src, now, src, STALE_S) == Update::Changed {
            changes |= changed::SOURCE;
        }
        if self.band.offer(band, now, src, STALE_S) == Update::Changed {
            changes |= changed::BAND;
        }
        changes
    }

    /// Applies one decoded message heard at `now` with signal `rssi` dBFS.
    pub fn apply(
        &mut self,
        m: &Message,
        rssi: f32,
        now: f64,
        receiver: Option<Position>,
        max_range_nm: f64,
    ) {
        let src = m.source.unwrap_or(Source::Modes);
        let mut changes = self.heard(src, 1090, rssi, now);
        let mut offer = |bit: u32, u: Update| {
            if u == Update::Changed {
                changes |= bit;
            }
        };
        if let Some(v) = &m.callsign {
            offer(
                changed::FLIGHT,
                self.flight.offer(v.clone(), now, src, STALE_S),
            );
        }
        if let Some(v) = m.altitude {
            offer(changed::ALT_BARO, self.alt_baro.offer(v, now, src, STALE_S));
        }
        if let Some(v) = m.on_ground {
            offer(changed::GROUND, self.on_ground.offer(v, now, src, STALE_S));
        }
        if let Some(v) = m.altitude_gnss {
            offer(changed::ALT_GEOM, self.alt_geom.offer(v, now, src, STALE_S));
        }
        if let Some(v) = m.groundspeed {
            offer(changed::GS, self.gs.offer(v, now, src, STALE_S));
        }
        if let Some(v) = m.track.or(m.true_track) {
            offer(changed::TRACK, self.track.offer(v, now, src, STALE_S));
        }
        if let Some(v) = m.indicated_airspeed.or(if m.airspeed_type == Some("IAS") {
            m.airspeed.map(f64::from)
        } else {
            None
        }) {
            offer(changed::IAS, self.ias.offer(v, now, src, STALE_S));
        }
        if let Some(v) = m.true_airspeed.or(if m.airspeed_type == Some("TAS") {
            m.airspeed.map(f64::from)
        } else {
            None
        }) {
            offer(changed::TAS, self.tas.offer(v, now, src, STALE_S));
        }
        if let Some(v) = m.mach {
            offer(changed::MACH, self.mach.offer(v, now, src, STALE_S));
        }
        if let Some(v) = m.magnetic_heading.or(m.heading) {
            offer(
                changed::MAG_HEADING,
                self.mag_heading.offer(v, now, src, STALE_S),
            );
        }
        if let Some(v) = m.vertical_rate {
            let field = if m.vr_source == Some("GNSS") {
                &mut self.geom_rate
            } else {
                &mut self.baro_rate
            };
            let bit = if m.vr_source == Some("GNSS") {
                changed::GEOM_RATE
            } else {
                changed::BARO_RATE
            };
            offer(bit, field.offer(v, now, src, STALE_S));
        }
        if let Some(v) = m.baro_vertical_rate {
            offer(
                changed::BARO_RATE,
                self.baro_rate.offer(v, now, src, STALE_S),
            );
        }
        if let Some(v) = m.squawk {
            offer(changed::SQUAWK, self.squawk.offer(v.0, now, src, STALE_S));
        }
        if let Some(v) = m.emergency_state {
            offer(
                changed::EMERGENCY,
                self.emergency.offer(v, now, src, STALE_S),
            );
        }
        if let Some(v) = &m.emitter_category {
            offer(
                changed::CATEGORY,
                self.category.offer(v.clone(), now, src, STALE_S),
            );
        }
        if let Some(v) = m.baro_pressure_setting {
            offer(changed::NAV, self.nav_qnh.offer(v, now, src, STALE_S));
        }
        if let Some(v) =
            m.selected_altitude_mcp
                .or(if m.selected_altitude_source == Some("MCP/FCU") {
                    m.selected_altitude
                } else {
                    None
                })
        {
            offer(
                changed::NAV,
                self.nav_altitude_mcp.offer(v, now, src, STALE_S),
            );
        }
        if let Some(v) = m.selected_heading {
            offer(changed::NAV, self.nav_heading.offer(v, now, src, STALE_S));
        }
        for (field, value) in [
            (&mut self.nac_p, m.nac_p),
            (&mut self.nac_v, m.nac_v),
            (&mut self.sil, m.sil),
            (&mut self.nic_baro, m.nic_baro),
            (&mut self.version, m.version),
        ] {
            if let Some(v) = value {
                offer(changed::QUALITY, field.offer(v, now, src, STALE_S));
            }
        }
        if let (Some(fmt), Some(lat), Some(lon), Some(tc)) =
            (m.cpr_format, m.cpr_lat, m.cpr_lon, m.typecode)
        {
            let kind = if (5..=8).contains(&tc) {
                CprKind::Surface
            } else {
                CprKind::Airborne
            };
            let frame = CprFrame {
                lat,
                lon,
                odd: fmt == 1,
            };
            if let Ok(p) = self.cpr.add(frame, kind, now, receiver, max_range_nm) {
                offer(changed::POSITION, self.position.offer(p, now, src, STALE_S));
                self.remember(now, p);
            }
        }
        self.changes |= changes;
    }

    /// Applies one UAT downlink heard at `now`. UAT positions come whole (no CPR), and are
    /// taken when they are on Earth and, with a receiver position, within `max_range_nm`.
    pub fn apply_uat(
        &mut self,
        d: &UatDownlink,
        rssi: f32,
        now: f64,
        receiver: Option<Position>,
        max_range_nm: f64,
    ) {
        let src = uat_source(d.address_qualifier);
        let mut changes = self.heard(src, 978, rssi, now);
        let mut offer = |bit: u32, u: Update| {
            if u == Update::Changed {
                changes |= bit;
            }
        };
        if let Some(v) = d
            .callsign
            .as_deref()
            .and_then(|c| heapless::String::try_from(c).ok())
        {
            offer(changed::FLIGHT, self.flight.offer(v, now, src, STALE_S));
        }
        // A flight plan ID of four octal digits is the Mode 3/A code.
        if let Some(code) = d
            .flightplan_id
            .as_deref()
            .filter(|f| f.len() == 4 && f.bytes().all(|b| (b'0'..=b'7').contains(&b)))
            .and_then(|f| f.parse::<u16>().ok())
        {
            offer(changed::SQUAWK, self.squawk.offer(code, now, src, STALE_S));
        }
        if let Some(ag) = d.airground_state {
            let ground = ag == AirGround::Ground;
            offer(
                changed::GROUND,
                self.on_ground.offer(ground, now, src, STALE_S),
            );
        }
        if let Some(v) = d.pressure_altitude {
            offer(changed::ALT_BARO, self.alt_baro.offer(v, now, src, STALE_S));
        }
        if let Some(v) = d.geometric_altitude {
            offer(changed::ALT_GEOM, self.alt_geom.offer(v, now, src, STALE_S));
        }
        if let Some(v) = d.ground_speed {
            offer(changed::GS, self.gs.offer(f64::from(v), now, src, STALE_S));
        }
        if let Some(v) = d.true_track.or(d.true_heading) {
            offer(changed::TRACK, self.track.offer(v, now, src, STALE_S));
        }
        if let Some(v) = d.magnetic_heading {
            offer(
                changed::MAG_HEADING,
                self.mag_heading.offer(v, now, src, STALE_S),
            );
        }
        if let Some(v) = d.vertical_velocity_barometric {
            offer(
                changed::BARO_RATE,
                self.baro_rate.offer(v, now, src, STALE_S),
            );
        }
        if let Some(v) = d.vertical_velocity_geometric {
            offer(
                changed::GEOM_RATE,
                self.geom_rate.offer(v, now, src, STALE_S),
            );
        }
        if let Some(e) = d
            .emergency
            .and_then(|e| EMERGENCY.iter().position(|&n| n == e))
        {
            offer(
                changed::EMERGENCY,
                self.emergency.offer(e as u8, now, src, STALE_S),
            );
        }
        if let Some(v) = d
            .emitter_category
            .as_deref()
            .and_then(|c| heapless::String::try_from(c).ok())
        {
            offer(changed::CATEGORY, self.category.offer(v, now, src, STALE_S));
        }
        if let Some(v) = d.barometric_pressure_setting {
            offer(changed::NAV, self.nav_qnh.offer(v, now, src, STALE_S));
        }
        if let (Some(v), Some(SelectedAltitudeType::McpFcu)) =
            (d.selected_altitude, d.selected_altitude_type)
        {
            offer(
                changed::NAV,
                self.nav_altitude_mcp.offer(v, now, src, STALE_S),
            );
        }
        if let Some(v) = d.selected_heading {
            offer(changed::NAV, self.nav_heading.offer(v, now, src, STALE_S));
        }
        for (field, value) in [
            (&mut self.nac_p, d.nac_p),
            (&mut self.nac_v, d.nac_v),
            (&mut self.sil, d.sil),
            (&mut self.nic_baro, d.nic_baro),
            (&mut self.version, d.mops_version),
        ] {
            if let Some(v) = value {
                offer(changed::QUALITY, field.offer(v, now, src, STALE_S));
            }
        }
        if let Some(p) = d.position {
            let pos = Position {
                lat: p.lat,
                lon: p.lon,
            };
            let on_earth = (-90.0..=90.0).contains(&pos.lat) && (-180.0..=180.0).contains(&pos.lon);
            let in_range = receiver.is_none_or(|r| distance_nm(r, pos) <= max_range_nm);
            if on_earth && in_range {
                offer(
                    changed::POSITION,
                    self.position.offer(pos, now, src, STALE_S),
                );
                self.remember(now, pos);
            }
        }
        self.changes |= changes;
    }

    /// Ages out the position after `max_age_s` without a fix.
    pub fn age_position(&mut self, now: f64, max_age_s: f64) {
        if self
            .position
            .aged()
            .is_some_and(|p| now - p.updated > max_age_s)
        {
            self.position.clear();
            self.cpr.forget_position();
            self.changes |= changed::POSITION;
        }
    }
}

/// readsb's `type` for a track heard from `source` (978 MHz ADS-B is `uat`).
pub fn record_type(source: Option<Source>, non_icao: bool, band: Option<u16>) -> &'static str {
    if band == Some(978) && source == Some(Source::Adsb) {
        return "uat";
    }
    match (source, non_icao) {
        (Some(Source::Adsb), false) => "adsb_icao",
        (Some(Source::Adsb), true) => "adsb_other",
        (Some(Source::Adsr), false) => "adsr_icao",
        (Some(Source::Adsr), true) => "adsr_other",
        (Some(Source::Tisb), false) => "tisb_icao",
        (Some(Source::Tisb), true) => "tisb_trackfile",
        _ => "mode_s",
    }
}

/// Which source a UAT address qualifier stands for (the same priority as on 1090).
fn uat_source(q: Option<AddressQualifier>) -> Source {
    match q {
        Some(AddressQualifier::TisbIcao | AddressQualifier::TisbTrackfile) => Source::Tisb,
        Some(AddressQualifier::AdsrOther) => Source::Adsr,
        _ => Source::Adsb,
    }
}

/// The track key of a UAT downlink: ICAO addresses (ADS-B and TIS-B) share tracks with 1090;
/// the others are marked non-ICAO.
pub fn uat_key(d: &UatDownlink) -> TrackKey {
    TrackKey {
        address: d.address & 0xFF_FFFF,
        non_icao: !matches!(
            d.address_qualifier,
            Some(AddressQualifier::AdsbIcao | AddressQualifier::TisbIcao)
        ),
    }
}
