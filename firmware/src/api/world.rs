//! The published picture: every aircraft record with, per field, the version at which its
//! value last changed — so any client's delta is "fields with a version above the one it
//! last received", whatever its rate.
//!
//! ```text
//!   version:      41        42        43        44
//!   a1b2c3.alt   35000 ─── 35025 ──────────── 35050      client A last got 42:
//!   a1b2c3.gs    451 ──────────────── 452 ─────────        updated {alt_baro, gs}
//!   4840d6       ────────── removed at 43                  removed [4840d6]
//! ```
//!
//! The core publishes an immutable [`World`] (unchanged aircraft share their entry between
//! versions), the fan-out reads it. Removals are logged for the last [`REMOVED_LOG`]
//! removals; a client whose baseline is older than the log gets a fresh snapshot instead of
//! a delta.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Removals remembered for deltas.
pub const REMOVED_LOG: usize = 4096;

/// Fields whose change makes a publish urgent (emergency squawks bypass batching).
const EMERGENCY_SQUAWKS: [&str; 3] = ["7500", "7600", "7700"];

/// One aircraft: its fields with the version each last changed at. A field that became
/// unknown is kept as `Null` so a delta can say so.
#[derive(Debug, PartialEq)]
pub struct Entry {
    pub added: u64,
    pub fields: BTreeMap<String, (Value, u64)>,
}

impl Entry {
    /// The record as clients see it (unknown fields omitted).
    pub fn record(&self) -> Map<String, Value> {
        self.fields
            .iter()
            .filter(|(_, (v, _))| !v.is_null())
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect()
    }

    fn changed_since(&self, base: u64) -> Map<String, Value> {
        self.fields
            .iter()
            .filter(|(_, (_, ver))| *ver > base)
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect()
    }
}

/// An immutable version of the picture.
#[derive(Debug, Default)]
pub struct World {
    pub version: u64,
    /// Wall clock of the publish, ms since the epoch.
    pub timestamp_ms: u64,
    pub aircraft: BTreeMap<String, Arc<Entry>>,
    removed: Arc<VecDeque<(u64, String)>>,
    /// Deltas can be built from any baseline ≥ this.
    removed_floor: u64,
    /// This version made an aircraft squawk 7500/7600/7700.
    pub urgent: bool,
}

/// The three arrays of an `aircraft:update`, serialised once and shared by every client on
/// the same baseline.
#[derive(Debug)]
pub struct DeltaParts {
    pub added: Box<RawValue>,
    pub updated: Box<RawValue>,
    pub removed: Box<RawValue>,
}

impl DeltaParts {
    pub fn bytes(&self) -> usize {
        self.added.get().len() + self.updated.get().len() + self.removed.get().len()
    }
}

impl World {
    /// Every record, ordered by hex.
    pub fn records(&self) -> Vec<Map<String, Value>> {
        self.aircraft.values().map(|e| e.record()).collect()
    }

    pub fn record(&self, hex: &str) -> Option<Map<String, Value>> {
        self.aircraft
            .get(&hex.to_ascii_lowercase())
            .map(|e| e.record())
    }

    /// What changed since `base`; `None` when `base` is too old for the removal log (send a
    /// snapshot). `added` replaces whatever the client holds for that hex; in `updated`, a
    /// `null` field means it is no longer known.
    pub fn delta_since(&self, base: u64) -> Option<DeltaParts> {
        if base < self.removed_floor {
            return None;
        }
        let mut added = Vec::new();
        let mut updated = Vec::new();
        for (hex, e) in &self.aircraft {
            if e.added > base {
                added.push(e.record());
            } else {
                let mut changed = e.changed_since(base);
                if !changed.is_empty() {
                    changed.insert("hex".into(), Value::from(hex.as_str()));
                    updated.push(changed);
                }
            }
        }
        let removed: Vec<&str> = self
            .removed
            .iter()
            .filter(|(v, hex)| *v > base && !self.aircraft.contains_key(hex))
            .map(|(_, hex)| hex.as_str())
            .collect();
        Some(DeltaParts {
            added: raw(&added),
            updated: raw(&updated),
            removed: raw(&removed),
        })
    }
}

/// Serialises a value the server built itself (maps of strings and numbers: cannot fail).
pub fn raw<T: Serialize + ?Sized>(v: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(v).unwrap_or_else(|e| {
        tracing::error!("serialising an event failed: {e}");
        RawValue::from_string("null".into()).unwrap_or_default()
    })
}

/// Builds successive worlds from the track table's records.
#[derive(Default)]
pub struct Publisher {
    world: Arc<World>,
}

impl Publisher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn current(&self) -> &World {
        &self.world
    }

    /// Takes the records at this instant; returns the new world if anything changed.
    /// Each record must carry a `hex`.
    pub fn publish(
        &mut self,
        records: Vec<Map<String, Value>>,
        timestamp_ms: u64,
    ) -> Option<Arc<World>> {
        let v = self.world.version + 1;
        let mut changed = false;
        let mut urgent = false;
        let mut next = BTreeMap::new();
        for mut r in records {
            let Some(hex) = r.remove("hex").and_then(|h| h.as_str().map(str::to_owned)) else {
                continue;
            };
            r.insert("hex".into(), Value::from(hex.as_str()));
            let emergency = r
                .get("squawk")
                .and_then(Value::as_str)
                .is_some_and(|s| EMERGENCY_SQUAWKS.contains(&s));
            let entry = match self.world.aircraft.get(&hex) {
                None => {
                    changed = true;
                    urgent |= emergency;
                    Arc::new(Entry {
                        added: v,
                        fields: r.into_iter().map(|(k, x)| (k, (x, v))).collect(),
                    })
                }
                Some(old) => match merge(old, r, v) {
                    None => old.clone(),
                    Some(e) => {
                        changed = true;
                        urgent |=
                            emergency && e.fields.get("squawk").is_some_and(|(_, ver)| *ver == v);
                        Arc::new(e)
                    }
                },
            };
            next.insert(hex, entry);
        }
        let gone: Vec<String> = self
            .world
            .aircraft
            .keys()
            .filter(|h| !next.contains_key(*h))
            .cloned()
            .collect();
        let mut removed = self.world.removed.clone();
        let mut removed_floor = self.world.removed_floor;
        if !gone.is_empty() {
            changed = true;
            let log = Arc::make_mut(&mut removed);
            for hex in gone {
                log.push_back((v, hex));
            }
            while log.len() > REMOVED_LOG {
                if let Some((ver, _)) = log.pop_front() {
                    // Baselines before this removal can no longer be brought up to date.
                    removed_floor = ver;
                }
            }
        }
        if !changed {
            return None;
        }
        self.world = Arc::new(World {
            version: v,
            timestamp_ms,
            aircraft: next,
            removed,
            removed_floor,
            urgent,
        });
        Some(self.world.clone())
    }
}

/// The entry after `record` arrived at version `v`, or `None` if nothing changed.
fn merge(old: &Entry, record: Map<String, Value>, v: u64) -> Option<Entry> {
    let mut fields = old.fields.clone();
    let mut changed = false;
    for (k, (val, ver)) in fields.iter_mut() {
        if !val.is_null() && !record.contains_key(k) {
            *val = Value::Null;
            *ver = v;
            changed = true;
        }
    }
    for (k, x) in record {
        match fields.get_mut(&k) {
            Some((val, _)) if *val == x => {}
            Some(slot) => {
                *slot = (x, v);
                changed = true;
            }
            None => {
                fields.insert(k, (x, v));
                changed = true;
            }
        }
    }
    changed.then_some(Entry {
        added: old.added,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    /// Applies a delta to a client's copy the way protocol.md tells clients to.
    fn apply(state: &mut BTreeMap<String, Map<String, Value>>, d: &DeltaParts) {
        let removed: Vec<String> = serde_json::from_str(d.removed.get()).unwrap();
        for h in removed {
            state.remove(&h);
        }
        let added: Vec<Map<String, Value>> = serde_json::from_str(d.added.get()).unwrap();
        for a in added {
            state.insert(a["hex"].as_str().unwrap().to_owned(), a);
        }
        let updated: Vec<Map<String, Value>> = serde_json::from_str(d.updated.get()).unwrap();
        for u in updated {
            let r = state.get_mut(u["hex"].as_str().unwrap()).unwrap();
            for (k, v) in u {
                if v.is_null() {
                    r.remove(&k);
                } else {
                    r.insert(k, v);
                }
            }
        }
    }

    fn truth(w: &World) -> BTreeMap<String, Map<String, Value>> {
        w.aircraft
            .iter()
            .map(|(h, e)| (h.clone(), e.record()))
            .collect()
    }

    #[test]
    fn deltas_from_any_baseline_rebuild_the_world() {
        let mut p = Publisher::new();
        let steps = [
            vec![json!({"hex":"a","alt_baro":1000,"gs":200.0})],
            vec![
                json!({"hex":"a","alt_baro":1100,"gs":200.0}),
                json!({"hex":"b","flight":"KLM1"}),
            ],
            vec![json!({"hex":"b","flight":"KLM1","lat":52.0})],
            vec![json!({"hex":"b","flight":"KLM2"}), json!({"hex":"a"})],
        ];
        let mut worlds = vec![Arc::new(World::default())];
        for (i, s) in steps.iter().enumerate() {
            let w = p
                .publish(s.iter().cloned().map(rec).collect(), i as u64)
                .unwrap();
            worlds.push(w);
        }
        let last = worlds.last().unwrap();
        for base in &worlds {
            let mut state = truth(base);
            apply(&mut state, &last.delta_since(base.version).unwrap());
            assert_eq!(state, truth(last), "from version {}", base.version);
        }
        // Only what changed since the baseline is sent.
        let d = last.delta_since(3).unwrap();
        assert_eq!(
            d.updated.get(),
            r#"[{"flight":"KLM2","hex":"b","lat":null}]"#
        );
        assert_eq!(d.removed.get(), "[]");
    }

    #[test]
    fn unchanged_records_publish_nothing() {
        let mut p = Publisher::new();
        let r = || vec![rec(json!({"hex":"a","gs":1.0}))];
        assert!(p.publish(r(), 0).is_some());
        assert!(p.publish(r(), 1).is_none());
        assert_eq!(p.current().version, 1);
    }

    #[test]
    fn emergency_squawk_makes_the_publish_urgent_once() {
        let mut p = Publisher::new();
        let w = p.publish(vec![rec(json!({"hex":"a","squawk":"1200"}))], 0);
        assert!(!w.unwrap().urgent);
        let w = p.publish(vec![rec(json!({"hex":"a","squawk":"7700"}))], 1);
        assert!(w.unwrap().urgent);
        let w = p.publish(vec![rec(json!({"hex":"a","squawk":"7700","gs":3}))], 2);
        assert!(!w.unwrap().urgent);
    }

    #[test]
    fn a_baseline_older_than_the_removal_log_needs_a_snapshot() {
        let mut p = Publisher::new();
        for i in 0..=REMOVED_LOG as u64 + 1 {
            let hex = format!("{i:06x}");
            p.publish(vec![rec(json!({ "hex": hex }))], i);
        }
        let w = p.publish(Vec::new(), 0).unwrap();
        assert!(w.delta_since(0).is_none());
        assert!(w.delta_since(w.version - 1).is_some());
    }
}
