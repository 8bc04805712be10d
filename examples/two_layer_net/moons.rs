//! The "two moons" data set, generated from a seed with a hand-written PRNG (splitmix64 for
//! uniforms, Box–Muller for Gaussian noise): no downloads, no `rand` crate. Shared by the
//! example and `tests/training.rs`, `tests/alloc_training.rs` (through `#[path]`).
//!
//! Two interleaved half circles, as scikit-learn's `make_moons`: class 0 on the upper arc
//! `(cos θ, sin θ)`, class 1 on the lower arc `(1 − cos θ, ½ − sin θ)`, `θ ∈ [0, π]`, each
//! point moved by Gaussian noise. No straight line separates them (a linear model tops out
//! around 87 % at noise 0.1).

/// splitmix64 (Steele, Lea & Flood 2014; the reference `splitmix64.c` by Vigna): a 64-bit
/// state advanced by a constant, output through a mixing function. Small, fast, and good
/// enough for data generation and shuffling (not for cryptography).
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator started at `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`: the top 53 bits as a multiple of 2⁻⁵³.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform_in(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Standard normal, by the Box–Muller transform `√(−2 ln u₁)·cos(2π u₂)` (the sine half
    /// is dropped, to keep the generator stateless beyond splitmix64's word).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1], so ln u₁ is finite
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Uniform in `0..n` (Lemire's multiply-shift, without the rejection step: a bias below
    /// `n / 2⁶⁴`, irrelevant here).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<X>(&mut self, items: &mut [X]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// One labelled point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: [f64; 2],
    /// 0 (upper moon) or 1 (lower moon).
    pub label: u8,
}

/// `n` points, classes alternating (so balanced), with Gaussian noise of standard deviation
/// `noise` on each coordinate.
pub fn moons(n: usize, noise: f64, rng: &mut SplitMix64) -> Vec<Point> {
    (0..n)
        .map(|i| {
            let theta = rng.uniform_in(0.0, std::f64::consts::PI);
            let label = (i % 2) as u8;
            let (c, s) = (theta.cos(), theta.sin());
            let [x, y] = if label == 0 {
                [c, s]
            } else {
                [1.0 - c, 0.5 - s]
            };
            Point {
                x: [x + noise * rng.normal(), y + noise * rng.normal()],
                label,
            }
        })
        .collect()
}
