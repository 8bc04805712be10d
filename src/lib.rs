//! Reverse-mode automatic differentiation (backpropagation) over statically shaped
//! [nalgebra](https://nalgebra.rs) matrices.
//!
//! A [`Tape`] records operations on [`Tensor`]s whose shape is part of their type, so a
//! matrix product or an element-wise op with mismatched dimensions does not compile. One
//! [`backward`](Tensor::backward) walk over the tape gives exact gradients with respect to
//! every input, in `f32` or `f64`.
//!
//! # Quick start
//!
//! ```
//! use approx::assert_relative_eq;
//! use nalgebra::{Matrix2x3, Vector2, Vector3};
//! use shapegrad::Tape;
//!
//! // loss = Σ σ(W x + b)
//! let tape = Tape::new();
//! let w = tape.var(Matrix2x3::new(0.1, -0.2, 0.3, 0.4, 0.5, -0.6));
//! let b = tape.var(Vector2::new(0.5, -0.5));
//! let x = tape.constant(Vector3::new(1.0, 2.0, 3.0));
//! let loss = (w.matmul(x) + b).sigmoid().sum();
//!
//! let grads = loss.backward();
//! let grad_w: Matrix2x3<f64> = grads.wrt(w);
//! let grad_b: Vector2<f64> = grads.wrt(b);
//!
//! // ∂loss/∂b = σ'(Wx + b) = σ(1 - σ); ∂loss/∂W = ∂loss/∂b · xᵀ
//! let z = Matrix2x3::new(0.1, -0.2, 0.3, 0.4, 0.5, -0.6) * Vector3::new(1.0, 2.0, 3.0)
//!     + Vector2::new(0.5, -0.5);
//! let s = z.map(|z: f64| 1.0 / (1.0 + (-z).exp()));
//! let expected_b = s.component_mul(&s.map(|s| 1.0 - s));
//! assert_relative_eq!(grad_b, expected_b, max_relative = 1e-14);
//! assert_relative_eq!(grad_w, expected_b * Vector3::new(1.0, 2.0, 3.0).transpose(), max_relative = 1e-14);
//! ```
//!
//! # Conventions
//!
//! - **`*` is element-wise.** On tensors, `a * b` is the Hadamard product and
//!   [`a.matmul(b)`](Tensor::matmul) is the matrix product — unlike nalgebra, where `*` is the
//!   matrix product. `+ - * /` take two tensors of one shape, or a tensor and a plain scalar on
//!   either side (`1.0 / (1.0 + (-z).exp())`). Broadcasting is explicit and typed:
//!   [`broadcast`](Tensor::broadcast) (1×1 to any shape),
//!   [`broadcast_cols`](Tensor::broadcast_cols) (a column across columns),
//!   [`broadcast_rows`](Tensor::broadcast_rows) (a row across rows).
//! - **Shapes**: `Tensor<'t, R, C, T = f64>` is `R` rows by `C` columns; vectors are `R×1`.
//!   Values come out as nalgebra's [`SMatrix<T, R, C>`](nalgebra::SMatrix) and are stored
//!   **column-major**, as in nalgebra (relevant for [`Tape::var_from_slice`] and
//!   [`Gradients::slice`]).
//! - **Scalars**: any [`Scalar`] (`f32`, `f64`, or another `Copy` real field). `Tape::new()`
//!   infers its scalar from use; write `Tape::<f64>::new()` where only float literals would
//!   decide it.
//! - **Gradients accumulate**: a tensor used `k` times receives the sum over all `k` paths.
//!   [`Gradients::wrt`] returns zeros for tensors the output does not depend on and for
//!   [constants](Tape::constant).
//! - **IEEE inf/NaN**: ops follow IEEE 754 and never panic on values: NaN propagates and
//!   overflow gives `±inf` (`exp(800.0)` is `inf`, and so is its gradient). The primitive
//!   [`sigmoid`](Tensor::sigmoid) and [`tanh`](Tensor::tanh) are finite and accurate, value
//!   and gradient, for every finite input.
//! - **Panics** are for misuse only: combining tensors of two tapes in one op (the message
//!   names the op); asking a [`Gradients`] about a tensor of another tape, or of a recording
//!   started by [`Tape::clear`] after it; using a [`Param`] with another tape, or asking
//!   gradients about one made after them; a slice of the wrong length
//!   ([`Tape::var_from_slice`], [`Tape::param_from_slice`]); a class index out of range in
//!   [`loss::cross_entropy`]; recording on a tape from inside its
//!   [`with_slice`](Tensor::with_slice) closure; a tape past 2³² − 1 scalars (clear it
//!   between steps); a part outside its tensor ([`at`](Tensor::at),
//!   [`fixed_view`](Tensor::fixed_view), [`row`](Tensor::row), …; the message names the op,
//!   the part and the shape); [`clamp`](Tensor::clamp) with `lo > hi` or a NaN bound. Ops
//!   that can fail on values return `Option` instead ([`try_inverse`](Tensor::try_inverse),
//!   [`solve`](Tensor::solve), [`cholesky`](Tensor::cholesky)), recording nothing on `None`.
//!
//! # How it works
//!
//! Each op appends a node to the tape (in creation order) and writes its output into the
//! tape's one contiguous value buffer; a node is a plain function pointer to its backward
//! rule, the offsets of its output and operands, and flags saying which operands need a
//! gradient (24 bytes, no allocation of its own). Whether a tensor needs a gradient travels in
//! its handle, so an op on constants only is marked as needing none and the walk skips it.
//! `backward` seeds the output's gradient and walks the nodes once in reverse — a
//! topological order by construction, with no recursion — running the rule of every node
//! the output reaches and skipping the rest. A 1×1 op whose rule is `∂x += ∂y·d` (`+`, `-`,
//! `*`, `exp`, `sigmoid`, `tanh`, …) stores its local derivatives next to its value, and the
//! walk applies them inline, without calling a rule.
//! A rule's first contribution to an operand's gradient is written and later ones are added,
//! so the reused gradient buffer needs no zeroing pass; a per-offset stamp tells the walk, and
//! [`Gradients`], which regions the last walk wrote. Tensors are `Copy` handles (24 bytes in
//! f32 and f64: a reference to the tape, one integer holding the value offset and the
//! needs-grad bit, and a 1×1 tensor's value, so that scalar code computes on values in
//! registers) that borrow the tape, so a tape outlives its tensors and [`Tape::clear`] (which keeps capacity, and the
//! [parameters](Tape::param), for the next step) cannot invalidate one.
//! `docs/design.md` in the repository has the details.
//!
//! # Training
//!
//! A network's weights are [`Param`]s made with [`Tape::param`]: they stay on the tape across
//! [`clear`](Tape::clear), and each step reads them with [`Tape::get`]. The [`loss`] module
//! has the losses and the [`optim`] module the optimizers ([`optim::Sgd`], [`optim::Adam`]),
//! so a step is `tape.clear()`, the forward pass, `loss.backward_into(&mut grads)`,
//! `opt.step(&mut tape, &grads)`, and allocates nothing once warmed up. `docs/training.md`
//! walks through `examples/two_layer_net` (a two-layer net trained on two moons).
//!
//! # Beyond first derivatives
//!
//! - [`jacobian`]`(&f, &x)`: `f(x)` and the `M×N` Jacobian of a [`VectorFn`] `f: ℝᴺ → ℝᴹ`,
//!   in forward mode for tall Jacobians (`N ≤ M` and `N ≤ 8`, feature `dual`: one pass on
//!   `N`-lane dual numbers) and reverse mode otherwise; [`jacobian_reverse`] and `jacobian_forward` pick a
//!   mode explicitly, and [`Tensor::jacobian`] is the Jacobian of an output already recorded,
//!   by `M` reverse sweeps.
//! - [`check_gradient`]: shapegrad's gradient of a function against central finite
//!   differences, with `torch.autograd.gradcheck`'s defaults, returning a
//!   [`GradCheckReport`]; [`GradCheck`] changes the step and tolerances, and
//!   [`check_gradient_with`] checks a gradient given as a plain function.
//! - With the cargo feature `dual`: `hvp(f, x, v)` returns `(f(x), ∇f(x), H(x)·v)` by
//!   forward-over-reverse (the tape run on `num_dual::Dual64` dual numbers), and
//!   `hessian(f, x)` the full Hessian by `N` such products.
//!
//! `check_gradient`, `hvp` and `hessian` take the function as a [`ScalarFn`]: a type with one
//! method generic over the scalar, so one definition runs in `f64` and on dual numbers.
//! `docs/higher-order.md` in the repository explains forward-over-reverse, works through the
//! notebook's graph function and its Hessian, and measures the cost.
//!
//! # Record once, evaluate many
//!
//! A function evaluated many times (an optimiser's objective, a controller's model) can be
//! recorded once on [`Tape::for_replay`] and run again at new inputs through a
//! [`Recording`] (any leaf an [`Input`], constants as data), or as a [`ReplayFn`] /
//! [`ReplayVectorFn`] for a [`ScalarFn`] / [`VectorFn`]: the same bits as recording afresh, no
//! allocation per evaluation. Control flow in the function's own code is not captured; the
//! checked forms report it ([`ReplayError::Changed`]). See `docs/replay.md`.
//!
//! # Embedded and real-time
//!
//! Without the default feature `std` the crate is `#![no_std]` with `alloc`: no buffer pool,
//! float functions from `libm` (within 1–3 ulps of std's; `+ − × ÷ √` and products exact).
//! [`Tape::fixed`] makes a tape that never allocates after it is built; an op past its room
//! panics or stops the recording, as its [`OnFull`] says, and [`Tensor::try_backward`]
//! returns the [`CapacityError`].
//!
//! # Solvers
//!
//! With the cargo feature `levenberg-marquardt`, `levenberg_marquardt::LeastSquares` is that
//! solver's `LeastSquaresProblem` for a [`VectorFn`] of residuals (residuals and Jacobian once
//! per `set_params`). With the cargo feature `argmin`, `argmin::Cost` makes a [`ScalarFn`]
//! argmin's `CostFunction + Gradient` (and `Hessian` with `dual`: L-BFGS, Newton, …) and
//! `argmin::Residuals` a [`VectorFn`] its `Operator + Jacobian` (Gauss–Newton). Both solvers
//! are built on nalgebra 0.34 (shapegrad: 0.35); the crate re-exports it as `nalgebra_034`.
//! `docs/least-squares.md` says which Jacobian mode when, shows the user code for each
//! adapter and fits two NIST reference problems (`examples/curve_fit.rs`).
//!
//! # Ops
//!
//! | op | forward | backward | file |
//! |---|---|---|---|
//! | `-x` | `y = −x` | `∂x += −∂y` | `ops/arith.rs` |
//! | `a + b` | `y = a + b` | `∂a += ∂y`, `∂b += ∂y` | `ops/arith.rs` |
//! | `a - b` | `y = a − b` | `∂a += ∂y`, `∂b += −∂y` | `ops/arith.rs` |
//! | `a * b` | `y = a ⊙ b` | `∂a += ∂y ⊙ b`, `∂b += ∂y ⊙ a` | `ops/arith.rs` |
//! | `a / b` | `y = a ⊘ b` | `∂a += ∂y ⊘ b`, `∂b += −(∂y ⊙ y) ⊘ b` | `ops/arith.rs` |
//! | `x + c`, `c + x`, `x - c` | `y = x ± c` | `∂x += ∂y` | `ops/scalar_arith.rs` |
//! | `c - x` | `y = c − x` | `∂x += −∂y` | `ops/scalar_arith.rs` |
//! | `x * c`, `c * x` | `y = c·x` | `∂x += c·∂y` | `ops/scalar_arith.rs` |
//! | `x / c` | `y = x / c` | `∂x += ∂y / c` | `ops/scalar_arith.rs` |
//! | `c / x` | `y = c ⊘ x` | `∂x += −(∂y ⊙ y) ⊘ x` | `ops/scalar_arith.rs` |
//! | [`exp`](Tensor::exp) | `y = eˣ` | `∂x += ∂y ⊙ y` | `ops/exp_log.rs` |
//! | [`sigmoid`](Tensor::sigmoid) | `y = 1 / (1 + e⁻ˣ)` | `∂x += ∂y ⊙ σ(x)σ(−x)` | `ops/activation.rs` |
//! | [`tanh`](Tensor::tanh) | `y = tanh x` | `∂x += ∂y ⊙ sech² x` | `ops/activation.rs` |
//! | [`sin`](Tensor::sin) | `y = sin x` | `∂x += ∂y ⊙ cos x` | `ops/trig.rs` |
//! | [`cos`](Tensor::cos) | `y = cos x` | `∂x += −∂y ⊙ sin x` | `ops/trig.rs` |
//! | [`atan2`](Tensor::atan2) | `z = atan2(y, x)` | `∂y += ∂z ⊙ x/r²`, `∂x += −∂z ⊙ y/r²`, `r = hypot(x, y)` | `ops/trig.rs` |
//! | [`tan`](Tensor::tan) | `y = tan x` | `∂x += ∂y ⊙ (1 + y²)` | `ops/trig.rs` |
//! | [`asin`](Tensor::asin) | `y = asin x` | `∂x += ∂y ⊘ √((1 − x)(1 + x))` | `ops/arc.rs` |
//! | [`acos`](Tensor::acos) | `y = acos x` | `∂x += −∂y ⊘ √((1 − x)(1 + x))` | `ops/arc.rs` |
//! | [`atan`](Tensor::atan) | `y = atan x` | `∂x += ∂y ⊘ (1 + x²)` | `ops/arc.rs` |
//! | [`sinh`](Tensor::sinh) | `y = sinh x` | `∂x += ∂y ⊙ cosh x` | `ops/hyperbolic.rs` |
//! | [`cosh`](Tensor::cosh) | `y = cosh x` | `∂x += ∂y ⊙ sinh x` | `ops/hyperbolic.rs` |
//! | [`asinh`](Tensor::asinh) | `y = asinh x` | `∂x += ∂y ⊘ hypot(x, 1)` | `ops/hyperbolic.rs` |
//! | [`acosh`](Tensor::acosh) | `y = acosh x` | `∂x += ∂y ⊘ √((x − 1)(x + 1))` | `ops/hyperbolic.rs` |
//! | [`atanh`](Tensor::atanh) | `y = atanh x` | `∂x += ∂y ⊘ ((1 − x)(1 + x))` | `ops/hyperbolic.rs` |
//! | [`ln_1p`](Tensor::ln_1p) | `y = ln(1 + x)` | `∂x += ∂y ⊘ (1 + x)` | `ops/near_zero.rs` |
//! | [`exp_m1`](Tensor::exp_m1) | `y = eˣ − 1` | `∂x += ∂y ⊙ eˣ` | `ops/near_zero.rs` |
//! | [`recip`](Tensor::recip) | `y = 1/x` | `∂x += −∂y ⊙ y²` | `ops/pow.rs` |
//! | [`powf`](Tensor::powf) | `y = xᶜ`, `c` a plain scalar | `∂x += ∂y ⊙ c·xᶜ⁻¹` | `ops/pow.rs` |
//! | [`powf_tensor`](Tensor::powf_tensor) | `y = xᵖ`, `p` 1×1 | `∂x += ∂y ⊙ p·xᵖ⁻¹`, `∂p += Σ ∂y ⊙ y ln x` | `ops/pow.rs` |
//! | [`hypot`](Tensor::hypot) | `r = √(a² + b²)` | `∂a += ∂r ⊙ a/r`, `∂b += ∂r ⊙ b/r` | `ops/pow.rs` |
//! | [`at`](Tensor::at) | `y = xᵢⱼ` (1×1) | `∂xᵢⱼ += ∂y` | `ops/parts.rs` |
//! | [`fixed_view`](Tensor::fixed_view) | `Y = X[i..i+R₂, j..j+C₂]` | `∂X[block] += ∂Y` | `ops/parts.rs` |
//! | [`fixed_rows`](Tensor::fixed_rows) | `Y = X[i..i+N, ..]` | `∂X[rows] += ∂Y` | `ops/parts.rs` |
//! | [`fixed_columns`](Tensor::fixed_columns) | `Y = X[.., j..j+N]` | `∂X[columns] += ∂Y` | `ops/parts.rs` |
//! | [`row`](Tensor::row) | `y = X[i, ..]` (1×C) | `∂X[i, ..] += ∂y` | `ops/parts.rs` |
//! | [`column`](Tensor::column) | `y = X[.., j]` (R×1) | `∂X[.., j] += ∂y` | `ops/parts.rs` |
//! | [`vstack`](Tensor::vstack) | `Y = [A; B]` | `∂A += ∂Y[top]`, `∂B += ∂Y[bottom]` | `ops/assemble.rs` |
//! | [`hstack`](Tensor::hstack) | `Y = [A B]` | `∂A += ∂Y[left]`, `∂B += ∂Y[right]` | `ops/assemble.rs` |
//! | [`from_scalars`](Tensor::from_scalars) | `y = (s₀, …, s_{N−1})` | `∂sₖ += ∂yₖ` (composed) | `ops/assemble.rs` |
//! | [`from_columns`](Tensor::from_columns) | `Y = [c₀ … c_{C−1}]` | `∂cₖ += ∂Y[.., k]` (composed) | `ops/assemble.rs` |
//! | [`from_rows`](Tensor::from_rows) | `Y = [r₀; …; r_{R−1}]` | `∂rₖ += ∂Y[k, ..]` (composed) | `ops/assemble.rs` |
//! | [`norm_squared`](Tensor::norm_squared) | `y = Σ xᵢⱼ²` (1×1) | `∂x += 2∂y·x` | `ops/geometry.rs` |
//! | [`norm`](Tensor::norm) | `y = √Σ xᵢⱼ²` (1×1) | `∂x += ∂y·x/y` (0 at x = 0) | `ops/geometry.rs` |
//! | [`normalize`](Tensor::normalize) | `y = x/‖x‖` | `∂x += (∂y − y (y·∂y))/‖x‖` | `ops/geometry.rs` |
//! | [`cross`](Tensor::cross) | `c = a × b` (3-vectors) | `∂a += b × ∂c`, `∂b += ∂c × a` | `ops/geometry.rs` |
//! | [`cross_matrix`](Tensor::cross_matrix) | `S = [v]×` (3×1 → 3×3) | `∂v += (∂S₂₁ − ∂S₁₂, ∂S₀₂ − ∂S₂₀, ∂S₁₀ − ∂S₀₁)` | `ops/geometry.rs` |
//! | [`trace`](Tensor::trace) | `y = Σᵢ xᵢᵢ` (N×N → 1×1) | `∂xᵢᵢ += ∂y` | `ops/geometry.rs` |
//! | [`diagonal`](Tensor::diagonal) | `yᵢ = xᵢᵢ` (N×N → N×1) | `∂xᵢᵢ += ∂yᵢ` | `ops/geometry.rs` |
//! | [`determinant`](Tensor::determinant) | `y = det A` (N×N → 1×1) | `∂A += ∂y·det(A)·A⁻ᵀ` (cofactors) | `ops/linalg.rs` |
//! | [`try_inverse`](Tensor::try_inverse) | `C = A⁻¹`, `None` if singular | `∂A += −Cᵀ ∂C Cᵀ` | `ops/linalg.rs` |
//! | [`solve`](Tensor::solve) | `X = A⁻¹B` (LU), `None` if singular | `∂B += A⁻ᵀ∂X`, `∂A += −∂B Xᵀ` | `ops/linalg.rs` |
//! | [`cholesky`](Tensor::cholesky) | `L`, `A = LLᵀ`, `None` if not SPD | `G = L⁻ᵀΦ(Lᵀ∂L)L⁻¹` on the lower triangle (Murray's sweep) | `ops/cholesky.rs` |
//! | [`ln_determinant_spd`](Tensor::ln_determinant_spd) | `y = 2 Σ ln Lᵢᵢ` | `∂A += A⁻¹` on the lower triangle (composed) | `ops/cholesky.rs` |
//! | [`clamp`](Tensor::clamp) | `y = min(max(x, lo), hi)` | `∂x += ∂y ⊙ [lo ≤ x ≤ hi]` | `ops/clamp.rs` |
//! | [`sum`](Tensor::sum) | `y = Σᵢⱼ xᵢⱼ` (1×1) | `∂x += ∂y` | `ops/reduce.rs` |
//! | [`matmul`](Tensor::matmul) | `C = A·B` | `∂A += ∂C·Bᵀ`, `∂B += Aᵀ·∂C` | `ops/matmul.rs` |
//! | [`broadcast`](Tensor::broadcast) | `yᵢⱼ = x` | `∂x += Σᵢⱼ ∂yᵢⱼ` | `ops/broadcast.rs` |
//! | [`broadcast_cols`](Tensor::broadcast_cols) | `yᵢⱼ = xᵢ` | `∂xᵢ += Σⱼ ∂yᵢⱼ` | `ops/broadcast.rs` |
//! | [`broadcast_rows`](Tensor::broadcast_rows) | `yᵢⱼ = xⱼ` | `∂xⱼ += Σᵢ ∂yᵢⱼ` | `ops/broadcast.rs` |
//! | [`ln`](Tensor::ln) | `y = ln x` | `∂x += ∂y ⊘ x` | `ops/exp_log.rs` |
//! | [`sqrt`](Tensor::sqrt) | `y = √x` | `∂x += ∂y ⊘ 2y` | `ops/exp_log.rs` |
//! | [`powi`](Tensor::powi) | `y = xⁿ` | `∂x += ∂y ⊙ n·xⁿ⁻¹` | `ops/exp_log.rs` |
//! | [`square`](Tensor::square) | `y = x²` | `∂x += ∂y ⊙ 2x` | `ops/exp_log.rs` |
//! | [`abs`](Tensor::abs) | `y = \|x\|` | `∂x += ∂y ⊙ sign(x)`, `sign(0) = 0` | `ops/kinks.rs` |
//! | [`relu`](Tensor::relu) | `y = max(x, 0)` | `∂x += ∂y ⊙ [x > 0]` | `ops/kinks.rs` |
//! | [`max`](Tensor::max) | `y = max(a, b)` | `∂a += ∂y ⊙ [a > b]`, `∂b += ∂y ⊙ [b > a]`, `½∂y` each at `a = b` | `ops/kinks.rs` |
//! | [`min`](Tensor::min) | `y = min(a, b)` | `∂a += ∂y ⊙ [a < b]`, `∂b += ∂y ⊙ [b < a]`, `½∂y` each at `a = b` | `ops/kinks.rs` |
//! | [`transpose`](Tensor::transpose) | `y = xᵀ` (R×C → C×R) | `∂x += ∂yᵀ` | `ops/shape.rs` |
//! | [`dot`](Tensor::dot) | `y = aᵀb` (N×1, N×1 → 1×1) | `∂a += ∂y·b`, `∂b += ∂y·a` | `ops/reduce.rs` |
//! | [`mean`](Tensor::mean) | `y = Σᵢⱼ xᵢⱼ / (R·C)` (1×1) | `∂x += ∂y / (R·C)` (composed: `sum`, `/`) | `ops/reduce.rs` |
//! | [`sum_rows`](Tensor::sum_rows) | `yⱼ = Σᵢ xᵢⱼ` (R×C → 1×C) | `∂xᵢⱼ += ∂yⱼ` | `ops/reduce.rs` |
//! | [`sum_cols`](Tensor::sum_cols) | `yᵢ = Σⱼ xᵢⱼ` (R×C → R×1) | `∂xᵢⱼ += ∂yᵢ` | `ops/reduce.rs` |
//! | [`mean_rows`](Tensor::mean_rows) | `yⱼ = Σᵢ xᵢⱼ / R` (R×C → 1×C) | `∂xᵢⱼ += ∂yⱼ / R` (composed) | `ops/reduce.rs` |
//! | [`mean_cols`](Tensor::mean_cols) | `yᵢ = Σⱼ xᵢⱼ / C` (R×C → R×1) | `∂xᵢⱼ += ∂yᵢ / C` (composed) | `ops/reduce.rs` |
//! | [`softmax`](Tensor::softmax) | `y = eˣ / Σₖ eˣᵏ` per column | `∂x += y ⊙ (∂y − Σₖ ∂yₖyₖ)` per column | `ops/softmax.rs` |
//! | [`log_softmax`](Tensor::log_softmax) | `y = x − ln Σₖ eˣᵏ` per column | `∂x += ∂y − softmax(x)·Σₖ ∂yₖ` per column | `ops/softmax.rs` |
//! | [`loss::mse`] | `y = Σ (p − t)² / (R·C)` | `∂p += ∂y·2(p − t)/(R·C)` (composed) | `loss.rs` |
//! | [`loss::bce_with_logits`] | `y = Σ (max(x, 0) − x·t + ln(1 + e^{−\|x\|})) / (R·C)` | `∂x += ∂y·(σ(x) − t)/(R·C)`, `∂t += −∂y·x/(R·C)` | `loss.rs` |
//! | [`loss::cross_entropy`] | `y = Σ_b (ln Σₖ e^{x_{kb}} − x_{c_b b}) / B` | `∂x += ∂y·(softmax(x) − one_hot(c))/B` | `loss.rs` |
//! | [`loss::cross_entropy_one_hot`] | `y = −Σ t ⊙ log_softmax(x) / B` | `∂x += ∂y·(softmax(x)·Σₖtₖ − t)/B`, `∂t += −∂y·log_softmax(x)/B` (composed) | `loss.rs` |
//!
//! **Your own ops** (`ops/custom.rs`), for a function the table does not have: an element-wise
//! op from its value and derivative, [`x.map_with_derivative(|v| (y, dy_dv))`](Tensor::map_with_derivative)
//! (and [`zip_with_derivative`](Tensor::zip_with_derivative) for two operands), or any op
//! with a hand-written vector-Jacobian product, as JAX's `custom_vjp`: implement
//! [`CustomOp`] (or [`CustomOp2`]) on a type and record it with [`x.custom::<Op, R2, C2>()`](Tensor::custom).
//! Check either with [`check_gradient`].
//!
//! Shape mismatches are compile errors:
//!
//! ```compile_fail
//! use nalgebra::{Matrix2x3, Matrix4x1};
//! let tape = shapegrad::Tape::<f64>::new();
//! let a = tape.var(Matrix2x3::zeros());
//! let b = tape.var(Matrix4x1::zeros());
//! let _ = a.matmul(b); // 2×3 by 4×1: inner dimensions differ
//! ```
//!
//! ```compile_fail
//! use nalgebra::Matrix2x3;
//! let tape = shapegrad::Tape::<f64>::new();
//! let a = tape.var(Matrix2x3::zeros());
//! let _ = a.backward(); // only a 1×1 tensor has `backward`; use `sum` or `backward_with`
//! ```
#![cfg_attr(not(any(feature = "std", test)), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

extern crate alloc;

#[cfg(feature = "argmin")]
pub mod argmin;
#[cfg(any(feature = "levenberg-marquardt", feature = "argmin"))]
mod bridge;
mod check;
mod engine;
mod fixed;
mod gradients;
#[cfg(feature = "dual")]
mod hessian;
mod jacobian;
#[cfg(feature = "levenberg-marquardt")]
pub mod levenberg_marquardt;
pub mod loss;
mod ops;
pub mod optim;
mod param;
#[cfg(feature = "std")]
pub mod pool;
mod replay;
mod replay_fn;
mod scalar;
mod scalar_fn;
mod tape;
mod tensor;
#[cfg(test)]
mod testutil;
mod vector_fn;

pub use check::{GradCheck, GradCheckReport, check_gradient, check_gradient_with};
pub use fixed::{CapacityError, OnFull};
pub use gradients::Gradients;
#[cfg(feature = "dual")]
pub use hessian::{hessian, hvp};
#[cfg(feature = "dual")]
pub use jacobian::jacobian_forward;
pub use jacobian::{jacobian, jacobian_reverse};
#[cfg(any(feature = "levenberg-marquardt", feature = "argmin"))]
pub use nalgebra_034;
#[cfg(feature = "dual")]
pub use num_dual;
pub use ops::{CustomOp, CustomOp2, ElementIndex};
pub use param::Param;
pub use replay::{Input, Recording, ReplayError, Workspace};
pub use replay_fn::{ReplayFn, ReplayVectorFn};
pub use scalar::Scalar;
pub use scalar_fn::ScalarFn;
pub use tape::Tape;
pub use tensor::Tensor;
pub use vector_fn::VectorFn;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

// docs/replay.md's examples (its Hessian needs `dual`)
#[doc = include_str!("../docs/replay.md")]
#[cfg(all(doctest, feature = "dual"))]
pub struct ReplayGuideDoctests;
