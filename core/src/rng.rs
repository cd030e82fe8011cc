//! hnswlib's level generator, reproduced exactly.
//!
//! hnswlib draws levels from `std::default_random_engine`, which in libstdc++ (GCC on
//! Linux) is `minstd_rand0` (x ← 16807·x mod 2³¹−1), through
//! `uniform_real_distribution<double>(0, 1)`, i.e. `generate_canonical<double, 53>`,
//! which combines two draws. Reproducing it bit for bit means a single-threaded build
//! with the same seed and data draws the same levels as hnswlib.

const MODULUS: u64 = 2_147_483_647; // 2^31 - 1
const MULTIPLIER: u64 = 16_807;

/// libstdc++'s `minstd_rand0` with `generate_canonical<double, 53>` on top.
#[derive(Debug, Clone)]
pub struct LevelRng {
    state: u64,
}

impl LevelRng {
    /// Seeds like `std::default_random_engine(seed)`: the seed modulo 2³¹−1, and 1 if that is 0.
    pub fn new(seed: u64) -> Self {
        let s = seed % MODULUS;
        LevelRng {
            state: if s == 0 { 1 } else { s },
        }
    }

    fn next_raw(&mut self) -> u64 {
        self.state = self.state * MULTIPLIER % MODULUS;
        self.state
    }

    /// A uniform double in [0, 1), as `uniform_real_distribution<double>(0, 1)` draws it.
    pub fn next_uniform(&mut self) -> f64 {
        // The engine's range is [1, 2^31 - 2]: R = 2^31 - 2 values; 53 bits need two draws.
        let range = (MODULUS - 1) as f64;
        let mut sum = 0.0f64;
        let mut scale = 1.0f64;
        for _ in 0..2 {
            sum += (self.next_raw() - 1) as f64 * scale;
            scale *= range;
        }
        let u = sum / scale;
        if u >= 1.0 {
            // generate_canonical's guard: the largest double below 1.
            f64::from_bits(1.0f64.to_bits() - 1)
        } else {
            u
        }
    }

    /// hnswlib's `getRandomLevel(mult)`: `(int)(-ln(U) * mult)`, capped at 255 (with
    /// M ≥ 2 it stays below 64, since U ≥ 2⁻⁶²).
    pub fn next_level(&mut self, mult: f64) -> usize {
        let r = -self.next_uniform().ln() * mult;
        (r as usize).min(255)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_libstdcxx_for_seed_100() {
        // Values printed (%.17g) by libstdc++ (GCC 12) for default_random_engine(100).
        let mut r = LevelRng::new(100);
        assert_eq!(r.next_uniform(), 0.153_778_813_922_936_2);
        assert_eq!(r.next_uniform(), 0.865_013_192_543_088_7);
        assert_eq!(r.next_uniform(), 0.895_918_632_889_427_6);
    }

    #[test]
    fn zero_seed_behaves_like_one() {
        let mut a = LevelRng::new(0);
        let mut b = LevelRng::new(1);
        assert_eq!(a.next_uniform(), b.next_uniform());
    }
}
