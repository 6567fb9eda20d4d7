//! Alert rules on disk: validated on every change, written atomically (a temporary file,
//! fsync, rename), and a file that cannot be read is moved aside with a message, never
//! silently dropped or overwritten.

use super::rule::{Rule, RuleSpec};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(serde::Serialize, serde::Deserialize)]
struct File {
    version: u32,
    rules: Vec<RuleSpec>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Invalid(String),
    #[error("no rule with id {0}")]
    NotFound(u64),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The rules of a rule file's text, each validated, or what is wrong with the first bad one.
fn parse(text: &str) -> Result<Vec<Rule>, String> {
    let file = serde_json::from_str::<File>(text).map_err(|e| e.to_string())?;
    file.rules
        .into_iter()
        .enumerate()
        .map(|(i, spec)| Rule::compile(spec).map_err(|e| format!("rules[{i}].{e}")))
        .collect()
}

/// A rule file's text on arbitrary input (the fuzz target and its property test): it parses
/// or is refused with a reason, and what parses is written back as the same rules.
#[doc(hidden)]
pub fn exercise(text: &str) {
    match parse(text) {
        Err(why) => assert!(!why.is_empty()),
        Ok(rules) => {
            let file = File {
                version: 1,
                rules: rules.iter().map(|r| r.spec.clone()).collect(),
            };
            let written = serde_json::to_string(&file).expect("rules serialize");
            let again = parse(&written).expect("written rules read back");
            let again: Vec<_> = again.iter().map(|r| &r.spec).collect();
            let first: Vec<_> = rules.iter().map(|r| &r.spec).collect();
            assert_eq!(again, first, "rules changed on the way through the file");
            // And each rule evaluates, on an aircraft with nothing known and on a full one.
            let full = super::rule::Subject {
                icao: "4ca123",
                callsign: Some("RYR12AB"),
                squawk: Some("7700"),
                altitude: Some(35_000.0),
                speed: Some(450.0),
                vertical_rate: Some(-1_200.0),
                category: Some("A3"),
                emergency: true,
                distance_nm: Some(12.5),
                position: Some((52.3, 4.76)),
                registration: Some("EI-ABC"),
                aircraft_type: Some("B738"),
                operator: Some("Ryanair"),
                military: false,
            };
            for r in &rules {
                let mut fences = super::rule::FenceMemory::new();
                r.matches(&super::rule::Subject::default(), &mut fences);
                r.matches(&full, &mut fences);
                r.matches(&full, &mut fences);
            }
        }
    }
}

pub struct RuleStore {
    path: PathBuf,
    rules: Vec<Rule>,
    next_id: u64,
}

impl RuleStore {
    /// Opens the rule file. A missing file is an empty set. An unreadable one (bad JSON, or a
    /// rule that no longer validates) is renamed to `<path>.corrupt-<now>` and reported in
    /// the second value; the store starts empty.
    pub fn open(path: &Path, now_unix: u64) -> (RuleStore, Option<String>) {
        let mut store = RuleStore {
            path: path.to_path_buf(),
            rules: Vec::new(),
            next_id: 1,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (store, None),
            Err(e) => {
                return (
                    store,
                    Some(format!("cannot read alert rules {}: {e}", path.display())),
                )
            }
        };
        match parse(&text) {
            Ok(rules) => {
                store.next_id = rules.iter().map(|r| r.spec.id).max().unwrap_or(0) + 1;
                store.rules = rules;
                (store, None)
            }
            Err(why) => {
                let aside = PathBuf::from(format!("{}.corrupt-{now_unix}", path.display()));
                let moved = std::fs::rename(path, &aside);
                let msg = match moved {
                    Ok(()) => format!(
                        "alert rules {} are unreadable ({why}); kept as {}",
                        path.display(),
                        aside.display()
                    ),
                    Err(e) => format!(
                        "alert rules {} are unreadable ({why}) and could not be moved aside: {e}",
                        path.display()
                    ),
                };
                (store, Some(msg))
            }
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Validates and adds a rule (its `id` is assigned here); returns it as stored.
    pub fn create(&mut self, mut spec: RuleSpec) -> Result<RuleSpec, StoreError> {
        spec.id = self.next_id;
        let rule = Rule::compile(spec).map_err(StoreError::Invalid)?;
        let stored = rule.spec.clone();
        self.rules.push(rule);
        self.next_id += 1;
        self.save_or_undo(|s| {
            s.rules.pop();
            s.next_id -= 1;
        })?;
        Ok(stored)
    }

    pub fn update(&mut self, id: u64, mut spec: RuleSpec) -> Result<RuleSpec, StoreError> {
        let i = self.position(id)?;
        spec.id = id;
        let rule = Rule::compile(spec).map_err(StoreError::Invalid)?;
        let stored = rule.spec.clone();
        let old = std::mem::replace(&mut self.rules[i], rule);
        self.save_or_undo(move |s| s.rules[i] = old)?;
        Ok(stored)
    }

    pub fn delete(&mut self, id: u64) -> Result<(), StoreError> {
        let i = self.position(id)?;
        let old = self.rules.remove(i);
        self.save_or_undo(move |s| s.rules.insert(i, old))
    }

    pub fn toggle(&mut self, id: u64, enabled: bool) -> Result<RuleSpec, StoreError> {
        let i = self.position(id)?;
        let was = self.rules[i].spec.enabled;
        self.rules[i].spec.enabled = enabled;
        self.save_or_undo(move |s| s.rules[i].spec.enabled = was)?;
        Ok(self.rules[i].spec.clone())
    }

    fn position(&self, id: u64) -> Result<usize, StoreError> {
        self.rules
            .iter()
            .position(|r| r.spec.id == id)
            .ok_or(StoreError::NotFound(id))
    }

    /// Saves; if that fails, undoes the change in memory so memory and disk agree.
    fn save_or_undo(&mut self, undo: impl FnOnce(&mut Self)) -> Result<(), StoreError> {
        if let Err(e) = self.save() {
            undo(self);
            return Err(e);
        }
        Ok(())
    }

    fn save(&self) -> Result<(), StoreError> {
        let file = File {
            version: 1,
            rules: self.rules.iter().map(|r| r.spec.clone()).collect(),
        };
        let text =
            serde_json::to_vec_pretty(&file).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let tmp = PathBuf::from(format!("{}.tmp", self.path.display()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)?;
            // The rename itself is durable only once the directory is synced.
            let dir = match self.path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            std::fs::File::open(dir)?.sync_all()
        };
        write().map_err(|source| StoreError::Write {
            path: self.path.clone(),
            source,
        })
    }
}
