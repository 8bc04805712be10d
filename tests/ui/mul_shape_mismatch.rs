// `*` is the element-wise product (unlike nalgebra's `*`), so 2×2 * 2×1 is rejected;
// the matrix product is `a.matmul(b)`.
use shapegrad::{Tape, Tensor};

fn main() {
    let tape = Tape::new();
    let a: Tensor<2, 2> = tape.var_from_fn(|_, _| 1.0);
    let b: Tensor<2, 1> = tape.var_from_fn(|_, _| 1.0);
    let _ = a * b;
}
