//! The ops, one file per family. Each op computes its output and, right below, names its
//! backward rule; the helpers here do the recording so op files hold only the math.

use crate::tape::{BackwardFn, Op, same_tape};
use crate::{Scalar, Tensor};

mod activation;
mod arith;
mod broadcast;
mod elementwise;
mod exp;
mod matmul;
mod reduce;
mod shape;
pub(crate) mod softmax;

impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// Records an op of one operand with an `R2×C2` output and `aux` scratch scalars:
    /// `forward(x, out)` gets the operand's values and the output region (`out[R2·C2..]`
    /// is the aux region, which the backward rule finds at `Slots::b`).
    #[inline(always)]
    pub(crate) fn unary_op<const R2: usize, const C2: usize>(
        self,
        aux: usize,
        backward: BackwardFn<T>,
        forward: impl FnOnce(&[T], &mut [T]),
    ) -> Tensor<'t, R2, C2, T> {
        let x = self.operand();
        let op = Op {
            inputs: [Some(x), None],
            aux,
            backward,
        };
        self.tape().record(op, |values, out| {
            let start = x.off as usize;
            forward(&values[start..start + R * C], out)
        })
    }

    /// Records a one-operand op of a 1×1 tensor: `f(x)` returns the output followed by the
    /// `K - 1` aux scalars its backward rule reads (at `Slots::b`). Only called when `R·C = 1`.
    #[inline(always)]
    pub(crate) fn unary_scalar_op<const K: usize>(
        self,
        backward: BackwardFn<T>,
        f: impl FnOnce(T) -> [T; K],
    ) -> Self {
        let x = self.operand();
        let op = Op {
            inputs: [Some(x), None],
            aux: K - 1,
            backward,
        };
        self.tape()
            .record_scalar(op, |v| f(v[x.off as usize]))
            .retype()
    }

    /// Records an op of two operands of one tape with an `R2×C2` output:
    /// `forward(a, b, out)` gets both operands' values and the output region.
    ///
    /// Panics, naming the op, if the operands are on different tapes.
    #[inline(always)]
    pub(crate) fn binary_op<const R1: usize, const C1: usize, const R2: usize, const C2: usize>(
        self,
        rhs: Tensor<'t, R1, C1, T>,
        name: &'static str,
        backward: BackwardFn<T>,
        forward: impl FnOnce(&[T], &[T], &mut [T]),
    ) -> Tensor<'t, R2, C2, T> {
        same_tape(name, self.tape(), rhs.tape());
        let (a, b) = (self.operand(), rhs.operand());
        let op = Op {
            inputs: [Some(a), Some(b)],
            aux: 0,
            backward,
        };
        self.tape().record(op, |values, out| {
            let (sa, sb) = (a.off as usize, b.off as usize);
            forward(&values[sa..sa + R * C], &values[sb..sb + R1 * C1], out)
        })
    }

    /// Records an element-wise op of two equally shaped operands: `out[i] = f(a[i], b[i])`.
    #[inline(always)]
    pub(crate) fn zip_op(
        self,
        rhs: Self,
        name: &'static str,
        backward: BackwardFn<T>,
        f: impl Fn(T, T) -> T,
    ) -> Self {
        if R * C == 1 {
            same_tape(name, self.tape(), rhs.tape());
            let (a, b) = (self.operand(), rhs.operand());
            let op = Op {
                inputs: [Some(a), Some(b)],
                aux: 0,
                backward,
            };
            let y = self.tape().record_scalar(op, |v| [f(v[a.off as usize], v[b.off as usize])]);
            return y.retype();
        }
        self.binary_op(rhs, name, backward, |a, b, out| {
            for ((o, &x), &y) in out[..R * C].iter_mut().zip(a).zip(b) {
                *o = f(x, y);
            }
        })
    }

    /// Records an element-wise op of one operand: `out[i] = f(x[i])`.
    #[inline(always)]
    pub(crate) fn map_op(self, backward: BackwardFn<T>, f: impl Fn(T) -> T) -> Self {
        if R * C == 1 {
            return self.unary_scalar_op(backward, |x| [f(x)]);
        }
        self.unary_op(0, backward, |x, out| {
            for (o, &v) in out[..R * C].iter_mut().zip(x) {
                *o = f(v);
            }
        })
    }

    /// Records an element-wise op of the operand and a plain scalar `c`, which is kept in a
    /// one-scalar aux region (at `Slots::b`) for the backward rule.
    #[inline(always)]
    pub(crate) fn scalar_op(self, c: T, backward: BackwardFn<T>, f: impl Fn(T, T) -> T) -> Self {
        if R * C == 1 {
            return self.unary_scalar_op(backward, |x| [f(x, c), c]);
        }
        self.unary_op(1, backward, |x, out| {
            let (y, aux) = out.split_at_mut(R * C);
            for (o, &v) in y.iter_mut().zip(x) {
                *o = f(v, c);
            }
            aux[0] = c;
        })
    }
}
