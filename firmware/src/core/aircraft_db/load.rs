//! Reading database files into an [`AircraftDb`]: format by the first line, gzip by its
//! magic bytes, malformed lines counted and skipped.

use super::{flags, AircraftDb, Cmpg, Row};
use std::hash::BuildHasher;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Strings longer than this are cut (at a character boundary): the arena's length is a byte.
const MAX_TEXT: usize = 255;

/// A database file that cannot be used at all (a bad line is only counted).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("aircraft database {path}: {error}")]
    Open { path: String, error: std::io::Error },
    #[error("aircraft database {path}: reading failed after {lines} lines: {error}")]
    Read {
        path: String,
        lines: usize,
        error: String,
    },
}

/// The two formats read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// tar1090-db `icao;reg;type;flags;desc;year;ownop;`, no header.
    Tar1090,
    /// plane-alert-db's CSV with its header.
    PlaneAlert,
}

/// What one file gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadReport {
    pub source: String,
    pub format: Format,
    pub aircraft: usize,
    /// Lines skipped: no 6-hex-digit address, or not text.
    pub malformed: usize,
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let format = match self.format {
            Format::Tar1090 => "tar1090-db",
            Format::PlaneAlert => "plane-alert-db",
        };
        write!(
            f,
            "{}: {} aircraft ({format} format), {} malformed lines skipped",
            self.source, self.aircraft, self.malformed
        )
    }
}

/// Rows as read (address, order read, row); merged and indexed by [`Builder::finish`].
#[derive(Default)]
pub(super) struct Builder {
    rows: Vec<(u32, Row)>,
    arena: Vec<u8>,
    /// Arena offsets of the strings of the columns with few distinct values, found by the
    /// string's hash (the table holds only offsets: 5 bytes a string, nothing per lookup).
    interned: hashbrown::HashTable<u32>,
    hasher: std::hash::RandomState,
}

impl Builder {
    pub fn add_file(&mut self, path: &Path) -> Result<LoadReport, LoadError> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|error| LoadError::Open {
            path: name.clone(),
            error,
        })?;
        let mut reader = BufReader::new(file);
        let gzip = reader
            .fill_buf()
            .map(|b| b.starts_with(&[0x1f, 0x8b]))
            .unwrap_or(false);
        if gzip {
            let inner = BufReader::new(flate2::bufread::MultiGzDecoder::new(reader));
            self.add_reader(inner, &name)
        } else {
            self.add_reader(reader, &name)
        }
    }

    /// A database in memory (the built-in one). Bytes cannot fail to read, so only bad
    /// lines are reported.
    pub fn add_bytes(&mut self, bytes: &[u8], name: &str) -> LoadReport {
        match self.add_reader(bytes, name) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("{e}");
                LoadReport {
                    source: name.to_owned(),
                    format: Format::PlaneAlert,
                    aircraft: 0,
                    malformed: 0,
                }
            }
        }
    }

    fn add_reader(&mut self, mut r: impl BufRead, name: &str) -> Result<LoadReport, LoadError> {
        let read_error = |lines, error: String| LoadError::Read {
            path: name.to_owned(),
            lines,
            error,
        };
        let mut first = Vec::new();
        r.read_until(b'\n', &mut first)
            .map_err(|e| read_error(0, e.to_string()))?;
        let plane_alert = first.starts_with(b"$ICAO") || first.starts_with(b"ICAO,");
        let (format, delimiter) = if plane_alert {
            (Format::PlaneAlert, b',')
        } else {
            (Format::Tar1090, b';')
        };
        // plane-alert-db's header is skipped; tar1090-db's first line is an aircraft.
        let rest: Box<dyn Read + '_> = if plane_alert {
            Box::new(r)
        } else {
            Box::new(std::io::Cursor::new(first).chain(r))
        };
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .quoting(plane_alert)
            .from_reader(rest);
        let mut report = LoadReport {
            source: name.to_owned(),
            format,
            aircraft: 0,
            malformed: 0,
        };
        let mut record = csv::StringRecord::new();
        loop {
            match csv.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) if e.is_io_error() => {
                    let lines = report.aircraft + report.malformed;
                    return Err(read_error(lines, e.to_string()));
                }
                // Not UTF-8, or a broken quote: this line only.
                Err(_) => {
                    report.malformed += 1;
                    continue;
                }
            }
            let added = match format {
                Format::Tar1090 => self.tar1090_row(&record),
                Format::PlaneAlert => self.plane_alert_row(&record),
            };
            match added {
                Some(()) => report.aircraft += 1,
                None => report.malformed += 1,
            }
        }
        Ok(report)
    }

    /// `icao;reg;type;flags;desc;year;ownop;`
    fn tar1090_row(&mut self, f: &csv::StringRecord) -> Option<()> {
        let icao = address(f.get(0)?)?;
        let mut db_flags = 0u8;
        for (bit, c) in f.get(3).unwrap_or("").bytes().take(8).enumerate() {
            if c == b'1' {
                db_flags |= 1 << bit;
            }
        }
        let row = Row {
            registration: self.text(f.get(1)),
            type_code: self.interned(f.get(2)),
            description: self.interned(f.get(4)),
            year: year(f.get(5)),
            owner_operator: self.interned(f.get(6)),
            category: 0,
            flags: db_flags,
            cmpg: 0,
        };
        self.rows.push((icao, row));
        Some(())
    }

    /// `$ICAO,$Registration,$Operator,$Type,$ICAO Type,#CMPG,$Tag 1,$#Tag 2,$#Tag 3,Category,…`
    fn plane_alert_row(&mut self, f: &csv::StringRecord) -> Option<()> {
        let icao = address(f.get(0)?)?;
        let cmpg = f.get(5).and_then(Cmpg::parse);
        let military = if cmpg == Some(Cmpg::Military) {
            flags::MILITARY
        } else {
            0
        };
        let row = Row {
            registration: self.text(f.get(1)),
            owner_operator: self.interned(f.get(2)),
            description: self.interned(f.get(3)),
            type_code: self.interned(f.get(4)),
            category: self.interned(f.get(9)),
            year: 0,
            flags: flags::INTERESTING | military,
            cmpg: cmpg.map_or(0, Cmpg::code),
        };
        self.rows.push((icao, row));
        Some(())
    }

    /// Appends a string to the arena; 0 for an empty one.
    fn text(&mut self, s: Option<&str>) -> u32 {
        let s = clip(s.unwrap_or("").trim());
        if s.is_empty() {
            return 0;
        }
        self.append(s)
    }

    fn interned(&mut self, s: Option<&str>) -> u32 {
        let s = clip(s.unwrap_or("").trim());
        if s.is_empty() {
            return 0;
        }
        let hash = self.hasher.hash_one(s);
        let arena = &self.arena;
        if let Some(&at) = self.interned.find(hash, |&at| arena_text(arena, at) == s) {
            return at;
        }
        let at = self.append(s);
        let (arena, hasher) = (&self.arena, &self.hasher);
        self.interned
            .insert_unique(hash, at, |&at| hasher.hash_one(arena_text(arena, at)));
        at
    }

    fn append(&mut self, s: &str) -> u32 {
        if self.arena.is_empty() {
            // Offset 0: the empty string.
            self.arena.push(0);
        }
        let at = self.arena.len() as u32;
        // `clip` keeps every string within a byte's length.
        self.arena.push(s.len() as u8);
        self.arena.extend_from_slice(s.as_bytes());
        at
    }

    /// Merges rows of the same address (later files' non-empty fields win, flags add up)
    /// and builds the index.
    pub fn finish(mut self) -> AircraftDb {
        // Stable: rows of one address stay in the order they were read.
        self.rows.sort_by_key(|&(icao, _)| icao);
        let mut addresses: Vec<u32> = Vec::with_capacity(self.rows.len());
        let mut rows: Vec<Row> = Vec::with_capacity(self.rows.len());
        for (icao, row) in self.rows {
            match (addresses.last(), rows.last_mut()) {
                (Some(&last), Some(merged)) if last == icao => merge(merged, &row),
                _ => {
                    addresses.push(icao);
                    rows.push(row);
                }
            }
        }
        addresses.shrink_to_fit();
        rows.shrink_to_fit();
        if self.arena.is_empty() {
            self.arena.push(0);
        }
        self.arena.shrink_to_fit();
        AircraftDb {
            addresses,
            rows,
            arena: self.arena,
        }
    }
}

/// The string at offset `at` of an arena (length byte, then UTF-8); empty if out of range.
pub(super) fn arena_text(arena: &[u8], at: u32) -> &str {
    let start = at as usize;
    let len = arena.get(start).map_or(0, |&l| usize::from(l));
    arena
        .get(start + 1..start + 1 + len)
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or("")
}

fn merge(into: &mut Row, later: &Row) {
    let pick = |old: &mut u32, new: u32| {
        if new != 0 {
            *old = new;
        }
    };
    pick(&mut into.registration, later.registration);
    pick(&mut into.type_code, later.type_code);
    pick(&mut into.description, later.description);
    pick(&mut into.owner_operator, later.owner_operator);
    pick(&mut into.category, later.category);
    if later.year != 0 {
        into.year = later.year;
    }
    if later.cmpg != 0 {
        into.cmpg = later.cmpg;
    }
    into.flags |= later.flags;
}

/// Six hex digits (any case) as a 24-bit address.
fn address(s: &str) -> Option<u32> {
    let s = s.trim();
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

fn year(s: Option<&str>) -> u16 {
    s.and_then(|y| y.trim().parse::<u16>().ok())
        .filter(|y| (1900..=2200).contains(y))
        .unwrap_or(0)
}

/// At most [`MAX_TEXT`] bytes, cut at a character boundary.
fn clip(s: &str) -> &str {
    if s.len() <= MAX_TEXT {
        return s;
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn load(bytes: &[u8]) -> (AircraftDb, LoadReport) {
        let mut b = Builder::default();
        let report = b.add_bytes(bytes, "test");
        (b.finish(), report)
    }

    #[test]
    fn tar1090_rows_carry_every_field_and_flag() {
        let (db, report) = load(
            b"a1b2c3;N123AB;C182;0001;CESSNA 182 Skylane;1977;County Sheriff;\n\
              ae1234;05-5140;C17;10;BOEING C-17 Globemaster III;2005;United States Air Force;\n",
        );
        assert_eq!(
            (report.format, report.aircraft, report.malformed),
            (Format::Tar1090, 2, 0)
        );
        let e = db.get(0xA1B2C3).expect("a1b2c3");
        assert_eq!(e.registration, "N123AB");
        assert_eq!(e.type_code, "C182");
        assert_eq!(e.description, "CESSNA 182 Skylane");
        assert_eq!(e.owner_operator, "County Sheriff");
        assert_eq!(e.year, Some(1977));
        assert_eq!(e.flags, flags::LADD);
        assert_eq!(db.get(0xAE1234).expect("ae1234").flags, flags::MILITARY);
    }

    #[test]
    fn malformed_lines_are_counted_and_skipped() {
        let (db, report) = load(
            b"a1b2c3;N1;C172;;;;;\nnot-hex;N2;C172;;;;;\n\n12345;N3;;;;;;\n\xff\xfe;bad utf8;;\nabcdef;N4;;;;;;\n",
        );
        assert_eq!(report.aircraft, 2);
        assert_eq!(report.malformed, 3, "{report:?}");
        assert_eq!(db.len(), 2);
        assert_eq!(db.get(0xABCDEF).map(|e| e.registration), Some("N4"));
    }

    #[test]
    fn later_files_override_non_empty_fields_and_flags_add_up() {
        let mut b = Builder::default();
        b.add_bytes(
            b"a1b2c3;N123AB;C182;0001;CESSNA 182;1977;Owner One;\n",
            "first",
        );
        b.add_bytes(
            b"$ICAO,$Registration,$Operator,$Type,$ICAO Type,#CMPG,$Tag 1,$#Tag 2,$#Tag 3,Category,$#Link\n\
              A1B2C3,,County Sheriff,,,Pol,,,,Police Forces,\n",
            "second",
        );
        let db = b.finish();
        let e = db.get(0xA1B2C3).expect("merged");
        assert_eq!(e.registration, "N123AB");
        assert_eq!(e.type_code, "C182");
        assert_eq!(e.owner_operator, "County Sheriff");
        assert_eq!(e.cmpg, Some(Cmpg::Police));
        assert_eq!(e.category, "Police Forces");
        assert_eq!(e.flags, flags::LADD | flags::INTERESTING);
        assert_eq!(db.len(), 1);
    }

    #[test]
    fn gzip_files_are_read_and_a_missing_file_is_an_error() {
        let dir = std::env::temp_dir().join(format!("skyspy-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("aircraft.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"3c6444;D-HBPA;EC35;;EUROCOPTER EC-135;2001;Polizei Bayern;\n")
            .expect("gzip");
        std::fs::write(&path, gz.finish().expect("gzip")).expect("write");
        let mut b = Builder::default();
        let report = b.add_file(&path).expect("read");
        assert_eq!(report.aircraft, 1);
        assert_eq!(b.finish().get(0x3C6444).map(|e| e.type_code), Some("EC35"));
        let missing = Builder::default().add_file(&dir.join("nope.csv"));
        assert!(
            matches!(missing, Err(LoadError::Open { .. })),
            "{missing:?}"
        );
        // A truncated gzip stream is a read error, not a silently short database.
        let whole = std::fs::read(&path).expect("read back");
        std::fs::write(&path, &whole[..whole.len() / 2]).expect("truncate");
        let cut = Builder::default().add_file(&path);
        assert!(matches!(cut, Err(LoadError::Read { .. })), "{cut:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn long_fields_are_cut_at_a_character_boundary() {
        let long = "é".repeat(200);
        let line = format!("a1b2c3;N1;;;{long};;;\n");
        let (db, _) = load(line.as_bytes());
        let desc = db.get(0xA1B2C3).expect("row").description;
        assert!(desc.len() <= MAX_TEXT && desc.chars().all(|c| c == 'é'));
    }
}
