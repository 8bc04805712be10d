//! The typed view a backward rule gets: what it may read and how it writes.
//!
//! A rule reads its operands' values, its output's values, its aux scalars and its upstream
//! gradient `grad_out`, and writes each operand's gradient exactly once: [`Grad`] and
//! [`Grads`] are consumed by the write, and are `#[must_use]`, so a second write or a
//! forgotten one is caught at compile time (a forgotten write would leave a region the walk
//! has marked as written holding stale data). Whether a write assigns (the walk's first
//! contribution to that region) or adds (a later one), or is skipped (the operand needs no
//! gradient), is the engine's business: the rule says `∂x += terms` and the view does the
//! right one. Everything here is `#[inline(always)]` over plain slices, so a rule compiles to
//! what the hand-written slice code compiled to.

use crate::Scalar;

use super::node::{Offsets, SEEN, WRITE, Write, region_len};

/// What the walk hands a node's backward rule: its offsets, how to write each operand, the
/// tape's values and the gradient buffer. Turn it into the view of the op's arity with
/// [`unary`](Rule::unary) or [`binary`](Rule::binary).
pub(crate) struct Rule<'r, T> {
    pub(super) at: &'r Offsets,
    /// [`WRITE`] | [`SEEN`] for the first operand, the same shifted left by 2 for the second.
    pub(super) write: u32,
    pub(super) values: &'r [T],
    pub(super) grads: &'r mut [T],
}

/// A one-operand op's view: `y = f(x)`.
pub(crate) struct Unary<'r, T> {
    /// The operand's values.
    pub(crate) x: &'r [T],
    /// The output's values.
    pub(crate) y: &'r [T],
    /// The aux scalars the forward stored after the output (this slice runs on to the end of
    /// the tape: take the length the op stored).
    pub(crate) aux: &'r [T],
    /// The upstream gradient `∂y`, one scalar per output scalar.
    pub(crate) grad_out: &'r [T],
    /// Where `∂x` goes.
    pub(crate) grad_x: Grad<'r, T>,
}

/// A two-operand op's view: `y = f(lhs, rhs)`. The operands may be one tensor (`x * x`).
pub(crate) struct Binary<'r, T> {
    /// The first operand's values.
    pub(crate) lhs: &'r [T],
    /// The second operand's values.
    pub(crate) rhs: &'r [T],
    /// The output's values.
    pub(crate) y: &'r [T],
    /// The aux scalars after the output (to the end of the tape, as [`Unary::aux`]).
    pub(crate) aux: &'r [T],
    /// The upstream gradient `∂y`.
    pub(crate) grad_out: &'r [T],
    /// Where `∂lhs` and `∂rhs` go, in that order.
    pub(crate) grads: Grads<'r, T>,
}

impl<'r, T: Scalar> Rule<'r, T> {
    /// The view of a one-operand op with `x_len` operand and `y_len` output scalars.
    #[inline(always)]
    pub(crate) fn unary(self, x_len: usize, y_len: usize) -> Unary<'r, T> {
        let (out, a) = (self.at.out as usize, self.at.a as usize);
        let (before, after) = self.grads.split_at_mut(out);
        Unary {
            x: &self.values[a..][..x_len],
            y: &self.values[out..][..y_len],
            aux: &self.values[out + region_len(y_len)..],
            grad_out: &after[..y_len],
            grad_x: Grad {
                dst: &mut before[a..][..x_len],
                mode: Write::of(self.write, 0),
            },
        }
    }

    /// The view of a two-operand op with `lhs_len`, `rhs_len` operand and `y_len` output
    /// scalars.
    #[inline(always)]
    pub(crate) fn binary(self, lhs_len: usize, rhs_len: usize, y_len: usize) -> Binary<'r, T> {
        let (out, a, b) = (self.at.out as usize, self.at.a as usize, self.at.b as usize);
        let (before, after) = self.grads.split_at_mut(out);
        Binary {
            lhs: &self.values[a..][..lhs_len],
            rhs: &self.values[b..][..rhs_len],
            y: &self.values[out..][..y_len],
            aux: &self.values[out + region_len(y_len)..],
            grad_out: &after[..y_len],
            grads: Grads {
                before,
                a,
                b,
                lhs_len,
                rhs_len,
                write: self.write,
            },
        }
    }
}

impl Write {
    /// `β` for kernels that compute `dst = … + β·dst` (`gemm`, `ger`): 0 to assign, 1 to add.
    #[inline(always)]
    pub(crate) fn beta<T: Scalar>(self) -> T {
        if self == Write::Add {
            T::one()
        } else {
            T::zero()
        }
    }

    /// `*d (+)= t`: assigned or added as the mode says.
    #[inline(always)]
    pub(crate) fn put<T: Scalar>(self, d: &mut T, t: T) {
        *d = if self == Write::Add { *d + t } else { t };
    }
}

/// One operand's gradient region, written once: `∂x += terms`.
#[must_use = "a backward rule must write every operand's gradient"]
pub(crate) struct Grad<'r, T> {
    dst: &'r mut [T],
    mode: Write,
}

impl<T: Scalar> Grad<'_, T> {
    /// `∂x += terms`, one term per scalar of the operand, in order.
    #[inline(always)]
    pub(crate) fn add(self, terms: impl IntoIterator<Item = T>) {
        write(self.dst, self.mode, terms);
    }

    /// Hands the region to a kernel that writes it in place, with the mode to write in
    /// ([`Write::Assign`] or [`Write::Add`]; see [`Write::beta`], [`Write::put`]). Not
    /// called when the operand needs no gradient.
    #[inline(always)]
    pub(crate) fn add_with(self, kernel: impl FnOnce(&mut [T], Write)) {
        if self.mode != Write::Skip {
            kernel(self.dst, self.mode);
        }
    }
}

/// Both operands' gradient regions, written `lhs` first, then `rhs`.
#[must_use = "a backward rule must write every operand's gradient"]
pub(crate) struct Grads<'r, T> {
    before: &'r mut [T],
    a: usize,
    b: usize,
    lhs_len: usize,
    rhs_len: usize,
    write: u32,
}

impl<'r, T: Scalar> Grads<'r, T> {
    /// `∂lhs += terms_lhs`, then `∂rhs += terms_rhs`: the rule of every element-wise op of
    /// two operands.
    ///
    /// For an operand used twice (`x * x`) both go to one region: each scalar gets its two
    /// contributions in that same order, held in a register between them rather than stored
    /// and read back (on a chain of scalar ops, a store-to-load round trip saved).
    #[inline(always)]
    pub(crate) fn add(
        self,
        terms_lhs: impl IntoIterator<Item = T>,
        terms_rhs: impl IntoIterator<Item = T>,
    ) {
        const BOTH: u32 = WRITE | (WRITE << 2);
        if self.a == self.b && self.write & BOTH == BOTH && self.lhs_len == self.rhs_len {
            // `rhs`'s mode is Add: the walk stamped the region for `lhs` first
            let dst = self.before[self.a..][..self.lhs_len].iter_mut();
            let terms = terms_lhs.into_iter().zip(terms_rhs);
            if self.write & SEEN != 0 {
                dst.zip(terms).for_each(|(d, (x, y))| *d = (*d + x) + y);
            } else {
                dst.zip(terms).for_each(|(d, (x, y))| *d = x + y);
            }
        } else {
            self.lhs(terms_lhs).add(terms_rhs);
        }
    }

    /// `∂lhs += terms`; returns the region of `∂rhs`, to be written next.
    #[inline(always)]
    pub(crate) fn lhs(self, terms: impl IntoIterator<Item = T>) -> Grad<'r, T> {
        write(
            &mut self.before[self.a..][..self.lhs_len],
            Write::of(self.write, 0),
            terms,
        );
        self.rhs()
    }

    /// `∂lhs` written in place by a kernel (as [`Grad::add_with`]); returns the region of
    /// `∂rhs`, to be written next.
    #[inline(always)]
    pub(crate) fn lhs_with(self, kernel: impl FnOnce(&mut [T], Write)) -> Grad<'r, T> {
        let mode = Write::of(self.write, 0);
        if mode != Write::Skip {
            kernel(&mut self.before[self.a..][..self.lhs_len], mode);
        }
        self.rhs()
    }

    /// The `rhs` region, handed out only after the `lhs` write: the two are one region when
    /// the operand is used twice.
    #[inline(always)]
    fn rhs(self) -> Grad<'r, T> {
        Grad {
            dst: &mut self.before[self.b..][..self.rhs_len],
            mode: Write::of(self.write, 1),
        }
    }
}

/// `dst (+)= terms` as `mode` says.
#[inline(always)]
fn write<T: Scalar>(dst: &mut [T], mode: Write, terms: impl IntoIterator<Item = T>) {
    match mode {
        Write::Skip => {}
        Write::Assign => dst.iter_mut().zip(terms).for_each(|(d, t)| *d = t),
        Write::Add => dst.iter_mut().zip(terms).for_each(|(d, t)| *d += t),
    }
}
