//! Detectors: chip energies of a candidate → bits and a reliability per bit.
//!
//! All three share one signature so the demodulator can try them in turn. The chip model
//! (`empty + pulse·x_c + spill·(x_{c-1} + x_{c+1})`) is estimated from the preamble by the
//! demodulator.

use crate::consts::LONG_BITS;

/// Expected chip energies: `empty + pulse·x_c + spill·(x_{c-1} + x_{c+1})`.
#[derive(Clone, Copy, Debug)]
pub struct ChipModel {
    pub empty: f64,
    pub pulse: f64,
    pub spill: f64,
}

impl ChipModel {
    /// Least-squares fit of the model to the chips of a whole reading (`bytes`, MSB first):
    /// `E_c = empty + pulse·x_c + spill·(x_{c-1} + x_{c+1})`. `None` if the fit is degenerate
    /// or unphysical.
    pub fn fit(e: &[[u32; 2]], bytes: &[u8; 14]) -> Option<ChipModel> {
        let n = e.len();
        let bit = |i: usize| bytes[i / 8] & (0x80 >> (i % 8)) != 0;
        // x of chip c: the first chip of bit i holds the pulse for a 1, the second for a 0.
        let x = |c: isize| -> f64 {
            if c < 0 || c as usize >= 2 * n {
                return 0.0;
            }
            let c = c as usize;
            f64::from(u8::from(bit(c / 2) == c.is_multiple_of(2)))
        };
        // Normal equations for [1, x, s].
        let mut a = [[0f64; 3]; 3];
        let mut y = [0f64; 3];
        for c in 0..2 * n {
            let ci = c as isize;
            let row = [1.0, x(ci), x(ci - 1) + x(ci + 1)];
            let obs = f64::from(e[c / 2][c % 2]);
            for r in 0..3 {
                y[r] += row[r] * obs;
                for k in 0..3 {
                    a[r][k] += row[r] * row[k];
                }
            }
        }
        let det = |m: &[[f64; 3]; 3]| {
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        };
        let d = det(&a);
        if d.abs() < 1e-9 {
            return None;
        }
        let solve = |col: usize| {
            let mut m = a;
            for r in 0..3 {
                m[r][col] = y[r];
            }
            det(&m) / d
        };
        let (empty, pulse, spill) = (solve(0), solve(1), solve(2));
        (pulse > 0.0).then(|| ChipModel {
            empty: empty.max(0.0),
            pulse,
            spill: spill.clamp(0.0, pulse / 2.0),
        })
    }
}

/// Decision-feedback slicing against the chip model. A pulse spills into its neighbouring
/// chips, so bit i's first chip gains when bit i-1 was a 0 (pulse in its second chip) and
/// its second chip gains when bit i+1 is a 1. Given the neighbours, the least-squares choice
/// between the two hypotheses is `e1 - e0 > spill · (x_prev - x_next)`: the threshold moves
/// instead of the interference being ignored. The previous bit is this pass's decision; the
/// next bit comes from the previous pass (plain slicing first), and two passes settle the
/// ambiguous patterns of 2.0 MS/s, where an edge-aligned pulse splits evenly between two
/// samples. The soft output is the distance from the moved threshold.
pub fn equalize(e: &[[u32; 2]], m: &ChipModel, bytes: &mut [u8; 14], soft: &mut [u32; LONG_BITS]) {
    let n = e.len();
    let spill = m.spill as i64;
    let diff: [i64; LONG_BITS] =
        std::array::from_fn(|i| e.get(i).map_or(0, |p| i64::from(p[0]) - i64::from(p[1])));
    // guess[i] = bit i is a 1; guess[n] (after the reply) counts as a 0.
    let mut guess = [false; LONG_BITS + 1];
    for i in 0..n {
        guess[i] = diff[i] > 0;
    }
    for _pass in 0..2 {
        let mut prev_one = true; // the preamble's last chip is empty, as after a 1
        for i in 0..n {
            let x_prev = i64::from(!prev_one);
            let x_next = i64::from(guess[i + 1]);
            let d = diff[i] - spill * (x_prev - x_next);
            guess[i] = d > 0;
            soft[i] = d.unsigned_abs().min(u64::from(u32::MAX)) as u32;
            prev_one = guess[i];
        }
    }
    for (i, &one) in guess.iter().take(n).enumerate() {
        if one {
            bytes[i / 8] |= 0x80 >> (i % 8);
        }
    }
}

/// Plain slicing: each bit by its own two chips, reliability their difference.
pub fn plain(e: &[[u32; 2]], _m: &ChipModel, bytes: &mut [u8; 14], soft: &mut [u32; LONG_BITS]) {
    for (i, p) in e.iter().enumerate() {
        if p[0] > p[1] {
            bytes[i / 8] |= 0x80 >> (i % 8);
        }
        soft[i] = p[0].abs_diff(p[1]);
    }
}

/// Maximum-likelihood bit sequence under the chip model (Viterbi, two states: the last bit).
///
/// A pulse spills into its neighbouring chips, so a chip's energy depends on the bits on
/// either side of it, and slicing each bit alone loses several dB where chips straddle
/// samples (worst at 2.0 MS/s, where an edge-aligned pulse splits evenly between two
/// samples). The second chip of bit i and the first chip of bit i+1 depend only on
/// (b_i, b_i+1), so they form the branch metric (squared error against the model) of the
/// transition between the two. The soft output is the bit's own chip difference with the
/// decided neighbours' spill removed (path-metric margins were tried and ranked repair
/// candidates worse).
pub fn viterbi(e: &[[u32; 2]], m: &ChipModel, bytes: &mut [u8; 14], soft: &mut [u32; LONG_BITS]) {
    let n = e.len();
    let x = |b: bool| f64::from(u8::from(b));
    // First chip of a bit holds its pulse for a 1; spill comes from the previous bit's
    // second chip (a previous 0) and from its own second chip (a 0).
    let first_chip =
        |prev: bool, cur: bool| m.empty + m.pulse * x(cur) + m.spill * (x(!prev) + x(!cur));
    // Second chip holds the pulse for a 0; spill from its own first chip (a 1) and from the
    // next bit's first chip (a next 1).
    let second_chip =
        |cur: bool, next: bool| m.empty + m.pulse * x(!cur) + m.spill * (x(cur) + x(next));
    let sq = |v: f64| v * v;
    let obs = |i: usize, chip: usize| f64::from(e[i][chip]);

    // State = the latest bit. Bit 0 follows the preamble's empty last chip, as after a 1.
    let mut metric = [
        sq(obs(0, 0) - first_chip(true, false)),
        sq(obs(0, 0) - first_chip(true, true)),
    ];
    let mut paths = [0u128, 1u128];
    for pair in e.windows(2) {
        let mut next_metric = [0f64; 2];
        let mut next_paths = [0u128; 2];
        for to in [false, true] {
            let cost = |from: bool| {
                metric[usize::from(from)]
                    + sq(f64::from(pair[0][1]) - second_chip(from, to))
                    + sq(f64::from(pair[1][0]) - first_chip(from, to))
            };
            let (c0, c1) = (cost(false), cost(true));
            let from = c1 < c0;
            next_metric[usize::from(to)] = c0.min(c1);
            next_paths[usize::from(to)] = (paths[usize::from(from)] << 1) | u128::from(to);
        }
        metric = next_metric;
        paths = next_paths;
    }
    // The last bit's second chip has nothing after it.
    let end = [
        metric[0] + sq(obs(n - 1, 1) - second_chip(false, false)),
        metric[1] + sq(obs(n - 1, 1) - second_chip(true, false)),
    ];
    let path = paths[usize::from(end[1] < end[0])];
    let bit = |k: usize| (path >> (n - 1 - k)) & 1 == 1;
    for i in 0..n {
        if bit(i) {
            bytes[i / 8] |= 0x80 >> (i % 8);
        }
        // Reliability: the bit's own chip difference with the neighbours' spill removed.
        let x_prev = i > 0 && !bit(i - 1);
        let x_next = i + 1 < n && bit(i + 1);
        let d = obs(i, 0) - obs(i, 1) - m.spill * (x(x_prev) - x(x_next));
        soft[i] = d.abs().min(f64::from(u32::MAX)) as u32;
    }
}
