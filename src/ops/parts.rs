//! Taking parts out: one element ([`at`](Tensor::at)), a block
//! ([`fixed_view`](Tensor::fixed_view)), rows and columns, with nalgebra's names.
//!
//! Every part is one node whose aux region holds the block's position. Backward adds the
//! part's gradient into the operand's region at that position. A region's first
//! contribution in a walk is assigned, not added, so the first part taken from a tensor writes
//! the zeros around it too (`R·C` scalars); every further contribution writes only the part.

use super::Rule;
use crate::{Scalar, Tensor};

/// An index of one element: `i` (column-major, as nalgebra's `m[i]`; for a vector, its
/// `i`-th entry) or `(i, j)` (row, column, as nalgebra's `m[(i, j)]`), as
/// [`Tensor::at`] takes it.
///
/// # Examples
///
/// ```
/// use shapegrad::ElementIndex;
///
/// // in a 2×3 matrix, linear index 3 is row 1, column 1 (column-major)
/// assert_eq!(3.row_col(2, 3), Some((1, 1)));
/// assert_eq!((1, 2).row_col(2, 3), Some((1, 2)));
/// assert_eq!((2, 0).row_col(2, 3), None);
/// assert_eq!(6.row_col(2, 3), None);
/// ```
pub trait ElementIndex: Copy + core::fmt::Debug {
    /// The `(row, column)` of this index in an `rows×cols` matrix, if it is inside.
    #[track_caller]
    fn row_col(self, rows: usize, cols: usize) -> Option<(usize, usize)>;
}

impl ElementIndex for usize {
    #[track_caller]
    fn row_col(self, rows: usize, cols: usize) -> Option<(usize, usize)> {
        (self < rows * cols).then(|| (self % rows, self / rows))
    }
}

impl ElementIndex for (usize, usize) {
    #[track_caller]
    fn row_col(self, rows: usize, cols: usize) -> Option<(usize, usize)> {
        (self.0 < rows && self.1 < cols).then_some(self)
    }
}

/// Converts a small index to `T` for the aux region, and back (exact: indices of
/// stack-sized matrices are far below `2²⁴`).
pub(crate) fn to_t<T: Scalar>(i: usize) -> T {
    nalgebra::convert(i as f64)
}
pub(crate) fn from_t<T: Scalar>(v: T) -> usize {
    nalgebra::try_convert::<T, f64>(v).map_or(0, |v| v as usize)
}

/// # Taking parts out
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// One element as a 1×1 tensor: `x.at(i)` (column-major; the `i`-th entry of a vector)
    /// or `x.at((i, j))`, as nalgebra's `m[i]` and `m[(i, j)]`. Backward: `∂xᵢⱼ += ∂y`.
    ///
    /// # Panics
    ///
    /// If the index is outside the tensor; the message names the op, the index and the shape.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, Vector3};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let q = tape.var(Vector3::new(0.5, -1.0, 2.0));
    /// let m = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let y = q.at(2) * m.at((1, 0));
    /// assert_eq!(y.item(), 8.0);
    /// let grads = y.backward();
    /// assert_eq!(grads.wrt(q), Vector3::new(0.0, 0.0, 4.0));
    /// assert_eq!(grads.wrt(m), Matrix2x3::new(0.0, 0.0, 0.0, 2.0, 0.0, 0.0));
    /// ```
    #[track_caller]
    pub fn at(self, index: impl ElementIndex) -> Tensor<'t, 1, 1, T> {
        let Some((i, j)) = index.row_col(R, C) else {
            panic!("shapegrad: `at`: index {index:?} is outside a {R}×{C} tensor")
        };
        self.view::<1, 1>(i, j)
    }

    /// The `R2×C2` block whose top-left element is `(i, j)`, as nalgebra's `fixed_view`.
    /// Backward: `∂x[i.., j..] += ∂y` on the block.
    ///
    /// # Panics
    ///
    /// If the block does not fit in the tensor from `(i, j)`; the message names the op, the
    /// block and the shape.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2, Matrix3};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let m = tape.var(Matrix3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0));
    /// let b = m.fixed_view::<2, 2>(1, 1);
    /// assert_eq!(b.value(), Matrix2::new(5.0, 6.0, 8.0, 9.0));
    /// let g = b.sum().backward().wrt(m);
    /// assert_eq!(g, Matrix3::new(0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0));
    /// ```
    #[track_caller]
    pub fn fixed_view<const R2: usize, const C2: usize>(
        self,
        i: usize,
        j: usize,
    ) -> Tensor<'t, R2, C2, T> {
        if i + R2 > R || j + C2 > C {
            out_of_bounds("fixed_view", R2, C2, (i, j), R, C)
        }
        self.view::<R2, C2>(i, j)
    }

    /// `N` consecutive rows from row `i`, as nalgebra's `fixed_rows`.
    ///
    /// # Panics
    ///
    /// If `i + N > R`, naming the op and the shape.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Vector2, Vector4};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector4::new(1.0, 2.0, 3.0, 4.0));
    /// let tail = x.fixed_rows::<2>(2);
    /// assert_eq!(tail.value(), Vector2::new(3.0, 4.0));
    /// assert_eq!((tail * tail).sum().backward().wrt(x), Vector4::new(0.0, 0.0, 6.0, 8.0));
    /// ```
    #[track_caller]
    pub fn fixed_rows<const N: usize>(self, i: usize) -> Tensor<'t, N, C, T> {
        if i + N > R {
            out_of_bounds("fixed_rows", N, C, (i, 0), R, C)
        }
        self.view::<N, C>(i, 0)
    }

    /// `N` consecutive columns from column `j`, as nalgebra's `fixed_columns`.
    ///
    /// # Panics
    ///
    /// If `j + N > C`, naming the op and the shape.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2, Matrix2x3};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let m = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let right = m.fixed_columns::<2>(1);
    /// assert_eq!(right.value(), Matrix2::new(2.0, 3.0, 5.0, 6.0));
    /// let g = right.sum().backward().wrt(m);
    /// assert_eq!(g, Matrix2x3::new(0.0, 1.0, 1.0, 0.0, 1.0, 1.0));
    /// ```
    #[track_caller]
    pub fn fixed_columns<const N: usize>(self, j: usize) -> Tensor<'t, R, N, T> {
        if j + N > C {
            out_of_bounds("fixed_columns", R, N, (0, j), R, C)
        }
        self.view::<R, N>(0, j)
    }

    /// Row `i` as a `1×C` tensor, as nalgebra's `row`.
    ///
    /// # Panics
    ///
    /// If `i ≥ R`, naming the op and the shape.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, RowVector3};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let m = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// assert_eq!(m.row(1).value(), RowVector3::new(4.0, 5.0, 6.0));
    /// ```
    #[track_caller]
    pub fn row(self, i: usize) -> Tensor<'t, 1, C, T> {
        if i >= R {
            out_of_bounds("row", 1, C, (i, 0), R, C)
        }
        self.view::<1, C>(i, 0)
    }

    /// Column `j` as an `R×1` tensor, as nalgebra's `column`.
    ///
    /// # Panics
    ///
    /// If `j ≥ C`, naming the op and the shape.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, Vector2};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let m = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let c = m.column(2);
    /// assert_eq!(c.value(), Vector2::new(3.0, 6.0));
    /// let g = (c * c).sum().backward().wrt(m);
    /// assert_eq!(g, Matrix2x3::new(0.0, 0.0, 6.0, 0.0, 0.0, 12.0));
    /// ```
    #[track_caller]
    pub fn column(self, j: usize) -> Tensor<'t, R, 1, T> {
        if j >= C {
            out_of_bounds("column", R, 1, (0, j), R, C)
        }
        self.view::<R, 1>(0, j)
    }

    /// The `R2×C2` block at `(i, j)`, known to fit: one node, `(i, j)` in its aux region.
    #[track_caller]
    fn view<const R2: usize, const C2: usize>(self, i: usize, j: usize) -> Tensor<'t, R2, C2, T> {
        self.record_unary::<R2, C2>(
            2,
            move |x, out| {
                let (y, aux) = out.split_at_mut(out.len() - 2);
                for (c, col) in y.chunks_exact_mut(R2.max(1)).enumerate().take(C2) {
                    col[..R2].copy_from_slice(&x[(j + c) * R + i..][..R2]);
                }
                (aux[0], aux[1]) = (to_t(i), to_t(j));
            },
            view_backward::<T, R, C, R2, C2>,
        )
    }
}

/// The rule of a part: `∂x[i.., j..] += ∂y`; zeros around it on the region's first write.
fn view_backward<T: Scalar, const R: usize, const C: usize, const R2: usize, const C2: usize>(
    r: Rule<'_, T>,
) {
    let r = r.unary(R * C, R2 * C2);
    let (i, j) = (from_t(r.aux[0]), from_t(r.aux[1]));
    let go = r.grad_out;
    r.grad_x.add_with(|dst, mode| {
        if mode == super::Write::Assign {
            dst.fill(T::zero());
        }
        for c in 0..C2 {
            let d = &mut dst[(j + c) * R + i..][..R2];
            for (d, &g) in d.iter_mut().zip(&go[c * R2..][..R2]) {
                *d += g;
            }
        }
    });
}

/// The panic of a part that does not fit.
#[cold]
#[track_caller]
fn out_of_bounds(op: &str, rows: usize, cols: usize, at: (usize, usize), r: usize, c: usize) -> ! {
    let (i, j) = at;
    panic!("shapegrad: `{op}`: a {rows}×{cols} part at ({i}, {j}) is outside a {r}×{c} tensor")
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::check_unary;
    use nalgebra::{Matrix2x3, Matrix3, Vector3};
    use std::panic::{AssertUnwindSafe, catch_unwind};

    /// The panic message of `f`.
    fn message(f: impl FnOnce()) -> String {
        let err = catch_unwind(AssertUnwindSafe(f)).expect_err("must panic");
        err.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    #[test]
    fn parts_against_finite_differences() {
        let m = Matrix3::new(0.3, -1.2, 2.5, 0.7, -3.0, 1.1, 0.2, 0.9, -0.4);
        // two overlapping parts and the whole: first write assigns zeros around the part,
        // later ones add only the part
        check_unary(m, |x| {
            (x.fixed_view::<2, 2>(0, 1) * x.fixed_view::<2, 2>(1, 0)).sum() + x.at((2, 2)) * x.sum()
        });
        check_unary(m, |x| x.row(1).transpose().dot(x.column(2)) * x.at(4));
        check_unary(Vector3::new(0.5, -1.0, 2.0), |x| {
            x.at(0) * x.at(1) * x.at(2)
        });
    }

    #[test]
    fn out_of_bounds_panics_name_the_op_and_the_shape() {
        let tape = Tape::<f64>::new();
        let m = tape.var(Matrix2x3::<f64>::zeros());
        let msg = message(|| {
            let _ = m.at((2, 0));
        });
        assert!(
            msg.contains("`at`") && msg.contains("(2, 0)") && msg.contains("2×3"),
            "{msg}"
        );
        let msg = message(|| {
            let _ = m.at(6);
        });
        assert!(msg.contains("`at`") && msg.contains('6'), "{msg}");
        let msg = message(|| {
            let _ = m.fixed_view::<2, 2>(0, 2);
        });
        assert!(
            msg.contains("`fixed_view`") && msg.contains("2×2 part at (0, 2)"),
            "{msg}"
        );
        let msg = message(|| {
            let _ = m.fixed_rows::<2>(1);
        });
        assert!(msg.contains("`fixed_rows`"), "{msg}");
        let msg = message(|| {
            let _ = m.fixed_columns::<3>(1);
        });
        assert!(msg.contains("`fixed_columns`"), "{msg}");
        let msg = message(|| {
            let _ = m.row(2);
        });
        assert!(msg.contains("`row`"), "{msg}");
        let msg = message(|| {
            let _ = m.column(3);
        });
        assert!(msg.contains("`column`"), "{msg}");
        // nothing was recorded by the failed calls
        assert_eq!(tape.len(), 1);
    }
}
