//! Builds Mode S replies bit by bit, the way a transponder would, with correct parity.

use crate::cpr::{encode as cpr_encode, CprKind, Position};
use crate::crc::checksum;
use crate::decode::fields::{
    encode_altitude_12bit, encode_altitude_code, encode_callsign, encode_squawk,
};

/// A reply under construction: bits are written at 1-based positions as in Annex 10.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub bytes: [u8; 14],
    pub bits: usize,
}

impl Reply {
    fn new(df: u8, bits: usize) -> Self {
        let mut r = Reply {
            bytes: [0; 14],
            bits,
        };
        r.put(1, 5, u64::from(df));
        r
    }

    fn put(&mut self, first: usize, len: usize, value: u64) {
        for k in 0..len {
            let bit = first - 1 + k;
            if (value >> (len - 1 - k)) & 1 == 1 {
                self.bytes[bit / 8] |= 0x80 >> (bit % 8);
            } else {
                self.bytes[bit / 8] &= !(0x80 >> (bit % 8));
            }
        }
    }

    /// Writes the parity field: CRC of the data, XOR `overlay` (the address for AP formats).
    fn seal(mut self, overlay: u32) -> Self {
        let n = self.bits / 8;
        let p = checksum(&self.bytes[..n - 3]) ^ overlay;
        self.bytes[n - 3] = (p >> 16) as u8;
        self.bytes[n - 2] = (p >> 8) as u8;
        self.bytes[n - 1] = p as u8;
        self
    }

    pub fn data(&self) -> &[u8] {
        &self.bytes[..self.bits / 8]
    }
}

fn es(df: u8, ca: u8, icao: u32, me: u64) -> Reply {
    let mut r = Reply::new(df, 112);
    r.put(6, 3, u64::from(ca));
    r.put(9, 24, u64::from(icao));
    r.put(33, 56, me);
    r.seal(0)
}

/// DF17 identification (TC 1–4 from the category set, category and callsign).
pub fn identification(icao: u32, tc: u8, category: u8, callsign: &str) -> Reply {
    let me = (u64::from(tc) << 51) | (u64::from(category & 7) << 48) | encode_callsign(callsign);
    es(17, 5, icao, me)
}

/// DF17 airborne position (TC 11, barometric altitude).
pub fn airborne_position(icao: u32, pos: Position, alt_ft: i32, odd: bool) -> Reply {
    let c = cpr_encode(pos, odd, CprKind::Airborne);
    let me = (11u64 << 51)
        | (u64::from(encode_altitude_12bit(alt_ft)) << 36)
        | (u64::from(odd) << 34)
        | (u64::from(c.lat) << 17)
        | u64::from(c.lon);
    es(17, 5, icao, me)
}

/// DF17 surface position (TC 7) with ground speed as a movement code and a track.
pub fn surface_position(
    icao: u32,
    pos: Position,
    movement: u8,
    track_deg: f64,
    odd: bool,
) -> Reply {
    let c = cpr_encode(pos, odd, CprKind::Surface);
    let trk = ((track_deg.rem_euclid(360.0) * 128.0 / 360.0) as u64) & 0x7F;
    let me = (7u64 << 51)
        | (u64::from(movement & 0x7F) << 44)
        | (1u64 << 43)
        | (trk << 36)
        | (u64::from(odd) << 34)
        | (u64::from(c.lat) << 17)
        | u64::from(c.lon);
    es(17, 4, icao, me)
}

/// DF17 velocity subtype 1 from east and north components (kt) and vertical rate (ft/min).
pub fn velocity(icao: u32, v_east: f64, v_north: f64, vrate: i32) -> Reply {
    let comp = |v: f64| ((v < 0.0) as u64, ((v.abs().round() as u64) + 1).min(1023));
    let (ew_s, ew) = comp(v_east);
    let (ns_s, ns) = comp(v_north);
    let vr = ((vrate.unsigned_abs() as u64 + 32) / 64 + 1).min(511);
    let me = (19u64 << 51)
        | (1u64 << 48)
        | (ew_s << 42)
        | (ew << 32)
        | (ns_s << 31)
        | (ns << 21)
        | (1u64 << 20)
        | (u64::from(vrate < 0) << 19)
        | (vr << 10);
    es(17, 5, icao, me)
}

/// DF17 aircraft status (TC 28 subtype 1): emergency state and squawk.
pub fn emergency_status(icao: u32, state: u8, squawk: u16) -> Reply {
    let me = (28u64 << 51)
        | (1u64 << 48)
        | (u64::from(state & 7) << 45)
        | (u64::from(encode_squawk(squawk)) << 32);
    es(17, 5, icao, me)
}

/// DF11 all-call reply (acquisition squitter, interrogator code 0).
pub fn all_call(icao: u32, ca: u8) -> Reply {
    let mut r = Reply::new(11, 56);
    r.put(6, 3, u64::from(ca));
    r.put(9, 24, u64::from(icao));
    r.seal(0)
}

/// DF4 (altitude) or DF5 (identity) surveillance reply, address in the parity.
pub fn surveillance(icao: u32, df: u8, flight_status: u8, code: u32) -> Reply {
    let mut r = Reply::new(df, 56);
    r.put(6, 3, u64::from(flight_status));
    r.put(20, 13, u64::from(code));
    r.seal(icao)
}

pub fn altitude_reply(icao: u32, alt_ft: i32) -> Reply {
    surveillance(icao, 4, 0, encode_altitude_code(alt_ft))
}

pub fn identity_reply(icao: u32, squawk: u16) -> Reply {
    surveillance(icao, 5, 0, encode_squawk(squawk))
}

/// DF0 short air-air surveillance reply (what ACAS interrogations elicit).
pub fn short_acas(icao: u32, alt_ft: i32) -> Reply {
    let mut r = Reply::new(0, 56);
    r.put(9, 3, 7);
    r.put(14, 4, 3);
    r.put(20, 13, u64::from(encode_altitude_code(alt_ft)));
    r.seal(icao)
}

/// DF20 Comm-B altitude reply carrying BDS 2,0 (identification).
pub fn comm_b_identification(icao: u32, alt_ft: i32, callsign: &str) -> Reply {
    let mut r = Reply::new(20, 112);
    r.put(20, 13, u64::from(encode_altitude_code(alt_ft)));
    r.put(33, 8, 0x20);
    r.put(41, 48, encode_callsign(callsign));
    r.seal(icao)
}

/// DF21 Comm-B identity reply carrying BDS 4,0: MCP and FMS selected altitude and a
/// barometric setting of 1013.2 hPa, as airliners report them.
pub fn comm_b_selected_altitude(icao: u32, squawk: u16, selected_ft: i32) -> Reply {
    let mut r = Reply::new(21, 112);
    r.put(20, 13, u64::from(encode_squawk(squawk)));
    let alt = (selected_ft.max(0) / 16) as u64;
    r.put(33, 1, 1);
    r.put(34, 12, alt);
    r.put(46, 1, 1);
    r.put(47, 12, alt);
    r.put(59, 1, 1);
    r.put(60, 12, 2132);
    r.seal(icao)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crc::syndrome;
    use crate::decode::decode_bytes;

    #[test]
    fn generated_replies_check_and_decode() {
        let icao = 0x3C6586;
        let p = Position {
            lat: 50.03,
            lon: 8.57,
        };
        let r = airborne_position(icao, p, 36000, true);
        assert_eq!(syndrome(r.data()), Some(0));
        assert_eq!(decode_bytes(r.data(), icao).altitude, Some(36000));
        let r = altitude_reply(icao, 12025);
        assert_eq!(syndrome(r.data()), Some(icao));
        assert_eq!(decode_bytes(r.data(), icao).altitude, Some(12025));
        let r = identity_reply(icao, 7700);
        assert_eq!(decode_bytes(r.data(), icao).squawk.map(|s| s.0), Some(7700));
        let r = velocity(icao, -120.0, 300.0, -1536);
        let m = decode_bytes(r.data(), icao);
        assert_eq!((m.groundspeed, m.vertical_rate), (Some(323.0), Some(-1536)));
        let r = comm_b_identification(icao, 1000, "DLH4AB");
        let m = decode_bytes(r.data(), icao);
        assert_eq!(
            (m.bds, m.callsign.as_deref()),
            (Some("2,0"), Some("DLH4AB"))
        );
        let r = comm_b_selected_altitude(icao, 1000, 24000);
        let m = decode_bytes(r.data(), icao);
        assert_eq!((m.bds, m.selected_altitude_mcp), (Some("4,0"), Some(24000)));
        let m = decode_bytes(emergency_status(icao, 1, 7700).data(), icao);
        assert_eq!(
            (m.emergency_state, m.squawk.map(|s| s.0)),
            (Some(1), Some(7700))
        );
    }
}
