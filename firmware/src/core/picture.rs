//! The published picture: every aircraft as a typed record, with, per field, the version at
//! which its value last changed — so a client's delta is "the fields with a version above the
//! one it last received", whatever its rate (dump978-fa keeps the same per-field ages in its
//! `AgedField`s).
//!
//! ```text
//!   version:      41        42        43        44
//!   a1b2c3.alt   35000 ─── 35025 ──────────── 35050      client A last got 42:
//!   a1b2c3.gs    451 ──────────────── 452 ─────────        updated {alt_baro, gs}
//!   4840d6       ────────── removed at 43                  removed [4840d6]
//! ```
//!
//! The core publishes an immutable [`World`] (unchanged aircraft share their entry between
//! versions); the API reads it and encodes deltas (`api::wire`). Removals are logged for the
//! last [`REMOVED_LOG`] removals; a baseline older than the log gets a snapshot instead.

use super::track::aircraft::{record_type, EMERGENCY};
use super::track::position::{bearing_deg, distance_nm};
use super::track::{Aircraft, TrackKey};
use dsp::cpr::Position;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Removals remembered for deltas.
pub const REMOVED_LOG: usize = 4096;

/// `alt_baro`: feet, or on the ground.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AltBaro {
    Feet(i32),
    Ground,
}

/// Defines [`AircraftRecord`] with one [`FieldId`] per optional field, in order, and the
/// field-by-field comparison that versions them.
macro_rules! record {
    ($( $(#[$doc:meta])* $id:ident : $field:ident : $ty:ty ),* $(,)?) => {
        /// One aircraft as published (the fields of readsb's aircraft.json; names are the
        /// API's business, see `api::wire`). `None` is "not known".
        #[derive(Clone, Debug, PartialEq)]
        pub struct AircraftRecord {
            pub key: TrackKey,
            $( $(#[$doc])* pub $field: $ty, )*
        }

        /// A field of [`AircraftRecord`] (bit `id as u8` of a [`FieldSet`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub enum FieldId { $( $id ),* }

        impl FieldId {
            pub const ALL: &'static [FieldId] = &[ $( FieldId::$id ),* ];
        }

        impl AircraftRecord {
            /// The fields whose value differs from `old`'s.
            pub fn diff(&self, old: &AircraftRecord) -> FieldSet {
                let mut set = FieldSet::EMPTY;
                $( if self.$field != old.$field { set.insert(FieldId::$id); } )*
                set
            }
        }
    };
}

record! {
    /// readsb's `type`: adsb_icao, adsr_icao, tisb_trackfile, mode_s, …
    Kind: kind: &'static str,
    Flight: flight: Option<heapless::String<8>>,
    AltBaroF: alt_baro: Option<AltBaro>,
    AltGeom: alt_geom: Option<i32>,
    Gs: gs: Option<f64>,
    Ias: ias: Option<f64>,
    Tas: tas: Option<f64>,
    Mach: mach: Option<f64>,
    Track: track: Option<f64>,
    MagHeading: mag_heading: Option<f64>,
    BaroRate: baro_rate: Option<i32>,
    GeomRate: geom_rate: Option<i32>,
    /// Mode 3/A code as its four octal digits read as a decimal number (7700).
    Squawk: squawk: Option<u16>,
    Emergency: emergency: Option<&'static str>,
    Category: category: Option<heapless::String<2>>,
    NavQnh: nav_qnh: Option<f64>,
    NavAltitudeMcp: nav_altitude_mcp: Option<i32>,
    NavHeading: nav_heading: Option<f64>,
    Lat: lat: Option<f64>,
    Lon: lon: Option<f64>,
    SeenPos: seen_pos: Option<f64>,
    Version: version: Option<u8>,
    NicBaro: nic_baro: Option<u8>,
    NacP: nac_p: Option<u8>,
    NacV: nac_v: Option<u8>,
    Sil: sil: Option<u8>,
    Messages: messages: u64,
    Seen: seen: f64,
    Rssi: rssi: Option<f64>,
    DistanceNm: distance_nm: Option<f64>,
    Bearing: bearing: Option<f64>,
    /// "1090" or "978".
    SourceBand: source_band: &'static str,
    /// From the aircraft database (readsb's names: `r`, `t`, `desc`, `ownOp`, `year`,
    /// `dbFlags`); the country from the address allocation.
    Registration: registration: Option<&'static str>,
    TypeCode: type_code: Option<&'static str>,
    Desc: description: Option<&'static str>,
    OwnOp: owner_operator: Option<&'static str>,
    Year: year: Option<u16>,
    DbFlags: db_flags: Option<u8>,
    Country: country: Option<&'static str>,
}

impl AircraftRecord {
    /// The record of a track at `now` (seconds on the table's clock), values rounded to what
    /// aircraft.json shows, so a change too small to show is no change; `seen` and `seen_pos`
    /// in whole seconds, so they change once a second.
    pub fn of(a: &Aircraft, now: f64, receiver: Option<Position>) -> Self {
        let round = |v: f64, digits: i32| {
            let f = 10f64.powi(digits);
            (v * f).round() / f
        };
        let pos = a.position.aged();
        let on_ground = a.on_ground.get() == Some(true);
        let db = a.identity.db;
        AircraftRecord {
            key: a.key,
            kind: record_type(a.source.get(), a.key.non_icao, a.band.get()),
            flight: a.flight.get(),
            alt_baro: if on_ground {
                Some(AltBaro::Ground)
            } else {
                a.alt_baro.get().map(AltBaro::Feet)
            },
            alt_geom: a.alt_geom.get(),
            gs: a.gs.get().map(|v| round(v, 1)),
            ias: a.ias.get().map(|v| round(v, 0)),
            tas: a.tas.get().map(|v| round(v, 0)),
            mach: a.mach.get().map(|v| round(v, 3)),
            track: a.track.get().map(|v| round(v, 2)),
            mag_heading: a.mag_heading.get().map(|v| round(v, 2)),
            baro_rate: a.baro_rate.get(),
            geom_rate: a.geom_rate.get(),
            squawk: a.squawk.get(),
            emergency: a.emergency.get().map(|e| EMERGENCY[usize::from(e & 7)]),
            category: a.category.get(),
            nav_qnh: a.nav_qnh.get().map(|v| round(v, 1)),
            nav_altitude_mcp: a.nav_altitude_mcp.get(),
            nav_heading: a.nav_heading.get().map(|v| round(v, 2)),
            lat: pos.map(|p| round(p.value.lat, 6)),
            lon: pos.map(|p| round(p.value.lon, 6)),
            seen_pos: pos.map(|p| (now - p.updated).max(0.0).floor()),
            version: a.version.get(),
            nic_baro: a.nic_baro.get(),
            nac_p: a.nac_p.get(),
            nac_v: a.nac_v.get(),
            sil: a.sil.get(),
            messages: a.messages,
            seen: (now - a.last_seen).max(0.0).floor(),
            rssi: a.rssi.map(|r| round(f64::from(r), 1)),
            distance_nm: receiver
                .zip(pos)
                .map(|(r, p)| round(distance_nm(r, p.value), 2)),
            bearing: receiver
                .zip(pos)
                .map(|(r, p)| round(bearing_deg(r, p.value), 1)),
            source_band: if a.band.get() == Some(978) {
                "978"
            } else {
                "1090"
            },
            registration: db.map(|e| e.registration).filter(|s| !s.is_empty()),
            type_code: db.map(|e| e.type_code).filter(|s| !s.is_empty()),
            description: db.map(|e| e.description).filter(|s| !s.is_empty()),
            owner_operator: db.map(|e| e.owner_operator).filter(|s| !s.is_empty()),
            year: db.and_then(|e| e.year),
            db_flags: db.map(|e| e.flags).filter(|&f| f != 0),
            country: a.identity.country.map(|c| c.name),
        }
    }

    /// Squawking 7500, 7600 or 7700.
    pub fn emergency_squawk(&self) -> bool {
        matches!(self.squawk, Some(7500 | 7600 | 7700))
    }
}

/// A set of [`FieldId`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FieldSet(pub u64);

impl FieldSet {
    pub const EMPTY: FieldSet = FieldSet(0);

    pub fn all() -> FieldSet {
        FieldSet((1u64 << FieldId::ALL.len()) - 1)
    }

    pub fn insert(&mut self, id: FieldId) {
        self.0 |= 1 << id as u8;
    }

    pub fn contains(self, id: FieldId) -> bool {
        self.0 & (1 << id as u8) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// One aircraft: its record and the version each field last changed at.
#[derive(Debug, PartialEq)]
pub struct Entry {
    pub added: u64,
    pub record: AircraftRecord,
    versions: [u64; FieldId::ALL.len()],
}

impl Entry {
    /// The fields that changed after version `base`.
    pub fn changed_since(&self, base: u64) -> FieldSet {
        let mut set = FieldSet::EMPTY;
        for (&id, &v) in FieldId::ALL.iter().zip(&self.versions) {
            if v > base {
                set.insert(id);
            }
        }
        set
    }
}

/// What changed between a baseline and a world, ready to encode.
#[derive(Debug, Default)]
pub struct Delta<'a> {
    /// New since the baseline: sent whole.
    pub added: Vec<&'a AircraftRecord>,
    /// Changed since the baseline: these fields (a field now unknown is sent as null).
    pub updated: Vec<(&'a AircraftRecord, FieldSet)>,
    pub removed: Vec<TrackKey>,
}

/// An immutable version of the picture.
#[derive(Debug, Default)]
pub struct World {
    pub version: u64,
    /// Wall clock of the data (when the newest block arrived), ms since the epoch.
    pub timestamp_ms: u64,
    pub aircraft: BTreeMap<TrackKey, Arc<Entry>>,
    removed: Arc<VecDeque<(u64, TrackKey)>>,
    /// Deltas can be built from any baseline ≥ this.
    removed_floor: u64,
    /// This version made an aircraft squawk 7500/7600/7700 (its message bypasses batching).
    pub urgent: bool,
}

impl World {
    /// Every record, ordered by address.
    pub fn records(&self) -> impl ExactSizeIterator<Item = &AircraftRecord> {
        self.aircraft.values().map(|e| &e.record)
    }

    pub fn get(&self, key: &TrackKey) -> Option<&AircraftRecord> {
        self.aircraft.get(key).map(|e| &e.record)
    }

    /// What changed since `base`; `None` when `base` is older than the removal log (send a
    /// snapshot instead).
    pub fn delta_since(&self, base: u64) -> Option<Delta<'_>> {
        if base < self.removed_floor {
            return None;
        }
        let mut d = Delta::default();
        for e in self.aircraft.values() {
            if e.added > base {
                d.added.push(&e.record);
            } else {
                let changed = e.changed_since(base);
                if !changed.is_empty() {
                    d.updated.push((&e.record, changed));
                }
            }
        }
        d.removed = self
            .removed
            .iter()
            .filter(|(v, key)| *v > base && !self.aircraft.contains_key(key))
            .map(|(_, key)| *key)
            .collect();
        Some(d)
    }
}

/// Builds successive worlds from the track table's records.
#[derive(Default)]
pub struct Publisher {
    world: Arc<World>,
}

impl Publisher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn current(&self) -> &Arc<World> {
        &self.world
    }

    /// Takes every record at this instant; returns the new world if anything changed.
    pub fn publish(
        &mut self,
        records: impl IntoIterator<Item = AircraftRecord>,
        timestamp_ms: u64,
    ) -> Option<Arc<World>> {
        let v = self.world.version + 1;
        let mut changed = false;
        let mut urgent = false;
        let mut next = BTreeMap::new();
        for r in records {
            let key = r.key;
            let entry = match self.world.aircraft.get(&key) {
                None => {
                    changed = true;
                    urgent |= r.emergency_squawk();
                    Arc::new(Entry {
                        added: v,
                        record: r,
                        versions: [v; FieldId::ALL.len()],
                    })
                }
                Some(old) => {
                    let diff = r.diff(&old.record);
                    if diff.is_empty() {
                        old.clone()
                    } else {
                        changed = true;
                        urgent |= r.emergency_squawk() && diff.contains(FieldId::Squawk);
                        let mut versions = old.versions;
                        for (&id, ver) in FieldId::ALL.iter().zip(versions.iter_mut()) {
                            if diff.contains(id) {
                                *ver = v;
                            }
                        }
                        Arc::new(Entry {
                            added: old.added,
                            record: r,
                            versions,
                        })
                    }
                }
            };
            next.insert(key, entry);
        }
        let mut removed = self.world.removed.clone();
        let mut removed_floor = self.world.removed_floor;
        for key in self
            .world
            .aircraft
            .keys()
            .filter(|k| !next.contains_key(*k))
        {
            changed = true;
            let log = Arc::make_mut(&mut removed);
            log.push_back((v, *key));
            if log.len() > REMOVED_LOG {
                if let Some((ver, _)) = log.pop_front() {
                    // Baselines before this removal can no longer be brought up to date.
                    removed_floor = ver;
                }
            }
        }
        if !changed {
            return None;
        }
        self.world = Arc::new(World {
            version: v,
            timestamp_ms,
            aircraft: next,
            removed,
            removed_floor,
            urgent,
        });
        Some(self.world.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(a: u32) -> TrackKey {
        TrackKey {
            address: a,
            non_icao: false,
        }
    }

    pub(crate) fn rec(a: u32) -> AircraftRecord {
        AircraftRecord {
            key: key(a),
            kind: "adsb_icao",
            flight: None,
            alt_baro: None,
            alt_geom: None,
            gs: None,
            ias: None,
            tas: None,
            mach: None,
            track: None,
            mag_heading: None,
            baro_rate: None,
            geom_rate: None,
            squawk: None,
            emergency: None,
            category: None,
            nav_qnh: None,
            nav_altitude_mcp: None,
            nav_heading: None,
            lat: None,
            lon: None,
            seen_pos: None,
            version: None,
            nic_baro: None,
            nac_p: None,
            nac_v: None,
            sil: None,
            messages: 1,
            seen: 0.0,
            rssi: None,
            distance_nm: None,
            bearing: None,
            source_band: "1090",
            registration: None,
            type_code: None,
            description: None,
            owner_operator: None,
            year: None,
            db_flags: None,
            country: None,
        }
    }

    /// A client's copy, kept the way protocol.md tells clients to.
    fn apply(state: &mut BTreeMap<TrackKey, AircraftRecord>, w: &World, d: &Delta) {
        for k in &d.removed {
            state.remove(k);
        }
        for a in &d.added {
            state.insert(a.key, (*a).clone());
        }
        for (r, fields) in &d.updated {
            assert!(
                state.contains_key(&r.key),
                "an update for an aircraft the client has"
            );
            // Only the named fields travel: take those from the world, keep the rest.
            let mine = state.get_mut(&r.key).unwrap();
            let mut merged = mine.clone();
            let theirs = w.get(&r.key).unwrap();
            for &id in FieldId::ALL {
                if fields.contains(id) {
                    copy_field(&mut merged, theirs, id);
                }
            }
            *mine = merged;
        }
    }

    fn copy_field(to: &mut AircraftRecord, from: &AircraftRecord, id: FieldId) {
        use FieldId::*;
        match id {
            AltBaroF => to.alt_baro = from.alt_baro,
            Gs => to.gs = from.gs,
            Flight => to.flight = from.flight.clone(),
            Lat => to.lat = from.lat,
            Squawk => to.squawk = from.squawk,
            Messages => to.messages = from.messages,
            _ => {
                // The tests below change only the fields above.
                assert!(!to.diff(from).contains(id), "{id:?}");
            }
        }
    }

    fn truth(w: &World) -> BTreeMap<TrackKey, AircraftRecord> {
        w.aircraft
            .iter()
            .map(|(k, e)| (*k, e.record.clone()))
            .collect()
    }

    #[test]
    fn deltas_from_any_baseline_rebuild_the_world() {
        let mut p = Publisher::new();
        let with = |a: u32, f: &dyn Fn(&mut AircraftRecord)| {
            let mut r = rec(a);
            f(&mut r);
            r
        };
        let steps = vec![
            vec![with(1, &|r| {
                r.alt_baro = Some(AltBaro::Feet(1000));
                r.gs = Some(200.0)
            })],
            vec![
                with(1, &|r| {
                    r.alt_baro = Some(AltBaro::Feet(1100));
                    r.gs = Some(200.0)
                }),
                with(2, &|r| r.flight = heapless::String::try_from("KLM1").ok()),
            ],
            vec![with(2, &|r| {
                r.flight = heapless::String::try_from("KLM1").ok();
                r.lat = Some(52.0)
            })],
            vec![
                with(2, &|r| r.flight = heapless::String::try_from("KLM2").ok()),
                with(1, &|_| {}),
            ],
        ];
        let mut worlds = vec![Arc::new(World::default())];
        for (i, s) in steps.into_iter().enumerate() {
            worlds.push(p.publish(s, i as u64).unwrap());
        }
        let last = worlds.last().unwrap();
        for base in &worlds {
            let mut state = truth(base);
            apply(&mut state, last, &last.delta_since(base.version).unwrap());
            assert_eq!(state, truth(last), "from version {}", base.version);
        }
        // Only what changed since the baseline is named: KLM2 and the position now unknown.
        let d = last.delta_since(3).unwrap();
        assert_eq!(d.updated.len(), 1);
        let (r, fields) = d.updated[0];
        assert_eq!(r.key, key(2));
        assert!(fields.contains(FieldId::Flight) && fields.contains(FieldId::Lat));
        assert!(!fields.contains(FieldId::Gs));
        assert!(d.removed.is_empty());
    }

    #[test]
    fn unchanged_records_publish_nothing() {
        let mut p = Publisher::new();
        assert!(p.publish(vec![rec(1)], 0).is_some());
        assert!(p.publish(vec![rec(1)], 1).is_none());
        assert_eq!(p.current().version, 1);
    }

    #[test]
    fn emergency_squawk_makes_the_publish_urgent_once() {
        let mut p = Publisher::new();
        let sq = |s: u16, gs: f64| {
            let mut r = rec(1);
            r.squawk = Some(s);
            r.gs = Some(gs);
            vec![r]
        };
        assert!(!p.publish(sq(1200, 1.0), 0).unwrap().urgent);
        assert!(p.publish(sq(7700, 1.0), 1).unwrap().urgent);
        assert!(!p.publish(sq(7700, 3.0), 2).unwrap().urgent);
    }

    #[test]
    fn a_baseline_older_than_the_removal_log_needs_a_snapshot() {
        let mut p = Publisher::new();
        for i in 0..=REMOVED_LOG as u32 + 1 {
            p.publish(vec![rec(i)], u64::from(i));
        }
        let w = p.publish(Vec::new(), 0).unwrap();
        assert!(w.delta_since(0).is_none());
        assert!(w.delta_since(w.version - 1).is_some());
    }
}
