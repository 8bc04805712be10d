// `broadcast_cols` repeats a column vector (R×1); a 2×3 matrix has no such method.
use shapegrad::{Tape, Tensor};

fn main() {
    let tape = Tape::new();
    let a: Tensor<2, 3> = tape.var_from_fn(|_, _| 1.0);
    let _: Tensor<2, 4> = a.broadcast_cols::<4>();
}
