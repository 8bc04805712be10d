//! Optimizers: [`Sgd`] (with optional momentum) and [`Adam`], updating every
//! [parameter](crate::Param) of a tape in place from one backward walk's [`Gradients`].
//!
//! A training step reads:
//!
//! ```text
//! tape.clear();                      // keeps the parameters
//! let loss = /* record the forward pass, using tape.get(param) */;
//! loss.backward_into(&mut grads);    // reuses the gradient buffer
//! opt.step(&mut tape, &grads);       // updates every parameter through Tape::update_params
//! ```
//!
//! **State.** An optimizer keeps its per-scalar state (velocity, moments) in `Vec`s sized
//! [`Tape::param_scalars`], indexed by each parameter's offset. They are allocated on the
//! first [`step`](Adam::step) and reused afterwards, so a step allocates nothing once warmed
//! up. Parameters made after that are picked up: the state grows (with zeros, as for a fresh
//! optimizer) on the next step.
//!
//! **One optimizer per tape.** The state belongs to the parameters of the tape it was first
//! stepped on: an optimizer with state stepped on another tape panics, naming the mix-up,
//! rather than applying one tape's moments to another's parameters. (Plain [`Sgd`], which
//! keeps no state, can be used with any tape.)
//!
//! **Skipped parameters.** A parameter the loss does not depend on has no gradient
//! ([`Gradients::param_slice`] is `None`); the step leaves it, and its state, untouched, as
//! PyTorch skips parameters whose `.grad` is `None`.

use crate::{Gradients, Scalar, Tape};
use alloc::vec::Vec;

/// Grows `state` to `n` scalars (zeros), for parameters made since the last step.
///
/// Panics if `state` is longer: parameters are never removed from a tape, so the optimizer
/// has been used with another tape.
#[track_caller]
fn fit<T: Scalar>(state: &mut Vec<T>, n: usize, what: &str) {
    assert!(
        state.len() <= n,
        "shapegrad: `{what}::step` has state for {} parameter scalars but the tape has {n}; \
         use one optimizer per tape",
        state.len()
    );
    state.resize(n, T::zero());
}

/// Binds an optimizer's state to `tape` on its first step (`bound` is 0 until then), and
/// panics if a later step gets another tape.
#[track_caller]
fn bind<T: Scalar>(bound: &mut u64, tape: &Tape<T>, what: &str) {
    let id = tape.session().tape;
    if *bound == 0 {
        *bound = id;
    }
    assert!(
        *bound == id,
        "shapegrad: `{what}::step` got another tape than the one its state belongs to; use one \
         optimizer per tape"
    );
}

/// Stochastic gradient descent, optionally with (classical, PyTorch-form) momentum:
///
/// ```text
/// without momentum (μ = 0):  p ← p − lr·g
/// with momentum μ > 0:       v ← μ·v + g;  p ← p − lr·v      (v starts at 0)
/// ```
///
/// for every scalar `p` of every parameter, `g = ∂loss/∂p`. This is `torch.optim.SGD` with
/// `dampening = 0`, `nesterov = False` and `weight_decay = 0`. Without momentum it keeps no
/// state and never allocates.
///
/// The hyperparameters are public fields, so a schedule can change `lr` between steps.
///
/// # Examples
///
/// ```
/// use approx::assert_relative_eq;
/// use nalgebra::Vector1;
/// use shapegrad::{Gradients, Tape, optim::Sgd};
///
/// // Minimise ½w² (g = w) from w = 1 with lr = 0.1, μ = 0.9:
/// // v = 1, w = 0.9; v = 0.9·1 + 0.9 = 1.8, w = 0.9 − 0.18 = 0.72
/// let mut tape = Tape::new();
/// let w = tape.param(Vector1::new(1.0));
/// let mut opt = Sgd::new(0.1).with_momentum(0.9);
/// let mut grads = Gradients::new();
/// for _ in 0..2 {
///     tape.clear();
///     let loss = tape.get(w).square().sum() * 0.5;
///     loss.backward_into(&mut grads);
///     opt.step(&mut tape, &grads);
/// }
/// assert_relative_eq!(tape.param_value(w)[0], 0.72, max_relative = 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct Sgd<T: Scalar = f64> {
    /// The learning rate `lr` (≥ 0).
    pub lr: T,
    /// The momentum `μ` (≥ 0; 0 for plain gradient descent).
    pub momentum: T,
    /// The velocity `v`, one per parameter scalar (empty without momentum).
    velocity: Vec<T>,
    /// The id of the tape the velocity belongs to (0 before the first step with momentum).
    tape: u64,
}

impl<T: Scalar> Sgd<T> {
    /// Plain gradient descent with learning rate `lr`: `p ← p − lr·g`.
    ///
    /// # Examples
    ///
    /// ```
    /// let opt = shapegrad::optim::Sgd::new(0.01_f32);
    /// assert_eq!((opt.lr, opt.momentum), (0.01, 0.0));
    /// ```
    pub fn new(lr: T) -> Self {
        Sgd {
            lr,
            momentum: T::zero(),
            velocity: Vec::new(),
            tape: 0,
        }
    }

    /// The same optimizer with momentum `μ`: `v ← μ·v + g; p ← p − lr·v`.
    ///
    /// # Examples
    ///
    /// ```
    /// let opt = shapegrad::optim::Sgd::new(0.01).with_momentum(0.9);
    /// assert_eq!(opt.momentum, 0.9);
    /// ```
    pub fn with_momentum(mut self, momentum: T) -> Self {
        self.momentum = momentum;
        self
    }

    /// Updates every parameter of `tape` that `grads` holds a gradient for (see the type's
    /// docs for the rule); others, and their velocity, are left as they are. Allocates only
    /// to grow the velocity: on the first step with momentum, and after parameters are added.
    ///
    /// # Panics
    ///
    /// If `lr` or `momentum` is negative or NaN; if `grads` come from another tape; with
    /// momentum, if the optimizer has been stepped on another tape (use one optimizer per
    /// tape).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use shapegrad::{Tape, optim::Sgd};
    ///
    /// let mut tape = Tape::new();
    /// let w = tape.param(Vector2::new(1.0, 2.0));
    /// let grads = (tape.get(w) * tape.get(w)).sum().backward(); // g = 2w
    /// Sgd::new(0.25).step(&mut tape, &grads); // w − ¼·2w = w/2
    /// assert_eq!(tape.param_value(w), Vector2::new(0.5, 1.0));
    /// ```
    #[track_caller]
    pub fn step(&mut self, tape: &mut Tape<T>, grads: &Gradients<T>) {
        let (lr, mu) = (self.lr, self.momentum);
        assert!(
            lr >= T::zero() && mu >= T::zero(),
            "shapegrad: `Sgd::step` needs lr ≥ 0 and momentum ≥ 0, got {lr} and {mu}"
        );
        if mu == T::zero() {
            // p ← p − lr·g
            tape.update_params(grads, |_, values, grad| {
                for (p, &g) in values.iter_mut().zip(grad) {
                    *p -= lr * g;
                }
            });
            return;
        }
        bind(&mut self.tape, tape, "Sgd");
        fit(&mut self.velocity, tape.param_scalars(), "Sgd");
        let velocity = &mut self.velocity;
        tape.update_params(grads, |offset, values, grad| {
            let v = &mut velocity[offset..][..values.len()];
            for ((p, v), &g) in values.iter_mut().zip(v).zip(grad) {
                *v = mu * *v + g; // v ← μ·v + g
                *p -= lr * *v; // p ← p − lr·v
            }
        });
    }
}

/// Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1), with
/// bias correction:
///
/// ```text
/// t ← t + 1
/// m ← β1·m + (1 − β1)·g          (first moment, m₀ = 0)
/// v ← β2·v + (1 − β2)·g²         (second moment, v₀ = 0)
/// m̂ = m / (1 − β1ᵗ)
/// v̂ = v / (1 − β2ᵗ)
/// p ← p − α·m̂ / (√v̂ + ε)
/// ```
///
/// for every scalar `p` of every parameter, `g = ∂loss/∂p`. `t` counts the steps in which
/// the parameter had a gradient (PyTorch's per-parameter `state["step"]`): when the loss
/// depends on every parameter at every step, the usual case, that is Algorithm 1's `t`; a
/// parameter first used later starts its bias correction from `t = 1`. Without `amsgrad`
/// and weight decay, this is `torch.optim.Adam`.
///
/// [`new`](Adam::new) takes the paper's defaults `β1 = 0.9`, `β2 = 0.999`, `ε = 1e-8`.
/// The hyperparameters are public fields, so a schedule can change `lr` between steps.
///
/// # Examples
///
/// ```
/// use approx::assert_relative_eq;
/// use nalgebra::Vector1;
/// use shapegrad::{Gradients, Tape, optim::Adam};
///
/// // One step from w = 1 on ½w² (g = 1): m = 0.1, v = 0.001, m̂ = 0.1/0.1 = 1,
/// // v̂ = 0.001/0.001 = 1, w = 1 − 0.1·1/(1 + 1e-8)
/// let mut tape = Tape::new();
/// let w = tape.param(Vector1::new(1.0));
/// let mut opt = Adam::new(0.1);
/// let mut grads = Gradients::new();
/// let loss = tape.get(w).square().sum() * 0.5;
/// loss.backward_into(&mut grads);
/// opt.step(&mut tape, &grads);
/// assert_relative_eq!(tape.param_value(w)[0], 1.0 - 0.1 / (1.0 + 1e-8), max_relative = 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct Adam<T: Scalar = f64> {
    /// The step size `α` (≥ 0).
    pub lr: T,
    /// The first moment's decay `β1`, in `[0, 1)`.
    pub beta1: T,
    /// The second moment's decay `β2`, in `[0, 1)`.
    pub beta2: T,
    /// The denominator's `ε` (≥ 0), added to `√v̂`.
    pub eps: T,
    /// The first moment `m`, one per parameter scalar.
    m: Vec<T>,
    /// The second moment `v`, one per parameter scalar.
    v: Vec<T>,
    /// The step count `t` of the parameter starting at each offset (other entries unused).
    t: Vec<u32>,
    /// The id of the tape the state belongs to (0 before the first step).
    tape: u64,
}

impl<T: Scalar> Adam<T> {
    /// Adam with step size `lr` and the paper's defaults `β1 = 0.9`, `β2 = 0.999`,
    /// `ε = 1e-8` (Kingma & Ba 2015, Algorithm 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let opt = shapegrad::optim::Adam::new(1e-3);
    /// assert_eq!((opt.beta1, opt.beta2, opt.eps), (0.9, 0.999, 1e-8));
    /// ```
    pub fn new(lr: T) -> Self {
        Adam {
            lr,
            beta1: nalgebra::convert(0.9),
            beta2: nalgebra::convert(0.999),
            eps: nalgebra::convert(1e-8),
            m: Vec::new(),
            v: Vec::new(),
            t: Vec::new(),
            tape: 0,
        }
    }

    /// The same optimizer with moment decays `β1`, `β2`.
    ///
    /// # Examples
    ///
    /// ```
    /// let opt = shapegrad::optim::Adam::new(1e-3).with_betas(0.5, 0.99);
    /// assert_eq!((opt.beta1, opt.beta2), (0.5, 0.99));
    /// ```
    pub fn with_betas(mut self, beta1: T, beta2: T) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// The same optimizer with denominator term `ε`.
    ///
    /// # Examples
    ///
    /// ```
    /// let opt = shapegrad::optim::Adam::new(1e-3_f32).with_eps(1e-6);
    /// assert_eq!(opt.eps, 1e-6);
    /// ```
    pub fn with_eps(mut self, eps: T) -> Self {
        self.eps = eps;
        self
    }

    /// Updates every parameter of `tape` that `grads` holds a gradient for (see the type's
    /// docs for the rule); others, and their moments and step count, are left as they are.
    /// Allocates only to grow its state: on the first step, and after parameters are added.
    ///
    /// # Panics
    ///
    /// If `lr` or `eps` is negative or NaN, or `beta1` or `beta2` is outside `[0, 1)`; if
    /// `grads` come from another tape; if the optimizer has been stepped on another tape (use
    /// one optimizer per tape).
    ///
    /// # Examples
    ///
    /// ```
    /// use approx::assert_relative_eq;
    /// use nalgebra::Vector2;
    /// use shapegrad::{Gradients, Tape, optim::Adam};
    ///
    /// // Fit w to t = (1, −2) by minimising Σ (w − t)².
    /// let mut tape = Tape::new();
    /// let w = tape.param(Vector2::zeros());
    /// let target = Vector2::new(1.0, -2.0);
    /// let mut opt = Adam::new(0.05);
    /// let mut grads = Gradients::new();
    /// for _ in 0..500 {
    ///     tape.clear();
    ///     let d = tape.get(w) - tape.constant(target);
    ///     (d * d).sum().backward_into(&mut grads);
    ///     opt.step(&mut tape, &grads);
    /// }
    /// assert_relative_eq!(tape.param_value(w), target, epsilon = 1e-3);
    /// ```
    #[track_caller]
    pub fn step(&mut self, tape: &mut Tape<T>, grads: &Gradients<T>) {
        let (lr, beta1, beta2, eps) = (self.lr, self.beta1, self.beta2, self.eps);
        let (zero, one) = (T::zero(), T::one());
        assert!(
            lr >= zero && eps >= zero,
            "shapegrad: `Adam::step` needs lr ≥ 0 and eps ≥ 0, got {lr} and {eps}"
        );
        assert!(
            zero <= beta1 && beta1 < one && zero <= beta2 && beta2 < one,
            "shapegrad: `Adam::step` needs beta1 and beta2 in [0, 1), got {beta1} and {beta2}"
        );
        bind(&mut self.tape, tape, "Adam");
        let n = tape.param_scalars();
        fit(&mut self.m, n, "Adam");
        fit(&mut self.v, n, "Adam");
        assert!(self.t.len() <= n, "shapegrad: `Adam::step` state size");
        self.t.resize(n, 0);
        let (m, v, steps) = (&mut self.m, &mut self.v, &mut self.t);
        tape.update_params(grads, |offset, values, grad| {
            if values.is_empty() {
                return; // a 0×C parameter: nothing to update, and no step count slot
            }
            // t ← t + 1 (saturating: past ~10⁴ steps βᵗ has long underflowed to 0)
            let t = steps[offset].saturating_add(1).min(i32::MAX as u32);
            steps[offset] = t;
            let bias1 = one - beta1.powi(t as i32); // 1 − β1ᵗ
            let bias2 = one - beta2.powi(t as i32); // 1 − β2ᵗ
            let len = values.len();
            let (m, v) = (&mut m[offset..][..len], &mut v[offset..][..len]);
            for (((p, &g), m), v) in values.iter_mut().zip(grad).zip(m).zip(v) {
                *m = beta1 * *m + (one - beta1) * g; // m ← β1·m + (1 − β1)·g
                *v = beta2 * *v + (one - beta2) * g * g; // v ← β2·v + (1 − β2)·g²
                let m_hat = *m / bias1;
                let v_hat = *v / bias2;
                *p -= lr * m_hat / (v_hat.sqrt() + eps); // p ← p − α·m̂/(√v̂ + ε)
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Param, Scalar, Tape};
    use approx::assert_relative_eq;
    use nalgebra::{Vector1, Vector2, convert};

    /// One step of `opt` on `loss = ½w²` (so `g = w`), recorded afresh.
    fn half_square_step<T: Scalar>(
        tape: &mut Tape<T>,
        w: Param<1, 1, T>,
        grads: &mut Gradients<T>,
        step: impl FnOnce(&mut Tape<T>, &Gradients<T>),
    ) {
        tape.clear();
        let loss = tape.get(w).square().sum() * convert::<f64, T>(0.5);
        loss.backward_into(grads);
        step(tape, grads);
    }

    fn adam_three_steps<T: Scalar>(tol: f64) {
        // Kingma & Ba 2015, Algorithm 1, worked by hand on ½w² (g = w) from w₀ = 1 with
        // α = 0.1, β1 = 0.9, β2 = 0.999, ε = 1e-8 (the decimals below were checked with
        // Python's `decimal` at 40 digits).
        //
        // t = 1: g = 1
        //   m = 0.9·0 + 0.1·1 = 0.1             v = 0.999·0 + 0.001·1² = 0.001
        //   m̂ = 0.1/(1 − 0.9) = 1               v̂ = 0.001/(1 − 0.999) = 1
        //   w = 1 − 0.1·1/(1 + 1e-8) = 0.90000000099999999
        // t = 2: g = 0.90000000099999999
        //   m = 0.9·0.1 + 0.1·g = 0.18000000010   v = 0.999·0.001 + 0.001·g² = 0.0018090000018
        //   m̂ = m/(1 − 0.81) = m/0.19 = 0.94736842157895
        //   v̂ = v/(1 − 0.998001) = v/0.001999 = 0.90495247713857, √v̂ = 0.95128990173268
        //   w = g − 0.1·m̂/(√v̂ + 1e-8) = 0.80041222971233739
        // t = 3: g = 0.80041222971233739
        //   m = 0.9·m + 0.1·g = 0.24204122306123   v = 0.999·v + 0.001·g² = 0.0024478507392713
        //   m̂ = m/(1 − 0.729) = m/0.271 = 0.89314104450640
        //   v̂ = v/(1 − 0.997002999) = v/0.002997001 = 0.81676674090909, √v̂ = 0.90375148182954
        //   w = g − 0.1·m̂/(√v̂ + 1e-8) = 0.70158627450441421
        let want = [0.900000001, 0.8004122297123374, 0.7015862745044142];
        let mut tape = Tape::<T>::new();
        let w = tape.param(Vector1::new(T::one()));
        let mut opt = Adam::new(convert(0.1));
        let mut grads = Gradients::new();
        for want in want {
            half_square_step(&mut tape, w, &mut grads, |tape, g| opt.step(tape, g));
            assert_relative_eq!(
                tape.param_value(w)[0],
                convert::<f64, T>(want),
                max_relative = convert::<f64, T>(tol)
            );
        }
    }

    #[test]
    fn adam_matches_algorithm_1_by_hand() {
        adam_three_steps::<f64>(1e-14); // ~50 ulps: rounding of the fp steps, far below ε's 1e-8 effect
        // f32: 0.999 rounds to 0.99900001, so 1 − β2 and 1 − β2ᵗ carry ~1e-5 relative error
        // (mostly cancelling in v̂); measured 1.4e-6 after three steps
        adam_three_steps::<f32>(1e-5);
    }

    fn sgd_momentum_three_steps<T: Scalar>(tol: f64) {
        // v ← μv + g; p ← p − lr·v (PyTorch's SGD, dampening 0), by hand on ½w² (g = w) from
        // w₀ = 1 with lr = 0.1, μ = 0.9:
        // step 1: g = 1,    v = 0.9·0 + 1 = 1,            w = 1 − 0.1·1 = 0.9
        // step 2: g = 0.9,  v = 0.9·1 + 0.9 = 1.8,        w = 0.9 − 0.1·1.8 = 0.72
        // step 3: g = 0.72, v = 0.9·1.8 + 0.72 = 2.34,    w = 0.72 − 0.1·2.34 = 0.486
        // and without momentum w = 1 · (1 − 0.1)ᵏ: 0.9, 0.81, 0.729.
        let mut tape = Tape::<T>::new();
        let w = tape.param(Vector1::new(T::one()));
        let plain = tape.param(Vector1::new(T::one()));
        let mut opt = Sgd::new(convert(0.1)).with_momentum(convert(0.9));
        let mut sgd = Sgd::new(convert(0.1));
        let mut grads = Gradients::new();
        for (want, want_plain) in [(0.9, 0.9), (0.72, 0.81), (0.486, 0.729)] {
            half_square_step(&mut tape, w, &mut grads, |tape, g| opt.step(tape, g));
            half_square_step(&mut tape, plain, &mut grads, |tape, g| sgd.step(tape, g));
            let tol = convert::<f64, T>(tol);
            assert_relative_eq!(
                tape.param_value(w)[0],
                convert::<f64, T>(want),
                max_relative = tol
            );
            assert_relative_eq!(
                tape.param_value(plain)[0],
                convert::<f64, T>(want_plain),
                max_relative = tol
            );
        }
        assert!(sgd.velocity.is_empty(), "plain SGD keeps no state");
    }

    #[test]
    fn sgd_with_momentum_matches_hand_computation() {
        sgd_momentum_three_steps::<f64>(1e-15);
        sgd_momentum_three_steps::<f32>(1e-6);
    }

    #[test]
    fn parameters_without_gradient_are_left_untouched() {
        // u is not used by the loss for two steps: it and its state stay as they were, so
        // when it is first used its Adam step is a first step (t = 1, m̂/√v̂ = g/|g|, a move
        // of α·|g|/(|g| + ε) ≈ α), and its SGD velocity starts at 0 (a move of lr·g).
        let mut tape = Tape::<f64>::new();
        let w = tape.param(Vector1::new(1.0));
        let u = tape.param(Vector2::new(2.0, -3.0));
        let mut adam = Adam::new(0.1);
        let mut sgd = Sgd::new(0.1).with_momentum(0.9);
        let mut grads = Gradients::new();
        for _ in 0..2 {
            half_square_step(&mut tape, w, &mut grads, |tape, g| {
                adam.step(tape, g);
                sgd.step(tape, g);
            });
            assert_eq!(tape.param_value(u), Vector2::new(2.0, -3.0));
        }
        assert_eq!(
            (&adam.m[1..], &adam.v[1..], &adam.t[1..]),
            (&[0.0; 2][..], &[0.0; 2][..], &[0; 2][..])
        );
        assert_eq!(&sgd.velocity[1..], &[0.0; 2]);

        // Σ u, g = (1, 1)
        tape.clear();
        tape.get(u).sum().backward_into(&mut grads);
        adam.step(&mut tape, &grads);
        let step = 0.1 / (1.0 + 1e-8);
        assert_relative_eq!(
            tape.param_value(u),
            Vector2::new(2.0 - step, -3.0 - step),
            max_relative = 1e-15
        );
        tape.clear();
        tape.get(u).sum().backward_into(&mut grads);
        let before = tape.param_value(u);
        sgd.step(&mut tape, &grads);
        assert_relative_eq!(
            tape.param_value(u),
            before.add_scalar(-0.1),
            max_relative = 1e-15
        );
    }

    #[test]
    fn parameters_added_later_get_fresh_state() {
        let mut tape = Tape::<f64>::new();
        let w = tape.param(Vector1::new(1.0));
        let mut adam = Adam::new(0.1);
        let mut grads = Gradients::new();
        half_square_step(&mut tape, w, &mut grads, |tape, g| adam.step(tape, g));
        assert_eq!(adam.m.len(), 1);
        let u = tape.param(Vector1::new(5.0));
        // ½u²: g = 5, a first step moves it by α·5/(5 + ε)
        half_square_step(&mut tape, u, &mut grads, |tape, g| adam.step(tape, g));
        assert_eq!(adam.m.len(), 2);
        assert_relative_eq!(
            tape.param_value(u)[0],
            5.0 - 0.1 * 5.0 / (5.0 + 1e-8),
            max_relative = 1e-15
        );
        // w was not stepped again
        assert_relative_eq!(
            tape.param_value(w)[0],
            1.0 - 0.1 / (1.0 + 1e-8),
            max_relative = 1e-15
        );
    }

    #[test]
    #[should_panic(expected = "use one optimizer per tape")]
    fn state_of_a_larger_tape_panics() {
        let mut big = Tape::<f64>::new();
        let a = big.param(Vector2::new(1.0, 2.0));
        let mut opt = Adam::new(0.1);
        let grads = big.get(a).sum().backward();
        opt.step(&mut big, &grads);
        let mut small = Tape::<f64>::new();
        let b = small.param(Vector1::new(1.0));
        let grads = small.get(b).sum().backward();
        opt.step(&mut small, &grads);
    }

    /// Issue 11's reproduction: an Adam stepped on tape A, then on a tape B of the same size,
    /// applied A's moments to B's parameter (ending at 0.9427 where a fresh Adam gives
    /// 1.0999); now it refuses.
    #[test]
    #[should_panic(expected = "got another tape than the one its state belongs to")]
    fn state_of_a_same_sized_tape_panics() {
        let step = |opt: &mut Adam<f64>, tape: &mut Tape<f64>| {
            let w = tape.param(Vector1::new(1.0));
            let grads = tape.get(w).sum().backward();
            opt.step(tape, &grads);
        };
        let mut opt = Adam::new(0.1);
        step(&mut opt, &mut Tape::new());
        step(&mut opt, &mut Tape::new());
    }

    #[test]
    #[should_panic(expected = "use one optimizer per tape")]
    fn sgd_momentum_state_of_another_tape_panics() {
        let mut opt = Sgd::new(0.1).with_momentum(0.9);
        for _ in 0..2 {
            let mut tape = Tape::<f64>::new();
            let w = tape.param(Vector1::new(1.0));
            let grads = tape.get(w).sum().backward();
            opt.step(&mut tape, &grads);
        }
    }

    #[test]
    fn plain_sgd_works_on_any_tape() {
        // no state, no binding: w − 0.5·1 on each of two tapes (∂Σw/∂w = 1)
        let mut opt = Sgd::new(0.5);
        for _ in 0..2 {
            let mut tape = Tape::<f64>::new();
            let w = tape.param(Vector1::new(1.0));
            let grads = tape.get(w).sum().backward();
            opt.step(&mut tape, &grads);
            assert_eq!(tape.param_value(w)[0], 0.5);
        }
    }

    #[test]
    #[should_panic(expected = "beta1 and beta2 in [0, 1)")]
    fn adam_rejects_beta_of_one() {
        let mut tape = Tape::<f64>::new();
        let a = tape.param(Vector1::new(1.0));
        let grads = tape.get(a).sum().backward();
        Adam::new(0.1)
            .with_betas(1.0, 0.999)
            .step(&mut tape, &grads);
    }

    #[test]
    #[should_panic(expected = "lr ≥ 0 and momentum ≥ 0")]
    fn sgd_rejects_nan_lr() {
        let mut tape = Tape::<f64>::new();
        let a = tape.param(Vector1::new(1.0));
        let grads = tape.get(a).sum().backward();
        Sgd::new(f64::NAN).step(&mut tape, &grads);
    }
}
