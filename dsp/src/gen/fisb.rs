//! FIS-B uplinks built from the layouts of RTCA DO-282B (uplink header, information frames)
//! and DO-358B (APDU header, DLAC text, text-with-graphics records), for the UAT simulator
//! and tests. The inverse of `uat::uplink`; the decoder it feeds was checked against real
//! uplinks, the encoder only against the layouts and that decoder.

use crate::uat::consts::UPLINK_PAYLOAD;
use crate::uat::uplink::RecordTime;

/// Sets `width` bits of `buf` from bit `start` (0 = most significant bit of byte 0) to the low
/// bits of `value`; bits past the end of `buf` are dropped.
pub(crate) fn put(buf: &mut [u8], start: usize, width: usize, value: u32) {
    for i in 0..width {
        let at = start + i;
        let Some(byte) = buf.get_mut(at / 8) else {
            return;
        };
        let bit = ((value >> (width - 1 - i)) & 1) as u8;
        *byte = (*byte & !(0x80 >> (at % 8))) | (bit << (7 - at % 8));
    }
}

/// A latitude and longitude in UAT's angular weighting of `bits` bits (360° / 2^bits):
/// southern latitudes and western longitudes wrap, as the decoders expect.
pub(crate) fn angular(lat: f64, lon: f64, bits: u32) -> (u32, u32) {
    let scale = f64::from(1u32 << bits) / 360.0;
    let mask = (1u32 << bits) - 1;
    let lat = if lat < 0.0 { lat + 180.0 } else { lat };
    let lon = if lon < 0.0 { lon + 360.0 } else { lon };
    (
        (lat * scale).round() as u32 & mask,
        (lon * scale).round() as u32 & mask,
    )
}

/// DLAC text, four 6-bit characters to three bytes, padded with end-of-text. Lower case is
/// sent as upper case; characters DLAC lacks become spaces.
pub fn dlac(text: &str) -> Vec<u8> {
    let codes: Vec<u32> = text
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u32 - 'A' as u32 + 1,
            '\n' => 30,
            c @ ' '..='?' => c as u32 - ' ' as u32 + 32,
            _ => 32,
        })
        .collect();
    codes
        .chunks(4)
        .flat_map(|g| {
            let v = (0..4).fold(0u32, |acc, i| (acc << 6) | g.get(i).copied().unwrap_or(0));
            [(v >> 16) as u8, (v >> 8) as u8, v as u8]
        })
        .collect()
}

/// One text record (record format 2): a report's text, or its cancellation.
pub fn text_record(report_number: u16, report_year: u8, active: bool, text: &str) -> Vec<u8> {
    let body = if active { dlac(text) } else { Vec::new() };
    let mut r = vec![0u8; 5];
    put(&mut r, 0, 16, (5 + body.len()) as u32);
    put(&mut r, 16, 14, u32::from(report_number));
    put(&mut r, 30, 7, u32::from(report_year));
    put(&mut r, 37, 1, u32::from(active));
    r.extend(body);
    r
}

/// The shape of a graphic record.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// Vertices (lat, lon) with one altitude (ft MSL) for all; option 3.
    Polygon {
        vertices: Vec<(f64, f64)>,
        alt_ft: u32,
    },
    /// A vertical cylinder (option 7).
    Circle {
        lat: f64,
        lon: f64,
        radius_nm: f64,
        bottom_ft: u32,
        top_ft: u32,
    },
}

/// One graphic record (record format 8): an object of `object_type` (14 airspace) and
/// `element` (0 TFR for NOTAMs), `status` (15 active, 13 cancelled), in effect from `start`
/// to `end` (day, hour, minute; the month is left out).
#[derive(Clone)]
pub struct Graphic {
    pub report_number: u16,
    pub report_year: u8,
    pub object_type: u8,
    pub element: u8,
    pub status: u8,
    pub start: RecordTime,
    pub end: RecordTime,
    pub shape: Shape,
}

pub fn graphic_record(g: &Graphic) -> Vec<u8> {
    // Header (5 bytes), 2-byte numeric label, element, type/status, options, vertex count.
    let mut r = vec![0u8; 11];
    put(&mut r, 10, 14, u32::from(g.report_number));
    put(&mut r, 24, 7, u32::from(g.report_year));
    r[7] = g.element & 0x1f;
    r[8] = (g.object_type << 4) | (g.status & 0x0f);
    let (option, vertices) = match &g.shape {
        Shape::Polygon { vertices, .. } => (3u8, vertices.len().clamp(1, 64)),
        Shape::Circle { .. } => (7, 1),
    };
    // Applicability 3 (start and end), time format 2 (day, hour, minute).
    r[9] = (3 << 6) | (2 << 4) | option;
    r[10] = (vertices - 1) as u8;
    for t in [g.start, g.end] {
        r.extend([t.day.unwrap_or(0), t.hour, t.minute]);
    }
    match &g.shape {
        Shape::Polygon {
            vertices: vs,
            alt_ft,
        } => {
            for &(lat, lon) in vs.iter().take(64) {
                let mut v = [0u8; 6];
                let (raw_lat, raw_lon) = angular(lat, lon, 19);
                put(&mut v, 0, 19, raw_lon);
                put(&mut v, 19, 19, raw_lat);
                put(&mut v, 38, 10, alt_ft / 100);
                r.extend(v);
            }
        }
        Shape::Circle {
            lat,
            lon,
            radius_nm,
            bottom_ft,
            top_ft,
        } => {
            let mut v = [0u8; 14];
            let (raw_lat, raw_lon) = angular(*lat, *lon, 18);
            for at in [0, 36] {
                put(&mut v, at, 18, raw_lon);
                put(&mut v, at + 18, 18, raw_lat);
            }
            put(&mut v, 72, 7, bottom_ft / 500);
            put(&mut v, 79, 7, top_ft / 500);
            let radius = (radius_nm / 0.2).round() as u32;
            put(&mut v, 86, 9, radius);
            put(&mut v, 95, 9, radius);
            r.extend(v);
        }
    }
    let len = r.len() as u32;
    put(&mut r, 0, 10, len);
    r
}

/// A text-with-graphics product payload: `records` all of `record_format` (2 text, 8
/// graphic), for `location` (up to four characters).
pub fn twgo(record_format: u8, location: &str, records: &[Vec<u8>]) -> Vec<u8> {
    let mut p = vec![record_format << 4, (records.len().min(15) as u8) << 4];
    let mut loc = dlac(&format!("{location:<4}"));
    loc.resize(3, 0);
    p.extend(loc);
    p.push(0);
    for r in records.iter().take(15) {
        p.extend(r);
    }
    p
}

/// An unsegmented APDU: header with product id and issue time (hour, minute), then `payload`.
pub fn apdu(product_id: u16, hour: u8, minute: u8, payload: &[u8]) -> Vec<u8> {
    let mut a = vec![0u8; 4];
    put(&mut a, 3, 11, u32::from(product_id));
    // Not segmented; time option 0: hours and minutes.
    put(&mut a, 17, 5, u32::from(hour));
    put(&mut a, 22, 6, u32::from(minute));
    a.extend_from_slice(payload);
    a
}

/// The ground station sending an uplink.
#[derive(Clone, Copy, Debug)]
pub struct Station {
    pub lat: f64,
    pub lon: f64,
    /// Which of the 32 ground-segment slots it transmits in.
    pub slot: u8,
    pub tisb_site_id: u8,
}

/// A 432-byte uplink payload carrying `apdus` as FIS-B information frames, as many as fit in
/// order, and how many that was; `None` when not even the first fits.
pub fn uplink(station: Station, apdus: &[Vec<u8>]) -> Option<(Vec<u8>, usize)> {
    let mut p = vec![0u8; 8];
    let (raw_lat, raw_lon) = angular(station.lat, station.lon, 24);
    put(&mut p, 0, 23, raw_lat);
    put(&mut p, 23, 24, raw_lon);
    put(&mut p, 47, 1, 1); // position valid
    put(&mut p, 48, 1, 1); // UTC coupled
    put(&mut p, 50, 1, u32::from(!apdus.is_empty())); // application data valid
    put(&mut p, 51, 5, u32::from(station.slot));
    put(&mut p, 56, 4, u32::from(station.tisb_site_id));
    let mut used = 0;
    for a in apdus {
        // A frame's length field is 9 bits.
        if a.len() > 511 || p.len() + 2 + a.len() > UPLINK_PAYLOAD {
            if used == 0 {
                return None;
            }
            break;
        }
        used += 1;
        p.push((a.len() >> 1) as u8);
        p.push((a.len() as u8 & 1) << 7); // frame type 0: FIS-B APDU
        p.extend(a);
    }
    p.resize(UPLINK_PAYLOAD, 0);
    Some((p, used))
}

/// The simulator's FIS-B content around `centre`, as APDUs: a TFR (NOTAM text and its
/// polygon, surface to 5000 ft) 25 km north-east, a NOTAM-D with a 3 NM circle 30 km west,
/// and a text METAR. Issued at `issued` (hour, minute), in effect from `start` to `end`.
pub fn demo_products(
    centre: crate::cpr::Position,
    issued: (u8, u8),
    start: RecordTime,
    end: RecordTime,
) -> Vec<Vec<u8>> {
    let km_lat = 1.0 / 111.2;
    let km_lon = km_lat / centre.lat.to_radians().cos().max(0.01);
    let at = |north_km: f64, east_km: f64| {
        (
            centre.lat + north_km * km_lat,
            centre.lon + east_km * km_lon,
        )
    };
    let (hour, minute) = issued;
    let year = 26;
    let tfr = Graphic {
        report_number: 4321,
        report_year: year,
        object_type: 14,
        element: 0,
        status: 15,
        start,
        end,
        shape: Shape::Polygon {
            vertices: vec![
                at(21.0, 14.0),
                at(21.0, 22.0),
                at(15.0, 22.0),
                at(15.0, 14.0),
            ],
            alt_ft: 5000,
        },
    };
    let (wlat, wlon) = at(0.0, -30.0);
    let uas = Graphic {
        report_number: 4322,
        element: 1,
        shape: Shape::Circle {
            lat: wlat,
            lon: wlon,
            radius_nm: 3.0,
            bottom_ft: 0,
            top_ft: 1500,
        },
        ..tfr
    };
    let tfr_text = format!(
        "NOTAM-TFR 6/4321 SIMULATED FLIGHT RESTRICTIONS {:.3}N {:.3}E SFC-5000FT. \
         BUILT-IN SIMULATOR, NOT A REAL NOTAM.",
        centre.lat, centre.lon
    );
    let uas_text = "NOTAM-D SIM 11/4322 AIRSPACE UAS WI AN AREA DEFINED AS 3NM RADIUS \
                    SFC-1500FT AGL. BUILT-IN SIMULATOR, NOT A REAL NOTAM.";
    let metar = format!(
        "METAR SIMU {:02}{:02}{:02}Z 27008KT 9999 FEW030 15/08 Q1014=",
        start.day.unwrap_or(1),
        hour,
        minute
    );
    vec![
        apdu(
            8,
            hour,
            minute,
            &twgo(2, "SIM", &[text_record(4321, year, true, &tfr_text)]),
        ),
        apdu(8, hour, minute, &twgo(8, "SIM", &[graphic_record(&tfr)])),
        apdu(
            8,
            hour,
            minute,
            &twgo(2, "SIM", &[text_record(4322, year, true, uas_text)]),
        ),
        apdu(8, hour, minute, &twgo(8, "SIM", &[graphic_record(&uas)])),
        apdu(413, hour, minute, &dlac(&metar)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uat::uplink::{decode_apdu, decode_product, decode_uplink, Geometry, Product};

    fn at(day: u8, hour: u8, minute: u8) -> RecordTime {
        RecordTime {
            month: None,
            day: Some(day),
            hour,
            minute,
        }
    }

    #[test]
    fn dlac_round_trips_through_the_decoder() {
        let text = "NOTAM-TFR 6/4321 SIMULATED (1.5NM) \"TEST\"?\nSFC-5000FT";
        assert_eq!(crate::uat::uplink::dlac(&dlac(text)), text);
        assert_eq!(
            crate::uat::uplink::dlac(&dlac("lower ~case")),
            "LOWER  CASE"
        );
    }

    #[test]
    fn products_in_an_uplink_decode_to_what_was_encoded() {
        let text = twgo(2, "ZAM", &[text_record(4321, 26, true, "NOTAM-TFR 6/4321")]);
        let polygon = Graphic {
            report_number: 4321,
            report_year: 26,
            object_type: 14,
            element: 0,
            status: 15,
            start: at(27, 22, 5),
            end: at(28, 1, 5),
            shape: Shape::Polygon {
                vertices: vec![(52.5, 4.9), (52.6, 5.1), (52.4, 5.2)],
                alt_ft: 5000,
            },
        };
        let circle = Graphic {
            report_number: 77,
            shape: Shape::Circle {
                lat: -33.9,
                lon: -70.8,
                radius_nm: 3.0,
                bottom_ft: 0,
                top_ft: 3000,
            },
            ..polygon
        };
        let graphics = twgo(
            8,
            "ZAM",
            &[graphic_record(&polygon), graphic_record(&circle)],
        );
        let station = Station {
            lat: 52.2,
            lon: -4.5,
            slot: 7,
            tisb_site_id: 3,
        };
        let (payload, used) =
            uplink(station, &[apdu(8, 22, 5, &text), apdu(8, 22, 5, &graphics)]).expect("fits");
        assert_eq!(used, 2);
        let up = decode_uplink(&payload).expect("uplink");
        assert_eq!((up.header.slot_id, up.header.tisb_site_id), (7, 3));
        assert!((up.header.site.lat - 52.2).abs() < 1e-4);
        assert!((up.header.site.lon + 4.5).abs() < 1e-4);
        assert_eq!(up.frames.len(), 2);
        let products: Vec<Product> = up
            .frames
            .iter()
            .map(|f| {
                let a = decode_apdu(&f.data).expect("apdu");
                assert_eq!((a.product_id, a.time.hour, a.time.minute), (8, 22, 5));
                decode_product(a.product_id, &a.payload)
            })
            .collect();
        let Product::Twgo(t) = &products[0] else {
            panic!("{:?}", products[0]);
        };
        assert_eq!(t.location, "ZAM");
        assert_eq!(t.text[0].text, "NOTAM-TFR 6/4321");
        assert_eq!((t.text[0].report_number, t.text[0].report_year), (4321, 26));
        let Product::Twgo(g) = &products[1] else {
            panic!("{:?}", products[1]);
        };
        assert_eq!(g.graphics.len(), 2);
        let p = &g.graphics[0];
        assert_eq!(
            (p.object_type, p.object_status, p.object_element),
            (14, 15, 0)
        );
        assert_eq!((p.start, p.end), (Some(at(27, 22, 5)), Some(at(28, 1, 5))));
        let Geometry::Polygon { vertices, agl } = &p.geometry else {
            panic!("{:?}", p.geometry);
        };
        assert!(!agl);
        assert_eq!(vertices.len(), 3);
        // 19-bit weighting: 0.0007° steps.
        assert!((vertices[1].lat - 52.6).abs() < 1e-3 && (vertices[1].lon - 5.1).abs() < 1e-3);
        assert_eq!(vertices[1].alt_ft, 5000);
        let Geometry::Circle {
            lat,
            lon,
            radius_nm,
            top_ft,
            ..
        } = g.graphics[1].geometry
        else {
            panic!("{:?}", g.graphics[1].geometry);
        };
        assert!((lat + 33.9).abs() < 2e-3 && (lon + 70.8).abs() < 2e-3);
        assert_eq!((radius_nm, top_ft), (3.0, 3000));
    }

    #[test]
    fn an_apdu_too_large_for_an_uplink_is_refused() {
        let station = Station {
            lat: 0.0,
            lon: 0.0,
            slot: 0,
            tisb_site_id: 0,
        };
        assert!(uplink(station, &[vec![0u8; 500]]).is_none());
        let (up, used) = uplink(station, &[vec![1u8; 300], vec![2u8; 300]]).expect("first fits");
        assert_eq!(used, 1);
        assert_eq!(decode_uplink(&up).expect("uplink").frames.len(), 1);
        let (empty, _) = uplink(station, &[]).expect("empty");
        let empty = decode_uplink(&empty).expect("uplink");
        assert!(!empty.header.app_data_valid && empty.frames.is_empty());
    }
}
