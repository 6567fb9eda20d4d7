//! The safety engine: emergency squawks, ADS-B emergency status (BDS 6,1), ACAS resolution
//! advisories decoded from the aircraft's own reports (DF16, Comm-B BDS 3,0, ES TC 28/2),
//! extreme vertical rates, and proximity conflicts predicted at the closest point of approach.
//!
//! Events have ids; they are raised, updated (severity or details change) and resolved
//! (the squawk changes back, the conflict clears). A resolved event's (type, aircraft or pair)
//! is in cooldown for `cooldown_s`: it is not raised again unless at a higher severity. Time
//! is a parameter in seconds.

mod conflict;

use crate::core::track::{Aircraft, TrackKey, TrackTable};
use dsp::decode::Message;
use serde::Serialize;
use std::collections::HashMap;

pub use conflict::{closest_approach, Approach, State};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    SquawkHijack,
    SquawkRadioFailure,
    SquawkEmergency,
    EmergencyStatus,
    AcasRa,
    ExtremeVs,
    ProximityConflict,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// One event as the `safety` topic sends it (protocol.md, "Safety events").
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SafetyEvent {
    pub id: u64,
    pub event_type: EventType,
    pub severity: Severity,
    pub icao: String,
    pub callsign: Option<String>,
    pub icao_2: Option<String>,
    pub callsign_2: Option<String>,
    pub message: String,
    pub details: serde_json::Value,
    pub timestamp: f64,
    pub resolved_at: Option<f64>,
}

/// What happened to an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Raised(SafetyEvent),
    Updated(SafetyEvent),
    Resolved(SafetyEvent),
}

#[derive(Clone, Copy, Debug)]
pub struct SafetyConfig {
    pub conflict_nm: f64,
    pub conflict_ft: f64,
    pub lookahead_s: f64,
    /// Vertical rates at or beyond this (ft/min) raise `extreme_vs` (critical at 1.5×).
    pub extreme_vs_fpm: i32,
    pub cooldown_s: f64,
    /// An ACAS RA with no new report for this long is over.
    pub ra_timeout_s: f64,
    /// Positions older than this take no part in conflict checks.
    pub position_max_age_s: f64,
}

impl Default for SafetyConfig {
    fn default() -> Self {
        Self {
            conflict_nm: 0.5,
            conflict_ft: 500.0,
            lookahead_s: 35.0,
            extreme_vs_fpm: 6000,
            cooldown_s: 60.0,
            ra_timeout_s: 20.0,
            position_max_age_s: 10.0,
        }
    }
}

type EventKey = (EventType, TrackKey, Option<TrackKey>);

#[derive(Clone, Debug)]
struct Active {
    event: SafetyEvent,
    last_seen: f64,
}

pub struct SafetyEngine {
    config: SafetyConfig,
    next_id: u64,
    active: HashMap<EventKey, Active>,
    /// When each key last resolved, and at what severity.
    cooldown: HashMap<EventKey, (f64, Severity)>,
}

impl SafetyEngine {
    pub fn new(config: SafetyConfig) -> Self {
        Self {
            config,
            next_id: 1,
            active: HashMap::new(),
            cooldown: HashMap::new(),
        }
    }

    pub fn active(&self) -> impl Iterator<Item = &SafetyEvent> {
        self.active.values().map(|a| &a.event)
    }

    /// Checks one aircraft after a message of it was applied.
    pub fn on_message(&mut self, a: &Aircraft, m: &Message, now: f64, out: &mut Vec<Change>) {
        let key = a.key;
        let squawk = a.squawk.get();
        for (t, code, sev) in [
            (EventType::SquawkHijack, 7500, Severity::Critical),
            (EventType::SquawkRadioFailure, 7600, Severity::Warning),
            (EventType::SquawkEmergency, 7700, Severity::Critical),
        ] {
            if squawk == Some(code) {
                let msg = format!("squawk {code}");
                self.raise_one(
                    t,
                    sev,
                    a,
                    msg,
                    serde_json::json!({"squawk": format!("{code:04}")}),
                    now,
                    out,
                );
            } else if squawk.is_some() {
                self.resolve((t, key, None), now, out);
            }
        }
        if let Some(state) = m.emergency_state {
            if state == 0 {
                self.resolve((EventType::EmergencyStatus, key, None), now, out);
            } else {
                let sev = if matches!(state, 1 | 5 | 6) {
                    Severity::Critical
                } else {
                    Severity::Warning
                };
                let name = crate::core::track::aircraft::EMERGENCY[usize::from(state & 7)];
                let msg = format!("emergency status: {name}");
                let details = serde_json::json!({"emergency": name});
                self.raise_one(EventType::EmergencyStatus, sev, a, msg, details, now, out);
            }
        }
        if m.issued_ra == Some(true) || m.ara.is_some_and(|ara| ara != 0) {
            let sev = if m.corrective == Some(true) {
                Severity::Critical
            } else {
                Severity::Warning
            };
            let sense = match (m.corrective, m.downward_sense) {
                (Some(true), Some(true)) => "descend",
                (Some(true), Some(false)) => "climb",
                _ => "preventive",
            };
            let threat = m.threat_icao.map(|t| format!("{:06x}", t.0));
            let msg = match &threat {
                Some(t) => format!("ACAS resolution advisory ({sense}) against {t}"),
                None => format!("ACAS resolution advisory ({sense})"),
            };
            let details = serde_json::json!({"sense": sense, "threat_icao": threat, "ara": m.ara, "multiple_threat": m.multiple_threat});
            self.raise_one(EventType::AcasRa, sev, a, msg, details, now, out);
        } else if m.ra_terminated == Some(true) {
            self.resolve((EventType::AcasRa, key, None), now, out);
        }
        if let Some(vr) = a.baro_rate.get().or(a.geom_rate.get()) {
            let limit = self.config.extreme_vs_fpm;
            if vr.abs() >= limit {
                let sev = if vr.abs() * 2 >= limit * 3 {
                    Severity::Critical
                } else {
                    Severity::Warning
                };
                let msg = format!("vertical rate {vr} ft/min");
                self.raise_one(
                    EventType::ExtremeVs,
                    sev,
                    a,
                    msg,
                    serde_json::json!({"vertical_rate": vr}),
                    now,
                    out,
                );
            } else {
                self.resolve((EventType::ExtremeVs, key, None), now, out);
            }
        }
    }

    /// Periodic work (call about once a second): proximity conflicts over the whole table,
    /// RA timeouts, and events of aircraft that left.
    pub fn tick(&mut self, table: &TrackTable, now: f64, out: &mut Vec<Change>) {
        let c = self.config;
        let found = conflict::find(table, now, &c);
        let mut seen = std::collections::HashSet::new();
        for (a, b, approach) in found {
            let (Some(x), Some(y)) = (table.get(&a), table.get(&b)) else {
                continue;
            };
            let sev = if approach.now_nm < c.conflict_nm && approach.now_ft < c.conflict_ft
                || approach.t_s <= 15.0
            {
                Severity::Critical
            } else {
                Severity::Warning
            };
            let msg = format!(
                "{:.2} NM / {:.0} ft at closest approach in {:.0} s",
                approach.cpa_nm, approach.cpa_ft, approach.t_s
            );
            let details = serde_json::json!({
                "horizontal_nm": round2(approach.now_nm), "vertical_ft": approach.now_ft.round(),
                "cpa_nm": round2(approach.cpa_nm), "cpa_ft": approach.cpa_ft.round(), "time_to_cpa_s": approach.t_s.round(),
            });
            seen.insert((a, b));
            self.raise(
                EventType::ProximityConflict,
                a,
                Some(b),
                sev,
                x,
                Some(y),
                msg,
                details,
                now,
                out,
            );
        }
        let stale: Vec<EventKey> = self
            .active
            .iter()
            .filter(|(k, act)| match k.0 {
                EventType::ProximityConflict => !seen.contains(&(k.1, k.2.unwrap_or(k.1))),
                EventType::AcasRa => now - act.last_seen > c.ra_timeout_s,
                _ => table.get(&k.1).is_none(),
            })
            .map(|(k, _)| *k)
            .collect();
        for k in stale {
            self.resolve(k, now, out);
        }
        self.cooldown.retain(|_, (t, _)| now - *t <= c.cooldown_s);
    }

    /// Raises (or updates) an event about one aircraft.
    #[allow(clippy::too_many_arguments)]
    fn raise_one(
        &mut self,
        t: EventType,
        severity: Severity,
        a: &Aircraft,
        message: String,
        details: serde_json::Value,
        now: f64,
        out: &mut Vec<Change>,
    ) {
        self.raise(
            t, a.key, None, severity, a, None, message, details, now, out,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn raise(
        &mut self,
        t: EventType,
        key: TrackKey,
        other: Option<TrackKey>,
        severity: Severity,
        a: &Aircraft,
        b: Option<&Aircraft>,
        message: String,
        details: serde_json::Value,
        now: f64,
        out: &mut Vec<Change>,
    ) {
        let k = (t, key, other);
        if let Some(act) = self.active.get_mut(&k) {
            act.last_seen = now;
            if act.event.severity != severity || act.event.details != details {
                act.event.severity = severity;
                act.event.message = message;
                act.event.details = details;
                act.event.timestamp = now;
                out.push(Change::Updated(act.event.clone()));
            }
            return;
        }
        if let Some(&(_, sev)) = self.cooldown.get(&k) {
            if severity <= sev {
                return;
            }
        }
        let event = SafetyEvent {
            id: self.next_id,
            event_type: t,
            severity,
            icao: a.key.hex(),
            callsign: a.flight.get().map(|f| f.to_string()),
            icao_2: b.map(|b| b.key.hex()),
            callsign_2: b.and_then(|b| b.flight.get().map(|f| f.to_string())),
            message,
            details,
            timestamp: now,
            resolved_at: None,
        };
        self.next_id += 1;
        self.cooldown.remove(&k);
        out.push(Change::Raised(event.clone()));
        self.active.insert(
            k,
            Active {
                event,
                last_seen: now,
            },
        );
    }

    fn resolve(&mut self, k: EventKey, now: f64, out: &mut Vec<Change>) {
        if let Some(mut act) = self.active.remove(&k) {
            act.event.resolved_at = Some(now);
            self.cooldown.insert(k, (now, act.event.severity));
            out.push(Change::Resolved(act.event));
        }
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
