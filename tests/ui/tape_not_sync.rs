// A tape records through `&self` with a `RefCell` inside: it is not `Sync`, so two threads
// cannot share one (use one tape per thread; `Tape` is `Send`).
use shapegrad::Tape;

fn main() {
    let tape = Tape::<f64>::new();
    std::thread::scope(|s| {
        s.spawn(|| tape.var_scalar(1.0).item());
    });
}
