//! Seeded, counter-based pseudo-random numbers (SplitMix64), so parallel kernels give the same
//! result for the same seed whatever the thread count: element `i` always draws `hash(seed, i)`.

/// SplitMix64 finaliser of `seed ⊕ golden·(i + 1)`.
#[inline(always)]
pub fn hash64(seed: u64, i: u64) -> u64 {
    let mut z = seed ^ (i.wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform f32 in `[0, 1)` for element `i` (24 random bits).
#[inline(always)]
pub fn uniform01(seed: u64, i: u64) -> f32 {
    (hash64(seed, i) >> 40) as f32 * (1.0 / 16_777_216.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_in_range_and_mean_half() {
        let n = 100_000u64;
        let mut s = 0.0f64;
        for i in 0..n {
            let u = uniform01(7, i);
            assert!((0.0..1.0).contains(&u));
            s += f64::from(u);
        }
        assert!((s / n as f64 - 0.5).abs() < 0.01);
        assert_ne!(hash64(1, 0), hash64(2, 0));
    }
}
