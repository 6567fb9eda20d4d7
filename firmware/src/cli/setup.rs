//! `skyspy setup`: applies the settings file a user edits on the SD card's FAT boot partition
//! (`/boot/firmware/skyspy.toml`) before the card's first boot, and again whenever it changes.
//!
//! The file is the daemon's own configuration plus one `[system]` table for the appliance:
//!
//! ```toml
//! [system]
//! hostname = "skyspy"            # the web UI is at http://skyspy.local:8080/
//! wifi_ssid = "HomeNetwork"      # leave out (or "") for wired Ethernet only
//! wifi_password = "secret"       # 8..63 characters; "" for an open network
//! wifi_country = "GB"            # ISO 3166 code: which channels the radio may use
//! ssh_keys = ["ssh-ed25519 AAAA... me@laptop"]   # SSH as root is off until a key is here
//!
//! [receiver]                     # from here on: /etc/skyspy/skyspy.toml's keys
//! lat = 51.47
//! lon = -0.45
//! ```
//!
//! Everything is checked before anything is written, so a mistake changes nothing: the error
//! names the key, goes to the journal and to `skyspy-setup-error.txt` beside the file (where a
//! user looking at the card on another computer sees it), and the card keeps running on its
//! previous settings. A file that has not changed since it was last applied is left alone.

use crate::config::{Config, ConfigError};
use serde::Deserialize;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Where the applied copy is kept, to tell a changed file from one already applied.
const APPLIED: &str = "var/lib/skyspy-setup/applied.toml";
/// The error report written beside the settings file.
pub const ERROR_FILE: &str = "skyspy-setup-error.txt";

#[derive(clap::Args, Debug)]
pub struct SetupArgs {
    /// The settings file (the daemon's config plus a `[system]` table).
    #[arg(long, default_value = "/boot/firmware/skyspy.toml")]
    pub settings: PathBuf,
    /// Apply to the system under this folder instead of / (for building and testing images).
    #[arg(long, default_value = "/")]
    pub root: PathBuf,
}

/// A settings file that cannot be applied; the message names the key.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid setting {key}: {message}")]
    Invalid { key: String, message: String },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("writing {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// The appliance settings: the `[system]` table.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct System {
    pub hostname: Option<String>,
    pub wifi_ssid: Option<String>,
    pub wifi_password: Option<String>,
    pub wifi_country: Option<String>,
    pub ssh_keys: Vec<String>,
}

/// A checked settings file, ready to write.
#[derive(Debug)]
pub struct Settings {
    pub system: System,
    /// The daemon's configuration as text, if the file had any of its keys.
    pub daemon: Option<String>,
}

/// What `apply` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Unchanged,
    NoFile,
}

impl Settings {
    /// Parses and checks a settings file's text; nothing is written.
    pub fn parse(text: &str, path: &Path) -> Result<Settings, SetupError> {
        let parse_error = |message: String| SetupError::Parse {
            path: path.to_owned(),
            message,
        };
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| parse_error(e.to_string()))?;
        let system = match table.remove("system") {
            None => System::default(),
            Some(v) => v
                .try_into::<System>()
                .map_err(|e| parse_error(format!("[system]: {e}")))?,
        };
        system.check()?;
        let daemon = if table.is_empty() {
            None
        } else {
            let text = toml::to_string(&table).map_err(|e| parse_error(e.to_string()))?;
            Config::parse(&text, path)?;
            Some(text)
        };
        Ok(Settings { system, daemon })
    }
}

impl System {
    fn check(&self) -> Result<(), SetupError> {
        let bad = |key: &str, message: &str| {
            Err(SetupError::Invalid {
                key: format!("system.{key}"),
                message: message.to_owned(),
            })
        };
        if let Some(h) = &self.hostname {
            if !valid_hostname(h) {
                return bad(
                    "hostname",
                    "must be 1..63 letters, digits and '-', not starting or ending with '-'",
                );
            }
        }
        let ssid = self.wifi_ssid.as_deref().unwrap_or("");
        if ssid.len() > 32 {
            return bad("wifi_ssid", "must be at most 32 bytes");
        }
        if let Some(p) = &self.wifi_password {
            let printable = p.bytes().all(|b| (0x20..0x7f).contains(&b));
            let open = p.is_empty();
            if !(open || printable && (8..=63).contains(&p.len())) {
                return bad(
                    "wifi_password",
                    "must be 8..63 printable ASCII characters (or \"\" for an open network)",
                );
            }
        }
        if let Some(c) = &self.wifi_country {
            if !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())) {
                return bad(
                    "wifi_country",
                    "must be a two-letter country code such as \"GB\"",
                );
            }
        }
        if !ssid.is_empty() && self.wifi_country.is_none() {
            return bad(
                "wifi_country",
                "is needed with wifi_ssid: it decides which channels the radio may use",
            );
        }
        for key in &self.ssh_keys {
            let mut words = key.split_whitespace();
            let kind = words.next().unwrap_or("");
            let known =
                kind.starts_with("ssh-") || kind.starts_with("ecdsa-") || kind.starts_with("sk-");
            if !known || words.next().is_none() || key.contains(['\n', '\r']) {
                return bad(
                    "ssh_keys",
                    "each entry must be one public key line, e.g. \"ssh-ed25519 AAAA... me@laptop\"",
                );
            }
        }
        Ok(())
    }
}

/// RFC 1123 host name label.
fn valid_hostname(h: &str) -> bool {
    (1..=63).contains(&h.len())
        && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !h.starts_with('-')
        && !h.ends_with('-')
}

/// `/etc/wpa_supplicant/wpa_supplicant-wlan0.conf`: the SSID as hex (no quoting to get
/// wrong), the passphrase quoted (wpa_supplicant takes everything up to the line's last quote,
/// and the check above allows no line breaks).
fn wpa_conf(ssid: &str, password: &str, country: &str) -> String {
    let hex = ::hex::encode(ssid);
    let auth = if password.is_empty() {
        "    key_mgmt=NONE\n".to_owned()
    } else {
        format!("    psk=\"{password}\"\n")
    };
    format!(
        "# Written by skyspy setup from the boot partition's skyspy.toml; edit that file.\n\
         ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev\n\
         update_config=0\n\
         country={country}\n\
         network={{\n    ssid={hex}\n    scan_ssid=1\n{auth}}}\n"
    )
}

/// `/root/.ssh/authorized_keys`: one checked key per line.
fn authorized_keys(keys: &[String]) -> String {
    let mut text =
        String::from("# Written by skyspy setup from the boot partition's skyspy.toml.\n");
    for k in keys {
        text.push_str(k.trim());
        text.push('\n');
    }
    text
}

/// A settings file's text on arbitrary input (the fuzz target and its property test): it is
/// refused with the key named, or every file it would write has the shape it must (a value
/// cannot add a line to wpa_supplicant's file, the hosts file or root's keys).
#[doc(hidden)]
pub fn exercise(text: &str) {
    let s = match Settings::parse(text, Path::new("skyspy.toml")) {
        Ok(s) => s,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let sys = &s.system;
    if let Some(h) = &sys.hostname {
        assert!(valid_hostname(h));
        let old = "127.0.0.1\tlocalhost\n127.0.1.1\told\n";
        let hosts = hosts(old, h);
        assert_eq!(hosts.lines().count(), 2, "{hosts:?}");
        assert_eq!(
            hosts.lines().last(),
            Some(format!("127.0.1.1\t{h}").as_str())
        );
    }
    if let Some(ssid) = sys.wifi_ssid.as_deref().filter(|s| !s.is_empty()) {
        let password = sys.wifi_password.as_deref().unwrap_or("");
        let country = sys.wifi_country.as_deref().unwrap_or("");
        let conf = wpa_conf(ssid, password, country);
        assert_eq!(conf.lines().count(), 9, "{conf:?}");
        assert_eq!(conf.matches("network={").count(), 1, "{conf:?}");
    }
    let keys = authorized_keys(&sys.ssh_keys);
    assert_eq!(keys.lines().count(), 1 + sys.ssh_keys.len(), "{keys:?}");
}

/// `/etc/hosts` with this host's name on 127.0.1.1 (Debian's convention).
fn hosts(old: &str, hostname: &str) -> String {
    let mut out: String = old
        .lines()
        .filter(|l| !l.starts_with("127.0.1.1"))
        .map(|l| format!("{l}\n"))
        .collect();
    out.push_str(&format!("127.0.1.1\t{hostname}\n"));
    out
}

/// Reads the settings file and, if it changed since it was last applied, applies it to the
/// system under `root`. On a bad file nothing is written but the error report.
pub fn apply(settings_path: &Path, root: &Path) -> Result<Outcome, SetupError> {
    let text = match fs::read_to_string(settings_path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Outcome::NoFile),
        Err(e) => {
            return Err(SetupError::Parse {
                path: settings_path.to_owned(),
                message: e.to_string(),
            })
        }
    };
    let report = settings_path.with_file_name(ERROR_FILE);
    let applied = root.join(APPLIED);
    if fs::read_to_string(&applied).ok().as_deref() == Some(text.as_str()) {
        return Ok(Outcome::Unchanged);
    }
    let settings = match Settings::parse(&text, settings_path) {
        Ok(s) => s,
        Err(e) => {
            // Best effort: the boot partition may be read-only; the journal has it anyway.
            let _ = fs::write(&report, format!("skyspy setup: {e}\n"));
            return Err(e);
        }
    };
    write_system(&settings, root)?;
    write(&applied, &text, 0o600)?;
    if report.exists() {
        let _ = fs::remove_file(&report);
    }
    Ok(Outcome::Applied)
}

fn write_system(s: &Settings, root: &Path) -> Result<(), SetupError> {
    let sys = &s.system;
    if let Some(h) = &sys.hostname {
        write(&root.join("etc/hostname"), &format!("{h}\n"), 0o644)?;
        let old = fs::read_to_string(root.join("etc/hosts")).unwrap_or_default();
        write(&root.join("etc/hosts"), &hosts(&old, h), 0o644)?;
    }
    let wpa = root.join("etc/wpa_supplicant/wpa_supplicant-wlan0.conf");
    match sys.wifi_ssid.as_deref().filter(|s| !s.is_empty()) {
        Some(ssid) => {
            let password = sys.wifi_password.as_deref().unwrap_or("");
            let country = sys.wifi_country.as_deref().unwrap_or("");
            write(&wpa, &wpa_conf(ssid, password, country), 0o600)?;
        }
        None => remove(&wpa)?,
    }
    let keys = root.join("root/.ssh/authorized_keys");
    if sys.ssh_keys.is_empty() {
        remove(&keys)?;
    } else {
        write(&keys, &authorized_keys(&sys.ssh_keys), 0o600)?;
        set_mode(&root.join("root/.ssh"), 0o700)?;
    }
    if let Some(daemon) = &s.daemon {
        let text = format!(
            "# Written by skyspy setup from the boot partition's skyspy.toml; edit that file\n\
             # (keys not given there take their defaults: see skyspy.toml.example).\n\n{daemon}"
        );
        write(&root.join("etc/skyspy/skyspy.toml"), &text, 0o644)?;
    }
    Ok(())
}

/// Writes a file whole: a temporary beside it, then a rename, so power lost midway leaves
/// the old file.
fn write(path: &Path, text: &str, mode: u32) -> Result<(), SetupError> {
    let err = |source| SetupError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension("skyspy-tmp");
    fs::write(&tmp, text).map_err(err)?;
    set_mode(&tmp, mode)?;
    fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(err)?;
    fs::rename(&tmp, path).map_err(err)
}

fn set_mode(path: &Path, mode: u32) -> Result<(), SetupError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|source| {
        SetupError::Write {
            path: path.to_owned(),
            source,
        }
    })
}

fn remove(path: &Path) -> Result<(), SetupError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(SetupError::Write {
            path: path.to_owned(),
            source: e,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, SetupError> {
        Settings::parse(text, Path::new("skyspy.toml"))
    }

    fn invalid_key(text: &str) -> String {
        match parse(text) {
            Err(SetupError::Invalid { key, .. }) => key,
            Err(SetupError::Config(ConfigError::Invalid { key, .. })) => key.to_owned(),
            other => panic!("expected an invalid key, got {other:?}"),
        }
    }

    #[test]
    fn system_table_is_split_from_the_daemon_config() {
        let s =
            parse("[system]\nhostname = \"radar\"\n[receiver]\nlat = 51.5\nlon = -0.45\n").unwrap();
        assert_eq!(s.system.hostname.as_deref(), Some("radar"));
        let daemon = Config::parse(s.daemon.as_deref().unwrap(), Path::new("x")).unwrap();
        assert_eq!((daemon.receiver.lat, daemon.receiver.lon), (51.5, -0.45));
        assert!(parse("[system]\nhostname = \"radar\"\n")
            .unwrap()
            .daemon
            .is_none());
    }

    #[test]
    fn bad_values_name_their_key() {
        assert_eq!(
            invalid_key("[system]\nhostname = \"-bad\"\n"),
            "system.hostname"
        );
        assert_eq!(
            invalid_key("[system]\nhostname = \"a.b\"\n"),
            "system.hostname"
        );
        assert_eq!(
            invalid_key(
                "[system]\nwifi_ssid = \"x\"\nwifi_country = \"GB\"\nwifi_password = \"short\"\n"
            ),
            "system.wifi_password"
        );
        assert_eq!(
            invalid_key("[system]\nwifi_ssid = \"x\"\n"),
            "system.wifi_country"
        );
        assert_eq!(
            invalid_key("[system]\nwifi_country = \"gb\"\n"),
            "system.wifi_country"
        );
        assert_eq!(
            invalid_key("[system]\nssh_keys = [\"hello\"]\n"),
            "system.ssh_keys"
        );
        assert_eq!(invalid_key("[receiver]\nlat = 91.0\n"), "receiver.lat");
        assert!(matches!(
            parse("[system]\nhostnme = \"x\"\n"),
            Err(SetupError::Parse { message, .. }) if message.contains("hostnme")
        ));
        assert!(matches!(
            parse("[system]\nssh_keys = \"ssh-ed25519 AAAA\"\n"),
            Err(SetupError::Parse { .. })
        ));
        assert!(matches!(
            parse("[reciever]\nlat = 1.0\n"),
            Err(SetupError::Config(_))
        ));
        assert!(matches!(
            parse("hostname = "),
            Err(SetupError::Parse { .. })
        ));
    }

    #[test]
    fn wpa_conf_carries_any_ssid_and_passphrase_safely() {
        let c = wpa_conf("Café \"5G\"", "pa\"ss word", "DE");
        assert!(c.contains("    ssid=436166c3a92022354722\n"), "{c}");
        assert!(c.contains("    psk=\"pa\"ss word\"\n"));
        assert!(c.contains("country=DE\n"));
        assert!(wpa_conf("Open", "", "US").contains("key_mgmt=NONE"));
    }

    #[test]
    fn hosts_gets_one_line_for_the_name() {
        let old = "127.0.0.1\tlocalhost\n127.0.1.1\tskyspy\n::1\tlocalhost\n";
        assert_eq!(
            hosts(old, "radar"),
            "127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.1.1\tradar\n"
        );
    }

    #[test]
    fn applies_once_changes_nothing_on_error_and_reports_beside_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let boot = dir.path().join("boot");
        fs::create_dir_all(root.join("etc")).unwrap();
        fs::create_dir_all(&boot).unwrap();
        fs::write(
            root.join("etc/hosts"),
            "127.0.0.1\tlocalhost\n127.0.1.1\tskyspy\n",
        )
        .unwrap();
        let file = boot.join("skyspy.toml");
        assert_eq!(apply(&file, &root).unwrap(), Outcome::NoFile);

        let good =
            "[system]\nhostname = \"radar\"\nwifi_ssid = \"Home\"\nwifi_password = \"12345678\"\n\
                    wifi_country = \"GB\"\nssh_keys = [\"ssh-ed25519 AAAAC3Nza me@laptop\"]\n\
                    [receiver]\nlat = 51.5\nlon = -0.45\n";
        fs::write(&file, good).unwrap();
        assert_eq!(apply(&file, &root).unwrap(), Outcome::Applied);
        assert_eq!(
            fs::read_to_string(root.join("etc/hostname")).unwrap(),
            "radar\n"
        );
        assert!(fs::read_to_string(root.join("etc/hosts"))
            .unwrap()
            .ends_with("127.0.1.1\tradar\n"));
        let wpa = root.join("etc/wpa_supplicant/wpa_supplicant-wlan0.conf");
        assert!(fs::read_to_string(&wpa).unwrap().contains("ssid=486f6d65"));
        let keys = fs::read_to_string(root.join("root/.ssh/authorized_keys")).unwrap();
        assert!(keys.ends_with("ssh-ed25519 AAAAC3Nza me@laptop\n"));
        let config = Config::load(&root.join("etc/skyspy/skyspy.toml")).unwrap();
        assert_eq!(config.receiver.lat, 51.5);
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&wpa), 0o600);
        assert_eq!(mode(&root.join("root/.ssh")), 0o700);
        assert_eq!(apply(&file, &root).unwrap(), Outcome::Unchanged);

        // A mistake: nothing changes, the report says why, and fixing it clears the report.
        fs::write(&file, good.replace("radar", "ra_dar")).unwrap();
        let e = apply(&file, &root).unwrap_err();
        assert!(e.to_string().contains("system.hostname"), "{e}");
        let report = fs::read_to_string(boot.join(ERROR_FILE)).unwrap();
        assert!(report.contains("system.hostname"), "{report}");
        assert_eq!(
            fs::read_to_string(root.join("etc/hostname")).unwrap(),
            "radar\n"
        );

        // Wi-Fi and SSH taken out again: their files go, so both services stay off.
        fs::write(&file, "[system]\nhostname = \"radar2\"\n").unwrap();
        assert_eq!(apply(&file, &root).unwrap(), Outcome::Applied);
        assert!(!wpa.exists());
        assert!(!root.join("root/.ssh/authorized_keys").exists());
        assert!(!boot.join(ERROR_FILE).exists());
        assert!(
            Config::load(&root.join("etc/skyspy/skyspy.toml")).is_ok(),
            "daemon config kept"
        );
    }

    #[test]
    fn the_example_in_the_image_applies() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../image/skyspy.toml");
        let text = fs::read_to_string(&path).unwrap();
        let s = Settings::parse(&text, &path).unwrap();
        assert_eq!(s.system.hostname.as_deref(), Some("skyspy"));
        assert!(s.daemon.is_some());
    }
}
