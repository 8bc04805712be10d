//! A short tour: the notebook's scalar cells, its graph function and a two-layer network,
//! differentiated with shapegrad and printed.
//!
//! Run with `cargo run --example gradients`.

use nalgebra::{Matrix2x4, Matrix4x3, Vector2, Vector3, Vector4};
use shapegrad::{Scalar, Tape, Tensor};

/// The notebook's TEST 8 graph function, with the crate's stable `sigmoid` and `tanh`.
fn graph_value<'t, T: Scalar>(
    x: [Tensor<'t, 1, 1, T>; 2],
    w: [Tensor<'t, 1, 1, T>; 4],
) -> Tensor<'t, 1, 1, T> {
    let [x1, x2] = x;
    let [b1, b2, c1, c2] = w;
    let z0 = x1 + b1;
    let z1 = x2 + b2;
    let z2 = z0.sigmoid();
    let z3 = z1.sigmoid();
    let z4 = z3.tanh();
    let z5 = z4 * c2;
    let z6 = z0 * z2;
    let z7 = z6 * c1;
    let z8 = z2 * z5;
    z7 + z8
}

fn main() {
    // The notebook's TEST 2: z = x + y + x + x + x + y at x = 1, y = 2.
    let tape = Tape::<f64>::new();
    let (x, y) = (tape.var_scalar(1.0), tape.var_scalar(2.0));
    let grads = (x + y + x + x + x + y).backward();
    println!(
        "sum:   x.grad = {}, y.grad = {}",
        grads.wrt(x)[0],
        grads.wrt(y)[0]
    );

    // TEST 7: exp(x + y).
    let grads = (x + y).exp().backward();
    println!(
        "exp:   x.grad = {}, y.grad = {}",
        grads.wrt(x)[0],
        grads.wrt(y)[0]
    );

    // TEST 8 on the notebook's first entry: x = [-1, 4], w = [-7, -6, 5, 0].
    let xs = [-1.0, 4.0].map(|v| tape.var_scalar(v));
    let ws = [-7.0, -6.0, 5.0, 0.0].map(|v| tape.var_scalar(v));
    let grads = graph_value(xs, ws).backward();
    let g: Vec<f64> = xs.iter().chain(&ws).map(|&t| grads.wrt(t)[0]).collect();
    println!("graph: [x1, x2, b1, b2, c1, c2].grad = {g:?}");

    // TEST 9: sum(σ(W2 σ(W1 x + b1) + b2)), in f32 this time.
    let tape = Tape::<f32>::new();
    let x = tape.var(Vector3::new(0.5, -1.0, 2.0));
    let w1 = tape.var(Matrix4x3::from_fn(|i, j| 0.1 * (i as f32 - j as f32)));
    let b1 = tape.var(Vector4::repeat(0.1));
    let w2 = tape.var(Matrix2x4::from_fn(|i, j| 0.2 * (i + j) as f32 - 0.3));
    let b2 = tape.var(Vector2::new(0.0, -0.1));
    let loss = (w2.matmul((w1.matmul(x) + b1).sigmoid()) + b2)
        .sigmoid()
        .sum();
    let grads = loss.backward();
    println!("net:   loss = {}", loss.item());
    println!("       ∂loss/∂x = {:?}", grads.wrt(x).as_slice());
    println!("       ∂loss/∂b2 = {:?}", grads.wrt(b2).as_slice());
    println!("       ∂loss/∂W1 =\n{}", grads.wrt(w1));
}
