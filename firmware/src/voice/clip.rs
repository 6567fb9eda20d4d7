//! A transmission's audio as a file: FLAC for the clip store and the browser, WAV for
//! `decode --audio-dir`.
//!
//! Why FLAC: it is lossless (a transcriber hears exactly what was received), every browser
//! the UI supports plays it in an `<audio>` element, transcription services accept it, and
//! `flacenc` is pure Rust. Airband audio at 8 kHz, 16 bits, is 128 kbit/s as WAV; its noise
//! floor limits what FLAC's linear prediction can save: the simulator's clips come out at
//! about 73 % of that (`docs/audio.md`). A lossy codec (Opus) would be several times smaller
//! but has no maintained pure-Rust encoder.

use super::AUDIO_RATE;
use flacenc::bitsink::ByteSink;
use flacenc::component::BitRepr;
use flacenc::error::Verify;
use std::io::Cursor;

/// FLAC's block size: 4,096 samples (0.5 s at 8 kHz), the reference encoder's default.
const BLOCK: usize = 4096;

/// The content type a clip is served with.
pub const FLAC_TYPE: &str = "audio/flac";

/// 16-bit mono audio at 8 kHz as a FLAC stream.
pub fn flac(audio: &[i16]) -> Result<Vec<u8>, String> {
    if audio.is_empty() {
        return Err("an empty clip has no FLAC stream".into());
    }
    let samples: Vec<i32> = audio.iter().map(|&v| i32::from(v)).collect();
    let source = flacenc::source::MemSource::from_samples(&samples, 1, 16, AUDIO_RATE as usize);
    let mut config = flacenc::config::Encoder::default();
    config.multithread = false;
    let config = config
        .into_verified()
        .map_err(|(_, e)| format!("FLAC settings: {e:?}"))?;
    let stream = flacenc::encode_with_fixed_block_size(&config, source, BLOCK)
        .map_err(|e| format!("FLAC encoding: {e}"))?;
    let mut sink = ByteSink::new();
    stream
        .write(&mut sink)
        .map_err(|e| format!("FLAC encoding: {e}"))?;
    Ok(sink.into_inner())
}

/// 16-bit mono audio at 8 kHz as a PCM WAV file.
pub fn wav(audio: &[i16]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: AUDIO_RATE as u32,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = Cursor::new(Vec::with_capacity(44 + 2 * audio.len()));
    // Writing to memory cannot fail but for a clip over 4 GiB, which MAX_S rules out.
    if let Ok(mut w) = hound::WavWriter::new(&mut out, spec) {
        let mut w16 = w.get_i16_writer(audio.len() as u32);
        for &v in audio {
            w16.write_sample(v);
        }
        let _ = w16.flush();
        let _ = w.finalize();
    }
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speechy(n: usize) -> Vec<i16> {
        // A decaying pitch pulse train with noise: roughly what the receiver hands over.
        let mut x = 12345u32;
        (0..n)
            .map(|i| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let noise = ((x >> 16) as i16 as f32) / 32768.0 * 800.0;
                let pitch = (i % 64) as f32;
                let pulse = 6000.0 * (-pitch / 12.0).exp() * ((i as f32) * 0.4).sin();
                (pulse + noise) as i16
            })
            .collect()
    }

    #[test]
    fn flac_decodes_back_to_the_same_samples() {
        let audio = speechy(20_000);
        let bytes = flac(&audio).expect("encodes");
        let mut reader = claxon::FlacReader::new(Cursor::new(&bytes)).expect("a FLAC stream");
        assert_eq!(reader.streaminfo().sample_rate, 8000);
        assert_eq!(reader.streaminfo().channels, 1);
        let back: Vec<i16> = reader
            .samples()
            .map(|s| s.expect("decodes") as i16)
            .collect();
        assert_eq!(back, audio);
        let wav_len = wav(&audio).len();
        println!("FLAC {} bytes, WAV {wav_len}", bytes.len());
        assert!(
            bytes.len() < wav_len,
            "FLAC {} ≥ WAV {wav_len}",
            bytes.len()
        );
    }

    #[test]
    fn wav_is_16_bit_mono_at_8_khz() {
        let audio = speechy(800);
        let bytes = wav(&audio);
        let mut r = hound::WavReader::new(Cursor::new(bytes)).expect("a WAV file");
        let spec = r.spec();
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (1, 8000, 16)
        );
        let back: Vec<i16> = r.samples::<i16>().map(|s| s.expect("reads")).collect();
        assert_eq!(back, audio);
    }

    #[test]
    fn an_empty_clip_is_refused_as_flac_and_an_empty_wav() {
        assert!(flac(&[]).unwrap_err().contains("empty"));
        assert!(wav(&[]).starts_with(b"RIFF"));
    }
}
