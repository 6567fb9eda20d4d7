//! What a source hands to the core: the messages one step of its receive chain decoded, with
//! times on the source's own *stream clock* (seconds of samples since it started).
//!
//! The core decides what those times mean (see `core::clock`): a live source's block ends
//! *now*, a replay's block moves the core's clock to its stream time.

use dsp::decode::Message;
use dsp::uat::decode::{LatLon, UatDownlink};
use dsp::uat::frame::UatFrame;
use dsp::uat::uplink::{ApduTime, Product};
use dsp::vhf::acars::RawBlock;
use dsp::vhf::vdl2::Frame as AvlcFrame;
use dsp::Frame;

/// One 1090 MHz message as heard: the frame (timing, signal level) and its decoding.
#[derive(Clone, Debug)]
pub struct Heard {
    pub frame: Frame,
    pub message: Message,
    /// Stream time of the frame (s).
    pub t: f64,
}

/// What the UAT chain heard: a downlink, or the FIS-B products an uplink completed.
#[derive(Clone, Debug)]
pub enum UatHeard {
    Downlink {
        downlink: Box<UatDownlink>,
        rssi_dbfs: f32,
        /// Stream time of the frame (s).
        t: f64,
        repaired: bool,
    },
    Products {
        station: LatLon,
        products: Vec<FisbProduct>,
        t: f64,
    },
}

/// One complete FIS-B product.
#[derive(Clone, Debug)]
pub struct FisbProduct {
    pub product_id: u16,
    pub time: ApduTime,
    pub product: Product,
}

/// A UAT frame as received, for the dump978 raw feed.
#[derive(Clone, Debug)]
pub struct UatReceived {
    pub frame: UatFrame,
    pub rssi_dbfs: f32,
    /// Stream time of the frame (s).
    pub t: f64,
}

/// One ACARS block as a VHF channel heard it (checked, not yet parsed).
#[derive(Clone, Debug)]
pub struct AcarsHeard {
    /// The channel's index in the band plan, and its frequency (Hz).
    pub channel: usize,
    pub frequency_hz: f64,
    /// Stream time the burst began (s).
    pub t: f64,
    /// Carrier and noise power, dB of full scale.
    pub level_db: f32,
    pub noise_db: f32,
    pub block: RawBlock,
}

/// One checked VDL2 frame as a VHF channel heard it, with its burst's measurements.
#[derive(Clone, Debug)]
pub struct Vdl2Heard {
    pub channel: usize,
    pub frequency_hz: f64,
    /// Stream time of the burst's training sequence (s).
    pub t: f64,
    /// Signal and noise power, dB of full scale.
    pub level_db: f32,
    pub noise_db: f32,
    /// Carrier offset, parts per million of the channel's frequency.
    pub freq_skew_ppm: f32,
    /// The burst's data octets, header bits and octets the FEC corrected.
    pub burst_len_octets: usize,
    pub hdr_bits_fixed: u8,
    pub octets_corrected: usize,
    /// The frame's place in its burst.
    pub idx: usize,
    pub frame: AvlcFrame,
}

/// One voice transmission as a channel heard it: squelch open to close (short gaps joined).
#[derive(Clone, Debug)]
pub struct VoiceHeard {
    pub channel: usize,
    /// The channel as configured (MHz: an 8.33 kHz channel's label) and its exact frequency.
    pub label_mhz: f64,
    pub frequency_hz: f64,
    pub name: Option<std::sync::Arc<str>>,
    /// Stream times of its first and last carrier (s).
    pub t: f64,
    pub end_t: f64,
    /// The carrier over the noise in its bin at its strongest, and the floor (dB).
    pub snr_db: f32,
    pub floor_db: f32,
    /// 16-bit audio at 8 kHz.
    pub audio: std::sync::Arc<[i16]>,
}

/// A voice channel's state at the end of a block, with the audio demodulated in it (the live
/// stream: empty while the squelch is closed).
#[derive(Clone, Debug)]
pub struct VoiceLevel {
    pub channel: usize,
    pub label_mhz: f64,
    pub name: Option<std::sync::Arc<str>>,
    pub open: bool,
    /// The strongest carrier bin over the floor in the last frame (dB), and the floor.
    pub snr_db: f32,
    pub floor_db: f32,
    pub live: Vec<i16>,
}

/// How a source's stream clock relates to the wall clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Timing {
    /// A radio, the simulator, a network input: samples arrive as the air sends them.
    Live,
    /// A recording played at `speed` × real time: its stream time is the picture's time.
    Replay { speed: f64 },
}

/// What one step of a source produced.
#[derive(Debug)]
pub struct Block {
    /// The source's index in the daemon's `SourceSet` (`None`: a network input).
    pub source: Option<usize>,
    pub timing: Timing,
    pub heard: Vec<Heard>,
    /// From a 978 MHz source.
    pub uat: Vec<UatHeard>,
    pub uat_frames: Vec<UatReceived>,
    /// From a VHF source.
    pub acars: Vec<AcarsHeard>,
    pub vdl2: Vec<Vdl2Heard>,
    pub voice: Vec<VoiceHeard>,
    pub voice_levels: Vec<VoiceLevel>,
    /// Stream time at the end of the block (s).
    pub stream_s: f64,
    /// The source ended with this block (a replay reached the end of its file).
    pub end: bool,
}

impl Block {
    /// A block with nothing in it yet.
    pub fn new(source: Option<usize>, timing: Timing, stream_s: f64) -> Self {
        Self {
            source,
            timing,
            heard: Vec::new(),
            uat: Vec::new(),
            uat_frames: Vec::new(),
            acars: Vec::new(),
            vdl2: Vec::new(),
            voice: Vec::new(),
            voice_levels: Vec::new(),
            stream_s,
            end: false,
        }
    }
}
