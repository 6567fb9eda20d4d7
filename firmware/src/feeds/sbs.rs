//! SBS/BaseStation `MSG` lines (port 30003), as dump1090 writes them: 22 comma-separated
//! fields, the position filled in when the message updated the track's position.

use crate::core::HeardBatch;
use dsp::decode::Message;
use dsp::Frame;

pub fn format(batch: &HeardBatch, out: &mut Vec<u8>) {
    let mut line = String::new();
    for h in &batch.modes {
        line.clear();
        let position = h.position.map(|p| SbsPosition {
            lat: p.lat,
            lon: p.lon,
        });
        sbs_line(&h.frame, &h.message, position, h.wall_ms, &mut line);
        out.extend_from_slice(line.as_bytes());
    }
}

/// Where an SBS line's position comes from: the track's, when this message updated it.
pub struct SbsPosition {
    pub lat: f64,
    pub lon: f64,
}

/// An SBS/BaseStation `MSG` line for a message, as dump1090 writes them (22 fields), or `None`
/// for messages SBS has no type for. `wall_ms` is the reception time.
pub fn sbs_line(
    frame: &Frame,
    m: &Message,
    position: Option<SbsPosition>,
    wall_ms: u64,
    out: &mut String,
) {
    let df = frame.df();
    let tc = m.typecode.unwrap_or(0);
    let kind = match (df, tc) {
        (17 | 18, 1..=4) => 1,
        (17 | 18, 5..=8) => 2,
        (17 | 18, 9..=18 | 20..=22) => 3,
        (17 | 18, 19) => 4,
        (4 | 20, _) => 5,
        (5 | 21, _) => 6,
        (16, _) => 7,
        (11, _) => 8,
        _ => return,
    };
    let at = crate::wall::utc(wall_ms);
    let date = at.format("%Y/%m/%d").to_string();
    let time = at.format("%H:%M:%S%.3f").to_string();
    let opt = |v: Option<String>| v.unwrap_or_default();
    let flag = |b: Option<bool>| opt(b.map(|b| if b { "-1".into() } else { "0".into() }));
    let (lat, lon) = position.map_or((String::new(), String::new()), |p| {
        (format!("{:.5}", p.lat), format!("{:.5}", p.lon))
    });
    let fields = [
        "MSG".to_string(),
        kind.to_string(),
        "1".into(),
        "1".into(),
        format!("{:06X}", frame.address & 0xff_ffff),
        "1".into(),
        date.clone(),
        time.clone(),
        date,
        time,
        opt(m.callsign.as_ref().map(|c| c.trim().to_string())),
        opt(m.altitude.map(|a| a.to_string())),
        opt(m.groundspeed.map(|v| format!("{v:.0}"))),
        opt(m.track.map(|v| format!("{v:.1}"))),
        lat,
        lon,
        opt(m.vertical_rate.map(|v| v.to_string())),
        opt(m.squawk.map(|s| format!("{:04}", s.0))),
        flag(m.alert.filter(|_| matches!(kind, 5 | 6))),
        flag(m.squawk.map(|s| matches!(s.0, 7500 | 7600 | 7700))),
        flag(m.spi.filter(|_| matches!(kind, 5 | 6))),
        flag(m.on_ground),
    ];
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn frame(hex: &str, address: u32) -> Frame {
        let bytes = ::hex::decode(hex).expect("hex");
        let mut f = Frame {
            bytes: [0; 14],
            len_bits: (bytes.len() * 8) as u8,
            address,
            corrected_bits: 0,
            address_recovered: false,
            sample: 0.0,
            timestamp_12mhz: 0,
            signal_dbfs: -10.0,
            noise_dbfs: -40.0,
        };
        f.bytes[..bytes.len()].copy_from_slice(&bytes);
        f
    }

    #[test]
    fn sbs_lines_look_like_dump1090s() {
        let f = frame("8D4840D6202CC371C32CE0576098", 0x4840d6);
        let m = dsp::decode::decode(&f);
        let mut sbs = String::new();
        sbs_line(&f, &m, None, 1_795_839_008_988, &mut sbs);
        let fields: Vec<&str> = sbs.trim_end().split(',').collect();
        assert_eq!(fields.len(), 22, "{sbs}");
        assert_eq!(&fields[..6], ["MSG", "1", "1", "1", "4840D6", "1"]);
        assert_eq!((fields[6], fields[7]), ("2026/11/28", "04:10:08.988"));
        assert_eq!(fields[10], "KLM1023");
        assert!(sbs.ends_with("\r\n"));
    }
}
