// `backward` differentiates a 1×1 output; a matrix needs `.sum()` or `backward_with(seed)`.
use shapegrad::{Tape, Tensor};

fn main() {
    let tape = Tape::new();
    let a: Tensor<2, 3> = tape.var_from_fn(|_, _| 1.0);
    let _ = a.backward();
}
