// `cross` exists for 3-vectors only.
use shapegrad::{Tape, Tensor};

fn main() {
    let tape = Tape::<f64>::new();
    let a: Tensor<4, 1> = tape.var_from_fn(|_, _| 1.0);
    let _ = a.cross(a);
}
