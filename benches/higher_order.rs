//! The cost of one Hessian-vector product (forward-over-reverse on `Dual64`) relative to one
//! gradient, on the two-layer net `Σ σ(W2 σ(W1 x + b1) + b2)` at sizes (3, 4, 2) and
//! (16, 32, 8). Needs the `dual` feature:
//!
//! `cargo bench --features dual --bench higher_order`
//!
//! Two measurements per size:
//! - `x/…`: with respect to the input `x`, through the public API: `hvp(&net, &x, &v)` against
//!   the same function's gradient, each on a fresh tape (what one call costs a user).
//! - `params/…`: with respect to all parameters (W1, b1, W2, b2), in a training loop's steady
//!   state: one reused tape cleared every iteration, gradients into a reused buffer; the
//!   gradient on a `Tape<f64>`, the product on a `Tape<Dual64>` with every parameter seeded
//!   `p + ε·v_p`. No allocation in either, so the ratio is the arithmetic's.
//!
//! And for the notebook's graph function (TEST 8) of its six inputs at the notebook's first
//! entry: `graph/gradient`, `graph/hvp` and `graph/hessian` (6 products), through the API.
//!
//! `docs/higher-order.md` records the ratios measured on the project's machine.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::{SMatrix, SVector, Vector6};
use shapegrad::num_dual::Dual64;
use shapegrad::{Gradients, Scalar, ScalarFn, Tape, Tensor, hessian, hvp};

/// A deterministic value in about [−1, 1] for element `k` of a parameter (no RNG needed).
fn init(k: usize, salt: f64) -> f64 {
    ((k as f64 + 1.0) * 0.7548776662 + salt).sin()
}

/// The two-layer net with `N` inputs, `H` hidden units, `O` outputs; parameters in `f64`.
struct Net<const N: usize, const H: usize, const O: usize> {
    w1: SMatrix<f64, H, N>,
    b1: SVector<f64, H>,
    w2: SMatrix<f64, O, H>,
    b2: SVector<f64, O>,
}

impl<const N: usize, const H: usize, const O: usize> Net<N, H, O> {
    fn new() -> Self {
        let scale1 = 1.0 / (N as f64).sqrt();
        let scale2 = 1.0 / (H as f64).sqrt();
        Net {
            w1: SMatrix::from_fn(|i, j| init(i * N + j, 0.1) * scale1),
            b1: SVector::from_fn(|i, _| init(i, 0.2) * 0.1),
            w2: SMatrix::from_fn(|i, j| init(i * H + j, 0.3) * scale2),
            b2: SVector::from_fn(|i, _| init(i, 0.4) * 0.1),
        }
    }

    /// `Σ σ(W2 σ(W1 x + b1) + b2)` on tensors of any scalar.
    fn loss<'t, T: Scalar>(
        w1: Tensor<'t, H, N, T>,
        b1: Tensor<'t, H, 1, T>,
        w2: Tensor<'t, O, H, T>,
        b2: Tensor<'t, O, 1, T>,
        x: Tensor<'t, N, 1, T>,
    ) -> Tensor<'t, 1, 1, T> {
        let h = (w1.matmul(x) + b1).sigmoid();
        (w2.matmul(h) + b2).sigmoid().sum()
    }
}

/// As a function of the input, the parameters constants.
impl<const N: usize, const H: usize, const O: usize> ScalarFn<N> for Net<N, H, O> {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, N, 1, T>) -> Tensor<'t, 1, 1, T> {
        let tape = x.tape();
        let w1 = tape.constant(self.w1.map(nalgebra::convert));
        let b1 = tape.constant(self.b1.map(nalgebra::convert));
        let w2 = tape.constant(self.w2.map(nalgebra::convert));
        let b2 = tape.constant(self.b2.map(nalgebra::convert));
        Self::loss(w1, b1, w2, b2, x)
    }
}

fn with_respect_to_x<const N: usize, const H: usize, const O: usize>(c: &mut Criterion) {
    let net = Net::<N, H, O>::new();
    let x = SVector::<f64, N>::from_fn(|i, _| init(i, 0.5));
    let v = SVector::<f64, N>::from_fn(|i, _| init(i, 0.6));
    let mut group = c.benchmark_group(format!("x/{N}_{H}_{O}"));
    group.bench_function("gradient", |b| {
        b.iter(|| {
            let tape = Tape::<f64>::new();
            let xt = tape.var(black_box(x));
            let y = net.eval(xt);
            let g = y.backward().wrt(xt);
            black_box((y.item(), g))
        })
    });
    group.bench_function("hvp", |b| {
        b.iter(|| black_box(hvp(&net, black_box(&x), black_box(&v))))
    });
    group.finish();
}

fn with_respect_to_params<const N: usize, const H: usize, const O: usize>(c: &mut Criterion) {
    let net = Net::<N, H, O>::new();
    let x = SVector::<f64, N>::from_fn(|i, _| init(i, 0.5));
    // a direction in parameter space, one block per parameter
    let dir = Net::<N, H, O> {
        w1: net.w1.map(|w| (w * 7.0).cos()),
        b1: net.b1.map(|w| (w * 7.0).cos()),
        w2: net.w2.map(|w| (w * 7.0).cos()),
        b2: net.b2.map(|w| (w * 7.0).cos()),
    };
    let mut group = c.benchmark_group(format!("params/{N}_{H}_{O}"));

    let mut tape = Tape::<f64>::new();
    let (w1, b1, w2, b2) = (
        tape.param(net.w1),
        tape.param(net.b1),
        tape.param(net.w2),
        tape.param(net.b2),
    );
    let mut grads = Gradients::new();
    group.bench_function("gradient", |b| {
        b.iter(|| {
            tape.clear();
            let xt = tape.constant(black_box(x));
            let y = Net::loss(tape.get(w1), tape.get(b1), tape.get(w2), tape.get(b2), xt);
            y.backward_into(&mut grads);
            black_box(y.item());
            black_box((
                grads.param_slice(w1),
                grads.param_slice(b1),
                grads.param_slice(w2),
                grads.param_slice(b2),
            ));
        })
    });

    // the same parameters as duals p + ε·v_p
    let mut dual_tape = Tape::<Dual64>::new();
    let dual = |p: f64, v: f64| Dual64::new(p, v);
    let (w1, b1, w2, b2) = (
        dual_tape.param(net.w1.zip_map(&dir.w1, dual)),
        dual_tape.param(net.b1.zip_map(&dir.b1, dual)),
        dual_tape.param(net.w2.zip_map(&dir.w2, dual)),
        dual_tape.param(net.b2.zip_map(&dir.b2, dual)),
    );
    let mut dual_grads = Gradients::new();
    group.bench_function("hvp", |b| {
        b.iter(|| {
            dual_tape.clear();
            let xt = dual_tape.constant(black_box(x).map(Dual64::from_re));
            let (tw1, tb1) = (dual_tape.get(w1), dual_tape.get(b1));
            let (tw2, tb2) = (dual_tape.get(w2), dual_tape.get(b2));
            let y = Net::loss(tw1, tb1, tw2, tb2, xt);
            y.backward_into(&mut dual_grads);
            black_box(y.item());
            black_box((
                dual_grads.param_slice(w1),
                dual_grads.param_slice(b1),
                dual_grads.param_slice(w2),
                dual_grads.param_slice(b2),
            ));
        })
    });
    group.finish();
}

/// The notebook's graph function (TEST 8) of `[x1, x2, b1, b2, c1, c2]`, as in
/// `tests/higher_order.rs`.
struct Graph;

impl ScalarFn<6> for Graph {
    fn eval<'t, T: Scalar>(&self, v: Tensor<'t, 6, 1, T>) -> Tensor<'t, 1, 1, T> {
        // element i as xᵀeᵢ (there is no indexing op)
        let component = |i: usize| {
            let e = SVector::<T, 6>::from_fn(|k, _| if k == i { T::one() } else { T::zero() });
            v.dot(v.tape().constant(e))
        };
        let [x1, x2, b1, b2, c1, c2] = std::array::from_fn(component);
        let z0 = x1 + b1;
        let z2 = z0.sigmoid();
        let z5 = (x2 + b2).sigmoid().tanh() * c2;
        z0 * z2 * c1 + z2 * z5
    }
}

fn graph(c: &mut Criterion) {
    // the notebook's first inputs1 entry: x = [-1, 4], w = [-7, -6, 5, 0]
    let x = Vector6::new(-1.0, 4.0, -7.0, -6.0, 5.0, 0.0);
    let v = Vector6::new(1.0, -0.5, 0.25, 2.0, -1.0, 0.75);
    let mut group = c.benchmark_group("graph");
    group.bench_function("gradient", |b| {
        b.iter(|| {
            let tape = Tape::<f64>::new();
            let xt = tape.var(black_box(x));
            black_box(Graph.eval(xt).backward().wrt(xt))
        })
    });
    group.bench_function("hvp", |b| {
        b.iter(|| black_box(hvp(&Graph, black_box(&x), black_box(&v))))
    });
    group.bench_function("hessian", |b| {
        b.iter(|| black_box(hessian(&Graph, black_box(&x))))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    graph(c);
    with_respect_to_x::<3, 4, 2>(c);
    with_respect_to_x::<16, 32, 8>(c);
    with_respect_to_params::<3, 4, 2>(c);
    with_respect_to_params::<16, 32, 8>(c);
}

criterion_group!(higher_order, benches);
criterion_main!(higher_order);
