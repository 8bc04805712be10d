//! The op registry: one entry per public op (every row of the op table in `src/lib.rs`), with
//! its name, its tags and the shapes it runs on. The checks in `checks.rs` and
//! `zero_size.rs` are written once and run on every [`Case`] the registry produces.
//!
//! An entry is a unit type implementing [`Unary`] or [`Binary`] for the leaf shapes it takes
//! (the op itself, one line), plus one call in [`registry`] naming it, tagging it and listing
//! its shapes. Sample points come from [`points`], chosen by the tags:
//!
//! | tag | meaning | what follows |
//! |---|---|---|
//! | (every entry) | | central finite differences in f64 through `Σ exp(w ⊙ op)` (public `GradCheck`), plain and with a reused input; f32 against the f64 tape gradient; the public `check_gradient` (defaults) and a 10 %-off gradient flagged; stale buffers; zero-sized shapes; H·v on dual numbers and forward- against reverse-mode Jacobians (`--features dual`) |
//! | `Elementwise` | `yᵢⱼ` depends on `xᵢⱼ` (and `bᵢⱼ`) only | the 1×1 (scalar path) and 4×1 (matrix path) results agree bit for bit |
//! | `TwoOperands` | two leaves | gradients checked with respect to both, and the op applied to one tensor twice, `op(x, x)` |
//! | `Kinked` | not differentiable at some points | samples are ≥ 0.125 from every kink (0 for `abs`/`relu`, ties for `max`/`min`); explicit at-the-kink values in `kinks.rs` (enforced there) |
//! | `PositiveDomain` | first operand must be > 0 (`ln`, `sqrt`, negative powers) | its samples are in [0.375, 1.875] |
//! | `UnitInterval` | first operand's samples in [−0.875, 0.875] (inside the domains of `asin`, `acos`, `atanh`, `ln_1p`; `tan` away from its poles) | its samples are `MIXED`'s ¾ |
//! | `AboveOne` | first operand must be ≥ 1 (`acosh`) | its samples are in [1.375, 2.875] |
//! | `UnitRhs` | the second operand is a target in [0, 1] (`bce_with_logits`) | its samples are in [0, 1] |
//! | `LhsScalar` | a plain scalar on the left (`c - x`): exists for f32/f64 only | no H·v on dual numbers |
//! | `Constant` | the output does not depend on the input (`powi(0)`) | its gradient must be exactly 0; checks needing a non-zero gradient skip it |

use std::marker::PhantomData;

use nalgebra::SMatrix;
use shapegrad::{
    GradCheck, GradCheckReport, Gradients, Recording, ReplayError, Scalar, ScalarFn, Tape, Tensor,
    loss,
};

/// An f64 constant as `T` (exact: every constant here is dyadic).
pub fn k<T: Scalar>(v: f64) -> T {
    nalgebra::convert(v)
}

// ---------------------------------------------------------------------------------------------
// entries and tags

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    Elementwise,
    TwoOperands,
    Kinked,
    PositiveDomain,
    UnitInterval,
    AboveOne,
    UnitRhs,
    LhsScalar,
    Constant,
}

/// One op: its name as the crate docs' op table writes it (`powi(3)` for `powi` with an
/// argument), and its tags.
#[derive(Debug)]
pub struct Entry {
    pub name: &'static str,
    pub tags: &'static [Tag],
}

impl Entry {
    pub fn has(&self, tag: Tag) -> bool {
        self.tags.contains(&tag)
    }
}

// ---------------------------------------------------------------------------------------------
// what an entry implements

/// `f32` and `f64`: the scalars that also have the left-scalar forms `c + x`, `c - x`,
/// `c * x`, `c / x`.
pub trait Float: Scalar {
    fn c_plus_x<const R: usize, const C: usize>(
        c: Self,
        x: Tensor<'_, R, C, Self>,
    ) -> Tensor<'_, R, C, Self>;
    fn c_minus_x<const R: usize, const C: usize>(
        c: Self,
        x: Tensor<'_, R, C, Self>,
    ) -> Tensor<'_, R, C, Self>;
    fn c_times_x<const R: usize, const C: usize>(
        c: Self,
        x: Tensor<'_, R, C, Self>,
    ) -> Tensor<'_, R, C, Self>;
    fn c_over_x<const R: usize, const C: usize>(
        c: Self,
        x: Tensor<'_, R, C, Self>,
    ) -> Tensor<'_, R, C, Self>;
}

macro_rules! float {
    ($($t:ty),*) => {$(
        impl Float for $t {
            fn c_plus_x<const R: usize, const C: usize>(c: Self, x: Tensor<'_, R, C, Self>) -> Tensor<'_, R, C, Self> { c + x }
            fn c_minus_x<const R: usize, const C: usize>(c: Self, x: Tensor<'_, R, C, Self>) -> Tensor<'_, R, C, Self> { c - x }
            fn c_times_x<const R: usize, const C: usize>(c: Self, x: Tensor<'_, R, C, Self>) -> Tensor<'_, R, C, Self> { c * x }
            fn c_over_x<const R: usize, const C: usize>(c: Self, x: Tensor<'_, R, C, Self>) -> Tensor<'_, R, C, Self> { c / x }
        }
    )*};
}
float!(f32, f64);

/// What a check does with an op's output: reduce it to the 1×1 that `backward` starts from,
/// or read its values.
pub trait Output<'t, T: Scalar>: Copy {
    fn finish(self, how: Finish) -> Tensor<'t, 1, 1, T>;
    fn values(self) -> Vec<T>;
    /// The output's [`Recording`] (on a `Tape::for_replay` tape; `replay.rs`).
    type Rec: crate::replay::Replayed<T>;
    fn record(self) -> Result<Self::Rec, ReplayError>;
    /// `backward_with(seed)`, the seed's values column-major (`replay.rs`'s reference).
    fn backward_seeded(self, seed: &[T]) -> Gradients<T>;
    /// The entries as 1×1 tensors, column-major (`modes.rs` flattens the output with them).
    #[cfg(feature = "dual")]
    fn parts(self) -> Vec<Tensor<'t, 1, 1, T>>;
}

impl<'t, T: Scalar, const R: usize, const C: usize> Output<'t, T> for Tensor<'t, R, C, T> {
    fn finish(self, how: Finish) -> Tensor<'t, 1, 1, T> {
        match how {
            Finish::Sum => self.sum(),
            Finish::WeightedExp => (self * weights(self.tape(), 0)).exp().sum(),
        }
    }

    fn values(self) -> Vec<T> {
        self.value().as_slice().to_vec()
    }

    type Rec = Recording<R, C, T>;
    fn record(self) -> Result<Self::Rec, ReplayError> {
        Recording::new(self)
    }

    fn backward_seeded(self, seed: &[T]) -> Gradients<T> {
        self.backward_with(&SMatrix::from_column_slice(seed))
    }

    #[cfg(feature = "dual")]
    fn parts(self) -> Vec<Tensor<'t, 1, 1, T>> {
        (0..R * C).map(|k| self.at(k)).collect()
    }
}

/// An op of one `R×C` leaf.
pub trait Unary<const R: usize, const C: usize>: 'static {
    /// The op's output tensor.
    type Out<'t, T: Scalar>: Output<'t, T>;

    /// The op in every scalar type (dual numbers included); `None` for the forms that only
    /// `f32` and `f64` have (tag `LhsScalar`).
    fn any<T: Scalar>(x: Tensor<'_, R, C, T>) -> Option<Self::Out<'_, T>>;

    /// The op in `f32` and `f64`.
    fn float<T: Float>(x: Tensor<'_, R, C, T>) -> Self::Out<'_, T> {
        Self::any(x).expect("an op without `float` must have `any`")
    }
}

/// An op of an `R1×C1` and an `R2×C2` leaf.
pub trait Binary<const R1: usize, const C1: usize, const R2: usize, const C2: usize>:
    'static
{
    type Out<'t, T: Scalar>: Output<'t, T>;

    fn apply<'t, T: Scalar>(a: Tensor<'t, R1, C1, T>, b: Tensor<'t, R2, C2, T>)
    -> Self::Out<'t, T>;
}

/// Same-shape element-wise unary ops (`Out = R×C`): `Name: |x| body;`.
macro_rules! elementwise {
    ($($name:ident: |$x:ident| $body:expr;)*) => {$(
        #[derive(Debug)]
        pub struct $name;
        impl<const R: usize, const C: usize> Unary<R, C> for $name {
            type Out<'t, T: Scalar> = Tensor<'t, R, C, T>;
            fn any<T: Scalar>($x: Tensor<'_, R, C, T>) -> Option<Self::Out<'_, T>> {
                Some($body)
            }
        }
    )*};
}

/// Left-scalar forms, `f32`/`f64` only: `Name: |x| body;` with `T: Float`.
macro_rules! lhs_scalar {
    ($($name:ident: |$x:ident| $body:expr;)*) => {$(
        #[derive(Debug)]
        pub struct $name;
        impl<const R: usize, const C: usize> Unary<R, C> for $name {
            type Out<'t, T: Scalar> = Tensor<'t, R, C, T>;
            fn any<T: Scalar>(_: Tensor<'_, R, C, T>) -> Option<Self::Out<'_, T>> {
                None
            }
            fn float<T: Float>($x: Tensor<'_, R, C, T>) -> Self::Out<'_, T> {
                $body
            }
        }
    )*};
}

/// Unary ops of any `R×C` leaf with another output shape: `Name -> [rows, cols]: |x| body;`.
macro_rules! reshaping {
    ($($name:ident -> [$r:tt, $c:tt]: |$x:ident| $body:expr;)*) => {$(
        #[derive(Debug)]
        pub struct $name;
        impl<const R: usize, const C: usize> Unary<R, C> for $name {
            type Out<'t, T: Scalar> = Tensor<'t, $r, $c, T>;
            fn any<T: Scalar>($x: Tensor<'_, R, C, T>) -> Option<Self::Out<'_, T>> {
                Some($body)
            }
        }
    )*};
}

/// Two-operand ops of one `R×C` shape: `Name -> [rows, cols]: |a, b| body;`.
macro_rules! same_shape {
    ($($name:ident -> [$r:tt, $c:tt]: |$a:ident, $b:ident| $body:expr;)*) => {$(
        #[derive(Debug)]
        pub struct $name;
        impl<const R: usize, const C: usize> Binary<R, C, R, C> for $name {
            type Out<'t, T: Scalar> = Tensor<'t, $r, $c, T>;
            fn apply<'t, T: Scalar>($a: Tensor<'t, R, C, T>, $b: Tensor<'t, R, C, T>) -> Self::Out<'t, T> {
                $body
            }
        }
    )*};
}

// The scalar constants: dyadic, so exact in f32.
elementwise! {
    Neg: |x| -x;
    AddC: |x| x + k::<T>(0.75);
    SubC: |x| x - k::<T>(0.5);
    MulC: |x| x * k::<T>(-1.25);
    DivC: |x| x / k::<T>(1.25);
    Exp: |x| x.exp();
    Sigmoid: |x| x.sigmoid();
    Tanh: |x| x.tanh();
    Ln: |x| x.ln();
    Sqrt: |x| x.sqrt();
    Powi3: |x| x.powi(3);
    PowiM2: |x| x.powi(-2);
    Powi0: |x| x.powi(0);
    Square: |x| x.square();
    Abs: |x| x.abs();
    Relu: |x| x.relu();
    Sin: |x| x.sin();
    Cos: |x| x.cos();
    Tan: |x| x.tan();
    Asin: |x| x.asin();
    Acos: |x| x.acos();
    Atan: |x| x.atan();
    Sinh: |x| x.sinh();
    Cosh: |x| x.cosh();
    Asinh: |x| x.asinh();
    Acosh: |x| x.acosh();
    Atanh: |x| x.atanh();
    Ln1p: |x| x.ln_1p();
    ExpM1: |x| x.exp_m1();
    Recip: |x| x.recip();
    Powf15: |x| x.powf(k(1.5));
    PowfM075: |x| x.powf(k(-0.75));
    // ends at −0.875 and 1: every MIXED sample is ≥ 0.125 from both
    Clamp: |x| x.clamp(k(-0.875), k(1.0));
    Softmax: |x| x.softmax();
    LogSoftmax: |x| x.log_softmax();
}

lhs_scalar! {
    CAdd: |x| T::c_plus_x(k(-1.25), x);
    CSub: |x| T::c_minus_x(k(1.5), x);
    CMul: |x| T::c_times_x(k(0.75), x);
    CDiv: |x| T::c_over_x(k(1.5), x);
}

reshaping! {
    Sum -> [1, 1]: |x| x.sum();
    Mean -> [1, 1]: |x| x.mean();
    Transpose -> [C, R]: |x| x.transpose();
    SumRows -> [1, C]: |x| x.sum_rows();
    SumCols -> [R, 1]: |x| x.sum_cols();
    MeanRows -> [1, C]: |x| x.mean_rows();
    MeanCols -> [R, 1]: |x| x.mean_cols();
    // classes (0, 1, …, K−1, 0, …) along the batch
    CrossEntropy -> [1, 1]: |x| loss::cross_entropy(x, &std::array::from_fn(|b| b % R));
}

same_shape! {
    Add -> [R, C]: |a, b| a + b;
    Sub -> [R, C]: |a, b| a - b;
    Mul -> [R, C]: |a, b| a * b;
    Div -> [R, C]: |a, b| a / b;
    Max -> [R, C]: |a, b| a.max(b);
    Min -> [R, C]: |a, b| a.min(b);
    Atan2 -> [R, C]: |y, x| y.atan2(x);
    Hypot -> [R, C]: |a, b| a.hypot(b);
    Mse -> [1, 1]: |a, b| loss::mse(a, b);
    Bce -> [1, 1]: |a, b| loss::bce_with_logits(a, b);
    CrossEntropyOneHot -> [1, 1]: |a, b| loss::cross_entropy_one_hot(a, b);
}

/// `x.broadcast::<R, C>()` of a 1×1 leaf.
#[derive(Debug)]
pub struct Broadcast<const R: usize, const C: usize>;
impl<const R: usize, const C: usize> Unary<1, 1> for Broadcast<R, C> {
    type Out<'t, T: Scalar> = Tensor<'t, R, C, T>;
    fn any<T: Scalar>(x: Tensor<'_, 1, 1, T>) -> Option<Self::Out<'_, T>> {
        Some(x.broadcast::<R, C>())
    }
}

/// `x.broadcast_cols::<C>()` of an `R×1` leaf.
#[derive(Debug)]
pub struct BroadcastCols<const C: usize>;
impl<const R: usize, const C: usize> Unary<R, 1> for BroadcastCols<C> {
    type Out<'t, T: Scalar> = Tensor<'t, R, C, T>;
    fn any<T: Scalar>(x: Tensor<'_, R, 1, T>) -> Option<Self::Out<'_, T>> {
        Some(x.broadcast_cols::<C>())
    }
}

/// `x.broadcast_rows::<R>()` of a `1×C` leaf.
#[derive(Debug)]
pub struct BroadcastRows<const R: usize>;
impl<const R: usize, const C: usize> Unary<1, C> for BroadcastRows<R> {
    type Out<'t, T: Scalar> = Tensor<'t, R, C, T>;
    fn any<T: Scalar>(x: Tensor<'_, 1, C, T>) -> Option<Self::Out<'_, T>> {
        Some(x.broadcast_rows::<R>())
    }
}

/// `a.matmul(b)`, `R×K` by `K×C`.
#[derive(Debug)]
pub struct Matmul;
impl<const R: usize, const K: usize, const C: usize> Binary<R, K, K, C> for Matmul {
    type Out<'t, T: Scalar> = Tensor<'t, R, C, T>;
    fn apply<'t, T: Scalar>(a: Tensor<'t, R, K, T>, b: Tensor<'t, K, C, T>) -> Self::Out<'t, T> {
        a.matmul(b)
    }
}

/// Parts (ops/parts.rs) and assembly (ops/assemble.rs): one unit type per op, implemented
/// for the shapes the registry runs it on.
macro_rules! shaped {
    ($($name:ident: $(<$r:literal, $c:literal> -> [$or:literal, $oc:literal]: |$x:ident| $body:expr;)*)*) => {$(
        #[derive(Debug)]
        pub struct $name;
        $(impl Unary<$r, $c> for $name {
            type Out<'t, T: Scalar> = Tensor<'t, $or, $oc, T>;
            fn any<T: Scalar>($x: Tensor<'_, $r, $c, T>) -> Option<Self::Out<'_, T>> {
                Some($body)
            }
        })*
    )*};
}

shaped! {
    At:
        <1, 1> -> [1, 1]: |x| x.at(0);
        <4, 1> -> [1, 1]: |x| x.at(2);
        <2, 3> -> [1, 1]: |x| x.at((1, 2));
    FixedView:
        <3, 3> -> [2, 2]: |x| x.fixed_view::<2, 2>(1, 1);
        <4, 2> -> [2, 1]: |x| x.fixed_view::<2, 1>(1, 1);
    FixedRows:
        <4, 2> -> [2, 2]: |x| x.fixed_rows::<2>(1);
        <3, 1> -> [3, 1]: |x| x.fixed_rows::<3>(0);
    FixedColumns:
        <2, 3> -> [2, 2]: |x| x.fixed_columns::<2>(1);
    Row:
        <2, 3> -> [1, 3]: |x| x.row(1);
        <1, 1> -> [1, 1]: |x| x.row(0);
    Column:
        <2, 3> -> [2, 1]: |x| x.column(0);
        <4, 1> -> [4, 1]: |x| x.column(0);
    // the parts in another order, through an op, so a misplaced gradient shows
    FromScalars:
        <3, 1> -> [3, 1]: |x| Tensor::from_scalars([x.at(2), x.at(0).exp(), x.at(1)]);
        <1, 1> -> [1, 1]: |x| Tensor::from_scalars([x]);
    FromColumns:
        <2, 3> -> [2, 3]: |x| Tensor::from_columns([x.column(2), x.column(0).exp(), x.column(1)]);
    FromRows:
        <2, 3> -> [2, 3]: |x| Tensor::from_rows([x.row(1).exp(), x.row(0)]);
    // geometry (ops/geometry.rs); norm and normalize at 0 in their unit tests
    NormSquared:
        <1, 1> -> [1, 1]: |x| x.norm_squared();
        <3, 1> -> [1, 1]: |x| x.norm_squared();
        <2, 3> -> [1, 1]: |x| x.norm_squared();
    Norm:
        <1, 1> -> [1, 1]: |x| x.norm();
        <3, 1> -> [1, 1]: |x| x.norm();
        <2, 3> -> [1, 1]: |x| x.norm();
    Normalize:
        <3, 1> -> [3, 1]: |x| x.normalize();
        <2, 3> -> [2, 3]: |x| x.normalize();
        <1, 1> -> [1, 1]: |x| x.normalize();
    CrossMatrix:
        <3, 1> -> [3, 3]: |x| x.cross_matrix();
    Trace:
        <1, 1> -> [1, 1]: |x| x.trace();
        <3, 3> -> [1, 1]: |x| x.trace();
    Diagonal:
        <1, 1> -> [1, 1]: |x| x.diagonal();
        <3, 3> -> [3, 1]: |x| x.diagonal();
    // linear algebra (ops/linalg.rs, ops/cholesky.rs): the samples' matrices are invertible; cholesky and
    // ln_determinant_spd take the SPD matrix x xᵀ + I built from the leaf (the gradient then
    // flows through both triangles); singular and near-singular inputs in linalg.rs
    Determinant:
        <1, 1> -> [1, 1]: |x| x.determinant();
        <2, 2> -> [1, 1]: |x| x.determinant();
        <3, 3> -> [1, 1]: |x| x.determinant();
        <4, 4> -> [1, 1]: |x| x.determinant();
    TryInverse:
        <1, 1> -> [1, 1]: |x| x.try_inverse().expect("invertible sample");
        <3, 3> -> [3, 3]: |x| shifted(x).try_inverse().expect("invertible");
    Cholesky:
        <3, 3> -> [3, 3]: |x| spd(x).cholesky().expect("SPD");
        <1, 1> -> [1, 1]: |x| spd(x).cholesky().expect("SPD");
    LnDeterminantSpd:
        <3, 3> -> [1, 1]: |x| spd(x).ln_determinant_spd().expect("SPD");
}

/// `x + 3I`: well conditioned for the samples (|xᵢⱼ| ≤ 1.5), and not symmetric. On the raw
/// 3×3 samples the H·v check of `try_inverse` failed by 1.1e-7 relative: its finite
/// differences of the gradient (entries up to 2.8e5) do not resolve more.
fn shifted<'t, T: Scalar, const N: usize>(x: Tensor<'t, N, N, T>) -> Tensor<'t, N, N, T> {
    x + x
        .tape()
        .constant(nalgebra::SMatrix::identity() * k::<T>(3.0))
}

/// `x xᵀ + I`: symmetric positive definite for every `x`.
fn spd<'t, T: Scalar, const N: usize>(x: Tensor<'t, N, N, T>) -> Tensor<'t, N, N, T> {
    x.matmul(x.transpose()) + x.tape().constant(nalgebra::SMatrix::identity())
}

/// Two-operand ops implemented for the shapes the registry runs them on:
/// `Name: <r1, c1, r2, c2> -> [rows, cols]: |a, b| body;`.
macro_rules! shaped2 {
    ($($name:ident: $(<$r:literal, $c:literal, $r1:literal, $c1:literal> -> [$or:literal, $oc:literal]: |$a:ident, $b:ident| $body:expr;)*)*) => {$(
        #[derive(Debug)]
        pub struct $name;
        $(impl Binary<$r, $c, $r1, $c1> for $name {
            type Out<'t, T: Scalar> = Tensor<'t, $or, $oc, T>;
            fn apply<'t, T: Scalar>($a: Tensor<'t, $r, $c, T>, $b: Tensor<'t, $r1, $c1, T>) -> Self::Out<'t, T> {
                $body
            }
        })*
    )*};
}

shaped2! {
    Vstack:
        <2, 3, 1, 3> -> [3, 3]: |a, b| a.vstack(b);
        <1, 1, 1, 1> -> [2, 1]: |a, b| a.vstack(b);
        <2, 3, 2, 3> -> [4, 3]: |a, b| a.vstack(b);
    Cross:
        <3, 1, 3, 1> -> [3, 1]: |a, b| a.cross(b);
    Solve:
        <3, 3, 3, 1> -> [3, 1]: |a, b| shifted(a).solve(b).expect("invertible");
        <2, 2, 2, 3> -> [2, 3]: |a, b| shifted(a).solve(b).expect("invertible");
        <1, 1, 1, 1> -> [1, 1]: |a, b| a.solve(b).expect("invertible sample");
    Hstack:
        <2, 2, 2, 1> -> [2, 3]: |a, b| a.hstack(b);
        <1, 1, 1, 1> -> [1, 2]: |a, b| a.hstack(b);
        <2, 3, 2, 3> -> [2, 6]: |a, b| a.hstack(b);
}

/// `x.powf_tensor(p)`: an `R×C` base and a 1×1 exponent.
#[derive(Debug)]
pub struct PowfTensor;
impl<const R: usize, const C: usize> Binary<R, C, 1, 1> for PowfTensor {
    type Out<'t, T: Scalar> = Tensor<'t, R, C, T>;
    fn apply<'t, T: Scalar>(x: Tensor<'t, R, C, T>, p: Tensor<'t, 1, 1, T>) -> Self::Out<'t, T> {
        x.powf_tensor(p)
    }
}

/// `a.dot(b)` of two `N×1` leaves.
#[derive(Debug)]
pub struct Dot;
impl<const N: usize> Binary<N, 1, N, 1> for Dot {
    type Out<'t, T: Scalar> = Tensor<'t, 1, 1, T>;
    fn apply<'t, T: Scalar>(a: Tensor<'t, N, 1, T>, b: Tensor<'t, N, 1, T>) -> Self::Out<'t, T> {
        a.dot(b)
    }
}

// ---------------------------------------------------------------------------------------------
// the registry

/// Every op, with its shapes. `r.elementwise` and `r.free` run an op of one `R×C` leaf on
/// the standard shapes ([`Regular`], [`Zero`]); the other calls name the shapes one by one.
pub fn registry(r: &mut Registry) {
    use Tag::*;
    // arithmetic (ops/arith.rs)
    r.elementwise::<Neg>(&Entry {
        name: "-x",
        tags: &[Elementwise],
    });
    r.elementwise2::<Add>(&Entry {
        name: "a + b",
        tags: &[Elementwise, TwoOperands],
    });
    r.elementwise2::<Sub>(&Entry {
        name: "a - b",
        tags: &[Elementwise, TwoOperands],
    });
    r.elementwise2::<Mul>(&Entry {
        name: "a * b",
        tags: &[Elementwise, TwoOperands],
    });
    r.elementwise2::<Div>(&Entry {
        name: "a / b",
        tags: &[Elementwise, TwoOperands],
    });
    // a plain scalar on either side (ops/scalar_arith.rs)
    r.elementwise::<AddC>(&Entry {
        name: "x + c",
        tags: &[Elementwise],
    });
    r.elementwise::<CAdd>(&Entry {
        name: "c + x",
        tags: &[Elementwise, LhsScalar],
    });
    r.elementwise::<SubC>(&Entry {
        name: "x - c",
        tags: &[Elementwise],
    });
    r.elementwise::<CSub>(&Entry {
        name: "c - x",
        tags: &[Elementwise, LhsScalar],
    });
    r.elementwise::<MulC>(&Entry {
        name: "x * c",
        tags: &[Elementwise],
    });
    r.elementwise::<CMul>(&Entry {
        name: "c * x",
        tags: &[Elementwise, LhsScalar],
    });
    r.elementwise::<DivC>(&Entry {
        name: "x / c",
        tags: &[Elementwise],
    });
    r.elementwise::<CDiv>(&Entry {
        name: "c / x",
        tags: &[Elementwise, LhsScalar],
    });
    // exp (ops/exp_log.rs), activations (ops/activation.rs)
    r.elementwise::<Exp>(&Entry {
        name: "exp",
        tags: &[Elementwise],
    });
    r.elementwise::<Sigmoid>(&Entry {
        name: "sigmoid",
        tags: &[Elementwise],
    });
    r.elementwise::<Tanh>(&Entry {
        name: "tanh",
        tags: &[Elementwise],
    });
    // trigonometry (ops/trig.rs); atan2 jumps across the negative x axis and has no
    // gradient at the origin: samples keep |y| ≥ ¼ (kinks.rs has the edges)
    r.elementwise::<Sin>(&Entry {
        name: "sin",
        tags: &[Elementwise],
    });
    r.elementwise::<Cos>(&Entry {
        name: "cos",
        tags: &[Elementwise],
    });
    r.elementwise2::<Atan2>(&Entry {
        name: "atan2",
        tags: &[Elementwise, TwoOperands, Kinked],
    });
    r.elementwise::<Tan>(&Entry {
        name: "tan",
        tags: &[Elementwise, UnitInterval],
    });
    // inverse trigonometry (ops/arc.rs), hyperbolic (ops/hyperbolic.rs): domain edges in
    // their unit tests
    r.elementwise::<Asin>(&Entry {
        name: "asin",
        tags: &[Elementwise, UnitInterval],
    });
    r.elementwise::<Acos>(&Entry {
        name: "acos",
        tags: &[Elementwise, UnitInterval],
    });
    r.elementwise::<Atan>(&Entry {
        name: "atan",
        tags: &[Elementwise],
    });
    r.elementwise::<Sinh>(&Entry {
        name: "sinh",
        tags: &[Elementwise],
    });
    r.elementwise::<Cosh>(&Entry {
        name: "cosh",
        tags: &[Elementwise],
    });
    r.elementwise::<Asinh>(&Entry {
        name: "asinh",
        tags: &[Elementwise],
    });
    r.elementwise::<Acosh>(&Entry {
        name: "acosh",
        tags: &[Elementwise, AboveOne],
    });
    r.elementwise::<Atanh>(&Entry {
        name: "atanh",
        tags: &[Elementwise, UnitInterval],
    });
    // accurate near zero (ops/near_zero.rs), powers (ops/pow.rs), clamp (ops/clamp.rs)
    r.elementwise::<Ln1p>(&Entry {
        name: "ln_1p",
        tags: &[Elementwise, UnitInterval],
    });
    r.elementwise::<ExpM1>(&Entry {
        name: "exp_m1",
        tags: &[Elementwise],
    });
    r.elementwise::<Recip>(&Entry {
        name: "recip",
        tags: &[Elementwise],
    });
    r.elementwise::<Powf15>(&Entry {
        name: "powf(1.5)",
        tags: &[Elementwise, PositiveDomain],
    });
    r.elementwise::<PowfM075>(&Entry {
        name: "powf(-0.75)",
        tags: &[Elementwise, PositiveDomain],
    });
    r.elementwise2::<Hypot>(&Entry {
        name: "hypot",
        tags: &[Elementwise, TwoOperands],
    });
    r.elementwise::<Clamp>(&Entry {
        name: "clamp",
        tags: &[Elementwise, Kinked],
    });
    // parts (ops/parts.rs), assembly (ops/assemble.rs)
    let at = &Entry {
        name: "at",
        tags: &[],
    };
    r.unary::<At, 1, 1>(at);
    r.unary::<At, 4, 1>(at);
    r.unary::<At, 2, 3>(at);
    let fixed_view = &Entry {
        name: "fixed_view",
        tags: &[],
    };
    r.unary::<FixedView, 3, 3>(fixed_view);
    r.unary::<FixedView, 4, 2>(fixed_view);
    let fixed_rows = &Entry {
        name: "fixed_rows",
        tags: &[],
    };
    r.unary::<FixedRows, 4, 2>(fixed_rows);
    r.unary::<FixedRows, 3, 1>(fixed_rows);
    let fixed_columns = &Entry {
        name: "fixed_columns",
        tags: &[],
    };
    r.unary::<FixedColumns, 2, 3>(fixed_columns);
    let row = &Entry {
        name: "row",
        tags: &[],
    };
    r.unary::<Row, 2, 3>(row);
    r.unary::<Row, 1, 1>(row);
    let column = &Entry {
        name: "column",
        tags: &[],
    };
    r.unary::<Column, 2, 3>(column);
    r.unary::<Column, 4, 1>(column);
    let from_scalars = &Entry {
        name: "from_scalars",
        tags: &[],
    };
    r.unary::<FromScalars, 3, 1>(from_scalars);
    r.unary::<FromScalars, 1, 1>(from_scalars);
    let from_columns = &Entry {
        name: "from_columns",
        tags: &[],
    };
    r.unary::<FromColumns, 2, 3>(from_columns);
    let from_rows = &Entry {
        name: "from_rows",
        tags: &[],
    };
    r.unary::<FromRows, 2, 3>(from_rows);
    let vstack = &Entry {
        name: "vstack",
        tags: &[TwoOperands],
    };
    r.binary::<Vstack, 2, 3, 1, 3>(vstack);
    r.binary::<Vstack, 1, 1, 1, 1>(vstack);
    r.self_form::<Vstack, 2, 3>(vstack);
    let hstack = &Entry {
        name: "hstack",
        tags: &[TwoOperands],
    };
    r.binary::<Hstack, 2, 2, 2, 1>(hstack);
    r.binary::<Hstack, 1, 1, 1, 1>(hstack);
    r.self_form::<Hstack, 2, 3>(hstack);
    // geometry (ops/geometry.rs)
    let norm_squared = &Entry {
        name: "norm_squared",
        tags: &[],
    };
    r.unary::<NormSquared, 1, 1>(norm_squared);
    r.unary::<NormSquared, 3, 1>(norm_squared);
    r.unary::<NormSquared, 2, 3>(norm_squared);
    let norm = &Entry {
        name: "norm",
        tags: &[],
    };
    r.unary::<Norm, 1, 1>(norm);
    r.unary::<Norm, 3, 1>(norm);
    r.unary::<Norm, 2, 3>(norm);
    let normalize = &Entry {
        name: "normalize",
        tags: &[],
    };
    r.unary::<Normalize, 3, 1>(normalize);
    r.unary::<Normalize, 2, 3>(normalize);
    r.unary::<Normalize, 1, 1>(normalize);
    let cross = &Entry {
        name: "cross",
        tags: &[TwoOperands],
    };
    r.binary::<Cross, 3, 1, 3, 1>(cross);
    r.self_form::<Cross, 3, 1>(cross);
    let cross_matrix = &Entry {
        name: "cross_matrix",
        tags: &[],
    };
    r.unary::<CrossMatrix, 3, 1>(cross_matrix);
    let trace = &Entry {
        name: "trace",
        tags: &[],
    };
    r.unary::<Trace, 1, 1>(trace);
    r.unary::<Trace, 3, 3>(trace);
    let diagonal = &Entry {
        name: "diagonal",
        tags: &[],
    };
    r.unary::<Diagonal, 1, 1>(diagonal);
    r.unary::<Diagonal, 3, 3>(diagonal);
    // linear algebra (ops/linalg.rs, ops/cholesky.rs)
    let determinant = &Entry {
        name: "determinant",
        tags: &[],
    };
    r.unary::<Determinant, 1, 1>(determinant);
    r.unary::<Determinant, 2, 2>(determinant);
    r.unary::<Determinant, 3, 3>(determinant);
    r.unary::<Determinant, 4, 4>(determinant);
    let try_inverse = &Entry {
        name: "try_inverse",
        tags: &[],
    };
    r.unary::<TryInverse, 1, 1>(try_inverse);
    r.unary::<TryInverse, 3, 3>(try_inverse);
    let solve = &Entry {
        name: "solve",
        tags: &[TwoOperands],
    };
    r.binary::<Solve, 3, 3, 3, 1>(solve);
    r.binary::<Solve, 2, 2, 2, 3>(solve);
    r.binary::<Solve, 1, 1, 1, 1>(solve);
    r.self_form::<Solve, 1, 1>(solve);
    let cholesky = &Entry {
        name: "cholesky",
        tags: &[],
    };
    r.unary::<Cholesky, 3, 3>(cholesky);
    r.unary::<Cholesky, 1, 1>(cholesky);
    let ln_det = &Entry {
        name: "ln_determinant_spd",
        tags: &[],
    };
    r.unary::<LnDeterminantSpd, 3, 3>(ln_det);
    let powf_tensor = &Entry {
        name: "powf_tensor",
        tags: &[TwoOperands, PositiveDomain],
    };
    r.binary::<PowfTensor, 1, 1, 1, 1>(powf_tensor);
    r.binary::<PowfTensor, 2, 3, 1, 1>(powf_tensor);
    r.binary::<PowfTensor, 4, 1, 1, 1>(powf_tensor);
    r.self_form::<PowfTensor, 1, 1>(powf_tensor);
    r.zero_binary::<PowfTensor, 0, 3, 1, 1>(powf_tensor);
    // ln, sqrt, powi, square (ops/exp_log.rs); abs, relu, max, min (ops/kinks.rs)
    r.elementwise::<Ln>(&Entry {
        name: "ln",
        tags: &[Elementwise, PositiveDomain],
    });
    r.elementwise::<Sqrt>(&Entry {
        name: "sqrt",
        tags: &[Elementwise, PositiveDomain],
    });
    r.elementwise::<Powi3>(&Entry {
        name: "powi(3)",
        tags: &[Elementwise],
    });
    r.elementwise::<PowiM2>(&Entry {
        name: "powi(-2)",
        tags: &[Elementwise, PositiveDomain],
    });
    r.elementwise::<Powi0>(&Entry {
        name: "powi(0)",
        tags: &[Elementwise, Constant],
    });
    r.elementwise::<Square>(&Entry {
        name: "square",
        tags: &[Elementwise],
    });
    r.elementwise::<Abs>(&Entry {
        name: "abs",
        tags: &[Elementwise, Kinked],
    });
    r.elementwise::<Relu>(&Entry {
        name: "relu",
        tags: &[Elementwise, Kinked],
    });
    r.elementwise2::<Max>(&Entry {
        name: "max",
        tags: &[Elementwise, TwoOperands, Kinked],
    });
    r.elementwise2::<Min>(&Entry {
        name: "min",
        tags: &[Elementwise, TwoOperands, Kinked],
    });
    // reductions (ops/reduce.rs), transpose (ops/shape.rs)
    r.free::<Sum>(&Entry {
        name: "sum",
        tags: &[],
    });
    r.free::<Transpose>(&Entry {
        name: "transpose",
        tags: &[],
    });
    r.free::<Mean>(&Entry {
        name: "mean",
        tags: &[],
    });
    r.free::<SumRows>(&Entry {
        name: "sum_rows",
        tags: &[],
    });
    r.free::<SumCols>(&Entry {
        name: "sum_cols",
        tags: &[],
    });
    r.free::<MeanRows>(&Entry {
        name: "mean_rows",
        tags: &[],
    });
    r.free::<MeanCols>(&Entry {
        name: "mean_cols",
        tags: &[],
    });
    let dot = &Entry {
        name: "dot",
        tags: &[TwoOperands],
    };
    r.binary::<Dot, 1, 1, 1, 1>(dot);
    r.binary::<Dot, 2, 1, 2, 1>(dot);
    r.binary::<Dot, 4, 1, 4, 1>(dot);
    r.self_form::<Dot, 1, 1>(dot);
    r.self_form::<Dot, 4, 1>(dot);
    r.zero_binary::<Dot, 0, 1, 0, 1>(dot);
    // matmul (ops/matmul.rs): (R×K)(K×C)
    let matmul = &Entry {
        name: "matmul",
        tags: &[TwoOperands],
    };
    r.binary::<Matmul, 1, 1, 1, 1>(matmul);
    r.binary::<Matmul, 2, 3, 3, 1>(matmul);
    r.binary::<Matmul, 4, 1, 1, 3>(matmul); // an outer product
    r.binary::<Matmul, 4, 3, 3, 2>(matmul);
    r.self_form::<Matmul, 1, 1>(matmul); // x·x: one tensor in both operand slots
    r.self_form::<Matmul, 3, 3>(matmul);
    r.zero_binary::<Matmul, 0, 3, 3, 2>(matmul); // R = 0
    r.zero_binary::<Matmul, 2, 0, 0, 3>(matmul); // K = 0: a 2×3 of zeros
    r.zero_binary::<Matmul, 2, 3, 3, 0>(matmul); // C = 0
    r.zero_binary::<Matmul, 0, 0, 0, 0>(matmul);
    // broadcasts (ops/broadcast.rs)
    let broadcast = &Entry {
        name: "broadcast",
        tags: &[],
    };
    r.unary::<Broadcast<1, 1>, 1, 1>(broadcast);
    r.unary::<Broadcast<2, 3>, 1, 1>(broadcast);
    r.unary::<Broadcast<4, 1>, 1, 1>(broadcast);
    r.zero_unary::<Broadcast<0, 3>, 1, 1>(broadcast);
    r.zero_unary::<Broadcast<3, 0>, 1, 1>(broadcast);
    r.zero_unary::<Broadcast<0, 0>, 1, 1>(broadcast);
    let broadcast_cols = &Entry {
        name: "broadcast_cols",
        tags: &[],
    };
    r.unary::<BroadcastCols<1>, 1, 1>(broadcast_cols);
    r.unary::<BroadcastCols<3>, 2, 1>(broadcast_cols);
    r.unary::<BroadcastCols<1>, 4, 1>(broadcast_cols); // the identity
    r.zero_unary::<BroadcastCols<3>, 0, 1>(broadcast_cols); // from 0×1
    r.zero_unary::<BroadcastCols<0>, 2, 1>(broadcast_cols); // to 2×0
    r.zero_unary::<BroadcastCols<0>, 0, 1>(broadcast_cols);
    let broadcast_rows = &Entry {
        name: "broadcast_rows",
        tags: &[],
    };
    r.unary::<BroadcastRows<1>, 1, 1>(broadcast_rows);
    r.unary::<BroadcastRows<2>, 1, 3>(broadcast_rows);
    r.unary::<BroadcastRows<4>, 1, 1>(broadcast_rows);
    r.zero_unary::<BroadcastRows<0>, 1, 3>(broadcast_rows); // to 0×3
    r.zero_unary::<BroadcastRows<2>, 1, 0>(broadcast_rows); // from 1×0
    r.zero_unary::<BroadcastRows<0>, 1, 0>(broadcast_rows);
    // softmax (ops/softmax.rs), per column
    r.free::<Softmax>(&Entry {
        name: "softmax",
        tags: &[],
    });
    r.free::<LogSoftmax>(&Entry {
        name: "log_softmax",
        tags: &[],
    });
    // losses (loss.rs)
    r.free2::<Mse>(&Entry {
        name: "loss::mse",
        tags: &[TwoOperands],
    });
    r.free2::<Bce>(&Entry {
        name: "loss::bce_with_logits",
        tags: &[TwoOperands, UnitRhs],
    });
    let ce = &Entry {
        name: "loss::cross_entropy",
        tags: &[],
    };
    r.unary::<CrossEntropy, 1, 1>(ce);
    r.unary::<CrossEntropy, 2, 3>(ce);
    r.unary::<CrossEntropy, 4, 1>(ce);
    r.unary::<CrossEntropy, 3, 4>(ce);
    // an empty batch; 0 classes with a non-empty batch has no valid class (documented panic)
    r.zero_unary::<CrossEntropy, 3, 0>(ce);
    r.zero_unary::<CrossEntropy, 0, 0>(ce);
    r.free2::<CrossEntropyOneHot>(&Entry {
        name: "loss::cross_entropy_one_hot",
        tags: &[TwoOperands],
    });
}

/// The regular shapes of an op of one free `R×C` leaf: 1×1, a non-square matrix, a column;
/// `free` ops (not element-wise) also on a 3×4 batch.
pub trait Regular: Unary<1, 1> + Unary<2, 3> + Unary<4, 1> {}
impl<E: Unary<1, 1> + Unary<2, 3> + Unary<4, 1>> Regular for E {}

/// The zero-sized shapes of an op of one free `R×C` leaf: 0×C, R×0, 0×0.
pub trait Zero: Unary<0, 3> + Unary<3, 0> + Unary<0, 0> {}
impl<E: Unary<0, 3> + Unary<3, 0> + Unary<0, 0>> Zero for E {}

pub trait Regular2: Binary<1, 1, 1, 1> + Binary<2, 3, 2, 3> + Binary<4, 1, 4, 1> {}
impl<E: Binary<1, 1, 1, 1> + Binary<2, 3, 2, 3> + Binary<4, 1, 4, 1>> Regular2 for E {}

pub trait Zero2: Binary<0, 3, 0, 3> + Binary<3, 0, 3, 0> + Binary<0, 0, 0, 0> {}
impl<E: Binary<0, 3, 0, 3> + Binary<3, 0, 3, 0> + Binary<0, 0, 0, 0>> Zero2 for E {}

// ---------------------------------------------------------------------------------------------
// cases

/// How a case's output becomes the 1×1 that `backward` starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finish {
    /// `Σᵢⱼ exp(wᵢⱼ·yᵢⱼ)` with distinct weights `wᵢⱼ = ¼ + (i + 4j)/16`: every element gets
    /// its own, non-constant upstream gradient, so a mis-indexed rule shows.
    WeightedExp,
    /// `Σᵢⱼ yᵢⱼ`.
    Sum,
}

/// What is recorded around the op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `L = finish(op(a, b))`.
    Plain,
    /// `L = finish(op(a, b))·exp(pre) + post`, with `pre = Σ w′ ⊙ a (+ Σ w′ ⊙ b)` recorded
    /// before the op and `post` (other weights) after it: every leaf reaches `L` along three paths,
    /// and the op's rule adds to a gradient both before and after the others write theirs.
    Reused,
}

/// Constant weights, distinct for up to 4 rows and never 0: `¼ + (i + 4j)/16` (in
/// [¼, 1.2]) for [`Finish::WeightedExp`] (`salt` 0); `½ − (i + 4j)/32` and
/// `−¼ − (i + 4j)/64` for [`Form::Reused`]'s `pre` and `post` (1, 2).
pub fn weights<T: Scalar, const R: usize, const C: usize>(
    tape: &Tape<T>,
    salt: usize,
) -> Tensor<'_, R, C, T> {
    tape.constant(SMatrix::from_fn(|i, j| {
        let n = (i + 4 * j) as f64;
        k(match salt {
            0 => 0.25 + n / 16.0,
            1 => 0.5 - n / 32.0,
            _ => -0.25 - n / 64.0,
        })
    }))
}

/// One leaf of a case: its sample values (column-major).
#[derive(Clone, Debug)]
pub struct Leaf {
    pub values: Vec<f64>,
}

/// One recording: the value of `L`, the op's output values, each leaf's gradient.
#[derive(Clone, Debug, PartialEq)]
pub struct Run<T> {
    pub value: T,
    pub out: Vec<T>,
    pub grads: Vec<Vec<T>>,
}

/// Records a case on `tape` from leaf values and differentiates it.
pub type RunFn<T> = fn(&Tape<T>, &[Vec<T>], Finish, Form) -> Run<T>;

/// `(f(x), ∇f(x), H(x)·v)` of a case on dual numbers, at one shape and form.
#[cfg_attr(not(feature = "dual"), allow(dead_code))] // only the `dual` checks call it
pub type HvpFn = fn(&Case, usize, Form, &[f64]) -> (f64, Vec<f64>, Vec<f64>);

/// The checks a case supports per leaf, typed by the leaf's shape (the public `GradCheck`,
/// `check_gradient` and `hvp` take statically shaped inputs).
#[derive(Clone, Copy)]
pub struct LeafFns {
    /// Central differences of the f64 recording in this leaf (the others fixed), by the
    /// public `GradCheck::check_with`: the one finite-difference helper.
    /// `scale` multiplies the tape's gradient (1 to check it, 1.1 to see a wrong one flagged).
    pub gradcheck: fn(&Case, usize, &GradCheck, Form, f64) -> GradCheckReport,
    /// The public `check_gradient` on the case as a `ScalarFn` of this leaf; `None` for
    /// `LhsScalar` entries (a `ScalarFn` is generic over every scalar).
    pub check_gradient: Option<fn(&Case, usize, Form) -> GradCheckReport>,
    /// `hvp` on the case as a `ScalarFn` of this leaf, along `v`: `(f, ∇f, H·v)`.
    #[cfg(feature = "dual")]
    pub hvp: Option<HvpFn>,
}

/// An entry at one shape (and, for `op(x, x)`, one form of operands).
pub struct Case {
    pub entry: &'static Entry,
    /// The shapes, e.g. `2×3` or `(4×3)(3×2)`, and `op(x, x)` for one tensor in both slots.
    pub what: String,
    pub leaves: Vec<Leaf>,
    pub run64: RunFn<f64>,
    pub run32: RunFn<f32>,
    pub leaf_fns: Vec<LeafFns>,
    /// The case recorded once and replayed at other points (`replay.rs`).
    pub replay64: crate::replay::Fns<f64>,
    pub replay32: crate::replay::Fns<f32>,
    /// Forward- and reverse-mode Jacobians of the op (`modes.rs`); `None` for `LhsScalar`.
    #[cfg(feature = "dual")]
    pub modes: Option<crate::modes::ModesFn>,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on {}", self.entry.name, self.what)
    }
}

impl Case {
    pub fn values(&self) -> Vec<Vec<f64>> {
        self.leaves.iter().map(|l| l.values.clone()).collect()
    }

    /// The f64 recording at the sample points, on a fresh tape.
    pub fn run(&self, finish: Finish, form: Form) -> Run<f64> {
        (self.run64)(&Tape::new(), &self.values(), finish, form)
    }
}

/// The two recordings of an element-wise entry that take different paths through the engine:
/// 1×1 leaves (a tensor's value in its handle, the partials fast path) and 4×1 leaves.
pub struct BitPair {
    pub entry: &'static Entry,
    pub what: &'static str,
    pub leaves: usize,
    pub one: (RunFn<f64>, RunFn<f32>),
    pub four: (RunFn<f64>, RunFn<f32>),
}

/// A zero-sized case: only recorded and differentiated.
pub struct ZeroCase {
    pub entry: &'static Entry,
    pub what: String,
    pub shapes: Vec<(usize, usize)>,
    pub run64: RunFn<f64>,
    pub run32: RunFn<f32>,
    pub replay64: crate::replay::Fns<f64>,
    pub replay32: crate::replay::Fns<f32>,
}

#[derive(Default)]
pub struct Registry {
    pub cases: Vec<Case>,
    pub zero: Vec<ZeroCase>,
    pub bits: Vec<BitPair>,
    pub entries: Vec<&'static Entry>,
}

/// The whole registry, built once per call.
pub fn all() -> Registry {
    let mut r = Registry::default();
    registry(&mut r);
    r
}

/// ` (BroadcastCols<0>)` for an entry type with const arguments, else nothing.
fn type_args<E>() -> String {
    let name = std::any::type_name::<E>();
    match name.find('<') {
        Some(at) => format!(
            " ({}{})",
            name[..at].rsplit("::").next().unwrap_or(name),
            &name[at..]
        ),
        None => String::new(),
    }
}

impl Registry {
    fn note(&mut self, e: &'static Entry) {
        if !self.entries.iter().any(|x| std::ptr::eq(*x, e)) {
            self.entries.push(e);
        }
    }

    pub fn unary<E: Unary<R, C>, const R: usize, const C: usize>(&mut self, e: &'static Entry) {
        self.note(e);
        self.cases.push(Case {
            entry: e,
            what: format!("{R}×{C}"),
            leaves: vec![leaf(e, 0, R, C)],
            run64: run_unary::<E, f64, R, C>,
            run32: run_unary::<E, f32, R, C>,
            replay64: crate::replay::unary::<E, f64, R, C>(),
            replay32: crate::replay::unary::<E, f32, R, C>(),
            leaf_fns: vec![LeafFns {
                gradcheck: gradcheck_leaf::<R, C>,
                check_gradient: (!e.has(Tag::LhsScalar))
                    .then_some(check_gradient_leaf::<UnaryFn<E, R, C>, R, C> as _),
                #[cfg(feature = "dual")]
                hvp: (!e.has(Tag::LhsScalar)).then_some(hvp_leaf::<UnaryFn<E, R, C>, R, C> as _),
            }],
            #[cfg(feature = "dual")]
            modes: (!e.has(Tag::LhsScalar)).then(crate::modes::unary::<E, R, C>),
        });
    }

    pub fn zero_unary<E: Unary<R, C>, const R: usize, const C: usize>(
        &mut self,
        e: &'static Entry,
    ) {
        self.note(e);
        self.zero.push(ZeroCase {
            entry: e,
            what: format!("{R}×{C}{}", type_args::<E>()),
            shapes: vec![(R, C)],
            run64: run_unary::<E, f64, R, C>,
            run32: run_unary::<E, f32, R, C>,
            replay64: crate::replay::unary::<E, f64, R, C>(),
            replay32: crate::replay::unary::<E, f32, R, C>(),
        });
    }

    pub fn binary<
        E: Binary<R1, C1, R2, C2>,
        const R1: usize,
        const C1: usize,
        const R2: usize,
        const C2: usize,
    >(
        &mut self,
        e: &'static Entry,
    ) {
        self.note(e);
        self.cases.push(Case {
            entry: e,
            what: format!("({R1}×{C1}, {R2}×{C2})"),
            leaves: vec![leaf(e, 0, R1, C1), leaf(e, 1, R2, C2)],
            run64: run_binary::<E, f64, R1, C1, R2, C2>,
            run32: run_binary::<E, f32, R1, C1, R2, C2>,
            replay64: crate::replay::binary::<E, f64, R1, C1, R2, C2>(),
            replay32: crate::replay::binary::<E, f32, R1, C1, R2, C2>(),
            leaf_fns: vec![
                LeafFns {
                    gradcheck: gradcheck_leaf::<R1, C1>,
                    check_gradient: Some(
                        check_gradient_leaf::<BinaryFn<E, R1, C1, R2, C2, 0>, R1, C1>,
                    ),
                    #[cfg(feature = "dual")]
                    hvp: Some(hvp_leaf::<BinaryFn<E, R1, C1, R2, C2, 0>, R1, C1>),
                },
                LeafFns {
                    gradcheck: gradcheck_leaf::<R2, C2>,
                    check_gradient: Some(
                        check_gradient_leaf::<BinaryFn<E, R1, C1, R2, C2, 1>, R2, C2>,
                    ),
                    #[cfg(feature = "dual")]
                    hvp: Some(hvp_leaf::<BinaryFn<E, R1, C1, R2, C2, 1>, R2, C2>),
                },
            ],
            #[cfg(feature = "dual")]
            modes: Some(crate::modes::binary::<E, R1, C1, R2, C2>()),
        });
    }

    pub fn zero_binary<
        E: Binary<R1, C1, R2, C2>,
        const R1: usize,
        const C1: usize,
        const R2: usize,
        const C2: usize,
    >(
        &mut self,
        e: &'static Entry,
    ) {
        self.note(e);
        self.zero.push(ZeroCase {
            entry: e,
            what: format!("({R1}×{C1}, {R2}×{C2})"),
            shapes: vec![(R1, C1), (R2, C2)],
            run64: run_binary::<E, f64, R1, C1, R2, C2>,
            run32: run_binary::<E, f32, R1, C1, R2, C2>,
            replay64: crate::replay::binary::<E, f64, R1, C1, R2, C2>(),
            replay32: crate::replay::binary::<E, f32, R1, C1, R2, C2>(),
        });
    }

    /// `op(x, x)`: one `R×C` tensor in both operand slots.
    pub fn self_form<E: Binary<R, C, R, C>, const R: usize, const C: usize>(
        &mut self,
        e: &'static Entry,
    ) {
        self.note(e);
        self.cases.push(Case {
            entry: e,
            what: format!("op(x, x), x {R}×{C}"),
            leaves: vec![leaf(e, 0, R, C)],
            run64: run_self::<E, f64, R, C>,
            run32: run_self::<E, f32, R, C>,
            replay64: crate::replay::self_form::<E, f64, R, C>(),
            replay32: crate::replay::self_form::<E, f32, R, C>(),
            leaf_fns: vec![LeafFns {
                gradcheck: gradcheck_leaf::<R, C>,
                check_gradient: Some(check_gradient_leaf::<SelfFn<E, R, C>, R, C>),
                #[cfg(feature = "dual")]
                hvp: Some(hvp_leaf::<SelfFn<E, R, C>, R, C>),
            }],
            #[cfg(feature = "dual")]
            modes: Some(crate::modes::self_form::<E, R, C>()),
        });
    }

    /// An op of one free `R×C` leaf that is not element-wise: the regular shapes and a 3×4
    /// batch, and the zero-sized shapes.
    pub fn free<E: Regular + Zero + Unary<3, 4>>(&mut self, e: &'static Entry) {
        self.unary::<E, 1, 1>(e);
        self.unary::<E, 2, 3>(e);
        self.unary::<E, 4, 1>(e);
        self.unary::<E, 3, 4>(e);
        self.zero_unary::<E, 0, 3>(e);
        self.zero_unary::<E, 3, 0>(e);
        self.zero_unary::<E, 0, 0>(e);
    }

    /// As [`free`](Registry::free) for two operands of one shape, plus `op(x, x)`.
    pub fn free2<E: Regular2 + Zero2 + Binary<3, 4, 3, 4>>(&mut self, e: &'static Entry) {
        self.binary::<E, 1, 1, 1, 1>(e);
        self.binary::<E, 2, 3, 2, 3>(e);
        self.binary::<E, 4, 1, 4, 1>(e);
        self.binary::<E, 3, 4, 3, 4>(e);
        self.self_form::<E, 2, 3>(e);
        self.self_form::<E, 3, 4>(e);
        self.zero_binary::<E, 0, 3, 0, 3>(e);
        self.zero_binary::<E, 3, 0, 3, 0>(e);
        self.zero_binary::<E, 0, 0, 0, 0>(e);
    }

    /// An element-wise op of one leaf: the regular and zero-sized shapes, and its bit pair.
    pub fn elementwise<E: Regular + Zero>(&mut self, e: &'static Entry) {
        self.unary::<E, 1, 1>(e);
        self.unary::<E, 2, 3>(e);
        self.unary::<E, 4, 1>(e);
        self.zero_unary::<E, 0, 3>(e);
        self.zero_unary::<E, 3, 0>(e);
        self.zero_unary::<E, 0, 0>(e);
        self.bits.push(BitPair {
            entry: e,
            what: "op(x)",
            leaves: 1,
            one: (run_unary::<E, f64, 1, 1>, run_unary::<E, f32, 1, 1>),
            four: (run_unary::<E, f64, 4, 1>, run_unary::<E, f32, 4, 1>),
        });
    }

    /// An element-wise op of two operands: as [`elementwise`](Registry::elementwise), with
    /// distinct operands and with `op(x, x)`.
    pub fn elementwise2<E: Regular2 + Zero2>(&mut self, e: &'static Entry) {
        self.binary::<E, 1, 1, 1, 1>(e);
        self.binary::<E, 2, 3, 2, 3>(e);
        self.binary::<E, 4, 1, 4, 1>(e);
        self.self_form::<E, 1, 1>(e);
        self.self_form::<E, 2, 3>(e);
        self.self_form::<E, 4, 1>(e);
        self.zero_binary::<E, 0, 3, 0, 3>(e);
        self.zero_binary::<E, 3, 0, 3, 0>(e);
        self.zero_binary::<E, 0, 0, 0, 0>(e);
        self.bits.push(BitPair {
            entry: e,
            what: "op(a, b)",
            leaves: 2,
            one: (
                run_binary::<E, f64, 1, 1, 1, 1>,
                run_binary::<E, f32, 1, 1, 1, 1>,
            ),
            four: (
                run_binary::<E, f64, 4, 1, 4, 1>,
                run_binary::<E, f32, 4, 1, 4, 1>,
            ),
        });
        self.bits.push(BitPair {
            entry: e,
            what: "op(x, x)",
            leaves: 1,
            one: (run_self::<E, f64, 1, 1>, run_self::<E, f32, 1, 1>),
            four: (run_self::<E, f64, 4, 1>, run_self::<E, f32, 4, 1>),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// sample points

/// Mixed signs, all distinct multiples of 1/8 (exact in f32), each at least ¼ from 0.
const MIXED: [f64; 16] = [
    0.375, -1.25, 0.5, 0.75, -0.5, 1.125, 0.875, -0.625, 1.5, -1.0, 0.625, -0.75, 1.25, -0.375,
    0.25, -1.125,
];
/// Positive, in [0.375, 1.875].
const POSITIVE: [f64; 16] = [
    0.375, 1.25, 0.5, 0.75, 1.5, 1.125, 0.875, 0.625, 1.875, 1.0, 0.4375, 1.375, 0.5625, 1.75,
    0.6875, 1.625,
];
/// Targets in [0, 1].
const UNIT: [f64; 16] = [
    0.0, 1.0, 0.25, 1.0, 0.0, 0.5, 0.75, 0.125, 1.0, 0.375, 0.0, 0.625, 0.875, 1.0, 0.5, 0.25,
];

/// Element `i` of leaf `leaf` for entry `e`. The second leaf reads `MIXED` at `5i + 7`, the
/// first at `i`: the two never coincide (`4i + 7` is odd), so `max`/`min` see no tie
/// (distinct multiples of 1/8 are ≥ 0.125 apart), and a rule with `a` and `b` swapped shows.
pub fn point(e: &Entry, leaf: usize, i: usize) -> f64 {
    match leaf {
        0 if e.has(Tag::PositiveDomain) => POSITIVE[i % 16],
        0 if e.has(Tag::UnitInterval) => 0.75 * MIXED[i % 16],
        0 if e.has(Tag::AboveOne) => 1.0 + POSITIVE[i % 16],
        0 => MIXED[i % 16],
        _ if e.has(Tag::UnitRhs) => UNIT[(5 * i + 7) % 16],
        _ => MIXED[(5 * i + 7) % 16],
    }
}

fn leaf(e: &Entry, leaf: usize, rows: usize, cols: usize) -> Leaf {
    Leaf {
        values: (0..rows * cols).map(|i| point(e, leaf, i)).collect(),
    }
}

/// A direction for H·v: every component non-zero, |vᵢ| ≤ 1.5.
#[cfg(feature = "dual")]
pub fn direction(n: usize) -> Vec<f64> {
    (0..n).map(|i| MIXED[(3 * i + 5) % 16]).collect()
}

// ---------------------------------------------------------------------------------------------
// recording a case

pub fn var<'t, T: Scalar, const R: usize, const C: usize>(
    tape: &'t Tape<T>,
    values: &[T],
) -> Tensor<'t, R, C, T> {
    tape.var(SMatrix::from_column_slice(values))
}

/// `Σ w′ ⊙ x` for [`Form::Reused`].
fn reuse<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
    salt: usize,
) -> Tensor<'_, 1, 1, T> {
    (x * weights(x.tape(), salt)).sum()
}

fn grad<T: Scalar, const R: usize, const C: usize>(
    grads: &shapegrad::Gradients<T>,
    x: Tensor<'_, R, C, T>,
) -> Vec<T> {
    grads.wrt(x).as_slice().to_vec()
}

/// What [`run_unary`] records: the leaf, the op's output and `L` (`replay.rs` records the
/// same on a `Tape::for_replay` tape).
#[allow(clippy::type_complexity)]
pub fn record_unary<'t, E: Unary<R, C>, T: Float, const R: usize, const C: usize>(
    tape: &'t Tape<T>,
    leaves: &[Vec<T>],
    finish: Finish,
    form: Form,
) -> (Tensor<'t, R, C, T>, E::Out<'t, T>, Tensor<'t, 1, 1, T>) {
    let x = var::<T, R, C>(tape, &leaves[0]);
    let pre = (form == Form::Reused).then(|| reuse(x, 1));
    let y = E::float(x);
    let mut l = y.finish(finish);
    if let Some(pre) = pre {
        l = l * pre.exp() + reuse(x, 2);
    }
    (x, y, l)
}

fn run_unary<E: Unary<R, C>, T: Float, const R: usize, const C: usize>(
    tape: &Tape<T>,
    leaves: &[Vec<T>],
    finish: Finish,
    form: Form,
) -> Run<T> {
    let (x, y, l) = record_unary::<E, T, R, C>(tape, leaves, finish, form);
    let grads = l.backward();
    Run {
        value: l.item(),
        out: y.values(),
        grads: vec![grad(&grads, x)],
    }
}

/// What [`run_binary`] records: the two leaves, the op's output and `L`.
#[allow(clippy::type_complexity)]
pub fn record_binary<
    't,
    E: Binary<R1, C1, R2, C2>,
    T: Scalar,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
>(
    tape: &'t Tape<T>,
    leaves: &[Vec<T>],
    finish: Finish,
    form: Form,
) -> (
    Tensor<'t, R1, C1, T>,
    Tensor<'t, R2, C2, T>,
    E::Out<'t, T>,
    Tensor<'t, 1, 1, T>,
) {
    let a = var::<T, R1, C1>(tape, &leaves[0]);
    let b = var::<T, R2, C2>(tape, &leaves[1]);
    let pre = (form == Form::Reused).then(|| reuse(a, 1) + reuse(b, 1));
    let y = E::apply(a, b);
    let mut l = y.finish(finish);
    if let Some(pre) = pre {
        l = l * pre.exp() + (reuse(a, 2) + reuse(b, 2));
    }
    (a, b, y, l)
}

fn run_binary<
    E: Binary<R1, C1, R2, C2>,
    T: Scalar,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
>(
    tape: &Tape<T>,
    leaves: &[Vec<T>],
    finish: Finish,
    form: Form,
) -> Run<T> {
    let (a, b, y, l) = record_binary::<E, T, R1, C1, R2, C2>(tape, leaves, finish, form);
    let grads = l.backward();
    Run {
        value: l.item(),
        out: y.values(),
        grads: vec![grad(&grads, a), grad(&grads, b)],
    }
}

/// What [`run_self`] records: the leaf, the op's output and `L`.
#[allow(clippy::type_complexity)]
pub fn record_self<'t, E: Binary<R, C, R, C>, T: Scalar, const R: usize, const C: usize>(
    tape: &'t Tape<T>,
    leaves: &[Vec<T>],
    finish: Finish,
    form: Form,
) -> (Tensor<'t, R, C, T>, E::Out<'t, T>, Tensor<'t, 1, 1, T>) {
    let x = var::<T, R, C>(tape, &leaves[0]);
    let pre = (form == Form::Reused).then(|| reuse(x, 1));
    let y = E::apply(x, x);
    let mut l = y.finish(finish);
    if let Some(pre) = pre {
        l = l * pre.exp() + reuse(x, 2);
    }
    (x, y, l)
}

fn run_self<E: Binary<R, C, R, C>, T: Scalar, const R: usize, const C: usize>(
    tape: &Tape<T>,
    leaves: &[Vec<T>],
    finish: Finish,
    form: Form,
) -> Run<T> {
    let (x, y, l) = record_self::<E, T, R, C>(tape, leaves, finish, form);
    let grads = l.backward();
    Run {
        value: l.item(),
        out: y.values(),
        grads: vec![grad(&grads, x)],
    }
}

// ---------------------------------------------------------------------------------------------
// the typed per-leaf checks

fn gradcheck_leaf<const R: usize, const C: usize>(
    case: &Case,
    leaf: usize,
    check: &GradCheck,
    form: Form,
    scale: f64,
) -> GradCheckReport {
    let at = |x: &SMatrix<f64, R, C>| {
        let mut leaves = case.values();
        leaves[leaf] = x.as_slice().to_vec();
        (case.run64)(&Tape::new(), &leaves, Finish::WeightedExp, form)
    };
    let x0 = SMatrix::<f64, R, C>::from_column_slice(&case.leaves[leaf].values);
    check.check_with(
        |x| at(x).value,
        |x| SMatrix::from_column_slice(&at(x).grads[leaf]) * scale,
        &x0,
    )
}

/// A case as a `ScalarFn` of one leaf, the others fixed at their sample values.
pub trait LeafFn<const R: usize, const C: usize>: ScalarFn<R, C> {
    fn new(case: &Case, form: Form) -> Self;
}

fn check_gradient_leaf<F: LeafFn<R, C>, const R: usize, const C: usize>(
    case: &Case,
    leaf: usize,
    form: Form,
) -> GradCheckReport {
    let x0 = SMatrix::<f64, R, C>::from_column_slice(&case.leaves[leaf].values);
    shapegrad::check_gradient(&F::new(case, form), &x0)
}

#[cfg(feature = "dual")]
fn hvp_leaf<F: LeafFn<R, C>, const R: usize, const C: usize>(
    case: &Case,
    leaf: usize,
    form: Form,
    v: &[f64],
) -> (f64, Vec<f64>, Vec<f64>) {
    let x0 = SMatrix::<f64, R, C>::from_column_slice(&case.leaves[leaf].values);
    let v = SMatrix::<f64, R, C>::from_column_slice(v);
    let (f, g, hv) = shapegrad::hvp(&F::new(case, form), &x0, &v);
    (f, g.as_slice().to_vec(), hv.as_slice().to_vec())
}

/// The other leaf's sample values as a variable on `x`'s tape.
fn other<'t, T: Scalar, const R: usize, const C: usize>(
    tape: &'t Tape<T>,
    values: &[f64],
) -> Tensor<'t, R, C, T> {
    tape.var(SMatrix::from_iterator(values.iter().map(|&v| k::<T>(v))))
}

pub struct UnaryFn<E, const R: usize, const C: usize>(Form, PhantomData<E>);

impl<E: Unary<R, C>, const R: usize, const C: usize> ScalarFn<R, C> for UnaryFn<E, R, C> {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, R, C, T>) -> Tensor<'t, 1, 1, T> {
        let pre = (self.0 == Form::Reused).then(|| reuse(x, 1));
        let l = E::any(x)
            .expect("a `LhsScalar` entry has no `ScalarFn`")
            .finish(Finish::WeightedExp);
        match pre {
            Some(pre) => l * pre.exp() + reuse(x, 2),
            None => l,
        }
    }
}

impl<E: Unary<R, C>, const R: usize, const C: usize> LeafFn<R, C> for UnaryFn<E, R, C> {
    fn new(_: &Case, form: Form) -> Self {
        UnaryFn(form, PhantomData)
    }
}

pub struct SelfFn<E, const R: usize, const C: usize>(Form, PhantomData<E>);

impl<E: Binary<R, C, R, C>, const R: usize, const C: usize> ScalarFn<R, C> for SelfFn<E, R, C> {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, R, C, T>) -> Tensor<'t, 1, 1, T> {
        let pre = (self.0 == Form::Reused).then(|| reuse(x, 1));
        let l = E::apply(x, x).finish(Finish::WeightedExp);
        match pre {
            Some(pre) => l * pre.exp() + reuse(x, 2),
            None => l,
        }
    }
}

impl<E: Binary<R, C, R, C>, const R: usize, const C: usize> LeafFn<R, C> for SelfFn<E, R, C> {
    fn new(_: &Case, form: Form) -> Self {
        SelfFn(form, PhantomData)
    }
}

/// A two-leaf case as a function of leaf `LEAF`, the other leaf a variable at its sample
/// values (so the op records as with two variables).
pub struct BinaryFn<
    E,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
    const LEAF: usize,
> {
    form: Form,
    other: Vec<f64>,
    _e: PhantomData<E>,
}

impl<E: Binary<R1, C1, R2, C2>, const R1: usize, const C1: usize, const R2: usize, const C2: usize>
    BinaryFn<E, R1, C1, R2, C2, 0>
{
    fn both<'t, T: Scalar>(
        &self,
        a: Tensor<'t, R1, C1, T>,
        b: Tensor<'t, R2, C2, T>,
    ) -> Tensor<'t, 1, 1, T> {
        let pre = (self.form == Form::Reused).then(|| reuse(a, 1) + reuse(b, 1));
        let l = E::apply(a, b).finish(Finish::WeightedExp);
        match pre {
            Some(pre) => l * pre.exp() + (reuse(a, 2) + reuse(b, 2)),
            None => l,
        }
    }
}

impl<E: Binary<R1, C1, R2, C2>, const R1: usize, const C1: usize, const R2: usize, const C2: usize>
    ScalarFn<R1, C1> for BinaryFn<E, R1, C1, R2, C2, 0>
{
    fn eval<'t, T: Scalar>(&self, a: Tensor<'t, R1, C1, T>) -> Tensor<'t, 1, 1, T> {
        let b = other::<T, R2, C2>(a.tape(), &self.other);
        self.both(a, b)
    }
}

impl<E: Binary<R1, C1, R2, C2>, const R1: usize, const C1: usize, const R2: usize, const C2: usize>
    ScalarFn<R2, C2> for BinaryFn<E, R1, C1, R2, C2, 1>
{
    fn eval<'t, T: Scalar>(&self, b: Tensor<'t, R2, C2, T>) -> Tensor<'t, 1, 1, T> {
        let a = other::<T, R1, C1>(b.tape(), &self.other);
        let as_leaf0 = BinaryFn::<E, R1, C1, R2, C2, 0> {
            form: self.form,
            other: Vec::new(),
            _e: PhantomData,
        };
        as_leaf0.both(a, b)
    }
}

impl<E: Binary<R1, C1, R2, C2>, const R1: usize, const C1: usize, const R2: usize, const C2: usize>
    LeafFn<R1, C1> for BinaryFn<E, R1, C1, R2, C2, 0>
{
    fn new(case: &Case, form: Form) -> Self {
        BinaryFn {
            form,
            other: case.leaves[1].values.clone(),
            _e: PhantomData,
        }
    }
}

impl<E: Binary<R1, C1, R2, C2>, const R1: usize, const C1: usize, const R2: usize, const C2: usize>
    LeafFn<R2, C2> for BinaryFn<E, R1, C1, R2, C2, 1>
{
    fn new(case: &Case, form: Form) -> Self {
        BinaryFn {
            form,
            other: case.leaves[0].values.clone(),
            _e: PhantomData,
        }
    }
}
