//! dump978's raw lines with the reception time as Unix seconds (what dump978-fa's port 30978
//! sends).

use crate::core::HeardBatch;
use std::fmt::Write;

pub fn format(batch: &HeardBatch, out: &mut Vec<u8>) {
    let mut line = String::new();
    for u in &batch.uat {
        line.clear();
        line.push_str(&u.frame.frame.raw());
        // Writing to a String cannot fail.
        if u.frame.frame.corrected > 0 {
            let _ = write!(line, "rs={};", u.frame.frame.corrected);
        }
        let _ = writeln!(
            line,
            "rssi={:.1};t={}.{:03};",
            u.frame.rssi_dbfs,
            u.wall_ms / 1000,
            u.wall_ms % 1000
        );
        out.extend_from_slice(line.as_bytes());
    }
}
