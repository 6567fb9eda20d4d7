//! What an AVLC frame's information field carries, for the frames users care about: ACARS
//! (ARINC 618 characters in an I-frame, after the `FF FF 01` ACARS-over-AVLC marker) and XID
//! (link management: which ground station, where, and where the aircraft is).

use super::avlc::{Control, Frame};
use crate::vhf::acars::RawBlock;
use crc::{Crc, CRC_16_KERMIT};

/// ACARS over AVLC checks its characters (mode through ETX/ETB) with CRC-16/KERMIT, sent
/// low octet first, so the CRC over the characters and the check is zero.
const ACARS_CRC: Crc<u16> = Crc::<u16>::new(&CRC_16_KERMIT);
/// The marker (two octets of ones, then SOH) before ACARS characters.
const ACARS_MARKER: [u8; 3] = [0xff, 0xff, 0x01];
/// Mode, registration (7), acknowledgement, label (2), block id, the suffix: the fewest
/// characters of a block.
const ACARS_MIN: usize = 13;
/// XID: the format identifier, and the groups' identifiers.
const XID_FORMAT: u8 = 0x82;
const XID_PUBLIC: u8 = 0x80;
const XID_VDL: u8 = 0xf0;

#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// ACARS characters (mode through suffix, 7-bit) and whether their CRC checked.
    Acars {
        block: RawBlock,
        crc_ok: bool,
    },
    Xid(Xid),
    /// Anything else (X.25 / ISO 8208 for the ATN, supervisory frames …).
    Other,
}

/// An XID frame's parameters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Xid {
    /// The exchange, from the command/response and poll/final bits and the connection
    /// management parameter ("GSIF", "XID_CMD_LE", …).
    pub kind: &'static str,
    /// The ground station's location (degrees), from parameter 0xC8.
    pub gs_location: Option<(f64, f64)>,
    /// The aircraft's location (degrees) and altitude (ft), from parameter 0x84.
    pub ac_location: Option<(f64, f64, u32)>,
    /// The destination airport, from parameter 0x83.
    pub dst_airport: Option<String>,
    /// Every parameter: group (0x80 public, 0xF0 VDL), identifier, value.
    pub params: Vec<(u8, u8, Vec<u8>)>,
}

/// Reads the payload of a checked frame.
pub fn payload(frame: &Frame) -> Payload {
    match frame.control {
        Control::I { .. } => acars(&frame.info).unwrap_or(Payload::Other),
        Control::U { pf, .. } if frame.control.u_name() == Some("XID") => {
            xid(&frame.info, frame.is_response(), pf).map_or(Payload::Other, Payload::Xid)
        }
        _ => Payload::Other,
    }
}

fn acars(info: &[u8]) -> Option<Payload> {
    let body = info.strip_prefix(&ACARS_MARKER)?;
    // mode … suffix, two check octets, DEL.
    if body.len() < ACARS_MIN + 3 || body.last() != Some(&0x7f) {
        return None;
    }
    let checked = &body[..body.len() - 1];
    let crc_ok = ACARS_CRC.checksum(checked) == 0;
    let chars = checked[..checked.len() - 2]
        .iter()
        .map(|c| c & 0x7f)
        .collect();
    Some(Payload::Acars {
        block: RawBlock {
            chars,
            corrected_bits: 0,
        },
        crc_ok,
    })
}

/// A 12-bit two's-complement tenth of a degree.
fn tenths(v: u32) -> f64 {
    let v = v & 0xfff;
    let signed = if v & 0x800 != 0 {
        v as i32 - 0x1000
    } else {
        v as i32
    };
    f64::from(signed) / 10.0
}

/// Latitude and longitude from three octets (12 bits each).
fn location(v: &[u8]) -> Option<(f64, f64)> {
    let [a, b, c, ..] = *v else { return None };
    let word = u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c);
    Some((tenths(word >> 12), tenths(word)))
}

fn xid(info: &[u8], response: bool, pf: bool) -> Option<Xid> {
    let mut rest = info.strip_prefix(&[XID_FORMAT])?;
    let mut out = Xid::default();
    let mut h_r: u8 = 0b11;
    let mut seen_vdl = false;
    while !rest.is_empty() {
        let [group, hi, lo, ref tail @ ..] = *rest else {
            return None;
        };
        let len = usize::from(hi) << 8 | usize::from(lo);
        if tail.len() < len || !matches!(group, XID_PUBLIC | XID_VDL) {
            return None;
        }
        seen_vdl |= group == XID_VDL;
        let mut params = &tail[..len];
        while !params.is_empty() {
            let [id, plen, ref ptail @ ..] = *params else {
                return None;
            };
            let plen = usize::from(plen);
            if plen == 0 || ptail.len() < plen {
                return None;
            }
            let value = &ptail[..plen];
            if group == XID_VDL {
                match id {
                    0x01 => h_r = value[0] & 0b11,
                    0x83 => {
                        out.dst_airport =
                            Some(value.iter().map(|&c| char::from(c & 0x7f)).collect())
                    }
                    0x84 if plen >= 4 => {
                        out.ac_location =
                            location(value).map(|(la, lo)| (la, lo, u32::from(value[3]) * 1000))
                    }
                    0xc8 => out.gs_location = location(value),
                    _ => {}
                }
            }
            out.params.push((group, id, value.to_vec()));
            params = &ptail[plen..];
        }
        rest = &tail[len..];
    }
    if !seen_vdl {
        return None;
    }
    let index = u8::from(response) << 3 | u8::from(pf) << 2 | (h_r & 1) << 1 | (h_r >> 1);
    out.kind = match index {
        1 => "XID_CMD_LCR",
        2 | 6 => "XID_CMD_HO",
        3 => "GSIF",
        4 => "XID_CMD_LE",
        7 => "XID_CMD_LPM",
        12 => "XID_RSP_LE",
        13 => "XID_RSP_LCR",
        14 => "XID_RSP_HO",
        15 => "XID_RSP_LPM",
        _ => "XID",
    };
    Some(out)
}
