//! The clip store: every transmission's record and its FLAC clip, bounded.
//!
//! Clips live in memory under a byte cap, or with `audio.dir` in files under a quota; either
//! way the oldest go first, and at most `keep` records are listed. A clip that cannot be
//! written (a full disk, a read-only directory) stays in memory and is counted, so nothing
//! heard is lost to the disk. The store does no I/O itself: it says which files to write and
//! delete, and its owner does that off the async threads.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a transmission stands with the transcriber.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Recorded; no transcription asked for (off, too short, or the queue was full).
    Recorded,
    Queued,
    Transcribing,
    Transcribed,
    Failed,
}

/// One transmission as the API lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub id: u64,
    /// The channel as configured (MHz; an 8.33 kHz channel's label) and its exact frequency.
    pub frequency: f64,
    pub frequency_hz: f64,
    pub channel_name: Option<Arc<str>>,
    /// Wall clock of the first carrier (ms) and the length (ms).
    pub started_at: u64,
    pub duration_ms: u64,
    pub snr_db: f32,
    pub status: Status,
    pub transcript: Option<String>,
    pub confidence: Option<f32>,
    /// Why the transcription failed.
    pub error: Option<String>,
    /// The clip's size (bytes).
    pub clip_bytes: usize,
}

/// Where a clip is.
#[derive(Clone, Debug)]
pub enum Clip {
    Memory(Arc<[u8]>),
    File(PathBuf),
    /// Gone: deleted for space, or never stored.
    Gone,
}

/// File work the owner must do after a change.
#[derive(Debug, Default, PartialEq)]
pub struct DiskWork {
    pub delete: Vec<PathBuf>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreUsage {
    pub transmissions: usize,
    pub memory_bytes: usize,
    pub disk_bytes: u64,
    pub clips_evicted: u64,
    pub disk_errors: u64,
}

pub struct ClipStore {
    items: VecDeque<(Record, Clip)>,
    keep: usize,
    memory_cap: usize,
    disk_cap: u64,
    dir: Option<PathBuf>,
    usage: StoreUsage,
}

impl ClipStore {
    pub fn new(keep: usize, memory_cap: usize, dir: Option<PathBuf>, disk_cap: u64) -> Self {
        Self {
            items: VecDeque::new(),
            keep,
            memory_cap,
            disk_cap,
            dir,
            usage: StoreUsage::default(),
        }
    }

    /// The file a clip goes to, when clips go to disk.
    pub fn path_for(&self, id: u64) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{id:012}.flac")))
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Adds a transmission whose clip is in memory or (already written) in a file; returns the
    /// files the owner must delete to keep within the quota.
    pub fn add(&mut self, record: Record, clip: Clip) -> DiskWork {
        match &clip {
            Clip::Memory(bytes) => self.usage.memory_bytes += bytes.len(),
            Clip::File(_) => self.usage.disk_bytes += record.clip_bytes as u64,
            Clip::Gone => {}
        }
        self.items.push_back((record, clip));
        self.usage.transmissions = self.items.len();
        self.trim()
    }

    /// A clip that could not be written stays in memory; counted.
    pub fn note_disk_error(&mut self) {
        self.usage.disk_errors += 1;
    }

    fn trim(&mut self) -> DiskWork {
        let mut work = DiskWork::default();
        while self.items.len() > self.keep {
            if let Some((_, clip)) = self.items.pop_front() {
                self.release(clip, &mut work);
            }
        }
        // Over a cap: drop the oldest clips of that kind (their records stay, marked gone).
        let mut i = 0;
        while (self.usage.memory_bytes > self.memory_cap || self.usage.disk_bytes > self.disk_cap)
            && i < self.items.len()
        {
            let over_memory = self.usage.memory_bytes > self.memory_cap;
            let take = match &self.items[i].1 {
                Clip::Memory(_) => over_memory,
                Clip::File(_) => self.usage.disk_bytes > self.disk_cap,
                Clip::Gone => false,
            };
            if take {
                let clip = std::mem::replace(&mut self.items[i].1, Clip::Gone);
                self.release(clip, &mut work);
                self.usage.clips_evicted += 1;
            }
            i += 1;
        }
        self.usage.transmissions = self.items.len();
        work
    }

    fn release(&mut self, clip: Clip, work: &mut DiskWork) {
        match clip {
            Clip::Memory(bytes) => self.usage.memory_bytes -= bytes.len(),
            Clip::File(path) => {
                work.delete.push(path);
                self.recount_disk();
            }
            Clip::Gone => {}
        }
    }

    fn recount_disk(&mut self) {
        self.usage.disk_bytes = self
            .items
            .iter()
            .filter(|(_, c)| matches!(c, Clip::File(_)))
            .map(|(r, _)| r.clip_bytes as u64)
            .sum();
    }

    pub fn get(&self, id: u64) -> Option<(&Record, &Clip)> {
        // Ids rise in arrival order: a binary search on the deque.
        let i = self.items.binary_search_by_key(&id, |(r, _)| r.id).ok()?;
        self.items.get(i).map(|(r, c)| (r, c))
    }

    pub fn update(&mut self, id: u64, f: impl FnOnce(&mut Record)) -> Option<Record> {
        let i = self.items.binary_search_by_key(&id, |(r, _)| r.id).ok()?;
        let r = &mut self.items[i].0;
        f(r);
        Some(r.clone())
    }

    /// The newest first, at most `limit`, of one channel (MHz, as labelled) if given.
    pub fn list(&self, frequency: Option<f64>, limit: usize) -> Vec<Record> {
        self.items
            .iter()
            .rev()
            .filter(|(r, _)| frequency.is_none_or(|f| (r.frequency - f).abs() < 1e-4))
            .take(limit)
            .map(|(r, _)| r.clone())
            .collect()
    }

    pub fn usage(&self) -> StoreUsage {
        self.usage.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64, bytes: usize) -> Record {
        Record {
            id,
            frequency: 127.105,
            frequency_hz: 127.1e6,
            channel_name: None,
            started_at: 1_000 * id,
            duration_ms: 2_000,
            snr_db: 20.0,
            status: Status::Recorded,
            transcript: None,
            confidence: None,
            error: None,
            clip_bytes: bytes,
        }
    }

    #[test]
    fn memory_stays_under_its_cap_oldest_clips_first() {
        let mut s = ClipStore::new(100, 1_000, None, 0);
        for id in 1..=5 {
            s.add(record(id, 300), Clip::Memory(vec![0u8; 300].into()));
        }
        let u = s.usage();
        assert_eq!(u.memory_bytes, 900);
        assert_eq!(u.clips_evicted, 2);
        assert!(matches!(s.get(1), Some((_, Clip::Gone))));
        assert!(matches!(s.get(2), Some((_, Clip::Gone))));
        assert!(matches!(s.get(3), Some((_, Clip::Memory(_)))));
        // The records stay listed, newest first.
        let ids: Vec<u64> = s.list(None, 10).iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![5, 4, 3, 2, 1]);
    }

    #[test]
    fn the_disk_quota_deletes_the_oldest_files() {
        let dir = PathBuf::from("/clips");
        let mut s = ClipStore::new(100, 1_000, Some(dir.clone()), 1_000);
        let mut deleted = Vec::new();
        for id in 1..=4 {
            let path = s.path_for(id).expect("a dir");
            deleted.extend(s.add(record(id, 400), Clip::File(path)).delete);
        }
        assert_eq!(
            deleted,
            vec![dir.join("000000000001.flac"), dir.join("000000000002.flac")]
        );
        assert_eq!(s.usage().disk_bytes, 800);
    }

    #[test]
    fn at_most_keep_records_are_listed() {
        let mut s = ClipStore::new(3, 1 << 20, None, 0);
        for id in 1..=5 {
            s.add(record(id, 10), Clip::Memory(vec![0u8; 10].into()));
        }
        assert_eq!(s.usage().transmissions, 3);
        assert_eq!(s.usage().memory_bytes, 30);
        assert!(s.get(2).is_none());
        assert!(s.get(3).is_some());
        let updated = s.update(4, |r| r.status = Status::Queued).expect("kept");
        assert_eq!(updated.status, Status::Queued);
        assert_eq!(s.list(Some(127.105), 2).len(), 2);
        assert!(s.list(Some(118.0), 2).is_empty());
    }
}
