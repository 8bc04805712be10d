//! `ReplayFn`, `ReplayVectorFn` and `Recording` on whole functions: the notebook's graph
//! function, a small net, least-squares residuals, data inputs, parameters, value-dependent
//! ops across their kinks, branches in user code, ops without a value, threads.
//!
//! Every reference value is a fresh recording of the same function at the same point on a
//! `Tape::new()` tape, differentiated by the crate's normal `backward` / `backward_with` /
//! `Tensor::jacobian` (or `wrt_param`), and compared bit for bit (`to_bits`).

use nalgebra::{
    Matrix1, Matrix2, Matrix2x3, Matrix2x4, Matrix3, Matrix4x3, SMatrix, SVector, Vector1, Vector2,
    Vector3, Vector4,
};
use shapegrad::{
    Recording, ReplayError, ReplayFn, ReplayVectorFn, Scalar, ScalarFn, Tape, Tensor, VectorFn,
};

type Vector6 = SVector<f64, 6>;

// ---------------------------------------------------------------------------------------------
// helpers

/// A tiny deterministic generator (Knuth's MMIX LCG), uniform in [0, 1) from the top 53 bits.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }

    fn matrix<const R: usize, const C: usize>(&mut self, lo: f64, hi: f64) -> SMatrix<f64, R, C> {
        SMatrix::from_fn(|_, _| self.range(lo, hi))
    }
}

fn bits<const R: usize, const C: usize>(m: &SMatrix<f64, R, C>) -> Vec<u64> {
    m.iter().map(|v| v.to_bits()).collect()
}

/// `got` and `want` have the same bits, element for element.
#[track_caller]
fn assert_bits<const R: usize, const C: usize>(
    got: &SMatrix<f64, R, C>,
    want: &SMatrix<f64, R, C>,
    what: &str,
) {
    assert_eq!(
        bits(got),
        bits(want),
        "{what}: replayed {got:?}, fresh {want:?}"
    );
}

#[track_caller]
fn assert_bits1(got: f64, want: f64, what: &str) {
    assert_eq!(
        got.to_bits(),
        want.to_bits(),
        "{what}: replayed {got:?}, fresh {want:?}"
    );
}

/// A fresh recording of a `ScalarFn` at `x` on `Tape::new()`: `(f(x), ∇f(x))` by `backward`.
fn fresh_gradient<F: ScalarFn<R, C>, const R: usize, const C: usize>(
    f: &F,
    x: &SMatrix<f64, R, C>,
) -> (f64, SMatrix<f64, R, C>) {
    let tape = Tape::new();
    let xt = tape.var(*x);
    let y = f.eval(xt);
    (y.item(), y.backward().wrt(xt))
}

// ---------------------------------------------------------------------------------------------
// the notebook's graph function and a small net

/// The notebook's graph function (`tests/notebook.rs`, TEST 8) of `v = [x1, x2, b1, b2, c1,
/// c2]`, in its order of ops: `y = (x1+b1)·σ(x1+b1)·c1 + σ(x1+b1)·(tanh(σ(x2+b2))·c2)`;
/// `composite` writes σ as `1/(1 + exp(−z))` (the notebook's), else the primitive `sigmoid`.
struct Graph {
    composite: bool,
}

impl Graph {
    fn sigmoid<'t, T: Scalar>(&self, z: Tensor<'t, 1, 1, T>) -> Tensor<'t, 1, 1, T> {
        if self.composite {
            ((-z).exp() + T::one()).recip()
        } else {
            z.sigmoid()
        }
    }
}

impl ScalarFn<6> for Graph {
    fn eval<'t, T: Scalar>(&self, v: Tensor<'t, 6, 1, T>) -> Tensor<'t, 1, 1, T> {
        let (x1, x2, b1, b2, c1, c2) = (v.at(0), v.at(1), v.at(2), v.at(3), v.at(4), v.at(5));
        let z0 = x1 + b1;
        let z1 = x2 + b2;
        let z2 = self.sigmoid(z0);
        let z3 = self.sigmoid(z1);
        let z4 = z3.tanh();
        let z5 = z4 * c2;
        let z6 = z0 * z2;
        let z7 = z6 * c1;
        let z8 = z2 * z5;
        z7 + z8
    }
}

/// A batch of 5 inputs and targets for the net (fixed, from the LCG).
fn net_data() -> (SMatrix<f64, 3, 5>, SMatrix<f64, 2, 5>) {
    let mut rng = Lcg(7);
    (rng.matrix(-2.0, 2.0), rng.matrix(0.0, 1.0))
}

/// `Σ (σ(W2·tanh(relu(W1 X + b1)) + b2) − Y)²` over the batch, `X` and `Y` constants.
fn net_loss<'t>(
    w1: Tensor<'t, 4, 3>,
    b1: Tensor<'t, 4, 1>,
    w2: Tensor<'t, 2, 4>,
    b2: Tensor<'t, 2, 1>,
) -> Tensor<'t, 1, 1> {
    let tape = w1.tape();
    let (x, y) = net_data();
    let (x, y) = (tape.constant(x), tape.constant(y));
    let h = (w1.matmul(x) + b1.broadcast_cols::<5>()).relu().tanh();
    let o = (w2.matmul(h) + b2.broadcast_cols::<5>()).sigmoid();
    (o - y).square().sum()
}

struct NetPoint {
    w1: Matrix4x3<f64>,
    b1: Vector4<f64>,
    w2: Matrix2x4<f64>,
    b2: Vector2<f64>,
}

impl NetPoint {
    fn random(rng: &mut Lcg) -> Self {
        NetPoint {
            w1: rng.matrix(-1.5, 1.5),
            b1: rng.matrix(-1.0, 1.0),
            w2: rng.matrix(-1.5, 1.5),
            b2: rng.matrix(-1.0, 1.0),
        }
    }
}

#[test]
fn replay_fn_gradient_is_bit_identical_on_the_graph_and_a_net() {
    let mut rng = Lcg(2024);
    for composite in [false, true] {
        let f = Graph { composite };
        let x0 = Vector6::from_fn(|_, _| rng.range(-3.0, 3.0));
        let replay = ReplayFn::new(&f, &x0).unwrap();
        let mut ws = replay.workspace();
        for k in 0..50 {
            let x = Vector6::from_fn(|_, _| rng.range(-3.0, 3.0));
            let (y, g) = replay.gradient(&mut ws, &x).unwrap();
            let (fy, fg) = fresh_gradient(&f, &x); // a fresh recording at x
            let what = format!("graph (composite σ: {composite}) at point {k}, {x:?}");
            assert_bits1(y, fy, &what);
            assert_bits(&g, &fg, &what);
            assert_bits1(replay.value(&mut ws, &x).unwrap(), fy, &what);
            // branch-free: the checked form passes and gives the same bits
            let (y, g) = replay.gradient_checked(&mut ws, &f, &x).unwrap();
            assert_bits1(y, fy, &what);
            assert_bits(&g, &fg, &what);
        }
    }

    // the net through the low-level Recording: four variables, each an input
    let tape = Tape::for_replay();
    let p0 = NetPoint::random(&mut rng);
    let (w1, b1, w2, b2) = (
        tape.var(p0.w1),
        tape.var(p0.b1),
        tape.var(p0.w2),
        tape.var(p0.b2),
    );
    let rec = Recording::new(net_loss(w1, b1, w2, b2)).unwrap();
    let (w1i, b1i, w2i, b2i) = (rec.input(w1), rec.input(b1), rec.input(w2), rec.input(b2));
    let mut ws = rec.workspace();
    let mut relu_sides = std::collections::BTreeSet::new();
    for k in 0..50 {
        let p = NetPoint::random(&mut rng);
        rec.set(&mut ws, w1i, &p.w1);
        rec.set(&mut ws, b1i, &p.b1);
        rec.set(&mut ws, w2i, &p.w2);
        rec.set(&mut ws, b2i, &p.b2);
        let l = rec.forward(&mut ws).unwrap()[0];
        rec.backward_one(&mut ws);

        // a fresh recording at p
        let fresh = Tape::new();
        let (fw1, fb1, fw2, fb2) = (
            fresh.var(p.w1),
            fresh.var(p.b1),
            fresh.var(p.w2),
            fresh.var(p.b2),
        );
        let fl = net_loss(fw1, fb1, fw2, fb2);
        let g = fl.backward();
        let what = format!("net at point {k}");
        // the net recorded afresh for replay there runs the same ops (relu inside an op)
        let again = Tape::for_replay();
        let ag = net_loss(
            again.var(p.w1),
            again.var(p.b1),
            again.var(p.w2),
            again.var(p.b2),
        );
        assert_eq!(rec.check(&ws, ag), Ok(()), "{what}");
        assert_bits1(l, fl.item(), &what);
        assert_bits(&rec.gradient(&ws, w1i), &g.wrt(fw1), &what);
        assert_bits(&rec.gradient(&ws, b1i), &g.wrt(fb1), &what);
        assert_bits(&rec.gradient(&ws, w2i), &g.wrt(fw2), &what);
        assert_bits(&rec.gradient(&ws, b2i), &g.wrt(fb2), &what);
        // which hidden units are active differs from point to point
        let (x, _) = net_data();
        let active = (p.w1 * x + p.b1 * SMatrix::<f64, 1, 5>::repeat(1.0)).map(|v| v > 0.0);
        relu_sides.insert(active.iter().copied().collect::<Vec<_>>());
    }
    assert!(relu_sides.len() > 40, "the points should flip relu units");
}

// ---------------------------------------------------------------------------------------------
// VectorFn: Jacobians and vector-Jacobian products

/// Misra1a-like residuals `b0·(1 − exp(−b1·xᵢ)) − yᵢ` at the first five data points of NIST's
/// Misra1a.
struct Misra;

const MISRA_X: [f64; 5] = [77.6, 114.9, 141.1, 190.8, 239.9];
const MISRA_Y: [f64; 5] = [10.07, 14.73, 17.94, 23.93, 29.61];

impl VectorFn<2, 5> for Misra {
    fn eval<'t, T: Scalar>(&self, b: Tensor<'t, 2, 1, T>) -> Tensor<'t, 5, 1, T> {
        let tape = b.tape();
        let c =
            |v: [f64; 5]| tape.constant(SVector::<T, 5>::from_fn(|i, _| nalgebra::convert(v[i])));
        let (x, y) = (c(MISRA_X), c(MISRA_Y));
        let (b0, b1) = (b.at(0), b.at(1));
        let decay = -(x * b1.broadcast::<5, 1>()).exp() + T::one();
        decay * b0.broadcast::<5, 1>() - y
    }
}

#[test]
fn replay_vector_fn_jacobian_and_vjp_are_bit_identical() {
    let mut rng = Lcg(99);
    let f = ReplayVectorFn::new(&Misra, &Vector2::new(500.0, 1e-4)).unwrap();
    let mut ws = f.workspace();
    for k in 0..50 {
        let b = Vector2::new(rng.range(100.0, 300.0), rng.range(1e-4, 1e-3));
        let w = SVector::<f64, 5>::from_fn(|_, _| rng.range(-2.0, 2.0));
        let what = format!("Misra at point {k}, {b:?}");

        // a fresh recording at b: values, Tensor::jacobian, backward_with(w)
        let tape = Tape::new();
        let bt = tape.var(b);
        let r = Misra.eval(bt);
        let (fy, fj) = (r.value(), r.jacobian(bt));
        let fvj = r.backward_with(&w).wrt(bt);

        let (y, j) = f.jacobian(&mut ws, &b).unwrap();
        assert_bits(&y, &fy, &what);
        assert_bits(&j, &fj, &what);
        let (y, vj) = f.vjp(&mut ws, &b, &w).unwrap();
        assert_bits(&y, &fy, &what);
        assert_bits(&vj, &fvj, &what);
        assert_bits(&f.value(&mut ws, &b).unwrap(), &fy, &what);
        let (y, j) = f.jacobian_checked(&mut ws, &Misra, &b).unwrap();
        assert_bits(&y, &fy, &what);
        assert_bits(&j, &fj, &what);
    }
}

// ---------------------------------------------------------------------------------------------
// data, parameters

/// `Σ sin(x ⊙ d) + Σ (x − d)²` with `d` data.
fn data_loss<'t>(x: Tensor<'t, 3, 1>, d: Tensor<'t, 3, 1>) -> Tensor<'t, 1, 1> {
    (x * d).sin().sum() + (x - d).square().sum()
}

#[test]
fn data_inputs_change_without_rerecording() {
    let tape = Tape::for_replay();
    let x0 = Vector3::new(0.5, -1.0, 2.0);
    let d0 = Vector3::new(1.0, 2.0, 3.0);
    let (x, d) = (tape.var(x0), tape.constant(d0));
    let recorded = data_loss(x, d).item();
    let rec = Recording::new(data_loss(x, d)).unwrap();
    let (xi, di) = (rec.input(x), rec.input(d));
    let mut ws = rec.workspace();
    let mut rng = Lcg(5);
    for k in 0..20 {
        let data = Vector3::from_fn(|_, _| rng.range(-3.0, 3.0));
        rec.set(&mut ws, di, &data);
        let l = rec.forward(&mut ws).unwrap()[0];
        rec.backward_one(&mut ws);

        // a fresh recording with this data as a constant
        let fresh = Tape::new();
        let (fx, fd) = (fresh.var(x0), fresh.constant(data));
        let fl = data_loss(fx, fd);
        let g = fl.backward();
        let what = format!("data {k}, {data:?}");
        assert_bits1(l, fl.item(), &what);
        assert_ne!(l, recorded, "{what}: the data should change the value");
        assert_bits(&rec.gradient(&ws, xi), &g.wrt(fx), &what);
        // data: no gradient (Recording's contract, as `wrt` of a constant on a fresh tape)
        assert_bits(&rec.gradient(&ws, di), &Vector3::zeros(), &what);
        assert_bits(&g.wrt(fd), &Vector3::zeros(), &what);
    }
    // the variable and the data together
    let (xn, dn) = (Vector3::new(-0.25, 1.5, 0.75), Vector3::new(-2.0, 0.5, 1.0));
    rec.set(&mut ws, xi, &xn);
    rec.set(&mut ws, di, &dn);
    let l = rec.forward(&mut ws).unwrap()[0];
    rec.backward_one(&mut ws);
    let fresh = Tape::new();
    let (fx, fd) = (fresh.var(xn), fresh.constant(dn));
    let fl = data_loss(fx, fd);
    assert_bits1(l, fl.item(), "x and d");
    assert_bits(&rec.gradient(&ws, xi), &fl.backward().wrt(fx), "x and d");
}

/// `Σ tanh(W x + b)²` with the parameters `W`, `b` and the constant `x`.
fn param_loss<'t>(w: Tensor<'t, 2, 3>, b: Tensor<'t, 2, 1>) -> Tensor<'t, 1, 1> {
    let x = w.tape().constant(Vector3::new(0.5, -1.25, 2.0));
    (w.matmul(x) + b).tanh().square().sum()
}

#[test]
fn parameters_declared_inputs_replay_like_a_fresh_recording() {
    let mut tape = Tape::for_replay();
    let w = tape.param(Matrix2x3::new(0.1, 0.2, 0.3, -0.4, 0.5, -0.6));
    let b = tape.param(Vector2::new(0.05, -0.05));
    let (wt, bt) = (tape.get(w), tape.get(b));
    let rec = Recording::new(param_loss(wt, bt)).unwrap();
    let (wi, bi) = (rec.input(wt), rec.input(bt));
    let mut ws = rec.workspace();
    let mut rng = Lcg(31);
    for k in 0..20 {
        let (wv, bv): (Matrix2x3<f64>, Vector2<f64>) =
            (rng.matrix(-1.0, 1.0), rng.matrix(-1.0, 1.0));
        rec.set(&mut ws, wi, &wv);
        rec.set(&mut ws, bi, &bv);
        let l = rec.forward(&mut ws).unwrap()[0];
        rec.backward_one(&mut ws);

        // a fresh recording with these parameter values, read with `wrt_param`
        let mut fresh = Tape::new();
        let (fw, fb) = (fresh.param(wv), fresh.param(bv));
        let fl = param_loss(fresh.get(fw), fresh.get(fb));
        let g = fl.backward();
        let what = format!("parameters {k}");
        assert_bits1(l, fl.item(), &what);
        assert_bits(&rec.gradient(&ws, wi), &g.wrt_param(fw), &what);
        assert_bits(&rec.gradient(&ws, bi), &g.wrt_param(fb), &what);
    }
}

// ---------------------------------------------------------------------------------------------
// value-dependent ops across their kinks and branches

type Op<const N: usize> = for<'t> fn(Tensor<'t, N, 1>, Tensor<'t, N, 1>) -> Tensor<'t, N, 1>;

/// `Σ w ⊙ op(x, y)` with distinct non-zero weights.
fn kink_loss<'t, const N: usize>(
    op: Op<N>,
    x: Tensor<'t, N, 1>,
    y: Tensor<'t, N, 1>,
) -> Tensor<'t, 1, 1> {
    let w = SVector::<f64, N>::from_fn(|i, _| 0.75 - 0.375 * i as f64);
    (op(x, y) * x.tape().constant(w)).sum()
}

/// `(L, ∂x, ∂y)` of a fresh recording at `(x, y)`.
fn fresh_kink<const N: usize>(
    op: Op<N>,
    x: &SVector<f64, N>,
    y: &SVector<f64, N>,
) -> (f64, SVector<f64, N>, SVector<f64, N>) {
    let tape = Tape::new();
    let (xt, yt) = (tape.var(*x), tape.var(*y));
    let l = kink_loss(op, xt, yt);
    let g = l.backward();
    (l.item(), g.wrt(xt), g.wrt(yt))
}

/// Records at `at`, replays at each of `replays` and compares with fresh recordings there.
/// Returns how many replay points give the fresh recording another value or other gradients
/// than `at` does (a point on the other side of a kink must: `relu`, `max`, `min`, `clamp`
/// change their gradients, `abs` its gradient's sign, `sigmoid` its value).
fn check_kinks<const N: usize>(
    name: &str,
    op: Op<N>,
    at: (SVector<f64, N>, SVector<f64, N>),
    replays: &[(SVector<f64, N>, SVector<f64, N>)],
) -> usize {
    let tape = Tape::for_replay();
    let (x, y) = (tape.var(at.0), tape.var(at.1));
    let rec = Recording::new(kink_loss(op, x, y)).unwrap();
    let (xi, yi) = (rec.input(x), rec.input(y));
    let mut ws = rec.workspace();
    let (l0, gx0, gy0) = fresh_kink(op, &at.0, &at.1);
    let mut crossed = 0;
    for (px, py) in replays {
        rec.set(&mut ws, xi, px);
        rec.set(&mut ws, yi, py);
        let l = rec.forward(&mut ws).unwrap()[0];
        rec.backward_one(&mut ws);
        let (fl, fgx, fgy) = fresh_kink(op, px, py); // a fresh recording there
        let what = format!("{name} ({N}×1) recorded at {at:?}, replayed at {px:?}, {py:?}");
        assert_bits1(l, fl, &what);
        assert_bits(&rec.gradient(&ws, xi), &fgx, &what);
        assert_bits(&rec.gradient(&ws, yi), &fgy, &what);
        if fl.to_bits() != l0.to_bits() || bits(&fgx) != bits(&gx0) || bits(&fgy) != bits(&gy0) {
            crossed += 1;
        }
    }
    crossed
}

type Point4 = ([f64; 4], [f64; 4]);

/// One op on 4×1 leaves (the matrix path) and, element by element, on 1×1 leaves (the scalar
/// path), recorded at `at`, replayed at the points `across` (each on the other side of a kink
/// or branch for some element, asserted) and at `more` (ties, the kink itself, anywhere).
fn kinks(name: &str, op4: Op<4>, op1: Op<1>, at: Point4, across: &[Point4], more: &[Point4]) {
    let v4 = |a: [f64; 4]| SVector::<f64, 4>::from(a);
    let four = |ps: &[Point4]| -> Vec<_> { ps.iter().map(|&(x, y)| (v4(x), v4(y))).collect() };
    let crossed = check_kinks(name, op4, (v4(at.0), v4(at.1)), &four(across));
    assert_eq!(
        crossed,
        across.len(),
        "{name}: a point `across` crossed nothing"
    );
    check_kinks(name, op4, (v4(at.0), v4(at.1)), &four(more));
    let mut crossed = 0;
    for i in 0..4 {
        let one: Vec<_> = across
            .iter()
            .chain(more)
            .map(|&(x, y)| (Vector1::new(x[i]), Vector1::new(y[i])))
            .collect();
        let at = (Vector1::new(at.0[i]), Vector1::new(at.1[i]));
        crossed += check_kinks(name, op1, at, &one);
    }
    assert!(crossed > 0, "{name}: no 1×1 replay crossed a kink");
}

#[test]
fn value_dependent_ops_replay_correctly() {
    const NONE: [f64; 4] = [0.0; 4];
    let positive = [0.5, 2.0, 30.0, 800.0];
    let negative = [-0.5, -2.0, -30.0, -800.0];
    let mixed = [3.0, -3.0, 0.125, -7.0];
    // exactly at the kink (and sigmoid's branch): 0 and −0
    let zeros = [0.0, -0.0, 0.0, -0.0];
    for (name, op4, op1) in [
        (
            "relu",
            (|x, _| x.relu()) as Op<4>,
            (|x, _| x.relu()) as Op<1>,
        ),
        ("abs", |x, _| x.abs(), |x, _| x.abs()),
        ("sigmoid", |x, _| x.sigmoid(), |x, _| x.sigmoid()),
    ] {
        let (p, n, m, z) = (
            (positive, NONE),
            (negative, NONE),
            (mixed, NONE),
            (zeros, NONE),
        );
        kinks(name, op4, op1, p, &[n, m], &[z, p]);
        // and recorded on the negative side
        kinks(name, op4, op1, n, &[p, m], &[z, n]);
    }
    // sigmoid's far tails, where one of its two forms would overflow: ±1000
    kinks(
        "sigmoid",
        |x, _| x.sigmoid(),
        |x, _| x.sigmoid(),
        ([40.0, 1000.0, 5.0, 0.25], NONE),
        &[([-40.0, -1000.0, -5.0, -0.25], NONE)],
        &[],
    );
    // max and min: recorded with x > y, replayed with x < y and at ties
    let (hi, lo) = ([1.0, 2.5, -0.5, 40.0], [0.25, -1.0, -2.0, 39.0]);
    for (name, op4, op1) in [
        (
            "max",
            (|x: Tensor<'_, 4, 1>, y| x.max(y)) as Op<4>,
            (|x: Tensor<'_, 1, 1>, y| x.max(y)) as Op<1>,
        ),
        ("min", |x, y| x.min(y), |x, y| x.min(y)),
    ] {
        kinks(name, op4, op1, (hi, lo), &[(lo, hi)], &[(hi, hi), (lo, lo)]);
        kinks(name, op4, op1, (lo, hi), &[(hi, lo)], &[(hi, hi)]);
    }
    // clamp to [−1, 1]: recorded inside, replayed below, above and at the ends
    let clamp4: Op<4> = |x, _| x.clamp(-1.0, 1.0);
    let clamp1: Op<1> = |x, _| x.clamp(-1.0, 1.0);
    let inside = ([0.5, -0.5, 0.25, -0.75], NONE);
    let outside = ([-5.0, 5.0, -800.0, 800.0], NONE);
    let ends = ([1.0, -1.0, 1.0, -1.0], NONE);
    kinks(
        "clamp",
        clamp4,
        clamp1,
        inside,
        &[outside, ([5.0, -5.0, 2.0, -2.0], NONE)],
        &[ends],
    );
    kinks("clamp", clamp4, clamp1, outside, &[inside], &[ends]);
}

// ---------------------------------------------------------------------------------------------
// what a recording cannot see: control flow in the caller's code

/// `x²` for `x > 0`, `sin x` otherwise: a branch in the function's own code.
struct Branchy;

impl ScalarFn<1> for Branchy {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 1, 1, T>) -> Tensor<'t, 1, 1, T> {
        if x.item() > T::zero() { x * x } else { x.sin() }
    }
}

/// `x · x.item()`: the same op at every point, with a constant baked in from the value.
struct Baked;

impl ScalarFn<3> for Baked {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 3, 1, T>) -> Tensor<'t, 1, 1, T> {
        (x * x.at(0).item()).sum()
    }
}

#[test]
fn a_branch_in_user_code_is_caught() {
    let f = ReplayFn::new(&Branchy, &Matrix1::new(2.0)).unwrap();
    let mut ws = f.workspace();
    // the unchecked replay at −1.5 runs the recorded x·x: (−1.5)² = 2.25, not sin(−1.5)
    let (y, _) = f.gradient(&mut ws, &Matrix1::new(-1.5)).unwrap();
    assert_eq!(y, 2.25);
    assert!(matches!(
        f.gradient_checked(&mut ws, &Branchy, &Matrix1::new(-1.5)),
        Err(ReplayError::Changed { .. })
    ));
    // on the recorded side the checked form agrees with a fresh recording
    for x in [0.5, 3.0, 2.0, 1e-3] {
        let x = Matrix1::new(x);
        let (y, g) = f.gradient_checked(&mut ws, &Branchy, &x).unwrap();
        let (fy, fg) = fresh_gradient(&Branchy, &x);
        assert_bits1(y, fy, "Branchy");
        assert_bits(&g, &fg, "Branchy");
    }
    // and the error does not spoil the workspace for the next evaluation
    assert!(
        f.gradient_checked(&mut ws, &Branchy, &Matrix1::new(-0.5))
            .is_err()
    );
    let (y, _) = f
        .gradient_checked(&mut ws, &Branchy, &Matrix1::new(0.75))
        .unwrap();
    assert_bits1(
        y,
        fresh_gradient(&Branchy, &Matrix1::new(0.75)).0,
        "after an error",
    );

    // the same ops, another baked constant: caught where x₀ changes, fine where it does not
    let x0 = Vector3::new(2.0, 1.0, -1.0);
    let f = ReplayFn::new(&Baked, &x0).unwrap();
    let mut ws = f.workspace();
    let other = Vector3::new(3.0, 1.0, -1.0);
    let (y, _) = f.gradient(&mut ws, &other).unwrap();
    assert_eq!(
        y,
        3.0 * 2.0,
        "the replay keeps the recorded constant x₀ = 2"
    );
    assert!(matches!(
        f.gradient_checked(&mut ws, &Baked, &other),
        Err(ReplayError::Changed { .. })
    ));
    let same_x0 = Vector3::new(2.0, -4.0, 0.5);
    let (y, g) = f.gradient_checked(&mut ws, &Baked, &same_x0).unwrap();
    let (fy, fg) = fresh_gradient(&Baked, &same_x0);
    assert_bits1(y, fy, "Baked");
    assert_bits(&g, &fg, "Baked");

    // a VectorFn's checked Jacobian catches a branch too
    struct Flip;
    impl VectorFn<2, 2> for Flip {
        fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 2, 1, T> {
            if x.at(0).item() > x.at(1).item() {
                x * x
            } else {
                x.exp()
            }
        }
    }
    let f = ReplayVectorFn::new(&Flip, &Vector2::new(1.0, 0.0)).unwrap();
    let mut ws = f.workspace();
    assert!(matches!(
        f.jacobian_checked(&mut ws, &Flip, &Vector2::new(0.0, 1.0)),
        Err(ReplayError::Changed { .. })
    ));
    assert!(
        f.jacobian_checked(&mut ws, &Flip, &Vector2::new(3.0, 1.0))
            .is_ok()
    );
}

// ---------------------------------------------------------------------------------------------
// ops without a value at the new inputs

#[test]
fn fallible_ops_report_no_value() {
    // cholesky: recorded on an SPD matrix, replayed on an indefinite one
    let spd = Matrix3::new(4.0, 1.0, 0.5, 1.0, 3.0, 0.25, 0.5, 0.25, 2.0);
    fn chol(a: Tensor<'_, 3, 3>) -> Tensor<'_, 1, 1> {
        let w = Matrix3::from_fn(|i, j| 0.25 + (i + 3 * j) as f64 / 8.0);
        (a.cholesky().unwrap() * a.tape().constant(w)).sum()
    }
    let tape = Tape::for_replay();
    let a = tape.var(spd);
    let rec = Recording::new(chol(a)).unwrap();
    let ai = rec.input(a);
    let mut ws = rec.workspace();
    rec.set(
        &mut ws,
        ai,
        &Matrix3::from_diagonal(&Vector3::new(1.0, -1.0, 1.0)),
    );
    match rec.forward(&mut ws) {
        // node 1: the first op after the leaf `a` (node 0)
        Err(ReplayError::NoValue {
            op: "cholesky",
            node: 1,
        }) => {}
        other => panic!("cholesky of an indefinite matrix: {other:?}"),
    }
    let spd2 = Matrix3::new(5.0, -1.0, 0.75, -1.0, 2.5, 0.5, 0.75, 0.5, 3.0);
    rec.set(&mut ws, ai, &spd2);
    let l = rec.forward(&mut ws).unwrap()[0];
    rec.backward_one(&mut ws);
    let fresh = Tape::new(); // a fresh recording at spd2
    let fa = fresh.var(spd2);
    let fl = chol(fa);
    assert_bits1(l, fl.item(), "cholesky after NoValue");
    assert_bits(
        &rec.gradient(&ws, ai),
        &fl.backward().wrt(fa),
        "cholesky after NoValue",
    );

    // try_inverse: recorded on an invertible matrix, replayed on a singular one
    fn inv(a: Tensor<'_, 2, 2>) -> Tensor<'_, 1, 1> {
        let w = a.tape().constant(Matrix2::new(0.5, -1.0, 1.5, 0.25));
        (a.try_inverse().unwrap() * w).sum()
    }
    let singular = Matrix2::new(1.0, 2.0, 2.0, 4.0);
    let tape = Tape::for_replay();
    let a = tape.var(Matrix2::new(2.0, 1.0, -1.0, 3.0));
    let rec = Recording::new(inv(a)).unwrap();
    let ai = rec.input(a);
    let mut ws = rec.workspace();
    rec.set(&mut ws, ai, &singular);
    assert!(matches!(
        rec.forward(&mut ws),
        Err(ReplayError::NoValue {
            op: "try_inverse",
            ..
        })
    ));
    let ok = Matrix2::new(1.5, -0.5, 0.25, 2.0);
    rec.set(&mut ws, ai, &ok);
    let l = rec.forward(&mut ws).unwrap()[0];
    rec.backward_one(&mut ws);
    let fresh = Tape::new(); // a fresh recording at `ok`
    let fa = fresh.var(ok);
    let fl = inv(fa);
    assert_bits1(l, fl.item(), "try_inverse after NoValue");
    assert_bits(
        &rec.gradient(&ws, ai),
        &fl.backward().wrt(fa),
        "try_inverse",
    );

    // solve: the same, with a right-hand side as a second input
    fn solve<'t>(a: Tensor<'t, 2, 2>, b: Tensor<'t, 2, 1>) -> Tensor<'t, 1, 1> {
        let w = a.tape().constant(Vector2::new(0.75, -1.25));
        (a.solve(b).unwrap() * w).sum()
    }
    let tape = Tape::for_replay();
    let (a, b) = (
        tape.var(Matrix2::new(2.0, 1.0, -1.0, 3.0)),
        tape.var(Vector2::new(1.0, 2.0)),
    );
    let rec = Recording::new(solve(a, b)).unwrap();
    let (ai, bi) = (rec.input(a), rec.input(b));
    let mut ws = rec.workspace();
    rec.set(&mut ws, ai, &singular);
    assert!(matches!(
        rec.forward(&mut ws),
        Err(ReplayError::NoValue { op: "solve", .. })
    ));
    let rhs = Vector2::new(-0.5, 4.0);
    rec.set(&mut ws, ai, &ok);
    rec.set(&mut ws, bi, &rhs);
    let l = rec.forward(&mut ws).unwrap()[0];
    rec.backward_one(&mut ws);
    let fresh = Tape::new(); // a fresh recording at (`ok`, rhs)
    let (fa, fb) = (fresh.var(ok), fresh.var(rhs));
    let fl = solve(fa, fb);
    let g = fl.backward();
    assert_bits1(l, fl.item(), "solve after NoValue");
    assert_bits(&rec.gradient(&ws, ai), &g.wrt(fa), "solve ∂a");
    assert_bits(&rec.gradient(&ws, bi), &g.wrt(fb), "solve ∂b");

    // through ReplayFn: the error is returned, not a NaN gradient
    struct LnDet;
    impl ScalarFn<2, 2> for LnDet {
        fn eval<'t, T: Scalar>(&self, a: Tensor<'t, 2, 2, T>) -> Tensor<'t, 1, 1, T> {
            let spd = a.matmul(a.transpose()) + a.tape().constant(Matrix2::identity());
            spd.ln_determinant_spd().unwrap() + a.try_inverse().unwrap().sum()
        }
    }
    let f = ReplayFn::new(&LnDet, &Matrix2::new(1.0, 0.5, -0.5, 2.0)).unwrap();
    let mut ws = f.workspace();
    assert!(matches!(
        f.gradient(&mut ws, &singular),
        Err(ReplayError::NoValue {
            op: "try_inverse",
            ..
        })
    ));
    let (y, g) = f.gradient(&mut ws, &ok).unwrap();
    let (fy, fg) = fresh_gradient(&LnDet, &ok);
    assert_bits1(y, fy, "LnDet");
    assert_bits(&g, &fg, "LnDet");
}

// ---------------------------------------------------------------------------------------------
// errors, threads

#[test]
fn recording_a_plain_tape_is_not_replayable() {
    let tape = Tape::new();
    let x = tape.var(Vector2::new(1.0, 2.0));
    assert_eq!(
        Recording::new((x * x).sum()).err(),
        Some(ReplayError::NotReplayable)
    );
    // a second recording of one replayable tape: the first took its forwards
    let tape = Tape::for_replay();
    let x = tape.var(Vector2::new(1.0, 2.0));
    let y = (x * x).sum();
    let rec = Recording::new(y).unwrap();
    assert_eq!(
        Recording::new(y.exp()).err(),
        Some(ReplayError::NotReplayable)
    );
    // a check against a fresh output on a plain tape
    let mut ws = rec.workspace();
    rec.forward(&mut ws).unwrap();
    let plain = Tape::new();
    let px = plain.var(Vector2::new(1.0, 2.0));
    assert_eq!(
        rec.check(&ws, (px * px).sum()),
        Err(ReplayError::NotReplayable)
    );
    // and against one on a replayable tape: the same ops and values
    let again = Tape::for_replay();
    let ax = again.var(Vector2::new(1.0, 2.0));
    assert_eq!(rec.check(&ws, (ax * ax).sum()), Ok(()));
}

#[test]
fn workspaces_evaluate_from_several_threads() {
    let f = Graph { composite: true };
    let replay = ReplayFn::new(&f, &Vector6::from_element(0.5)).unwrap();
    let replay = &replay;
    let f = &f;
    std::thread::scope(|s| {
        for t in 0..4u64 {
            s.spawn(move || {
                let mut ws = replay.workspace();
                let mut rng = Lcg(1000 + t);
                for k in 0..100 {
                    let x = Vector6::from_fn(|_, _| rng.range(-3.0, 3.0));
                    let (y, g) = replay.gradient(&mut ws, &x).unwrap();
                    let (fy, fg) = fresh_gradient(f, &x); // a fresh recording at x
                    let what = format!("thread {t}, point {k}");
                    assert_bits1(y, fy, &what);
                    assert_bits(&g, &fg, &what);
                }
            });
        }
    });
}

// ---------------------------------------------------------------------------------------------
// users' own ops, and recordings of unusual shapes

/// `y = (x₀x₁, x₀ + x₁)ᵀ`, hand-written VJP.
struct ProductAndSum;

impl<T: Scalar> shapegrad::CustomOp<T, 2, 1, 2, 1> for ProductAndSum {
    fn forward(x: &Vector2<T>) -> Vector2<T> {
        Vector2::new(x[0] * x[1], x[0] + x[1])
    }
    fn vjp(x: &Vector2<T>, _y: &Vector2<T>, gy: &Vector2<T>) -> Vector2<T> {
        Vector2::new(gy[0] * x[1] + gy[1], gy[0] * x[0] + gy[1])
    }
}

/// `y = Σ wᵢ aᵢ²`, hand-written VJP.
struct WeightedSquares;

impl<T: Scalar> shapegrad::CustomOp2<T, 2, 1, 2, 1, 1, 1> for WeightedSquares {
    fn forward(a: &Vector2<T>, w: &Vector2<T>) -> Matrix1<T> {
        Matrix1::new(w.dot(&a.component_mul(a)))
    }
    fn vjp(
        a: &Vector2<T>,
        w: &Vector2<T>,
        _y: &Matrix1<T>,
        gy: &Matrix1<T>,
    ) -> (Vector2<T>, Vector2<T>) {
        let two: T = nalgebra::convert(2.0);
        (
            w.component_mul(a) * (two * gy[0]),
            a.component_mul(a) * gy[0],
        )
    }
}

/// Every user-op form, on 1×1 and 2×1 operands: `map_with_derivative`,
/// `zip_with_derivative`, `custom`, `custom2`.
struct UserOps;

impl ScalarFn<4> for UserOps {
    fn eval<'t, T: Scalar>(&self, v: Tensor<'t, 4, 1, T>) -> Tensor<'t, 1, 1, T> {
        let softplus = |x: T| {
            let y = x.max(T::zero()) + (-x.abs()).exp().ln_1p();
            (y, (T::one() + (-x).exp()).recip())
        };
        let (a, b) = (v.fixed_rows::<2>(0), v.fixed_rows::<2>(2));
        let s = v.at(0).map_with_derivative(softplus) + a.map_with_derivative(softplus).sum();
        let z = |a: T, b: T| (a * b.sin(), [b.sin(), a * b.cos()]);
        let p = v.at(1).zip_with_derivative(v.at(3), z) + a.zip_with_derivative(b, z).sum();
        let c = a.custom::<ProductAndSum, 2, 1>().dot(b);
        let w = a.custom2::<WeightedSquares, 2, 1, 1, 1>(b);
        s * p + c + w
    }
}

#[test]
fn user_ops_replay_like_a_fresh_recording() {
    let mut rng = Lcg(77);
    let f = ReplayFn::new(&UserOps, &Vector4::new(0.5, -1.0, 2.0, 0.25)).unwrap();
    let mut ws = f.workspace();
    for k in 0..50 {
        let x = Vector4::from_fn(|_, _| rng.range(-3.0, 3.0));
        let (y, g) = f.gradient(&mut ws, &x).unwrap();
        let (fy, fg) = fresh_gradient(&UserOps, &x); // a fresh recording at x
        assert_bits1(y, fy, &format!("user ops at point {k}"));
        assert_bits(&g, &fg, &format!("user ops at point {k}"));
        let (y, g) = f.gradient_checked(&mut ws, &UserOps, &x).unwrap();
        assert_bits1(y, fy, &format!("user ops, checked, at point {k}"));
        assert_bits(&g, &fg, &format!("user ops, checked, at point {k}"));
    }
}

#[test]
fn unusual_recordings_replay_like_fresh_ones() {
    // the output a leaf itself: its values, and the seed as its gradient (as `backward_with`)
    let tape = Tape::for_replay();
    let x = tape.var(Vector2::new(1.0, 2.0));
    let rec = Recording::new(x).unwrap();
    let xi = rec.input(x);
    let mut ws = rec.workspace();
    rec.set(&mut ws, xi, &Vector2::new(-3.0, 0.5));
    assert_bits(
        &rec.forward(&mut ws).unwrap(),
        &Vector2::new(-3.0, 0.5),
        "a leaf",
    );
    rec.backward(&mut ws, &Vector2::new(0.25, -4.0));
    let fresh = Tape::new();
    let fx = fresh.var(Vector2::new(-3.0, 0.5));
    assert_bits(
        &rec.gradient(&ws, xi),
        &fx.backward_with(&Vector2::new(0.25, -4.0)).wrt(fx),
        "a leaf",
    );

    // the output recorded before other ops (not the tape's last node), leaves after ops, an
    // input the output does not use, and one leaf declared twice
    let tape = Tape::for_replay();
    let a = tape.var(Vector3::new(0.5, -1.0, 2.0));
    let h = a.sin();
    let b = tape.var(Vector3::new(1.5, 0.25, -0.75)); // a leaf after an op
    let unused = tape.var(Vector2::new(9.0, 9.0));
    let y = (h * b).exp().sum() + a.norm();
    let _after = (y * y).exp(); // recorded after the output: not part of the recording
    let rec = Recording::new(y).unwrap();
    let (ai, bi, ui, ai2) = (rec.input(a), rec.input(b), rec.input(unused), rec.input(a));
    assert_eq!(ai, ai2);
    let mut ws = rec.workspace();
    let mut rng = Lcg(3);
    for k in 0..20 {
        let (av, bv): (Vector3<f64>, Vector3<f64>) = (rng.matrix(-2.0, 2.0), rng.matrix(-2.0, 2.0));
        rec.set(&mut ws, ai, &av);
        rec.set(&mut ws, bi, &bv);
        rec.set(&mut ws, ui, &Vector2::new(k as f64, -1.0));
        let l = rec.forward(&mut ws).unwrap()[0];
        rec.backward_one(&mut ws);
        let fresh = Tape::new(); // a fresh recording at (av, bv)
        let fa = fresh.var(av);
        let fh = fa.sin();
        let fb = fresh.var(bv);
        let fy = (fh * fb).exp().sum() + fa.norm();
        let g = fy.backward();
        let what = format!("leaves after ops, point {k}");
        assert_bits1(l, fy.item(), &what);
        assert_bits(&rec.gradient(&ws, ai), &g.wrt(fa), &what);
        assert_bits(&rec.gradient(&ws, bi), &g.wrt(fb), &what);
        assert_bits(&rec.gradient(&ws, ui), &Vector2::zeros(), &what); // not on the path
    }

    // a long scalar chain z ← z·c + z·z·k with c a variable (benches/gradients.rs's chain)
    fn chain<'t>(x: Tensor<'t, 1, 1>, c: Tensor<'t, 1, 1>) -> Tensor<'t, 1, 1> {
        let mut z = x;
        for _ in 0..300 {
            z = z * c + z * z * -1e-3;
        }
        z
    }
    let tape = Tape::for_replay();
    let (x, c) = (tape.var_scalar(0.5), tape.var_scalar(0.999));
    let rec = Recording::new(chain(x, c)).unwrap();
    let (xi, ci) = (rec.input(x), rec.input(c));
    let mut ws = rec.workspace();
    for (xv, cv) in [(0.25, 1.001), (-0.75, 0.98), (0.5, 0.999)] {
        rec.set(&mut ws, xi, &Matrix1::new(xv));
        rec.set(&mut ws, ci, &Matrix1::new(cv));
        let z = rec.forward(&mut ws).unwrap()[0];
        rec.backward_one(&mut ws);
        let fresh = Tape::new(); // a fresh recording at (xv, cv)
        let (fx, fc) = (fresh.var_scalar(xv), fresh.var_scalar(cv));
        let fz = chain(fx, fc);
        let g = fz.backward();
        let what = format!("chain at ({xv}, {cv})");
        assert_bits1(z, fz.item(), &what);
        assert_bits(&rec.gradient(&ws, xi), &g.wrt(fx), &what);
        assert_bits(&rec.gradient(&ws, ci), &g.wrt(fc), &what);
    }

    // a replayable tape cleared and recorded again, parameters kept across the clear
    let mut tape = Tape::for_replay();
    let p = tape.param(Vector2::new(0.5, -0.5));
    {
        let _ = (tape.get(p).exp() * tape.var(Vector2::new(1.0, 1.0))).sum(); // discarded
    }
    tape.clear();
    let x = tape.var(Vector2::new(2.0, 3.0));
    let pt = tape.get(p);
    let rec = Recording::new((pt.tanh() * x).sum()).unwrap();
    let (pi, xi) = (rec.input(pt), rec.input(x));
    let mut ws = rec.workspace();
    let (pv, xv) = (Vector2::new(-1.25, 0.75), Vector2::new(0.5, -2.0));
    rec.set(&mut ws, pi, &pv);
    rec.set(&mut ws, xi, &xv);
    let l = rec.forward(&mut ws).unwrap()[0];
    rec.backward_one(&mut ws);
    let mut fresh = Tape::new(); // a fresh recording at (pv, xv)
    let fp = fresh.param(pv);
    let fx = fresh.var(xv);
    let fl = (fresh.get(fp).tanh() * fx).sum();
    let g = fl.backward();
    assert_bits1(l, fl.item(), "after clear");
    assert_bits(&rec.gradient(&ws, pi), &g.wrt_param(fp), "after clear");
    assert_bits(&rec.gradient(&ws, xi), &g.wrt(fx), "after clear");
}

/// Bigger shapes than the registry's: a 24×20 by 20×12 product, softmax over 24 rows,
/// `cholesky` of 6×6, `solve` of 5×5 with 3 right-hand sides, `try_inverse` of 4×4.
fn big_loss<'t>(
    w: Tensor<'t, 24, 20>,
    x: Tensor<'t, 20, 12>,
    a: Tensor<'t, 6, 6>,
    m: Tensor<'t, 5, 5>,
    b: Tensor<'t, 5, 3>,
) -> Tensor<'t, 1, 1> {
    let tape = w.tape();
    let eye6 = tape.constant(SMatrix::<f64, 6, 6>::identity());
    let eye5 = tape.constant(SMatrix::<f64, 5, 5>::identity());
    let z = w.matmul(x).softmax().log_softmax().mean();
    let l = (a.matmul(a.transpose()) + eye6).cholesky().unwrap().sum();
    let s = (m + eye5 * 6.0).solve(b).unwrap().norm_squared();
    let i = (m.fixed_view::<4, 4>(0, 0) + m.fixed_view::<4, 4>(1, 1) * 0.5)
        .try_inverse()
        .unwrap()
        .sum();
    z + l * s + i + m.determinant()
}

#[test]
fn larger_matrices_replay_like_fresh_ones() {
    let mut rng = Lcg(11);
    let tape = Tape::for_replay();
    let (w, x, a, m, b) = (
        tape.var(rng.matrix(-1.0, 1.0)),
        tape.var(rng.matrix(-1.0, 1.0)),
        tape.var(rng.matrix(-1.0, 1.0)),
        tape.var(rng.matrix(-1.0, 1.0)),
        tape.var(rng.matrix(-1.0, 1.0)),
    );
    let rec = Recording::new(big_loss(w, x, a, m, b)).unwrap();
    let ins = (
        rec.input(w),
        rec.input(x),
        rec.input(a),
        rec.input(m),
        rec.input(b),
    );
    let mut ws = rec.workspace();
    for k in 0..5 {
        let wv: SMatrix<f64, 24, 20> = rng.matrix(-1.0, 1.0);
        let xv: SMatrix<f64, 20, 12> = rng.matrix(-1.0, 1.0);
        let av: SMatrix<f64, 6, 6> = rng.matrix(-1.0, 1.0);
        let mv: SMatrix<f64, 5, 5> = rng.matrix(-1.0, 1.0);
        let bv: SMatrix<f64, 5, 3> = rng.matrix(-1.0, 1.0);
        rec.set(&mut ws, ins.0, &wv);
        rec.set(&mut ws, ins.1, &xv);
        rec.set(&mut ws, ins.2, &av);
        rec.set(&mut ws, ins.3, &mv);
        rec.set(&mut ws, ins.4, &bv);
        let l = rec.forward(&mut ws).unwrap()[0];
        rec.backward_one(&mut ws);
        let fresh = Tape::new(); // a fresh recording at this point
        let f = (
            fresh.var(wv),
            fresh.var(xv),
            fresh.var(av),
            fresh.var(mv),
            fresh.var(bv),
        );
        let fl = big_loss(f.0, f.1, f.2, f.3, f.4);
        let g = fl.backward();
        let what = format!("big shapes at point {k}");
        assert_bits1(l, fl.item(), &what);
        assert_bits(&rec.gradient(&ws, ins.0), &g.wrt(f.0), &what);
        assert_bits(&rec.gradient(&ws, ins.1), &g.wrt(f.1), &what);
        assert_bits(&rec.gradient(&ws, ins.2), &g.wrt(f.2), &what);
        assert_bits(&rec.gradient(&ws, ins.3), &g.wrt(f.3), &what);
        assert_bits(&rec.gradient(&ws, ins.4), &g.wrt(f.4), &what);
    }
}

#[test]
fn a_constant_output_replays_with_zero_gradients() {
    // nothing needs a gradient: the walk reaches nothing, every input's gradient is zero
    let tape = Tape::for_replay();
    let c = tape.constant(Vector2::new(1.0, 2.0));
    let rec = Recording::new(c.exp().sum()).unwrap();
    let ci = rec.input(c);
    let mut ws = rec.workspace();
    rec.set(&mut ws, ci, &Vector2::new(0.5, -0.5));
    let y = rec.forward(&mut ws).unwrap()[0];
    rec.backward_one(&mut ws);
    let fresh = Tape::new(); // a fresh recording at (0.5, −0.5)
    let fc = fresh.constant(Vector2::new(0.5, -0.5));
    let fy = fc.exp().sum();
    assert_bits1(y, fy.item(), "constant output");
    assert_bits(
        &rec.gradient(&ws, ci),
        &fy.backward().wrt(fc),
        "constant output",
    );
    assert_bits(&rec.gradient(&ws, ci), &Vector2::zeros(), "constant output");
}

// ---------------------------------------------------------------------------------------------
// a bug: `Recording::check` reads the placeholder of an empty op output

/// Leaves the thread's pooled tape buffers holding `v` in their first scalars: a tape
/// recorded with them and dropped (its buffers go to the pool, not zeroed).
fn dirty_the_pool(v: f64) {
    let tape = Tape::<f64>::new();
    let _ = tape.var(SVector::<f64, 16>::repeat(v)).exp();
}

/// `Σ −x` of an empty `x`.
fn empty_sum(x: Tensor<'_, 0, 3>) -> Tensor<'_, 1, 1> {
    (-x).sum()
}

#[test]
fn check_accepts_an_unchanged_function_with_an_empty_intermediate() {
    dirty_the_pool(7.0);
    let tape = Tape::for_replay();
    let x = tape.var(SMatrix::<f64, 0, 3>::zeros());
    let rec = Recording::new(empty_sum(x)).unwrap();
    let mut ws = rec.workspace();
    rec.forward(&mut ws).unwrap();
    drop(tape);
    dirty_the_pool(3.0);
    // the same function, recorded afresh at the same (empty) input
    let again = Tape::for_replay();
    let y = empty_sum(again.var(SMatrix::<f64, 0, 3>::zeros()));
    assert_eq!(rec.check(&ws, y), Ok(()));
}
