//! Helpers shared by the integration tests: the shared test data and a one-shot receiver.
#![allow(dead_code)]

use dsp::{Frame, IqFormat, Receiver, RepairConfig, SampleRate};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// `../shared/testdata/modes` beside the checkout (tests never copy it into the product).
pub fn modes_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/modes")
}

/// `../shared/testdata/uat` beside the checkout.
pub fn uat_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/uat")
}

pub fn read_uat(name: &str) -> Vec<u8> {
    let p = uat_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("test data {} missing: {e}", p.display()))
}

pub fn read(name: &str) -> Vec<u8> {
    let p = modes_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("test data {} missing: {e}", p.display()))
}

/// Decodes a whole buffer in blocks of `block` bytes, as a file reader would.
pub fn decode_all(bytes: &[u8], format: IqFormat, rate: SampleRate, block: usize) -> Vec<Frame> {
    let mut rx = Receiver::new(format, rate, RepairConfig::default());
    let mut out = Vec::new();
    for chunk in bytes.chunks(block) {
        rx.push(chunk, &mut out);
    }
    rx.finish(&mut out);
    out
}

pub fn hexes(frames: &[Frame]) -> BTreeSet<String> {
    frames.iter().map(Frame::hex).collect()
}

pub fn from_hex(h: &str) -> Vec<u8> {
    hex::decode(h).expect("hex")
}

/// Lines of a peer's expected output, lowercased. A missing file fails the test: an absent
/// oracle must not read as "nothing expected".
pub fn expected(name: &str) -> BTreeSet<String> {
    let p = modes_dir().join("expected").join(name);
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("oracle {} missing: {e}", p.display()))
        .lines()
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty())
        .collect()
}
