//! Comm-B MB field (DF20/21): which register it holds, and its fields.
//!
//! The reply does not say which register it carries (the interrogation that asked for it
//! did), so registers are told apart by their content. 1,0 / 2,0 / 3,0 start with their own
//! number; 1,7 has fixed reserved bits; 4,0 / 5,0 / 6,0 are accepted when every status bit
//! agrees with its field (a field whose status is 0 must be all zeros), reserved bits are
//! zero, and the values are physically plausible. Only an MB that exactly one register fits
//! gets a `bds`; several fits are listed in `bds_candidates`.

use super::fields::{callsign, Bits};
use super::{acas, Message};

/// A field with a status bit: status at `status`, value in the `len` bits after it. Returns
/// `Err` when the status is 0 but the value bits are not (the register does not fit).
fn status_field(b: &Bits, status: u32, len: u32) -> Result<Option<u64>, ()> {
    let v = b.me(status + 1, len);
    match (b.me_bit(status), v) {
        (true, v) => Ok(Some(v)),
        (false, 0) => Ok(None),
        (false, _) => Err(()),
    }
}

/// A sign-and-magnitude field as two's complement over `len` bits (sign included).
fn signed(v: u64, len: u32) -> f64 {
    let half = 1i64 << (len - 1);
    let v = v as i64;
    (if v >= half { v - 2 * half } else { v }) as f64
}

fn is_bds10(b: &Bits) -> bool {
    b.me(1, 8) == 0x10 && b.me(10, 6) == 0
}

fn is_bds17(b: &Bits) -> bool {
    // Bits 25–56 are reserved; a transponder that reports any capability reports 2,0.
    b.me(25, 32) == 0 && b.me_bit(7) && b.me(1, 24) != 0
}

fn is_bds20(b: &Bits) -> bool {
    b.me(1, 8) == 0x20 && callsign(b.me(9, 48)).is_some()
}

fn is_bds30(b: &Bits) -> bool {
    b.me(1, 8) == 0x30 && b.me(29, 2) != 3 && b.me(23, 4) != 0b1111
}

#[derive(Default)]
struct Bds40 {
    mcp: Option<i32>,
    fms: Option<i32>,
    baro: Option<f64>,
}

fn bds40(b: &Bits) -> Option<Bds40> {
    if b.me(40, 8) != 0 || b.me(52, 2) != 0 {
        return None;
    }
    let mcp = status_field(b, 1, 12).ok()?.map(|v| v as i32 * 16);
    let fms = status_field(b, 14, 12).ok()?.map(|v| v as i32 * 16);
    let baro = status_field(b, 27, 12)
        .ok()?
        .map(|v| v as f64 * 0.1 + 800.0);
    if (!b.me_bit(48) && b.me(49, 3) != 0) || (!b.me_bit(54) && b.me(55, 2) != 0) {
        return None;
    }
    if mcp.is_none() && fms.is_none() && baro.is_none() {
        return None;
    }
    let alt_ok = |a: Option<i32>| a.is_none_or(|a| (0..=50_000).contains(&a));
    let baro_ok = baro.is_none_or(|p| (900.0..=1100.0).contains(&p));
    (alt_ok(mcp) && alt_ok(fms) && baro_ok).then_some(Bds40 { mcp, fms, baro })
}

#[derive(Default)]
struct Bds50 {
    roll: Option<f64>,
    track: Option<f64>,
    gs: Option<f64>,
    rate: Option<f64>,
    tas: Option<f64>,
}

fn bds50(b: &Bits) -> Option<Bds50> {
    let roll = status_field(b, 1, 10)
        .ok()?
        .map(|v| signed(v, 10) * 45.0 / 256.0);
    let track = status_field(b, 12, 11).ok()?.map(|v| {
        let t = signed(v, 11) * 90.0 / 512.0;
        if t < 0.0 {
            t + 360.0
        } else {
            t
        }
    });
    let gs = status_field(b, 24, 10).ok()?.map(|v| v as f64 * 2.0);
    let rate = status_field(b, 35, 10)
        .ok()?
        .map(|v| signed(v, 10) * 8.0 / 256.0);
    let tas = status_field(b, 46, 10).ok()?.map(|v| v as f64 * 2.0);
    let fields = [roll, track, gs, rate, tas]
        .iter()
        .filter(|f| f.is_some())
        .count();
    if fields < 2 {
        return None;
    }
    let ok = roll.is_none_or(|r| r.abs() <= 50.0)
        && gs.is_none_or(|v| (50.0..=700.0).contains(&v))
        && tas.is_none_or(|v| (50.0..=600.0).contains(&v))
        && rate.is_none_or(|r| r.abs() <= 5.0)
        && match (gs, tas) {
            (Some(g), Some(t)) => (g - t).abs() <= 200.0,
            _ => true,
        };
    ok.then_some(Bds50 {
        roll,
        track,
        gs,
        rate,
        tas,
    })
}

#[derive(Default)]
struct Bds60 {
    heading: Option<f64>,
    ias: Option<f64>,
    mach: Option<f64>,
    baro_vr: Option<i32>,
    ins_vr: Option<i32>,
}

fn bds60(b: &Bits) -> Option<Bds60> {
    let heading = status_field(b, 1, 11).ok()?.map(|v| {
        let h = signed(v, 11) * 90.0 / 512.0;
        if h < 0.0 {
            h + 360.0
        } else {
            h
        }
    });
    let ias = status_field(b, 13, 10).ok()?.map(|v| v as f64);
    let mach = status_field(b, 24, 10)
        .ok()?
        .map(|v| v as f64 * 2.048 / 512.0);
    let baro_vr = status_field(b, 35, 10)
        .ok()?
        .map(|v| signed(v, 10) as i32 * 32);
    let ins_vr = status_field(b, 46, 10)
        .ok()?
        .map(|v| signed(v, 10) as i32 * 32);
    let fields = [ias, mach].iter().filter(|f| f.is_some()).count()
        + usize::from(heading.is_some())
        + usize::from(baro_vr.is_some() || ins_vr.is_some());
    if fields < 2 {
        return None;
    }
    let vr_ok = |v: Option<i32>| v.is_none_or(|v| v.abs() <= 6000);
    let ok = ias.is_none_or(|v| (50.0..=500.0).contains(&v))
        && mach.is_none_or(|m| (0.1..=1.0).contains(&m))
        && vr_ok(baro_vr)
        && vr_ok(ins_vr)
        && match (ias, mach) {
            // IAS and Mach of one aircraft agree within the range altitude allows.
            (Some(i), Some(m)) => m * 661.0 >= i * 0.95 && m * 661.0 <= i * 3.5,
            _ => true,
        };
    ok.then_some(Bds60 {
        heading,
        ias,
        mach,
        baro_vr,
        ins_vr,
    })
}

/// Identifies and decodes the MB field of a DF20/21 reply into `m`.
pub fn decode_mb(b: &Bits, m: &mut Message) {
    if b.me(1, 56) == 0 {
        return;
    }
    if is_bds10(b) {
        m.bds = Some("1,0");
        return;
    }
    if is_bds20(b) {
        m.bds = Some("2,0");
        m.callsign = callsign(b.me(9, 48));
        return;
    }
    if is_bds30(b) {
        m.bds = Some("3,0");
        acas::resolution_advisory(b, 9, m);
        return;
    }
    let (r40, r50, r60) = (bds40(b), bds50(b), bds60(b));
    let bds17 = is_bds17(b);
    let mut found: heapless::Vec<&'static str, 4> = heapless::Vec::new();
    for (fits, name) in [
        (bds17, "1,7"),
        (r40.is_some(), "4,0"),
        (r50.is_some(), "5,0"),
        (r60.is_some(), "6,0"),
    ] {
        if fits {
            let _ = found.push(name);
        }
    }
    if found.len() != 1 {
        if found.len() > 1 {
            m.bds_candidates = Some(found);
        }
        return;
    }
    m.bds = Some(found[0]);
    if let Some(r) = r40 {
        m.selected_altitude_mcp = r.mcp;
        m.selected_altitude_fms = r.fms;
        m.baro_pressure_setting = r.baro;
    }
    if let Some(r) = r50 {
        m.roll = r.roll;
        m.true_track = r.track;
        m.groundspeed = r.gs;
        m.track_rate = r.rate;
        m.true_airspeed = r.tas;
    }
    if let Some(r) = r60 {
        m.magnetic_heading = r.heading;
        m.indicated_airspeed = r.ias;
        m.mach = r.mach;
        m.baro_vertical_rate = r.baro_vr;
        m.inertial_vertical_rate = r.ins_vr;
    }
}
