// Element-wise `+` needs equal shapes; there is no implicit broadcasting or transposing.
use shapegrad::{Tape, Tensor};

fn main() {
    let tape = Tape::new();
    let a: Tensor<2, 3> = tape.var_from_fn(|_, _| 1.0);
    let b: Tensor<3, 2> = tape.var_from_fn(|_, _| 1.0);
    let _ = a + b;
}
