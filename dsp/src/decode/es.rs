//! Extended squitter ME field (DF17/18/19): type codes 1–31 (Doc 9871 Appendix C, DO-260B).
//! ME bits are numbered 1–56 as in the register tables.

use super::fields::{altitude_12bit, callsign, squawk, Bits};
use super::{acas, Message, Squawk};

/// Decodes the ME field into `m` (type code, register and its fields).
pub fn decode_me(b: &Bits, m: &mut Message) {
    let tc = b.me(1, 5) as u8;
    m.typecode = Some(tc);
    match tc {
        1..=4 => identification(b, tc, m),
        5..=8 => surface_position(b, m),
        9..=18 | 20..=22 => airborne_position(b, tc, m),
        19 => velocity(b, m),
        28 => aircraft_status(b, m),
        29 => target_state(b, m),
        31 => operational_status(b, m),
        _ => {}
    }
}

/// TC 1–4, BDS 0,8: emitter category and callsign.
fn identification(b: &Bits, tc: u8, m: &mut Message) {
    m.bds = Some("0,8");
    let ca = b.me(6, 3) as u8;
    m.category = Some(ca);
    // Sets A–D are type codes 4, 3, 2, 1; category 0 means "no information".
    let set = [b'D', b'C', b'B', b'A'][usize::from(tc - 1)];
    if ca != 0 {
        let mut s = heapless::String::new();
        let _ = s.push(char::from(set));
        let _ = s.push(char::from(b'0' + ca));
        m.emitter_category = Some(s);
    }
    m.callsign = callsign(b.me(9, 48));
}

/// TC 5–8, BDS 0,6: surface position, movement and track.
fn surface_position(b: &Bits, m: &mut Message) {
    m.bds = Some("0,6");
    let mov = b.me(6, 7) as u8;
    m.movement = Some(mov);
    m.groundspeed = movement_knots(mov);
    let track_ok = b.me_bit(13);
    m.track_status = Some(u8::from(track_ok));
    m.track = track_ok.then(|| b.me(14, 7) as f64 * 360.0 / 128.0);
    cpr_fields(b, m);
    m.on_ground = Some(true);
}

/// Ground speed in knots from the 7-bit movement code (DO-260B Table 2-27).
pub fn movement_knots(mov: u8) -> Option<f64> {
    let m = f64::from(mov);
    Some(match mov {
        0 | 125..=127 => return None,
        1 => 0.0,
        2..=8 => 0.125 + (m - 2.0) * 0.125,
        9..=12 => 1.0 + (m - 9.0) * 0.25,
        13..=38 => 2.0 + (m - 13.0) * 0.5,
        39..=93 => 15.0 + (m - 39.0),
        94..=108 => 70.0 + (m - 94.0) * 2.0,
        109..=123 => 100.0 + (m - 109.0) * 5.0,
        _ => 175.0,
    })
}

fn cpr_fields(b: &Bits, m: &mut Message) {
    m.cpr_format = Some(b.me(22, 1) as u8);
    m.cpr_lat = Some(b.me(23, 17) as u32);
    m.cpr_lon = Some(b.me(40, 17) as u32);
}

/// TC 9–18 (barometric) and 20–22 (GNSS), BDS 0,5: airborne position.
fn airborne_position(b: &Bits, tc: u8, m: &mut Message) {
    m.bds = Some("0,5");
    m.surveillance_status = Some(b.me(6, 2) as u8);
    m.nic_b = Some(b.me(7, 1) as u8);
    let ac = b.me(9, 12) as u32;
    if tc <= 18 {
        m.altitude = altitude_12bit(ac);
    } else if ac != 0 {
        // GNSS height is in metres; reported in feet like pyModeS.
        m.altitude_gnss = Some((f64::from(ac) * 3.28084) as i32);
    }
    cpr_fields(b, m);
    m.on_ground = Some(false);
}

/// TC 19, BDS 0,9: velocity, subtypes 1–2 (ground speed) and 3–4 (air speed and heading).
fn velocity(b: &Bits, m: &mut Message) {
    m.bds = Some("0,9");
    let st = b.me(6, 3) as u8;
    m.subtype = Some(st);
    if !(1..=4).contains(&st) {
        return;
    }
    m.nac_v = Some(b.me(11, 3) as u8);
    let scale = if st == 2 || st == 4 { 4.0 } else { 1.0 };
    if st <= 2 {
        let (ew, ns) = (b.me(15, 10), b.me(26, 10));
        if ew != 0 && ns != 0 {
            let sign = |neg: bool| if neg { -1.0 } else { 1.0 };
            let vx = sign(b.me_bit(14)) * (ew - 1) as f64 * scale;
            let vy = sign(b.me_bit(25)) * (ns - 1) as f64 * scale;
            m.groundspeed = Some(vx.hypot(vy).trunc());
            let mut trk = vx.atan2(vy).to_degrees();
            if trk < 0.0 {
                trk += 360.0;
            }
            m.track = Some(trk);
        }
    } else {
        m.heading = b.me_bit(14).then(|| b.me(15, 10) as f64 * 360.0 / 1024.0);
        let v = b.me(26, 10);
        m.airspeed = (v != 0).then(|| ((v - 1) as f64 * scale) as i32);
        m.airspeed_type = Some(if b.me_bit(25) { "TAS" } else { "IAS" });
    }
    m.vr_source = Some(if b.me_bit(36) { "BARO" } else { "GNSS" });
    let vr = b.me(38, 9);
    if vr != 0 {
        let v = (vr as i32 - 1) * 64;
        m.vertical_rate = Some(if b.me_bit(37) { -v } else { v });
    }
    let d = b.me(50, 7);
    if d != 0 {
        let v = (d as i32 - 1) * 25;
        m.geo_minus_baro = Some(if b.me_bit(49) { -v } else { v });
    }
}

/// TC 28, BDS 6,1: emergency/priority status with Mode A code (subtype 1), or the ACAS RA
/// broadcast (subtype 2).
fn aircraft_status(b: &Bits, m: &mut Message) {
    m.bds = Some("6,1");
    let st = b.me(6, 3) as u8;
    m.subtype = Some(st);
    match st {
        1 => {
            m.emergency_state = Some(b.me(9, 3) as u8);
            let id = b.me(12, 13) as u32;
            if id != 0 {
                m.squawk = Some(Squawk(squawk(id)));
            }
        }
        2 => acas::resolution_advisory(b, 9, m),
        _ => {}
    }
}

/// TC 29, BDS 6,2 subtype 1 (DO-260B): target state and status.
fn target_state(b: &Bits, m: &mut Message) {
    m.bds = Some("6,2");
    let st = b.me(6, 2) as u8;
    m.subtype = Some(st);
    if st != 1 {
        return;
    }
    let alt = b.me(10, 11);
    if alt != 0 {
        m.selected_altitude = Some((alt as i32 - 1) * 32);
        m.selected_altitude_source = Some(if b.me_bit(9) { "FMS" } else { "MCP/FCU" });
    }
    let baro = b.me(21, 9);
    if baro != 0 {
        m.baro_pressure_setting = Some(800.0 + (baro - 1) as f64 * 0.8);
    }
    if b.me_bit(30) {
        m.selected_heading = Some(b.me(31, 9) as f64 * 360.0 / 512.0);
    }
    m.nac_p = Some(b.me(40, 4) as u8);
    m.nic_baro = Some(b.me(44, 1) as u8);
    m.sil = Some(b.me(45, 2) as u8);
    if b.me_bit(47) {
        m.autopilot = Some(b.me_bit(48));
        m.vnav_mode = Some(b.me_bit(49));
        m.altitude_hold_mode = Some(b.me_bit(50));
        m.approach_mode = Some(b.me_bit(52));
        m.lnav_mode = Some(b.me_bit(54));
    }
    m.tcas_operational = Some(b.me_bit(53));
}

/// TC 31, BDS 6,5: operational status (subtype 0 airborne, 1 surface).
fn operational_status(b: &Bits, m: &mut Message) {
    m.bds = Some("6,5");
    let st = b.me(6, 3) as u8;
    m.subtype = Some(st);
    if st > 1 {
        return;
    }
    m.capability_class = Some(b.me(9, 16) as u16);
    m.operational_mode = Some(b.me(25, 16) as u16);
    m.version = Some(b.me(41, 3) as u8);
    m.nic_supplement_a = Some(b.me(44, 1) as u8);
    m.nac_p = Some(b.me(45, 4) as u8);
    m.sil = Some(b.me(51, 2) as u8);
    m.hrd = Some(b.me(54, 1) as u8);
    if st == 0 {
        m.nic_baro = Some(b.me(53, 1) as u8);
    }
    m.sil_supplement = Some(b.me(55, 1) as u8);
}
