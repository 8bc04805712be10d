//! The scalar math of the ops a replay interprets: one [`Code`] per op, whose
//! [`eval`](Code::eval) is the op's 1×1 forward when recording and its forward when a
//! replay runs it again (`engine/replay.rs`: `run_program`). Same function, same inputs,
//! same bits.
//!
//! A replay runs any other op as the boxed closure its tape kept: an indirect call, the split
//! of the value buffer at its region, its own bounds checks. A coded op is a match arm of the
//! interpreter's loop instead (the arithmetic codes), or a call through a plain `fn` pointer
//! (`Map`, `Zip`: the element-wise ops whose closure captures nothing, through
//! [`map_fn`](crate::Tensor::map_fn) and [`zip_fn`](crate::Tensor::zip_fn)).
//!
//! Only the ops that build scalar code are coded: `+ − × ÷` of tensors and with plain scalars,
//! negation, `exp`, `square`, the element-wise ops written with `map_fn`/`zip_fn` (`sin`,
//! `cos`, `tan`, `sigmoid`, `tanh`, `atan2`, `hypot`, …), and the element-wise ops whose
//! rules read the values, through `elementwise_fn`/`elementwise2_fn` (`ln`, `sqrt`, `abs`,
//! `relu`, `max`, `min`); not the maps that capture a constant (`powf(c)`, `clamp`). Their
//! matrix paths compute each output element with the same function, so the 1×1 and the
//! matrix path keep giving the same bits (invariant 8).

use crate::Scalar;

/// A plain element-wise function of one operand, as [`map`](crate::Tensor::map) takes it:
/// `f(x, want) = (y, dy/dx)`, the derivative `Some` when `want`.
pub(crate) type MapFn<T> = fn(T, bool) -> (T, Option<T>);

/// A plain element-wise function of two operands, as [`zip`](crate::Tensor::zip) takes it:
/// `f(a, b, want) = (y, [∂y/∂a, ∂y/∂b])`, the partials `Some` when `want`.
pub(crate) type ZipFn<T> = fn(T, T, bool) -> (T, Option<[T; 2]>);

/// A coded op's 1×1 math. The constants are the op's plain scalars (`x + c`: `AddC(c)`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Code<T> {
    /// `-x`: `[y, -1]`.
    Neg,
    /// `a + b`: `[y, 1, 1]`.
    Add,
    /// `a − b`, as `a + (−b)` (see `Sub for Tensor`): `[y, 1, −1]`.
    Sub,
    /// `a ⊙ b`: `[y, b, a]`.
    Mul,
    /// `a / b`: `[y]` (its rule reads the values).
    Div,
    /// `x²`: `[y, 2x]`.
    Square,
    /// `eˣ`: `[y, y]`.
    Exp,
    /// `x + c`: `[y, 1]`.
    AddC(T),
    /// `c − x`, as `c + (−x)`: `[y, −1]`.
    SubFromC(T),
    /// `x·c`: `[y, c]`.
    MulC(T),
    /// `x / c`: `[y, c]`.
    DivC(T),
    /// `c / x`: `[y]`.
    DivIntoC(T),
    /// [`map`](crate::Tensor::map)'s `f(x, want)`: `[y, d]` (`[y, y]` without `d`).
    Map(MapFn<T>),
    /// [`zip`](crate::Tensor::zip)'s `f(a, b, want)`: `[y, da, db]` (`[y, y, y]` without).
    Zip(ZipFn<T>),
    /// `f(x)` of an element-wise op whose rule reads the values (`ln`, `sqrt`, `abs`,
    /// `relu`): `[y]`.
    Fn1(fn(T) -> T),
    /// `f(a, b)` of an element-wise op of two operands whose rule reads the values (`max`,
    /// `min`): `[y]`.
    Fn2(fn(T, T) -> T),
}

impl<T: Scalar> Code<T> {
    /// The scalars the op stores on 1×1 operands `a` and `b` (`b` unused by one-operand ops):
    /// its output, then its aux; the first [`len`](Code::len) are meaningful. `want` is
    /// `map`'s and `zip`'s: whether an operand needs a gradient.
    #[inline(always)]
    pub(crate) fn eval(self, a: T, b: T, want: bool) -> [T; 3] {
        let one = T::one();
        let pad = T::zero();
        match self {
            Code::Neg => [-a, -one, pad],
            Code::Add => [a + b, one, one],
            Code::Sub => [a + (-b), one, -one],
            Code::Mul => [a * b, b, a],
            Code::Div => [a / b, pad, pad],
            Code::Square => [a * a, a + a, pad],
            Code::Exp => {
                let y = a.exp();
                [y, y, pad]
            }
            Code::AddC(c) => [a + c, one, pad],
            Code::SubFromC(c) => [c + (-a), -one, pad],
            Code::MulC(c) => [a * c, c, pad],
            Code::DivC(c) => [a / c, c, pad],
            Code::DivIntoC(c) => [c / a, pad, pad],
            Code::Map(f) => {
                let (y, d) = f(a, want);
                [y, d.unwrap_or(y), pad]
            }
            Code::Zip(f) => {
                let (y, d) = f(a, b, want);
                let [da, db] = d.unwrap_or([y, y]);
                [y, da, db]
            }
            Code::Fn1(f) => [f(a), pad, pad],
            Code::Fn2(f) => [f(a, b), pad, pad],
        }
    }

    /// How many scalars the op stores on 1×1: its output and aux.
    #[inline(always)]
    pub(crate) fn len(self) -> usize {
        match self {
            Code::Div | Code::DivIntoC(_) | Code::Fn1(_) | Code::Fn2(_) => 1,
            Code::Add | Code::Sub | Code::Mul | Code::Zip(_) => 3,
            _ => 2,
        }
    }

    /// Whether `other` is the same op with the same constant (equal, or both NaN). The `fn`
    /// pointers of `Map`, `Zip`, `Fn1` and `Fn2` are not compared: one function may have
    /// several addresses (one per codegen unit), so a check compares what they wrote instead.
    pub(crate) fn same(self, other: Self) -> bool {
        #[allow(clippy::eq_op)] // NaN is the one value unequal to itself
        let eq = |a: T, b: T| a == b || (a != a && b != b);
        match (self, other) {
            (Code::AddC(a), Code::AddC(b))
            | (Code::SubFromC(a), Code::SubFromC(b))
            | (Code::MulC(a), Code::MulC(b))
            | (Code::DivC(a), Code::DivC(b))
            | (Code::DivIntoC(a), Code::DivIntoC(b)) => eq(a, b),
            _ => core::mem::discriminant(&self) == core::mem::discriminant(&other),
        }
    }
}
