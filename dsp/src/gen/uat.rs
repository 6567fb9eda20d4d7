//! UAT test signals: payloads → Reed–Solomon codewords (uplinks interleaved) → binary CPFSK as
//! the radio receives it → 8-bit IQ at 2.083333 MS/s, with the truth of every burst sent.
//!
//! The method of ../shared/testdata/uat/README.md, so results compare with the dump978-fa
//! figures measured there: rectangular frequency pulses at ±312.5 kHz (bit 1 high), the phase
//! integrated exactly and sampled at a random sub-sample start; random carrier phase; uniform
//! carrier offset; gaps of 20 µs plus an exponential with mean 300 µs; complex white Gaussian
//! noise with SNR = signal power / noise power over the sampled band; 8-bit quantisation with
//! clipping. The demodulator is never consulted.

use crate::uat::consts::*;
use crate::uat::frame::{encode_downlink, encode_uplink, Kind};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp, StandardNormal};
use std::f64::consts::TAU;

/// What to generate.
#[derive(Clone, Debug)]
pub struct UatConfig {
    /// Per-burst SNR, uniform in [lo, hi] dB. The noise is fixed; the strongest possible burst
    /// has amplitude `peak_amplitude`.
    pub snr_db: (f64, f64),
    /// Amplitude (1.0 = full scale) of a burst at the top of the SNR range.
    pub peak_amplitude: f64,
    /// Carrier offset, uniform in ±this.
    pub max_offset_hz: f64,
    pub mean_gap_us: f64,
    pub min_gap_us: f64,
    pub seed: u64,
}

impl UatConfig {
    pub fn new(snr_db: f64, seed: u64) -> Self {
        Self {
            snr_db: (snr_db, snr_db),
            peak_amplitude: 0.25,
            max_offset_hz: 5000.0,
            mean_gap_us: 300.0,
            min_gap_us: 20.0,
            seed,
        }
    }
}

/// One burst on the air, as a perfect receiver would know it.
#[derive(Clone, Debug, PartialEq)]
pub struct UatBurst {
    pub kind: Kind,
    /// The payload (18, 34 or 432 bytes).
    pub payload: Vec<u8>,
    /// Start of the sync word, in samples (fractional).
    pub start: f64,
    pub snr_db: f64,
    pub offset_hz: f64,
}

/// Modulates `payloads` one after another; returns cu8 IQ and the truth, in order. Payloads
/// of a wrong length are skipped (and are not in the truth).
pub fn generate(payloads: &[(Kind, Vec<u8>)], cfg: &UatConfig) -> (Vec<u8>, Vec<UatBurst>) {
    let mut rng = SmallRng::seed_from_u64(cfg.seed);
    let us = SAMPLE_RATE / 1e6;
    let samples_per_bit = SAMPLE_RATE / BIT_RATE;
    // `max` also turns a NaN mean into the floor, so the rate is always valid.
    let Ok(gap) = Exp::new(1.0 / cfg.mean_gap_us.max(1e-3)) else {
        return (Vec::new(), Vec::new());
    };
    let noise_sigma = cfg.peak_amplitude / 10f64.powf(cfg.snr_db.1 / 20.0);

    let mut bursts = Vec::with_capacity(payloads.len());
    let mut t = 50.0 * us;
    for (kind, payload) in payloads {
        let Some(codeword) = (match kind {
            Kind::Downlink => encode_downlink(payload),
            Kind::Uplink => encode_uplink(payload),
        }) else {
            continue;
        };
        t += (cfg.min_gap_us + gap.sample(&mut rng)) * us;
        let snr_db = if cfg.snr_db.0 < cfg.snr_db.1 {
            rng.random_range(cfg.snr_db.0..=cfg.snr_db.1)
        } else {
            cfg.snr_db.0
        };
        let offset_hz = if cfg.max_offset_hz > 0.0 {
            rng.random_range(-cfg.max_offset_hz..=cfg.max_offset_hz)
        } else {
            0.0
        };
        bursts.push((
            UatBurst {
                kind: *kind,
                payload: payload.clone(),
                start: t,
                snr_db,
                offset_hz,
            },
            codeword,
        ));
        let bits = SYNC_BITS + 8 * bursts.last().map_or(0, |(_, c)| c.len());
        t += bits as f64 * samples_per_bit;
    }
    let total = (t + 50.0 * us).ceil() as usize;
    let mut iq = vec![[0f64; 2]; total];
    for (b, codeword) in &bursts {
        let amp = noise_sigma * 10f64.powf(b.snr_db / 20.0);
        let phase0 = rng.random_range(0.0..TAU);
        add_burst(
            &mut iq,
            &burst_bits(b.kind, codeword),
            b.start,
            amp,
            b.offset_hz,
            phase0,
        );
    }
    let sigma = noise_sigma / std::f64::consts::SQRT_2;
    let mut out = Vec::with_capacity(total * 2);
    for s in &iq {
        for v in s {
            let noisy = v + sigma * rng.sample::<f64, _>(StandardNormal);
            out.push(super::quantize(noisy as f32));
        }
    }
    (out, bursts.into_iter().map(|(b, _)| b).collect())
}

/// The bits on the air: the sync word of `kind`, then the codeword, most significant first.
pub(crate) fn burst_bits(kind: Kind, codeword: &[u8]) -> Vec<bool> {
    let sync = match kind {
        Kind::Downlink => DOWNLINK_SYNC,
        Kind::Uplink => UPLINK_SYNC,
    };
    (0..SYNC_BITS)
        .rev()
        .map(|i| (sync >> i) & 1 == 1)
        .chain(
            codeword
                .iter()
                .flat_map(|&byte| (0..8).rev().map(move |i| (byte >> i) & 1 == 1)),
        )
        .collect()
}

/// Adds one CPFSK burst starting at sample `start` (fractional; before 0 or past the end
/// of `iq` it is cut): the phase is the exact integral of the piecewise-constant frequency.
pub(crate) fn add_burst(
    iq: &mut [[f64; 2]],
    bits: &[bool],
    start: f64,
    amp: f64,
    offset_hz: f64,
    phase0: f64,
) {
    let bit_s = 1.0 / BIT_RATE;
    let end = start + bits.len() as f64 * SAMPLE_RATE / BIT_RATE;
    let first = start.ceil().max(0.0) as usize;
    let last = (end.floor() as usize).min(iq.len().saturating_sub(1));
    // Phase at the start of each bit.
    let mut bit_phase = Vec::with_capacity(bits.len() + 1);
    let mut p = 0.0;
    for &bit in bits {
        bit_phase.push(p);
        p += TAU * if bit { DEVIATION_HZ } else { -DEVIATION_HZ } * bit_s;
    }
    for (n, s) in iq.iter_mut().enumerate().take(last + 1).skip(first) {
        let t = (n as f64 - start) / SAMPLE_RATE; // seconds since the burst began
        let k = ((t / bit_s) as usize).min(bits.len() - 1);
        let f = if bits[k] { DEVIATION_HZ } else { -DEVIATION_HZ };
        let phase = phase0 + TAU * offset_hz * t + bit_phase[k] + TAU * f * (t - k as f64 * bit_s);
        s[0] += amp * phase.cos();
        s[1] += amp * phase.sin();
    }
}
