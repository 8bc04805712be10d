//! A large net on a small stack: `Σ σ(W2 σ(W1 x + b1) + b2)` with 784 inputs, 128 hidden
//! units and 10 outputs (an MNIST-sized layer; W1 alone is 128·784 f64 = 784 KiB) is built,
//! recorded and differentiated on a thread with a 2 MiB stack. Large values never go through
//! the stack: W1 and x come from heap `Vec`s through `Tape::var_from_slice`, W2 from
//! `Tape::var_from_fn`, and gradients are read with `Gradients::slice` (zero-copy), never with
//! `Gradients::wrt`, which returns an `SMatrix` by value (784 KiB for W1). The same net with
//! its weights as `Param`s (`param_from_slice`, `param_from_fn`, read with `param_slice`) gives
//! the same gradients.
//!
//! Gradients are checked against central finite differences of an independent forward pass
//! written here in plain Rust over `Vec`s, and against the structure of the matmul rule.
//! Also: `var_from_fn` and `var_from_slice` agree with `var`, and `var_from_slice` panics on a
//! wrong length, as documented.

use nalgebra::{Matrix3x2, SVector};
use shapegrad::{Gradients, Tape};

const N: usize = 784;
const H: usize = 128;
const O: usize = 10;

/// Runs `f` on a thread with a 2 MiB stack (the default for spawned threads, stated
/// explicitly so the test does not depend on `RUST_MIN_STACK`).
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the test thread panicked");
}

/// The net's parameters and input, column-major `Vec`s (nalgebra's storage order), with the
/// deterministic pattern of `benches/baseline.rs`'s `Net::new` and `Net::input`:
/// `W[i][j] = 0.5·sin((7i + 13j)·s)/√max(N, H)`, `b1[i] = 0.1·cos(0.5i)`, `b2[i] = -0.05i`,
/// `x[i] = sin(0.71i)`.
struct Params {
    w1: Vec<f64>,
    b1: Vec<f64>,
    w2: Vec<f64>,
    b2: Vec<f64>,
    x: Vec<f64>,
}

/// `W[i][j]` of an `R×C` weight matrix: see [`Params`].
fn weight(i: usize, j: usize, s: f64) -> f64 {
    0.5 * ((i * 7 + j * 13) as f64 * s).sin() / (N.max(H) as f64).sqrt()
}

impl Params {
    fn new() -> Self {
        // column-major: element (i, j) of an R×C matrix at i + j·R
        let matrix = |r: usize, c: usize, s: f64| -> Vec<f64> {
            (0..r * c).map(|k| weight(k % r, k / r, s)).collect()
        };
        Params {
            w1: matrix(H, N, 0.37),
            b1: (0..H).map(|i| 0.1 * (i as f64 * 0.5).cos()).collect(),
            w2: matrix(O, H, 0.23),
            b2: (0..O).map(|i| -0.05 * i as f64).collect(),
            x: (0..N).map(|i| (i as f64 * 0.71).sin()).collect(),
        }
    }

    /// The loss `Σ σ(W2 σ(W1 x + b1) + b2)` in plain Rust: the independent reference.
    fn loss(&self) -> f64 {
        let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
        let h: Vec<f64> = (0..H)
            .map(|i| {
                sigmoid(self.b1[i] + (0..N).map(|j| self.w1[i + j * H] * self.x[j]).sum::<f64>())
            })
            .collect();
        (0..O)
            .map(|i| sigmoid(self.b2[i] + (0..H).map(|j| self.w2[i + j * O] * h[j]).sum::<f64>()))
            .sum()
    }
}

/// Which parameter a finite difference perturbs.
#[derive(Clone, Copy, Debug)]
enum Which {
    W1,
    X,
    B2,
}

impl Params {
    /// The entry `k` of parameter `which`.
    fn entry(&mut self, which: Which, k: usize) -> &mut f64 {
        match which {
            Which::W1 => &mut self.w1[k],
            Which::X => &mut self.x[k],
            Which::B2 => &mut self.b2[k],
        }
    }

    /// Central finite difference of [`Params::loss`] in one entry, step `1e-6·max(1, |v|)`.
    fn fd(&mut self, which: Which, k: usize) -> f64 {
        let v0 = *self.entry(which, k);
        let h = 1e-6 * v0.abs().max(1.0);
        let (up, down) = (v0 + h, v0 - h);
        *self.entry(which, k) = up;
        let l_up = self.loss();
        *self.entry(which, k) = down;
        let l_down = self.loss();
        *self.entry(which, k) = v0;
        (l_up - l_down) / (up - down)
    }
}

/// Tape vs finite-difference tolerance: `|tape − fd| ≤ 1e-8 + 1e-6·|fd|`.
///
/// The difference quotient's rounding error is ≈ δL/h, where δL, the forward pass's rounding
/// error, is ≈ ε·|L| ≈ 5e-16 for this loss (a sum of 10 sigmoids, |L| ≈ 4.4): ≈ 5e-10 with
/// h = 1e-6. The truncation error h²·|L'''|/6 is ≲ 1e-13. Largest deviation measured:
/// 7.5e-10. The gradients checked are 3e-5 (∂x) to 0.25 (∂b2) in size (and asserted to be
/// above 1e-5), so a wrong derivative (a missing σ', a transposed product) is orders of
/// magnitude outside the tolerance.
const FD_ABS: f64 = 1e-8;
const FD_REL: f64 = 1e-6;

#[test]
fn net_784_128_10_on_a_2_mib_stack() {
    on_small_stack(|| {
        let mut p = Params::new();
        let tape = Tape::<f64>::new();
        let mut grads = Gradients::new();

        let x = tape.var_from_slice::<N, 1>(&p.x);
        let w1 = tape.var_from_slice::<H, N>(&p.w1);
        let b1 = tape.var(SVector::<f64, H>::from_column_slice(&p.b1));
        let w2 = tape.var_from_fn::<O, H>(|i, j| weight(i, j, 0.23));
        let b2 = tape.var_from_slice::<O, 1>(&p.b2);
        let loss = (w2.matmul((w1.matmul(x) + b1).sigmoid()) + b2)
            .sigmoid()
            .sum();
        loss.backward_into(&mut grads);

        // The forward value: same math, different summation order (nalgebra's gemm vs the
        // plain loops): a 784-term dot product's rounding error is ≲ 784·ε·Σ|terms| ≈ 1e-13.
        let l = loss.item();
        assert!(
            (l - p.loss()).abs() <= 1e-12 * l.abs(),
            "{l} vs {}",
            p.loss()
        );

        let g_w1 = grads.slice(w1).expect("W1 on the path");
        let g_x = grads.slice(x).expect("x on the path");
        let g_b1 = grads.slice(b1).expect("b1 on the path");
        let g_b2 = grads.slice(b2).expect("b2 on the path");
        assert_eq!(
            (g_w1.len(), g_x.len(), g_b1.len(), g_b2.len()),
            (H * N, N, H, O)
        );

        // Entries checked against finite differences: 5 of W1 (corners and inside, column-major
        // index i + j·H), 3 of x, all of b2.
        let w1_entries = [(0, 1), (17, 100), (64, 391), (90, 512), (127, 783)];
        let mut checks: Vec<(Which, usize, f64)> = Vec::new();
        for (i, j) in w1_entries {
            checks.push((Which::W1, i + j * H, g_w1[i + j * H]));
        }
        for k in [1, 400, 783] {
            checks.push((Which::X, k, g_x[k]));
        }
        for (k, &g) in g_b2.iter().enumerate() {
            checks.push((Which::B2, k, g));
        }
        let mut worst = 0.0_f64;
        for (which, k, g) in checks {
            let numeric = p.fd(which, k);
            let err = (g - numeric).abs();
            worst = worst.max(err);
            assert!(
                err <= FD_ABS + FD_REL * numeric.abs(),
                "∂{which:?}[{k}]: tape {g:e}, finite differences {numeric:e} (error {err:e})"
            );
            // large enough that the check is not vacuous (x[0] = 0 would give ∂W1[·, 0] = 0)
            assert!(g.abs() > 1e-5, "∂{which:?}[{k}] = {g:e} checks too little");
        }
        eprintln!("net (784, 128, 10): largest |tape − fd| = {worst:e}");

        // Structure of the matmul rule, over all 100,352 entries of ∂W1: ∂W1 = ∂(W1x)·xᵀ and
        // ∂(W1x) = ∂b1 (the `+ b1` passes the gradient through), so ∂W1[i, j] = ∂b1[i]·x[j],
        // one product per entry (K = 1 in ∂C·Bᵀ): equal up to the rounding of that product
        // (bit for bit when written).
        for j in 0..N {
            for i in 0..H {
                let want = g_b1[i] * p.x[j];
                let got = g_w1[i + j * H];
                assert!(
                    (got - want).abs() <= 4.0 * f64::EPSILON * want.abs(),
                    "∂W1[{i}, {j}] = {got:e}, ∂b1[{i}]·x[{j}] = {want:e}"
                );
            }
        }

        // The same net with W1, b1, W2, b2 as `Param`s (as benches/gradients.rs records it),
        // also made from heap data, on the same small stack: the same ops on the same values
        // in the same order, so the same gradients bit for bit.
        let mut ptape = Tape::<f64>::new();
        let pw1 = ptape.param_from_slice::<H, N>(&p.w1);
        let pb1 = ptape.param_from_slice::<H, 1>(&p.b1);
        let pw2 = ptape.param_from_fn::<O, H>(|i, j| weight(i, j, 0.23));
        let pb2 = ptape.param_from_slice::<O, 1>(&p.b2);
        let mut pgrads = Gradients::new();
        for _ in 0..2 {
            ptape.clear();
            let x = ptape.var_from_slice::<N, 1>(&p.x);
            let (w1, b1) = (ptape.get(pw1), ptape.get(pb1));
            let (w2, b2) = (ptape.get(pw2), ptape.get(pb2));
            let ploss = (w2.matmul((w1.matmul(x) + b1).sigmoid()) + b2)
                .sigmoid()
                .sum();
            ploss.backward_into(&mut pgrads);
            assert_eq!(ploss.item(), l);
            assert!(pgrads.param_slice(pw1) == Some(g_w1), "∂W1 with Params");
            assert!(pgrads.slice(x) == Some(g_x), "∂x with Params");
            assert!(pgrads.param_slice(pb1) == Some(g_b1), "∂b1 with Params");
            assert!(pgrads.param_slice(pb2) == Some(g_b2), "∂b2 with Params");
        }
    });
}

// ---------------------------------------------------------------------------------------------
// the heap-friendly constructors

#[test]
fn var_from_fn_and_var_from_slice_agree_with_var() {
    let m = Matrix3x2::new(1.5, -2.0, 0.25, 4.0, -0.125, 3.0);
    let tape = Tape::<f64>::new();
    let a = tape.var(m);
    let b = tape.var_from_fn::<3, 2>(|i, j| m[(i, j)]);
    // column-major: [1.5, 0.25, -0.125] is the first column
    let c = tape.var_from_slice::<3, 2>(&[1.5, 0.25, -0.125, -2.0, 4.0, 3.0]);
    assert_eq!(b.value(), m);
    assert_eq!(c.value(), m);
    assert_eq!(a.value(), m);
    // ...and they are variables like `var`'s: ∂Σ(a·b·c)/∂a = b·c, etc. (product rule)
    let grads = (a * b * c).sum().backward();
    let m2 = m.component_mul(&m);
    assert_eq!(grads.wrt(a), m2);
    assert_eq!(grads.wrt(b), m2);
    assert_eq!(grads.wrt(c), m2);
}

#[test]
#[should_panic(expected = "var_from_slice")]
fn var_from_slice_panics_on_too_few_values() {
    // documented under `# Panics`: `values.len() != R * C`
    let tape = Tape::<f64>::new();
    let _ = tape.var_from_slice::<3, 2>(&[1.0, 2.0, 3.0, 4.0, 5.0]);
}

#[test]
#[should_panic(expected = "var_from_slice")]
fn var_from_slice_panics_on_too_many_values() {
    let tape = Tape::<f64>::new();
    let _ = tape.var_from_slice::<3, 2>(&[1.0; 7]);
}
