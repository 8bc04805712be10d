//! Parity with the seed notebook (`/work/shared/seed/notebook.txt`): every cell that prints or
//! stores a number, reproduced with the notebook's own expressions.
//!
//! Reference literals come from the notebook's printed output (cell and line named in a
//! comment), from a hand derivation (written out next to it), or from central finite
//! differences. Python prints floats as their shortest round-trip representation, so a
//! printed `-0.2222222222222222` names one exact f64 and is compared bit for bit wherever our
//! op is the same IEEE operation as numpy's (`+ - * /`, negation). `exp` comes from two
//! different libms (numpy's and the platform's), so `exp` results and everything computed
//! from them are compared to within 1 ulp (on x86-64 Linux with glibc they are all
//! bit-identical to the printed values).
//!
//! The notebook's `inputs1.json` is not in the repository; its entries are recovered from the
//! printed traces: TEST 5 prints `0.5 + y` and `x / (0.5 + y)` for the first 14 entries, TEST 1
//! and TEST 6 print `x` for the first 37 and 40, and TEST 8 prints the first entry's `w`
//! through its intermediate values.
//!
//! A notebook `Node` holding a 0-d or 1-element array is a 1×1 tensor here; `Node(c)` for a
//! constant is `tape.constant_scalar(c)`, or a plain `c` on either side of an operator, which
//! records the same IEEE operation (`1.0 + t` is `t + 1.0`).

use approx::assert_relative_eq;
use nalgebra::{Matrix2x4, Matrix3x5, Matrix4x3, SMatrix, Vector2, Vector3, Vector4};
use shapegrad::{Tape, Tensor};

// ---------------------------------------------------------------------------------------------
// helpers

/// Distance between two finite f64 of the same sign, in units in the last place.
fn ulps(a: f64, b: f64) -> u64 {
    assert!(a.is_finite() && b.is_finite(), "ulps({a}, {b})");
    if a == b {
        return 0;
    }
    assert_eq!(a.is_sign_negative(), b.is_sign_negative(), "ulps({a}, {b})");
    a.to_bits().abs_diff(b.to_bits())
}

/// `got` is the f64 the notebook printed as `want`, or its neighbour (1 ulp): for results of
/// `exp`, which numpy and the platform libm may round differently.
#[track_caller]
fn assert_within_1ulp(got: f64, want: f64) {
    assert!(
        ulps(got, want) <= 1,
        "got {got:?}, notebook printed {want:?}"
    );
}

/// `(x1, x2)` of the notebook's first 14 `inputs1` entries, from TEST 5's printed loop
/// (`TensorSum: 0.5 + y = …` then `TensorDiv: x / … = …`); TEST 2, 3 and 4 print the same pairs.
const NOTEBOOK_XY: [(f64, f64); 14] = [
    (-1.0, 4.0),
    (4.0, -3.0),
    (-4.0, -3.0),
    (8.0, -5.0),
    (9.0, -5.0),
    (5.0, -8.0),
    (1.0, -10.0),
    (8.0, -5.0),
    (6.0, -1.0),
    (-6.0, 6.0),
    (-5.0, -9.0),
    (6.0, -5.0),
    (-10.0, 0.0),
    (3.0, 8.0),
];

/// `x1` of the notebook's first 37 `inputs1` entries, from TEST 1's printed loop
/// (`Node(data=-1.0, grad=1.0)` …).
const NOTEBOOK_X1: [f64; 37] = [
    -1.0, 4.0, -4.0, 8.0, 9.0, 5.0, 1.0, 8.0, 6.0, -6.0, -5.0, 6.0, -10.0, 3.0, -5.0, -7.0, -3.0,
    9.0, -6.0, -10.0, -2.0, -2.0, 8.0, -5.0, -1.0, -2.0, 6.0, 9.0, -10.0, 2.0, 2.0, 1.0, -8.0, 1.0,
    -2.0, 7.0, -10.0,
];

// ---------------------------------------------------------------------------------------------
// TEST 1: x.backward() on a leaf

#[test]
fn test1_backward_on_a_leaf_gives_grad_one() {
    // Printed: `Node(data=[1.], grad=[1.])` after `x = Node([1]); x.backward()`.
    // A 1×1 var is its own output: backward seeds it with 1 and there is nothing below it.
    let tape = Tape::<f64>::new();
    let x = tape.var_scalar(1.0);
    assert_eq!(x.backward().wrt(x)[0], 1.0);
    // The same through `sum` (the notebook's grad of a 1-element array) and `backward_with`.
    assert_eq!(x.sum().backward().wrt(x)[0], 1.0);
    assert_eq!(
        x.backward_with(&SMatrix::<f64, 1, 1>::new(1.0)).wrt(x)[0],
        1.0
    );

    // The loop: `answer['init']` is 1.0 for every entry (printed `grad=1.0` and the dumped
    // answer's `"init": [1.0, 1.0, …]`).
    for x1 in NOTEBOOK_X1 {
        let tape = Tape::<f64>::new();
        let x = tape.var_scalar(x1);
        assert_eq!(x.item(), x1);
        assert_eq!(x.backward().wrt(x)[0], 1.0, "x = {x1}");
    }
}

// ---------------------------------------------------------------------------------------------
// TEST 2: sums

#[test]
fn test2_sum_demo() {
    let tape = Tape::<f64>::new();
    let (x, y) = (tape.var_scalar(1.0), tape.var_scalar(2.0));
    let z = x + y + x + x + x + y;
    // Printed: `Node(data=[8.], grad=[0.])`
    assert_eq!(z.item(), 8.0);
    let grads = z.backward();
    // Printed: `Node(data=[1.], grad=[4.]) Node(data=[2.], grad=[2.])`
    assert_eq!(grads.wrt(x)[0], 4.0);
    assert_eq!(grads.wrt(y)[0], 2.0);
}

#[test]
fn test2_sum_loop() {
    // Forward trace printed for the first entry (-1, 4): 3.0, 2.0, 1.0, 0.0, 4.0
    let tape = Tape::<f64>::new();
    let (x, y) = (tape.var_scalar(-1.0), tape.var_scalar(4.0));
    let steps = [x + y, x + y + x, x + y + x + x, x + y + x + x + x];
    let printed = [3.0, 2.0, 1.0, 0.0];
    for (s, p) in steps.iter().zip(printed) {
        assert_eq!(s.item(), p);
    }
    assert_eq!((x + y + x + x + x + y).item(), 4.0);

    // `answer['sum']` is x.grad = 4.0 for every entry (the dumped answer: `"sum": [4.0, …]`);
    // y.grad = 2 by the same count of paths.
    for (x1, x2) in NOTEBOOK_XY {
        let tape = Tape::<f64>::new();
        let (x, y) = (tape.var_scalar(x1), tape.var_scalar(x2));
        let z = x + y + x + x + x + y;
        assert_eq!(z.item(), 4.0 * x1 + 2.0 * x2);
        let grads = z.backward();
        assert_eq!((grads.wrt(x)[0], grads.wrt(y)[0]), (4.0, 2.0));
    }
}

// ---------------------------------------------------------------------------------------------
// TEST 3: differences

#[test]
fn test3_diff_demo() {
    let tape = Tape::<f64>::new();
    let (x, y) = (tape.var_scalar(1.0), tape.var_scalar(2.0));
    let z = x - y + x + x - x - y;
    // Printed: TensorSub [1.] - [2.] = [-1.], … `Node(data=[-2.], grad=[0.])`
    assert_eq!((x - y).item(), -1.0);
    assert_eq!(z.item(), -2.0);
    let grads = z.backward();
    // Printed: `Node(data=[1.], grad=[2.]) Node(data=[2.], grad=[-2.])`
    assert_eq!(grads.wrt(x)[0], 2.0);
    assert_eq!(grads.wrt(y)[0], -2.0);
}

#[test]
fn test3_diff_loop() {
    // The loop's expression differs from the demo: `x - y + x + x - y - y`.
    // Forward trace printed for (-1, 4): -5.0, -6.0, -7.0, -11.0, -15.0;
    // for (4, -3): 7.0, 11.0, 15.0, 18.0, 21.0.
    for ((x1, x2), printed) in [
        ((-1.0, 4.0), [-5.0, -6.0, -7.0, -11.0, -15.0]),
        ((4.0, -3.0), [7.0, 11.0, 15.0, 18.0, 21.0]),
    ] {
        let tape = Tape::<f64>::new();
        let (x, y) = (tape.var_scalar(x1), tape.var_scalar(x2));
        let z1 = x - y;
        let z2 = z1 + x;
        let z3 = z2 + x;
        let z4 = z3 - y;
        let z5 = z4 - y;
        let got = [z1, z2, z3, z4, z5].map(|z| z.item());
        assert_eq!(got, printed);
    }
    // Hand derivation: ∂/∂x (3x − 3y) = 3, ∂/∂y = −3 (`answer['diff']` = 3.0 per entry).
    for (x1, x2) in NOTEBOOK_XY {
        let tape = Tape::<f64>::new();
        let (x, y) = (tape.var_scalar(x1), tape.var_scalar(x2));
        let grads = (x - y + x + x - y - y).backward();
        assert_eq!((grads.wrt(x)[0], grads.wrt(y)[0]), (3.0, -3.0));
    }
}

// ---------------------------------------------------------------------------------------------
// TEST 4: products

#[test]
fn test4_mul_demo() {
    let tape = Tape::<f64>::new();
    let (x, y) = (tape.var_scalar(1.0), tape.var_scalar(2.0));
    let z = (x + y) * (x - y);
    // Printed: TensorMul: [3.] * [-1.] = [-3.]
    assert_eq!(z.item(), -3.0);
    let grads = z.backward();
    // Printed: `Node(data=[1.], grad=[2.]) Node(data=[2.], grad=[-4.])`
    assert_eq!(grads.wrt(x)[0], 2.0);
    assert_eq!(grads.wrt(y)[0], -4.0);
}

#[test]
fn test4_mul_loop() {
    // The loop multiplies by a third factor: `(x + y) * (x - y) * (x + x + y)`.
    // Printed forward trace per entry: x+y, x-y, (x+y)(x-y), x+x, x+x+y, product.
    for ((x1, x2), printed) in [
        ((-1.0, 4.0), [3.0, -5.0, -15.0, -2.0, 2.0, -30.0]),
        ((4.0, -3.0), [1.0, 7.0, 7.0, 8.0, 5.0, 35.0]),
        ((-4.0, -3.0), [-7.0, -1.0, 7.0, -8.0, -11.0, -77.0]),
        ((8.0, -5.0), [3.0, 13.0, 39.0, 16.0, 11.0, 429.0]),
    ] {
        let tape = Tape::<f64>::new();
        let (x, y) = (tape.var_scalar(x1), tape.var_scalar(x2));
        let (s, d) = (x + y, x - y);
        let sd = s * d;
        let xx = x + x;
        let xxy = xx + y;
        let z = sd * xxy;
        assert_eq!([s, d, sd, xx, xxy, z].map(|t| t.item()), printed);
    }
    // Hand derivation, with A = x + y, B = x − y, C = 2x + y:
    //   ∂(ABC)/∂x = BC + AC + 2AB,  ∂(ABC)/∂y = BC − AC + AB.
    // At (-1, 4): A = 3, B = -5, C = 2: ∂x = -10 + 6 - 30 = -34, ∂y = -10 - 6 - 15 = -31.
    let tape = Tape::<f64>::new();
    let (x, y) = (tape.var_scalar(-1.0), tape.var_scalar(4.0));
    let grads = ((x + y) * (x - y) * (x + x + y)).backward();
    assert_eq!((grads.wrt(x)[0], grads.wrt(y)[0]), (-34.0, -31.0));
    // Every recovered entry (small integers: the tape's result is exact).
    for (x1, x2) in NOTEBOOK_XY {
        let tape = Tape::<f64>::new();
        let (x, y) = (tape.var_scalar(x1), tape.var_scalar(x2));
        let grads = ((x + y) * (x - y) * (x + x + y)).backward();
        let (a, b, c) = (x1 + x2, x1 - x2, 2.0 * x1 + x2);
        assert_eq!(grads.wrt(x)[0], b * c + a * c + 2.0 * a * b, "{x1}, {x2}");
        assert_eq!(grads.wrt(y)[0], b * c - a * c + a * b, "{x1}, {x2}");
    }
}

// ---------------------------------------------------------------------------------------------
// TEST 5: division

#[test]
fn test5_demo_cell_differentiates_an_unrelated_output() {
    // The demo cell makes fresh x, y, then calls `backward` on the previous cell's `z`:
    // printed `Node(data=[1.], grad=[0.]) Node(data=[2.], grad=[0.])`. Here: an output that
    // does not depend on x and y gives them zero gradients.
    let tape = Tape::<f64>::new();
    let (a, b) = (tape.var_scalar(3.0), tape.var_scalar(8.0));
    let z = (a + b) * (a - b) * (a + a + b); // the previous cell's loop expression
    let (x, y) = (tape.var_scalar(1.0), tape.var_scalar(2.0));
    let grads = z.backward();
    assert_eq!((grads.wrt(x)[0], grads.wrt(y)[0]), (0.0, 0.0));
}

#[test]
fn test5_div_loop() {
    // `z = x / (Node(0.5) + y)`. Printed (TEST 5 trace), per entry: `0.5 + y` then `x / (…)`.
    let printed: [(f64, f64); 13] = [
        (4.5, -0.2222222222222222),
        (-2.5, -1.6),
        (-2.5, 1.6),
        (-4.5, -1.7777777777777777),
        (-4.5, -2.0),
        (-7.5, -0.6666666666666666),
        (-9.5, -0.10526315789473684),
        (-4.5, -1.7777777777777777),
        (-0.5, -12.0),
        (6.5, -0.9230769230769231),
        (-8.5, 0.5882352941176471),
        (-4.5, -1.3333333333333333),
        (0.5, -20.0),
    ];
    for ((x1, x2), (den, quot)) in NOTEBOOK_XY.into_iter().zip(printed) {
        let tape = Tape::<f64>::new();
        let (x, y) = (tape.var_scalar(x1), tape.var_scalar(x2));
        let half = tape.constant_scalar(0.5);
        let d = half + y;
        let z = x / d;
        // One IEEE division, as numpy's: bit-exact.
        assert_eq!(d.item(), den);
        assert_eq!(z.item().to_bits(), quot.to_bits(), "{x1} / {den}");
        // Hand derivation: ∂z/∂x = 1/(0.5 + y) (`answer['div']`), ∂z/∂y = −x/(0.5 + y)².
        let grads = z.backward();
        assert_eq!(grads.wrt(x)[0], 1.0 / den);
        assert_relative_eq!(grads.wrt(y)[0], -x1 / (den * den), max_relative = 1e-15);
        assert_eq!(grads.wrt(half)[0], 0.0); // a constant
    }
    // The 14th entry (3, 8) is printed only as `0.5 + 8.0 = 8.5` before the output is cut.
    let tape = Tape::<f64>::new();
    let (x, y) = (tape.var_scalar(3.0), tape.var_scalar(8.0));
    let z = x / (0.5 + y);
    assert_eq!(z.item(), 3.0 / 8.5);
    assert_eq!(z.backward().wrt(x)[0], 1.0 / 8.5);
}

// ---------------------------------------------------------------------------------------------
// TEST 6: negation

#[test]
fn test6_neg() {
    let tape = Tape::<f64>::new();
    let x = tape.var_scalar(1.0);
    let z = -x;
    // Printed: `TensorNeg: -[1.] = [-1.]`, then `Node(data=[1.], grad=[-1.])`
    assert_eq!(z.item(), -1.0);
    assert_eq!(z.backward().wrt(x)[0], -1.0);

    // The loop's printed trace: `TensorNeg: --1.0 = 1.0`, `TensorNeg: -4.0 = -4.0`, … (40
    // entries); `answer['neg']` is −1.0 each.
    let printed_x: [f64; 40] = [
        -1.0, 4.0, -4.0, 8.0, 9.0, 5.0, 1.0, 8.0, 6.0, -6.0, -5.0, 6.0, -10.0, 3.0, -5.0, -7.0,
        -3.0, 9.0, -6.0, -10.0, -2.0, -2.0, 8.0, -5.0, -1.0, -2.0, 6.0, 9.0, -10.0, 2.0, 2.0, 1.0,
        -8.0, 1.0, -2.0, 7.0, -10.0, -4.0, 1.0, -3.0,
    ];
    for x1 in printed_x {
        let tape = Tape::<f64>::new();
        let x = tape.var_scalar(x1);
        let z = -x;
        assert_eq!(z.item(), -x1);
        assert_eq!(z.backward().wrt(x)[0], -1.0);
    }
}

// ---------------------------------------------------------------------------------------------
// TEST 7: exp

#[test]
fn test7_exp_demo() {
    let tape = Tape::<f64>::new();
    let (x, y) = (tape.var_scalar(1.0), tape.var_scalar(2.0));
    let z = (x + y).exp();
    // Printed: `TensorExp: exp([3.]) = [20.08553692]` (numpy's 8 significant digits); the
    // loop prints exp(3.0) in full as 20.085536923187668.
    assert_within_1ulp(z.item(), 20.085536923187668);
    assert!((z.item() - 20.08553692).abs() < 5e-9);
    let grads = z.backward();
    // Printed after backward: `[20.08553692] [20.08553692]`; ∂/∂x e^(x+y) = e^(x+y).
    assert_eq!(grads.wrt(x)[0], z.item());
    assert_eq!(grads.wrt(y)[0], z.item());
    assert_within_1ulp(grads.wrt(x)[0], 20.085536923187668);
}

#[test]
#[allow(clippy::approx_constant)] // 2.718281828459045 is the notebook's printed exp(1.0)
fn test7_exp_loop() {
    // Printed: `TensorExp: exp(-1.0) = 0.36787944117144233`, … ; `answer['exp']` is x.grad,
    // which is the same value (∂eˣ/∂x = eˣ).
    let printed = [
        (-1.0, 0.36787944117144233),
        (4.0, 54.598150033144236),
        (-4.0, 0.01831563888873418),
        (8.0, 2980.9579870417283),
        (9.0, 8103.083927575384),
        (5.0, 148.4131591025766),
        (1.0, 2.718281828459045),
        (6.0, 403.4287934927351),
        (-6.0, 0.0024787521766663585),
        (-5.0, 0.006737946999085467),
        (-10.0, 4.5399929762484854e-05),
        (3.0, 20.085536923187668),
        (-7.0, 0.0009118819655545162),
        (-3.0, 0.049787068367863944),
    ];
    for (x1, e) in printed {
        let tape = Tape::<f64>::new();
        let x = tape.var_scalar(x1);
        let z = x.exp();
        assert_within_1ulp(z.item(), e);
        // The gradient is the recorded output itself (∂x += ∂y ⊙ y with ∂y = 1): exact.
        assert_eq!(z.backward().wrt(x)[0], z.item());
    }
}

// ---------------------------------------------------------------------------------------------
// TEST 8: the graph function

/// The notebook's `sigmoid`, from basic ops: `Node(1.0) / (Node(1.0) + (-z).exp())`.
fn sigmoid<'t, const R: usize, const C: usize>(z: Tensor<'t, R, C>) -> Tensor<'t, R, C> {
    1.0 / (1.0 + (-z).exp())
}

/// The notebook's `tanh`, from basic ops.
fn tanh<'t, const R: usize, const C: usize>(z: Tensor<'t, R, C>) -> Tensor<'t, R, C> {
    let exp_z = z.exp();
    let exp_neg_z = (-z).exp();
    (exp_z - exp_neg_z) / (exp_z + exp_neg_z)
}

/// Which activations the graph function uses: the notebook's composites, or the crate's
/// primitive ops.
#[derive(Clone, Copy, Debug)]
enum Act {
    Composite,
    Primitive,
}

impl Act {
    fn sigmoid<'t, const R: usize, const C: usize>(self, z: Tensor<'t, R, C>) -> Tensor<'t, R, C> {
        match self {
            Act::Composite => sigmoid(z),
            Act::Primitive => z.sigmoid(),
        }
    }

    fn tanh<'t, const R: usize, const C: usize>(self, z: Tensor<'t, R, C>) -> Tensor<'t, R, C> {
        match self {
            Act::Composite => tanh(z),
            Act::Primitive => z.tanh(),
        }
    }
}

/// The notebook's `graph_value`, line for line; also returns the list `z`.
#[allow(clippy::vec_init_then_push)] // the notebook's `z = []; z.append(…)`, kept as written
fn graph_value<'t>(
    x: [Tensor<'t, 1, 1>; 2],
    w: [Tensor<'t, 1, 1>; 4],
    act: Act,
) -> (Tensor<'t, 1, 1>, Vec<Tensor<'t, 1, 1>>) {
    let [x1, x2] = x;
    let [b1, b2, c1, c2] = w;

    let mut z = Vec::new();
    z.push(x1 + b1);
    z.push(x2 + b2);

    z.push(act.sigmoid(z[0]));
    z.push(act.sigmoid(z[1]));
    z.push(act.tanh(z[3]));

    z.push(z[4] * c2);
    z.push(z[0] * z[2]);
    z.push(z[6] * c1);
    z.push(z[2] * z[5]);

    let y = z[7] + z[8];
    (y, z)
}

/// `y` and its six gradients `[x1, x2, b1, b2, c1, c2]` (the order of `answer['graph']`).
fn graph(inputs: [f64; 6], act: Act) -> (f64, [f64; 6]) {
    let tape = Tape::<f64>::new();
    let x = [inputs[0], inputs[1]].map(|v| tape.var_scalar(v));
    let w = [inputs[2], inputs[3], inputs[4], inputs[5]].map(|v| tape.var_scalar(v));
    let (y, _) = graph_value(x, w, act);
    let grads = y.backward();
    let leaves = [x[0], x[1], w[0], w[1], w[2], w[3]];
    (y.item(), leaves.map(|t| grads.wrt(t)[0]))
}

/// Central finite differences, step `1e-6·max(1, |v|)`, of a function of `N` scalars.
fn fd<const N: usize>(f: impl Fn([f64; N]) -> f64, at: [f64; N]) -> [f64; N] {
    std::array::from_fn(|k| {
        let h = 1e-6 * at[k].abs().max(1.0);
        let (mut up, mut down) = (at, at);
        up[k] += h;
        down[k] -= h;
        (f(up) - f(down)) / (up[k] - down[k])
    })
}

/// The notebook's first `inputs1` entry, recovered from TEST 8's printed trace:
/// `TensorSum: -1.0 + -7.0 = -8.0` (x1 + b1), `TensorSum: 4.0 + -6.0 = -2.0` (x2 + b2),
/// `TensorMul: -0.002682801043731825 * 5.0` (z6 · c1), `TensorMul: 0.11864151454914097 * 0.0`
/// (z4 · c2). Order: x1, x2, b1, b2, c1, c2.
const GRAPH_ENTRY_0: [f64; 6] = [-1.0, 4.0, -7.0, -6.0, 5.0, 0.0];

#[test]
fn test8_graph_trace_is_reproduced() {
    let tape = Tape::<f64>::new();
    let [x1, x2, b1, b2, c1, c2] = GRAPH_ENTRY_0.map(|v| tape.var_scalar(v));
    let (y, z) = graph_value([x1, x2], [b1, b2, c1, c2], Act::Composite);
    let z: Vec<f64> = z.iter().map(|t| t.item()).collect();

    // Printed: `TensorSum: -1.0 + -7.0 = -8.0`, `TensorSum: 4.0 + -6.0 = -2.0`
    assert_eq!((z[0], z[1]), (-8.0, -2.0));

    // sigmoid(z0), printed: `TensorNeg: --8.0 = 8.0`, `TensorExp: exp(8.0) = 2980.9579870417283`,
    // `TensorSum: 1.0 + 2980.9579870417283 = 2981.9579870417283`,
    // `TensorDiv: 1.0 / 2981.9579870417283 = 0.0003353501304664781`
    let z0 = tape.constant_scalar(z[0]);
    let e8 = (-z0).exp();
    assert_eq!((-z0).item(), 8.0);
    assert_within_1ulp(e8.item(), 2980.9579870417283);
    assert_within_1ulp((1.0 + e8).item(), 2981.9579870417283);
    assert_within_1ulp(z[2], 0.0003353501304664781);

    // sigmoid(z1), printed: `TensorExp: exp(2.0) = 7.38905609893065`,
    // `TensorSum: 1.0 + 7.38905609893065 = 8.38905609893065`,
    // `TensorDiv: 1.0 / 8.38905609893065 = 0.11920292202211755`
    let z1 = tape.constant_scalar(z[1]);
    let e2 = (-z1).exp();
    assert_within_1ulp(e2.item(), 7.38905609893065);
    assert_within_1ulp((1.0 + e2).item(), 8.38905609893065);
    assert_within_1ulp(z[3], 0.11920292202211755);

    // tanh(z3), printed: `TensorExp: exp(0.11920292202211755) = 1.1265985067418556`,
    // `TensorNeg: -0.11920292202211755 = -0.11920292202211755`,
    // `TensorExp: exp(-0.11920292202211755) = 0.8876276632853164`,
    // `TensorSub: … = 0.23897084345653918`, `TensorSum: … = 2.0142261700271717`,
    // `TensorDiv: 0.23897084345653918 / 2.0142261700271717 = 0.11864151454914097`
    let z3 = tape.constant_scalar(z[3]);
    let (ep, en) = (z3.exp(), (-z3).exp());
    assert_within_1ulp(ep.item(), 1.1265985067418556);
    assert_within_1ulp(en.item(), 0.8876276632853164);
    assert_within_1ulp((ep - en).item(), 0.23897084345653918);
    assert_within_1ulp((ep + en).item(), 2.0142261700271717);
    assert_within_1ulp(z[4], 0.11864151454914097);

    // Printed: `TensorMul: 0.11864151454914097 * 0.0 = 0.0` (z5 = z4·c2),
    // `TensorMul: -8.0 * 0.0003353501304664781 = -0.002682801043731825` (z6 = z0·z2),
    // `TensorMul: -0.002682801043731825 * 5.0 = -0.013414005218659125` (z7 = z6·c1),
    // `TensorMul: 0.00033535013046647…` (z8 = z2·z5, the output is cut there: 0 as z5 = 0).
    assert_eq!(z[5], 0.0);
    assert_within_1ulp(z[6], -0.002682801043731825);
    assert_within_1ulp(z[7], -0.013414005218659125);
    assert_eq!(z[8], 0.0);
    // y = z7 + z8 = z7 + 0 (hand: not printed).
    assert_eq!(y.item(), z[7]);
}

#[test]
fn test8_trace_lines_are_single_ieee_ops() {
    // Each printed arithmetic line `a op b = c` fed through one tape op gives `c` bit for bit
    // (the inputs are the printed values, so no libm is involved).
    let tape = Tape::<f64>::new();
    let s = |v: f64| tape.var_scalar(v);
    // `TensorSum: 1.0 + 2980.9579870417283 = 2981.9579870417283`
    assert_eq!((1.0 + s(2980.9579870417283)).item(), 2981.9579870417283);
    // `TensorDiv: 1.0 / 2981.9579870417283 = 0.0003353501304664781`
    assert_eq!((1.0 / s(2981.9579870417283)).item(), 0.0003353501304664781);
    assert_eq!(
        (s(1.0) / s(2981.9579870417283)).item(),
        0.0003353501304664781
    );
    // `TensorSum: 1.0 + 7.38905609893065 = 8.38905609893065`
    assert_eq!((s(1.0) + s(7.38905609893065)).item(), 8.38905609893065);
    // `TensorDiv: 1.0 / 8.38905609893065 = 0.11920292202211755`
    assert_eq!((1.0 / s(8.38905609893065)).item(), 0.11920292202211755);
    // `TensorNeg: -0.11920292202211755 = -0.11920292202211755`
    assert_eq!((-s(0.11920292202211755)).item(), -0.11920292202211755);
    // `TensorSub: 1.1265985067418556 - 0.8876276632853164 = 0.23897084345653918`
    let (ep, en) = (s(1.1265985067418556), s(0.8876276632853164));
    assert_eq!((ep - en).item(), 0.23897084345653918);
    // `TensorSum: 1.1265985067418556 + 0.8876276632853164 = 2.0142261700271717`
    assert_eq!((ep + en).item(), 2.0142261700271717);
    // `TensorDiv: 0.23897084345653918 / 2.0142261700271717 = 0.11864151454914097`
    assert_eq!(
        (s(0.23897084345653918) / s(2.0142261700271717)).item(),
        0.11864151454914097
    );
    // `TensorMul: 0.11864151454914097 * 0.0 = 0.0`
    assert_eq!((s(0.11864151454914097) * s(0.0)).item(), 0.0);
    // `TensorMul: -8.0 * 0.0003353501304664781 = -0.002682801043731825`
    assert_eq!(
        (s(-8.0) * s(0.0003353501304664781)).item(),
        -0.002682801043731825
    );
    // `TensorMul: -0.002682801043731825 * 5.0 = -0.013414005218659125`
    assert_eq!(
        (s(-0.002682801043731825) * s(5.0)).item(),
        -0.013414005218659125
    );
    assert_eq!(
        (s(-0.002682801043731825) * 5.0).item(),
        -0.013414005218659125
    );
}

#[test]
fn test8_graph_gradients_match_finite_differences() {
    let (y, grads) = graph(GRAPH_ENTRY_0, Act::Composite);
    assert_within_1ulp(y, -0.013414005218659125); // the trace's z7, y = z7 + 0
    let numeric = fd(|v| graph(v, Act::Composite).0, GRAPH_ENTRY_0);
    // FD error here: truncation h²·|f'''|/6 ≲ 1e-12, rounding ≈ 1e-16·|y|/h ≈ 1e-12; the
    // tolerance 1e-8 + 1e-6·|g| leaves four orders of margin.
    for (k, (g, n)) in grads.iter().zip(numeric).enumerate() {
        assert!(
            (g - n).abs() <= 1e-8 + 1e-6 * n.abs(),
            "grad {k}: tape {g}, fd {n}"
        );
    }
    // Hand derivation, y = c1·z0·σ(z0) + c2·σ(z0)·tanh(σ(z1)) with z0 = x1 + b1, z1 = x2 + b2:
    // ∂y/∂c1 = z0·σ(z0) = z6 (printed -0.002682801043731825); ∂y/∂c2 = σ(z0)·tanh(σ(z1)) =
    // z2·z4; ∂y/∂x2 = ∂y/∂b2 = c2·(…) = 0 as c2 = 0; ∂y/∂x1 = ∂y/∂b1.
    assert_within_1ulp(grads[4], -0.002682801043731825);
    assert_within_1ulp(grads[5], 0.0003353501304664781 * 0.11864151454914097);
    assert_eq!((grads[1], grads[3]), (0.0, 0.0));
    assert_eq!(grads[0], grads[2]);
    // ∂y/∂z0 = c1·(σ0 + z0·σ0·(1 − σ0)) + c2·(…) with σ0 = 0.0003353501304664781, z0 = -8.
    let s0 = 0.0003353501304664781;
    assert_relative_eq!(
        grads[0],
        5.0 * (s0 + -8.0 * s0 * (1.0 - s0)),
        max_relative = 1e-14
    );
}

/// More graph inputs `[x1, x2, b1, b2, c1, c2]` of our choice (small integers like the
/// notebook's, including c2 ≠ 0 so the tanh branch carries gradient).
const GRAPH_MORE: [[f64; 6]; 4] = [
    [2.0, -2.0, 7.0, -5.0, -10.0, 9.0],
    [-6.0, -6.0, 3.0, -7.0, -7.0, 5.0],
    [-10.0, -3.0, 5.0, 3.0, -5.0, -2.0],
    [0.5, 1.5, -0.25, 0.75, 2.0, -3.0],
];

#[test]
fn test8_primitive_activations_agree_with_composites() {
    for inputs in std::iter::once(GRAPH_ENTRY_0).chain(GRAPH_MORE) {
        let (y_c, g_c) = graph(inputs, Act::Composite);
        let (y_p, g_p) = graph(inputs, Act::Primitive);
        assert_relative_eq!(y_p, y_c, max_relative = 1e-15);
        // Gradients agree to 1e-15 relative (observed ≤ 4e-16), except ∂y/∂c2 =
        // σ(z0)·tanh(σ(z1)) when σ(z1) is small: the composite tanh then cancels in
        // e^z − e^{−z} (relative error 6e-14 at σ(z1) = 9e-4 in the first extra entry, 3e-11
        // at σ(z1) = 2e-6 in the second). The absolute floor 1e-16·max|g| covers that
        // (observed ≤ 5.5e-17 where the floor is ≥ 6e-17).
        let scale = g_c.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        for k in 0..6 {
            assert!(
                (g_p[k] - g_c[k]).abs() <= 1e-15 * g_c[k].abs() + 1e-16 * scale,
                "{inputs:?} grad {k}: primitive {}, composite {}",
                g_p[k],
                g_c[k]
            );
        }
        // And both against finite differences.
        let numeric = fd(|v| graph(v, Act::Primitive).0, inputs);
        for k in 0..6 {
            assert!(
                (g_p[k] - numeric[k]).abs() <= 1e-8 + 1e-6 * numeric[k].abs(),
                "{inputs:?} grad {k}: tape {}, fd {}",
                g_p[k],
                numeric[k]
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// TEST 9: the two-layer net

/// Our literal inputs (the notebook fixes no values; these are the first entry of the port's
/// sample `examples/data/inputs2.json` at the time of writing), in the reference shapes
/// x (3,1), W1 (4,3), b1 (4,1), W2 (2,4), b2 (2,1).
struct Net {
    x: Vector3<f64>,
    w1: Matrix4x3<f64>,
    b1: Vector4<f64>,
    w2: Matrix2x4<f64>,
    b2: Vector2<f64>,
}

fn net_inputs() -> Net {
    Net {
        x: Vector3::new(-0.6502, -1.6638, -0.6334),
        #[rustfmt::skip]
        w1: Matrix4x3::new(
            1.3185, 0.6058, 0.4641,
            -1.0671, -0.0084, -0.6732,
            1.1758, -1.9007, -1.6072,
            1.3438, -0.3337, 1.5037,
        ),
        b1: Vector4::new(-1.163, 0.8829, 1.1578, -0.8909),
        #[rustfmt::skip]
        w2: Matrix2x4::new(
            -1.1412, -0.327, -1.832, -1.2533,
            -0.851, -0.0801, -0.3425, 0.3933,
        ),
        b2: Vector2::new(-0.5161, 0.8316),
    }
}

/// The notebook's `two_layer_net` for a batch of `B` columns:
/// `sum(sigmoid(W2 @ sigmoid(W1 @ x + b1) + b2))`, biases broadcast across the columns.
fn two_layer_net<'t, const B: usize>(
    x: Tensor<'t, 3, B>,
    w1: Tensor<'t, 4, 3>,
    w2: Tensor<'t, 2, 4>,
    b1: Tensor<'t, 4, 1>,
    b2: Tensor<'t, 2, 1>,
    act: Act,
) -> Tensor<'t, 1, 1> {
    let h = w1.matmul(x) + b1.broadcast_cols();
    let h = act.sigmoid(h);
    let y = w2.matmul(h) + b2.broadcast_cols();
    let y = act.sigmoid(y);
    y.sum()
}

/// Loss and gradients `(x, W1, W2, b1, b2)` of the net on a batch.
#[allow(clippy::type_complexity)]
fn net_grads<const B: usize>(
    x: SMatrix<f64, 3, B>,
    n: &Net,
    act: Act,
) -> (
    f64,
    SMatrix<f64, 3, B>,
    Matrix4x3<f64>,
    Matrix2x4<f64>,
    Vector4<f64>,
    Vector2<f64>,
) {
    let tape = Tape::<f64>::new();
    let (x, w1, w2, b1, b2) = (
        tape.var(x),
        tape.var(n.w1),
        tape.var(n.w2),
        tape.var(n.b1),
        tape.var(n.b2),
    );
    let loss = two_layer_net(x, w1, w2, b1, b2, act);
    let g = loss.backward();
    (
        loss.item(),
        g.wrt(x),
        g.wrt(w1),
        g.wrt(w2),
        g.wrt(b1),
        g.wrt(b2),
    )
}

/// Central finite differences of `loss` with respect to every element of `m`.
fn fd_matrix<const R: usize, const C: usize>(
    m: SMatrix<f64, R, C>,
    loss: impl Fn(SMatrix<f64, R, C>) -> f64,
) -> SMatrix<f64, R, C> {
    SMatrix::from_fn(|i, j| {
        let h = 1e-6 * m[(i, j)].abs().max(1.0);
        let (mut up, mut down) = (m, m);
        up[(i, j)] += h;
        down[(i, j)] -= h;
        (loss(up) - loss(down)) / (up[(i, j)] - down[(i, j)])
    })
}

#[track_caller]
fn assert_fd_close<const R: usize, const C: usize>(
    tape: &SMatrix<f64, R, C>,
    fd: &SMatrix<f64, R, C>,
    what: &str,
) {
    // The loss is O(1) and smooth; central FD is good to ~1e-10 here (see TEST 8), so 1e-6
    // relative-or-absolute is a wide margin that still catches any wrong derivative.
    for k in 0..R * C {
        assert!(
            (tape[k] - fd[k]).abs() <= 1e-6 * fd[k].abs().max(1.0),
            "{what}[{k}]: tape {}, fd {}\ntape {tape}\nfd {fd}",
            tape[k],
            fd[k]
        );
    }
}

#[test]
fn test9_two_layer_net_gradients_match_finite_differences() {
    let n = net_inputs();
    for act in [Act::Composite, Act::Primitive] {
        let (_, gx, gw1, gw2, gb1, gb2) = net_grads(n.x, &n, act);
        let loss = |x: Vector3<f64>, w1, w2, b1, b2| {
            let m = Net { x, w1, b1, w2, b2 };
            net_grads(x, &m, act).0
        };
        let fx = fd_matrix(n.x, |x| loss(x, n.w1, n.w2, n.b1, n.b2));
        let fw1 = fd_matrix(n.w1, |w1| loss(n.x, w1, n.w2, n.b1, n.b2));
        let fw2 = fd_matrix(n.w2, |w2| loss(n.x, n.w1, w2, n.b1, n.b2));
        let fb1 = fd_matrix(n.b1, |b1| loss(n.x, n.w1, n.w2, b1, n.b2));
        let fb2 = fd_matrix(n.b2, |b2| loss(n.x, n.w1, n.w2, n.b1, b2));
        assert_fd_close(&gx, &fx, "x");
        assert_fd_close(&gw1, &fw1, "W1");
        assert_fd_close(&gw2, &fw2, "W2");
        assert_fd_close(&gb1, &fb1, "b1");
        assert_fd_close(&gb2, &fb2, "b2");
    }
}

#[test]
fn test9_composite_and_primitive_sigmoid_agree() {
    let n = net_inputs();
    let c = net_grads(n.x, &n, Act::Composite);
    let p = net_grads(n.x, &n, Act::Primitive);
    assert_relative_eq!(c.0, p.0, max_relative = 1e-15);
    assert_relative_eq!(c.1, p.1, max_relative = 1e-14);
    assert_relative_eq!(c.2, p.2, max_relative = 1e-14);
    assert_relative_eq!(c.3, p.3, max_relative = 1e-14);
    assert_relative_eq!(c.4, p.4, max_relative = 1e-14);
    assert_relative_eq!(c.5, p.5, max_relative = 1e-14);
}

#[test]
fn test9_batch_gradient_is_the_sum_of_per_column_gradients() {
    let n = net_inputs();
    // Five columns of our choice; the first is the unbatched x.
    #[rustfmt::skip]
    let xb = Matrix3x5::new(
        -0.6502, 0.25, -1.5, 0.8, 2.0,
        -1.6638, 1.0, 0.3, -0.7, -0.1,
        -0.6334, -0.5, 1.2, 0.05, 0.6,
    );
    for act in [Act::Composite, Act::Primitive] {
        let (loss, gx, gw1, gw2, gb1, gb2) = net_grads(xb, &n, act);
        let (mut l, mut w1, mut w2) = (0.0, Matrix4x3::zeros(), Matrix2x4::zeros());
        let (mut b1, mut b2) = (Vector4::zeros(), Vector2::zeros());
        for j in 0..5 {
            let col: Vector3<f64> = xb.column(j).into();
            let (lj, gxj, gw1j, gw2j, gb1j, gb2j) = net_grads(col, &n, act);
            l += lj;
            w1 += gw1j;
            w2 += gw2j;
            b1 += gb1j;
            b2 += gb2j;
            // Columns do not interact: ∂loss/∂x column j is the single-column gradient.
            assert_relative_eq!(
                Vector3::from(gx.column(j)),
                gxj,
                max_relative = 1e-14,
                epsilon = 1e-16
            );
        }
        // Sums in a different order: equal to a few ulps of the largest term.
        assert_relative_eq!(loss, l, max_relative = 1e-14);
        assert_relative_eq!(gw1, w1, max_relative = 1e-13, epsilon = 1e-15);
        assert_relative_eq!(gw2, w2, max_relative = 1e-13, epsilon = 1e-15);
        assert_relative_eq!(gb1, b1, max_relative = 1e-13, epsilon = 1e-15);
        assert_relative_eq!(gb2, b2, max_relative = 1e-13, epsilon = 1e-15);
    }
    // The first column of the batch is the unbatched entry.
    let single = net_grads(n.x, &n, Act::Primitive);
    let batch = net_grads(xb, &n, Act::Primitive);
    assert_relative_eq!(
        Vector3::from(batch.1.column(0)),
        single.1,
        max_relative = 1e-14
    );
}
