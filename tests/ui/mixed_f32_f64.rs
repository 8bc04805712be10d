// Tensors of different scalar types do not mix (no implicit f32 -> f64 promotion).
use shapegrad::{Tape, Tensor};

fn main() {
    let t32 = Tape::<f32>::new();
    let t64 = Tape::<f64>::new();
    let a: Tensor<2, 2, f32> = t32.var_from_fn(|_, _| 1.0);
    let b: Tensor<2, 2, f64> = t64.var_from_fn(|_, _| 1.0);
    let _ = a + b;
}
