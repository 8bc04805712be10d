//! The ops, one file per family. Each op computes its output and, right below, names its
//! backward rule; the helpers here do the recording so op files hold only the math.

use crate::tape::{BackwardFn, Op, Operand, Slots, same_tape, split_grads};
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
    /// What a one-operand op records besides its output: the operand, `aux` scratch scalars
    /// and the rule.
    #[inline(always)]
    fn unary_record(self, aux: usize, backward: BackwardFn<T>) -> (Operand, Op<T>) {
        let x = self.operand();
        let op = Op {
            inputs: [Some(x), None],
            aux,
            backward,
            partials: false,
        };
        (x, op)
    }

    /// What a two-operand op records besides its output: both operands and the rule.
    ///
    /// Panics, naming the op, if the operands are on different tapes.
    #[inline(always)]
    fn binary_record<const R1: usize, const C1: usize>(
        self,
        rhs: Tensor<'t, R1, C1, T>,
        name: &'static str,
        backward: BackwardFn<T>,
    ) -> (Operand, Operand, Op<T>) {
        same_tape(name, self.tape(), rhs.tape());
        let (a, b) = (self.operand(), rhs.operand());
        let op = Op {
            inputs: [Some(a), Some(b)],
            aux: 0,
            backward,
            partials: false,
        };
        (a, b, op)
    }

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
        let (x, op) = self.unary_record(aux, backward);
        self.tape().record(op, |values, out| {
            let start = x.off as usize;
            forward(&values[start..start + R * C], out)
        })
    }

    /// Records a one-operand op of a 1×1 tensor: `f(x)` returns the output followed by the
    /// `K - 1` aux scalars its backward rule reads (at `Slots::b`), or, with `partials`,
    /// `[y, ∂y/∂x]` for the shared partials rule (`backward` is then unused). Only called
    /// when `R·C = 1`.
    #[inline(always)]
    pub(crate) fn unary_scalar_op<const K: usize>(
        self,
        backward: BackwardFn<T>,
        partials: bool,
        f: impl FnOnce(T) -> [T; K],
    ) -> Self {
        let (_, mut op) = self.unary_record(K - 1, backward);
        if partials {
            op = op.with_partials();
        }
        self.tape().record_scalar(op, f(self.scalar())).retype()
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
        let (a, b, op) = self.binary_record(rhs, name, backward);
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
            let y = f(self.scalar(), rhs.scalar());
            return self.binary_scalar_op(rhs, name, backward, false, [y]);
        }
        self.zip_matrix(rhs, name, backward, f)
    }

    /// [`zip_op`](Tensor::zip_op) for an op whose partial derivatives are known in the
    /// forward pass and whose rule is `∂a += ∂y ⊙ ∂y/∂a`, `∂b += ∂y ⊙ ∂y/∂b`:
    /// `f(a, b) = (y, [∂y/∂a, ∂y/∂b])`. A 1×1 output stores the partials and takes the shared
    /// partials rule, which the walk runs inline; a larger one stores `y` and takes `backward`.
    #[inline(always)]
    pub(crate) fn zip_op_d(
        self,
        rhs: Self,
        name: &'static str,
        backward: BackwardFn<T>,
        f: impl Fn(T, T) -> (T, [T; 2]),
    ) -> Self {
        if R * C == 1 {
            let (y, [da, db]) = f(self.scalar(), rhs.scalar());
            return self.binary_scalar_op(rhs, name, backward, true, [y, da, db]);
        }
        self.zip_matrix(rhs, name, backward, |a, b| f(a, b).0)
    }

    /// Records a two-operand op of 1×1 tensors whose output and aux scalars `out` are
    /// computed (from the handles' values): with `partials`, `out` is `[y, ∂y/∂a, ∂y/∂b]`
    /// for the shared partials rule. Only called when `R·C = 1`.
    #[inline(always)]
    fn binary_scalar_op<const K: usize>(
        self,
        rhs: Self,
        name: &'static str,
        backward: BackwardFn<T>,
        partials: bool,
        out: [T; K],
    ) -> Self {
        let (_, _, mut op) = self.binary_record(rhs, name, backward);
        if partials {
            op = op.with_partials();
        }
        self.tape().record_scalar(op, out).retype()
    }

    /// The general path of [`zip_op`](Tensor::zip_op): `out[i] = f(a[i], b[i])`.
    #[inline(always)]
    fn zip_matrix(
        self,
        rhs: Self,
        name: &'static str,
        backward: BackwardFn<T>,
        f: impl Fn(T, T) -> T,
    ) -> Self {
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
            return self.unary_scalar_op(backward, false, |x| [f(x)]);
        }
        self.map_matrix(backward, f)
    }

    /// [`map_op`](Tensor::map_op) for an op whose derivative is known in the forward pass and
    /// whose rule is `∂x += ∂y ⊙ ∂y/∂x`: `f(x) = (y, ∂y/∂x)`. A 1×1 output stores the
    /// derivative and takes the shared partials rule; a larger one stores `y` and takes
    /// `backward`.
    #[inline(always)]
    pub(crate) fn map_op_d(self, backward: BackwardFn<T>, f: impl Fn(T) -> (T, T)) -> Self {
        if R * C == 1 {
            return self.unary_scalar_op(backward, true, |x| {
                let (y, d) = f(x);
                [y, d]
            });
        }
        self.map_matrix(backward, |x| f(x).0)
    }

    /// The general path of [`map_op`](Tensor::map_op): `out[i] = f(x[i])`.
    #[inline(always)]
    fn map_matrix(self, backward: BackwardFn<T>, f: impl Fn(T) -> T) -> Self {
        self.unary_op(0, backward, |x, out| {
            for (o, &v) in out[..R * C].iter_mut().zip(x) {
                *o = f(v);
            }
        })
    }

    /// Records an element-wise op that computes its derivative with its value:
    /// `f(x) = (y, ∂y/∂x)` (`sigmoid`, `tanh`, `powi`). The derivatives go to the node's aux
    /// region (all outputs, then all derivatives) and the rule is one multiply per element,
    /// [`stored_derivative_backward`]; a 1×1 output's `[y, d]` is the partials layout, so the
    /// walk runs it inline.
    #[inline(always)]
    pub(crate) fn map_with_derivative(self, f: impl Fn(T) -> (T, T)) -> Self {
        let backward = stored_derivative_backward::<T, R, C>;
        if R * C == 1 {
            return self.unary_scalar_op(backward, true, |x| {
                let (y, d) = f(x);
                [y, d]
            });
        }
        self.unary_op(R * C, backward, |x, out| {
            let (y, d) = out.split_at_mut(R * C);
            for ((y, d), &x) in y.iter_mut().zip(d).zip(x) {
                (*y, *d) = f(x);
            }
        })
    }

    /// Records an element-wise op of the operand and a plain scalar `c`, which is kept in a
    /// one-scalar aux region (at `Slots::b`) for the backward rule. With `c_is_derivative`
    /// (`x·c`), a 1×1 output's `[y, c]` doubles as `[y, ∂y/∂x]` and takes the shared partials
    /// rule.
    #[inline(always)]
    pub(crate) fn scalar_op(
        self,
        c: T,
        c_is_derivative: bool,
        backward: BackwardFn<T>,
        f: impl Fn(T, T) -> T,
    ) -> Self {
        if R * C == 1 {
            return self.unary_scalar_op(backward, c_is_derivative, |x| [f(x, c), c]);
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

/// `∂x += ∂y ⊙ d` where the forward pass stored `d = ∂y/∂x` in the aux region at `b`: the
/// rule of [`map_with_derivative`](Tensor::map_with_derivative).
fn stored_derivative_backward<T: Scalar, const R: usize, const C: usize>(
    s: Slots,
    v: &[T],
    g: &mut [T],
) {
    let n = R * C;
    let (before, grad_out) = split_grads(g, s.out(), n);
    let d = &v[s.b()..][..n];
    s.grad_a(before, n, grad_out.iter().zip(d).map(|(&go, &d)| go * d));
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use nalgebra::Vector2;

    /// Applies `$op` to a 1×1 variable (the `record_scalar` path) and to a 2×1 variable holding
    /// the same value twice (the general path), and asserts values and gradients agree bit for
    /// bit (NaN matching NaN). `$x`, `$m` name the operands inside `$op`.
    macro_rules! same_on_both_paths {
        ($v:expr, |$x:ident| $op:expr) => {{
            let tape = Tape::<f64>::new();
            let v: f64 = $v;
            let s = tape.var_scalar(v);
            let m = tape.var(Vector2::new(v, v));
            let ys = {
                let $x = s;
                $op
            };
            let ym = {
                let $x = m;
                $op
            };
            let (gs, gm) = (ys.backward().wrt(s)[0], ym.sum().backward().wrt(m)[0]);
            let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
            let what = stringify!($op);
            assert!(same(ys.item(), ym.value()[0]), "{what} at {v}: value");
            assert!(same(gs, gm), "{what} at {v}: gradient {gs} vs {gm}");
        }};
    }

    #[test]
    fn scalar_path_matches_matrix_path() {
        for v in [-800.0, -30.0, -2.0, -0.5, 0.0, 0.1, 0.75, 3.0, 40.0, 800.0] {
            same_on_both_paths!(v, |x| x.sigmoid());
            same_on_both_paths!(v, |x| x.tanh());
            same_on_both_paths!(v, |x| x.exp());
            same_on_both_paths!(v, |x| x.ln());
            same_on_both_paths!(v, |x| x.sqrt());
            same_on_both_paths!(v, |x| x.powi(3));
            same_on_both_paths!(v, |x| x.square());
            same_on_both_paths!(v, |x| x.abs());
            same_on_both_paths!(v, |x| x.relu());
            same_on_both_paths!(v, |x| -x);
            same_on_both_paths!(v, |x| x + 1.5);
            same_on_both_paths!(v, |x| x - 1.5);
            same_on_both_paths!(v, |x| x * 1.5);
            same_on_both_paths!(v, |x| x / 1.5);
            same_on_both_paths!(v, |x| 1.5 - x);
            same_on_both_paths!(v, |x| 1.5 / x);
            same_on_both_paths!(v, |x| x + x);
            same_on_both_paths!(v, |x| x - x);
            same_on_both_paths!(v, |x| x * x);
            same_on_both_paths!(v, |x| x / x);
            same_on_both_paths!(v, |x| x.max(x * 0.5));
            same_on_both_paths!(v, |x| x.min(x * 0.5));
            same_on_both_paths!(v, |x| x.powi(0));
            same_on_both_paths!(v, |x| x.powi(-2));
            // distinct operands (the cases above reuse one)
            same_on_both_paths!(v, |x| x + x * 0.5);
            same_on_both_paths!(v, |x| x - x * 0.5);
            same_on_both_paths!(v, |x| x * (x + 0.5));
            same_on_both_paths!(v, |x| x / (x + 0.5));
            same_on_both_paths!(v, |x| (x * 0.5).max(x));
            same_on_both_paths!(v, |x| (x * x).exp() * x.sigmoid());
        }
    }
}
