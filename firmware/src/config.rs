//! The daemon's configuration: a TOML file (every key optional, defaults below), then the
//! command-line flags on top. A file that does not parse, an unknown key, or a value out of
//! range is a [`ConfigError`] naming the key; `skyspy run` exits with code 64 (EX_USAGE) on
//! it, and the systemd unit does not restart on that code.
//!
//! ```toml
//! [receiver]
//! lat = 52.31          # receiver position (decimal degrees); used for ranges and surface CPR
//! lon = 4.76
//!
//! [source]
//! kind = "auto"        # auto | rtlsdr | soapysdr | simulator | replay
//!                      # auto: RTL-SDR radios if a dongle is plugged in, else the simulator
//! file = "capture.cu8" # replay: the IQ file
//! format = "cu8"       # replay: cu8 | cs16 | cf32
//! rate = "2.4M"        # replay: 2.4M | 2.0M (1090 MHz; 978 MHz is always 2.083333M)
//! band = 1090          # replay: 1090 (Mode S / ADS-B) | 978 (UAT)
//! speed = 1.0          # replay: real-time multiple
//! loop = false         # replay: start again at the end
//! also = []            # replay: more recordings, [{file, band, format?, rate?}], one per band
//!
//! [radio.1090]         # the dongle for 1090 MHz (kind auto or rtlsdr)
//! device = 0           # index on the bus, or its serial number as a string ("00001090")
//! gain = "auto"        # "auto", or dB (the nearest step the tuner has)
//! ppm = 0              # frequency correction
//! bias_tee = false     # power a mast LNA through the coax
//!
//! [radio.978]          # a second dongle for 978 MHz UAT: off until a device is set
//! # device = "00000978"
//!
//! [simulator]
//! aircraft = 40        # simulated 1090 MHz aircraft around the receiver position
//! uat_aircraft = 10    # simulated 978 MHz UAT aircraft
//! fisb = true          # a simulated FIS-B ground station (a TFR, a NOTAM, a METAR)
//! seed = 1
//! emergency = true           # one aircraft squawks 7700 for a while
//! emergency_after_s = 30.0   # ... starting this long after start
//! emergency_for_s = 60.0
//!
//! [api]
//! listen = "0.0.0.0:8080"
//! auth = "public"      # public | private | hybrid
//! tokens = []          # accepted `auth.token` values (private / hybrid)
//! aircraft_hz = 10.0   # most aircraft deltas per second per client
//! stats_hz = 0.1       # stats:tick per second per client
//! batch_window_ms = 200
//! ping_interval_s = 25
//! ping_timeout_s = 20
//! client_queue = 64    # packets queued per client before it counts as stalled
//!
//! [feeds]             # TCP feeds; "" turns one off
//! raw = "0.0.0.0:30002"     # *HEX; lines
//! sbs = "0.0.0.0:30003"     # SBS/BaseStation MSG lines
//! beast = "0.0.0.0:30005"   # Beast binary, 12 MHz timestamps
//! uat_raw = "0.0.0.0:30978" # dump978 raw lines
//!
//! [alerts]
//! rules_file = "alert-rules.json"
//! ```

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A configuration that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid setting {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

#[derive(Clone, Debug, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub receiver: ReceiverConfig,
    pub source: SourceConfig,
    pub radio: RadiosConfig,
    pub simulator: SimulatorConfig,
    pub api: ApiConfig,
    pub feeds: FeedsConfig,
    pub alerts: AlertsConfig,
    pub acars: AcarsConfig,
    pub audio: AudioConfig,
    pub aircraft_db: AircraftDbConfig,
    pub cannonball: CannonballConfig,
}

#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ReceiverConfig {
    pub lat: f64,
    pub lon: f64,
}

impl Default for ReceiverConfig {
    /// Schiphol, where the simulator's traffic is by default.
    fn default() -> Self {
        Self {
            lat: 52.31,
            lon: 4.76,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// RTL-SDR radios if a dongle is plugged in at start, else the simulator.
    #[default]
    Auto,
    /// RTL-SDR radios for the configured bands, waited for if absent.
    Rtlsdr,
    /// SoapySDR devices for the configured bands (a build with the `soapysdr` feature).
    Soapysdr,
    Simulator,
    Replay,
}

/// A band the daemon receives: 1090 MHz Mode S / ADS-B, 978 MHz UAT, the VHF airband
/// (ACARS, VDL2, voice), or VDL2's 136–137 MHz: a second VHF dongle, since VDL2's channels
/// sit 5 MHz above the ACARS ones, farther than one dongle spans. Written `1090`, `978`,
/// `"vhf"` or `"vdl2"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Band {
    #[default]
    Modes,
    Uat,
    Vhf,
    Vdl2,
}

impl Band {
    pub const ALL: [Band; 4] = [Band::Modes, Band::Uat, Band::Vhf, Band::Vdl2];

    /// "1090", "978", "vhf" or "vdl2": how the API and the config name it.
    pub fn name(self) -> &'static str {
        match self {
            Band::Modes => "1090",
            Band::Uat => "978",
            Band::Vhf => "vhf",
            Band::Vdl2 => "vdl2",
        }
    }

    /// A VHF dongle's band: channels through the channelizer.
    pub fn is_vhf(self) -> bool {
        matches!(self, Band::Vhf | Band::Vdl2)
    }
}

impl std::fmt::Display for Band {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Band {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Band::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| format!("{s:?} is not a band: 1090, 978, vhf or vdl2"))
    }
}

impl serde::Serialize for Band {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Band::Modes => s.serialize_u16(1090),
            Band::Uat => s.serialize_u16(978),
            Band::Vhf => s.serialize_str("vhf"),
            Band::Vdl2 => s.serialize_str("vdl2"),
        }
    }
}

impl<'de> Deserialize<'de> for Band {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Number(n) => n.to_string(),
            Raw::Text(t) => t,
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The radio of each band.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RadiosConfig {
    #[serde(rename = "1090")]
    pub modes: RadioConfig,
    #[serde(rename = "978")]
    pub uat: RadioConfig,
    pub vhf: VhfConfig,
    /// The VDL2 dongle: a VHF dongle whose channels default to VDL2's.
    pub vdl2: VhfConfig,
}

impl Default for RadiosConfig {
    fn default() -> Self {
        Self {
            modes: RadioConfig {
                device: Some(DeviceSelector::Index(0)),
                ..RadioConfig::default()
            },
            uat: RadioConfig::default(),
            vhf: VhfConfig::default(),
            vdl2: VhfConfig::vdl2(),
        }
    }
}

/// What a VHF channel carries.
#[derive(Clone, Copy, Debug, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// ACARS (ARINC 618, AM-MSK at 2,400 bit/s) on a 25 kHz channel.
    Acars,
    /// VDL Mode 2 (D8PSK at 10,500 symbols/s) on a 25 kHz channel.
    Vdl2,
    /// Voice (double-sideband AM) on a 25 kHz or 8.33 kHz channel.
    Am,
}

impl ChannelKind {
    pub fn name(self) -> &'static str {
        match self {
            ChannelKind::Acars => "acars",
            ChannelKind::Vdl2 => "vdl2",
            ChannelKind::Am => "am",
        }
    }
}

/// A voice channel's squelch: `"auto"` (the default: it tracks the channel's noise floor),
/// `"open"`, `"closed"`, or the open threshold in dB over the floor (e.g. `15`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Squelch {
    #[default]
    Auto,
    Open,
    Closed,
    Threshold(f32),
}

impl serde::Serialize for Squelch {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Squelch::Auto => s.serialize_str("auto"),
            Squelch::Open => s.serialize_str("open"),
            Squelch::Closed => s.serialize_str("closed"),
            Squelch::Threshold(db) => s.serialize_f32(*db),
        }
    }
}

impl<'de> Deserialize<'de> for Squelch {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(f64),
        }
        let bad = |what: String| {
            serde::de::Error::custom(format!(
                "squelch must be \"auto\", \"open\", \"closed\" or dB over the floor (3–40), not {what}"
            ))
        };
        match Raw::deserialize(d)? {
            Raw::Text(t) => match t.as_str() {
                "auto" => Ok(Squelch::Auto),
                "open" => Ok(Squelch::Open),
                "closed" => Ok(Squelch::Closed),
                _ => Err(bad(format!("{t:?}"))),
            },
            Raw::Number(db) if (3.0..=40.0).contains(&db) => Ok(Squelch::Threshold(db as f32)),
            Raw::Number(db) => Err(bad(db.to_string())),
        }
    }
}

/// One VHF channel: `{frequency = 131.55, kind = "acars"}` (MHz). A voice channel's frequency
/// may be its 8.33 kHz label (127.105) or the exact frequency (127.10833).
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    pub frequency: f64,
    pub kind: ChannelKind,
    /// A name for the UI ("KSFO Tower"); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A voice channel's squelch.
    #[serde(default, skip_serializing_if = "is_auto")]
    pub squelch: Squelch,
}

fn is_auto(s: &Squelch) -> bool {
    *s == Squelch::Auto
}

impl ChannelConfig {
    pub fn new(frequency: f64, kind: ChannelKind) -> Self {
        Self {
            frequency,
            kind,
            name: None,
            squelch: Squelch::Auto,
        }
    }
}

impl PlannedChannel {
    /// The channel as it was configured.
    pub fn config(&self) -> ChannelConfig {
        ChannelConfig {
            frequency: self.label_mhz,
            kind: self.kind,
            name: self.name.clone(),
            squelch: self.squelch,
        }
    }
}

/// A channel of a checked plan: its exact frequency and spacing.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedChannel {
    /// As configured (a voice channel's label, e.g. 127.105).
    pub label_mhz: f64,
    pub frequency_hz: f64,
    pub width_hz: f64,
    pub kind: ChannelKind,
    pub name: Option<String>,
    pub squelch: Squelch,
}

/// The VHF band's dongle and channel plan (also the plan of a VHF replay).
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct VhfConfig {
    /// Which device; none: no VHF radio.
    pub device: Option<DeviceSelector>,
    /// Tuning (MHz), or "auto": the centre that keeps every channel inside the band, off DC
    /// and off each other's images.
    pub centre: VhfCentre,
    /// Sample rate: "2.5M" and the like (1.0M–3.2M).
    pub rate: String,
    pub gain: Gain,
    pub ppm: i32,
    pub bias_tee: bool,
    pub channels: Vec<ChannelConfig>,
}

/// `centre = "auto"` or a frequency in MHz.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum VhfCentre {
    #[default]
    Auto,
    Mhz(f64),
}

impl serde::Serialize for VhfCentre {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            VhfCentre::Auto => s.serialize_str("auto"),
            VhfCentre::Mhz(f) => s.serialize_f64(*f),
        }
    }
}

impl<'de> Deserialize<'de> for VhfCentre {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(f64),
        }
        match Raw::deserialize(d)? {
            Raw::Text(t) if t == "auto" => Ok(VhfCentre::Auto),
            Raw::Number(n) => Ok(VhfCentre::Mhz(n)),
            Raw::Text(t) => Err(serde::de::Error::custom(format!(
                "centre must be \"auto\" or a frequency in MHz, not {t:?}"
            ))),
        }
    }
}

/// The six US ACARS channels: what a VHF band listens to when no channel is configured
/// (and what the simulator sends on).
pub const US_ACARS_MHZ: [f64; 6] = [129.125, 130.025, 130.425, 130.450, 131.125, 131.550];

/// The VDL2 channels in use in Europe and North America, the common signalling channel
/// (136.975) among them: what the VDL2 dongle listens to when no channel is configured.
pub const VDL2_MHZ: [f64; 7] = [
    136.650, 136.725, 136.775, 136.800, 136.825, 136.875, 136.975,
];

impl Default for VhfConfig {
    fn default() -> Self {
        Self {
            device: None,
            centre: VhfCentre::Auto,
            rate: "2.5M".into(),
            gain: Gain::Auto,
            ppm: 0,
            bias_tee: false,
            channels: US_ACARS_MHZ
                .iter()
                .map(|&f| ChannelConfig::new(f, ChannelKind::Acars))
                .collect(),
        }
    }
}

/// A sample rate written "2.5M", "2500k" or 2500000, in Hz.
pub fn parse_rate(text: &str) -> Option<f64> {
    let t = text.trim();
    let (num, scale) = match t.chars().last()? {
        'M' | 'm' => (&t[..t.len() - 1], 1e6),
        'k' | 'K' => (&t[..t.len() - 1], 1e3),
        _ => (t, 1.0),
    };
    num.parse::<f64>()
        .ok()
        .map(|v| v * scale)
        .filter(|v| v.is_finite() && *v > 0.0)
}

/// A VHF band plan, checked: the tuning, the rate, and each channel's frequency (Hz).
#[derive(Clone, Debug, PartialEq)]
pub struct VhfPlan {
    pub centre_hz: f64,
    pub rate_hz: f64,
    pub channels: Vec<PlannedChannel>,
}

impl VhfPlan {
    /// One line per channel, as `run --check` prints it.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "VHF band: centre {:.4} MHz, {:.3} MS/s\n",
            self.centre_hz / 1e6,
            self.rate_hz / 1e6
        );
        for c in &self.channels {
            out.push_str(&format!(
                "  {:>8.3} MHz  {:<6} offset {:+9.1} kHz{}\n",
                c.label_mhz,
                c.kind.name(),
                (c.frequency_hz - self.centre_hz) / 1e3,
                c.name
                    .as_deref()
                    .map(|n| format!("  {n}"))
                    .unwrap_or_default()
            ));
        }
        out
    }
}

impl VhfConfig {
    /// `[radio.vdl2]`'s defaults: the VDL2 channels at 2.1 MS/s (40 × 52.5 kS/s, the
    /// channels' 5 samples a symbol).
    pub fn vdl2() -> Self {
        Self {
            rate: "2.1M".into(),
            channels: VDL2_MHZ
                .iter()
                .map(|&f| ChannelConfig::new(f, ChannelKind::Vdl2))
                .collect(),
            ..Self::default()
        }
    }

    /// The plan these settings make: the channels checked against the band's edges, the DC
    /// spike and each other's images, and `auto` resolved. The error names the channel.
    pub fn plan(&self, key: &'static str) -> Result<VhfPlan, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid { key, message };
        let rate_hz = parse_rate(&self.rate)
            .filter(|r| (1.0e6..=3.2e6).contains(r))
            .ok_or_else(|| invalid(format!("rate must be 1.0M..3.2M, not {:?}", self.rate)))?;
        if self.channels.is_empty() {
            return Err(invalid("channels: at least one channel is needed".into()));
        }
        let mut channels = Vec::with_capacity(self.channels.len());
        for c in &self.channels {
            let (frequency_hz, width_hz) = match c.kind {
                ChannelKind::Acars | ChannelKind::Vdl2 => (c.frequency * 1e6, 25_000.0),
                ChannelKind::Am => dsp::vhf::am::parse_label(c.frequency)
                    .map_err(|e| invalid(format!("channel {}: {e}", c.frequency)))?,
            };
            if c.kind != ChannelKind::Am && c.squelch != Squelch::Auto {
                return Err(invalid(format!(
                    "channel {} MHz: only a voice (am) channel has a squelch",
                    c.frequency
                )));
            }
            channels.push(PlannedChannel {
                label_mhz: c.frequency,
                frequency_hz,
                width_hz,
                kind: c.kind,
                name: c.name.clone(),
                squelch: c.squelch,
            });
        }
        let planned: Vec<dsp::vhf::plan::Planned> = channels
            .iter()
            .map(|c| dsp::vhf::plan::Planned {
                frequency_hz: c.frequency_hz,
                width_hz: c.width_hz,
            })
            .collect();
        for c in &self.channels {
            if !(108.0..=137.0).contains(&c.frequency) {
                return Err(invalid(format!(
                    "channel {} MHz is outside the VHF airband (108–137 MHz)",
                    c.frequency
                )));
            }
            if c.kind == ChannelKind::Vdl2 {
                dsp::vhf::vdl2::channel(0.0, rate_hz)
                    .map_err(|e| invalid(format!("channel {} MHz: {e}", c.frequency)))?;
            }
        }
        let centre_hz = match self.centre {
            VhfCentre::Mhz(f) => {
                let c = f * 1e6;
                dsp::vhf::plan::check(c, rate_hz, &planned)
                    .map_err(|p| invalid(format!("channels: {p}")))?;
                c
            }
            VhfCentre::Auto => dsp::vhf::plan::auto_centre(rate_hz, &planned)
                .map_err(|p| invalid(format!("channels: {p}")))?,
        };
        Ok(VhfPlan {
            centre_hz,
            rate_hz,
            channels,
        })
    }
}

#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RadioConfig {
    /// Which device; none: the band has no radio.
    pub device: Option<DeviceSelector>,
    pub gain: Gain,
    pub ppm: i32,
    pub bias_tee: bool,
}

impl Default for RadioConfig {
    fn default() -> Self {
        Self {
            device: None,
            gain: Gain::Auto,
            ppm: 0,
            bias_tee: false,
        }
    }
}

#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SourceConfig {
    pub kind: SourceKind,
    pub file: Option<PathBuf>,
    pub format: String,
    pub rate: String,
    pub band: Band,
    pub speed: f64,
    #[serde(rename = "loop")]
    pub looping: bool,
    /// More recordings replayed beside `file`, each on a band of its own, at the same speed
    /// (the dongles of one receiver recorded together).
    pub also: Vec<ReplayFile>,
}

impl Default for SourceConfig {
    fn default() -> Self {
        Self {
            kind: SourceKind::Auto,
            file: None,
            format: "cu8".into(),
            rate: "2.4M".into(),
            band: Band::Modes,
            speed: 1.0,
            looping: false,
            also: Vec::new(),
        }
    }
}

/// One more recording of a replay: `{file, band, format?, rate?}`. `rate` is for 1090 MHz
/// (default 2.4M): 978 MHz recordings are at 2.083333 MS/s, VHF ones at their plan's rate.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReplayFile {
    pub file: PathBuf,
    pub band: Band,
    #[serde(default = "cu8")]
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
}

fn cu8() -> String {
    "cu8".into()
}

impl ReplayFile {
    /// The 1090 MHz sample rate as written (2.4M unless given).
    pub fn modes_rate(&self) -> &str {
        self.rate.as_deref().unwrap_or("2.4M")
    }
}

impl SourceConfig {
    /// The recordings a replay plays: `file` on `band`, then `also`.
    pub fn replays(&self) -> Vec<ReplayFile> {
        let first = self.file.clone().map(|file| ReplayFile {
            file,
            band: self.band,
            format: self.format.clone(),
            rate: Some(self.rate.clone()),
        });
        first.into_iter().chain(self.also.iter().cloned()).collect()
    }
}

#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SimulatorConfig {
    pub aircraft: usize,
    /// UAT aircraft on 978 MHz (with `fisb`, a second simulated band).
    pub uat_aircraft: usize,
    /// A FIS-B ground station sending a TFR, a NOTAM and a METAR.
    pub fisb: bool,
    pub seed: u64,
    /// One aircraft squawks 7700 for a while (so the safety feed has something to show).
    pub emergency: bool,
    pub emergency_after_s: Option<f64>,
    pub emergency_for_s: f64,
    /// The VHF band: the simulated aircraft send ACARS on the `[radio.vhf]` channels.
    pub vhf: bool,
    /// The VDL2 dongle: the simulated aircraft and their ground stations talk VDL2 on the
    /// `[radio.vdl2]` channels.
    pub vdl2: bool,
    /// Seconds between one aircraft's ACARS messages, on average.
    pub acars_every_s: f64,
    /// Voice on the VHF band: on `[radio.vhf]`'s voice channels, or (if it has none) on
    /// [`SIMULATOR_VOICE`]'s, added to its plan.
    pub voice: bool,
    /// The cannonball scenario on 1090 MHz: a police helicopter circling and a police
    /// aircraft flying a grid near the receiver, an air-ambulance helicopter and an
    /// airliner passing (docs/cannonball.md).
    pub cannonball: bool,
    /// Plays the simulated 1090 MHz traffic this many times faster than real time (the
    /// picture's clock follows it, as for a replay); only with the other simulated bands off:
    /// the clock follows the replayed stream, and a second band at its own pace would age
    /// the first's aircraft away.
    pub speed: f64,
}

/// The voice channels the simulator adds to a VHF plan that has none: two 8.33 kHz
/// neighbours and two 25 kHz channels among the ACARS ones (made-up names).
pub const SIMULATOR_VOICE: [(f64, &str); 4] = [
    (129.805, "Sim Approach"),
    (129.810, "Sim Tower"),
    (130.600, "Sim Ground"),
    (130.950, "Sim ATIS"),
];

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            aircraft: 40,
            uat_aircraft: 10,
            fisb: true,
            seed: 1,
            emergency: true,
            emergency_after_s: Some(30.0),
            emergency_for_s: 60.0,
            vhf: true,
            vdl2: true,
            acars_every_s: 60.0,
            voice: true,
            cannonball: true,
            speed: 1.0,
        }
    }
}

/// `[acars]`: the recent messages the daemon keeps for `acars-snapshot`.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AcarsConfig {
    /// Messages kept, at most ...
    pub keep: usize,
    /// ... and for at most this long (s).
    pub max_age_s: f64,
}

impl Default for AcarsConfig {
    fn default() -> Self {
        Self {
            keep: 1000,
            max_age_s: 6.0 * 3600.0,
        }
    }
}

/// `[aircraft_db]`: who each address belongs to.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AircraftDbConfig {
    /// The plane-alert-db built into the binary (about 17,000 aircraft of interest), first.
    pub builtin: bool,
    /// More databases, merged in order after it (tar1090-db `aircraft.csv.gz` or
    /// plane-alert-db CSV, plain or gzip): a later file's non-empty fields win.
    pub files: Vec<PathBuf>,
}

impl Default for AircraftDbConfig {
    fn default() -> Self {
        Self {
            builtin: true,
            files: Vec::new(),
        }
    }
}

/// `[cannonball]`: how `/cannonball` recognises law enforcement, beyond the database.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CannonballConfig {
    /// Regular expressions (case-insensitive) for operators that are law enforcement, added
    /// to the built-in ones.
    pub operators: Vec<String>,
    /// Regular expressions (case-insensitive) for law-enforcement call signs, added to the
    /// built-in ones.
    pub callsigns: Vec<String>,
    /// ICAO type designators used for traffic and surveillance work, added to the built-in
    /// ones.
    pub surveillance_types: Vec<String>,
    /// An alert of one kind for one aircraft is not repeated within this long (s).
    pub alert_cooldown_s: f64,
}

impl Default for CannonballConfig {
    fn default() -> Self {
        Self {
            operators: Vec::new(),
            callsigns: Vec::new(),
            surveillance_types: Vec::new(),
            alert_cooldown_s: 600.0,
        }
    }
}

/// Where voice transmissions are kept, and who transcribes them.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AudioConfig {
    /// Clips kept in memory, at most this many MB (the oldest go first).
    pub memory_mb: f64,
    /// Keep clips on disk here instead (none: in memory only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<std::path::PathBuf>,
    /// The disk directory's quota (MB; the oldest clips go first).
    pub disk_mb: f64,
    /// Transmissions listed, at most.
    pub keep: usize,
    /// Live listeners at once, over every channel.
    pub max_listeners: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcription: Option<TranscriptionConfig>,
}

impl Default for AudioConfig {
    fn default() -> Self {
        Self {
            memory_mb: 64.0,
            dir: None,
            disk_mb: 1024.0,
            keep: 5000,
            max_listeners: 16,
            transcription: None,
        }
    }
}

/// An OpenAI-compatible transcription service (`POST {url}/v1/audio/transcriptions`):
/// whisper.cpp's server, faster-whisper servers, OpenAI itself. Off unless configured.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TranscriptionConfig {
    /// The service's base URL, e.g. "http://192.168.1.20:8000".
    pub url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer …` when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Transmissions waiting, at most (newer ones are skipped while it is full).
    pub queue: usize,
    /// One attempt's limit (s), and attempts after the first (with doubling backoff from
    /// `backoff_s`).
    pub timeout_s: f64,
    pub retries: u32,
    pub backoff_s: f64,
    /// Shorter transmissions are not sent (s).
    pub min_duration_s: f64,
}

impl Default for TranscriptionConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            model: "whisper-1".into(),
            api_key: None,
            language: Some("en".into()),
            queue: 32,
            timeout_s: 30.0,
            retries: 2,
            backoff_s: 1.0,
            min_duration_s: 0.5,
        }
    }
}

/// Which device: a serial number (as `rtl_eeprom` sets it; what to use with several dongles)
/// or an index in the order the bus lists them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum DeviceSelector {
    Index(usize),
    Serial(String),
}

impl std::fmt::Display for DeviceSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceSelector::Index(i) => write!(f, "#{i}"),
            DeviceSelector::Serial(s) => write!(f, "with serial {s}"),
        }
    }
}

/// Gain: fixed (dB; the driver picks the nearest step the tuner has) or automatic
/// ([`agc`]: backs off on clipping, raises on a noise floor lost in quantisation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gain {
    Auto,
    Fixed(f64),
}

impl serde::Serialize for Gain {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Gain::Auto => s.serialize_str("auto"),
            Gain::Fixed(db) => s.serialize_f64(*db),
        }
    }
}

impl<'de> Deserialize<'de> for Gain {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(f64),
        }
        match Raw::deserialize(d)? {
            Raw::Text(t) if t == "auto" => Ok(Gain::Auto),
            Raw::Number(n) => Ok(Gain::Fixed(n)),
            Raw::Text(t) => Err(serde::de::Error::custom(format!(
                "gain must be \"auto\" or a number of dB, not {t:?}"
            ))),
        }
    }
}

/// `[feeds]`: where each feed listens; an empty string turns it off.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FeedsConfig {
    pub raw: String,
    pub sbs: String,
    pub beast: String,
    pub uat_raw: String,
    /// Beast input: messages pushed here join the picture (CRC-checked like our own).
    pub beast_in: String,
    /// ACARS blocks as acarsdec's JSON, one UDP datagram each, to HOST:PORT (what acarshub
    /// listens for); "" (the default) sends nothing.
    pub acars_json: String,
    /// VDL2 frames as dumpvdl2's JSON, one UDP datagram each, to HOST:PORT (what acarshub
    /// listens for on its VDLM2 port); "" (the default) sends nothing.
    pub vdl2_json: String,
}

impl Default for FeedsConfig {
    fn default() -> Self {
        Self {
            raw: "0.0.0.0:30002".into(),
            sbs: "0.0.0.0:30003".into(),
            beast: "0.0.0.0:30005".into(),
            uat_raw: "0.0.0.0:30978".into(),
            beast_in: "0.0.0.0:30004".into(),
            acars_json: String::new(),
            vdl2_json: String::new(),
        }
    }
}

impl FeedsConfig {
    /// Each configured feed and its address; the error names the key of a bad one.
    pub fn listeners(&self) -> Result<Vec<(&'static str, SocketAddr)>, (&'static str, String)> {
        let mut out = Vec::new();
        for (key, text) in [
            ("feeds.raw", &self.raw),
            ("feeds.sbs", &self.sbs),
            ("feeds.beast", &self.beast),
            ("feeds.uat_raw", &self.uat_raw),
            ("feeds.beast_in", &self.beast_in),
        ] {
            if text.is_empty() {
                continue;
            }
            let addr = text.parse().map_err(|_| {
                (
                    key,
                    format!("must be ADDRESS:PORT or \"\" (off), not {text:?}"),
                )
            })?;
            out.push((key, addr));
        }
        Ok(out)
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// No token needed (the default on a LAN).
    #[default]
    Public,
    /// Every connection needs a valid token.
    Private,
    /// Anyone may read; changing state and `/audio` need a token.
    Hybrid,
}

impl std::str::FromStr for AuthMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "public" => Ok(AuthMode::Public),
            "private" => Ok(AuthMode::Private),
            "hybrid" => Ok(AuthMode::Hybrid),
            _ => Err(format!("{s:?} is not public, private or hybrid")),
        }
    }
}

#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    pub listen: String,
    pub auth: AuthMode,
    pub tokens: Vec<String>,
    pub aircraft_hz: f64,
    pub stats_hz: f64,
    pub batch_window_ms: u64,
    pub ping_interval_s: f64,
    pub ping_timeout_s: f64,
    pub client_queue: usize,
    /// Open TCP connections to the API port from one address (a browser tab holds one or two);
    /// the one past the limit is closed at once and counted.
    pub max_connections_per_ip: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            listen: "0.0.0.0:8080".into(),
            auth: AuthMode::Public,
            tokens: Vec::new(),
            aircraft_hz: 10.0,
            stats_hz: 0.1,
            batch_window_ms: 200,
            ping_interval_s: 25.0,
            ping_timeout_s: 20.0,
            client_queue: 64,
            max_connections_per_ip: 64,
        }
    }
}

#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    pub rules_file: PathBuf,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            rules_file: PathBuf::from("alert-rules.json"),
        }
    }
}

/// A config file's text on arbitrary input (the fuzz target and its property test): it is
/// refused with a message, or it loads and everything derived from it (warnings, the VHF
/// channel plans) is computed without a panic.
#[doc(hidden)]
pub fn exercise(text: &str) {
    match Config::parse(text, Path::new("skyspy.toml")) {
        Ok(c) => {
            let _ = c.warnings();
            let _ = c.radio.vhf.plan("radio.vhf");
            let _ = c.radio.vdl2.plan("radio.vdl2");
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    let _ = parse_rate(text);
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates config text; `path` names its origin in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every value; the error names the first bad key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.to_owned(),
            })
        };
        if !(-90.0..=90.0).contains(&self.receiver.lat) {
            return bad("receiver.lat", "must be within -90..90");
        }
        if !(-180.0..=180.0).contains(&self.receiver.lon) {
            return bad("receiver.lon", "must be within -180..180");
        }
        for f in &self.aircraft_db.files {
            if let Err(e) = std::fs::metadata(f) {
                return Err(ConfigError::Invalid {
                    key: "aircraft_db.files",
                    message: format!("{}: {e}", f.display()),
                });
            }
        }
        let sim = &self.simulator;
        if !(sim.speed.is_finite() && (0.1..=100.0).contains(&sim.speed)) {
            return bad("simulator.speed", "must be within 0.1..100");
        }
        if sim.speed != 1.0 && (sim.uat_aircraft > 0 || sim.fisb || sim.vhf || sim.vdl2) {
            return bad(
                "simulator.speed",
                "plays only the 1090 MHz simulator faster: set uat_aircraft = 0 and fisb, vhf and vdl2 = false",
            );
        }
        let c = &self.cannonball;
        for (key, list) in [
            ("cannonball.operators", &c.operators),
            ("cannonball.callsigns", &c.callsigns),
        ] {
            for pattern in list {
                if let Err(e) = regex::RegexBuilder::new(pattern)
                    .size_limit(1 << 20)
                    .build()
                {
                    return Err(ConfigError::Invalid {
                        key,
                        message: format!("{pattern:?} is not a usable regular expression: {e}"),
                    });
                }
            }
        }
        if !(c.alert_cooldown_s.is_finite() && (0.0..=86_400.0).contains(&c.alert_cooldown_s)) {
            return bad("cannonball.alert_cooldown_s", "must be within 0..86400 s");
        }
        if self.source.format.parse::<dsp::IqFormat>().is_err() {
            return bad("source.format", "must be cu8, cs16 or cf32");
        }
        if !self.source.band.is_vhf() && self.source.rate.parse::<dsp::SampleRate>().is_err() {
            return bad("source.rate", "must be 2.4M or 2.0M");
        }
        if self.source.band != Band::Modes && self.source.kind != SourceKind::Replay {
            return bad(
                "source.band",
                "selects the band of a replay (the simulator runs every band; see [simulator])",
            );
        }
        if !self.source.also.is_empty() && self.source.kind != SourceKind::Replay {
            return bad(
                "source.also",
                "adds recordings to a replay (source.kind = \"replay\")",
            );
        }
        let replays = self.source.replays();
        for (i, r) in replays.iter().enumerate() {
            // `source.file` itself (format and rate checked above), then `also`'s entries.
            let main = i == 0 && self.source.file.is_some();
            let key = if main { "source.file" } else { "source.also" };
            let entry = |message: &str| {
                Err(ConfigError::Invalid {
                    key,
                    message: format!("{} (band {}): {message}", r.file.display(), r.band),
                })
            };
            if replays[..i].iter().any(|earlier| earlier.band == r.band) {
                return entry("a second recording of one band (each band plays one)");
            }
            if let Err(e) = std::fs::metadata(&r.file) {
                return entry(&e.to_string());
            }
            if main {
                continue;
            }
            if r.format.parse::<dsp::IqFormat>().is_err() {
                return entry("format must be cu8, cs16 or cf32");
            }
            match (&r.rate, r.band) {
                (_, Band::Modes) if r.modes_rate().parse::<dsp::SampleRate>().is_err() => {
                    return entry("rate must be 2.4M or 2.0M");
                }
                (Some(_), band) if band != Band::Modes => {
                    return entry(
                        "rate is for 1090 MHz recordings (978 MHz ones are at 2.083333 MS/s, \
                         VHF ones at their [radio] plan's rate)",
                    );
                }
                _ => {}
            }
        }
        let replayed = |band| replays.iter().any(|r| r.band == band);
        let vhf_used = self.radio.vhf.device.is_some()
            || replayed(Band::Vhf)
            || (self.simulator.vhf
                && matches!(self.source.kind, SourceKind::Auto | SourceKind::Simulator));
        if vhf_used {
            self.radio.vhf.plan("radio.vhf")?;
        }
        let vdl2_used = self.radio.vdl2.device.is_some()
            || replayed(Band::Vdl2)
            || (self.simulator.vdl2
                && matches!(self.source.kind, SourceKind::Auto | SourceKind::Simulator));
        if vdl2_used {
            self.radio.vdl2.plan("radio.vdl2")?;
        }
        let (v, v2) = (&self.radio.vhf, &self.radio.vdl2);
        for (key, gain, ppm) in [
            ("radio.1090", self.radio.modes.gain, self.radio.modes.ppm),
            ("radio.978", self.radio.uat.gain, self.radio.uat.ppm),
            ("radio.vhf", v.gain, v.ppm),
            ("radio.vdl2", v2.gain, v2.ppm),
        ] {
            if let Gain::Fixed(db) = gain {
                if !(0.0..=60.0).contains(&db) {
                    return Err(ConfigError::Invalid {
                        key,
                        message: "gain must be \"auto\" or 0..60 dB".into(),
                    });
                }
            }
            if !(-500..=500).contains(&ppm) {
                return Err(ConfigError::Invalid {
                    key,
                    message: "ppm must be within -500..500".into(),
                });
            }
        }
        if self.source.kind == SourceKind::Soapysdr && !cfg!(feature = "soapysdr") {
            return bad(
                "source.kind",
                "soapysdr needs a build with the soapysdr feature (cargo build --features soapysdr)",
            );
        }
        if matches!(self.source.kind, SourceKind::Rtlsdr | SourceKind::Soapysdr)
            && self.radio.modes.device.is_none()
            && self.radio.uat.device.is_none()
            && self.radio.vhf.device.is_none()
            && self.radio.vdl2.device.is_none()
        {
            return bad(
                "radio",
                "no band has a device (radio.1090.device, radio.978.device, radio.vhf.device, radio.vdl2.device)",
            );
        }
        if !(self.source.speed > 0.0 && self.source.speed <= 100.0) {
            return bad("source.speed", "must be in (0, 100]");
        }
        if self.source.kind == SourceKind::Replay && self.source.file.is_none() {
            return bad("source.file", "is required when source.kind = \"replay\"");
        }
        if self.simulator.aircraft > 2000 {
            return bad("simulator.aircraft", "must be at most 2000");
        }
        if self.simulator.uat_aircraft > 500 {
            return bad("simulator.uat_aircraft", "must be at most 500");
        }
        if self
            .simulator
            .emergency_after_s
            .is_some_and(|s| s.is_nan() || s < 0.0)
        {
            return bad("simulator.emergency_after_s", "must be ≥ 0");
        }
        if let Err((key, message)) = self.feeds.listeners() {
            return Err(ConfigError::Invalid { key, message });
        }
        if !self.feeds.acars_json.is_empty() && !self.feeds.acars_json.contains(':') {
            return bad("feeds.acars_json", "must be HOST:PORT or \"\" (off)");
        }
        if !self.feeds.vdl2_json.is_empty() && !self.feeds.vdl2_json.contains(':') {
            return bad("feeds.vdl2_json", "must be HOST:PORT or \"\" (off)");
        }
        if !(1..=100_000).contains(&self.acars.keep) {
            return bad("acars.keep", "must be in 1..=100000");
        }
        if self.acars.max_age_s.is_nan() || self.acars.max_age_s <= 0.0 {
            return bad("acars.max_age_s", "must be positive");
        }
        let a = &self.audio;
        if !(a.memory_mb >= 1.0 && a.memory_mb <= 4096.0) {
            return bad("audio.memory_mb", "must be in 1..=4096");
        }
        if !(a.disk_mb >= 1.0 && a.disk_mb <= 1_000_000.0) {
            return bad("audio.disk_mb", "must be in 1..=1000000");
        }
        if !(1..=100_000).contains(&a.keep) {
            return bad("audio.keep", "must be in 1..=100000");
        }
        if !(1..=256).contains(&a.max_listeners) {
            return bad("audio.max_listeners", "must be in 1..=256");
        }
        if let Some(t) = &a.transcription {
            if !(t.url.starts_with("http://") || t.url.starts_with("https://")) {
                return bad(
                    "audio.transcription.url",
                    "must be an http:// or https:// URL, e.g. http://192.168.1.20:8000",
                );
            }
            if !(1..=10_000).contains(&t.queue) {
                return bad("audio.transcription.queue", "must be in 1..=10000");
            }
            if !(t.timeout_s >= 1.0 && t.timeout_s <= 600.0) {
                return bad("audio.transcription.timeout_s", "must be in 1..=600");
            }
            if t.retries > 10 || !(t.backoff_s >= 0.0 && t.backoff_s <= 60.0) {
                return bad(
                    "audio.transcription.retries",
                    "retries must be at most 10 and backoff_s in 0..=60",
                );
            }
            if !(t.min_duration_s >= 0.0 && t.min_duration_s <= 60.0) {
                return bad("audio.transcription.min_duration_s", "must be in 0..=60");
            }
        }
        if self.simulator.acars_every_s.is_nan() || self.simulator.acars_every_s < 1.0 {
            return bad("simulator.acars_every_s", "must be at least 1 s");
        }
        if self.api.listen.parse::<SocketAddr>().is_err() {
            return bad("api.listen", "must be ADDRESS:PORT, e.g. 0.0.0.0:8080");
        }
        if self.api.auth != AuthMode::Public && self.api.tokens.is_empty() {
            return bad(
                "api.tokens",
                "private and hybrid auth need at least one token",
            );
        }
        if self.api.tokens.iter().any(|t| t.len() < 8) {
            return bad("api.tokens", "each token needs at least 8 characters");
        }
        if !(self.api.aircraft_hz > 0.0 && self.api.aircraft_hz <= 10.0) {
            return bad("api.aircraft_hz", "must be in (0, 10]");
        }
        if !(self.api.stats_hz > 0.0 && self.api.stats_hz <= 1.0) {
            return bad("api.stats_hz", "must be in (0, 1]");
        }
        if !(10..=200).contains(&self.api.batch_window_ms) {
            return bad("api.batch_window_ms", "must be in 10..=200");
        }
        if !(self.api.ping_interval_s >= 1.0 && self.api.ping_timeout_s >= 1.0) {
            return bad("api.ping_interval_s", "heartbeat times must be ≥ 1 s");
        }
        if !(8..=4096).contains(&self.api.client_queue) {
            return bad("api.client_queue", "must be in 8..=4096");
        }
        if !(1..=100_000).contains(&self.api.max_connections_per_ip) {
            return bad("api.max_connections_per_ip", "must be in 1..=100000");
        }
        Ok(())
    }

    /// What a usable config may still get wrong: the TCP feeds have no token, so in `private`
    /// mode a feed on a non-loopback address gives the picture (or, for Beast input, a way
    /// into it) to anyone who can reach the port, and in `hybrid` mode, where changes need a
    /// token, Beast input on the network is a change without one. `run --check` prints these
    /// and the daemon logs them at start.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (key, addr) in self.feeds.listeners().unwrap_or_default() {
            let exposed = match self.api.auth {
                AuthMode::Public => false,
                AuthMode::Private => true,
                AuthMode::Hybrid => key == "feeds.beast_in",
            };
            if !exposed || addr.ip().is_loopback() {
                continue;
            }
            let what = if key == "feeds.beast_in" {
                "lets anyone who can reach it add messages to the picture"
            } else {
                "gives every message to anyone who can reach it"
            };
            let mode = if self.api.auth == AuthMode::Private {
                "private"
            } else {
                "hybrid"
            };
            out.push(format!(
                "{key} listens on {addr} with auth = \"{mode}\": a TCP feed has no token and \
                 {what}; bind it to 127.0.0.1 or turn it off with \"\""
            ));
        }
        out
    }

    pub fn listen(&self) -> SocketAddr {
        self.api
            .listen
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 8080)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_the_defaults() {
        let c: Config = toml::from_str("").unwrap();
        assert_eq!(c, Config::default());
        c.validate().unwrap();
    }

    #[test]
    fn unknown_key_is_named() {
        let e = toml::from_str::<Config>("[api]\nlisten_port = 1\n").unwrap_err();
        assert!(e.to_string().contains("listen_port"), "{e}");
    }

    #[test]
    fn out_of_range_value_is_named() {
        let c: Config = toml::from_str("[receiver]\nlat = 123.0\n").unwrap();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("receiver.lat"), "{e}");
        let c: Config = toml::from_str("[api]\nauth = \"private\"\n").unwrap();
        assert!(c.validate().unwrap_err().to_string().contains("api.tokens"));
    }

    #[test]
    fn voice_channels_and_the_audio_section_say_what_is_wrong() {
        let path = Path::new("t.toml");
        let e = Config::parse(
            "[[radio.vhf.channels]]\nfrequency = 127.105\nkind = \"am\"\nsquelch = \"loud\"\n",
            path,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("squelch must be") && e.contains("loud"), "{e}");
        let e = Config::parse(
            "[[radio.vhf.channels]]\nfrequency = 127.12\nkind = \"am\"\n",
            path,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("127.12") && e.contains("8.33"), "{e}");
        let e = Config::parse(
            "[[radio.vhf.channels]]\nfrequency = 131.55\nkind = \"acars\"\nsquelch = 15\n",
            path,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("only a voice (am) channel has a squelch"), "{e}");
        let e = Config::parse("[audio.transcription]\nurl = \"ftp://x\"\n", path)
            .unwrap_err()
            .to_string();
        assert!(e.contains("audio.transcription.url"), "{e}");
        let e = Config::parse("[audio]\nmemory_mb = 0.0\n", path)
            .unwrap_err()
            .to_string();
        assert!(e.contains("audio.memory_mb"), "{e}");
    }

    #[test]
    fn band_must_be_known_and_selects_a_replay_band() {
        let e = toml::from_str::<Config>("[source]\nband = 1091\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("1091") && e.contains("1090, 978, vhf or vdl2"),
            "{e}"
        );
        let c: Config = toml::from_str("[source]\nband = 978\n").unwrap();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("source.band") && e.contains("replay"), "{e}");
        let dir = recordings(&["u.cu8"]);
        let c: Config = toml::from_str(&format!(
            "[source]\nkind = \"replay\"\nfile = \"{}\"\nband = 978\n",
            dir.join("u.cu8").display()
        ))
        .unwrap();
        c.validate().unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A directory of empty recordings named `names`, for configs that replay them.
    fn recordings(names: &[&str]) -> PathBuf {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("skyspy-config-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in names {
            std::fs::write(dir.join(name), b"").unwrap();
        }
        dir
    }

    #[test]
    fn a_replay_plays_more_recordings_one_per_band() {
        let dir = recordings(&["a.cu8", "u.cu8", "v.cu8"]);
        let path = |name: &str| dir.join(name).display().to_string();
        let replay = format!(
            "[source]\nkind = \"replay\"\nfile = \"{}\"\n",
            path("a.cu8")
        );
        let parse = |extra: &str| toml::from_str::<Config>(&format!("{replay}{extra}")).unwrap();
        let also = |entry: &str| parse(&format!("also = [{{ {entry} }}]\n"));
        let refused = |entry: &str| also(entry).validate().unwrap_err().to_string();
        let u = format!("file = \"{}\"", path("u.cu8"));
        let c = also(&format!("{u}, band = 978"));
        c.validate().unwrap();
        let bands: Vec<Band> = c.source.replays().iter().map(|r| r.band).collect();
        assert_eq!(bands, [Band::Modes, Band::Uat]);
        assert_eq!(c.source.replays()[1].format, "cu8");
        also(&format!(
            "file = \"{}\", band = \"vhf\", format = \"cs16\"",
            path("v.cu8")
        ))
        .validate()
        .unwrap();
        // Each refusal names the key and the entry.
        let e = refused(&format!("{u}, band = 1090"));
        assert!(e.contains("source.also") && e.contains("u.cu8") && e.contains("band 1090"));
        assert!(e.contains("second recording of one band"), "{e}");
        let e = refused(&format!("{u}, band = 978, format = \"u8\""));
        assert!(
            e.contains("source.also") && e.contains("cu8, cs16 or cf32"),
            "{e}"
        );
        let e = refused(&format!("{u}, band = 978, rate = \"2.4M\""));
        assert!(e.contains("rate is for 1090 MHz"), "{e}");
        let e = refused(&format!("file = \"{}\", band = 978", path("missing.cu8")));
        assert!(
            e.contains("source.also") && e.contains("missing.cu8"),
            "{e}"
        );
        let e = toml::from_str::<Config>(&replay.replace("a.cu8", "gone.cu8"))
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("source.file") && e.contains("gone.cu8"), "{e}");
        let c: Config =
            toml::from_str(&format!("[source]\nalso = [{{ {u}, band = 978 }}]\n")).unwrap();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("source.also") && e.contains("replay"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
