//! Every payload the API sends, in one place: the wire format of `shared/docs/protocol.md`
//! over the core's typed values. The aircraft record keeps readsb's aircraft.json names;
//! unknown fields are omitted, except in a delta's `updated` entry, where a field that became
//! unknown is sent as `null` so the client drops it.

use crate::core::acars::AcarsRecord;
use crate::core::airspace::{AirspaceChange, AirspaceItem};
use crate::core::alerts::Alert;
use crate::core::picture::{AircraftRecord, AltBaro, Delta, FieldId, FieldSet, World};
use crate::core::safety::{SafetyEvent, Severity};
use crate::core::track::TrackKey;
use crate::core::{StatsSnapshot, TrailPoint};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use std::fmt::Write;
use std::sync::Arc;

/// Serialises a value the server built itself (maps of strings and numbers: cannot fail).
pub fn raw<T: Serialize + ?Sized>(v: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(v).unwrap_or_else(|e| {
        tracing::error!("serialising an event failed: {e}");
        RawValue::from_string("null".into()).unwrap_or_default()
    })
}

/// A track's `hex`: six lowercase digits, `~` first for a non-ICAO address.
pub struct Hex(pub TrackKey);

impl Serialize for Hex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut text = heapless::String::<8>::new();
        let prefix = if self.0.non_icao { "~" } else { "" };
        // Seven characters always fit in eight.
        let _ = write!(text, "{prefix}{:06x}", self.0.address & 0xFF_FFFF);
        s.serialize_str(&text)
    }
}

struct Squawk(u16);

impl Serialize for Squawk {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut text = heapless::String::<8>::new();
        let _ = write!(text, "{:04}", self.0);
        s.serialize_str(&text)
    }
}

impl Serialize for AltBaro {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AltBaro::Feet(ft) => s.serialize_i32(*ft),
            AltBaro::Ground => s.serialize_str("ground"),
        }
    }
}

/// An aircraft record as JSON: every known field, or only `fields` (with nulls for those
/// now unknown). `hex` always comes first.
pub struct RecordJson<'a> {
    pub record: &'a AircraftRecord,
    pub fields: Option<FieldSet>,
}

impl<'a> RecordJson<'a> {
    pub fn whole(record: &'a AircraftRecord) -> Self {
        Self {
            record,
            fields: None,
        }
    }
}

impl Serialize for RecordJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("hex", &Hex(self.record.key))?;
        for &id in FieldId::ALL {
            if self.fields.is_none_or(|f| f.contains(id)) {
                field(&mut m, self.record, id, self.fields.is_some())?;
            }
        }
        m.end()
    }
}

/// Writes one field of `r` (if known, or as null when `nulls`).
fn field<M: SerializeMap>(
    m: &mut M,
    r: &AircraftRecord,
    id: FieldId,
    nulls: bool,
) -> Result<(), M::Error> {
    fn opt<M: SerializeMap, T: Serialize>(
        m: &mut M,
        name: &'static str,
        v: Option<T>,
        nulls: bool,
    ) -> Result<(), M::Error> {
        match v {
            Some(v) => m.serialize_entry(name, &v),
            None if nulls => m.serialize_entry(name, &()),
            None => Ok(()),
        }
    }
    use FieldId::*;
    match id {
        Kind => m.serialize_entry("type", r.kind),
        Flight => opt(m, "flight", r.flight.as_deref(), nulls),
        AltBaroF => opt(m, "alt_baro", r.alt_baro, nulls),
        AltGeom => opt(m, "alt_geom", r.alt_geom, nulls),
        Gs => opt(m, "gs", r.gs, nulls),
        Ias => opt(m, "ias", r.ias, nulls),
        Tas => opt(m, "tas", r.tas, nulls),
        Mach => opt(m, "mach", r.mach, nulls),
        Track => opt(m, "track", r.track, nulls),
        MagHeading => opt(m, "mag_heading", r.mag_heading, nulls),
        BaroRate => opt(m, "baro_rate", r.baro_rate, nulls),
        GeomRate => opt(m, "geom_rate", r.geom_rate, nulls),
        Squawk => opt(m, "squawk", r.squawk.map(self::Squawk), nulls),
        Emergency => opt(m, "emergency", r.emergency, nulls),
        Category => opt(m, "category", r.category.as_deref(), nulls),
        NavQnh => opt(m, "nav_qnh", r.nav_qnh, nulls),
        NavAltitudeMcp => opt(m, "nav_altitude_mcp", r.nav_altitude_mcp, nulls),
        NavHeading => opt(m, "nav_heading", r.nav_heading, nulls),
        Lat => opt(m, "lat", r.lat, nulls),
        Lon => opt(m, "lon", r.lon, nulls),
        SeenPos => opt(m, "seen_pos", r.seen_pos, nulls),
        Version => opt(m, "version", r.version, nulls),
        NicBaro => opt(m, "nic_baro", r.nic_baro, nulls),
        NacP => opt(m, "nac_p", r.nac_p, nulls),
        NacV => opt(m, "nac_v", r.nac_v, nulls),
        Sil => opt(m, "sil", r.sil, nulls),
        Messages => m.serialize_entry("messages", &r.messages),
        Seen => m.serialize_entry("seen", &r.seen),
        Rssi => opt(m, "rssi", r.rssi, nulls),
        DistanceNm => opt(m, "distance_nm", r.distance_nm, nulls),
        Bearing => opt(m, "bearing", r.bearing, nulls),
        SourceBand => m.serialize_entry("source_band", r.source_band),
        Registration => opt(m, "r", r.registration, nulls),
        TypeCode => opt(m, "t", r.type_code, nulls),
        Desc => opt(m, "desc", r.description, nulls),
        OwnOp => opt(m, "ownOp", r.owner_operator, nulls),
        // readsb writes the year as text.
        Year => opt(m, "year", r.year.map(|y| y.to_string()), nulls),
        DbFlags => opt(m, "dbFlags", r.db_flags, nulls),
        Country => opt(m, "country", r.country, nulls),
    }
}

/// A JSON array of whole records.
pub fn records_json<'a>(
    records: impl ExactSizeIterator<Item = &'a AircraftRecord>,
) -> Box<RawValue> {
    struct List<'a>(Vec<&'a AircraftRecord>);
    impl Serialize for List<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(self.0.len()))?;
            for r in &self.0 {
                seq.serialize_element(&RecordJson::whole(r))?;
            }
            seq.end()
        }
    }
    raw(&List(records.collect()))
}

/// The three arrays of an `aircraft:update`, encoded once per baseline and shared by every
/// client on it.
#[derive(Debug)]
pub struct DeltaJson {
    pub added: Arc<RawValue>,
    pub updated: Arc<RawValue>,
    pub removed: Arc<RawValue>,
}

impl DeltaJson {
    pub fn encode(d: &Delta) -> Self {
        struct Added<'a>(&'a [&'a AircraftRecord]);
        impl Serialize for Added<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(self.0.len()))?;
                for r in self.0 {
                    seq.serialize_element(&RecordJson::whole(r))?;
                }
                seq.end()
            }
        }
        struct Updated<'a>(&'a [(&'a AircraftRecord, FieldSet)]);
        impl Serialize for Updated<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(self.0.len()))?;
                for (r, f) in self.0 {
                    seq.serialize_element(&RecordJson {
                        record: r,
                        fields: Some(*f),
                    })?;
                }
                seq.end()
            }
        }
        let removed: Vec<Hex> = d.removed.iter().map(|k| Hex(*k)).collect();
        Self {
            added: raw(&Added(&d.added)).into(),
            updated: raw(&Updated(&d.updated)).into(),
            removed: raw(&removed).into(),
        }
    }

    /// A delta that only adds `records` (one piece of a large snapshot).
    pub fn adding(records: Arc<RawValue>) -> Self {
        let empty: Arc<RawValue> = raw(&[(); 0]).into();
        Self {
            added: records,
            updated: empty.clone(),
            removed: empty,
        }
    }

    pub fn bytes(&self) -> usize {
        self.added.get().len() + self.updated.get().len() + self.removed.get().len()
    }
}

/// `aircraft:snapshot`.
#[derive(Serialize)]
pub struct AircraftSnapshot<'a> {
    pub seq: u64,
    pub aircraft: &'a RawValue,
    pub count: usize,
    pub timestamp: u64,
}

/// `aircraft:update`.
#[derive(Serialize)]
pub struct AircraftUpdate<'a> {
    pub seq: u64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub added: &'a RawValue,
    pub updated: &'a RawValue,
    pub removed: &'a RawValue,
    pub timestamp: u64,
}

/// `batch`.
#[derive(Serialize)]
pub struct Batch<'a> {
    pub events: Vec<BatchItem<'a>>,
    pub count: usize,
    pub window_ms: u64,
}

#[derive(Serialize)]
pub struct BatchItem<'a> {
    pub event: &'a str,
    pub data: &'a RawValue,
}

/// `{<name>: [...], count, timestamp}` (the safety and alert snapshots) from events already
/// encoded once.
pub struct Listing<'a>(
    pub &'static str,
    pub &'a [std::sync::Arc<RawValue>],
    pub u64,
);

impl Serialize for Listing<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let items: Vec<&RawValue> = self.1.iter().map(|e| &**e).collect();
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry(self.0, &items)?;
        m.serialize_entry("count", &items.len())?;
        m.serialize_entry("timestamp", &self.2)?;
        m.end()
    }
}

/// `alert:triggered`.
#[derive(Serialize)]
pub struct AlertTriggered<'a> {
    pub id: u64,
    pub rule_id: u64,
    pub rule_name: &'a str,
    pub icao: &'a str,
    pub callsign: Option<&'a str>,
    pub message: &'a str,
    pub priority: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aircraft: Option<RecordJson<'a>>,
    pub timestamp: f64,
}

impl<'a> AlertTriggered<'a> {
    pub fn new(a: &'a Alert, aircraft: Option<&'a AircraftRecord>) -> Self {
        Self {
            id: a.id,
            rule_id: a.rule_id,
            rule_name: &a.rule_name,
            icao: &a.icao,
            callsign: a.callsign.as_deref(),
            message: &a.message,
            priority: a.priority,
            aircraft: aircraft.map(RecordJson::whole),
            timestamp: a.timestamp,
        }
    }
}

/// A safety event in `safety-events`, with whether it was acknowledged.
#[derive(Serialize)]
pub struct SafetyEventListed<'a> {
    #[serde(flatten)]
    pub event: &'a SafetyEvent,
    pub acknowledged: bool,
}

/// An airspace change as its event: name and payload.
pub fn airspace_event(c: &AirspaceChange) -> (&'static str, Box<RawValue>) {
    #[derive(Serialize)]
    struct Expired<'a> {
        id: &'a str,
        kind: &'a str,
        reason: &'a str,
        item: &'a AirspaceItem,
    }
    match c {
        AirspaceChange::New(i) if i.kind == "tfr" => ("notam:tfr_new", raw(i)),
        AirspaceChange::New(i) => ("notam:new", raw(i)),
        AirspaceChange::Updated(i) => ("airspace:update", raw(i)),
        AirspaceChange::Removed { item, reason } => (
            "notam:expired",
            raw(&Expired {
                id: &item.id,
                kind: item.kind,
                reason,
                item,
            }),
        ),
    }
}

/// One point of `aircraft-track`.
#[derive(Serialize)]
pub struct TrailPointJson {
    pub lat: f64,
    pub lon: f64,
    pub alt_baro: Option<i32>,
    pub timestamp: u64,
    pub age_s: f64,
}

impl From<&TrailPoint> for TrailPointJson {
    fn from(p: &TrailPoint) -> Self {
        Self {
            lat: p.position.lat,
            lon: p.position.lon,
            alt_baro: p.alt_baro,
            timestamp: p.wall_ms,
            age_s: p.age_s,
        }
    }
}

/// `stats:tick`.
pub fn stats_tick(s: &StatsSnapshot) -> Box<RawValue> {
    #[derive(Serialize)]
    struct Tick<'a> {
        ts: u64,
        traffic: Traffic<'a>,
        reception: Reception,
        system: System<'a>,
        series: Vec<Point>,
    }
    #[derive(Serialize)]
    struct Traffic<'a> {
        aircraft: usize,
        with_position: usize,
        msg_rate: f64,
        by_source: &'a std::collections::BTreeMap<&'static str, usize>,
    }
    #[derive(Serialize)]
    struct Reception {
        max_range_nm: f64,
        avg_rssi: Option<f64>,
        noise_dbfs: Option<f64>,
    }
    #[derive(Serialize)]
    struct System<'a> {
        cpu: Option<f64>,
        mem: Option<u64>,
        uptime_s: u64,
        /// Each source's report keyed by its band.
        sdr: std::collections::BTreeMap<&'static str, &'a crate::source::SourceReport>,
    }
    #[derive(Serialize)]
    struct Point {
        ts: u64,
        messages: u64,
        aircraft: usize,
        with_position: usize,
        max_range_nm: f64,
        mean_signal_dbfs: Option<f64>,
        cpu_percent: Option<f64>,
    }
    let m = &s.summary;
    raw(&Tick {
        ts: s.wall_ms,
        traffic: Traffic {
            aircraft: m.aircraft,
            with_position: m.aircraft_with_position,
            msg_rate: m.messages_per_second,
            by_source: &m.aircraft_by_source,
        },
        reception: Reception {
            max_range_nm: m.max_range_nm,
            avg_rssi: s.avg_rssi,
            noise_dbfs: s.noise_dbfs,
        },
        system: System {
            cpu: s.cpu_percent,
            mem: s.rss_bytes,
            uptime_s: s.uptime_s,
            sdr: s.sources.iter().map(|r| (r.band, r)).collect(),
        },
        series: s
            .series
            .iter()
            .map(|(ts, m)| Point {
                ts: *ts,
                messages: m.messages,
                aircraft: m.aircraft,
                with_position: m.with_position,
                max_range_nm: m.max_range_nm,
                mean_signal_dbfs: m.mean_signal_dbfs,
                cpu_percent: m.cpu_percent,
            })
            .collect(),
    })
}

/// The whole picture as `aircraft:snapshot`'s `aircraft` array.
pub fn snapshot_records(w: &World) -> Box<RawValue> {
    records_json(w.records())
}

/// The whole picture as arrays of whole records of at most about `bytes` each (the last
/// record of a piece may cross it), with their lengths; at least one piece, maybe empty.
pub fn snapshot_pieces(w: &World, bytes: usize) -> Vec<(Arc<RawValue>, usize)> {
    let mut pieces = Vec::new();
    let mut buf = Vec::with_capacity(bytes + 1024);
    let mut n = 0;
    let close = |buf: &mut Vec<u8>, n: &mut usize, pieces: &mut Vec<(Arc<RawValue>, usize)>| {
        buf.push(b']');
        let text = String::from_utf8(std::mem::take(buf)).unwrap_or_default();
        let raw = RawValue::from_string(text).unwrap_or_else(|_| raw(&[(); 0]));
        pieces.push((Arc::from(raw), *n));
        *n = 0;
    };
    for r in w.records() {
        if n > 0 && buf.len() >= bytes {
            close(&mut buf, &mut n, &mut pieces);
        }
        buf.push(if n == 0 { b'[' } else { b',' });
        // Writing JSON of the server's own values into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut buf, &RecordJson::whole(r));
        n += 1;
    }
    if n == 0 {
        buf.push(b'[');
    }
    close(&mut buf, &mut n, &mut pieces);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(address: u32) -> AircraftRecord {
        AircraftRecord {
            key: TrackKey {
                address,
                non_icao: false,
            },
            kind: "adsb_icao",
            flight: heapless::String::try_from("KLM1023").ok(),
            alt_baro: Some(AltBaro::Ground),
            alt_geom: None,
            gs: Some(12.5),
            ias: None,
            tas: None,
            mach: None,
            track: None,
            mag_heading: None,
            baro_rate: None,
            geom_rate: None,
            squawk: Some(7700),
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
            messages: 3,
            seen: 1.0,
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

    #[test]
    fn a_whole_record_omits_unknown_fields_and_keeps_readsb_names() {
        let r = record(0x4840d6);
        let json = serde_json::to_string(&RecordJson::whole(&r)).unwrap();
        assert_eq!(
            json,
            r#"{"hex":"4840d6","type":"adsb_icao","flight":"KLM1023","alt_baro":"ground","gs":12.5,"squawk":"7700","messages":3,"seen":1.0,"source_band":"1090"}"#
        );
    }

    #[test]
    fn database_fields_take_readsb_names_and_the_year_is_text() {
        let mut r = record(0xa1b2c3);
        r.registration = Some("N123AB");
        r.type_code = Some("C182");
        r.description = Some("CESSNA 182 Skylane");
        r.owner_operator = Some("County Sheriff");
        r.year = Some(1977);
        r.db_flags = Some(2);
        r.country = Some("United States");
        let json = serde_json::to_value(RecordJson::whole(&r)).unwrap();
        for (k, v) in [
            ("r", json!("N123AB")),
            ("t", json!("C182")),
            ("desc", json!("CESSNA 182 Skylane")),
            ("ownOp", json!("County Sheriff")),
            ("year", json!("1977")),
            ("dbFlags", json!(2)),
            ("country", json!("United States")),
        ] {
            assert_eq!(json[k], v, "{k}");
        }
        // `type` keeps its readsb meaning: the message source.
        assert_eq!(json["type"], "adsb_icao");
    }

    #[test]
    fn an_update_names_its_fields_with_nulls_for_unknown_ones() {
        let mut r = record(0xabc);
        r.key.non_icao = true;
        let mut fields = FieldSet::EMPTY;
        fields.insert(FieldId::Gs);
        fields.insert(FieldId::Lat);
        let json = serde_json::to_string(&RecordJson {
            record: &r,
            fields: Some(fields),
        })
        .unwrap();
        assert_eq!(json, r#"{"hex":"~000abc","gs":12.5,"lat":null}"#);
    }

    #[test]
    fn every_field_has_a_name() {
        let r = record(1);
        let json = serde_json::to_value(RecordJson {
            record: &r,
            fields: Some(FieldSet::all()),
        })
        .unwrap();
        // hex plus one key per field: none missing, none written twice.
        assert_eq!(json.as_object().unwrap().len(), FieldId::ALL.len() + 1);
    }
}

/// `acars:message` (and each entry of `acars:snapshot`): the protocol's fields, always
/// present (`null` where unknown), then what this receiver adds where it knows it.
#[derive(Serialize)]
pub struct AcarsJson<'a> {
    pub id: u64,
    pub timestamp: u64,
    pub source: &'static str,
    pub channel: usize,
    /// MHz, to the kHz.
    pub frequency: f64,
    pub icao_hex: Option<Hex>,
    pub registration: &'a str,
    pub callsign: Option<&'a str>,
    pub label: &'a str,
    pub block_id: Option<char>,
    pub msg_num: Option<&'a str>,
    /// The block acknowledged, or `false` for none (NAK), as acarsdec writes it.
    pub ack: AcarsAck,
    pub mode: char,
    pub text: &'a str,
    /// Carrier level, dBFS.
    pub signal_level: f64,
    pub error_count: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flight: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_name: Option<&'static str>,
    pub downlink: bool,
    pub blocks: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<LatLon>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oooi: Option<OooiJson<'a>>,
    /// VDL2: the ground station's address (six hex digits, as dumpvdl2 writes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ground_station: Option<String>,
}

pub struct AcarsAck(pub Option<char>);

impl Serialize for AcarsAck {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(c) => s.serialize_char(c),
            None => s.serialize_bool(false),
        }
    }
}

#[derive(Serialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

/// An OOOI report's fields (times HHMM).
#[derive(Serialize)]
pub struct OooiJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub station: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on: Option<&'a str>,
    #[serde(rename = "in", skip_serializing_if = "Option::is_none")]
    pub in_: Option<&'a str>,
}

/// Rounds to `places` decimals (for figures the wire shows rounded).
fn rounded(v: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (v * k).round() / k
}

impl<'a> AcarsJson<'a> {
    pub fn new(r: &'a AcarsRecord) -> Self {
        let m = &r.message;
        Self {
            id: r.id,
            timestamp: r.wall_ms,
            source: r.source,
            channel: r.channel,
            frequency: rounded(r.frequency_hz / 1e6, 3),
            icao_hex: r.icao.map(Hex),
            registration: &m.registration,
            callsign: r.callsign.as_deref(),
            label: &m.label,
            block_id: m.block_id,
            msg_num: m.msg_num.as_deref(),
            ack: AcarsAck(m.ack),
            mode: m.mode,
            text: &m.text,
            signal_level: rounded(f64::from(r.signal_dbfs), 1),
            error_count: r.error_count,
            flight: m.flight.as_deref(),
            label_name: r.label_name,
            downlink: m.downlink,
            blocks: r.blocks,
            position: r.position.map(|(lat, lon)| LatLon { lat, lon }),
            oooi: r.oooi.as_ref().map(|o| OooiJson {
                station: o.station.as_deref(),
                destination: o.destination.as_deref(),
                out: o.out.as_deref(),
                off: o.off.as_deref(),
                on: o.on.as_deref(),
                in_: o.r#in.as_deref(),
            }),
            ground_station: r.ground_station.map(|g| format!("{g:06X}")),
        }
    }
}

/// `acars:snapshot` of these messages (newest first).
pub fn acars_snapshot(records: &[Arc<AcarsRecord>], timestamp: u64) -> Box<RawValue> {
    #[derive(Serialize)]
    struct Snapshot<'a> {
        messages: Vec<AcarsJson<'a>>,
        count: usize,
        timestamp: u64,
    }
    let messages: Vec<AcarsJson> = records.iter().map(|r| AcarsJson::new(r)).collect();
    raw(&Snapshot {
        count: messages.len(),
        messages,
        timestamp,
    })
}

/// A voice transmission as `/audio` carries it (docs/audio.md).
pub fn transmission(r: &crate::voice::store::Record) -> serde_json::Value {
    use serde_json::json;
    let mut v = json!({
        "id": r.id,
        "frequency": r.frequency,
        "channel_name": r.channel_name.as_deref(),
        "started_at": r.started_at,
        "duration_ms": r.duration_ms,
        "audio_url": format!("/audio/clips/{}.flac", r.id),
        "status": r.status,
        "snr_db": (f64::from(r.snr_db) * 10.0).round() / 10.0,
    });
    if let Some(t) = &r.transcript {
        v["transcript"] = json!(t);
    }
    if let Some(c) = r.confidence {
        v["confidence"] = json!((f64::from(c) * 1000.0).round() / 1000.0);
    }
    if let Some(e) = &r.error {
        v["error"] = json!(e);
    }
    v
}

/// One `/cannonball` threat: the protocol's fields, plus why it was flagged (`reasons`), the
/// owner/operator, the emitter category and the range rate.
pub fn threat(t: &crate::core::cannonball::threat::Threat<'_>) -> serde_json::Value {
    let a = t.aircraft;
    let round = |v: f64, places: i32| rounded(v, places);
    serde_json::json!({
        "hex": Hex(a.key),
        "callsign": a.callsign,
        "category": t.kind.name(),
        "description": t.description,
        "distance_nm": round(t.distance_nm, 2),
        "bearing": round(t.bearing, 1),
        "relative_bearing": round(t.relative_bearing, 1),
        "direction": t.direction,
        "altitude": a.alt_ft,
        "ground_speed": a.gs_kt.map(|v| round(v, 0)),
        "vertical_rate": a.vertical_rate,
        "trend": t.trend.name(),
        "range_rate_kt": t.range_rate_kt.map(|v| round(v, 0)),
        "threat_level": t.level.name(),
        "is_law_enforcement": a.interest.law_enforcement.is_some(),
        "is_helicopter": a.interest.helicopter,
        "pattern": a.pattern.map(|p| p.pattern.name()),
        "pattern_confidence": a.pattern.map(|p| round(p.confidence, 2)),
        "confidence": round(t.confidence, 2),
        "reasons": a.interest.reasons,
        "aircraft_type": a.type_code,
        "registration": a.registration,
        "operator": a.operator,
        "emitter_category": a.category,
        "lat": round(a.position.lat, 5),
        "lon": round(a.position.lon, 5),
    })
}
