//! Airband voice: the transmissions the VHF band's voice channels heard, kept as clips,
//! listened to live, and (if configured) transcribed.
//!
//! ```text
//!  core ──VoiceBatch──→ service (one task) ─┬→ FLAC (blocking pool) → ClipStore (memory / files)
//!                                           ├→ VoiceEvent (broadcast) ──→ API `/audio`
//!                                           ├→ LiveChunk (broadcast, while someone listens)
//!                                           └→ transcriber queue ──→ transcribe::run ──→ events
//! ```
//!
//! The store sits behind a mutex shared with the API, which reads records and clips from it;
//! the service is its only writer but for the transcriber's status updates.

pub mod clip;
pub mod store;
pub mod transcribe;

use crate::config::AudioConfig;
use crate::core::VoiceBatch;
use crate::wall::now_ms;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use store::{Clip, ClipStore, Record, Status, StoreUsage};
use tokio::sync::{broadcast, mpsc};

pub use dsp::vhf::am::AUDIO_RATE;

/// Events kept for a slow API fan-out before it misses some.
const EVENT_BACKLOG: usize = 256;
/// Live chunks kept for a slow listener (a block is about 50 ms: some seconds' worth).
const LIVE_BACKLOG: usize = 64;

/// What happened to a transmission.
#[derive(Clone, Debug, PartialEq)]
pub enum VoiceEvent {
    Transmission(Record),
    TranscriptionStarted(Record),
    TranscriptionCompleted(Record),
    TranscriptionFailed(Record),
}

/// Audio one voice channel demodulated in one block (16-bit little-endian PCM at 8 kHz).
#[derive(Clone, Debug)]
pub struct LiveChunk {
    /// The channel as configured (MHz).
    pub frequency: f64,
    /// Rises by one per chunk of that channel.
    pub seq: u64,
    pub pcm: bytes::Bytes,
}

/// One voice channel now: for the activity meters and the `stats` request.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ChannelState {
    pub frequency: f64,
    pub name: Option<String>,
    pub open: bool,
    /// The strongest carrier bin over the floor in the latest frame (dB), and the floor
    /// (dB of full scale per bin).
    pub level_db: f32,
    pub floor_db: f32,
    pub transmissions: u64,
    pub last_heard: Option<u64>,
    #[serde(skip)]
    live_seq: u64,
}

#[derive(Debug, Default)]
pub struct VoiceCounters {
    pub transmissions: AtomicU64,
    pub transcribed: AtomicU64,
    pub transcription_failures: AtomicU64,
    /// Not sent to the transcriber: its queue was full.
    pub transcription_skipped: AtomicU64,
    pub live_chunks: AtomicU64,
    pub encode_errors: AtomicU64,
}

/// The voice state the service writes and the API reads.
pub struct VoiceHub {
    store: Mutex<ClipStore>,
    channels: Mutex<BTreeMap<u64, ChannelState>>,
    pub events: broadcast::Sender<VoiceEvent>,
    pub live: broadcast::Sender<Arc<LiveChunk>>,
    pub counters: VoiceCounters,
    /// Transcriptions queued or in progress.
    pub pending: AtomicUsize,
    pub transcription: bool,
    pub max_listeners: usize,
    next_id: AtomicU64,
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A channel's key: its frequency as configured, to the hertz.
fn key(label_mhz: f64) -> u64 {
    (label_mhz * 1e6).round() as u64
}

impl VoiceHub {
    pub fn new(config: &AudioConfig) -> Self {
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let (live, _) = broadcast::channel(LIVE_BACKLOG);
        Self {
            store: Mutex::new(ClipStore::new(
                config.keep,
                (config.memory_mb * 1e6) as usize,
                config.dir.clone(),
                (config.disk_mb * 1e6) as u64,
            )),
            channels: Mutex::new(BTreeMap::new()),
            events,
            live,
            counters: VoiceCounters::default(),
            pending: AtomicUsize::new(0),
            transcription: config.transcription.is_some(),
            max_listeners: config.max_listeners,
            // Ids rise across restarts too (the clip files are named by them).
            next_id: AtomicU64::new(now_ms()),
        }
    }

    /// The newest first, at most `limit`, of one channel (MHz as configured) if given.
    pub fn list(&self, frequency: Option<f64>, limit: usize) -> Vec<Record> {
        lock(&self.store).list(frequency, limit)
    }

    pub fn record(&self, id: u64) -> Option<Record> {
        lock(&self.store).get(id).map(|(r, _)| r.clone())
    }

    /// A transmission's clip: its bytes in memory, or the file it is in.
    pub fn clip(&self, id: u64) -> Option<Clip> {
        lock(&self.store).get(id).map(|(_, c)| c.clone())
    }

    pub fn usage(&self) -> StoreUsage {
        lock(&self.store).usage()
    }

    pub fn channels(&self) -> Vec<ChannelState> {
        lock(&self.channels).values().cloned().collect()
    }

    /// The channel configured as `frequency` (MHz), if it has been heard from.
    pub fn channel(&self, frequency: f64) -> Option<ChannelState> {
        lock(&self.channels)
            .values()
            .find(|c| (c.frequency - frequency).abs() < 1e-4)
            .cloned()
    }

    pub(crate) fn update(&self, id: u64, f: impl FnOnce(&mut Record)) -> Option<Record> {
        lock(&self.store).update(id, f)
    }

    fn emit(&self, e: VoiceEvent) {
        // No receiver: nobody is connected to `/audio`, which is fine.
        let _ = self.events.send(e);
    }
}

/// Runs the voice service until the core's side closes.
pub async fn run(
    hub: Arc<VoiceHub>,
    mut batches: mpsc::Receiver<VoiceBatch>,
    transcriber: Option<transcribe::Queue>,
) {
    while let Some(batch) = batches.recv().await {
        levels(&hub, &batch.levels);
        for t in batch.transmissions {
            let id = hub.next_id.fetch_add(1, Ordering::Relaxed);
            let h = t.heard;
            let duration_ms = ((h.end_t - h.t) * 1000.0).round().max(0.0) as u64;
            let audio = h.audio.clone();
            let path = lock(&hub.store).path_for(id);
            // Encoding and the file write run on the blocking pool, in order.
            let stored = tokio::task::spawn_blocking(move || store_clip(&audio, path)).await;
            let (clip, bytes, disk_error) = match stored {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::warn!("voice clip {id} not encoded: {e}");
                    hub.counters.encode_errors.fetch_add(1, Ordering::Relaxed);
                    (Clip::Gone, 0, false)
                }
                Err(e) => {
                    tracing::warn!("voice clip {id}: {e}");
                    hub.counters.encode_errors.fetch_add(1, Ordering::Relaxed);
                    (Clip::Gone, 0, false)
                }
            };
            let wants_text = transcriber.as_ref().is_some_and(|q| {
                duration_ms as f64 / 1000.0 >= q.min_duration_s && !matches!(clip, Clip::Gone)
            });
            let record = Record {
                id,
                frequency: h.label_mhz,
                frequency_hz: h.frequency_hz,
                channel_name: h.name.clone(),
                started_at: t.wall_ms,
                duration_ms,
                snr_db: h.snr_db,
                status: if wants_text {
                    Status::Queued
                } else {
                    Status::Recorded
                },
                transcript: None,
                confidence: None,
                error: None,
                clip_bytes: bytes,
            };
            let work = {
                let mut store = lock(&hub.store);
                if disk_error {
                    store.note_disk_error();
                }
                store.add(record.clone(), clip)
            };
            if !work.delete.is_empty() {
                tokio::task::spawn_blocking(move || {
                    for p in work.delete {
                        if let Err(e) = std::fs::remove_file(&p) {
                            tracing::debug!("{}: {e}", p.display());
                        }
                    }
                });
            }
            if let Some(c) = lock(&hub.channels).get_mut(&key(h.label_mhz)) {
                c.transmissions += 1;
                c.last_heard = Some(t.wall_ms);
            }
            hub.counters.transmissions.fetch_add(1, Ordering::Relaxed);
            let mut record = record;
            if wants_text {
                if let Some(q) = &transcriber {
                    if !q.offer(&hub, id) {
                        record = hub
                            .update(id, |r| r.status = Status::Recorded)
                            .unwrap_or(record);
                    }
                }
            }
            hub.emit(VoiceEvent::Transmission(record));
        }
    }
}

/// Each channel's squelch and level; its live audio to the listeners, if any.
fn levels(hub: &VoiceHub, levels: &[crate::source::VoiceLevel]) {
    let listening = hub.live.receiver_count() > 0;
    let mut channels = lock(&hub.channels);
    for l in levels {
        let c = channels
            .entry(key(l.label_mhz))
            .or_insert_with(|| ChannelState {
                frequency: l.label_mhz,
                name: l.name.as_deref().map(String::from),
                open: false,
                level_db: 0.0,
                floor_db: 0.0,
                transmissions: 0,
                last_heard: None,
                live_seq: 0,
            });
        c.open = l.open;
        c.level_db = l.snr_db;
        c.floor_db = l.floor_db;
        if listening && !l.live.is_empty() {
            let pcm: Vec<u8> = l.live.iter().flat_map(|v| v.to_le_bytes()).collect();
            c.live_seq += 1;
            let chunk = LiveChunk {
                frequency: l.label_mhz,
                seq: c.live_seq,
                pcm: pcm.into(),
            };
            if hub.live.send(Arc::new(chunk)).is_ok() {
                hub.counters.live_chunks.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Encodes a clip and writes it to `path` if there is one; a clip that cannot be written
/// stays in memory (the third value says so).
fn store_clip(
    audio: &[i16],
    path: Option<std::path::PathBuf>,
) -> Result<(Clip, usize, bool), String> {
    let bytes = clip::flac(audio)?;
    let n = bytes.len();
    match path {
        Some(p) => match std::fs::write(&p, &bytes) {
            Ok(()) => Ok((Clip::File(p), n, false)),
            Err(e) => {
                tracing::warn!("{}: {e}; the clip stays in memory", p.display());
                let _ = std::fs::remove_file(&p);
                Ok((Clip::Memory(bytes.into()), n, true))
            }
        },
        None => Ok((Clip::Memory(bytes.into()), n, false)),
    }
}
