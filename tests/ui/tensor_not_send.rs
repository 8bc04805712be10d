// A tensor holds `&Tape`, and `Tape` is not `Sync`, so a tensor cannot move to another thread.
use shapegrad::Tape;

fn main() {
    let tape = Tape::<f64>::new();
    let x = tape.var_scalar(1.0);
    std::thread::scope(|s| {
        s.spawn(move || x.item());
    });
}
