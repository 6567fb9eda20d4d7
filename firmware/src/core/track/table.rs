//! The table of tracks: fixed capacity (the stalest track makes room), expiry, and the
//! change sets the API turns into deltas. Time is a parameter (seconds).

use super::aircraft::{Aircraft, TrackKey};
use crate::core::aircraft_db::{AircraftDb, Identity};
use dsp::cpr::Position;
use dsp::decode::Message;
use std::collections::HashMap;

/// Table settings; the defaults are what the daemon runs with.
#[derive(Clone, Copy, Debug)]
pub struct TrackConfig {
    pub capacity: usize,
    /// An aircraft leaves after this long unseen.
    pub expire_s: f64,
    /// A position is dropped after this long without a new fix.
    pub position_expire_s: f64,
    /// Positions farther than this from the receiver are refused.
    pub max_range_nm: f64,
    pub receiver: Option<Position>,
    /// Who each address belongs to (looked up when its track starts).
    pub db: Option<&'static AircraftDb>,
}

impl Default for TrackConfig {
    fn default() -> Self {
        Self {
            capacity: 4096,
            expire_s: 60.0,
            position_expire_s: 60.0,
            max_range_nm: 450.0,
            receiver: None,
            db: None,
        }
    }
}

pub struct TrackTable {
    config: TrackConfig,
    tracks: Vec<Aircraft>,
    index: HashMap<TrackKey, usize>,
}

impl TrackTable {
    pub fn new(config: TrackConfig) -> Self {
        let capacity = config.capacity.max(1);
        Self {
            config: TrackConfig { capacity, ..config },
            tracks: Vec::with_capacity(capacity),
            index: HashMap::with_capacity(capacity),
        }
    }

    pub fn config(&self) -> &TrackConfig {
        &self.config
    }

    pub fn len(&self) -> usize {
        self.tracks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }

    pub fn get(&self, key: &TrackKey) -> Option<&Aircraft> {
        self.index.get(key).map(|&i| &self.tracks[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Aircraft> {
        self.tracks.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Aircraft> {
        self.tracks.iter_mut()
    }

    /// Applies a decoded message heard at `now` with signal `rssi` dBFS; returns its track.
    pub fn ingest(&mut self, m: &Message, rssi: f32, now: f64) -> &Aircraft {
        let key = TrackKey {
            address: m.icao.0 & 0xFF_FFFF,
            non_icao: m.non_icao == Some(true),
        };
        let i = self.index_of(key, now);
        let (receiver, range) = (self.config.receiver, self.config.max_range_nm);
        self.tracks[i].apply(m, rssi, now, receiver, range);
        &self.tracks[i]
    }

    /// The index of `key`'s track, created (evicting the stalest when full) if new.
    fn index_of(&mut self, key: TrackKey, now: f64) -> usize {
        match self.index.get(&key) {
            Some(&i) => i,
            None => {
                if self.tracks.len() >= self.config.capacity {
                    self.evict_stalest();
                }
                let mut track = Aircraft::new(key, now);
                track.identity = Identity::of(key.address, key.non_icao, self.config.db);
                self.tracks.push(track);
                self.index.insert(key, self.tracks.len() - 1);
                self.tracks.len() - 1
            }
        }
    }

    /// Applies a UAT downlink heard at `now` with signal `rssi` dBFS; returns its track (the
    /// same track as on 1090 for the same ICAO address).
    pub fn ingest_uat(
        &mut self,
        d: &dsp::uat::decode::UatDownlink,
        rssi: f32,
        now: f64,
    ) -> &Aircraft {
        let i = self.index_of(super::aircraft::uat_key(d), now);
        let (receiver, range) = (self.config.receiver, self.config.max_range_nm);
        self.tracks[i].apply_uat(d, rssi, now, receiver, range);
        &self.tracks[i]
    }

    /// Drops aircraft unseen for `expire_s` and positions older than `position_expire_s`;
    /// returns the keys of the aircraft that left.
    pub fn expire(&mut self, now: f64) -> Vec<TrackKey> {
        let mut gone = Vec::new();
        let mut i = 0;
        while i < self.tracks.len() {
            if now - self.tracks[i].last_seen > self.config.expire_s {
                gone.push(self.tracks[i].key);
                self.remove_at(i);
            } else {
                self.tracks[i].age_position(now, self.config.position_expire_s);
                i += 1;
            }
        }
        gone
    }

    /// Returns and clears each changed track's changed-field bits.
    pub fn take_changes(&mut self) -> Vec<(TrackKey, u32)> {
        self.tracks
            .iter_mut()
            .filter_map(|a| {
                let c = a.take_changes();
                (c != 0).then_some((a.key, c))
            })
            .collect()
    }

    fn evict_stalest(&mut self) {
        let stalest = self
            .tracks
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.last_seen.total_cmp(&b.1.last_seen))
            .map(|(i, _)| i);
        if let Some(i) = stalest {
            self.remove_at(i);
        }
    }

    fn remove_at(&mut self, i: usize) {
        let key = self.tracks[i].key;
        self.index.remove(&key);
        self.tracks.swap_remove(i);
        if let Some(moved) = self.tracks.get(i) {
            self.index.insert(moved.key, i);
        }
    }
}
