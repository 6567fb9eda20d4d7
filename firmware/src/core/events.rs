//! What the core tells the rest of the daemon, as typed values: the events it raises (the
//! API turns them into topics and wire payloads), the traffic it heard (the feeds format it),
//! and the stats it keeps. Times in here are wall-clock milliseconds.

use super::acars::{AcarsBlock, AcarsRecord};
use super::airspace::{AirspaceChange, AirspaceSnapshot};
use super::alerts::Alert;
use super::picture::AircraftRecord;
use super::safety::SafetyEvent;
use super::stats::{Minute, Summary};
use crate::source::{SourceReport, UatReceived};
use dsp::cpr::Position;
use dsp::decode::Message;
use dsp::Frame;
use std::sync::Arc;

/// What happened to a safety event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SafetyChange {
    Raised,
    Updated,
    Resolved,
}

/// An event for the API.
#[derive(Clone, Debug)]
pub enum CoreEvent {
    Safety {
        change: SafetyChange,
        event: SafetyEvent,
    },
    Alert {
        alert: Alert,
        /// The aircraft as it was when the rule fired.
        aircraft: Option<Box<AircraftRecord>>,
    },
    /// FIS-B reports changed; `snapshot` is the whole airspace picture after the changes.
    Airspace {
        changes: Vec<AirspaceChange>,
        snapshot: Arc<AirspaceSnapshot>,
    },
    /// A whole ACARS message (a single block, or the last of several), linked to its
    /// aircraft where it could be.
    Acars(Arc<AcarsRecord>),
}

/// One 1090 MHz message the core took, for the feeds.
#[derive(Clone, Debug)]
pub struct HeardMessage {
    pub frame: Frame,
    pub message: Message,
    /// Core time (s) and wall clock (ms) of the frame.
    pub t: f64,
    pub wall_ms: u64,
    /// The track's position, when this message updated it.
    pub position: Option<Position>,
}

/// One UAT frame as received, for the dump978 raw feed.
#[derive(Clone, Debug)]
pub struct HeardUat {
    pub frame: UatReceived,
    pub wall_ms: u64,
}

/// What one block brought, for the feeds (sent only while a feed has a client).
#[derive(Clone, Debug, Default)]
pub struct HeardBatch {
    pub modes: Vec<HeardMessage>,
    pub uat: Vec<HeardUat>,
    /// Every ACARS block (acarsdec's JSON is per block, before reassembly).
    pub acars: Vec<AcarsBlock>,
    /// Every VDL2 frame (dumpvdl2's JSON is per frame).
    pub vdl2: Vec<HeardVdl2>,
}

/// A VDL2 frame for the feeds, with the wall time of its burst.
#[derive(Clone, Debug)]
pub struct HeardVdl2 {
    pub wall_ms: u64,
    pub heard: crate::source::Vdl2Heard,
}

/// What a block brought on the voice channels: whole transmissions with their wall time,
/// and each channel's squelch, level and live audio.
#[derive(Clone, Debug, Default)]
pub struct VoiceBatch {
    pub transmissions: Vec<HeardVoice>,
    pub levels: Vec<crate::source::VoiceLevel>,
}

#[derive(Clone, Debug)]
pub struct HeardVoice {
    /// Wall clock of its first carrier (ms).
    pub wall_ms: u64,
    pub heard: crate::source::VoiceHeard,
}

/// The stats the core publishes (every stats period).
#[derive(Clone, Debug)]
pub struct StatsSnapshot {
    /// Rises by one per snapshot.
    pub version: u64,
    pub wall_ms: u64,
    pub summary: Summary,
    /// Mean signal of the tracked aircraft, dBFS.
    pub avg_rssi: Option<f64>,
    /// Median noise floor the receiver measured, dBFS.
    pub noise_dbfs: Option<f64>,
    /// Process CPU over the last period, percent of one core.
    pub cpu_percent: Option<f64>,
    pub rss_bytes: Option<u64>,
    pub uptime_s: u64,
    pub sources: Vec<SourceReport>,
    /// The summary's minutes, each with its start as wall-clock ms.
    pub series: Vec<(u64, Minute)>,
}
