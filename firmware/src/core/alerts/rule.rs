//! Alert rules: the format of protocol.md, validated with errors that name the exact field,
//! compiled once (regexes included) and evaluated against a track.
//!
//! ```json
//! {"id": 1, "name": "low and close", "enabled": true, "priority": "warning", "cooldown_s": 300,
//!  "conditions": {"logic": "AND", "groups": [
//!    {"logic": "AND", "conditions": [
//!      {"type": "altitude", "operator": "lt", "value": 3000},
//!      {"type": "distance", "operator": "le", "value": 10}]}]}}
//! ```

use crate::core::safety::Severity;
use serde::{Deserialize, Serialize};

/// Regexes longer than this are refused (the `regex` crate is linear-time in the input; this
/// bounds compile time and memory).
pub const MAX_REGEX: usize = 500;
pub const MAX_GROUPS: usize = 16;
pub const MAX_CONDITIONS: usize = 32;
pub const MAX_POLYGON_POINTS: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Logic {
    #[serde(rename = "AND", alias = "and")]
    And,
    #[serde(rename = "OR", alias = "or")]
    Or,
}

/// A rule as clients send and receive it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(default)]
    pub id: u64,
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "warning")]
    pub priority: Severity,
    #[serde(default = "five_minutes")]
    pub cooldown_s: f64,
    pub conditions: ConditionTree,
}

fn yes() -> bool {
    true
}
fn warning() -> Severity {
    Severity::Warning
}
fn five_minutes() -> f64 {
    300.0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionTree {
    pub logic: Logic,
    pub groups: Vec<Group>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub logic: Logic,
    pub conditions: Vec<ConditionSpec>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    #[serde(rename = "type")]
    pub kind: String,
    pub operator: String,
    pub value: serde_json::Value,
}

/// What a rule looks at in a track.
#[derive(Clone, Debug, Default)]
pub struct Subject<'a> {
    pub icao: &'a str,
    pub callsign: Option<&'a str>,
    pub squawk: Option<&'a str>,
    pub altitude: Option<f64>,
    pub speed: Option<f64>,
    pub vertical_rate: Option<f64>,
    pub category: Option<&'a str>,
    /// Squawk 7500/7600/7700 or an emergency status other than none.
    pub emergency: bool,
    pub distance_nm: Option<f64>,
    pub position: Option<(f64, f64)>,
    /// From the aircraft database: registration, ICAO type designator, owner/operator, and
    /// whether it is military (`dbFlags` bit 1).
    pub registration: Option<&'a str>,
    pub aircraft_type: Option<&'a str>,
    pub operator: Option<&'a str>,
    pub military: bool,
}

#[derive(Clone, Debug)]
enum Text {
    Eq(String),
    Neq(String),
    Contains(String),
    StartsWith(String),
    EndsWith(String),
    Regex(regex::Regex),
}

#[derive(Clone, Copy, Debug)]
enum Cmp {
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug)]
pub enum Fence {
    Circle { lat: f64, lon: f64, radius_nm: f64 },
    Polygon(Vec<(f64, f64)>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crossing {
    Entering,
    Leaving,
    Inside,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TextField {
    Icao,
    Callsign,
    Squawk,
    Category,
    Registration,
    AircraftType,
    Operator,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NumField {
    Altitude,
    Speed,
    VerticalRate,
    Distance,
}

#[derive(Clone, Debug)]
enum Condition {
    Text(TextField, Text),
    Number(NumField, Cmp, f64),
    Emergency(bool),
    Military(bool),
    Geofence(Crossing, Fence),
}

/// A validated rule, ready to evaluate.
#[derive(Clone, Debug)]
pub struct Rule {
    pub spec: RuleSpec,
    logic: Logic,
    groups: Vec<(Logic, Vec<Condition>)>,
    /// It has a geofence condition (and so remembers where each aircraft was).
    fenced: bool,
}

/// Where a geofence subject was last time, per rule and aircraft (for entering/leaving).
pub type FenceMemory = std::collections::HashMap<usize, bool>;

impl Rule {
    /// Validates and compiles a rule. The error names the field and says what is wrong.
    pub fn compile(spec: RuleSpec) -> Result<Rule, String> {
        let name = spec.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err("name: must be 1–100 characters".into());
        }
        if !(spec.cooldown_s.is_finite() && (0.0..=86_400.0).contains(&spec.cooldown_s)) {
            return Err("cooldown_s: must be between 0 and 86400".into());
        }
        let tree = &spec.conditions;
        if tree.groups.is_empty() || tree.groups.len() > MAX_GROUPS {
            return Err(format!(
                "conditions.groups: must hold 1–{MAX_GROUPS} groups"
            ));
        }
        let mut groups = Vec::with_capacity(tree.groups.len());
        for (g, group) in tree.groups.iter().enumerate() {
            if group.conditions.is_empty() || group.conditions.len() > MAX_CONDITIONS {
                return Err(format!(
                    "conditions.groups[{g}].conditions: must hold 1–{MAX_CONDITIONS} conditions"
                ));
            }
            let mut conds = Vec::with_capacity(group.conditions.len());
            for (c, cond) in group.conditions.iter().enumerate() {
                let path = format!("conditions.groups[{g}].conditions[{c}]");
                conds.push(compile_condition(cond).map_err(|e| format!("{path}.{e}"))?);
            }
            groups.push((group.logic, conds));
        }
        let fenced = groups
            .iter()
            .flat_map(|(_, conds)| conds)
            .any(|c| matches!(c, Condition::Geofence(..)));
        Ok(Rule {
            logic: tree.logic,
            groups,
            fenced,
            spec,
        })
    }

    /// Whether the rule has a geofence condition (and so remembers where each aircraft was).
    pub fn has_fences(&self) -> bool {
        self.fenced
    }

    /// Whether the rule matches `s`. `fences` remembers geofence state per condition for
    /// this rule and aircraft, so `entering`/`leaving` fire on the crossing only.
    pub fn matches(&self, s: &Subject<'_>, fences: &mut FenceMemory) -> bool {
        let mut index = 0;
        let mut results = Vec::with_capacity(self.groups.len());
        for (logic, conds) in &self.groups {
            let mut values = Vec::with_capacity(conds.len());
            for c in conds {
                values.push(eval(c, s, fences, index));
                index += 1;
            }
            results.push(combine(*logic, &values));
        }
        combine(self.logic, &results)
    }
}

fn combine(logic: Logic, values: &[bool]) -> bool {
    match logic {
        Logic::And => values.iter().all(|&v| v),
        Logic::Or => values.iter().any(|&v| v),
    }
}

fn compile_condition(c: &ConditionSpec) -> Result<Condition, String> {
    let text = |field: TextField| -> Result<Condition, String> {
        let v = c
            .value
            .as_str()
            .ok_or_else(|| format!("value: {} needs a string", c.kind))?;
        let v = v.trim().to_string();
        let t = match c.operator.as_str() {
            "eq" => Text::Eq(v.to_lowercase()),
            "neq" => Text::Neq(v.to_lowercase()),
            "contains" => Text::Contains(v.to_lowercase()),
            "startswith" => Text::StartsWith(v.to_lowercase()),
            "endswith" => Text::EndsWith(v.to_lowercase()),
            "regex" => {
                if v.len() > MAX_REGEX {
                    return Err(format!("value: regex longer than {MAX_REGEX} characters"));
                }
                let re = regex::RegexBuilder::new(&v)
                    .case_insensitive(true)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| format!("value: invalid regex: {}", e.to_string().lines().last().unwrap_or("")))?;
                Text::Regex(re)
            }
            op => {
                return Err(format!(
                    "operator: '{op}' does not apply to {} (use eq, neq, contains, startswith, endswith, regex)",
                    c.kind
                ))
            }
        };
        Ok(Condition::Text(field, t))
    };
    let number = |field: NumField| -> Result<Condition, String> {
        let v = c
            .value
            .as_f64()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("value: {} needs a number", c.kind))?;
        let cmp = match c.operator.as_str() {
            "eq" => Cmp::Eq,
            "neq" => Cmp::Neq,
            "lt" => Cmp::Lt,
            "le" => Cmp::Le,
            "gt" => Cmp::Gt,
            "ge" => Cmp::Ge,
            op => {
                return Err(format!(
                    "operator: '{op}' does not apply to {} (use eq, neq, lt, le, gt, ge)",
                    c.kind
                ))
            }
        };
        Ok(Condition::Number(field, cmp, v))
    };
    match c.kind.as_str() {
        "icao" => text(TextField::Icao),
        "callsign" => text(TextField::Callsign),
        "squawk" => text(TextField::Squawk),
        "category" => text(TextField::Category),
        "registration" => text(TextField::Registration),
        "aircraft_type" => text(TextField::AircraftType),
        "operator" => text(TextField::Operator),
        "altitude" => number(NumField::Altitude),
        "speed" => number(NumField::Speed),
        "vertical_rate" => number(NumField::VerticalRate),
        "distance" => {
            let c = number(NumField::Distance)?;
            Ok(c)
        }
        "emergency" => {
            let v = c.value.as_bool().ok_or("value: emergency needs true or false")?;
            match c.operator.as_str() {
                "eq" => Ok(Condition::Emergency(v)),
                "neq" => Ok(Condition::Emergency(!v)),
                op => Err(format!("operator: '{op}' does not apply to emergency (use eq, neq)")),
            }
        }
        "military" => {
            let v = c.value.as_bool().ok_or("value: military needs true or false")?;
            match c.operator.as_str() {
                "eq" => Ok(Condition::Military(v)),
                "neq" => Ok(Condition::Military(!v)),
                op => Err(format!("operator: '{op}' does not apply to military (use eq, neq)")),
            }
        }
        "geofence" => {
            let crossing = match c.operator.as_str() {
                "entering" => Crossing::Entering,
                "leaving" => Crossing::Leaving,
                "inside" => Crossing::Inside,
                op => return Err(format!("operator: '{op}' does not apply to geofence (use entering, leaving, inside)")),
            };
            Ok(Condition::Geofence(crossing, compile_fence(&c.value)?))
        }
        other => Err(format!(
            "type: unknown condition type '{other}' (icao, callsign, squawk, altitude, speed, vertical_rate, category, emergency, distance, geofence, registration, aircraft_type, operator, military)"
        )),
    }
}

fn compile_fence(v: &serde_json::Value) -> Result<Fence, String> {
    let num = |key: &str| {
        v.get(key)
            .and_then(serde_json::Value::as_f64)
            .filter(|x| x.is_finite())
    };
    let valid =
        |lat: f64, lon: f64| (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
    match v.get("type").and_then(serde_json::Value::as_str) {
        Some("circle") => {
            let (lat, lon, r) = (num("lat"), num("lon"), num("radius_nm"));
            match (lat, lon, r) {
                (Some(lat), Some(lon), Some(r)) if valid(lat, lon) && r > 0.0 && r <= 1000.0 => {
                    Ok(Fence::Circle {
                        lat,
                        lon,
                        radius_nm: r,
                    })
                }
                _ => Err(
                    "value: a circle needs lat (−90..90), lon (−180..180) and radius_nm (0..1000]"
                        .into(),
                ),
            }
        }
        Some("polygon") => {
            let pts = v
                .get("points")
                .and_then(serde_json::Value::as_array)
                .ok_or("value.points: a list of [lat, lon] is needed")?;
            if pts.len() < 3 || pts.len() > MAX_POLYGON_POINTS {
                return Err(format!(
                    "value.points: a polygon needs 3–{MAX_POLYGON_POINTS} points"
                ));
            }
            let mut out = Vec::with_capacity(pts.len());
            for (i, p) in pts.iter().enumerate() {
                let pair = p.as_array().filter(|a| a.len() == 2);
                let (lat, lon) = match pair.map(|a| (a[0].as_f64(), a[1].as_f64())) {
                    Some((Some(lat), Some(lon))) if valid(lat, lon) => (lat, lon),
                    _ => return Err(format!("value.points[{i}]: must be [lat, lon] on Earth")),
                };
                out.push((lat, lon));
            }
            Ok(Fence::Polygon(out))
        }
        _ => Err("value.type: a geofence is a \"circle\" or a \"polygon\"".into()),
    }
}

fn eval(c: &Condition, s: &Subject<'_>, fences: &mut FenceMemory, index: usize) -> bool {
    match c {
        Condition::Text(field, t) => {
            let v = match field {
                TextField::Icao => Some(s.icao),
                TextField::Callsign => s.callsign,
                TextField::Squawk => s.squawk,
                TextField::Category => s.category,
                TextField::Registration => s.registration,
                TextField::AircraftType => s.aircraft_type,
                TextField::Operator => s.operator,
            };
            let Some(v) = v else { return false };
            let v = v.trim().to_lowercase();
            match t {
                Text::Eq(x) => v == *x,
                Text::Neq(x) => v != *x,
                Text::Contains(x) => v.contains(x.as_str()),
                Text::StartsWith(x) => v.starts_with(x.as_str()),
                Text::EndsWith(x) => v.ends_with(x.as_str()),
                Text::Regex(re) => re.is_match(&v),
            }
        }
        Condition::Number(field, cmp, x) => {
            let v = match field {
                NumField::Altitude => s.altitude,
                NumField::Speed => s.speed,
                NumField::VerticalRate => s.vertical_rate,
                NumField::Distance => s.distance_nm,
            };
            let Some(v) = v else { return false };
            match cmp {
                Cmp::Eq => v == *x,
                Cmp::Neq => v != *x,
                Cmp::Lt => v < *x,
                Cmp::Le => v <= *x,
                Cmp::Gt => v > *x,
                Cmp::Ge => v >= *x,
            }
        }
        Condition::Emergency(want) => s.emergency == *want,
        Condition::Military(want) => s.military == *want,
        Condition::Geofence(crossing, fence) => {
            let Some(p) = s.position else { return false };
            let inside = fence.contains(p);
            let before = fences.insert(index, inside);
            match crossing {
                Crossing::Inside => inside,
                Crossing::Entering => inside && before == Some(false),
                Crossing::Leaving => !inside && before == Some(true),
            }
        }
    }
}

impl Fence {
    pub fn contains(&self, (lat, lon): (f64, f64)) -> bool {
        match self {
            Fence::Circle {
                lat: clat,
                lon: clon,
                radius_nm,
            } => {
                let a = dsp::cpr::Position {
                    lat: *clat,
                    lon: *clon,
                };
                crate::core::track::position::distance_nm(a, dsp::cpr::Position { lat, lon })
                    <= *radius_nm
            }
            // Ray casting in the lat/lon plane (fences are small next to the globe).
            Fence::Polygon(pts) => {
                let mut inside = false;
                let mut j = pts.len() - 1;
                for i in 0..pts.len() {
                    let (yi, xi) = pts[i];
                    let (yj, xj) = pts[j];
                    if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
                        inside = !inside;
                    }
                    j = i;
                }
                inside
            }
        }
    }
}
