//! Ground uplinks: the UAT-specific header, information frames, FIS-B APDUs, DLAC text,
//! generic text (product 413), and text-with-graphics products (8 NOTAM incl. TFR, 11 AIRMET,
//! 12 SIGMET, 13 SUA, 14–17), whose graphical overlays become polygons, polylines, points and
//! circles with altitude limits and times. Segmented products are put back together by
//! [`Reassembler`]. Layouts: RTCA DO-282B (uplink), DO-358B (FIS-B products).
//!
//! Every reader is bounds-checked: a truncated or garbled frame yields `None` or fewer
//! records, never a panic.

use super::decode::LatLon;
use serde::Serialize;
use std::collections::VecDeque;

/// Reads big-endian bit fields; out-of-range reads return `None`.
struct Bits<'a> {
    data: &'a [u8],
}

impl Bits<'_> {
    fn get(&self, start: usize, width: usize) -> Option<u32> {
        if width > 32 || start + width > self.data.len() * 8 {
            return None;
        }
        Some((start..start + width).fold(0u32, |acc, i| {
            (acc << 1) | u32::from((self.data[i / 8] >> (7 - i % 8)) & 1)
        }))
    }
}

/// The 8-byte header of every uplink.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UplinkHeader {
    /// The ground station's position (`position_valid` says whether it claims to be good).
    pub site: LatLon,
    pub position_valid: bool,
    pub utc_coupled: bool,
    pub app_data_valid: bool,
    pub slot_id: u8,
    pub tisb_site_id: u8,
}

/// One information frame of an uplink's application data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InfoFrame {
    /// 0 = FIS-B APDU, 15 = TIS-B/ADS-R service status; others reserved.
    pub frame_type: u8,
    #[serde(skip)]
    pub data: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Uplink {
    pub header: UplinkHeader,
    pub frames: Vec<InfoFrame>,
}

/// Decodes a corrected 432-byte uplink payload.
pub fn decode_uplink(p: &[u8]) -> Option<Uplink> {
    if p.len() < 8 {
        return None;
    }
    let b = Bits { data: p };
    let header = UplinkHeader {
        site: position(b.get(0, 23)?, b.get(23, 24)?, 24),
        position_valid: b.get(47, 1)? == 1,
        utc_coupled: b.get(48, 1)? == 1,
        app_data_valid: b.get(50, 1)? == 1,
        slot_id: b.get(51, 5)? as u8,
        tisb_site_id: b.get(56, 4)? as u8,
    };
    let mut frames = Vec::new();
    let mut at = 8;
    // Frames follow one another to the end of the payload; a zero length ends the list.
    while at + 2 <= p.len() {
        let len = (usize::from(p[at]) << 1) | usize::from(p[at + 1] >> 7);
        let frame_type = p[at + 1] & 0x0f;
        if len == 0 {
            break;
        }
        let start = at + 2;
        let Some(data) = p.get(start..start + len) else {
            break; // runs past the payload: garbled
        };
        frames.push(InfoFrame {
            frame_type,
            data: data.to_vec(),
        });
        at = start + len;
    }
    Some(Uplink { header, frames })
}

/// A latitude/longitude pair in the `bits`-bit angular weighting of UAT (360° / 2^bits).
fn position(raw_lat: u32, raw_lon: u32, bits: u32) -> LatLon {
    let unit = 360.0 / f64::from(1u32 << bits);
    let mut lat = f64::from(raw_lat) * unit;
    if lat > 90.0 {
        lat -= 180.0;
    }
    let mut lon = f64::from(raw_lon) * unit;
    if lon > 180.0 {
        lon -= 360.0;
    }
    LatLon {
        lat: (lat * 1e6).round() / 1e6,
        lon: (lon * 1e6).round() / 1e6,
    }
}

/// When a product was issued, to the precision the APDU gives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ApduTime {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<u8>,
    pub hour: u8,
    pub minute: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second: Option<u8>,
}

/// Which piece of a segmented product an APDU carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub product_file_id: u16,
    /// How many segments the product has.
    pub product_file_length: u16,
    /// This segment's number, from 1.
    pub apdu_number: u16,
}

/// A FIS-B APDU: header and payload bytes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Apdu {
    pub product_id: u16,
    pub time: ApduTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<Segment>,
    #[serde(skip)]
    pub payload: Vec<u8>,
}

/// Decodes the APDU in a type-0 information frame.
pub fn decode_apdu(data: &[u8]) -> Option<Apdu> {
    let b = Bits { data };
    let product_id = b.get(3, 11)? as u16;
    let segmented = b.get(14, 1)? == 1;
    let time_option = b.get(15, 2)?;
    let mut at = 17;
    let mut time = ApduTime::default();
    if time_option >= 2 {
        time.month = Some(b.get(at, 4)? as u8);
        time.day = Some(b.get(at + 4, 5)? as u8);
        at += 9;
    }
    time.hour = b.get(at, 5)? as u8;
    time.minute = b.get(at + 5, 6)? as u8;
    at += 11;
    if time_option % 2 == 1 {
        time.second = Some(b.get(at, 6)? as u8);
        at += 6;
    }
    let segment = if segmented {
        let s = Segment {
            product_file_id: b.get(at, 10)? as u16,
            product_file_length: b.get(at + 10, 9)? as u16,
            apdu_number: b.get(at + 19, 9)? as u16,
        };
        at += 28;
        Some(s)
    } else {
        None
    };
    let payload = data.get(at.div_ceil(8)..)?.to_vec();
    Some(Apdu {
        product_id,
        time,
        segment,
        payload,
    })
}

/// DLAC, the 6-bit character set of FIS-B text. 0 is end-of-text, 27 null, 28 a tab (the
/// next character is a count of spaces), 29 record separator, 30 line feed, 31 change cipher.
const DLAC: &[u8; 64] = b"\0ABCDEFGHIJKLMNOPQRSTUVWXYZ\0\t\0\n| !\"#$%&'()*+,-./0123456789:;<=>?";

/// Decodes DLAC text packed four characters to three bytes.
pub fn dlac(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut tab = false;
    let chars = bytes.chunks(3).flat_map(|c| {
        let v = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        let n = match c.len() {
            1 => 1,
            2 => 2,
            _ => 4,
        };
        (0..n).map(move |i| ((v >> (18 - 6 * i)) & 0x3f) as usize)
    });
    for c in chars {
        if tab {
            out.extend(std::iter::repeat_n(' ', c));
            tab = false;
            continue;
        }
        match DLAC[c] {
            b'\0' => {} // end-of-text, null and record separator: padding
            b'\t' => tab = true,
            ch => out.push(char::from(ch)),
        }
    }
    out
}

/// A decoded FIS-B product.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum Product {
    /// Product 413: METAR, TAF, PIREP, winds aloft… as text.
    Text { text: String },
    /// Products 8 and 11–17: text with graphical overlay.
    Twgo(Twgo),
    /// A product this decoder does not read (NEXRAD, icing, lightning…): its id only.
    Other,
}

/// Text-with-graphics product payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Twgo {
    /// 2 = text records, 8 = graphic records.
    pub record_format: u8,
    pub location: String,
    pub text: Vec<TextRecord>,
    pub graphics: Vec<GraphicRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TextRecord {
    pub report_number: u16,
    pub report_year: u8,
    /// False: the report is cancelled.
    pub active: bool,
    pub text: String,
}

/// Day and time a graphic applies from or until (fields the record leaves out are `None`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RecordTime {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<u8>,
    pub hour: u8,
    pub minute: u8,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GraphicRecord {
    pub report_number: u16,
    pub report_year: u8,
    /// 0 airport, 14 airspace.
    pub object_type: u8,
    /// 13 cancelled, 15 in effect.
    pub object_status: u8,
    pub object_element: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<RecordTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<RecordTime>,
    pub geometry: Geometry,
}

/// A vertex: latitude, longitude (degrees) and altitude (ft).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Vertex {
    pub lat: f64,
    pub lon: f64,
    pub alt_ft: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Geometry {
    /// Closed shape; altitudes above mean sea level unless `agl`.
    Polygon {
        agl: bool,
        vertices: Vec<Vertex>,
    },
    Polyline {
        agl: bool,
        vertices: Vec<Vertex>,
    },
    Point {
        agl: bool,
        vertex: Vertex,
    },
    /// A prism with elliptical section (a circle when the radii agree) from `bottom_ft` to
    /// `top_ft`.
    Circle {
        agl: bool,
        lat: f64,
        lon: f64,
        radius_nm: f64,
        minor_radius_nm: f64,
        orientation_deg: f64,
        bottom_ft: u32,
        top_ft: u32,
    },
    /// Geometry options this decoder does not know (kept so the record is not lost).
    Unknown {
        option: u8,
    },
    None,
}

/// Decodes an (unsegmented or reassembled) APDU's payload for its product.
pub fn decode_product(product_id: u16, payload: &[u8]) -> Product {
    match product_id {
        413 => Product::Text {
            text: dlac(payload).trim_end().to_string(),
        },
        8 | 11..=17 => decode_twgo(product_id, payload).map_or(Product::Other, Product::Twgo),
        _ => Product::Other,
    }
}

fn decode_twgo(product_id: u16, p: &[u8]) -> Option<Twgo> {
    if p.len() < 6 {
        return None;
    }
    let record_format = p[0] >> 4;
    let count = usize::from(p[1] >> 4);
    let mut t = Twgo {
        record_format,
        location: dlac(&p[2..5]).trim().to_string(),
        text: Vec::new(),
        graphics: Vec::new(),
    };
    let mut at = 6;
    for _ in 0..count {
        let rest = p.get(at..)?;
        let len = match record_format {
            2 => {
                let (len, rec) = text_record(rest)?;
                t.text.push(rec);
                len
            }
            8 => {
                let (len, rec) = graphic_record(product_id, rest)?;
                if let Some(rec) = rec {
                    t.graphics.push(rec);
                }
                len
            }
            _ => break,
        };
        if len == 0 {
            break;
        }
        at += len;
    }
    Some(t)
}

fn text_record(r: &[u8]) -> Option<(usize, TextRecord)> {
    let b = Bits { data: r };
    let len = b.get(0, 16)? as usize;
    if len < 5 {
        return None;
    }
    let active = b.get(37, 1)? == 1;
    let body = r.get(5..len.min(r.len()))?;
    Some((
        len,
        TextRecord {
            report_number: b.get(16, 14)? as u16,
            report_year: b.get(30, 7)? as u8,
            active,
            text: if active {
                dlac(body).trim_end().to_string()
            } else {
                String::new()
            },
        },
    ))
}

/// One overlay record; the record length always comes back so the next can be found.
fn graphic_record(product_id: u16, r: &[u8]) -> Option<(usize, Option<GraphicRecord>)> {
    let b = Bits { data: r };
    let len = b.get(0, 10)? as usize;
    let parse = || -> Option<GraphicRecord> {
        let rec = r.get(..len)?;
        let b = Bits { data: rec };
        let report_number = b.get(10, 14)? as u16;
        let report_year = b.get(24, 7)? as u8;
        let label_flag = b.get(39, 1)?;
        let mut at = 5 + if label_flag == 1 { 9 } else { 2 };
        let flags = *rec.get(at)?;
        let (qualifier, parameter) = (flags & 0x40 != 0, flags & 0x20 != 0);
        let object_element = flags & 0x1f;
        at += 1;
        let kind = *rec.get(at)?;
        at += 1;
        // Object qualifiers are sent for G-AIRMETs only.
        if qualifier && product_id == 14 {
            at += 3;
        }
        if parameter {
            at += 2;
        }
        let opts = *rec.get(at)?;
        let applicability = opts >> 6;
        let time_format = (opts >> 4) & 3;
        let geometry_option = opts & 0x0f;
        at += 1;
        let vertices = usize::from(rec.get(at)? & 0x3f) + 1;
        at += 1;
        let time = |at: &mut usize| -> Option<RecordTime> {
            let t = match time_format {
                1 => RecordTime {
                    month: Some(*rec.get(*at)?),
                    day: Some(*rec.get(*at + 1)?),
                    hour: *rec.get(*at + 2)?,
                    minute: *rec.get(*at + 3)?,
                },
                2 => RecordTime {
                    month: None,
                    day: Some(*rec.get(*at)?),
                    hour: *rec.get(*at + 1)?,
                    minute: *rec.get(*at + 2)?,
                },
                3 => RecordTime {
                    month: None,
                    day: None,
                    hour: *rec.get(*at)?,
                    minute: *rec.get(*at + 1)?,
                },
                _ => return None,
            };
            *at += [0, 4, 3, 2][usize::from(time_format)];
            Some(t)
        };
        let start = if applicability & 1 == 1 {
            time(&mut at)
        } else {
            None
        };
        let end = if applicability & 2 == 2 {
            time(&mut at)
        } else {
            None
        };
        let agl = matches!(geometry_option, 4 | 8 | 9 | 12);
        let geometry = match geometry_option {
            3 | 4 | 11 | 12 | 9 | 10 => {
                let mut vs = Vec::with_capacity(vertices);
                for i in 0..vertices {
                    vs.push(vertex6(rec.get(at + 6 * i..at + 6 * i + 6)?)?);
                }
                match geometry_option {
                    3 | 4 => Geometry::Polygon { agl, vertices: vs },
                    11 | 12 => Geometry::Polyline { agl, vertices: vs },
                    _ => Geometry::Point { agl, vertex: vs[0] },
                }
            }
            7 | 8 => circle(rec.get(at..at + 14)?, agl)?,
            0 => Geometry::None,
            other => Geometry::Unknown { option: other },
        };
        Some(GraphicRecord {
            report_number,
            report_year,
            object_type: kind >> 4,
            object_status: kind & 0x0f,
            object_element,
            start,
            end,
            geometry,
        })
    };
    Some((len, parse()))
}

/// 6-byte vertex: 19-bit longitude, 19-bit latitude, 10-bit altitude in hundreds of feet.
fn vertex6(v: &[u8]) -> Option<Vertex> {
    let b = Bits { data: v };
    let p = position(b.get(19, 19)?, b.get(0, 19)?, 19);
    Some(Vertex {
        lat: p.lat,
        lon: p.lon,
        alt_ft: b.get(38, 10)? * 100,
    })
}

/// 14-byte prism: bottom and top centres (18-bit), altitudes in 500 ft, radii in 0.2 NM.
fn circle(v: &[u8], agl: bool) -> Option<Geometry> {
    let b = Bits { data: v };
    let centre = position(b.get(18, 18)?, b.get(0, 18)?, 18);
    Some(Geometry::Circle {
        agl,
        lat: centre.lat,
        lon: centre.lon,
        bottom_ft: b.get(72, 7)? * 500,
        top_ft: b.get(79, 7)? * 500,
        radius_nm: f64::from(b.get(86, 9)?) * 0.2,
        minor_radius_nm: f64::from(b.get(95, 9)?) * 0.2,
        orientation_deg: f64::from(b.get(104, 8)?) * 360.0 / 256.0,
    })
}

/// Puts segmented APDUs back together. Fixed memory: at most [`Reassembler::MAX_PENDING`]
/// products wait for their missing segments; the oldest is dropped for a new one.
#[derive(Default)]
pub struct Reassembler {
    pending: VecDeque<Pending>,
}

struct Pending {
    product_id: u16,
    file_id: u16,
    segments: Vec<Option<Vec<u8>>>,
}

impl Reassembler {
    pub const MAX_PENDING: usize = 64;
    /// More segments than this is not a real product.
    pub const MAX_SEGMENTS: u16 = 64;

    /// Takes an APDU; returns the whole product's payload when this completes it (at once for
    /// an unsegmented APDU). Every segment repeats the 6-byte text-with-graphics header,
    /// which is kept from the first only.
    pub fn add(&mut self, apdu: &Apdu) -> Option<Vec<u8>> {
        let Some(seg) = apdu.segment else {
            return Some(apdu.payload.clone());
        };
        let n = seg.product_file_length;
        if n == 0 || n > Self::MAX_SEGMENTS || seg.apdu_number == 0 || seg.apdu_number > n {
            return None;
        }
        let i = match self
            .pending
            .iter()
            .position(|p| p.product_id == apdu.product_id && p.file_id == seg.product_file_id)
        {
            Some(i) if self.pending[i].segments.len() == usize::from(n) => i,
            Some(i) => {
                self.pending.remove(i); // same id, different length: a new version
                self.push_new(apdu.product_id, seg)
            }
            None => self.push_new(apdu.product_id, seg),
        };
        let p = &mut self.pending[i];
        p.segments[usize::from(seg.apdu_number - 1)] = Some(apdu.payload.clone());
        if p.segments.iter().any(Option::is_none) {
            return None;
        }
        let done = self.pending.remove(i)?;
        let mut out = Vec::new();
        for (k, s) in done.segments.into_iter().flatten().enumerate() {
            out.extend_from_slice(if k == 0 {
                &s
            } else {
                s.get(6..).unwrap_or(&[])
            });
        }
        Some(out)
    }

    fn push_new(&mut self, product_id: u16, seg: Segment) -> usize {
        if self.pending.len() == Self::MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(Pending {
            product_id,
            file_id: seg.product_file_id,
            segments: vec![None; usize::from(seg.product_file_length)],
        });
        self.pending.len() - 1
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}
