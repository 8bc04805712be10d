//! Every op of the crate wrapped as a [`ScalarFn`] of an `R×C` input, shared by
//! `tests/check_gradient.rs` (first derivatives against finite differences) and
//! `tests/higher_order.rs` (Hessian-vector products on dual numbers against finite
//! differences of the gradient).
//!
//! Each function is `Σ exp(op(x))` or another non-linear wrapper, so the upstream gradient is
//! not constant and the Hessian is not zero. Operands that must be positive (`ln`, `sqrt`, a
//! divisor) are built as `x² + ½`. Points used with these functions keep every element at
//! least 0.25 away from 0 and from every other element's negative half (no kinks of `abs`,
//! `relu`, `max`, `min`).
//!
//! Only forms available for every scalar appear: `c - x` and `c / x` with a plain scalar on
//! the left exist for `f32`/`f64` only, so their rules (`rsub`, `rdiv`) are not reached here.

#![allow(dead_code)] // each test file uses a part

use shapegrad::{Scalar, ScalarFn, Tensor, loss};

/// An f64 constant as `T`.
pub fn k<T: Scalar>(v: f64) -> T {
    nalgebra::convert(v)
}

/// Receives each op's function in turn.
pub trait Visit<const R: usize, const C: usize> {
    fn visit<F: ScalarFn<R, C>>(&mut self, name: &str, f: &F);
}

macro_rules! op_fns {
    ($($name:ident: |$x:ident| $body:expr;)*) => {
        $(
            pub struct $name;

            impl<const R: usize, const C: usize> ScalarFn<R, C> for $name {
                fn eval<'t, T: Scalar>(&self, $x: Tensor<'t, R, C, T>) -> Tensor<'t, 1, 1, T> {
                    $body
                }
            }
        )*

        /// Calls `v.visit` with every op's function.
        pub fn all_ops<const R: usize, const C: usize>(v: &mut impl Visit<R, C>) {
            $(v.visit(stringify!($name), &$name);)*
        }
    };
}

op_fns! {
    Neg: |x| (-x).exp().sum();
    Add: |x| (x + x.exp()).exp().sum();
    Sub: |x| (x - x.square()).exp().sum();
    Mul: |x| (x * x.sigmoid()).exp().sum();
    MulReused: |x| (x * x * x).sum();
    Div: |x| (x / (x.square() + k::<T>(0.5))).exp().sum();
    DivReused: |x| ((x + k::<T>(2.0)) / (x + k::<T>(3.0))).square().sum();
    AddScalar: |x| (x + k::<T>(0.75)).exp().sum();
    SubScalar: |x| (x - k::<T>(0.75)).square().exp().sum();
    MulScalar: |x| (x * k::<T>(1.5)).exp().sum();
    DivScalar: |x| (x / k::<T>(1.5)).tanh().exp().sum();
    Exp: |x| x.exp().exp().sum();
    Sigmoid: |x| x.sigmoid().exp().sum();
    SigmoidReused: |x| (x.sigmoid() * x).sum();
    Tanh: |x| x.tanh().exp().sum();
    TanhFar: |x| (x * k::<T>(8.0)).tanh().exp().sum(); // |8x| ≥ 2 > ¾: the far-branch formula
    Sum: |x| x.sum().exp();
    MatmulSquare: |x| x.matmul(x.transpose()).exp().sum();
    MatmulInner: |x| x.transpose().matmul(x.tanh()).exp().sum();
    Broadcast: |x| (x.sum().broadcast::<R, C>() * x).exp().sum();
    BroadcastCols: |x| (x.sum_cols().broadcast_cols::<C>() * x).exp().sum();
    BroadcastRows: |x| (x.sum_rows().broadcast_rows::<R>() * x).exp().sum();
    Ln: |x| (x.square() + k::<T>(0.5)).ln().exp().sum();
    Sqrt: |x| (x.square() + k::<T>(0.5)).sqrt().exp().sum();
    Powi3: |x| x.powi(3).exp().sum();
    PowiNeg2: |x| (x.square() + k::<T>(0.5)).powi(-2).exp().sum();
    Square: |x| x.square().exp().sum();
    Abs: |x| (x.abs() * x).exp().sum();
    Relu: |x| (x.relu() * x + x).exp().sum();
    Max: |x| x.max(-x * k::<T>(0.5)).exp().sum();
    Min: |x| x.min(-x * k::<T>(0.5)).exp().sum();
    Transpose: |x| (x.transpose() * x.transpose().exp()).sum();
    Dot: |x| x.sum_cols().dot(x.sum_cols().tanh()).exp();
    Mean: |x| x.exp().mean().square();
    SumRows: |x| x.sum_rows().exp().sum();
    SumCols: |x| x.sum_cols().square().sum();
    MeanRows: |x| x.mean_rows().exp().sum();
    MeanCols: |x| x.mean_cols().tanh().exp().sum();
    Softmax: |x| (x.softmax() * x).exp().sum();
    LogSoftmax: |x| (x.log_softmax() * x + x).exp().sum(); // `+ x`: log_softmax is 0 for 1 row
    Mse: |x| loss::mse(x.tanh(), x.sigmoid());
    BceWithLogits: |x| loss::bce_with_logits(x * k::<T>(2.0), x.sigmoid());
    CrossEntropy: |x| (loss::cross_entropy(x * k::<T>(2.0), &std::array::from_fn(|b| b % R)) + x.sum()).exp();
    CrossEntropyOneHot: |x| (loss::cross_entropy_one_hot(x * k::<T>(2.0), x.softmax()) + x.sum()).exp();
}
