// A 2×3 times a 4×1: the inner dimensions (3 and 4) differ.
use shapegrad::{Tape, Tensor};

fn main() {
    let tape = Tape::new();
    let a: Tensor<2, 3> = tape.var_from_fn(|_, _| 1.0);
    let b: Tensor<4, 1> = tape.var_from_fn(|_, _| 1.0);
    let _ = a.matmul(b);
}
