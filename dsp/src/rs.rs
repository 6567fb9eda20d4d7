//! Reed–Solomon decoding and encoding over GF(256) with the field x⁸ + x⁷ + x² + x + 1 and
//! generator roots α¹²⁰ … α^(120 + n − k − 1), α = x: the code UAT (DO-282B) and VDL Mode 2
//! (ICAO Annex 10 Vol III) share; they differ only in their lengths.
//!
//! Codewords are shortened from RS(255, 255 − 2t): byte 0 is the coefficient of the highest
//! power. Decoding is syndromes → Berlekamp–Massey → Chien search over the n positions that
//! exist → Forney; a decode that finds fewer roots than the locator's degree, or an error
//! outside the shortened codeword, is refused rather than miscorrected.

use crate::uat::consts::{GF_POLY, RS_FIRST_ROOT};

/// The largest number of parity symbols of any code (UAT's uplink: 20).
const MAX_ROOTS: usize = 20;

/// GF(256) log/antilog tables, built at compile time.
struct Gf {
    exp: [u8; 512],
    log: [u8; 256],
}

const GF: Gf = build_gf();

const fn build_gf() -> Gf {
    let mut exp = [0u8; 512];
    let mut log = [0u8; 256];
    let mut x: u16 = 1;
    let mut i = 0;
    while i < 255 {
        exp[i] = x as u8;
        exp[i + 255] = x as u8;
        log[x as usize] = i as u8;
        x <<= 1;
        if x & 0x100 != 0 {
            x ^= GF_POLY;
        }
        i += 1;
    }
    // exp[510], exp[511] are never read with reduced exponents; keep them defined.
    exp[510] = exp[0];
    exp[511] = exp[1];
    Gf { exp, log }
}

#[inline]
fn mul(a: u8, b: u8) -> u8 {
    if a == 0 || b == 0 {
        0
    } else {
        GF.exp[GF.log[a as usize] as usize + GF.log[b as usize] as usize]
    }
}

/// α^e for any e ≥ 0.
#[inline]
fn pow_alpha(e: u32) -> u8 {
    GF.exp[(e % 255) as usize]
}

#[inline]
fn inv(a: u8) -> u8 {
    debug_assert!(a != 0);
    GF.exp[255 - GF.log[a as usize] as usize]
}

/// A shortened Reed–Solomon code: `n` bytes of codeword, `k` of them data.
#[derive(Clone, Debug)]
pub struct ReedSolomon {
    n: usize,
    k: usize,
    /// Generator polynomial, highest power first, monic (`gen[0] == 1`), n − k + 1 terms.
    generator: [u8; MAX_ROOTS + 1],
}

/// Why a codeword could not be corrected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uncorrectable;

impl ReedSolomon {
    /// # Panics
    /// If `n > 255`, `k >= n` or `n − k > 20` (programming errors: the codes are constants).
    pub const fn new(n: usize, k: usize) -> Self {
        assert!(n <= 255 && k < n && n - k <= MAX_ROOTS);
        let roots = n - k;
        // g(x) = ∏ (x − α^(fcr + i)), built up one factor at a time, highest power first.
        let mut g = [0u8; MAX_ROOTS + 1];
        g[0] = 1;
        let mut len = 1;
        let mut i = 0;
        while i < roots {
            let root = GF.exp[(RS_FIRST_ROOT as usize + i) % 255];
            // Multiply by (x + root): new[j] = g[j] + root·g[j−1].
            let mut j = len;
            while j > 0 {
                let a = g[j];
                let b = g[j - 1];
                let prod = if b == 0 {
                    0
                } else {
                    GF.exp[GF.log[b as usize] as usize + GF.log[root as usize] as usize]
                };
                g[j] = a ^ prod;
                j -= 1;
            }
            len += 1;
            i += 1;
        }
        ReedSolomon { n, k, generator: g }
    }

    pub const fn n(&self) -> usize {
        self.n
    }

    pub const fn k(&self) -> usize {
        self.k
    }

    fn roots(&self) -> usize {
        self.n - self.k
    }

    /// Writes the parity of `codeword[..k]` into `codeword[k..n]` (systematic encoding).
    pub fn encode(&self, codeword: &mut [u8]) {
        let (n, k, r) = (self.n, self.k, self.roots());
        assert!(codeword.len() >= n, "codeword buffer shorter than n");
        let mut rem = [0u8; MAX_ROOTS];
        for &d in &codeword[..k] {
            let feedback = d ^ rem[0];
            rem.copy_within(1..r, 0);
            rem[r - 1] = 0;
            if feedback != 0 {
                for (j, slot) in rem[..r].iter_mut().enumerate() {
                    *slot ^= mul(feedback, self.generator[j + 1]);
                }
            }
        }
        codeword[k..n].copy_from_slice(&rem[..r]);
    }

    /// Corrects `codeword[..n]` in place; returns how many bytes were changed.
    pub fn decode(&self, codeword: &mut [u8]) -> Result<usize, Uncorrectable> {
        self.decode_with_erasures(codeword, &[])
    }

    /// Errors-and-erasures decoding: `erasures` are byte positions known to be unreliable
    /// (their values may be anything). Corrects `e` errors and `s` erasures when
    /// 2e + s ≤ n − k; returns how many bytes were changed.
    pub fn decode_with_erasures(
        &self,
        codeword: &mut [u8],
        erasures: &[usize],
    ) -> Result<usize, Uncorrectable> {
        let n = self.n;
        let r = self.roots();
        if codeword.len() < n || erasures.len() > r || erasures.iter().any(|&p| p >= n) {
            return Err(Uncorrectable);
        }
        let cw = &mut codeword[..n];
        // Syndromes S_j = c(α^(fcr + j)), by Horner's rule.
        let mut s = [0u8; MAX_ROOTS];
        let mut any = 0u8;
        for (j, sj) in s[..r].iter_mut().enumerate() {
            let a = pow_alpha(RS_FIRST_ROOT + j as u32);
            let mut acc = 0u8;
            for &byte in cw.iter() {
                acc = mul(acc, a) ^ byte;
            }
            *sj = acc;
            any |= acc;
        }
        if any == 0 {
            return Ok(0);
        }
        // Erasure locator Γ(x) = ∏ (1 + X_j x), lowest power first; it starts the
        // Berlekamp–Massey iteration, which then finds the errors (an errata locator).
        let mut lambda = [0u8; MAX_ROOTS + 1];
        lambda[0] = 1;
        for (deg, &pos) in erasures.iter().enumerate() {
            let x = pow_alpha((n - 1 - pos) as u32);
            for j in (1..=deg + 1).rev() {
                lambda[j] ^= mul(lambda[j - 1], x);
            }
        }
        let e = erasures.len();
        let mut prev = lambda;
        let mut l = e;
        let mut m = 1usize;
        let mut b = 1u8;
        for i in e..r {
            let mut d = s[i];
            for j in 1..=l.min(i) {
                d ^= mul(lambda[j], s[i - j]);
            }
            if d == 0 {
                m += 1;
                continue;
            }
            let coef = mul(d, inv(b));
            let saved = lambda;
            for j in m..=MAX_ROOTS {
                lambda[j] ^= mul(coef, prev[j - m]);
            }
            if 2 * l <= i + e {
                l = i + 1 + e - l;
                prev = saved;
                b = d;
                m = 1;
            } else {
                m += 1;
            }
        }
        // 2 · errors + erasures must fit in the parity.
        if l == 0 || l < e || 2 * (l - e) + e > r {
            return Err(Uncorrectable);
        }
        // Ω(x) = S(x)·Λ(x) mod x^r.
        let mut omega = [0u8; MAX_ROOTS];
        for (i, o) in omega[..r].iter_mut().enumerate() {
            let mut acc = 0u8;
            for j in 0..=i.min(l) {
                acc ^= mul(lambda[j], s[i - j]);
            }
            *o = acc;
        }
        // Chien search over the positions of the shortened code, then Forney.
        let mut found = 0usize;
        let mut fixes = [(0usize, 0u8); MAX_ROOTS];
        for (pos, _) in cw.iter().enumerate() {
            let power = (n - 1 - pos) as u32; // this byte multiplies x^power
            let x_inv = pow_alpha(255 - power % 255); // X^-1
            let mut val = 0u8;
            let mut xp = 1u8;
            for &c in &lambda[..=l] {
                val ^= mul(c, xp);
                xp = mul(xp, x_inv);
            }
            if val != 0 {
                continue;
            }
            if found == l {
                return Err(Uncorrectable);
            }
            // Ω(X^-1) and Λ'(X^-1) (odd terms of Λ: Λ' = Σ_odd Λ_i x^(i−1)).
            let mut num = 0u8;
            let mut xp = 1u8;
            for &o in &omega[..r] {
                num ^= mul(o, xp);
                xp = mul(xp, x_inv);
            }
            let mut den = 0u8;
            let x_inv2 = mul(x_inv, x_inv);
            let mut xp = 1u8;
            for i in (1..=l).step_by(2) {
                den ^= mul(lambda[i], xp);
                xp = mul(xp, x_inv2);
            }
            if den == 0 {
                return Err(Uncorrectable);
            }
            // e = X^(1 − fcr) · Ω(X^-1) / Λ'(X^-1)
            let scale = pow_alpha((power * (255 + 1 - RS_FIRST_ROOT % 255)) % 255);
            let e = mul(mul(num, inv(den)), scale);
            fixes[found] = (pos, e);
            found += 1;
        }
        if found != l {
            return Err(Uncorrectable);
        }
        for &(pos, e) in &fixes[..found] {
            cw[pos] ^= e;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uat::consts::*;

    /// A small deterministic generator for test codewords.
    fn xorshift(mut seed: u32) -> impl FnMut() -> u32 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        }
    }

    #[test]
    fn field_tables_are_a_field() {
        for a in 1..=255u8 {
            assert_eq!(mul(a, inv(a)), 1, "{a}");
        }
        assert_eq!(pow_alpha(255), 1);
        // The field polynomial: α^8 = α^7 + α^2 + α + 1.
        assert_eq!(pow_alpha(8), 0x87);
    }

    #[test]
    fn corrects_up_to_t_errors_and_refuses_or_flags_more() {
        let mut rand = xorshift(0x1234_5678);
        for (n, k) in [(30, 18), (48, 34), (92, 72)] {
            let rs = ReedSolomon::new(n, k);
            let t = (n - k) / 2;
            for trial in 0..300 {
                let mut cw = vec![0u8; n];
                for b in &mut cw[..k] {
                    *b = rand() as u8;
                }
                rs.encode(&mut cw);
                assert_eq!(rs.clone().decode(&mut cw.clone()), Ok(0));
                let errors = 1 + trial % t;
                let mut bad = cw.clone();
                let mut used = Vec::new();
                while used.len() < errors {
                    let p = rand() as usize % n;
                    if !used.contains(&p) {
                        used.push(p);
                        bad[p] ^= 1 + (rand() % 255) as u8;
                    }
                }
                assert_eq!(
                    rs.decode(&mut bad),
                    Ok(errors),
                    "RS({n},{k}) {errors} errors"
                );
                assert_eq!(bad, cw);
            }
        }
    }

    #[test]
    fn corrects_errors_and_erasures_within_the_bound() {
        let mut rand = xorshift(0x2545_f491);
        for (n, k) in [(30, 18), (48, 34), (92, 72)] {
            let rs = ReedSolomon::new(n, k);
            let r = n - k;
            for trial in 0..400 {
                let mut cw = vec![0u8; n];
                for b in &mut cw[..k] {
                    *b = rand() as u8;
                }
                rs.encode(&mut cw);
                let erasures = trial % (r + 1);
                let errors = (r - erasures) / 2;
                let mut positions = Vec::new();
                while positions.len() < erasures + errors {
                    let p = rand() as usize % n;
                    if !positions.contains(&p) {
                        positions.push(p);
                    }
                }
                let mut bad = cw.clone();
                for &p in &positions {
                    bad[p] ^= 1 + (rand() % 255) as u8;
                }
                let got = rs.decode_with_erasures(&mut bad, &positions[..erasures]);
                assert!(
                    got.is_ok(),
                    "RS({n},{k}) {errors} errors + {erasures} erasures"
                );
                assert_eq!(bad, cw);
                // More than the bound without erasure marks: errors-only decoding cannot.
                if erasures > 1 {
                    let mut worse = cw.clone();
                    for &p in &positions {
                        worse[p] ^= 0x5a;
                    }
                    let _ = rs.decode(&mut worse); // must not panic; may refuse or miscorrect
                }
            }
        }
    }

    #[test]
    fn uplink_block_sizes_agree() {
        assert_eq!(UPLINK_CODEWORD, 552);
        assert_eq!(UPLINK_PAYLOAD, 432);
        assert_eq!(DOWNLINK_SYNC ^ UPLINK_SYNC, (1 << SYNC_BITS) - 1);
    }
}
