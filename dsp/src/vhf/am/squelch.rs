//! A voice channel's squelch: is a carrier there? An AM transmitter's carrier is a steady
//! tone, so it is looked for in a narrow FFT bin (about 37 Hz at 18.75 kS/s) near the channel's
//! centre, against the channel's noise floor per bin — some 20 dB more sensitive than the
//! channel's total power, whose noise spans the whole 8.33 or 25 kHz. The floor is tracked
//! while the squelch is closed (the median bin, robust to a carrier coming up); the squelch
//! opens on two frames in a row above the open threshold and closes after the hang time below
//! the close threshold. Only the bins within the carrier's tolerance of the centre count, so a
//! strong neighbour's carrier (8.33 kHz away, and 70 dB down after the channel filter) cannot
//! open it.

use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Samples a frame; frames overlap by half.
pub const FRAME: usize = 512;
pub const HOP: usize = FRAME / 2;
/// Carrier over the per-bin noise floor that opens the squelch (two frames in a row), and
/// below which it starts to close (dB). Noise alone exceeds 12 dB in one of ~55 bins with a
/// chance of about 7·10⁻⁶ a frame; twice in a row, never in practice.
pub const OPEN_DB: f32 = 12.0;
pub const CLOSE_DB: f32 = 7.0;
/// How long the carrier may be gone before the squelch closes (s): short gaps within a
/// transmission are bridged.
pub const HANG_S: f64 = 0.6;
/// How fast the floor follows the median while closed (per frame).
const FLOOR_RATE: f32 = 0.05;

/// Per channel: automatic, or held open or closed, or automatic with its own open threshold.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum SquelchMode {
    #[default]
    Auto,
    Open,
    Closed,
    /// Open at this many dB over the floor (closing 5 dB lower).
    Threshold(f32),
}

/// What one frame showed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameReport {
    /// The squelch after this frame.
    pub open: bool,
    /// The carrier was above the close threshold in this frame.
    pub carrier: bool,
    /// The strongest bin near the centre: its offset (Hz) and its power over the floor (dB).
    pub peak_hz: f32,
    pub snr_db: f32,
}

pub struct Squelch {
    rate: f64,
    mode: SquelchMode,
    fft: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    buf: Vec<Complex32>,
    scratch: Vec<Complex32>,
    powers: Vec<f32>,
    /// Bins (signed) where a carrier may be, and where the noise floor is measured.
    search: i32,
    floor_bins: i32,
    /// Mean noise power per bin (0: not measured yet).
    floor: f32,
    open: bool,
    above: u32,
    below: u32,
    hang_frames: u32,
    /// While open: the carrier's bin, and its power in the frame before.
    carrier_bin: i32,
    smoothed: f32,
    /// The carrier was present in the frame before.
    was_present: bool,
}

impl Squelch {
    /// `search_hz`: how far from the centre a carrier may be; `band_hz`: the one-sided band
    /// whose median bin is the floor.
    pub fn new(rate: f64, search_hz: f64, band_hz: f64, mode: SquelchMode) -> Self {
        let fft = FftPlanner::new().plan_fft_forward(FRAME);
        let window = (0..FRAME)
            .map(|i| {
                let x = std::f32::consts::PI * i as f32 / FRAME as f32;
                x.sin() * x.sin()
            })
            .collect();
        let bin_hz = rate / FRAME as f64;
        Self {
            rate,
            mode,
            scratch: vec![Complex32::default(); fft.get_inplace_scratch_len()],
            fft,
            window,
            buf: vec![Complex32::default(); FRAME],
            powers: Vec::new(),
            search: ((search_hz / bin_hz).ceil() as i32).clamp(1, FRAME as i32 / 4),
            floor_bins: ((band_hz / bin_hz) as i32).clamp(4, FRAME as i32 / 2 - 1),
            floor: 0.0,
            open: false,
            above: 0,
            below: 0,
            carrier_bin: 0,
            smoothed: 0.0,
            was_present: false,
            hang_frames: (HANG_S * rate / HOP as f64).ceil() as u32,
        }
    }

    pub fn set_mode(&mut self, mode: SquelchMode) {
        self.mode = mode;
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The noise floor per bin, dB of full scale (over the bin's width).
    pub fn floor_db(&self) -> f32 {
        10.0 * self.floor.max(1e-20).log10()
    }

    /// Bandwidth of one bin's noise (the window's equivalent noise bandwidth), Hz.
    pub fn bin_noise_hz(&self) -> f64 {
        1.5 * self.rate / FRAME as f64
    }

    /// Takes one frame of [`FRAME`] samples.
    pub fn frame(&mut self, x: &[Complex32]) -> FrameReport {
        for ((b, &v), &w) in self.buf.iter_mut().zip(x).zip(&self.window) {
            *b = if v.re.is_finite() && v.im.is_finite() {
                v * w
            } else {
                Complex32::default()
            };
        }
        self.fft
            .process_with_scratch(&mut self.buf, &mut self.scratch);
        let n = FRAME as i32;
        let bin = |k: i32| self.buf[k.rem_euclid(n) as usize].norm_sqr();
        let (mut peak_k, mut peak) = (0, 0.0f32);
        for k in -self.search..=self.search {
            let p = bin(k);
            if p > peak {
                (peak_k, peak) = (k, p);
            }
        }
        if !self.open {
            self.powers.clear();
            self.powers
                .extend((-self.floor_bins..=self.floor_bins).map(bin));
            let mid = self.powers.len() / 2;
            let median = *self
                .powers
                .select_nth_unstable_by(mid, |a, b| a.total_cmp(b))
                .1;
            // The median of exponentially distributed powers is the mean × ln 2.
            let estimate = median / std::f32::consts::LN_2;
            self.floor = if self.floor == 0.0 {
                estimate
            } else {
                self.floor + (estimate - self.floor) * FLOOR_RATE
            };
        }
        let floor = self.floor.max(1e-20);
        let snr_db = 10.0 * (peak / floor).max(1e-20).log10();
        let (open_db, close_db) = match self.mode {
            SquelchMode::Threshold(t) => (t, t - 5.0),
            _ => (OPEN_DB, CLOSE_DB),
        };
        // Open: the strongest bin near the centre. Once open, the carrier is followed in its
        // own bin and its neighbours, averaged over two frames, so that noise in the other bins
        // (one of ~55 exceeds 7 dB in a third of the frames) does not hold the squelch open;
        // it counts as present after two frames in a row.
        let present = if self.open {
            let (k, p) = (self.carrier_bin - 1..=self.carrier_bin + 1)
                .map(|k| (k, bin(k)))
                .fold(
                    (self.carrier_bin, 0.0f32),
                    |b, x| if x.1 > b.1 { x } else { b },
                );
            self.carrier_bin = k.clamp(-self.search, self.search);
            // The mean of this frame and the one before.
            let mean = 0.5 * (self.smoothed + p);
            self.smoothed = p;
            10.0 * (mean / floor).max(1e-20).log10() >= close_db
        } else {
            snr_db >= close_db
        };
        let carrier = present && (self.was_present || !self.open);
        self.was_present = present;
        if snr_db >= open_db {
            self.above += 1;
        } else {
            self.above = 0;
        }
        if carrier {
            self.below = 0;
        } else {
            self.below += 1;
        }
        let was_open = self.open;
        self.open = match self.mode {
            SquelchMode::Open => true,
            SquelchMode::Closed => false,
            _ if self.open => self.below <= self.hang_frames,
            _ => self.above >= 2,
        };
        if self.open && !was_open {
            self.carrier_bin = peak_k;
            self.smoothed = peak;
            self.was_present = true;
        }
        FrameReport {
            open: self.open,
            carrier,
            peak_hz: (f64::from(peak_k) * self.rate / FRAME as f64) as f32,
            snr_db,
        }
    }
}
