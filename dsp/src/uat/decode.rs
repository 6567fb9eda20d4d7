//! Decoding of UAT ADS-B downlink payloads (RTCA DO-282B; field layout as in the FAA's UAT
//! Technical Manual): header, state vector, mode status, auxiliary state vector and target
//! state. Field names follow dump978-fa's JSON, so output compares field for field with the
//! peer.
//!
//! Byte and bit positions below count payload byte 0 as the first byte after the sync word
//! and bit 7 as the most significant bit.

use serde::Serialize;

/// Who the address belongs to (header, byte 0 bits 2–0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressQualifier {
    AdsbIcao,
    AdsbOther,
    TisbIcao,
    TisbTrackfile,
    Vehicle,
    FixedBeacon,
    AdsrOther,
    Reserved,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AirGround {
    Airborne,
    Supersonic,
    Ground,
    Reserved,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CapabilityCodes {
    pub uat_in: bool,
    pub es_in: bool,
    pub tcas_operational: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OperationalModes {
    pub tcas_ra_active: bool,
    pub ident_active: bool,
    pub atc_services: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SilSupplement {
    PerHour,
    PerSample,
}

/// Names of the emergency/priority status code (UAT mode status byte 23 bits 7–5; the same
/// code as 1090 ES BDS 6,1), as aircraft.json and dump978-fa write them.
pub const EMERGENCY: [&str; 8] = [
    "none",
    "general",
    "lifeguard",
    "minfuel",
    "nordo",
    "unlawful",
    "downed",
    "reserved",
];

/// Where a selected altitude was set (target state, first bit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectedAltitudeType {
    McpFcu,
    Fms,
}

/// Autopilot mode indicators of the target state element (present when their status bit says
/// so).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ModeIndicators {
    pub autopilot: bool,
    pub vnav: bool,
    pub altitude_hold: bool,
    pub approach: bool,
    pub lnav: bool,
}

/// A decoded downlink. Fields a payload does not carry, or marks unavailable, are `None` and
/// left out of the JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct UatDownlink {
    #[serde(skip)]
    pub payload_type: u8,
    #[serde(serialize_with = "hex24")]
    pub address: u32,
    pub address_qualifier: Option<AddressQualifier>,
    // State vector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<LatLon>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pressure_altitude: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometric_altitude: Option<i32>,
    pub nic: u8,
    pub airground_state: Option<AirGround>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub north_velocity: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub east_velocity: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ground_speed: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_track: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_heading: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub magnetic_heading: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vv_src: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vertical_velocity_barometric: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vertical_velocity_geometric: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc_coupled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uplink_feedback: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tisb_site_id: Option<u8>,
    // Mode status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emitter_category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flightplan_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mops_version: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sil: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transmit_mso: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sda: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nac_p: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nac_v: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nic_baro: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capability_codes: Option<CapabilityCodes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operational_modes: Option<OperationalModes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sil_supplement: Option<SilSupplement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gva: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub single_antenna: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nic_supplement: Option<bool>,
    // Target state (payload types 3, 4 and 6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_altitude_type: Option<SelectedAltitudeType>,
    /// Feet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_altitude: Option<i32>,
    /// Hectopascal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub barometric_pressure_setting: Option<f64>,
    /// Degrees, 0 ≤ h < 360.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_heading: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode_indicators: Option<ModeIndicators>,
}

fn hex24<S: serde::Serializer>(a: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{:06x}", a & 0xff_ffff))
}

/// `width` bits of `p` starting at bit `start` (0 = the most significant bit of byte 0).
fn bits(p: &[u8], start: usize, width: usize) -> u32 {
    (start..start + width).fold(0u32, |acc, i| {
        let bit = p.get(i / 8).map_or(0, |b| (b >> (7 - i % 8)) & 1);
        (acc << 1) | u32::from(bit)
    })
}

/// Base-40 characters of the mode status call sign field.
const BASE40: &[u8; 40] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ  ..";

/// Decodes a corrected downlink payload (18 or 34 bytes); `None` for other lengths.
pub fn decode_downlink(p: &[u8]) -> Option<UatDownlink> {
    if p.len() != 18 && p.len() != 34 {
        return None;
    }
    let payload_type = (p[0] >> 3) & 0x1f;
    let qualifier = p[0] & 0x07;
    let mut d = UatDownlink {
        payload_type,
        address: bits(p, 8, 24),
        address_qualifier: Some(match qualifier {
            0 => AddressQualifier::AdsbIcao,
            1 => AddressQualifier::AdsbOther,
            2 => AddressQualifier::TisbIcao,
            3 => AddressQualifier::TisbTrackfile,
            4 => AddressQualifier::Vehicle,
            5 => AddressQualifier::FixedBeacon,
            6 => AddressQualifier::AdsrOther,
            _ => AddressQualifier::Reserved,
        }),
        ..UatDownlink::default()
    };
    // Payload types 0–10 all start with a state vector (bytes 4–16).
    if payload_type <= 10 {
        state_vector(p, &mut d);
    }
    if p.len() == 34 && matches!(payload_type, 1 | 3) {
        mode_status(p, &mut d);
    }
    if p.len() == 34 && matches!(payload_type, 1 | 2 | 5 | 6) {
        auxiliary_state_vector(p, &mut d);
    }
    // DO-282B Table 2-10: the target state element follows the mode status at byte 29 in
    // types 3 and 4, and sits at byte 24, before the auxiliary state vector, in type 6.
    match (p.len(), payload_type) {
        (34, 3 | 4) => target_state(p, 29 * 8, &mut d),
        (34, 6) => target_state(p, 24 * 8, &mut d),
        _ => {}
    }
    Some(d)
}

fn state_vector(p: &[u8], d: &mut UatDownlink) {
    let raw_lat = bits(p, 32, 23);
    let raw_lon = bits(p, 55, 24);
    let geometric = bits(p, 79, 1) == 1;
    let raw_alt = bits(p, 80, 12);
    d.nic = bits(p, 92, 4) as u8;
    // Latitude and longitude are 0.0 with NIC 0 when no position is available.
    if d.nic != 0 || raw_lat != 0 || raw_lon != 0 {
        let mut lat = f64::from(raw_lat) * 360.0 / 16_777_216.0;
        if lat > 90.0 {
            lat -= 180.0;
        }
        let mut lon = f64::from(raw_lon) * 360.0 / 16_777_216.0;
        if lon > 180.0 {
            lon -= 360.0;
        }
        d.position = Some(LatLon {
            lat: round_to(lat, 5),
            lon: round_to(lon, 5),
        });
    }
    if raw_alt != 0 {
        let alt = (raw_alt as i32 - 1) * 25 - 1000;
        if geometric {
            d.geometric_altitude = Some(alt);
        } else {
            d.pressure_altitude = Some(alt);
        }
    }
    let ag = match bits(p, 96, 2) {
        0 => AirGround::Airborne,
        1 => AirGround::Supersonic,
        2 => AirGround::Ground,
        _ => AirGround::Reserved,
    };
    d.airground_state = Some(ag);
    match ag {
        AirGround::Airborne | AirGround::Supersonic => {
            let scale = if ag == AirGround::Supersonic { 4 } else { 1 };
            let signed = |raw: u32| -> Option<i32> {
                let mag = (raw & 0x3ff) as i32;
                (mag != 0).then(|| (mag - 1) * scale * if raw & 0x400 != 0 { -1 } else { 1 })
            };
            d.north_velocity = signed(bits(p, 99, 11));
            d.east_velocity = signed(bits(p, 110, 11));
            if let (Some(n), Some(e)) = (d.north_velocity, d.east_velocity) {
                let (n, e) = (f64::from(n), f64::from(e));
                // Whole knots of the speed rounded to a tenth, then truncated: how dump978-fa
                // reports it (128.89 → 128, 115.97 → 116), so the two compare exactly.
                d.ground_speed = Some(round_to(n.hypot(e), 1) as i32);
                if n != 0.0 || e != 0.0 {
                    d.true_track = Some(round_to(e.atan2(n).to_degrees().rem_euclid(360.0), 1));
                }
            }
            let vv = bits(p, 121, 11);
            let barometric = vv & 0x400 != 0;
            d.vv_src = Some(if barometric {
                "barometric"
            } else {
                "geometric"
            });
            let mag = (vv & 0x1ff) as i32;
            if mag != 0 {
                let rate = (mag - 1) * 64 * if vv & 0x200 != 0 { -1 } else { 1 };
                if barometric {
                    d.vertical_velocity_barometric = Some(rate);
                } else {
                    d.vertical_velocity_geometric = Some(rate);
                }
            }
        }
        AirGround::Ground => {
            let gs = bits(p, 99, 11) & 0x3ff;
            if gs != 0 {
                d.ground_speed = Some(gs as i32 - 1);
            }
            let raw = bits(p, 110, 11);
            let angle = round_to(f64::from(raw & 0x1ff) * 360.0 / 512.0, 1);
            match raw >> 9 {
                1 => d.true_track = Some(angle),
                2 => d.magnetic_heading = Some(angle),
                3 => d.true_heading = Some(angle),
                _ => {}
            }
        }
        AirGround::Reserved => {}
    }
    // Byte 16 bits 3–0: TIS-B site (TIS-B and ADS-R) or UTC coupling + uplink feedback.
    match d.address_qualifier {
        Some(AddressQualifier::TisbIcao | AddressQualifier::TisbTrackfile) => {
            d.tisb_site_id = Some(bits(p, 132, 4) as u8);
        }
        _ => {
            d.utc_coupled = Some(bits(p, 132, 1) == 1);
            d.uplink_feedback = Some(bits(p, 133, 3) as u8);
        }
    }
}

fn mode_status(p: &[u8], d: &mut UatDownlink) {
    let word = |i: usize| bits(p, 136 + 16 * i, 16);
    let (w0, w1, w2) = (word(0), word(1), word(2));
    let category = w0 / 1600;
    let chars = [
        (w0 / 40) % 40,
        w0 % 40,
        (w1 / 1600) % 40,
        (w1 / 40) % 40,
        w1 % 40,
        (w2 / 1600) % 40,
        (w2 / 40) % 40,
        w2 % 40,
    ];
    let text: String = chars
        .iter()
        .map(|&c| char::from(BASE40[c as usize]))
        .collect();
    let text = text.trim().to_string();
    if category < 40 {
        d.emitter_category = Some(format!(
            "{}{}",
            char::from(b'A' + (category / 8) as u8),
            category % 8
        ));
    }
    let csid = bits(p, 214, 1) == 1;
    if !text.is_empty() {
        if csid {
            d.callsign = Some(text);
        } else {
            d.flightplan_id = Some(text);
        }
    }
    d.emergency = Some(EMERGENCY[bits(p, 184, 3) as usize]);
    d.mops_version = Some(bits(p, 187, 3) as u8);
    d.sil = Some(bits(p, 190, 2) as u8);
    d.transmit_mso = Some(bits(p, 192, 6) as u8);
    d.sda = Some(bits(p, 198, 2) as u8);
    d.nac_p = Some(bits(p, 200, 4) as u8);
    d.nac_v = Some(bits(p, 204, 3) as u8);
    d.nic_baro = Some(bits(p, 207, 1) as u8);
    d.capability_codes = Some(CapabilityCodes {
        uat_in: bits(p, 208, 1) == 1,
        es_in: bits(p, 209, 1) == 1,
        tcas_operational: bits(p, 210, 1) == 1,
    });
    d.operational_modes = Some(OperationalModes {
        tcas_ra_active: bits(p, 211, 1) == 1,
        ident_active: bits(p, 212, 1) == 1,
        atc_services: bits(p, 213, 1) == 1,
    });
    d.sil_supplement = Some(if bits(p, 215, 1) == 1 {
        SilSupplement::PerSample
    } else {
        SilSupplement::PerHour
    });
    d.gva = Some(bits(p, 216, 2) as u8);
    d.single_antenna = Some(bits(p, 218, 1) == 1);
    d.nic_supplement = Some(bits(p, 219, 1) == 1);
}

/// Auxiliary state vector (bytes 29–33): the secondary altitude, of the other type than the
/// state vector's.
fn auxiliary_state_vector(p: &[u8], d: &mut UatDownlink) {
    let raw = bits(p, 232, 12);
    if raw == 0 {
        return;
    }
    let alt = (raw as i32 - 1) * 25 - 1000;
    if d.pressure_altitude.is_some() || bits(p, 79, 1) == 0 {
        d.geometric_altitude.get_or_insert(alt);
    } else {
        d.pressure_altitude.get_or_insert(alt);
    }
}

/// Target state element (5 bytes from bit `at`): selected altitude and its source, barometric
/// pressure setting, selected heading and the autopilot modes. Zero raw values mean "no data".
fn target_state(p: &[u8], at: usize, d: &mut UatDownlink) {
    d.selected_altitude_type = Some(if bits(p, at, 1) == 1 {
        SelectedAltitudeType::Fms
    } else {
        SelectedAltitudeType::McpFcu
    });
    let alt = bits(p, at + 1, 11);
    if alt != 0 {
        d.selected_altitude = Some((alt as i32 - 1) * 32);
    }
    let baro = bits(p, at + 12, 9);
    if baro != 0 {
        d.barometric_pressure_setting = Some(round_to(800.0 + f64::from(baro - 1) * 0.8, 1));
    }
    if bits(p, at + 21, 1) == 1 {
        // Sign bit and eight magnitude bits form a 9-bit angle of 360/512° steps, as in the
        // 1090 ES target state message (DO-260B): the sign bit is worth 180°.
        d.selected_heading = Some(round_to(f64::from(bits(p, at + 22, 9)) * 360.0 / 512.0, 1));
    }
    if bits(p, at + 31, 1) == 1 {
        d.mode_indicators = Some(ModeIndicators {
            autopilot: bits(p, at + 32, 1) == 1,
            vnav: bits(p, at + 33, 1) == 1,
            altitude_hold: bits(p, at + 34, 1) == 1,
            approach: bits(p, at + 35, 1) == 1,
            lnav: bits(p, at + 36, 1) == 1,
        });
    }
}

fn round_to(v: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (v * m).round() / m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sets `width` bits at `start` (the inverse of `bits`), for building payloads.
    fn put(p: &mut [u8], start: usize, width: usize, v: u32) {
        for i in 0..width {
            let bit = (v >> (width - 1 - i)) & 1;
            let at = start + i;
            p[at / 8] = (p[at / 8] & !(0x80 >> (at % 8))) | ((bit as u8) << (7 - at % 8));
        }
    }

    #[test]
    fn surface_state_vector_gives_speed_and_heading() {
        let mut p = [0u8; 18];
        put(&mut p, 8, 24, 0xabcdef);
        put(&mut p, 92, 4, 8); // NIC
        put(&mut p, 96, 2, 2); // on the ground
        put(&mut p, 99, 11, 13); // 12 kt
        put(&mut p, 110, 11, (3 << 9) | 256); // true heading 180°
        let d = decode_downlink(&p).expect("18 bytes");
        assert_eq!(d.address, 0xabcdef);
        assert_eq!(d.airground_state, Some(AirGround::Ground));
        assert_eq!((d.ground_speed, d.true_heading), (Some(12), Some(180.0)));
        assert_eq!((d.north_velocity, d.vv_src), (None, None));
        assert_eq!(d.position, Some(LatLon { lat: 0.0, lon: 0.0 }));
    }

    #[test]
    fn supersonic_velocities_are_scaled_and_southern_western_positions_signed() {
        let mut p = [0u8; 18];
        put(
            &mut p,
            32,
            23,
            ((-33.5f64 + 180.0) / 360.0 * 16_777_216.0) as u32,
        );
        put(
            &mut p,
            55,
            24,
            ((-70.25f64 + 360.0) / 360.0 * 16_777_216.0) as u32,
        );
        put(&mut p, 92, 4, 7);
        put(&mut p, 96, 2, 1); // supersonic
        put(&mut p, 99, 11, 0x400 | 101); // 400 kt south
        put(&mut p, 110, 11, 1); // 0 kt east
        let d = decode_downlink(&p).expect("18 bytes");
        let pos = d.position.expect("position");
        assert!(
            (pos.lat + 33.5).abs() < 1e-4 && (pos.lon + 70.25).abs() < 1e-4,
            "{pos:?}"
        );
        assert_eq!((d.north_velocity, d.east_velocity), (Some(-400), Some(0)));
        assert_eq!((d.ground_speed, d.true_track), (Some(400), Some(180.0)));
    }

    /// A long payload of `payload_type` carrying one target state element at byte `at`.
    fn with_target_state(payload_type: u8, at: usize) -> [u8; 34] {
        let mut p = [0u8; 34];
        p[0] = payload_type << 3;
        put(&mut p, 8, 24, 0xa1b2c3);
        let b = at * 8;
        put(&mut p, b, 1, 1); // FMS
        put(&mut p, b + 1, 11, 35_008 / 32 + 1); // FL350
        put(&mut p, b + 12, 9, 267); // 800 + 266 × 0.8 = 1012.8 hPa
        put(&mut p, b + 21, 1, 1); // heading valid
        put(&mut p, b + 22, 9, 384); // 270°
        put(&mut p, b + 31, 1, 1); // modes valid
        put(&mut p, b + 32, 5, 0b10101); // autopilot, altitude hold, LNAV
        p
    }

    #[test]
    fn target_state_is_read_where_each_payload_type_puts_it() {
        for (payload_type, at) in [(3, 29), (4, 29), (6, 24)] {
            let d = decode_downlink(&with_target_state(payload_type, at)).expect("34 bytes");
            assert_eq!(d.selected_altitude_type, Some(SelectedAltitudeType::Fms));
            assert_eq!(d.selected_altitude, Some(35_008));
            assert_eq!(d.barometric_pressure_setting, Some(1012.8));
            assert_eq!(d.selected_heading, Some(270.0));
            assert_eq!(
                d.mode_indicators,
                Some(ModeIndicators {
                    autopilot: true,
                    vnav: false,
                    altitude_hold: true,
                    approach: false,
                    lnav: true
                })
            );
        }
        // Type 1 has an auxiliary state vector where types 3/4 have the target state.
        let d = decode_downlink(&with_target_state(1, 29)).expect("34 bytes");
        assert_eq!((d.selected_altitude, d.mode_indicators), (None, None));
        // Type 6 keeps its auxiliary state vector after the target state.
        let d = decode_downlink(&with_target_state(6, 29)).expect("34 bytes");
        assert_eq!(d.selected_altitude_type, Some(SelectedAltitudeType::McpFcu));
        assert!(d.geometric_altitude.is_some());
    }

    #[test]
    fn target_state_without_data_leaves_fields_out() {
        let mut p = [0u8; 34];
        p[0] = 4 << 3;
        let d = decode_downlink(&p).expect("34 bytes");
        assert_eq!(d.selected_altitude_type, Some(SelectedAltitudeType::McpFcu));
        assert_eq!(
            (
                d.selected_altitude,
                d.barometric_pressure_setting,
                d.selected_heading,
                d.mode_indicators
            ),
            (None, None, None, None)
        );
        let json = serde_json::to_string(&d).expect("serialises");
        assert!(
            json.contains("\"selected_altitude_type\":\"mcp_fcu\""),
            "{json}"
        );
        assert!(!json.contains("selected_heading"), "{json}");
    }

    #[test]
    fn any_payload_decodes_without_panic() {
        let mut seed = 0x9e37_79b9_u32;
        for len in [0usize, 5, 18, 33, 34, 35, 432] {
            for _ in 0..2000 {
                let p: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 17;
                        seed ^= seed << 5;
                        seed as u8
                    })
                    .collect();
                let d = decode_downlink(&p);
                assert_eq!(d.is_some(), len == 18 || len == 34);
            }
        }
    }
}
