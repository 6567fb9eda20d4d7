//! Entry points for the fuzz targets (`fuzz/`, run by `scripts/fuzz`) and for the property
//! tests that run the same checks in the suite (firmware/tests/it/fuzz.rs): every parser the
//! daemon points at input from outside, each with what it must hold on any input.

use crate::api::Hub;
use crate::config::{AuthMode, Config};
use crate::daemon::Spine;
use crate::source::{Source, SourceSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub use crate::cli::setup::exercise as boot_settings;
pub use crate::config::exercise as config;
pub use crate::core::aircraft_db::exercise as aircraft_db;
pub use crate::core::alerts::store::exercise as rules_file;

/// The transcription service's answer (any bytes from the network).
pub fn transcript(body: &[u8]) {
    if let Ok(t) = crate::voice::transcribe::parse(body) {
        assert!(t.confidence.is_none_or(|c| (0.0..=1.0).contains(&c)));
    }
}

/// A line of `skyspy hex` input: a reply's bytes are 7 or 14 and its address 24 bits.
pub fn hex_line(line: &str) {
    if let Ok(Some((bytes, address))) = crate::cli::hex::parse_line(line) {
        assert!(bytes.len() == 7 || bytes.len() == 14);
        assert!(address <= 0xff_ffff);
    }
}

/// A daemon's core with no source, answering the API's payloads: the fixture of the
/// `api_payload` target. A `hybrid` daemon with a token, so both an anonymous and an
/// authorized client can be played; its rules live in a file of its own in the temp folder.
pub struct Api {
    rt: tokio::runtime::Runtime,
    hub: Arc<Hub>,
    /// Its rules file (removed with the fixture).
    rules_file: std::path::PathBuf,
    /// Held for as long as the fixture lives: the spine runs until it turns true.
    _stop: tokio::sync::watch::Sender<bool>,
    _spine: Spine,
}

impl Api {
    pub fn new() -> Api {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let mut config = Config::default();
        config.api.auth = AuthMode::Hybrid;
        config.api.tokens = vec!["token-123456".into()];
        static FIXTURES: AtomicUsize = AtomicUsize::new(0);
        config.alerts.rules_file = std::env::temp_dir().join(format!(
            "skyspy-fuzz-rules-{}-{}.json",
            std::process::id(),
            FIXTURES.fetch_add(1, Ordering::Relaxed)
        ));
        let rules_file = config.alerts.rules_file.clone();
        let sources = SourceSet(
            Source::all_from_config(&config)
                .expect("the default simulator's sources")
                .into_iter()
                .map(|(_, status)| status)
                .collect(),
        );
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        let spine = rt.block_on(async { Spine::start(&config, sources, stop) });
        Api {
            rt,
            hub: spine.hub.clone(),
            rules_file,
            _stop: stop_tx,
            _spine: spine,
        }
    }

    /// One payload through every namespace's parsers (see `api::fuzz::payload`); answered
    /// within 10 s.
    pub fn payload(&self, data: &[u8]) {
        let answered = self.rt.block_on(async {
            tokio::time::timeout(
                std::time::Duration::from_secs(10),
                crate::api::fuzz::payload(&self.hub, data),
            )
            .await
        });
        assert!(answered.is_ok(), "a payload was not answered within 10 s");
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.rules_file);
    }
}

impl Default for Api {
    fn default() -> Self {
        Api::new()
    }
}
