//! The airspace picture from FIS-B uplinks: NOTAMs (TFRs among them), AIRMETs, SIGMETs, SUA
//! and the other text-with-graphics products, kept by report, with their text, shapes and
//! expiry. Owned by the core; time is a parameter (wall-clock milliseconds).
//!
//! Expiry: a record whose shapes carry an end time expires then; one without expires
//! [`UNREFRESHED_MS`] after it was last heard (FIS-B repeats every product every few
//! minutes, so a silent one has left the uplink). A cancelled text record, or a shape whose
//! object status is "cancelled", removes the record at once.

use crate::wall;
use dsp::uat::decode::LatLon;
use dsp::uat::uplink::{ApduTime, Geometry, GraphicRecord, Product, RecordTime, Twgo};
use serde::Serialize;
use std::collections::BTreeMap;

/// A record not heard again for this long is dropped (ms).
pub const UNREFRESHED_MS: u64 = 60 * 60 * 1000;
/// At most this many records are kept; beyond it the one expiring first goes.
pub const MAX_ITEMS: usize = 5000;
const OBJECT_CANCELLED: u8 = 13;
const ELEMENT_TFR: u8 = 0;
const OBJECT_AIRSPACE: u8 = 14;

/// A shape of a record, with the times it applies (month/day/hour/minute UTC as sent).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Shape {
    #[serde(flatten)]
    pub geometry: Geometry,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<RecordTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<RecordTime>,
}

/// One report on the `airspace` topic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AirspaceItem {
    /// `<product>-<location>-<year>-<number>`, stable across repeats.
    pub id: String,
    /// notam, tfr, fisb_unavailable, airmet, sigmet, sua, g_airmet, cwa, notam_tra, notam_tmoa.
    pub kind: &'static str,
    pub product_id: u16,
    pub location: String,
    pub report_number: u16,
    pub report_year: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub shapes: Vec<Shape>,
    /// The ground station that sent it last.
    pub station: LatLon,
    pub issued: ApduTime,
    pub received_ms: u64,
    pub updated_ms: u64,
    pub expires_ms: u64,
}

impl AirspaceItem {
    /// Which list of `airspace:snapshot` it belongs to.
    pub fn group(&self) -> &'static str {
        match self.kind {
            "tfr" => "tfrs",
            "airmet" | "sigmet" | "g_airmet" | "cwa" | "sua" => "advisories",
            _ => "notams",
        }
    }
}

/// What a product did to the picture, for the API's events.
#[derive(Clone, Debug, PartialEq)]
pub enum AirspaceChange {
    New(AirspaceItem),
    Updated(AirspaceItem),
    /// Removed: `reason` is "expired" or "cancelled".
    Removed {
        item: AirspaceItem,
        reason: &'static str,
    },
}

#[derive(Default)]
pub struct AirspaceStore {
    items: BTreeMap<String, AirspaceItem>,
}

impl AirspaceStore {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn items(&self) -> impl Iterator<Item = &AirspaceItem> {
        self.items.values()
    }

    /// Takes one FIS-B product heard at `now_ms` from `station`; returns what changed.
    pub fn add(
        &mut self,
        product_id: u16,
        issued: ApduTime,
        product: &Product,
        station: LatLon,
        now_ms: u64,
    ) -> Vec<AirspaceChange> {
        let Product::Twgo(t) = product else {
            return Vec::new();
        };
        let mut changes = Vec::new();
        for r in &t.text {
            let id = item_id(product_id, t, r.report_year, r.report_number);
            if !r.active {
                if let Some(item) = self.items.remove(&id) {
                    changes.push(AirspaceChange::Removed {
                        item,
                        reason: "cancelled",
                    });
                }
                continue;
            }
            let kind = kind_of(product_id, Some(&r.text));
            self.upsert(
                &id,
                product_id,
                t,
                (r.report_year, r.report_number),
                issued,
                station,
                now_ms,
                &mut changes,
                |item| {
                    item.text = Some(r.text.clone());
                    if item.kind == "notam" && kind != "notam" {
                        item.kind = kind;
                    }
                },
            );
        }
        // Graphic records of one report arrive together: replace that report's shapes.
        let mut by_report: BTreeMap<(u8, u16), Vec<&GraphicRecord>> = BTreeMap::new();
        for g in &t.graphics {
            by_report
                .entry((g.report_year, g.report_number))
                .or_default()
                .push(g);
        }
        for ((year, number), records) in by_report {
            let id = item_id(product_id, t, year, number);
            if records.iter().all(|g| g.object_status == OBJECT_CANCELLED) {
                if let Some(item) = self.items.remove(&id) {
                    changes.push(AirspaceChange::Removed {
                        item,
                        reason: "cancelled",
                    });
                }
                continue;
            }
            let shapes: Vec<Shape> = records
                .iter()
                .filter(|g| g.object_status != OBJECT_CANCELLED)
                .map(|g| Shape {
                    geometry: g.geometry.clone(),
                    start: g.start,
                    end: g.end,
                })
                .collect();
            // The object element is meaningful for airspace objects only (DO-358B discards it
            // for aerodromes).
            let tfr = product_id == 8
                && records
                    .iter()
                    .any(|g| g.object_type == OBJECT_AIRSPACE && g.object_element == ELEMENT_TFR);
            self.upsert(
                &id,
                product_id,
                t,
                (year, number),
                issued,
                station,
                now_ms,
                &mut changes,
                |item| {
                    item.shapes = shapes.clone();
                    if tfr && item.kind == "notam" {
                        item.kind = "tfr";
                    }
                },
            );
        }
        changes
    }

    #[allow(clippy::too_many_arguments)]
    fn upsert(
        &mut self,
        id: &str,
        product_id: u16,
        t: &Twgo,
        (year, number): (u8, u16),
        issued: ApduTime,
        station: LatLon,
        now_ms: u64,
        changes: &mut Vec<AirspaceChange>,
        fill: impl FnOnce(&mut AirspaceItem),
    ) {
        let existing = self.items.get(id).cloned();
        let mut item = existing.clone().unwrap_or_else(|| AirspaceItem {
            id: id.to_string(),
            kind: kind_of(product_id, None),
            product_id,
            location: t.location.clone(),
            report_number: number,
            report_year: year,
            text: None,
            shapes: Vec::new(),
            station,
            issued,
            received_ms: now_ms,
            updated_ms: now_ms,
            expires_ms: now_ms + UNREFRESHED_MS,
        });
        fill(&mut item);
        item.station = station;
        item.issued = issued;
        item.expires_ms = expiry(&item.shapes, now_ms);
        let content_changed = existing
            .as_ref()
            .is_none_or(|e| e.text != item.text || e.shapes != item.shapes || e.kind != item.kind);
        if content_changed {
            item.updated_ms = now_ms;
        }
        if existing.is_none() && self.items.len() >= MAX_ITEMS {
            if let Some(first) = self
                .items
                .values()
                .min_by_key(|i| i.expires_ms)
                .map(|i| i.id.clone())
            {
                if let Some(old) = self.items.remove(&first) {
                    changes.push(AirspaceChange::Removed {
                        item: old,
                        reason: "expired",
                    });
                }
            }
        }
        self.items.insert(id.to_string(), item.clone());
        match existing {
            None => changes.push(AirspaceChange::New(item)),
            Some(_) if content_changed => changes.push(AirspaceChange::Updated(item)),
            Some(_) => {}
        }
    }

    /// Drops records past their expiry at `now_ms`.
    pub fn expire(&mut self, now_ms: u64) -> Vec<AirspaceChange> {
        let gone: Vec<String> = self
            .items
            .values()
            .filter(|i| i.expires_ms <= now_ms)
            .map(|i| i.id.clone())
            .collect();
        gone.into_iter()
            .filter_map(|id| self.items.remove(&id))
            .map(|item| AirspaceChange::Removed {
                item,
                reason: "expired",
            })
            .collect()
    }
}

fn item_id(product_id: u16, t: &Twgo, year: u8, number: u16) -> String {
    format!("{product_id}-{}-{year}-{number}", t.location)
}

fn kind_of(product_id: u16, text: Option<&str>) -> &'static str {
    match product_id {
        8 => match text {
            Some(t) if t.starts_with("NOTAM-TFR") => "tfr",
            Some(t) if t.starts_with("FIS-B") => "fisb_unavailable",
            _ => "notam",
        },
        11 => "airmet",
        12 => "sigmet",
        13 => "sua",
        14 => "g_airmet",
        15 => "cwa",
        16 => "notam_tra",
        17 => "notam_tmoa",
        _ => "other",
    }
}

/// The latest end time of the shapes, in ms since the epoch (see [`end_ms`] for the fields a
/// record leaves out); without one, `now_ms` + [`UNREFRESHED_MS`].
fn expiry(shapes: &[Shape], now_ms: u64) -> u64 {
    let ends = shapes
        .iter()
        .filter_map(|s| s.end)
        .filter_map(|e| end_ms(e, now_ms));
    ends.max()
        .map_or(now_ms + UNREFRESHED_MS, |e| e.max(now_ms))
}

/// A month/day/hour/minute as epoch milliseconds. Fields the record leaves out are filled
/// from the neighbours of now's: the year always, the month when only the day is given, the
/// day when only the time is. A report still being broadcast is in effect or yet to come, so
/// the first of those times that is not more than a grace period in the past wins (an hour
/// for a time alone, a day otherwise): 00:45 seen at 21:45 is tomorrow's, 10:00 seen at 21:45
/// too, the 1st seen on 30 November is December's, an end in January seen in December is
/// next year's.
pub fn end_ms(t: RecordTime, now_ms: u64) -> Option<u64> {
    let now = wall::civil(now_ms);
    let (hour, minute) = (u32::from(t.hour), u32::from(t.minute));
    let (candidates, grace): (Vec<Option<u64>>, u64) = match (t.month, t.day) {
        (Some(month), day) => {
            let day = day.map_or(now.day, u32::from);
            let years = [now.year - 1, now.year, now.year + 1];
            let at = |year| wall::ms_of(year, u32::from(month), day, hour, minute);
            (years.into_iter().map(at).collect(), DAY_MS)
        }
        (None, Some(day)) => {
            let at = |step| {
                let (year, month) = wall::add_months(now.year, now.month, step)?;
                wall::ms_of(year, month, u32::from(day), hour, minute)
            };
            ([-1, 0, 1].into_iter().map(at).collect(), DAY_MS)
        }
        (None, None) => {
            let days = [-1, 0, 1];
            let at = |step| wall::ms_of_day_step(now, step, hour, minute);
            (days.into_iter().map(at).collect(), HOUR_MS)
        }
    };
    let mut times: Vec<u64> = candidates.into_iter().flatten().collect();
    times.sort_unstable();
    let earliest_current = times.iter().copied().find(|&t| t + grace >= now_ms);
    earliest_current.or(times.last().copied())
}

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;

/// The body of `airspace:snapshot` and `airspace-snapshot`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AirspaceSnapshot {
    pub notams: Vec<AirspaceItem>,
    pub tfrs: Vec<AirspaceItem>,
    pub advisories: Vec<AirspaceItem>,
    pub count: usize,
    pub timestamp: u64,
}

impl AirspaceStore {
    /// The `airspace:snapshot` / `airspace-snapshot` body at `now_ms`.
    pub fn snapshot(&self, now_ms: u64) -> AirspaceSnapshot {
        let mut snap = AirspaceSnapshot {
            count: self.items.len(),
            timestamp: now_ms,
            ..AirspaceSnapshot::default()
        };
        for i in self.items.values() {
            match i.group() {
                "tfrs" => snap.tfrs.push(i.clone()),
                "advisories" => snap.advisories.push(i.clone()),
                _ => snap.notams.push(i.clone()),
            }
        }
        snap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use dsp::uat::uplink::{TextRecord, Vertex};

    const STATION: LatLon = LatLon {
        lat: 37.3,
        lon: -121.7,
    };

    fn notam(number: u16, active: bool, text: &str) -> Product {
        Product::Twgo(Twgo {
            record_format: 2,
            location: "KSCK".into(),
            text: vec![TextRecord {
                report_number: number,
                report_year: 26,
                active,
                text: text.into(),
            }],
            graphics: Vec::new(),
        })
    }

    fn tfr_shape(number: u16, status: u8, end: Option<RecordTime>) -> Product {
        Product::Twgo(Twgo {
            record_format: 8,
            location: "KSCK".into(),
            text: Vec::new(),
            graphics: vec![GraphicRecord {
                report_number: number,
                report_year: 26,
                object_type: OBJECT_AIRSPACE,
                object_status: status,
                object_element: ELEMENT_TFR,
                start: None,
                end,
                geometry: Geometry::Point {
                    agl: false,
                    vertex: Vertex {
                        lat: 37.9,
                        lon: -121.2,
                        alt_ft: 0,
                    },
                },
            }],
        })
    }

    #[test]
    fn reports_are_added_refreshed_changed_cancelled_and_expired() {
        let mut store = AirspaceStore::default();
        let t0 = 20_785 * 86_400_000; // 2026-11-28 00:00 UTC
        let issued = ApduTime::default();
        let c = store.add(
            8,
            issued,
            &notam(7, true, "NOTAM-D KSCK RWY CLSD"),
            STATION,
            t0,
        );
        assert!(
            matches!(&c[..], [AirspaceChange::New(i)] if i.kind == "notam" && i.expires_ms == t0 + UNREFRESHED_MS)
        );
        // The same text again: refreshed (later expiry), no event.
        let c = store.add(
            8,
            issued,
            &notam(7, true, "NOTAM-D KSCK RWY CLSD"),
            STATION,
            t0 + 1000,
        );
        assert!(c.is_empty());
        assert_eq!(
            store.items().next().map(|i| i.expires_ms),
            Some(t0 + 1000 + UNREFRESHED_MS)
        );
        // New text: an update.
        let c = store.add(
            8,
            issued,
            &notam(7, true, "NOTAM-D KSCK RWY 11 CLSD"),
            STATION,
            t0 + 2000,
        );
        assert!(matches!(&c[..], [AirspaceChange::Updated(_)]));
        // A TFR's shape with an end time: the report becomes a TFR expiring then.
        let end = RecordTime {
            month: Some(11),
            day: Some(28),
            hour: 6,
            minute: 0,
        };
        let c = store.add(8, issued, &tfr_shape(9, 15, Some(end)), STATION, t0);
        assert!(
            matches!(&c[..], [AirspaceChange::New(i)] if i.kind == "tfr" && i.expires_ms == t0 + 6 * 3_600_000)
        );
        assert_eq!(store.snapshot(t0).tfrs.len(), 1);
        // Cancelled text removes the NOTAM; time removes the TFR.
        let c = store.add(8, issued, &notam(7, false, ""), STATION, t0 + 3000);
        assert!(matches!(
            &c[..],
            [AirspaceChange::Removed {
                reason: "cancelled",
                ..
            }]
        ));
        assert!(store.expire(t0 + 6 * 3_600_000 - 1).is_empty());
        let c = store.expire(t0 + 6 * 3_600_000);
        assert!(
            matches!(&c[..], [AirspaceChange::Removed { reason: "expired", item }] if item.kind == "tfr")
        );
        assert!(store.is_empty());
        // Products that are not text-with-graphics change nothing.
        assert!(store
            .add(
                413,
                issued,
                &Product::Text {
                    text: "METAR".into()
                },
                STATION,
                t0
            )
            .is_empty());
    }

    #[test]
    fn the_store_is_bounded() {
        let mut store = AirspaceStore::default();
        for n in 0..(MAX_ITEMS as u16 + 10) {
            store.add(
                8,
                ApduTime::default(),
                &notam(n, true, "NOTAM-D X"),
                STATION,
                u64::from(n),
            );
        }
        assert_eq!(store.len(), MAX_ITEMS);
    }

    #[test]
    fn report_ends_land_in_the_year_nearest_now() {
        // 2026-11-28 00:00 UTC; an end on 1 January is next year's, 27 November this year's.
        let now = wall::ms_of(2026, 11, 28, 0, 0).unwrap();
        let at = |month, day, hour, minute| RecordTime {
            month: Some(month),
            day: Some(day),
            hour,
            minute,
        };
        assert_eq!(end_ms(at(1, 1, 0, 0), now), wall::ms_of(2027, 1, 1, 0, 0));
        assert_eq!(
            end_ms(at(11, 27, 12, 30), now),
            wall::ms_of(2026, 11, 27, 12, 30)
        );
        assert_eq!(end_ms(at(13, 1, 0, 0), now), None);
        assert_eq!(end_ms(at(2, 30, 0, 0), now), None);
    }

    #[test]
    fn report_ends_without_month_or_day_are_the_next_ones_to_come() {
        // 2026-11-30 21:45 UTC: a report in effect for three hours ends at 00:45 on the 1st.
        let now = wall::ms_of(2026, 11, 30, 21, 45).unwrap();
        let day_only = |day, hour, minute| RecordTime {
            month: None,
            day: Some(day),
            hour,
            minute,
        };
        let time_only = |hour, minute| RecordTime {
            month: None,
            day: None,
            hour,
            minute,
        };
        let next = wall::ms_of(2026, 12, 1, 0, 45);
        assert_eq!(end_ms(day_only(1, 0, 45), now), next);
        assert_eq!(end_ms(time_only(0, 45), now), next);
        // Later today, and a time already past today: tomorrow's.
        assert_eq!(
            end_ms(time_only(23, 0), now),
            wall::ms_of(2026, 11, 30, 23, 0)
        );
        assert_eq!(
            end_ms(time_only(10, 0), now),
            wall::ms_of(2026, 12, 1, 10, 0)
        );
        // Within the grace period: the end that has just passed (the report expires now).
        assert_eq!(
            end_ms(time_only(21, 0), now),
            wall::ms_of(2026, 11, 30, 21, 0)
        );
        assert_eq!(
            end_ms(day_only(30, 6, 0), now),
            wall::ms_of(2026, 11, 30, 6, 0)
        );
        // A day already past this month is next month's; the 31st is December's.
        let jan20 = wall::ms_of(2027, 1, 20, 12, 0).unwrap();
        assert_eq!(
            end_ms(day_only(5, 6, 0), jan20),
            wall::ms_of(2027, 2, 5, 6, 0)
        );
        assert_eq!(
            end_ms(day_only(31, 6, 0), now),
            wall::ms_of(2026, 12, 31, 6, 0)
        );
        let dec30 = wall::ms_of(2026, 12, 30, 12, 0).unwrap();
        assert_eq!(
            end_ms(day_only(1, 6, 0), dec30),
            wall::ms_of(2027, 1, 1, 6, 0)
        );
    }
}
