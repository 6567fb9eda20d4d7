//! Frame → [`Message`]: every downlink format's fields, named as pyModeS (v3) and readsb
//! name them so that JSON output lines up with the tools people compare against.

mod acas;
mod commb;
mod es;
pub mod fields;

use crate::frame::Frame;
use fields::{altitude_code, squawk, Bits};
use serde::{Serialize, Serializer};

/// A 24-bit address, serialised as six lowercase hex digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Icao(pub u32);

impl Serialize for Icao {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 6];
        for (k, out) in buf.iter_mut().enumerate() {
            *out = b"0123456789abcdef"[((self.0 >> (20 - 4 * k)) & 0xF) as usize];
        }
        s.serialize_str(std::str::from_utf8(&buf).unwrap_or("000000"))
    }
}

/// A Mode A code held as its four octal digits read as decimal (7700); serialised as "7700".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Squawk(pub u16);

impl Serialize for Squawk {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        let buf = [3, 2, 1, 0].map(|k| b'0' + ((v / 10u16.pow(k)) % 10) as u8);
        s.serialize_str(std::str::from_utf8(&buf).unwrap_or("0000"))
    }
}

/// Where a message came from, in the order a track table trusts them (strongest last).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// TIS-B: ground radar targets rebroadcast.
    Tisb,
    /// ADS-R: a UAT target rebroadcast on 1090.
    Adsr,
    /// Mode S surveillance replies (no position).
    Modes,
    /// ADS-B from the aircraft itself.
    Adsb,
}

/// Everything decoded from one frame. Fields are `None` where the format does not carry them.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Message {
    pub df: u8,
    pub icao: Icao,
    /// Bits the CRC repair flipped (absent when clean).
    pub corrected_bits: Option<u8>,
    /// The address came from an address/parity field and matched a known aircraft.
    pub address_recovered: Option<bool>,
    pub source: Option<Source>,
    /// DF18 with an address that is not an ICAO 24-bit address (readsb's `~` prefix).
    pub non_icao: Option<bool>,
    pub capability: Option<u8>,
    pub control_field: Option<u8>,
    pub vertical_status: Option<&'static str>,
    pub on_ground: Option<bool>,
    pub cross_link_capability: Option<u8>,
    pub sensitivity_level: Option<u8>,
    pub reply_information: Option<u8>,
    pub flight_status: Option<u8>,
    pub alert: Option<bool>,
    pub spi: Option<bool>,
    pub downlink_request: Option<u8>,
    pub utility_message: Option<u8>,
    pub altitude: Option<i32>,
    pub altitude_gnss: Option<i32>,
    pub squawk: Option<Squawk>,
    pub typecode: Option<u8>,
    pub bds: Option<&'static str>,
    pub bds_candidates: Option<heapless::Vec<&'static str, 4>>,
    pub category: Option<u8>,
    pub emitter_category: Option<heapless::String<2>>,
    pub callsign: Option<heapless::String<8>>,
    pub surveillance_status: Option<u8>,
    pub nic_b: Option<u8>,
    pub cpr_format: Option<u8>,
    pub cpr_lat: Option<u32>,
    pub cpr_lon: Option<u32>,
    /// Filled in by a caller that pairs CPR frames (see [`crate::cpr`]).
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub movement: Option<u8>,
    pub groundspeed: Option<f64>,
    pub track: Option<f64>,
    pub track_status: Option<u8>,
    pub subtype: Option<u8>,
    pub nac_v: Option<u8>,
    pub heading: Option<f64>,
    pub airspeed: Option<i32>,
    pub airspeed_type: Option<&'static str>,
    pub vr_source: Option<&'static str>,
    pub vertical_rate: Option<i32>,
    pub geo_minus_baro: Option<i32>,
    pub emergency_state: Option<u8>,
    pub selected_altitude: Option<i32>,
    pub selected_altitude_source: Option<&'static str>,
    pub baro_pressure_setting: Option<f64>,
    pub selected_heading: Option<f64>,
    pub nac_p: Option<u8>,
    pub nic_baro: Option<u8>,
    pub sil: Option<u8>,
    pub sil_supplement: Option<u8>,
    pub autopilot: Option<bool>,
    pub vnav_mode: Option<bool>,
    pub altitude_hold_mode: Option<bool>,
    pub approach_mode: Option<bool>,
    pub lnav_mode: Option<bool>,
    pub tcas_operational: Option<bool>,
    pub capability_class: Option<u16>,
    pub operational_mode: Option<u16>,
    pub version: Option<u8>,
    pub nic_supplement_a: Option<u8>,
    pub hrd: Option<u8>,
    pub selected_altitude_mcp: Option<i32>,
    pub selected_altitude_fms: Option<i32>,
    pub roll: Option<f64>,
    pub true_track: Option<f64>,
    pub track_rate: Option<f64>,
    pub true_airspeed: Option<f64>,
    pub magnetic_heading: Option<f64>,
    pub indicated_airspeed: Option<f64>,
    pub mach: Option<f64>,
    pub baro_vertical_rate: Option<i32>,
    pub inertial_vertical_rate: Option<i32>,
    /// ACAS resolution advisory (DF16 MV, Comm-B 3,0, ES TC 28/2).
    pub ara: Option<u16>,
    pub issued_ra: Option<bool>,
    pub corrective: Option<bool>,
    pub downward_sense: Option<bool>,
    pub increased_rate: Option<bool>,
    pub sense_reversal: Option<bool>,
    pub altitude_crossing: Option<bool>,
    pub positive: Option<bool>,
    pub no_below: Option<bool>,
    pub no_above: Option<bool>,
    pub no_left: Option<bool>,
    pub no_right: Option<bool>,
    pub ra_terminated: Option<bool>,
    pub multiple_threat: Option<bool>,
    pub threat_type_indicator: Option<u8>,
    pub threat_icao: Option<Icao>,
}

/// Decodes a validated frame.
pub fn decode(frame: &Frame) -> Message {
    let mut m = decode_bytes(frame.data(), frame.address);
    if frame.corrected_bits > 0 {
        m.corrected_bits = Some(frame.corrected_bits);
    }
    if frame.address_recovered {
        m.address_recovered = Some(true);
    }
    m
}

/// Decodes the bytes of a reply whose address is already known (from its AA field or
/// parity). Never panics: short input decodes as far as it goes.
pub fn decode_bytes(data: &[u8], address: u32) -> Message {
    let b = Bits::new(data);
    let df = crate::frame::df_of(data.first().copied().unwrap_or(0));
    let mut m = Message {
        df,
        icao: Icao(address),
        ..Message::default()
    };
    match df {
        0 | 16 => {
            let vs = b.bit(6);
            m.vertical_status = Some(if vs { "on-ground" } else { "airborne" });
            m.on_ground = Some(vs);
            m.sensitivity_level = Some(b.get(9, 3) as u8);
            m.reply_information = Some(b.get(14, 4) as u8);
            m.altitude = altitude_code(b.get(20, 13) as u32);
            m.source = Some(Source::Modes);
            if df == 0 {
                m.cross_link_capability = Some(b.get(7, 1) as u8);
            } else if data.len() >= 14 && b.me(1, 8) == 0x30 {
                m.bds = Some("3,0");
                acas::resolution_advisory(&b, 9, &mut m);
            }
        }
        4 | 5 | 20 | 21 => {
            let fs = b.get(6, 3) as u8;
            m.flight_status = Some(fs);
            flight_status(fs, &mut m);
            m.downlink_request = Some(b.get(9, 5) as u8);
            m.utility_message = Some(b.get(14, 6) as u8);
            if df == 4 || df == 20 {
                m.altitude = altitude_code(b.get(20, 13) as u32);
            } else {
                m.squawk = Some(Squawk(squawk(b.get(20, 13) as u32)));
            }
            m.source = Some(Source::Modes);
            if df >= 20 && data.len() >= 14 {
                commb::decode_mb(&b, &mut m);
            }
        }
        11 => {
            let ca = b.get(6, 3) as u8;
            m.capability = Some(ca);
            capability(ca, &mut m);
            m.source = Some(Source::Modes);
        }
        17..=19 if data.len() >= 14 => {
            let first = b.get(6, 3) as u8;
            let mut es = true;
            match df {
                17 => {
                    m.capability = Some(first);
                    capability(first, &mut m);
                    m.source = Some(Source::Adsb);
                }
                18 => {
                    m.control_field = Some(first);
                    let (source, non_icao) = match first {
                        0 => (Source::Adsb, false),
                        1 => (Source::Adsb, true),
                        2 | 3 => (Source::Tisb, false),
                        5 => (Source::Tisb, true),
                        6 => (Source::Adsr, false),
                        _ => {
                            es = false;
                            (Source::Tisb, false)
                        }
                    };
                    m.source = Some(source);
                    m.non_icao = non_icao.then_some(true);
                }
                _ => {
                    // DF19 application field 0 carries an ordinary extended squitter.
                    es = first == 0;
                    m.source = Some(Source::Adsb);
                }
            }
            if es {
                es::decode_me(&b, &mut m);
            }
        }
        _ => {}
    }
    m
}

/// FS: 0/2/4 airborne-or-unknown, 1/3 on the ground; 2–4 alert; 4/5 SPI.
fn flight_status(fs: u8, m: &mut Message) {
    match fs {
        1 | 3 => m.on_ground = Some(true),
        0 | 2 => m.on_ground = Some(false),
        _ => {}
    }
    m.alert = Some(matches!(fs, 2..=4));
    m.spi = Some(matches!(fs, 4 | 5));
}

/// CA: 4 on the ground, 5 airborne; others do not say.
fn capability(ca: u8, m: &mut Message) {
    match ca {
        4 => m.on_ground = Some(true),
        5 => m.on_ground = Some(false),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_util::hex;

    fn dec(s: &str) -> Message {
        let d = hex(s);
        let addr = if matches!(d[0] >> 3, 11 | 17 | 18) {
            crate::frame::aa_field(&d)
        } else {
            crate::crc::syndrome(&d).unwrap()
        };
        decode_bytes(&d, addr)
    }

    #[test]
    fn identification_callsign_and_category() {
        let m = dec("8D4840D6202CC371C32CE0576098");
        assert_eq!(m.callsign.as_deref(), Some("KLM1023"));
        assert_eq!((m.typecode, m.category), (Some(4), Some(0)));
    }

    #[test]
    fn airborne_position_fields() {
        let m = dec("8D40621D58C382D690C8AC2863A7");
        assert_eq!(m.altitude, Some(38000));
        assert_eq!(
            (m.cpr_format, m.cpr_lat, m.cpr_lon),
            (Some(0), Some(93000), Some(51372))
        );
    }

    #[test]
    fn velocity_ground_speed_subtype() {
        let m = dec("8D485020994409940838175B284F");
        assert_eq!(m.groundspeed, Some(159.0));
        assert!((m.track.unwrap() - 182.88).abs() < 0.01);
        assert_eq!((m.vertical_rate, m.geo_minus_baro), (Some(-832), Some(550)));
    }

    #[test]
    fn velocity_airspeed_subtype() {
        let m = dec("8DA05F219B06B6AF189400CBC33F");
        assert_eq!(
            (m.subtype, m.airspeed, m.airspeed_type),
            (Some(3), Some(375), Some("TAS"))
        );
        assert!((m.heading.unwrap() - 243.98).abs() < 0.01);
        assert_eq!(m.vertical_rate, Some(-2304));
    }

    #[test]
    fn address_parity_formats() {
        let m = dec("20001838CA3E51");
        assert_eq!((m.df, m.icao, m.altitude), (4, Icao(0xDBBD0A), Some(38000)));
        let m = dec("02e1971ce17c84");
        assert_eq!((m.altitude, m.sensitivity_level), (Some(36100), Some(7)));
    }

    #[test]
    fn comm_b_selected_altitude_register() {
        let m = dec("A0001838CA3E51F0A8000047A36A");
        assert_eq!(m.bds, Some("4,0"));
        assert_eq!(
            (m.selected_altitude_mcp, m.selected_altitude_fms),
            (Some(38000), Some(38000))
        );
        assert!((m.baro_pressure_setting.unwrap() - 1013.2).abs() < 0.05);
    }

    #[test]
    fn target_state_register() {
        let m = dec("8D4840D6EA466444A73C08F8C9D6");
        assert_eq!((m.typecode, m.selected_altitude), (Some(29), Some(36000)));
        assert!((m.selected_heading.unwrap() - 58.359375).abs() < 1e-9);
    }

    #[test]
    fn icao_and_squawk_serialise_like_readsb() {
        let j = serde_json::to_string(&Message {
            icao: Icao(0xab),
            squawk: Some(Squawk(7700)),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(j, r#"{"df":0,"icao":"0000ab","squawk":"7700"}"#);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_decode_without_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20), addr in 0u32..0x100_0000) {
            let m = decode_bytes(&data, addr);
            let _ = serde_json::to_string(&m).unwrap();
        }
    }

    #[test]
    fn truncated_input_never_panics() {
        for len in 0..14 {
            let _ = decode_bytes(&[0xff; 14][..len], 0);
            let _ = decode_bytes(&[0x8d; 14][..len], 0);
            let _ = decode_bytes(&[0xa0; 14][..len], 0);
        }
    }
}
