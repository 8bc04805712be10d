//! The two NIST StRD nonlinear-regression problems of `examples/curve_fit.rs`, Misra1a and
//! Rat43, as data and as residual functions written once for every scalar type.
//!
//! Source: NIST/ITL Statistical Reference Datasets, nonlinear regression
//! (<https://www.itl.nist.gov/div898/strd/nls/nls_main.shtml>), public domain. The numbers
//! below are those of `examples/data/nist/Misra1a.json` and `Rat43.json` (copies of the
//! project's `shared/data/nist/` files: data, both official starting points, NIST's
//! certified parameters and residual sum of squares), generated from those files;
//! `tests/least_squares/nist.rs` checks them against the JSON files digit for digit.
//! `#[path]`-included by the example, `tests/least_squares/` and `benches/least_squares.rs`,
//! so what is timed and tested is what the example fits.

#![allow(dead_code)] // each includer uses part of it

use shapegrad::{Scalar, Tensor, VectorFn};

/// One NIST problem: `M` observations, `N` parameters.
pub struct Problem<const N: usize, const M: usize> {
    /// NIST's name for it.
    pub name: &'static str,
    /// NIST's difficulty rating (lower, average, higher).
    pub difficulty: &'static str,
    /// The model, as NIST writes it.
    pub model: &'static str,
    /// The predictor.
    pub x: [f64; M],
    /// The response.
    pub y: [f64; M],
    /// NIST's two starting points ("Start 1" far, "Start 2" near).
    pub starts: [[f64; N]; 2],
    /// NIST's certified parameter values (11 significant digits).
    pub certified: [f64; N],
    /// NIST's certified values as printed, for the example's table.
    pub certified_str: [&'static str; N],
    /// NIST's certified residual sum of squares.
    pub certified_rss: f64,
}

/// NIST's Misra1a: `y = b1*(1-exp(-b2*x))` (lower difficulty).
pub const MISRA1A: Problem<2, 14> = Problem {
    name: "Misra1a",
    difficulty: "lower",
    model: "y = b1*(1-exp(-b2*x))",
    x: [
        77.6, 114.9, 141.1, 190.8, 239.9, 289.0, 332.8, 378.4, 434.8, 477.3, 536.8, 593.1, 689.1,
        760.0,
    ],
    y: [
        10.07, 14.73, 17.94, 23.93, 29.61, 35.18, 40.02, 44.82, 50.76, 55.05, 61.01, 66.4, 75.47,
        81.78,
    ],
    starts: [[500.0, 0.0001], [250.0, 0.0005]],
    certified: [238.94212918, 0.00055015643181],
    certified_str: ["2.3894212918E+02", "5.5015643181E-04"],
    certified_rss: 0.12455138894,
};

/// NIST's Rat43: `y = b1 / ((1+exp(b2-b3*x))**(1/b4))` (higher difficulty).
pub const RAT43: Problem<4, 15> = Problem {
    name: "Rat43",
    difficulty: "higher",
    model: "y = b1 / ((1+exp(b2-b3*x))**(1/b4))",
    x: [
        1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0,
    ],
    y: [
        16.08, 33.83, 65.8, 97.2, 191.55, 326.2, 386.87, 520.53, 590.03, 651.92, 724.93, 699.56,
        689.96, 637.56, 717.41,
    ],
    starts: [[100.0, 10.0, 1.0, 1.0], [700.0, 5.0, 0.75, 1.3]],
    certified: [699.6415127, 5.2771253025, 0.75962938329, 1.2792483859],
    certified_str: [
        "6.9964151270E+02",
        "5.2771253025E+00",
        "7.5962938329E-01",
        "1.2792483859E+00",
    ],
    certified_rss: 8786.404908,
};

impl<const N: usize, const M: usize> Problem<N, M> {
    /// The data as tape constants `(x, y)`.
    fn data<'t, T: Scalar>(
        &self,
        b: Tensor<'t, N, 1, T>,
    ) -> (Tensor<'t, M, 1, T>, Tensor<'t, M, 1, T>) {
        let tape = b.tape();
        let c = |v: &[f64; M]| {
            tape.constant(nalgebra::SVector::<f64, M>::from(*v).map(nalgebra::convert))
        };
        (c(&self.x), c(&self.y))
    }

    /// The residual sum of squares `Σ rᵢ²` of residuals `r`.
    pub fn rss(r: &nalgebra::SVector<f64, M>) -> f64 {
        r.norm_squared()
    }
}

/// Misra1a's residuals `rᵢ = b₁(1 − e^{−b₂xᵢ}) − yᵢ`.
#[derive(Clone, Copy)]
pub struct Misra1a;

impl VectorFn<2, 14> for Misra1a {
    fn eval<'t, T: Scalar>(&self, b: Tensor<'t, 2, 1, T>) -> Tensor<'t, 14, 1, T> {
        let (x, y) = MISRA1A.data(b);
        let (b1, b2) = (b.at(0).broadcast(), b.at(1).broadcast());
        // b₁(1 − e^{−b₂x}) − y = −b₁·expm1(−b₂x) − y: `exp_m1` keeps the digits of
        // 1 − e^{−b₂x} at the small b₂x of the first start
        -((-(x * b2)).exp_m1() * b1) - y
    }
}

/// Rat43's residuals `rᵢ = b₁ / (1 + e^{b₂ − b₃xᵢ})^{1/b₄} − yᵢ`.
#[derive(Clone, Copy)]
pub struct Rat43;

impl VectorFn<4, 15> for Rat43 {
    fn eval<'t, T: Scalar>(&self, b: Tensor<'t, 4, 1, T>) -> Tensor<'t, 15, 1, T> {
        let (x, y) = RAT43.data(b);
        let (b1, b2, b3) = (
            b.at(0).broadcast(),
            b.at(1).broadcast(),
            b.at(2).broadcast(),
        );
        // 1 + e^{b₂ − b₃x}, raised to the power 1/b₄
        let u = (b2 - x * b3).exp() + T::one();
        b1 / u.powf_tensor(b.at(3).recip()) - y
    }
}
