//! Alert rules (protocol.md "Alert rules"): user-defined AND/OR conditions on tracks,
//! geofences among them, evaluated as tracks change and fired with a cooldown per rule and
//! aircraft.

pub mod rule;
pub mod service;
pub mod store;

use crate::core::safety::Severity;
use crate::core::track::position::distance_nm;
use crate::core::track::{Aircraft, TrackKey};
use dsp::cpr::Position;
use rule::{FenceMemory, Rule, Subject};
use std::collections::HashMap;

/// An alert as the `alerts` topic sends it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Alert {
    pub id: u64,
    pub rule_id: u64,
    pub rule_name: String,
    pub priority: Severity,
    pub icao: String,
    pub callsign: Option<String>,
    pub message: String,
    pub timestamp: f64,
}

#[derive(Default)]
pub struct AlertEngine {
    next_id: u64,
    fences: HashMap<(u64, TrackKey), FenceMemory>,
    last_fired: HashMap<(u64, TrackKey), f64>,
}

impl AlertEngine {
    pub fn new() -> Self {
        Self {
            next_id: 1,
            ..Self::default()
        }
    }

    /// Evaluates every enabled rule against one aircraft; returns the alerts that fire.
    pub fn evaluate(
        &mut self,
        rules: &[Rule],
        a: &Aircraft,
        now: f64,
        receiver: Option<Position>,
    ) -> Vec<Alert> {
        let hex = a.key.hex();
        let flight = a.flight.get();
        let squawk = a.squawk.get().map(|s| format!("{s:04}"));
        let category = a.category.get();
        let position = a.position.get();
        let emergency = matches!(a.squawk.get(), Some(7500 | 7600 | 7700))
            || a.emergency.get().is_some_and(|e| e != 0);
        let db = a.identity.db;
        let subject = Subject {
            icao: &hex,
            callsign: flight.as_deref(),
            squawk: squawk.as_deref(),
            altitude: a.alt_baro.get().map(f64::from),
            speed: a.gs.get(),
            vertical_rate: a.baro_rate.get().or(a.geom_rate.get()).map(f64::from),
            category: category.as_deref(),
            emergency,
            distance_nm: receiver.zip(position).map(|(r, p)| distance_nm(r, p)),
            position: position.map(|p| (p.lat, p.lon)),
            registration: db.map(|e| e.registration).filter(|v| !v.is_empty()),
            aircraft_type: db.map(|e| e.type_code).filter(|v| !v.is_empty()),
            operator: db.map(|e| e.owner_operator).filter(|v| !v.is_empty()),
            military: db.is_some_and(|e| e.military()),
        };
        let mut out = Vec::new();
        let mut no_fences = FenceMemory::new();
        for rule in rules.iter().filter(|r| r.spec.enabled) {
            let k = (rule.spec.id, a.key);
            // Memory per rule and aircraft only where there is something to remember.
            let fences = if rule.has_fences() {
                self.fences.entry(k).or_default()
            } else {
                &mut no_fences
            };
            if !rule.matches(&subject, fences) {
                continue;
            }
            if self
                .last_fired
                .get(&k)
                .is_some_and(|&t| now - t < rule.spec.cooldown_s)
            {
                continue;
            }
            self.last_fired.insert(k, now);
            out.push(Alert {
                id: self.next_id,
                rule_id: rule.spec.id,
                rule_name: rule.spec.name.clone(),
                priority: rule.spec.priority,
                icao: hex.clone(),
                callsign: flight.as_ref().map(|f| f.to_string()),
                message: format!(
                    "{} matched {}",
                    rule.spec.name,
                    flight.as_deref().unwrap_or(&hex)
                ),
                timestamp: now,
            });
            self.next_id += 1;
        }
        out
    }

    /// Forgets per-aircraft state of aircraft that left (bounded memory).
    pub fn forget(&mut self, gone: &[TrackKey]) {
        self.fences.retain(|k, _| !gone.contains(&k.1));
        self.last_fired.retain(|k, _| !gone.contains(&k.1));
    }

    /// The rules changed from `before` to `after`: forgets the state of rules that are gone
    /// (memory would otherwise grow with every rule ever created while aircraft stay), and the
    /// geofence memory of rules whose conditions changed (its entries are by condition). A
    /// changed rule keeps its cooldowns, so an edit does not fire it again at once.
    pub fn rules_changed(&mut self, before: &[Rule], after: &[Rule]) {
        let same = |id: u64| {
            let old = before.iter().find(|r| r.spec.id == id);
            let new = after.iter().find(|r| r.spec.id == id);
            match (old, new) {
                (Some(o), Some(n)) => o.spec.conditions == n.spec.conditions,
                _ => false,
            }
        };
        self.fences.retain(|k, _| same(k.0));
        self.last_fired
            .retain(|k, _| after.iter().any(|r| r.spec.id == k.0));
    }

    /// Entries of per-rule, per-aircraft state held (geofence memory, cooldowns).
    pub fn state_len(&self) -> usize {
        self.fences.len() + self.last_fired.len()
    }
}
