//! systemd/skyspy.toml, the example installed as /etc/skyspy/skyspy.toml, stays true: it
//! parses and validates, states every key the daemon has, and its values are the defaults
//! (but for the rules file, which it puts in the service's state directory).

use skyspy::config::Config;
use std::collections::BTreeSet;

fn keys(v: &toml::Value, prefix: &str, out: &mut BTreeSet<String>) {
    if let toml::Value::Table(t) = v {
        for (k, v) in t {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            keys(v, &path, out);
            out.insert(path);
        }
    }
}

#[test]
fn the_example_config_states_every_key_with_its_default() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../systemd/skyspy.toml");
    let text = std::fs::read_to_string(&path).expect("systemd/skyspy.toml");
    let example = Config::load(&path).expect("the example is a valid config");
    let mut want = Config::default();
    want.alerts.rules_file = "/var/lib/skyspy/alert-rules.json".into();
    assert_eq!(example, want);

    let mut have = BTreeSet::new();
    keys(&toml::from_str(&text).expect("toml"), "", &mut have);
    let mut defaults = BTreeSet::new();
    keys(
        &toml::Value::try_from(Config::default()).expect("serialises"),
        "",
        &mut defaults,
    );
    let missing: Vec<_> = defaults.difference(&have).collect();
    assert!(
        missing.is_empty(),
        "keys the example leaves out: {missing:?}"
    );
}
