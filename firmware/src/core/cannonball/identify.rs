//! Who an aircraft is, for cannonball: law enforcement (from the database, the operator's
//! name, or the call sign, each with its own confidence), a helicopter (emitter category A7,
//! or a rotorcraft type designator), a type used for traffic and surveillance work, or
//! otherwise of interest (military, government, or listed as interesting).

use crate::config::CannonballConfig;
use crate::core::aircraft_db::{flags, Cmpg, Entry};
use regex::{RegexSet, RegexSetBuilder};
use std::collections::HashSet;

/// Operators that are law enforcement (case-insensitive; the config adds more).
const OPERATORS: &[&str] = &[
    r"\bpolice\b",
    r"\bpolizei",
    r"\bpolitie\b",
    r"\bpolizia\b",
    r"\bpolic[ií]a\b",
    r"\bpolicie\b",
    r"\bpoliti\b",
    r"\bpoliisi\b",
    r"\bsheriff",
    r"\bconstabulary\b",
    r"\bgendarmerie\b",
    r"\bcarabinieri\b",
    r"\bguardia civil\b",
    r"\bhighway patrol\b",
    r"\bstate patrol\b",
    r"\bstate troopers?\b",
    r"\blaw enforcement\b",
    r"\bborder patrol\b",
    r"\bcustoms and border protection\b",
    r"\bmarshals? service\b",
    r"\bdrug enforcement\b",
    r"\bfederal bureau of investigation\b",
    r"\bdepartment of public safety\b",
    r"\bnational police air service\b",
];

/// Call signs that are law enforcement (case-insensitive; the config adds more).
const CALLSIGNS: &[&str] = &[
    r"^police",
    r"^polizei",
    r"^politie",
    r"^sheriff",
    r"^trooper",
    r"^npas",
];

/// plane-alert-db categories that are law enforcement.
const LE_CATEGORIES: &[&str] = &["Police Forces", "UK National Police Air Service"];

/// Types flown for traffic and surveillance work (the config adds more).
const SURVEILLANCE_TYPES: &[&str] = &[
    "C172", "C182", "C206", "C208", "C210", "PC12", "BE20", "BE35", "BE9L", "P68", "DA42", "SR22",
    "EC30", "EC35", "EC45", "AS50", "AS55", "H125", "H130", "H135", "H145", "B06", "B407", "B429",
    "B505", "R44", "R66", "A109", "A119", "MD52", "MD60", "EXPL", "BK17",
];

/// ICAO type designators of helicopters.
const HELICOPTER_TYPES: &[&str] = &[
    "A109", "A119", "A129", "A139", "A149", "A169", "A189", "ALO2", "ALO3", "AS32", "AS3B", "AS50",
    "AS55", "AS65", "B06", "B06T", "B105", "B212", "B222", "B230", "B407", "B412", "B427", "B429",
    "B430", "B47G", "B505", "BK17", "EC20", "EC25", "EC30", "EC35", "EC45", "EC55", "EC75", "EH10",
    "EN28", "EN48", "EXPL", "GAZL", "H125", "H130", "H135", "H145", "H160", "H175", "H47", "H53",
    "H53S", "H60", "H64", "KA27", "KA32", "KMAX", "LYNX", "MD52", "MD60", "MI8", "MI24", "MI26",
    "NH90", "PUMA", "R22", "R44", "R66", "S61", "S64", "S76", "S92", "TIGR", "UH1", "UH1Y",
];

/// Why an aircraft is taken for law enforcement, and how sure that is.
#[derive(Clone, Debug, PartialEq)]
pub struct LawEnforcement {
    pub reason: String,
    pub confidence: f64,
}

/// What cannonball makes of one aircraft.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Interest {
    pub law_enforcement: Option<LawEnforcement>,
    pub helicopter: bool,
    pub surveillance_type: bool,
    pub military: bool,
    pub government: bool,
    /// In the database as interesting (every plane-alert-db aircraft is).
    pub listed: bool,
    /// Why, in words (one entry a finding).
    pub reasons: Vec<String>,
}

impl Interest {
    /// Of interest at all.
    pub fn any(&self) -> bool {
        self.law_enforcement.is_some()
            || self.helicopter
            || self.surveillance_type
            || self.military
            || self.government
            || self.listed
    }
}

/// The compiled lists.
#[derive(Debug)]
pub struct Identifier {
    operators: RegexSet,
    callsigns: RegexSet,
    surveillance: HashSet<String>,
    helicopters: HashSet<&'static str>,
}

impl Default for Identifier {
    fn default() -> Self {
        Identifier::new(&CannonballConfig::default())
    }
}

impl Identifier {
    /// The built-in lists plus the config's. A config pattern that does not compile was
    /// refused by the config's validation; here it is left out (and logged).
    pub fn new(c: &CannonballConfig) -> Identifier {
        let set = |builtin: &[&str], extra: &[String]| {
            let usable = extra.iter().filter(|p| {
                let ok = regex::Regex::new(p).is_ok();
                if !ok {
                    tracing::warn!("cannonball pattern {p:?} does not compile: left out");
                }
                ok
            });
            let all: Vec<String> = builtin
                .iter()
                .map(|s| s.to_string())
                .chain(usable.cloned())
                .collect();
            RegexSetBuilder::new(&all)
                .case_insensitive(true)
                .size_limit(1 << 22)
                .build()
                .unwrap_or_else(|e| {
                    tracing::warn!("cannonball patterns left out: {e}");
                    RegexSet::empty()
                })
        };
        Identifier {
            operators: set(OPERATORS, &c.operators),
            callsigns: set(CALLSIGNS, &c.callsigns),
            surveillance: SURVEILLANCE_TYPES
                .iter()
                .map(|s| s.to_string())
                .chain(c.surveillance_types.iter().map(|s| s.trim().to_uppercase()))
                .collect(),
            helicopters: HELICOPTER_TYPES.iter().copied().collect(),
        }
    }

    /// What the database entry, call sign and emitter category say.
    pub fn classify(
        &self,
        db: Option<&Entry<'_>>,
        callsign: Option<&str>,
        category: Option<&str>,
    ) -> Interest {
        let mut i = Interest::default();
        let mut le = |reason: String, confidence: f64, reasons: &mut Vec<String>| {
            reasons.push(reason.clone());
            if i.law_enforcement
                .as_ref()
                .is_none_or(|l| l.confidence < confidence)
            {
                i.law_enforcement = Some(LawEnforcement { reason, confidence });
            }
        };
        let mut reasons = Vec::new();
        if let Some(e) = db {
            if e.cmpg == Some(Cmpg::Police) {
                le(
                    "listed as police in the aircraft database".into(),
                    0.95,
                    &mut reasons,
                );
            } else if LE_CATEGORIES.contains(&e.category) {
                le(
                    format!("listed under \"{}\"", e.category),
                    0.95,
                    &mut reasons,
                );
            }
            if !e.owner_operator.is_empty() && self.operators.is_match(e.owner_operator) {
                le(
                    format!("operator \"{}\" is law enforcement", e.owner_operator),
                    0.85,
                    &mut reasons,
                );
            }
        }
        if let Some(cs) = callsign.filter(|c| !c.is_empty()) {
            if self.callsigns.is_match(cs) {
                le(
                    format!("call sign {cs} is law enforcement"),
                    0.6,
                    &mut reasons,
                );
            }
        }
        let type_code = db.map(|e| e.type_code).unwrap_or("");
        if category == Some("A7") {
            i.helicopter = true;
            reasons.push("rotorcraft (emitter category A7)".into());
        } else if self.helicopters.contains(type_code) {
            i.helicopter = true;
            reasons.push(format!("{type_code} is a helicopter"));
        }
        if self.surveillance.contains(type_code) {
            i.surveillance_type = true;
            reasons.push(format!("{type_code} is flown for surveillance work"));
        }
        if let Some(e) = db {
            i.military = e.flags & flags::MILITARY != 0;
            i.government = e.cmpg == Some(Cmpg::Government);
            i.listed = e.flags & flags::INTERESTING != 0;
            if i.military {
                reasons.push("military".into());
            }
            if i.government {
                reasons.push("government".into());
            }
            if i.listed && !e.category.is_empty() {
                reasons.push(format!("plane-alert-db: {}", e.category));
            }
        }
        i.reasons = reasons;
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(operator: &'a str, type_code: &'a str, cmpg: Option<Cmpg>) -> Entry<'a> {
        Entry {
            registration: "N1",
            type_code,
            description: "",
            owner_operator: operator,
            year: None,
            flags: 0,
            cmpg,
            category: "",
        }
    }

    #[test]
    fn law_enforcement_comes_from_the_database_the_operator_or_the_call_sign() {
        let id = Identifier::default();
        let police = entry("", "EC35", Some(Cmpg::Police));
        let i = id.classify(Some(&police), None, None);
        assert_eq!(i.law_enforcement.as_ref().map(|l| l.confidence), Some(0.95));
        assert!(i.helicopter && i.surveillance_type);

        let sheriff = entry("Maricopa County Sheriff's Office", "C206", None);
        let i = id.classify(Some(&sheriff), None, None);
        assert_eq!(i.law_enforcement.map(|l| l.confidence), Some(0.85));

        let i = id.classify(None, Some("NPAS14"), Some("A7"));
        assert_eq!(i.law_enforcement.map(|l| l.confidence), Some(0.6));
        assert!(i.helicopter);

        // An airliner: nothing.
        let airline = entry("KLM Royal Dutch Airlines", "B738", Some(Cmpg::Civil));
        assert!(!id
            .classify(Some(&airline), Some("KLM1023"), Some("A3"))
            .any());
        // "Policy" is not police.
        let insurer = entry("Aviation Policy Insurers", "C172", None);
        let i = id.classify(Some(&insurer), None, None);
        assert!(i.law_enforcement.is_none() && i.surveillance_type);
    }

    #[test]
    fn the_config_extends_the_lists() {
        let id = Identifier::new(&CannonballConfig {
            operators: vec!["^acme security$".into()],
            callsigns: vec!["^HAWK".into()],
            surveillance_types: vec!["da40".into()],
            ..CannonballConfig::default()
        });
        let e = entry("ACME Security", "DA40", None);
        let i = id.classify(Some(&e), Some("HAWK7"), None);
        let le = i.law_enforcement.expect("law enforcement");
        assert_eq!(le.confidence, 0.85);
        assert!(i.surveillance_type);
        assert_eq!(i.reasons.len(), 3, "{:?}", i.reasons);
    }
}
