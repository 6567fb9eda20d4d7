//! Each source's state as `receiver-info`, `stats:tick` and `/metrics` show it: written by its
//! DSP thread (samples, frames, device, failures) and by the core (stalled: no block within
//! the core's stall time), read by the API.

use crate::config::{Band, VhfPlan};
use crate::logging::{left_out, Throttle};
use dsp::IqFormat;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The source in use, as `receiver-info` and `stats:tick` show it.
#[derive(Debug)]
pub struct SourceStatus {
    pub kind: &'static str,
    pub description: String,
    pub format: IqFormat,
    /// Samples per second of the stream.
    pub rate_hz: f64,
    pub band: Band,
    /// The VHF band: its channel plan.
    pub plan: Option<VhfPlan>,
    pub samples: AtomicU64,
    pub frames: AtomicU64,
    pub running: AtomicBool,
    pub ended: AtomicBool,
    /// Set by the core when no block came from this source for its stall time.
    pub stalled: AtomicBool,
    pub error: Mutex<Option<String>>,
    /// A radio: the device in use (none while it is missing).
    pub device: Mutex<Option<String>>,
    /// A radio: samples it lost to overruns, and how often it was reopened.
    pub dropped: AtomicU64,
    pub reconnects: AtomicU64,
    /// Panics caught in this band's DSP thread (each restarted the band).
    pub panics: AtomicU64,
    /// A flapping dongle fails and reopens every few seconds: its log lines are held to one
    /// of each kind per [`COMPLAINT_EVERY`], with a count of the rest.
    failures_logged: Throttle,
    pub(crate) opens_logged: Throttle,
}

/// How often a source logs a failure (or a reopen) at most.
pub const COMPLAINT_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// One source in `receiver-info`, `stats:tick.system.sdr` and `/metrics`.
#[derive(Clone, Debug, Serialize)]
pub struct SourceReport {
    pub kind: &'static str,
    pub description: String,
    pub band: &'static str,
    pub format: String,
    pub sample_rate: u64,
    pub healthy: bool,
    /// running, stalled (no samples for a while), failed (with `error`) or ended (a replay).
    pub state: &'static str,
    pub samples: u64,
    pub frames: u64,
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    pub dropped_samples: u64,
    pub reconnects: u64,
    /// The VHF band: the tuned centre (MHz) and the channels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub centre_frequency: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<crate::config::ChannelConfig>,
}

impl SourceStatus {
    pub fn new(
        kind: &'static str,
        description: String,
        format: IqFormat,
        band: Band,
        rate_hz: f64,
    ) -> Arc<SourceStatus> {
        Arc::new(Self::build(kind, description, format, band, rate_hz))
    }

    /// The status of a VHF source with its channel plan.
    pub fn vhf(
        kind: &'static str,
        description: String,
        format: IqFormat,
        band: Band,
        plan: VhfPlan,
    ) -> Arc<Self> {
        let mut s = Self::build(kind, description, format, band, plan.rate_hz);
        s.plan = Some(plan);
        Arc::new(s)
    }

    fn build(
        kind: &'static str,
        description: String,
        format: IqFormat,
        band: Band,
        rate_hz: f64,
    ) -> SourceStatus {
        SourceStatus {
            kind,
            description,
            format,
            rate_hz,
            band,
            plan: None,
            samples: AtomicU64::new(0),
            frames: AtomicU64::new(0),
            running: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            stalled: AtomicBool::new(false),
            error: Mutex::new(None),
            device: Mutex::new(None),
            dropped: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            panics: AtomicU64::new(0),
            failures_logged: Throttle::new(COMPLAINT_EVERY),
            opens_logged: Throttle::new(COMPLAINT_EVERY),
        }
    }

    pub fn report(&self) -> SourceReport {
        let error = lock(&self.error).clone();
        let state = if error.is_some() {
            "failed"
        } else if self.ended.load(Ordering::Relaxed) {
            "ended"
        } else if self.stalled.load(Ordering::Relaxed) {
            "stalled"
        } else {
            "running"
        };
        SourceReport {
            kind: self.kind,
            description: self.description.clone(),
            band: self.band.name(),
            format: self.format.to_string(),
            sample_rate: self.rate_hz.round() as u64,
            healthy: state == "running",
            state,
            samples: self.samples.load(Ordering::Relaxed),
            frames: self.frames.load(Ordering::Relaxed),
            error,
            device: lock(&self.device).clone(),
            dropped_samples: self.dropped.load(Ordering::Relaxed),
            reconnects: self.reconnects.load(Ordering::Relaxed),
            centre_frequency: self.plan.as_ref().map(|p| p.centre_hz / 1e6),
            channels: self
                .plan
                .as_ref()
                .map(|p| p.channels.iter().map(|c| c.config()).collect())
                .unwrap_or_default(),
        }
    }

    pub(crate) fn fail(&self, message: String) {
        if let Some(n) = self.failures_logged.allow() {
            tracing::error!(source = self.kind, band = %self.band, "{message}{}", left_out(n));
        }
        *lock(&self.error) = Some(message);
    }

    /// `fail` for what must never be held back (a panic: a bug to report).
    pub(crate) fn fail_loudly(&self, message: String) {
        tracing::error!(source = self.kind, band = %self.band, "{message}");
        *lock(&self.error) = Some(message);
    }

    pub(crate) fn recover(&self) {
        *lock(&self.error) = None;
    }

    pub(crate) fn set_device(&self, device: Option<String>) {
        *lock(&self.device) = device;
    }
}

/// Locks a status field, taking it over from a thread that panicked while holding it (the
/// fields are plain values, whole between statements), so a caught panic never silences a
/// band's reports.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every source the daemon runs (one per band), for the API's reports.
#[derive(Clone, Debug, Default)]
pub struct SourceSet(pub Vec<Arc<SourceStatus>>);

impl SourceSet {
    /// "1090", "978", "vhf": the bands of the sources, in the order they run.
    pub fn bands(&self) -> Vec<&'static str> {
        self.0.iter().map(|s| s.band.name()).collect()
    }

    pub fn reports(&self) -> Vec<SourceReport> {
        self.0.iter().map(|s| s.report()).collect()
    }
}
