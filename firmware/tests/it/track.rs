//! The track table driven by generated traffic through the real receive chain, and by
//! scripted messages: positions against the simulated truth, capacity, expiry, source
//! priority, change sets and the aircraft.json record.

use dsp::cpr::Position;
use dsp::decode::{decode, decode_bytes, Icao, Message, Source, Squawk};
use dsp::gen::{distance_km, generate, TrafficConfig};
use dsp::{IqFormat, Receiver, RepairConfig, SampleRate};
use skyspy::core::track::{TrackConfig, TrackKey, TrackTable};
use std::collections::HashMap;

const HOME: Position = Position {
    lat: 52.3,
    lon: 4.76,
};

fn key(a: u32) -> TrackKey {
    TrackKey {
        address: a,
        non_icao: false,
    }
}

#[test]
fn generated_traffic_builds_tracks_within_ten_metres_of_the_truth() {
    let rate = SampleRate::Msps2_4;
    let mut cfg = TrafficConfig::new(rate, HOME, 60, 21);
    cfg.snr_db = (8.0, 30.0);
    let (iq, sent) = generate(cfg, 20.0);
    let truth: HashMap<&[u8], Position> = sent
        .iter()
        .filter_map(|s| Some((s.reply.data(), s.position?)))
        .collect();
    let mut rx = Receiver::new(IqFormat::Cu8, rate, RepairConfig::default());
    let mut frames = Vec::new();
    for chunk in iq.chunks(1 << 18) {
        rx.push(chunk, &mut frames);
    }
    rx.finish(&mut frames);
    let mut table = TrackTable::new(TrackConfig {
        receiver: Some(HOME),
        ..TrackConfig::default()
    });
    let (mut checked, mut worst) = (0, 0.0f64);
    for f in &frames {
        let now = f.sample / rate.hz() as f64;
        let m = decode(f);
        let before = table
            .get(&key(f.address))
            .and_then(|a| a.position.aged().map(|p| p.updated));
        let a = table.ingest(&m, f.signal_dbfs, now);
        let fix = a
            .position
            .aged()
            .filter(|p| Some(p.updated) != before && p.updated == now);
        if let (Some(p), Some(t)) = (fix, truth.get(f.data())) {
            let d = distance_km(p.value, *t) * 1000.0;
            worst = worst.max(d);
            checked += 1;
            assert!(d <= 10.0, "{:06x}: {d:.1} m off", f.address);
        }
    }
    let ids: Vec<u32> = sent.iter().map(|s| s.icao).collect();
    assert!(
        table.iter().all(|a| ids.contains(&a.key.address)),
        "no invented aircraft"
    );
    assert_eq!(table.len(), 60, "every simulated aircraft has a track");
    let with_pos = table.iter().filter(|a| a.position.get().is_some()).count();
    eprintln!("{checked} fixes checked, worst {worst:.2} m; {with_pos} of 60 with a position");
    assert!(checked > 1000 && with_pos >= 55);
}

#[test]
fn corrupt_input_creates_no_aircraft() {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let random: Vec<u8> = (0..4_800_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let mut rx = Receiver::new(IqFormat::Cu8, SampleRate::Msps2_4, RepairConfig::default());
    let mut frames = Vec::new();
    rx.push(&random, &mut frames);
    rx.finish(&mut frames);
    let mut table = TrackTable::new(TrackConfig::default());
    for f in &frames {
        table.ingest(&decode(f), f.signal_dbfs, 0.0);
    }
    assert!(table.is_empty(), "{} aircraft from noise", table.len());
}

fn msg(address: u32, source: Source) -> Message {
    Message {
        df: 17,
        icao: Icao(address),
        source: Some(source),
        ..Message::default()
    }
}

#[test]
fn capacity_is_fixed_and_the_stalest_track_goes() {
    let mut table = TrackTable::new(TrackConfig {
        capacity: 10,
        ..TrackConfig::default()
    });
    for a in 0..25u32 {
        table.ingest(&msg(a, Source::Adsb), -20.0, f64::from(a));
    }
    assert_eq!(table.len(), 10);
    assert!(table.get(&key(14)).is_none() && table.get(&key(15)).is_some());
    // Refreshing an old track keeps it through the next eviction.
    table.ingest(&msg(15, Source::Adsb), -20.0, 30.0);
    table.ingest(&msg(99, Source::Adsb), -20.0, 31.0);
    assert!(table.get(&key(15)).is_some() && table.get(&key(16)).is_none());
}

#[test]
fn aircraft_expire_after_sixty_seconds_and_positions_age_out() {
    let mut table = TrackTable::new(TrackConfig::default());
    let even = decode_bytes(&hex("8D40621D58C382D690C8AC2863A7"), 0x40621D);
    let odd = decode_bytes(&hex("8D40621D58C386435CC412692AD6"), 0x40621D);
    table.ingest(&even, -10.0, 0.0);
    table.ingest(&odd, -10.0, 1.0);
    let p = table
        .get(&key(0x40621D))
        .and_then(|a| a.position.get())
        .expect("pair resolved");
    assert!(
        (p.lat - 52.2658).abs() < 1e-3 && (p.lon - 3.9389).abs() < 1e-3,
        "{p:?}"
    );
    let velocity = decode_bytes(&hex("8D40621D99440994083817000000"), 0x40621D);
    table.ingest(&velocity, -10.0, 50.0);
    assert!(table.expire(62.0).is_empty());
    assert!(
        table
            .get(&key(0x40621D))
            .is_some_and(|a| a.position.get().is_none()),
        "position aged out"
    );
    assert_eq!(table.expire(110.5), vec![key(0x40621D)]);
    assert!(table.is_empty());
}

#[test]
fn a_weaker_source_overwrites_only_stale_data() {
    let mut table = TrackTable::new(TrackConfig::default());
    let mut adsb = msg(0xABC123, Source::Adsb);
    adsb.altitude = Some(35000);
    let mut tisb = msg(0xABC123, Source::Tisb);
    tisb.altitude = Some(34000);
    table.ingest(&adsb, -10.0, 0.0);
    table.ingest(&tisb, -10.0, 5.0);
    assert_eq!(
        table.get(&key(0xABC123)).and_then(|a| a.alt_baro.get()),
        Some(35000)
    );
    table.ingest(&tisb, -10.0, 20.0);
    assert_eq!(
        table.get(&key(0xABC123)).and_then(|a| a.alt_baro.get()),
        Some(34000)
    );
}

#[test]
fn change_sets_name_what_changed() {
    use skyspy::core::track::aircraft::changed;
    let mut table = TrackTable::new(TrackConfig::default());
    let mut m = msg(0x4840D6, Source::Adsb);
    m.squawk = Some(Squawk(7700));
    table.ingest(&m, -10.0, 0.0);
    let c = table.take_changes();
    assert_eq!(c.len(), 1);
    assert_ne!(c[0].1 & changed::SQUAWK, 0);
    table.ingest(&m, -10.0, 1.0);
    assert!(
        table.take_changes().is_empty(),
        "same values: nothing changed"
    );
    m.squawk = Some(Squawk(1200));
    table.ingest(&m, -10.0, 2.0);
    assert_eq!(table.take_changes(), vec![(key(0x4840D6), changed::SQUAWK)]);
}

#[test]
fn records_use_aircraft_json_names_and_omit_unknowns() {
    let mut table = TrackTable::new(TrackConfig {
        receiver: Some(HOME),
        ..TrackConfig::default()
    });
    let mut m = msg(0x0000AB, Source::Tisb);
    m.non_icao = Some(true);
    m.on_ground = Some(true);
    m.altitude = Some(0);
    m.squawk = Some(Squawk(1200));
    table.ingest(&m, -12.34, 3.0);
    let v = &records(&table, 4.0)[0];
    assert_eq!(v["hex"], "~0000ab");
    assert_eq!(v["type"], "tisb_trackfile");
    assert_eq!(v["alt_baro"], "ground");
    assert_eq!(v["squawk"], "1200");
    assert_eq!(v["seen"], 1.0);
    assert_eq!(v["source_band"], "1090");
    let obj = v.as_object().expect("object");
    assert!(obj.values().all(|x| !x.is_null()), "no nulls: {v}");
    assert!(!obj.contains_key("lat") && !obj.contains_key("distance_nm"));
}

/// A track as its aircraft.json record (what the API sends).
fn json(
    a: &skyspy::core::track::Aircraft,
    now: f64,
    receiver: Option<Position>,
) -> serde_json::Value {
    let r = skyspy::core::AircraftRecord::of(a, now, receiver);
    serde_json::to_value(skyspy::api::wire::RecordJson::whole(&r)).expect("json")
}

/// Every track of the table as aircraft.json records.
fn records(table: &TrackTable, now: f64) -> Vec<serde_json::Value> {
    let receiver = table.config().receiver;
    table.iter().map(|a| json(a, now, receiver)).collect()
}

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

#[test]
fn real_capture_builds_one_track() {
    // modes1.bin (2.0 MS/s, snipped): one aircraft, 4d2023. Its sample times are not real
    // time (the README's caveat), so only identity and altitude are checked, not positions.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/testdata/modes/modes1.bin");
    let iq = std::fs::read(path).expect("capture");
    let mut rx = Receiver::new(IqFormat::Cu8, SampleRate::Msps2_0, RepairConfig::default());
    let mut frames = Vec::new();
    rx.push(&iq, &mut frames);
    rx.finish(&mut frames);
    let mut table = TrackTable::new(TrackConfig::default());
    for f in &frames {
        table.ingest(&decode(f), f.signal_dbfs, f.sample / 2e6);
    }
    assert_eq!(table.len(), 1);
    let a = table.get(&key(0x4d2023)).expect("4d2023");
    assert_eq!(a.messages as usize, frames.len());
    assert!(a.flight.get().is_some() && a.alt_baro.get().is_some());
    let r = json(a, 0.2, None);
    assert_eq!(
        (r["hex"].as_str(), r["type"].as_str()),
        (Some("4d2023"), Some("adsb_icao"))
    );
}

#[test]
fn hex_keys_round_trip_and_refuse_anything_else() {
    for key in [
        TrackKey {
            address: 0xa1b2c3,
            non_icao: false,
        },
        TrackKey {
            address: 0x00000f,
            non_icao: true,
        },
    ] {
        assert_eq!(TrackKey::from_hex(&key.hex()), Some(key));
    }
    assert_eq!(
        TrackKey::from_hex("A1B2C3").map(|k| k.address),
        Some(0xa1b2c3)
    );
    for bad in [
        "", "a1b2c", "a1b2c34", "g1b2c3", "~~a1b2c3", "+1b2c3", " a1b2c",
    ] {
        assert_eq!(TrackKey::from_hex(bad), None, "{bad:?}");
    }
}

/// The 439 real downlinks of dump978's sample data (KPAO area) into the table, as the UAT
/// receive chain hands them over: UAT tracks carry `source_band` "978" and type "uat" (or
/// the TIS-B types), positions and fields as decoded, and a 1090 message for the same ICAO
/// address joins the same track.
#[test]
fn uat_downlinks_become_tracks_and_share_them_with_1090() {
    use dsp::uat::decode::decode_downlink;
    use dsp::uat::frame::parse_raw;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/testdata/uat/expected/dump978.sample-data.downlink.dump978-fa.jsonl");
    let text = std::fs::read_to_string(&path).expect("test data");
    let mut table = TrackTable::new(TrackConfig {
        receiver: Some(Position {
            lat: 37.46,
            lon: -122.11,
        }),
        ..TrackConfig::default()
    });
    let mut last = HashMap::new();
    let mut a66ef1_at = 0.0;
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let (_, payload) = parse_raw(v["raw"].as_str().expect("raw")).expect("raw line");
        let d = decode_downlink(&payload).expect("downlink");
        table.ingest_uat(&d, -20.0, i as f64 * 0.1);
        if d.address == 0xa66ef1 {
            a66ef1_at = i as f64 * 0.1;
        }
        last.insert(d.address, d);
    }
    let heard = records(&table, 44.0);
    assert_eq!(heard.len(), last.len());
    for r in &heard {
        let hex = r["hex"].as_str().expect("hex");
        assert_eq!(r["source_band"], "978", "{hex}");
        let address = u32::from_str_radix(hex.trim_start_matches('~'), 16).expect("hex");
        let d = &last[&address];
        let want_type = match d.address_qualifier {
            Some(dsp::uat::decode::AddressQualifier::AdsbIcao) => "uat",
            Some(dsp::uat::decode::AddressQualifier::TisbIcao) => "tisb_icao",
            Some(dsp::uat::decode::AddressQualifier::TisbTrackfile) => "tisb_trackfile",
            other => panic!("unexpected qualifier {other:?} in the sample"),
        };
        assert_eq!(r["type"], want_type, "{hex}");
        // Positions beyond the 450 NM range are refused (the sample has one at 3.9°N 56.7°E).
        let p = d.position.expect("every sample downlink has a position");
        let near = skyspy::core::track::position::distance_nm(
            Position {
                lat: 37.46,
                lon: -122.11,
            },
            Position {
                lat: p.lat,
                lon: p.lon,
            },
        ) <= 450.0;
        let (lat, lon) = (r["lat"].as_f64(), r["lon"].as_f64());
        if near {
            assert_eq!((lat, lon), (Some(p.lat), Some(p.lon)), "{hex}");
        } else {
            assert_eq!((lat, lon), (None, None), "{hex}: out of range");
        }
        assert_eq!(
            r.get("alt_baro").cloned(),
            d.pressure_altitude.map(serde_json::Value::from),
            "{hex}"
        );
    }
    let n5130e = heard
        .iter()
        .find(|r| r["hex"] == "a66ef1")
        .expect("a66ef1 tracked");
    assert_eq!(n5130e["flight"], "N5130E");
    assert_eq!(n5130e["category"], "A2");
    // The same aircraft heard on 1090 (DF11 all-call) a moment later joins its track; the
    // band stays the one of the strongest recent source, UAT ADS-B.
    let m = Message {
        df: 11,
        icao: Icao(0xa66ef1),
        source: Some(Source::Modes),
        ..Message::default()
    };
    table.ingest(&m, -10.0, a66ef1_at + 0.5);
    let after = records(&table, a66ef1_at + 0.5);
    assert_eq!(after.len(), last.len(), "no second track for a66ef1");
    let r = after
        .iter()
        .find(|r| r["hex"] == "a66ef1")
        .expect("still tracked");
    assert_eq!(
        (&r["source_band"], &r["type"]),
        (&"978".into(), &"uat".into())
    );
}

/// A UAT target state (payload type 4) sets the same autopilot fields as 1090's target state
/// message: an MCP/FCU selected altitude, the QNH and the selected heading; an FMS altitude is
/// not the MCP's and stays out.
#[test]
fn uat_target_state_fills_the_nav_fields() {
    use dsp::uat::decode::{decode_downlink, SelectedAltitudeType, UatDownlink};
    let mut table = TrackTable::new(TrackConfig::default());
    let d = UatDownlink {
        payload_type: 4,
        address: 0xa1b2c3,
        address_qualifier: Some(dsp::uat::decode::AddressQualifier::AdsbIcao),
        selected_altitude_type: Some(SelectedAltitudeType::McpFcu),
        selected_altitude: Some(12_000),
        barometric_pressure_setting: Some(1013.6),
        selected_heading: Some(270.0),
        ..decode_downlink(&[0u8; 34]).expect("34 bytes")
    };
    table.ingest_uat(&d, -20.0, 1.0);
    let fms = UatDownlink {
        address: 0xa1b2c4,
        selected_altitude_type: Some(SelectedAltitudeType::Fms),
        ..d.clone()
    };
    table.ingest_uat(&fms, -20.0, 1.0);
    let all = records(&table, 1.0);
    let v = |hex: &str| {
        all.iter()
            .find(|r| r["hex"] == hex)
            .expect("tracked")
            .clone()
    };
    let mcp = v("a1b2c3");
    assert_eq!(mcp["nav_altitude_mcp"], 12_000);
    assert_eq!(mcp["nav_qnh"], 1013.6);
    assert_eq!(mcp["nav_heading"], 270.0);
    let fms = v("a1b2c4");
    assert!(fms.get("nav_altitude_mcp").is_none(), "{fms}");
    assert_eq!(fms["nav_heading"], 270.0);
}
