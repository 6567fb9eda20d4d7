//! The `skyspy` binary as a user runs it: real files, bad files, bad arguments.

use std::path::PathBuf;
use std::process::{Command, Output};

fn skyspy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skyspy"))
        .args(args)
        .output()
        .expect("run skyspy")
}

fn testdata(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/testdata/modes")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn temp(name: &str, bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("skyspy-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write temp file");
    p.to_string_lossy().into_owned()
}

fn stdout_lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn raw_output_is_dump1090_compatible() {
    let o = skyspy(&[
        "decode",
        &testdata("test_1641427457780.cu8"),
        "--format",
        "cu8",
        "--rate",
        "2.4M",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines = stdout_lines(&o);
    assert!(lines.len() >= 4);
    for l in &lines {
        assert!(l.starts_with('*') && l.ends_with(';'), "{l}");
        let hex = &l[1..l.len() - 1];
        assert!(hex.len() == 14 || hex.len() == 28, "{l}");
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()), "{l}");
    }
    assert!(lines.contains(&"*8DAD929358B9C6273F002169C02E;".to_string()));
    let summary = String::from_utf8_lossy(&o.stderr);
    for want in ["messages:", "DF17:", "distinct addresses:", "per IQ second"] {
        assert!(summary.contains(want), "summary lacks {want:?}: {summary}");
    }
}

#[test]
fn json_output_has_decoded_fields_and_positions() {
    let o = skyspy(&["decode", &testdata("modes1_2400k.cu8"), "--json", "-q"]);
    assert!(o.status.success());
    let msgs: Vec<serde_json::Value> = stdout_lines(&o)
        .iter()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(msgs.len() > 150);
    assert!(msgs.iter().all(|m| m["icao"] == "4d2023"));
    assert!(msgs.iter().any(|m| m["callsign"].is_string()));
    assert!(
        msgs.iter().any(|m| m["lat"].is_f64() && m["lon"].is_f64()),
        "CPR pairs resolve to positions"
    );
    assert!(msgs
        .iter()
        .all(|m| m["timestamp"].is_u64() && m["signal_dbfs"].is_f64()));
}

#[test]
fn two_megasample_rate_is_accepted() {
    let o = skyspy(&["decode", &testdata("modes1.bin"), "--rate", "2.0M", "-q"]);
    assert!(o.status.success());
    assert!(stdout_lines(&o).len() > 150);
}

#[test]
fn corrupt_input_gives_no_panic_and_no_aircraft() {
    let mut random = vec![0u8; 2_400_000];
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for b in random.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("zeros.cu8", vec![0u8; 1_000_000]),
        ("saturated.cu8", vec![255u8; 1_000_000]),
        ("empty.cu8", Vec::new()),
        ("one-byte.cu8", vec![7u8]),
        ("random.cu8", random),
    ];
    for (name, bytes) in cases {
        for format in ["cu8", "cs16", "cf32"] {
            let path = temp(name, &bytes);
            let o = skyspy(&["decode", &path, "--format", format]);
            assert!(
                o.status.success(),
                "{name} as {format}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            assert!(
                stdout_lines(&o).is_empty(),
                "{name} as {format} invented {:?}",
                stdout_lines(&o)
            );
        }
    }
}

#[test]
fn truncated_capture_decodes_what_is_there_and_says_so() {
    let bytes = std::fs::read(testdata("test_1641428106243.cu8")).expect("capture");
    let path = temp("truncated.cu8", &bytes[..bytes.len() / 2 + 1]);
    let o = skyspy(&["decode", &path]);
    assert!(o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("1 trailing bytes did not make a whole sample")
    );
}

#[test]
fn missing_file_is_a_clear_error() {
    let o = skyspy(&["decode", "/nonexistent/capture.cu8"]);
    assert_eq!(o.status.code(), Some(65));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cannot open /nonexistent/capture.cu8"),
        "{err}"
    );
}

#[test]
fn bad_arguments_are_refused_with_the_reason() {
    let o = skyspy(&["decode", &testdata("modes1.bin"), "--rate", "3.2M"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unsupported sample rate"));
    let o = skyspy(&["decode", &testdata("modes1.bin"), "--format", "u4"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown IQ format"));
    let o = skyspy(&[
        "decode",
        &testdata("modes1.bin"),
        "--lat",
        "95",
        "--lon",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(65));
}

#[test]
fn demo_runs_the_chain_on_simulated_traffic() {
    let o = skyspy(&["demo", "--seconds", "4", "--aircraft", "20"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("20 aircraft seen"), "{out}");
    assert!(out.contains("0 decoded replies were never sent"), "{out}");
}

#[test]
fn simulate_then_decode_round_trips() {
    let dir = std::env::temp_dir().join(format!("skyspy-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let iq = dir.join("sim.cu8").to_string_lossy().into_owned();
    let truth = dir.join("sim.jsonl").to_string_lossy().into_owned();
    let o = skyspy(&[
        "simulate",
        &iq,
        "--seconds",
        "3",
        "--aircraft",
        "30",
        "--snr",
        "20:30",
        "--truth",
        &truth,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sent: Vec<serde_json::Value> = std::fs::read_to_string(&truth)
        .expect("truth")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let o = skyspy(&["decode", &iq, "-q"]);
    let got: std::collections::HashSet<String> = stdout_lines(&o)
        .iter()
        .map(|l| l.trim_matches(|c| c == '*' || c == ';').to_lowercase())
        .collect();
    let clean: Vec<_> = sent.iter().filter(|t| t["overlaps"] == false).collect();
    let found = clean
        .iter()
        .filter(|t| got.contains(t["hex"].as_str().unwrap_or("")))
        .count();
    assert!(
        found * 100 >= clean.len() * 90,
        "{found} of {}",
        clean.len()
    );
    let o = skyspy(&["simulate", &iq, "--snr", "30:10"]);
    assert_eq!(o.status.code(), Some(65));
}

#[test]
fn hex_lines_decode_to_json_and_bad_lines_are_reported() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_skyspy"))
        .arg("hex")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let input = "*8D4840D6202CC371C32CE0576098;\nnot hex at all\n20001838CA3E51\n*8D4840D6202CC371C32CE0576099;\n";
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    assert!(o.status.success());
    let msgs: Vec<serde_json::Value> = stdout_lines(&o)
        .iter()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["callsign"], "KLM1023");
    assert_eq!(
        (msgs[1]["icao"].as_str(), msgs[1]["altitude"].as_i64()),
        (Some("dbbd0a"), Some(38000))
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 2: not hex") && err.contains("line 4: parity does not check"),
        "{err}"
    );
}

/// `simulate --band 978` writes UAT traffic at 2.083333 MS/s that `decode --band 978` hears:
/// every aircraft's address, and nothing else.
#[test]
fn simulate_band_978_then_decode() {
    let dir = std::env::temp_dir().join(format!("skyspy-sim978-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let iq = dir.join("uat.cu8").to_string_lossy().into_owned();
    let o = skyspy(&[
        "simulate",
        &iq,
        "--band",
        "978",
        "--seconds",
        "4",
        "--aircraft",
        "8",
        "--snr",
        "25:30",
    ]);
    let said = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{said}");
    // "wrote N samples, M UAT bursts"
    let sent: usize = said
        .split_whitespace()
        .zip(said.split_whitespace().skip(1))
        .find_map(|(n, w)| (w == "UAT").then(|| n.parse().ok()).flatten())
        .unwrap_or_else(|| panic!("no burst count in {said:?}"));
    let bytes = std::fs::metadata(&iq).expect("written").len();
    assert_eq!(
        bytes,
        2 * (4.0 * 2_083_333.333_f64) as u64,
        "4 s at 2.083333 MS/s, cu8"
    );
    let o = skyspy(&["decode", &iq, "--band", "978", "-q"]);
    assert!(o.status.success());
    // Downlink raw lines: "-" then the payload, whose bytes 1-3 are the address.
    let lines = stdout_lines(&o);
    let downlinks: Vec<&str> = lines.iter().filter_map(|l| l.strip_prefix('-')).collect();
    let addresses: std::collections::HashSet<&str> =
        downlinks.iter().filter_map(|l| l.get(2..8)).collect();
    assert_eq!(addresses.len(), 8, "{addresses:?}");
    // At 25-30 dB nearly every burst is decoded (two may share a slot or be cut by the
    // recording's ends), and nothing is decoded that was not sent.
    assert!(
        downlinks.len() <= sent && downlinks.len() * 10 >= sent * 9,
        "{} decoded of {sent} bursts sent",
        downlinks.len()
    );
    let refused = |extra: &[&str]| {
        let mut a = vec!["simulate", &iq, "--band", "978"];
        a.extend_from_slice(extra);
        skyspy(&a).status.code()
    };
    assert_eq!(
        refused(&["--truth", "t.jsonl"]),
        Some(65),
        "no truth file for UAT yet"
    );
    assert_eq!(refused(&["--rate", "2.4M"]), Some(65), "UAT has one rate");
    assert_eq!(refused(&["--acars", "131.55"]), Some(65), "a VHF option");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `decode --band 978` on the test data's synthetic UAT file: dump978 raw lines, every one a
/// frame that was sent, more of them than dump978-fa found; `--json` decodes the same frames.
#[test]
fn decode_band_978_prints_raw_lines_and_json() {
    let uat = |name: &str| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/testdata/uat")
            .join(name)
            .to_string_lossy()
            .into_owned()
    };
    let file = uat("synthetic/uat-synth-mixed.cu8");
    let o = skyspy(&["decode", &file, "--band", "978", "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines = stdout_lines(&o);
    let truth = std::fs::read_to_string(uat("synthetic/uat-synth-mixed.truth.txt")).expect("truth");
    let sent: std::collections::HashSet<&str> = truth.lines().map(str::trim).collect();
    for l in &lines {
        assert!(
            l.contains(";rssi=") && l.contains(";t=") && l.ends_with(';'),
            "{l}"
        );
        let payload = format!("{};", l.split(';').next().unwrap_or(""));
        assert!(sent.contains(payload.as_str()), "never sent: {payload}");
    }
    assert!(
        lines.len() > 403,
        "{} frames; dump978-fa decodes 403",
        lines.len()
    );

    let o = skyspy(&["decode", &file, "--band", "978", "--json", "-q"]);
    assert!(o.status.success());
    let json = stdout_lines(&o);
    assert_eq!(json.len(), lines.len());
    let (mut downlinks, mut products) = (0, 0);
    for l in &json {
        let v: serde_json::Value = serde_json::from_str(l).expect("one JSON object per line");
        if v["downlink"]["address"].is_string() {
            downlinks += 1;
        }
        products += v["uplink"]["products"].as_array().map_or(0, Vec::len);
    }
    assert!(
        downlinks > 400 && products > 0,
        "{downlinks} downlinks, {products} products"
    );

    // A bad band is refused by the argument parser, not half-decoded.
    let o = skyspy(&["decode", &file, "--band", "1091"]);
    assert!(!o.status.success());
}

/// `skyspy devices` on a machine without dongles (CI) says so and succeeds.
#[test]
fn devices_lists_dongles_or_says_there_are_none() {
    let o = skyspy(&["devices"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("no RTL-SDR dongle found") || out.contains("serial"),
        "{out}"
    );
}

#[test]
fn setup_applies_a_settings_file_and_refuses_a_bad_one_with_exit_64() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let settings = dir.path().join("skyspy.toml");
    let root_arg = root.to_str().unwrap();
    let settings_arg = settings.to_str().unwrap();

    std::fs::write(&settings, "[system]\nhostname = \"radar\"\n").unwrap();
    let out = skyspy(&["setup", "--settings", settings_arg, "--root", root_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(root.join("etc/hostname")).unwrap(),
        "radar\n"
    );

    std::fs::write(&settings, "[system]\nwifi_ssid = \"Home\"\n").unwrap();
    let out = skyspy(&["setup", "--settings", settings_arg, "--root", root_arg]);
    assert_eq!(out.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("system.wifi_country"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(root.join("etc/hostname")).unwrap(),
        "radar\n"
    );
}

/// `simulate --band vhf` writes ACARS bursts with their truth; `decode --band vhf` finds them
/// with the protocol's field names, and refuses a plan that cannot work, naming the channel.
#[test]
fn simulate_then_decode_acars() {
    let iq = temp("acars.cu8", b"");
    let truth = temp("acars.truth.jsonl", b"");
    let o = skyspy(&[
        "simulate",
        &iq,
        "--band",
        "vhf",
        "--seconds",
        "4",
        "--bursts",
        "8",
        "--snr",
        "20:30",
        "--center",
        "130.35M",
        "--seed",
        "2",
        "--truth",
        &truth,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::metadata(&iq).expect("iq").len(), 4 * 2_500_000 * 2);
    let sent: Vec<serde_json::Value> = std::fs::read_to_string(&truth)
        .expect("truth")
        .lines()
        .map(|l| serde_json::from_str(l).expect("truth line"))
        .collect();
    assert_eq!(sent.len(), 8);

    let o = skyspy(&[
        "decode", &iq, "--band", "vhf", "--center", "130.35M", "--json", "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got: Vec<serde_json::Value> = stdout_lines(&o)
        .iter()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    // Strong bursts spaced as radios space them: every one, unless a hidden terminal's burst
    // collided with another on its channel.
    assert!(got.len() >= 7 && got.len() <= 8, "{} of 8", got.len());
    for m in &got {
        let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
        let full = text(&m["msg_num"]) + &text(&m["flight"]) + &text(&m["text"]);
        let matching = sent.iter().filter(|t| {
            t["registration"] == m["registration"]
                && t["label"] == m["label"]
                && t["block_id"] == m["block_id"]
                && (t["frequency"].as_f64().unwrap_or(0.0) - m["frequency"].as_f64().unwrap_or(1.0))
                    .abs()
                    < 1e-6
                && text(&t["text"]).replace(' ', "") == full.replace(' ', "")
        });
        assert_eq!(matching.count(), 1, "not a burst that was sent: {m}");
        assert_eq!(m["source"], "acars");
        assert!(
            m["signal_level"].is_f64() && m["error_count"].is_u64(),
            "{m}"
        );
    }

    // Without --json: one line per message.
    let o = skyspy(&["decode", &iq, "--band", "vhf", "--center", "130.35M", "-q"]);
    assert_eq!(stdout_lines(&o).len(), got.len());

    // A channel 1.3 MHz from the centre does not fit 2.5 MS/s: refused, naming it.
    let o = skyspy(&[
        "decode", &iq, "--band", "vhf", "--center", "130.35M", "--acars", "131.65",
    ]);
    assert_eq!(o.status.code(), Some(64));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("131.65"), "{err}");
}

/// `run --check` prints the VHF plan it would use, the automatic centre resolved.
#[test]
fn run_check_prints_the_vhf_plan() {
    let o = skyspy(&["run", "--check", "--simulate"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("VHF band: centre 130.3"), "{out}");
    for f in [
        "129.125", "130.025", "130.425", "130.450", "131.125", "131.550",
    ] {
        assert!(out.contains(&format!("{f} MHz  acars")), "{f}: {out}");
    }
    // The VDL2 dongle's plan: the seven channels at 2.1 MS/s.
    assert!(out.contains("radio.vdl2: VHF band: centre 136."), "{out}");
    assert!(out.contains("2.100 MS/s"), "{out}");
    for f in [
        "136.650", "136.725", "136.775", "136.800", "136.825", "136.875", "136.975",
    ] {
        assert!(out.contains(&format!("{f} MHz  vdl2")), "{f}: {out}");
    }
}

/// VDL2 through the CLI: a generated recording of the seven channels, decoded to one JSON
/// object per ACARS message with the aircraft's address and the ground station from the AVLC
/// header, every frame the generator sent accounted for.
#[test]
fn simulate_then_decode_vdl2() {
    let iq = temp("vdl2.cu8", b"");
    let truth = temp("vdl2.truth.jsonl", b"");
    let o = skyspy(&[
        "simulate",
        &iq,
        "--band",
        "vdl2",
        "--seconds",
        "3",
        "--bursts",
        "20",
        "--snr",
        "24:30",
        "--center",
        "136.5M",
        "--seed",
        "4",
        "--truth",
        &truth,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::metadata(&iq).expect("iq").len(), 3 * 2_100_000 * 2);
    let sent: Vec<serde_json::Value> = std::fs::read_to_string(&truth)
        .expect("truth")
        .lines()
        .map(|l| serde_json::from_str(l).expect("truth line"))
        .filter(|t: &serde_json::Value| t.get("label").is_some())
        .collect();
    assert!(sent.len() >= 15, "{} ACARS frames", sent.len());
    let o = skyspy(&[
        "decode", &iq, "--band", "vdl2", "--center", "136.5M", "--json", "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got: Vec<serde_json::Value> = stdout_lines(&o)
        .iter()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    // Strong bursts: every frame, unless a hidden terminal's burst collided.
    assert!(
        got.len() + 2 >= sent.len() && got.len() <= sent.len(),
        "{} of {}",
        got.len(),
        sent.len()
    );
    for m in &got {
        assert_eq!(m["source"], "vdlm2");
        let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
        let full = text(&m["msg_num"]) + &text(&m["flight"]) + &text(&m["text"]);
        let t = sent
            .iter()
            .find(|t| t["registration"] == m["registration"] && text(&t["text"]) == full)
            .unwrap_or_else(|| panic!("decoded but not sent: {m}"));
        // The aircraft is whichever end of the exchange is not the ground station.
        let (src, dst) = (
            text(&t["src"]).to_lowercase(),
            text(&t["dst"]).to_lowercase(),
        );
        let gs = text(&m["ground_station"]).to_lowercase();
        let aircraft = text(&m["icao_hex"]);
        assert!(
            (aircraft == src && gs == dst) || (aircraft == dst && gs == src),
            "{m} vs {t}"
        );
        assert_eq!(m["frequency"], t["frequency"]);
    }
}

/// The aircraft database: `run --check` loads the configured files and says what each gave
/// (a malformed line counted, not fatal); a missing file or a corrupt gzip is a config error
/// (exit 64) that names it.
#[test]
fn run_check_loads_the_aircraft_database_and_refuses_a_missing_or_corrupt_file() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("aircraft.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"a1b2c3;N123AB;C182;0001;CESSNA 182;1977;County Sheriff;\nbad line\n")
        .unwrap();
    let bytes = gz.finish().unwrap();
    std::fs::write(&db, &bytes).unwrap();
    let config = dir.path().join("skyspy.toml");
    let write_config = |path: &std::path::Path| {
        std::fs::write(
            &config,
            format!("[aircraft_db]\nfiles = [{:?}]\n", path.to_str().unwrap()),
        )
        .unwrap();
    };
    write_config(&db);
    let o = skyspy(&["run", "--check", "--config", config.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("aircraft.csv.gz: 1 aircraft (tar1090-db format), 1 malformed lines skipped"),
        "{out}"
    );

    let missing = dir.path().join("nope.csv.gz");
    write_config(&missing);
    let o = skyspy(&["run", "--check", "--config", config.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(64));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("aircraft_db.files") && err.contains("nope.csv.gz"),
        "{err}"
    );

    std::fs::write(&db, &bytes[..bytes.len() - 12]).unwrap();
    write_config(&db);
    let o = skyspy(&["run", "--check", "--config", config.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(64));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("aircraft.csv.gz"), "{err}");
}
