// `Tape::clear` takes `&mut self`, so no tensor of the old recording survives it.
use shapegrad::Tape;

fn main() {
    let mut tape = Tape::new();
    let x = tape.var_scalar(1.0);
    tape.clear();
    let _ = x.item();
}
