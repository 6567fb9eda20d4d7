//! Raw `*HEX;` lines, as dump1090 `--raw` writes them (port 30002).

use crate::core::HeardBatch;
use std::fmt::Write;

pub fn format(batch: &HeardBatch, out: &mut Vec<u8>) {
    let mut line = String::with_capacity(32);
    for h in &batch.modes {
        line.clear();
        line.push('*');
        for b in h.frame.data() {
            // Writing to a String cannot fail.
            let _ = write!(line, "{b:02X}");
        }
        line.push_str(";\n");
        out.extend_from_slice(line.as_bytes());
    }
}
