//! `skyspy hex`: decode Mode S replies given as hex text, one per line, as dump1090's raw
//! output (`*8D4840D6…;`), AVR with a 12-hex-digit timestamp (`@0123456789AB8D48…;`) or bare
//! hex. Replies whose parity does not check are reported on standard error and skipped;
//! address/parity replies take their address from the parity (no filter applies here: there
//! is no signal to judge them by). Lines are read with a length limit, so any input is
//! processed in bounded memory.

use crate::cli::CliError;
use dsp::crc::syndrome;
use dsp::decode::decode_bytes;
use dsp::frame::{aa_field, df_of};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

/// Longest line looked at; anything longer is reported and skipped.
const MAX_LINE: usize = 128;

#[derive(clap::Args, Debug)]
pub struct HexArgs {
    /// File of hex lines ("-" or nothing for standard input).
    pub file: Option<PathBuf>,
}

/// Why a line was not decoded.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("longer than {MAX_LINE} characters")]
    TooLong,
    #[error("not hex")]
    NotHex,
    #[error("{0} hex digits: a reply has 14 or 28")]
    Length(usize),
    #[error("parity does not check (syndrome {0:06x})")]
    Parity(u32),
}

/// Parses one line into reply bytes and the address its parity gives.
pub fn parse_line(line: &str) -> Result<Option<(Vec<u8>, u32)>, LineError> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return Ok(None);
    }
    let t = t.trim_end_matches(';');
    let t = if let Some(rest) = t.strip_prefix('@') {
        rest.get(12..).ok_or(LineError::Length(rest.len()))?
    } else {
        t.trim_start_matches('*')
    };
    if !t.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(LineError::NotHex);
    }
    if t.len() != 14 && t.len() != 28 {
        return Err(LineError::Length(t.len()));
    }
    let bytes = ::hex::decode(t).map_err(|_| LineError::NotHex)?;
    let s = syndrome(&bytes).ok_or(LineError::Length(t.len()))?;
    let address = match df_of(bytes[0]) {
        17..=19 if s == 0 => aa_field(&bytes),
        17..=19 => return Err(LineError::Parity(s)),
        11 if s < 0x50 => aa_field(&bytes),
        11 => return Err(LineError::Parity(s)),
        _ => s,
    };
    Ok(Some((bytes, address)))
}

pub fn hex(args: &HexArgs) -> Result<(), CliError> {
    let input: Box<dyn BufRead> = match &args.file {
        None => Box::new(BufReader::new(std::io::stdin().lock())),
        Some(p) if p.as_os_str() == "-" => Box::new(BufReader::new(std::io::stdin().lock())),
        Some(p) => Box::new(BufReader::new(File::open(p).map_err(|e| {
            CliError::Input(format!("cannot open {}: {e}", p.display()))
        })?)),
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut reader = LimitedLines::new(input);
    let mut number = 0u64;
    while let Some(line) = reader.next_line()? {
        number += 1;
        let parsed = match line {
            Ok(text) => parse_line(&text),
            Err(e) => Err(e),
        };
        match parsed {
            Ok(Some((bytes, address))) => {
                let m = decode_bytes(&bytes, address);
                let hex = ::hex::encode(&bytes);
                let line = HexLine { hex, message: &m };
                serde_json::to_writer(&mut out, &line)
                    .map_err(|e| CliError::Input(e.to_string()))?;
                out.write_all(b"\n")?;
            }
            Ok(None) => {}
            Err(e) => eprintln!("line {number}: {e}"),
        }
    }
    out.flush()?;
    Ok(())
}

#[derive(serde::Serialize)]
struct HexLine<'a> {
    hex: String,
    #[serde(flatten)]
    message: &'a dsp::decode::Message,
}

/// Lines of at most `MAX_LINE` bytes; a longer line is consumed and reported, never held.
struct LimitedLines<R> {
    inner: R,
}

impl<R: BufRead> LimitedLines<R> {
    fn new(inner: R) -> Self {
        Self { inner }
    }

    fn next_line(&mut self) -> std::io::Result<Option<Result<String, LineError>>> {
        let mut line = Vec::with_capacity(64);
        let mut too_long = false;
        let mut any = false;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            any = true;
            let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            if line.len() + chunk.len() > MAX_LINE {
                too_long = true;
            } else {
                line.extend_from_slice(chunk);
            }
            let used = done.unwrap_or(buf.len());
            self.inner.consume(used);
            if done.is_some() {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if too_long {
            return Ok(Some(Err(LineError::TooLong)));
        }
        Ok(Some(String::from_utf8(line).map_err(|_| LineError::NotHex)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_raw_avr_and_bare_forms() {
        for l in [
            "*8D4840D6202CC371C32CE0576098;",
            "8d4840d6202cc371c32ce0576098",
            "@0000001234568D4840D6202CC371C32CE0576098;",
        ] {
            let (bytes, addr) = parse_line(l).unwrap().unwrap();
            assert_eq!((bytes.len(), addr), (14, 0x4840D6), "{l}");
        }
        assert_eq!(parse_line("  ").unwrap(), None);
        assert_eq!(parse_line("# comment").unwrap(), None);
    }

    #[test]
    fn address_parity_takes_its_address_from_the_parity() {
        assert_eq!(parse_line("20001838CA3E51").unwrap().unwrap().1, 0xDBBD0A);
    }

    #[test]
    fn bad_lines_say_why() {
        assert_eq!(
            parse_line("*8D4840D6202CC371C32CE0576099;"),
            Err(LineError::Parity(1))
        );
        assert_eq!(parse_line("*8D48;"), Err(LineError::Length(4)));
        assert_eq!(parse_line("*ZZ4840D6202CC3;"), Err(LineError::NotHex));
        assert_eq!(parse_line("@12"), Err(LineError::Length(2)));
    }

    #[test]
    fn long_lines_are_skipped_in_bounded_memory() {
        let mut data = vec![b'A'; 10_000_000];
        data.push(b'\n');
        data.extend_from_slice(b"*8D4840D6202CC371C32CE0576098;\n");
        let mut r = LimitedLines::new(&data[..]);
        assert_eq!(r.next_line().unwrap(), Some(Err(LineError::TooLong)));
        assert!(matches!(r.next_line().unwrap(), Some(Ok(_))));
        assert_eq!(r.next_line().unwrap(), None);
    }
}
