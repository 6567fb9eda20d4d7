//! The aircraft database: who an ICAO address belongs to (registration, type, operator,
//! year, readsb's `dbFlags`), loaded once at start into a compact read-only index.
//!
//! ```text
//!   plane-alert-db (built in) ─┐
//!   aircraft.csv.gz (tar1090)  ├─ merged in order ─→ sorted addresses + 24-byte rows
//!   more files …              ─┘                      + one arena of interned strings
//! ```
//!
//! Two formats are read, told apart by their first line, each plain or gzip-compressed:
//! tar1090-db's `icao;reg;type;flags;desc;year;ownop;` (no header; flag digit *i* set is
//! `dbFlags` bit *i*: 1 military, 2 interesting, 4 PIA, 8 LADD) and plane-alert-db's CSV
//! (`$ICAO,$Registration,$Operator,$Type,$ICAO Type,#CMPG,…,Category,…`), whose every row is
//! an aircraft of interest (`dbFlags` 2, and 1 when its CMPG is `Mil`). A later file's
//! non-empty fields override an earlier one's for the same address; flags add up.
//!
//! Memory: a row is 24 bytes plus its address; type, description, operator and category are
//! interned (a few thousand distinct values among hundreds of thousands of aircraft), so 600,000
//! aircraft take about 23 MB (`skyspy run --check` prints the figure for the configured files;
//! `scripts/aircraft-db-memory` measures a full-size one).

pub mod country;
mod load;

pub use country::{country, Country};
pub use load::{LoadError, LoadReport};

/// plane-alert-db (ODbL 1.0, contents DbCL 1.0), built into the binary.
pub const BUILTIN_CSV: &[u8] = include_bytes!("../../../assets/plane-alert-db/plane-alert-db.csv");
/// How the built-in database is credited (the UI's about box, `/data/receiver.json`).
pub const BUILTIN_ATTRIBUTION: &str = "plane-alert-db by SDR-Enthusiasts and contributors, \
     Open Database License 1.0 (contents: Database Contents License 1.0)";

/// readsb's `dbFlags` bits.
pub mod flags {
    pub const MILITARY: u8 = 1;
    pub const INTERESTING: u8 = 2;
    pub const PIA: u8 = 4;
    pub const LADD: u8 = 8;
}

/// plane-alert-db's civil / military / government / police column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmpg {
    Civil,
    Military,
    Government,
    Police,
}

impl Cmpg {
    fn parse(s: &str) -> Option<Cmpg> {
        match s.trim() {
            "Civ" => Some(Cmpg::Civil),
            "Mil" => Some(Cmpg::Military),
            "Gov" => Some(Cmpg::Government),
            "Pol" => Some(Cmpg::Police),
            _ => None,
        }
    }

    fn code(self) -> u8 {
        self as u8 + 1
    }

    fn from_code(c: u8) -> Option<Cmpg> {
        [Cmpg::Civil, Cmpg::Military, Cmpg::Government, Cmpg::Police]
            .get(usize::from(c).checked_sub(1)?)
            .copied()
    }
}

/// What the database knows of one aircraft. Empty strings are "not known".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub registration: &'a str,
    /// ICAO type designator (`C182`).
    pub type_code: &'a str,
    /// Long type name (`CESSNA 182 Skylane`).
    pub description: &'a str,
    pub owner_operator: &'a str,
    /// Year built.
    pub year: Option<u16>,
    /// readsb's `dbFlags` ([`flags`]).
    pub flags: u8,
    pub cmpg: Option<Cmpg>,
    /// plane-alert-db's category (`Police Forces`).
    pub category: &'a str,
}

impl Entry<'_> {
    pub fn military(&self) -> bool {
        self.flags & flags::MILITARY != 0
    }
}

/// What the database and the address allocation say about one track: looked up once, when
/// the track starts (non-ICAO addresses have neither).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Identity {
    pub db: Option<Entry<'static>>,
    pub country: Option<Country>,
}

impl Identity {
    pub fn of(address: u32, non_icao: bool, db: Option<&'static AircraftDb>) -> Identity {
        if non_icao {
            return Identity::default();
        }
        Identity {
            db: db.and_then(|db| db.get(address)),
            country: country(address),
        }
    }
}

/// One aircraft in the index: offsets of its strings in the arena (0 is the empty string).
#[derive(Clone, Copy, Debug, Default)]
struct Row {
    registration: u32,
    type_code: u32,
    description: u32,
    owner_operator: u32,
    category: u32,
    /// Year built (0: not known).
    year: u16,
    flags: u8,
    cmpg: u8,
}

/// The read-only index. Lookups are a binary search over the sorted addresses.
#[derive(Debug, Default)]
pub struct AircraftDb {
    addresses: Vec<u32>,
    rows: Vec<Row>,
    /// Length-prefixed strings (one byte of length, then UTF-8), offset 0 the empty one.
    arena: Vec<u8>,
}

/// A database file's bytes on arbitrary input (the fuzz target and its property test): bad
/// lines are counted, never fatal; every aircraft kept is found by its address with fields
/// that fit the index; addresses are 24 bits.
#[doc(hidden)]
pub fn exercise(data: &[u8]) -> usize {
    let mut b = load::Builder::default();
    let report = b.add_bytes(data, "fuzz");
    // Records end at \n, \r or \r\n (as the csv reader takes them): at most one per end.
    let lines = 1 + data.iter().filter(|&&c| c == b'\n' || c == b'\r').count();
    assert!(report.aircraft + report.malformed <= lines, "{report:?}");
    let db = b.finish();
    assert!(db.len() <= report.aircraft, "{} of {report:?}", db.len());
    for &icao in &db.addresses {
        assert!(icao <= 0xff_ffff, "{icao:x}");
        let e = db.get(icao).expect("every address is found");
        for s in [e.registration, e.type_code, e.description, e.owner_operator] {
            assert!(s.len() < 256);
        }
    }
    db.len()
}

impl AircraftDb {
    /// No aircraft.
    pub fn empty() -> Self {
        load::Builder::default().finish()
    }

    /// Only the built-in plane-alert-db.
    pub fn builtin() -> Self {
        let mut b = load::Builder::default();
        // The built-in file is part of the binary and tested; a bad line in it is counted
        // like any other, never fatal.
        let _ = b.add_bytes(BUILTIN_CSV, "built-in plane-alert-db");
        b.finish()
    }

    /// The built-in database (if `builtin`), then each file in order.
    pub fn load(
        builtin: bool,
        files: &[std::path::PathBuf],
    ) -> Result<(AircraftDb, Vec<LoadReport>), LoadError> {
        let mut b = load::Builder::default();
        let mut reports = Vec::new();
        if builtin {
            reports.push(b.add_bytes(BUILTIN_CSV, "built-in plane-alert-db"));
        }
        for f in files {
            reports.push(b.add_file(f)?);
        }
        Ok((b.finish(), reports))
    }

    /// Keeps the database for the life of the process (it is loaded once, at start), so
    /// aircraft records can borrow its strings.
    pub fn leak(self) -> &'static AircraftDb {
        Box::leak(Box::new(self))
    }

    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }

    /// Heap bytes the index holds.
    pub fn heap_bytes(&self) -> usize {
        self.addresses.capacity() * 4
            + self.rows.capacity() * std::mem::size_of::<Row>()
            + self.arena.capacity()
    }

    /// The aircraft with ICAO address `icao` (24 bits).
    pub fn get(&self, icao: u32) -> Option<Entry<'_>> {
        let i = self.addresses.binary_search(&icao).ok()?;
        let r = self.rows.get(i)?;
        Some(Entry {
            registration: self.text(r.registration),
            type_code: self.text(r.type_code),
            description: self.text(r.description),
            owner_operator: self.text(r.owner_operator),
            year: (r.year != 0).then_some(r.year),
            flags: r.flags,
            cmpg: Cmpg::from_code(r.cmpg),
            category: self.text(r.category),
        })
    }

    fn text(&self, offset: u32) -> &str {
        load::arena_text(&self.arena, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_database_loads_whole() {
        let (db, reports) = AircraftDb::load(true, &[]).expect("built in");
        assert!(db.len() > 17_000, "{} aircraft", db.len());
        // Two rows of the shipped file have five-digit addresses (a leading zero lost
        // upstream): counted and skipped.
        assert_eq!(reports[0].malformed, 2, "{:?}", reports[0]);
        // A police PC-12 of the South African Police Service.
        let e = db.get(0x0081A9).expect("0081A9");
        assert_eq!(e.registration, "ZS-APS");
        assert_eq!(e.type_code, "PC12");
        assert_eq!(e.owner_operator, "South African Police Service");
        assert_eq!(e.cmpg, Some(Cmpg::Police));
        assert_eq!(e.category, "Police Forces");
        assert_eq!(e.flags, flags::INTERESTING);
        // A Colombian Air Force C295: military.
        let e = db.get(0x000004).expect("000004");
        assert!(e.military());
        assert!(db.get(0xFFFFFE).is_none());
    }
}
