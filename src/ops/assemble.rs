//! Putting parts together: stacking two tensors ([`vstack`](Tensor::vstack),
//! [`hstack`](Tensor::hstack)), and a vector or matrix from an array of parts
//! ([`from_scalars`](Tensor::from_scalars), [`from_columns`](Tensor::from_columns),
//! [`from_rows`](Tensor::from_rows)).
//!
//! Result sizes are checked at compile time: the output size is a const parameter (Rust
//! cannot yet write `R1 + R2` in a type), usually inferred from the annotation, and a
//! `const` assertion rejects a size that does not add up when the code is built. It is
//! evaluated when the generic code is instantiated, so `cargo build` and `cargo test` report
//! it but `cargo check` (and so an editor's check-on-save) does not; the `compile_fail`
//! doctest on [`vstack`](Tensor::vstack) pins it (trybuild, which only checks, cannot).
//!
//! An op node has at most two operands, so an array of `K` parts is recorded as `K`
//! placements (each part written into a zero matrix of the result's shape) summed by `K − 1`
//! additions: `2K − 1` nodes and about `2K` times the result's size in scalars, cheap for the
//! fixed sizes this is for (a 3-vector from its three coordinates).

use super::Rule;
use super::parts::{from_t, to_t};
use crate::{Scalar, Tensor};

/// # Putting parts together
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// `self` on top of `below`: `R×C` and `R1×C` make `R3×C`, `R3 = R + R1` checked at
    /// compile time. Backward: each part gets its rows of `∂y`.
    ///
    /// # Panics
    ///
    /// If `self` and `below` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Vector2, Vector3, Vector5};
    /// use shapegrad::Tensor;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let a = tape.var(Vector2::new(1.0, 2.0));
    /// let b = tape.var(Vector3::new(3.0, 4.0, 5.0));
    /// let ab: Tensor<'_, 5, 1> = a.vstack(b);
    /// assert_eq!(ab.value(), Vector5::new(1.0, 2.0, 3.0, 4.0, 5.0));
    /// let grads = (ab * ab).sum().backward();
    /// assert_eq!(grads.wrt(b), Vector3::new(6.0, 8.0, 10.0));
    /// ```
    ///
    /// A size that does not add up does not build:
    ///
    /// ```compile_fail
    /// # use nalgebra::{Vector2, Vector3};
    /// let tape = shapegrad::Tape::<f64>::new();
    /// let (a, b) = (tape.var(Vector2::zeros()), tape.var(Vector3::zeros()));
    /// let ab: shapegrad::Tensor<'_, 4, 1> = a.vstack(b); // 2 + 3 ≠ 4
    /// ```
    #[track_caller]
    pub fn vstack<const R1: usize, const R3: usize>(
        self,
        below: Tensor<'t, R1, C, T>,
    ) -> Tensor<'t, R3, C, T> {
        const {
            assert!(
                R + R1 == R3,
                "vstack: the result's rows must be the sum of both"
            )
        };
        let forward = |a: &[T], b: &[T], out: &mut [T]| {
            for c in 0..C {
                out[c * R3..][..R].copy_from_slice(&a[c * R..][..R]);
                out[c * R3 + R..][..R1].copy_from_slice(&b[c * R1..][..R1]);
            }
        };
        self.record_binary(below, "vstack", 0, forward, vstack_backward::<T, R, R1, C>)
    }

    /// `self` left of `right`: `R×C` and `R×C1` make `R×C3`, `C3 = C + C1` checked at compile
    /// time. Backward: each part gets its columns of `∂y`.
    ///
    /// # Panics
    ///
    /// If `self` and `right` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2, Matrix2x3, Vector2};
    /// use shapegrad::Tensor;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let a = tape.var(Matrix2::new(1.0, 2.0, 4.0, 5.0));
    /// let b = tape.var(Vector2::new(3.0, 6.0));
    /// let ab: Tensor<'_, 2, 3> = a.hstack(b);
    /// assert_eq!(ab.value(), Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// assert_eq!((ab * 2.0).sum().backward().wrt(b), Vector2::new(2.0, 2.0));
    /// ```
    #[track_caller]
    pub fn hstack<const C1: usize, const C3: usize>(
        self,
        right: Tensor<'t, R, C1, T>,
    ) -> Tensor<'t, R, C3, T> {
        const {
            assert!(
                C + C1 == C3,
                "hstack: the result's columns must be the sum of both"
            )
        };
        // column-major: the columns of `self`, then those of `right`
        let forward = |a: &[T], b: &[T], out: &mut [T]| {
            out[..R * C].copy_from_slice(a);
            out[R * C..][..R * C1].copy_from_slice(b);
        };
        self.record_binary(right, "hstack", 0, forward, hstack_backward::<T, R, C, C1>)
    }

    /// `self` written into an `R2×C2` zero matrix with its top-left element at `(i, j)` (the
    /// caller checks that it fits). Backward: `∂x += ∂y` on the block.
    #[track_caller]
    fn place<const R2: usize, const C2: usize>(self, i: usize, j: usize) -> Tensor<'t, R2, C2, T> {
        self.record_unary::<R2, C2>(
            2,
            move |x, out| {
                let (y, aux) = out.split_at_mut(out.len() - 2);
                y.fill(T::zero());
                for c in 0..C {
                    y[(j + c) * R2 + i..][..R].copy_from_slice(&x[c * R..][..R]);
                }
                (aux[0], aux[1]) = (to_t(i), to_t(j));
            },
            place_backward::<T, R, C, R2, C2>,
        )
    }
}

/// # Putting parts together
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// The matrix of `C` columns, `[Tensor<R, 1>; C]` → `Tensor<R, C>` (`C ≥ 1`, checked at
    /// compile time), as nalgebra's `from_columns`. Backward: each column gets its column of
    /// `∂y`. Costs `2C − 1` nodes (see the module docs).
    ///
    /// # Panics
    ///
    /// If the parts are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2, Vector2};
    /// use shapegrad::Tensor;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let (a, b) = (tape.var(Vector2::new(1.0, 2.0)), tape.var(Vector2::new(3.0, 4.0)));
    /// let m = Tensor::from_columns([a, b]);
    /// assert_eq!(m.value(), Matrix2::new(1.0, 3.0, 2.0, 4.0));
    /// assert_eq!((m * m).sum().backward().wrt(b), Vector2::new(6.0, 8.0));
    /// ```
    #[track_caller]
    pub fn from_columns(columns: [Tensor<'t, R, 1, T>; C]) -> Self {
        const { assert!(C >= 1, "from_columns: at least one column") };
        sum_placed(columns, |k, col| col.place::<R, C>(0, k))
    }

    /// The matrix of `R` rows, `[Tensor<1, C>; R]` → `Tensor<R, C>` (`R ≥ 1`, checked at
    /// compile time), as nalgebra's `from_rows`. Backward: each row gets its row of `∂y`.
    /// Costs `2R − 1` nodes (see the module docs).
    ///
    /// # Panics
    ///
    /// If the parts are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, RowVector3};
    /// use shapegrad::Tensor;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let top = tape.var(RowVector3::new(1.0, 2.0, 3.0));
    /// let bottom = tape.var(RowVector3::new(4.0, 5.0, 6.0));
    /// let m = Tensor::from_rows([top, bottom]);
    /// assert_eq!(m.value(), Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// assert_eq!(m.sum().backward().wrt(top), RowVector3::new(1.0, 1.0, 1.0));
    /// ```
    #[track_caller]
    pub fn from_rows(rows: [Tensor<'t, 1, C, T>; R]) -> Self {
        const { assert!(R >= 1, "from_rows: at least one row") };
        sum_placed(rows, |k, row| row.place::<R, C>(k, 0))
    }
}

/// # Putting parts together
impl<'t, const R: usize, T: Scalar> Tensor<'t, R, 1, T> {
    /// The vector of `R` 1×1 tensors, `[Tensor<1, 1>; R]` → `Tensor<R, 1>` (`R ≥ 1`, checked at
    /// compile time), as nalgebra's `Vector3::new(x, y, z)`. Backward: each scalar gets its
    /// entry of `∂y`. Costs `2R − 1` nodes (see the module docs).
    ///
    /// # Panics
    ///
    /// If the parts are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector3;
    /// use shapegrad::Tensor;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let (q0, q1) = (tape.var_scalar(0.3), tape.var_scalar(-0.4));
    /// let p = Tensor::from_scalars([q0.cos(), q0.sin(), q1 * 2.0]);
    /// assert_eq!(p.value(), Vector3::new(0.3_f64.cos(), 0.3_f64.sin(), -0.8));
    /// let grads = p.sum().backward();
    /// assert_eq!(grads.wrt(q0)[0], 0.3_f64.cos() - 0.3_f64.sin());
    /// assert_eq!(grads.wrt(q1)[0], 2.0);
    /// ```
    #[track_caller]
    pub fn from_scalars(parts: [Tensor<'t, 1, 1, T>; R]) -> Self {
        const {
            assert!(
                R >= 1,
                "from_scalars: at least one part (use `Tape::constant` for none)"
            )
        };
        sum_placed(parts, |k, s| s.place::<R, 1>(k, 0))
    }
}

/// `Σₖ place(k, partₖ)`, in order (so the sum's rounding is fixed: the placed values never
/// overlap, so every sum is exact anyway).
#[track_caller]
fn sum_placed<'t, T: Scalar, P: Copy, const R: usize, const C: usize, const K: usize>(
    parts: [P; K],
    place: impl Fn(usize, P) -> Tensor<'t, R, C, T>,
) -> Tensor<'t, R, C, T> {
    let mut acc = place(0, parts[0]);
    for (k, &p) in parts.iter().enumerate().skip(1) {
        acc = acc + place(k, p);
    }
    acc
}

/// The rule of `vstack`: `∂a += ∂y` (its rows), `∂b += ∂y` (the rows below).
fn vstack_backward<T: Scalar, const R: usize, const R1: usize, const C: usize>(r: Rule<'_, T>) {
    let r = r.binary(R * C, R1 * C, (R + R1) * C);
    let go = r.grad_out;
    let rows = |from: usize, n: usize| {
        (0..C).flat_map(move |c| go[c * (R + R1) + from..][..n].iter().copied())
    };
    r.grads.lhs(rows(0, R)).add(rows(R, R1));
}

/// The rule of `hstack`: `∂a += ∂y` (its columns), `∂b += ∂y` (the columns right of them).
fn hstack_backward<T: Scalar, const R: usize, const C: usize, const C1: usize>(r: Rule<'_, T>) {
    let r = r.binary(R * C, R * C1, R * (C + C1));
    let (a, b) = r.grad_out.split_at(R * C);
    r.grads.lhs(a.iter().copied()).add(b.iter().copied());
}

/// The rule of `place`: `∂x += ∂y` on the block at `(i, j)`.
fn place_backward<T: Scalar, const R: usize, const C: usize, const R2: usize, const C2: usize>(
    r: Rule<'_, T>,
) {
    let r = r.unary(R * C, R2 * C2);
    let (i, j) = (from_t(r.aux[0]), from_t(r.aux[1]));
    let go = r.grad_out;
    r.grad_x
        .add((0..C).flat_map(|c| go[(j + c) * R2 + i..][..R].iter().copied()));
}
