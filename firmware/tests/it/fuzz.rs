//! The fuzz targets' checks (`skyspy::fuzz`, run for hours by `scripts/fuzz`) as property
//! tests in the suite: a few thousand inputs each, shaped like the real files so they reach
//! past the first syntax error (the example config with values swapped, settings files,
//! database lines, rule files, transcription answers, hex lines), plus arbitrary text.

use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::Path;

/// Every (table path, key, value) of a TOML file.
fn leaves(path: &Path) -> Vec<(Vec<String>, toml::Value)> {
    fn walk(prefix: &mut Vec<String>, t: &toml::Table, out: &mut Vec<(Vec<String>, toml::Value)>) {
        for (k, v) in t {
            prefix.push(k.clone());
            match v {
                toml::Value::Table(inner) => walk(prefix, inner, out),
                v => out.push((prefix.clone(), v.clone())),
            }
            prefix.pop();
        }
    }
    let text = std::fs::read_to_string(path).expect("the example file");
    let table: toml::Table = toml::from_str(&text).expect("the example parses");
    let mut out = Vec::new();
    walk(&mut Vec::new(), &table, &mut out);
    assert!(!out.is_empty(), "{} has keys", path.display());
    out
}

fn toml_value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(toml::Value::Integer),
        (-5i64..70_000).prop_map(toml::Value::Integer),
        any::<f64>().prop_map(toml::Value::Float),
        (-200.0f64..200.0).prop_map(toml::Value::Float),
        any::<bool>().prop_map(toml::Value::Boolean),
        "\\PC{0,24}".prop_map(toml::Value::String),
        prop::sample::select(
            &[
                "auto",
                "2.4M",
                "2.0M",
                "0.0.0.0:30005",
                "127.0.0.1:0",
                "[::1]:8080",
                "vhf",
                "vdl2",
                "rtlsdr",
                "replay",
                "simulator",
                "private",
                "hybrid",
                "1e9",
                "",
                "GB",
                "x",
                "ssh-ed25519 AAAA me@host",
                "/nonexistent/file",
            ][..]
        )
        .prop_map(|s| toml::Value::String(s.to_string())),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(toml::Value::Array)
    })
}

/// A file of `picks` of the example's keys, some with their values swapped.
fn mutated(
    example: &[(Vec<String>, toml::Value)],
    picks: &[(prop::sample::Index, Option<toml::Value>)],
) -> String {
    let mut root = toml::Table::new();
    for (index, swap) in picks {
        let (path, value) = &example[index.index(example.len())];
        let mut table = &mut root;
        for part in &path[..path.len() - 1] {
            let entry = table
                .entry(part.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            table = entry.as_table_mut().expect("a table");
        }
        let key = path.last().expect("a key").clone();
        table.insert(key, swap.clone().unwrap_or_else(|| value.clone()));
    }
    toml::to_string(&root).unwrap_or_default()
}

fn picks() -> impl Strategy<Value = Vec<(prop::sample::Index, Option<toml::Value>)>> {
    prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            prop::option::weighted(0.5, toml_value()),
        ),
        0..16,
    )
}

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn config_files(picks in picks(), noise in "\\PC{0,200}") {
        thread_local!(static EXAMPLE: Vec<(Vec<String>, toml::Value)> =
            leaves(&root().join("systemd/skyspy.toml")));
        EXAMPLE.with(|e| skyspy::fuzz::config(&mutated(e, &picks)));
        skyspy::fuzz::config(&noise);
    }

    #[test]
    fn boot_settings_files(picks in picks(), noise in "\\PC{0,200}") {
        thread_local!(static EXAMPLE: Vec<(Vec<String>, toml::Value)> =
            leaves(&root().join("image/skyspy.toml")));
        EXAMPLE.with(|e| skyspy::fuzz::boot_settings(&mutated(e, &picks)));
        // The [system] keys with any text: nothing may reach a line of its own.
        let text = format!(
            "[system]\nhostname = {0}\nwifi_ssid = {0}\nwifi_password = {0}\nwifi_country = \"GB\"\nssh_keys = [{0}]\n",
            toml::Value::String(noise.clone())
        );
        skyspy::fuzz::boot_settings(&text);
        skyspy::fuzz::boot_settings(&noise);
    }

    #[test]
    fn aircraft_database_lines(
        plane_alert in any::<bool>(),
        rows in prop::collection::vec(
            prop::collection::vec(
                prop_oneof!["[0-9a-fA-F]{0,7}", "[A-Za-z0-9 \"',;.-]{0,12}", "\\PC{0,8}"],
                0..12,
            ),
            0..20,
        ),
    ) {
        let sep = if plane_alert { "," } else { ";" };
        let mut text = if plane_alert { "$ICAO,$Registration,$Operator,$Type,$ICAO Type,#CMPG,$Tag 1,$#Tag 2,$#Tag 3,Category,$#Link\n".to_string() } else { String::new() };
        for r in &rows {
            text.push_str(&r.join(sep));
            text.push('\n');
        }
        skyspy::fuzz::aircraft_db(text.as_bytes());
    }

    #[test]
    fn rule_files(rules in prop::collection::vec(rule(), 0..4), version in any::<u32>()) {
        let text = json!({"version": version, "rules": rules}).to_string();
        skyspy::fuzz::rules_file(&text);
    }

    #[test]
    fn transcription_answers(text in any::<Option<String>>(), logprobs in prop::collection::vec(any::<f64>(), 0..4)) {
        let segments: Vec<Value> = logprobs
            .iter()
            .map(|p| if p.is_finite() { json!({"avg_logprob": p}) } else { json!({"avg_logprob": "x"}) })
            .collect();
        skyspy::fuzz::transcript(json!({"text": text, "segments": segments}).to_string().as_bytes());
    }

    #[test]
    fn hex_lines(prefix in prop::sample::select(&["", "*", "@", "@0011223344", " "][..]), digits in "[0-9a-fA-F+ -]{0,30}", end in prop::sample::select(&["", ";", ";;", "\r"][..])) {
        skyspy::fuzz::hex_line(&format!("{prefix}{digits}{end}"));
    }
}

fn condition() -> impl Strategy<Value = Value> {
    let kinds = prop::sample::select(
        &[
            "icao",
            "callsign",
            "squawk",
            "category",
            "registration",
            "aircraft_type",
            "operator",
            "altitude",
            "speed",
            "vertical_rate",
            "distance",
            "emergency",
            "military",
            "geofence",
            "nothing",
        ][..],
    );
    let operators = prop::sample::select(
        &[
            "eq",
            "neq",
            "lt",
            "le",
            "gt",
            "ge",
            "contains",
            "startswith",
            "endswith",
            "regex",
            "entering",
            "leaving",
            "inside",
            "??",
        ][..],
    );
    let values = prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::from),
        prop::sample::select(&["^RYR", "(a+)+$", "[", "7700", "4CA", ".*"][..])
            .prop_map(Value::from),
        prop::collection::vec((-95.0f64..95.0, -185.0f64..185.0), 0..6)
            .prop_map(|pts| json!(pts.iter().map(|(a, b)| json!([a, b])).collect::<Vec<_>>())),
        (-95.0f64..95.0, -185.0f64..185.0, -5.0f64..500.0)
            .prop_map(|(lat, lon, r)| json!({"lat": lat, "lon": lon, "radius_nm": r})),
    ];
    (kinds, operators, values).prop_map(|(k, o, v)| json!({"type": k, "operator": o, "value": v}))
}

fn rule() -> impl Strategy<Value = Value> {
    let logic = prop::sample::select(&["AND", "OR", "and", "xor"][..]);
    let group = (logic.clone(), prop::collection::vec(condition(), 0..4))
        .prop_map(|(l, c)| json!({"logic": l, "conditions": c}));
    (
        "\\PC{0,20}",
        prop::sample::select(&["info", "warning", "critical", "loud"][..]),
        prop_oneof![Just(json!(300.0)), any::<f64>().prop_map(|f| json!(f))],
        any::<u64>(),
        logic,
        prop::collection::vec(group, 0..3),
    )
        .prop_map(|(name, priority, cooldown, id, l, groups)| {
            json!({"id": id, "name": name, "priority": priority, "cooldown_s": cooldown,
                   "conditions": {"logic": l, "groups": groups}})
        })
}
