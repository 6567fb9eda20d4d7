//! Transcription: each queued transmission's clip to an OpenAI-compatible service
//! (`POST {url}/v1/audio/transcriptions`, multipart: `file`, `model`, `language`,
//! `response_format=json`), one at a time, with a timeout per attempt and retries with
//! doubling backoff on the failures that may pass (no connection, a timeout, 429, 5xx).
//! The transcript joins the transmission's record; `audio:transcription_*` events say how it
//! went.

use super::store::{Clip, Status};
use super::{VoiceEvent, VoiceHub};
use crate::config::TranscriptionConfig;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The service's side of the queue.
pub struct Queue {
    tx: mpsc::Sender<u64>,
    pub min_duration_s: f64,
}

impl Queue {
    /// Queues a transmission; false if the queue is full (it is counted and left).
    pub fn offer(&self, hub: &VoiceHub, id: u64) -> bool {
        match self.tx.try_send(id) {
            Ok(()) => {
                hub.pending.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(_) => {
                hub.counters
                    .transcription_skipped
                    .fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }
}

/// A queue of `config.queue` places and the receiver [`run`] takes.
pub fn queue(config: &TranscriptionConfig) -> (Queue, mpsc::Receiver<u64>) {
    let (tx, rx) = mpsc::channel(config.queue);
    (
        Queue {
            tx,
            min_duration_s: config.min_duration_s,
        },
        rx,
    )
}

/// Why an attempt failed, and whether another may succeed.
#[derive(Debug, PartialEq)]
pub struct Failure {
    pub message: String,
    pub retry: bool,
}

/// What the service said.
#[derive(Debug, PartialEq)]
pub struct Transcript {
    pub text: String,
    pub confidence: Option<f32>,
}

pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    config: TranscriptionConfig,
}

impl Client {
    pub fn new(config: &TranscriptionConfig) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs_f64(config.timeout_s))
            .connect_timeout(Duration::from_secs_f64(config.timeout_s.min(10.0)))
            .build()
            .map_err(|e| format!("transcription client: {e}"))?;
        Ok(Self {
            http,
            endpoint: format!(
                "{}/v1/audio/transcriptions",
                config.url.trim_end_matches('/')
            ),
            config: config.clone(),
        })
    }

    /// One attempt.
    pub async fn transcribe(&self, id: u64, flac: Vec<u8>) -> Result<Transcript, Failure> {
        let file = reqwest::multipart::Part::bytes(flac)
            .file_name(format!("tx-{id}.flac"))
            .mime_str(super::clip::FLAC_TYPE)
            .map_err(|e| Failure {
                message: e.to_string(),
                retry: false,
            })?;
        let mut form = reqwest::multipart::Form::new()
            .part("file", file)
            .text("model", self.config.model.clone())
            .text("response_format", "json");
        if let Some(lang) = &self.config.language {
            form = form.text("language", lang.clone());
        }
        let mut request = self.http.post(&self.endpoint).multipart(form);
        if let Some(key) = &self.config.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|e| Failure {
            message: if e.is_timeout() {
                format!("no answer in {} s", self.config.timeout_s)
            } else {
                format!("cannot reach {}: {e}", self.config.url)
            },
            retry: true,
        })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| Failure {
            message: format!("reading the answer: {e}"),
            retry: true,
        })?;
        if !status.is_success() {
            let detail = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(String::from))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(Failure {
                message: format!("the service answered {status}: {detail}"),
                retry: status.as_u16() == 429 || status.is_server_error(),
            });
        }
        parse(&body).map_err(|message| Failure {
            message,
            retry: false,
        })
    }
}

/// `{"text": …}`, with a confidence where the answer has segments with `avg_logprob`
/// (`verbose_json`-style answers): e^(mean log-probability), within 0..1.
pub fn parse(body: &[u8]) -> Result<Transcript, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON ({e})"))?;
    let text = v["text"]
        .as_str()
        .ok_or("the answer has no \"text\"")?
        .trim()
        .to_string();
    let logprobs: Vec<f64> = v["segments"]
        .as_array()
        .map(|s| s.iter().filter_map(|x| x["avg_logprob"].as_f64()).collect())
        .unwrap_or_default();
    // A probability: a server that answers a positive log-probability (or an overflowing
    // one) gets its confidence clamped to 1 or left out, never passed on as 3.2 or NaN.
    let confidence = (!logprobs.is_empty())
        .then(|| (logprobs.iter().sum::<f64>() / logprobs.len() as f64).exp())
        .filter(|c| !c.is_nan())
        .map(|c| c.clamp(0.0, 1.0) as f32);
    Ok(Transcript { text, confidence })
}

/// Takes queued transmissions until the queue closes.
pub async fn run(hub: Arc<VoiceHub>, mut queue: mpsc::Receiver<u64>, client: Client) {
    while let Some(id) = queue.recv().await {
        one(&hub, &client, id).await;
        hub.pending.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn one(hub: &VoiceHub, client: &Client, id: u64) {
    let flac = match hub.clip(id) {
        Some(Clip::Memory(bytes)) => Ok(bytes.to_vec()),
        Some(Clip::File(path)) => tokio::fs::read(&path)
            .await
            .map_err(|e| format!("{}: {e}", path.display())),
        Some(Clip::Gone) | None => Err("the clip is gone (evicted for space)".to_string()),
    };
    let flac = match flac {
        Ok(f) => f,
        Err(message) => return failed(hub, id, message),
    };
    if let Some(r) = hub.update(id, |r| r.status = Status::Transcribing) {
        hub.emit(VoiceEvent::TranscriptionStarted(r));
    }
    let config = &client.config;
    let mut attempt = 0;
    let outcome = loop {
        match client.transcribe(id, flac.clone()).await {
            Ok(t) => break Ok(t),
            Err(f) if f.retry && attempt < config.retries => {
                let wait = config.backoff_s * f64::from(1u32 << attempt.min(16));
                tracing::debug!("transcription of {id}: {}; again in {wait} s", f.message);
                tokio::time::sleep(Duration::from_secs_f64(wait)).await;
                attempt += 1;
            }
            Err(f) => break Err(f.message),
        }
    };
    match outcome {
        Ok(t) => {
            hub.counters.transcribed.fetch_add(1, Ordering::Relaxed);
            let done = hub.update(id, |r| {
                r.status = Status::Transcribed;
                r.transcript = Some(t.text);
                r.confidence = t.confidence;
            });
            if let Some(r) = done {
                hub.emit(VoiceEvent::TranscriptionCompleted(r));
            }
        }
        Err(message) => failed(hub, id, message),
    }
}

fn failed(hub: &VoiceHub, id: u64, message: String) {
    tracing::info!("transcription of {id} failed: {message}");
    hub.counters
        .transcription_failures
        .fetch_add(1, Ordering::Relaxed);
    let r = hub.update(id, |r| {
        r.status = Status::Failed;
        r.error = Some(message);
    });
    if let Some(r) = r {
        hub.emit(VoiceEvent::TranscriptionFailed(r));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn any_answer_parses_or_fails_with_a_reason(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Err(e) = parse(&body) {
                prop_assert!(!e.is_empty());
            }
        }

        #[test]
        fn json_answers_with_odd_fields_never_panic(text in ".{0,40}", lp in proptest::num::f64::ANY) {
            let body = serde_json::json!({"text": text, "segments": [{"avg_logprob": lp}]});
            let _ = parse(body.to_string().as_bytes());
        }
    }

    #[test]
    fn answers_parse_or_say_why_not() {
        let t = parse(br#"{"text": " tower, cleared to land "}"#).expect("json");
        assert_eq!(t.text, "tower, cleared to land");
        assert_eq!(t.confidence, None);
        let t = parse(br#"{"text":"a","segments":[{"avg_logprob":-0.1},{"avg_logprob":-0.3}]}"#)
            .expect("verbose");
        let c = t.confidence.expect("a confidence");
        assert!((c - (-0.2f32).exp()).abs() < 1e-6, "{c}");
        // A broken server's positive log-probability is still a probability.
        let t = parse(br#"{"text":"a","segments":[{"avg_logprob":2.6e239}]}"#).expect("json");
        assert_eq!(t.confidence, Some(1.0));
        assert!(parse(b"<html>").unwrap_err().contains("not JSON"));
        assert!(parse(br#"{"txt":"a"}"#)
            .unwrap_err()
            .contains("no \"text\""));
    }
}
