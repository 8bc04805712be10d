// A tensor borrows its tape: it cannot be used after the tape is dropped.
use shapegrad::Tape;

fn main() {
    let x = {
        let tape = Tape::new();
        tape.var_scalar(1.0)
    };
    let _ = x.item();
}
