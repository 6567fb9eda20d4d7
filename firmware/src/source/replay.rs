//! File replay: an IQ recording of either band played through its receive chain at `speed`
//! × real time, once or looping. Its stream time is the picture's time while it plays (see
//! `core::clock`), so a replay at 4× ages tracks and pairs CPR frames as the air did.

use super::pipeline::Pipeline;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

pub struct Replay {
    pub path: PathBuf,
    pub file: std::fs::File,
    pub speed: f64,
    pub looping: bool,
}

impl Replay {
    pub fn run(&mut self, p: &mut Pipeline) {
        let bytes_per = p.status.format.bytes_per_sample();
        let mut buf = vec![0u8; p.block_samples() * bytes_per];
        loop {
            let n = match read_full(&mut self.file, &mut buf) {
                Ok(n) => n,
                Err(e) => {
                    p.status
                        .fail(format!("reading {} failed: {e}", self.path.display()));
                    return;
                }
            };
            let end = n < buf.len();
            // A trailing partial sample is dropped; the receive chain keeps partial blocks.
            let whole = n - n % bytes_per;
            if end && self.looping {
                if !p.process(&buf[..whole], false, self.speed) {
                    return;
                }
                if let Err(e) = self.file.seek(SeekFrom::Start(0)) {
                    p.status
                        .fail(format!("rewinding {}: {e}", self.path.display()));
                    return;
                }
                if n == 0 && p.samples == 0 {
                    p.status.fail(format!("{} is empty", self.path.display()));
                    return;
                }
                continue;
            }
            if end {
                // Marked ended before the last block goes, so whoever sees that block sees
                // the source as ended.
                p.status.ended.store(true, Ordering::Relaxed);
            }
            if !p.process(&buf[..whole], end, self.speed) || end {
                if end {
                    tracing::info!(
                        seconds = p.stream_s(),
                        "replay of {} ended",
                        self.path.display()
                    );
                }
                return;
            }
        }
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(file: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
