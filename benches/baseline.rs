//! Hand-written nalgebra gradients of the benchmarked functions: the practical limit that
//! shapegrad is measured against. Also compiled into `tests/baselines.rs`, which checks them
//! against shapegrad's gradients, so the benches compare like with like.

#![allow(dead_code, clippy::new_without_default)]

use std::hint::black_box;

use nalgebra::{SMatrix, SVector};
use shapegrad::{Gradients, Input, Param, Recording, Scalar, Tape, Tensor, Workspace};

fn sigmoid<T: Scalar>(x: T) -> T {
    T::one() / (T::one() + (-x).exp())
}

/// The notebook's graph function (TEST 8) by hand: returns `y` and writes
/// `[x1, x2, b1, b2, c1, c2]`'s gradients.
pub fn graph_by_hand(x: [f64; 2], w: [f64; 4], grad: &mut [f64; 6]) -> f64 {
    let [x1, x2] = x;
    let [b1, b2, c1, c2] = w;
    let z0 = x1 + b1;
    let z1 = x2 + b2;
    let z2 = sigmoid(z0);
    let z3 = sigmoid(z1);
    let z4 = z3.tanh();
    let z5 = z4 * c2;
    let z6 = z0 * z2;
    let z7 = z6 * c1;
    let z8 = z2 * z5;
    let y = z7 + z8;
    // reverse: ∂y/∂z7 = ∂y/∂z8 = 1
    let dz6 = c1;
    let dc1 = z6;
    let dz2 = z5 + z0 * dz6;
    let dz5 = z2;
    let dz4 = c2 * dz5;
    let dc2 = z4 * dz5;
    let dz3 = dz4 * (1.0 - z4 * z4);
    let dz1 = dz3 * z3 * (1.0 - z3);
    let dz0 = z2 * dz6 + dz2 * z2 * (1.0 - z2);
    *grad = [dz0, dz1, dz0, dz1, dc1, dc2];
    y
}

/// The notebook's graph function (TEST 8) recorded on `tape` as the bench times it, with
/// primitive `sigmoid` and `tanh`: returns `y` and the leaves `[x1, x2, b1, b2, c1, c2]` (the
/// order of `graph_by_hand`'s gradients). The bench, `tests/baselines.rs` and `tests/alloc.rs`
/// all record it through here.
#[inline(always)]
pub fn graph_on_tape(
    tape: &Tape<f64>,
    x: [f64; 2],
    w: [f64; 4],
) -> (Tensor<'_, 1, 1>, [Tensor<'_, 1, 1>; 6]) {
    // (`[..].map(|v| tape.var_scalar(v))` reads nicer but std's array `map` adds copying)
    let ([v1, v2], [v3, v4, v5, v6]) = (x, w);
    let (x1, x2) = (tape.var_scalar(v1), tape.var_scalar(v2));
    let (b1, b2) = (tape.var_scalar(v3), tape.var_scalar(v4));
    let (c1, c2) = (tape.var_scalar(v5), tape.var_scalar(v6));
    let z0 = x1 + b1;
    let z2 = z0.sigmoid();
    let z5 = (x2 + b2).sigmoid().tanh() * c2;
    let y = z0 * z2 * c1 + z2 * z5;
    (y, [x1, x2, b1, b2, c1, c2])
}

/// The notebook's graph function (TEST 8) recorded as the notebook writes it, with its own
/// `sigmoid(z) = 1 / (1 + exp(-z))` and `tanh(z) = (eᶻ − e⁻ᶻ) / (eᶻ + e⁻ᶻ)` built from `exp`:
/// 21 recorded ops besides the 6 leaves (2 sums, 4 per sigmoid, 6 for tanh, 5 to combine).
/// Returns `y` and the leaves `[x1, x2, b1, b2, c1, c2]`.
#[inline(always)]
pub fn graph_notebook_on_tape(
    tape: &Tape<f64>,
    x: [f64; 2],
    w: [f64; 4],
) -> (Tensor<'_, 1, 1>, [Tensor<'_, 1, 1>; 6]) {
    fn sigmoid(z: Tensor<'_, 1, 1>) -> Tensor<'_, 1, 1> {
        1.0 / (1.0 + (-z).exp())
    }
    fn tanh(z: Tensor<'_, 1, 1>) -> Tensor<'_, 1, 1> {
        let (e, e_neg) = (z.exp(), (-z).exp());
        (e - e_neg) / (e + e_neg)
    }
    let ([v1, v2], [v3, v4, v5, v6]) = (x, w);
    let (x1, x2) = (tape.var_scalar(v1), tape.var_scalar(v2));
    let (b1, b2) = (tape.var_scalar(v3), tape.var_scalar(v4));
    let (c1, c2) = (tape.var_scalar(v5), tape.var_scalar(v6));
    let z0 = x1 + b1;
    let z1 = x2 + b2;
    let z2 = sigmoid(z0);
    let z3 = sigmoid(z1);
    let z4 = tanh(z3);
    let z5 = z4 * c2;
    let z6 = z0 * z2;
    let z7 = z6 * c1;
    let z8 = z2 * z5;
    (z7 + z8, [x1, x2, b1, b2, c1, c2])
}

/// The notebook's first inputs1 entry (its TEST 8 trace): x = [-1, 4], w = [-7, -6, 5, 0].
pub const GRAPH_X: [f64; 2] = [-1.0, 4.0];
pub const GRAPH_W: [f64; 4] = [-7.0, -6.0, 5.0, 0.0];

/// A recording of the graph function: `y` and its six leaves.
pub type Record =
    for<'t> fn(&'t Tape<f64>, [f64; 2], [f64; 4]) -> (Tensor<'t, 1, 1>, [Tensor<'t, 1, 1>; 6]);

/// One evaluation in the README idiom: a fresh tape, `backward()`, six `wrt` copies. A
/// function of its own, as a user's would be, so the timing loop does not change how it
/// compiles.
#[inline(never)]
pub fn graph_readme(record: Record) -> [f64; 6] {
    let tape = Tape::new();
    let (y, leaves) = record(&tape, black_box(GRAPH_X), black_box(GRAPH_W));
    let grads = y.backward();
    leaves.map(|t| grads.wrt(t)[0])
}

/// One evaluation in the tuned idiom: the reused tape cleared, `backward_into` the reused
/// gradients, six zero-copy slices.
#[inline(never)]
pub fn graph_tuned(record: Record, tape: &mut Tape<f64>, grads: &mut Gradients<f64>) {
    tape.clear();
    let (y, leaves) = record(tape, black_box(GRAPH_X), black_box(GRAPH_W));
    y.backward_into(grads);
    for t in leaves {
        black_box(grads.slice(t));
    }
}

/// Parameters of `σ(W2 σ(W1 x + b1) + b2)` with `N` inputs, `H` hidden units, `O` outputs;
/// the matrices boxed so large sizes stay off the stack.
pub struct Net<T: Scalar, const N: usize, const H: usize, const O: usize> {
    pub w1: Box<SMatrix<T, H, N>>,
    pub b1: SVector<T, H>,
    pub w2: Box<SMatrix<T, O, H>>,
    pub b2: SVector<T, O>,
}

/// The net's weights and biases as `Param`s on a tape, kept by `clear` (as a training loop
/// keeps them): what the bench, `tests/baselines.rs` and `tests/alloc.rs` record the net with.
pub struct NetParams<T: Scalar, const N: usize, const H: usize, const O: usize> {
    pub w1: Param<H, N, T>,
    pub b1: Param<H, 1, T>,
    pub w2: Param<O, H, T>,
    pub b2: Param<O, 1, T>,
}

impl<T: Scalar, const N: usize, const H: usize, const O: usize> NetParams<T, N, H, O> {
    /// Records `Σ σ(W2 σ(W1 x + b1) + b2)` on `tape` with `x` a variable: returns the loss
    /// and `x`'s tensor.
    #[inline(always)]
    pub fn loss_on<'t>(
        &self,
        tape: &'t Tape<T>,
        x: SVector<T, N>,
    ) -> (Tensor<'t, 1, 1, T>, Tensor<'t, N, 1, T>) {
        let x = tape.var(x);
        let (w1, b1) = (tape.get(self.w1), tape.get(self.b1));
        let (w2, b2) = (tape.get(self.w2), tape.get(self.b2));
        let loss = (w2.matmul((w1.matmul(x) + b1).sigmoid()) + b2)
            .sigmoid()
            .sum();
        (loss, x)
    }
}

/// The net's inputs recorded as variables of one call ([`Net::vars_on`]).
pub struct NetVars<'t, T: Scalar, const N: usize, const H: usize, const O: usize> {
    pub x: Tensor<'t, N, 1, T>,
    pub w1: Tensor<'t, H, N, T>,
    pub b1: Tensor<'t, H, 1, T>,
    pub w2: Tensor<'t, O, H, T>,
    pub b2: Tensor<'t, O, 1, T>,
}

impl<T: Scalar, const N: usize, const H: usize, const O: usize> NetVars<'_, T, N, H, O> {
    /// Reads the loss and copies every gradient out (`wrt`), as a user's function returning
    /// them does.
    #[inline(always)]
    ///
    /// `black_box` gets a reference to each copy: given the matrix by value, the compiler
    /// built it in `black_box`'s own slot in one idiom and copied it there in the other (a
    /// second 64 KB copy of W1's gradient per call in the README idiom at (64, 128, 10),
    /// perf and callgrind), which measured the harness, not the copy a user's `wrt` makes.
    pub fn copy_out(&self, loss: Tensor<'_, 1, 1, T>, grads: &Gradients<T>) {
        black_box((loss.item(), &grads.wrt(self.x), &grads.wrt(self.b1)));
        black_box(&grads.wrt(self.b2));
        black_box(&grads.wrt(self.w1));
        black_box(&grads.wrt(self.w2));
    }
}

/// Gradients of the net's loss `Σ y`, preallocated once and overwritten every step.
pub struct NetGrads<T: Scalar, const N: usize, const H: usize, const O: usize> {
    pub x: SVector<T, N>,
    pub w1: Box<SMatrix<T, H, N>>,
    pub b1: SVector<T, H>,
    pub w2: Box<SMatrix<T, O, H>>,
    pub b2: SVector<T, O>,
}

impl<T: Scalar, const N: usize, const H: usize, const O: usize> Net<T, N, H, O> {
    /// Deterministic parameters: `W[i][j] = a·sin(i·p + j·q)`-style values of moderate size.
    pub fn new() -> Self {
        let f = |i: usize, j: usize, s: f64| -> T {
            nalgebra::convert(
                0.5 * ((i * 7 + j * 13) as f64 * s).sin() / ((N.max(H)) as f64).sqrt(),
            )
        };
        let mut w1 = Box::new(SMatrix::<T, H, N>::zeros());
        let mut w2 = Box::new(SMatrix::<T, O, H>::zeros());
        for j in 0..N {
            for i in 0..H {
                w1[(i, j)] = f(i, j, 0.37);
            }
        }
        for j in 0..H {
            for i in 0..O {
                w2[(i, j)] = f(i, j, 0.23);
            }
        }
        Net {
            w1,
            b1: SVector::from_fn(|i, _| nalgebra::convert(0.1 * (i as f64 * 0.5).cos())),
            w2,
            b2: SVector::from_fn(|i, _| nalgebra::convert(-0.05 * i as f64)),
        }
    }

    /// The weights and biases as parameters of `tape`.
    pub fn params_on(&self, tape: &mut Tape<T>) -> NetParams<T, N, H, O> {
        NetParams {
            w1: tape.param_from_slice::<H, N>(self.w1.as_slice()),
            b1: tape.param(self.b1),
            w2: tape.param_from_slice::<O, H>(self.w2.as_slice()),
            b2: tape.param(self.b2),
        }
    }

    /// Records `Σ σ(W2 σ(W1 x + b1) + b2)` on `tape` with the input and every weight a fresh
    /// variable (`var`, `var_from_slice`), as a function that records the net per call
    /// writes it: returns the loss and the variables.
    #[inline(always)]
    pub fn vars_on<'t>(
        &self,
        tape: &'t Tape<T>,
        x: SVector<T, N>,
    ) -> (Tensor<'t, 1, 1, T>, NetVars<'t, T, N, H, O>) {
        let x = tape.var(x);
        let w1 = tape.var_from_slice::<H, N>(self.w1.as_slice());
        let b1 = tape.var(self.b1);
        let w2 = tape.var_from_slice::<O, H>(self.w2.as_slice());
        let b2 = tape.var(self.b2);
        let loss = (w2.matmul((w1.matmul(x) + b1).sigmoid()) + b2)
            .sigmoid()
            .sum();
        (loss, NetVars { x, w1, b1, w2, b2 })
    }

    /// One evaluation in the README idiom: a fresh tape, the net recorded with its weights as
    /// variables ([`vars_on`](Net::vars_on)), `backward()`, every gradient copied out (`wrt`).
    #[inline(never)]
    pub fn step_readme(&self, x: SVector<T, N>) {
        let tape = Tape::new();
        let (loss, v) = self.vars_on(&tape, black_box(x));
        let grads = loss.backward();
        v.copy_out(loss, &grads);
    }

    /// One evaluation in the tuned idiom: the reused tape cleared, `backward_into` the
    /// reused gradients, every gradient read as a slice, or with `copy` copied out (`wrt`).
    #[inline(never)]
    pub fn step_tuned(
        &self,
        x: SVector<T, N>,
        tape: &mut Tape<T>,
        grads: &mut Gradients<T>,
        copy: bool,
    ) {
        tape.clear();
        let (loss, v) = self.vars_on(tape, black_box(x));
        loss.backward_into(grads);
        if copy {
            v.copy_out(loss, grads);
        } else {
            black_box((loss.item(), grads.slice(v.x), grads.slice(v.w1)));
            black_box((grads.slice(v.b1), grads.slice(v.w2), grads.slice(v.b2)));
        }
    }

    /// An input vector of moderate values.
    pub fn input() -> SVector<T, N> {
        SVector::from_fn(|i, _| nalgebra::convert((i as f64 * 0.71).sin()))
    }

    /// The forward pass alone: `Σ σ(W2 σ(W1 x + b1) + b2)`.
    pub fn forward(&self, x: &SVector<T, N>) -> T {
        let mut z1 = self.b1;
        z1.gemv(T::one(), &*self.w1, x, T::one());
        let h = z1.map(sigmoid);
        let mut z2 = self.b2;
        z2.gemv(T::one(), &*self.w2, &h, T::one());
        z2.map(sigmoid).sum()
    }

    /// Loss and all gradients by hand, with nalgebra's gemv/ger into preallocated storage.
    pub fn grad_by_hand(&self, x: &SVector<T, N>, g: &mut NetGrads<T, N, H, O>) -> T {
        let one = T::one();
        let mut z1 = self.b1;
        z1.gemv(one, &*self.w1, x, one);
        let h = z1.map(sigmoid);
        let mut z2 = self.b2;
        z2.gemv(one, &*self.w2, &h, one);
        let y = z2.map(sigmoid);
        // ∂Σy/∂z2 = y(1 - y)
        let dz2 = y.map(|y| y * (one - y));
        g.w2.ger(one, &dz2, &h, T::zero());
        g.b2 = dz2;
        let mut dh = SVector::<T, H>::zeros();
        dh.gemv_tr(one, &*self.w2, &dz2, T::zero());
        let dz1 = dh.zip_map(&h, |d, h| d * h * (one - h));
        g.w1.ger(one, &dz1, x, T::zero());
        g.b1 = dz1;
        g.x.gemv_tr(one, &*self.w1, &dz1, T::zero());
        y.sum()
    }
}

impl<T: Scalar, const N: usize, const H: usize, const O: usize> NetGrads<T, N, H, O> {
    /// Zeroed gradient storage.
    pub fn new() -> Self {
        NetGrads {
            x: SVector::zeros(),
            w1: Box::new(SMatrix::zeros()),
            b1: SVector::zeros(),
            w2: Box::new(SMatrix::zeros()),
            b2: SVector::zeros(),
        }
    }
}

/// The scalar chain `z ← z·c + z·z·k` for `steps` steps by hand: `(z_n, ∂z_n/∂z_0)`.
/// `zs` is scratch for the forward values (kept between calls, like a reused tape).
pub fn chain_by_hand(z0: f64, c: f64, k: f64, steps: usize, zs: &mut Vec<f64>) -> (f64, f64) {
    zs.clear();
    let mut z = z0;
    for _ in 0..steps {
        zs.push(z);
        z = z * c + z * z * k;
    }
    let mut g = 1.0;
    for &z in zs.iter().rev() {
        // ∂(zc + z²k)/∂z = c + 2kz
        g *= c + 2.0 * k * z;
    }
    (z, g)
}

/// The chain `z ← z·c + z·z·k` for `steps` steps by hand with `c` a variable:
/// `(z_n, ∂z_n/∂z_0, ∂z_n/∂c)`. `zs` is scratch for the forward values.
pub fn chain_var_c_by_hand(
    z0: f64,
    c: f64,
    k: f64,
    steps: usize,
    zs: &mut Vec<f64>,
) -> (f64, f64, f64) {
    zs.clear();
    let mut z = z0;
    for _ in 0..steps {
        zs.push(z);
        z = z * c + z * z * k;
    }
    let (mut g, mut gc) = (1.0, 0.0);
    for &z in zs.iter().rev() {
        // g = ∂z_n/∂z_{i+1}; ∂z_{i+1}/∂c = z_i, ∂z_{i+1}/∂z_i = c + 2kz_i
        gc += g * z;
        g *= c + 2.0 * k * z;
    }
    (z, g, gc)
}

/// A minimal scalar tape in safe Rust, for scale: what a record-and-walk tape costs on this
/// machine without anything shapegrad carries (no stamps, flags, shapes, rule pointers,
/// fixed-tape checks or `RefCell`). A node is its operands' indices and partials; the walk
/// runs over a zero-filled adjoint vector, the last written adjoint kept in a register (as
/// shapegrad's walk carries it). Not a shapegrad idiom: a floor for the chain's ns per op.
#[derive(Default)]
pub struct MinimalTape {
    nodes: Vec<(u32, u32, f64, f64)>,
    adjoints: Vec<f64>,
}

impl MinimalTape {
    /// Records `y` with partials `da`, `db` on operands `a`, `b` (index, value); returns the
    /// new node's (index, value).
    #[inline(always)]
    fn op(&mut self, a: (u32, f64), b: (u32, f64), y: f64, da: f64, db: f64) -> (u32, f64) {
        let i = self.nodes.len() as u32;
        self.nodes.push((a.0, b.0, da, db));
        (i, y)
    }

    /// A leaf holding `v`.
    #[inline(always)]
    fn leaf(&mut self, v: f64) -> (u32, f64) {
        let i = self.nodes.len() as u32;
        self.op((i, v), (i, v), v, 0.0, 0.0)
    }

    /// The adjoints of every node from a unit seed on the last one.
    fn walk(&mut self) {
        let n = self.nodes.len();
        self.adjoints.clear();
        self.adjoints.resize(n, 0.0);
        self.adjoints[n - 1] = 1.0;
        let g = &mut self.adjoints;
        let (mut carried_at, mut carried) = (usize::MAX, 0.0);
        for i in (0..n).rev() {
            let (a, b, da, db) = self.nodes[i];
            if a as usize == i {
                continue; // a leaf
            }
            let go = if carried_at == i { carried } else { g[i] };
            let a = a as usize;
            let ga = (if carried_at == a { carried } else { g[a] }) + go * da;
            g[a] = ga;
            let b = b as usize;
            let gb = (if b == a { ga } else { g[b] }) + go * db;
            g[b] = gb;
            (carried_at, carried) = (b, gb);
        }
    }
}

/// The chain with `c` a variable on a [`MinimalTape`]: `(z_n, ∂z_n/∂z_0, ∂z_n/∂c)`.
#[inline(never)]
pub fn chain_var_c_minimal_tape(
    (z0, c, k): (f64, f64, f64),
    steps: usize,
    t: &mut MinimalTape,
) -> (f64, f64, f64) {
    t.nodes.clear();
    let x = t.leaf(black_box(z0));
    let cv = t.leaf(black_box(c));
    let mut z = x;
    for _ in 0..steps {
        let p = t.op(z, cv, z.1 * cv.1, cv.1, z.1);
        let s = t.op(z, z, z.1 * z.1, z.1, z.1);
        let q = t.op(s, s, s.1 * k, k, 0.0);
        z = t.op(p, q, p.1 + q.1, 1.0, 1.0);
    }
    t.walk();
    (z.1, t.adjoints[0], t.adjoints[1])
}

/// The chain `z ← z·c + z·z·k`, `steps` steps from `z0`, recorded on `tape`; with `C_VAR`
/// the factor `c` is a variable: returns `(z₀, c if a variable, z_n)`.
#[inline(always)]
pub fn chain_on_tape<const C_VAR: bool>(
    tape: &Tape<f64>,
    (z0, c, k): (f64, f64, f64),
    steps: usize,
) -> (Tensor<'_, 1, 1>, Option<Tensor<'_, 1, 1>>, Tensor<'_, 1, 1>) {
    let x = tape.var_scalar(black_box(z0));
    let mut z = x;
    if C_VAR {
        let cv = tape.var_scalar(black_box(c));
        for _ in 0..steps {
            z = z * cv + z * z * k;
        }
        (x, Some(cv), z)
    } else {
        for _ in 0..steps {
            z = z * c + z * z * k;
        }
        (x, None, z)
    }
}

/// One chain evaluation in the README idiom: a fresh tape, `backward()`, `wrt` copies.
#[inline(never)]
pub fn chain_readme<const C_VAR: bool>(params: (f64, f64, f64), steps: usize) {
    let tape = Tape::new();
    let (x, c, z) = chain_on_tape::<C_VAR>(&tape, params, steps);
    let grads = z.backward();
    black_box((z.item(), grads.wrt(x), c.map(|c| grads.wrt(c))));
}

/// One chain evaluation in the tuned idiom: the reused tape cleared, `backward_into`, slices.
#[inline(never)]
pub fn chain_tuned<const C_VAR: bool>(
    params: (f64, f64, f64),
    steps: usize,
    tape: &mut Tape<f64>,
    grads: &mut Gradients<f64>,
) {
    tape.clear();
    let (x, c, z) = chain_on_tape::<C_VAR>(tape, params, steps);
    z.backward_into(grads);
    black_box((z.item(), grads.slice(x), c.map(|c| grads.slice(c))));
}

/// The graph function recorded once on a replayable tape (`Recording`), evaluated by replay:
/// the recording, its six leaves as inputs, and a workspace.
pub struct GraphReplay {
    rec: Recording<1, 1>,
    leaves: [Input<1, 1>; 6],
    ws: Workspace,
}

impl GraphReplay {
    /// Records `record` once at the notebook's point.
    pub fn new(record: Record) -> Self {
        let tape = Tape::for_replay();
        let (y, leaves) = record(&tape, GRAPH_X, GRAPH_W);
        let rec = Recording::new(y).expect("a replayable tape");
        let leaves = leaves.map(|t| rec.input(t));
        let ws = rec.workspace();
        GraphReplay { rec, leaves, ws }
    }

    /// One evaluation by replay: the six inputs set, forward, backward, six gradients read
    /// (in `graph_by_hand`'s order).
    #[inline(never)]
    pub fn step(&mut self, x: [f64; 2], w: [f64; 4]) -> (f64, [f64; 6]) {
        let values = [x[0], x[1], w[0], w[1], w[2], w[3]];
        for (&input, v) in self.leaves.iter().zip(values) {
            self.rec
                .set(&mut self.ws, input, &nalgebra::Matrix1::new(v));
        }
        let y = self.rec.forward(&mut self.ws).expect("no fallible op")[0];
        self.rec.backward_one(&mut self.ws);
        (y, self.leaves.map(|i| self.rec.gradient(&self.ws, i)[0]))
    }
}

/// The net recorded once on a replayable tape with the input and every weight an input
/// ([`Net::vars_on`]), evaluated by replay.
pub struct NetReplay<T: Scalar, const N: usize, const H: usize, const O: usize> {
    rec: Recording<1, 1, T>,
    x: Input<N, 1>,
    w1: Input<H, N>,
    b1: Input<H, 1>,
    w2: Input<O, H>,
    b2: Input<O, 1>,
    ws: Workspace<T>,
}

impl<T: Scalar, const N: usize, const H: usize, const O: usize> NetReplay<T, N, H, O> {
    /// Records `net` once at `x`.
    pub fn new(net: &Net<T, N, H, O>, x: SVector<T, N>) -> Self {
        let tape = Tape::for_replay();
        let (loss, v) = net.vars_on(&tape, x);
        let rec = Recording::new(loss).expect("a replayable tape");
        let (x, w1, b1) = (rec.input(v.x), rec.input(v.w1), rec.input(v.b1));
        let (w2, b2) = (rec.input(v.w2), rec.input(v.b2));
        let ws = rec.workspace();
        NetReplay {
            rec,
            x,
            w1,
            b1,
            w2,
            b2,
            ws,
        }
    }

    /// One evaluation by replay: input and weights set, forward, backward, every gradient
    /// read as a slice (`gradient_slice`, as `step_tuned`), or with `copy` copied out
    /// (`gradient`, as `copy_out` does for a recording); returns the loss.
    #[inline(never)]
    pub fn step(&mut self, net: &Net<T, N, H, O>, x: &SVector<T, N>, copy: bool) -> T {
        let (rec, ws) = (&self.rec, &mut self.ws);
        rec.set(ws, self.x, x);
        rec.set(ws, self.w1, &net.w1);
        rec.set(ws, self.b1, &net.b1);
        rec.set(ws, self.w2, &net.w2);
        rec.set(ws, self.b2, &net.b2);
        let loss = rec.forward(ws).expect("no fallible op")[0];
        rec.backward_one(ws);
        if copy {
            black_box((&rec.gradient(ws, self.x), &rec.gradient(ws, self.b1)));
            black_box(&rec.gradient(ws, self.b2));
            black_box(&rec.gradient(ws, self.w1));
            black_box(&rec.gradient(ws, self.w2));
        } else {
            black_box((
                rec.gradient_slice(ws, self.x),
                rec.gradient_slice(ws, self.w1),
            ));
            black_box((
                rec.gradient_slice(ws, self.b1),
                rec.gradient_slice(ws, self.w2),
            ));
            black_box(rec.gradient_slice(ws, self.b2));
        }
        loss
    }
}

/// The chain with `c` a variable recorded once on a replayable tape, evaluated by replay.
pub struct ChainReplay {
    rec: Recording<1, 1>,
    x: Input<1, 1>,
    c: Input<1, 1>,
    ws: Workspace,
}

impl ChainReplay {
    /// Records `steps` steps of the chain once at `params`.
    pub fn new(params: (f64, f64, f64), steps: usize) -> Self {
        let tape = Tape::for_replay();
        let (x, c, z) = chain_on_tape::<true>(&tape, params, steps);
        let rec = Recording::new(z).expect("a replayable tape");
        let (x, c) = (rec.input(x), rec.input(c.expect("c is a variable")));
        let ws = rec.workspace();
        ChainReplay { rec, x, c, ws }
    }

    /// One evaluation by replay at `(z0, c)`: `(z_n, ∂z_n/∂z_0, ∂z_n/∂c)`.
    #[inline(never)]
    pub fn step(&mut self, z0: f64, c: f64) -> (f64, f64, f64) {
        let (rec, ws) = (&self.rec, &mut self.ws);
        rec.set(ws, self.x, &nalgebra::Matrix1::new(z0));
        rec.set(ws, self.c, &nalgebra::Matrix1::new(c));
        let z = rec.forward(ws).expect("no fallible op")[0];
        rec.backward_one(ws);
        (z, rec.gradient(ws, self.x)[0], rec.gradient(ws, self.c)[0])
    }
}
