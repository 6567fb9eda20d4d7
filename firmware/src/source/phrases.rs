//! The simulator's voice: short ATC phrases made by a text-to-speech engine and shipped as
//! test data (`firmware/assets/voice`, see its README), built into the binary.

use std::sync::{Arc, OnceLock};

const WAVS: [&[u8]; 12] = [
    include_bytes!("../../assets/voice/01.wav"),
    include_bytes!("../../assets/voice/02.wav"),
    include_bytes!("../../assets/voice/03.wav"),
    include_bytes!("../../assets/voice/04.wav"),
    include_bytes!("../../assets/voice/05.wav"),
    include_bytes!("../../assets/voice/06.wav"),
    include_bytes!("../../assets/voice/07.wav"),
    include_bytes!("../../assets/voice/08.wav"),
    include_bytes!("../../assets/voice/09.wav"),
    include_bytes!("../../assets/voice/10.wav"),
    include_bytes!("../../assets/voice/11.wav"),
    include_bytes!("../../assets/voice/12.wav"),
];
const TEXTS: &str = include_str!("../../assets/voice/phrases.tsv");

/// One phrase: what is said, the audio at 8 kHz (full scale ±1) as spoken, and as a
/// transmitter sends it (through its speech processor: `dsp::gen::am::speech_processor`).
#[derive(Clone, Debug)]
pub struct Phrase {
    pub text: String,
    pub audio: Arc<Vec<f32>>,
    pub transmitted: Arc<Vec<f32>>,
}

/// The phrases, decoded once.
pub fn phrases() -> &'static [Phrase] {
    static P: OnceLock<Vec<Phrase>> = OnceLock::new();
    P.get_or_init(|| {
        let texts: Vec<&str> = TEXTS
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once('\t').map(|(_, t)| t))
            .collect();
        WAVS.iter()
            .zip(texts)
            .filter_map(|(bytes, text)| {
                let reader = hound::WavReader::new(std::io::Cursor::new(*bytes)).ok()?;
                let audio: Vec<f32> = reader
                    .into_samples::<i16>()
                    .filter_map(Result::ok)
                    .map(|v| f32::from(v) / 32_768.0)
                    .collect();
                Some(Phrase {
                    text: text.to_string(),
                    transmitted: Arc::new(dsp::gen::am::speech_processor(&audio)),
                    audio: Arc::new(audio),
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_phrase_decodes_with_its_text() {
        let p = super::phrases();
        assert_eq!(p.len(), 12);
        for ph in p {
            let seconds = ph.audio.len() as f64 / 8_000.0;
            assert!((1.5..4.0).contains(&seconds), "{}: {seconds} s", ph.text);
            assert!(ph.text.len() > 10);
            assert!(ph.audio.iter().any(|v| v.abs() > 0.5), "{}", ph.text);
            assert_eq!(ph.transmitted.len(), ph.audio.len());
            // Processed speech is denser: its RMS stands closer to its peak.
            let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
            let (raw, sent) = (rms(&ph.audio), rms(&ph.transmitted));
            assert!(sent > 2.0 * raw, "{}: RMS {raw} → {sent}", ph.text);
        }
    }
}
