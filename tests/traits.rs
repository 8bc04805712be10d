//! Which standard traits the public types implement, checked at compile time.
//!
//! The negative cases (a `Tape` is not `Sync`, a `Tensor` is not `Send`) are trybuild cases:
//! `tests/ui/tape_not_sync.rs` and `tests/ui/tensor_not_send.rs`.

use std::fmt::Debug;

use shapegrad::{Gradients, Input, Recording, ReplayFn, ReplayVectorFn, Tape, Tensor, Workspace};

fn assert_send<T: Send>() {}
fn assert_sync<T: Sync>() {}
fn assert_copy<T: Copy>() {}
fn assert_clone<T: Clone>() {}
fn assert_debug<T: Debug>() {}
fn assert_default<T: Default>() {}

/// Checked when this file compiles, whether or not the test runs: a regression is a build
/// error naming the missing trait.
const _: fn() = || {
    // One tape per worker thread: a tape moves between threads...
    assert_send::<Tape<f64>>();
    assert_send::<Tape<f32>>();
    // ...and gradients own their buffer, so they can be sent and shared freely.
    assert_send::<Gradients<f64>>();
    assert_sync::<Gradients<f64>>();
    assert_send::<Gradients<f32>>();
    assert_sync::<Gradients<f32>>();

    assert_copy::<Tensor<'_, 2, 3>>();
    assert_clone::<Tensor<'_, 2, 3>>();
    assert_debug::<Tensor<'_, 2, 3>>();
    assert_copy::<Tensor<'_, 1, 1, f32>>();

    assert_default::<Tape<f64>>();
    assert_debug::<Tape<f64>>();
    assert_default::<Tape<f32>>();
    assert_debug::<Tape<f32>>();

    assert_clone::<Gradients<f64>>();
    assert_debug::<Gradients<f64>>();
    assert_default::<Gradients<f64>>();

    // a recording is shared read-only between threads, each evaluating into a workspace of
    // its own, which can move between threads too
    assert_send::<Recording<1, 1, f64>>();
    assert_sync::<Recording<1, 1, f64>>();
    assert_send::<Recording<1, 1, f32>>();
    assert_sync::<Recording<1, 1, f32>>();
    assert_send::<Recording<3, 2, f64>>();
    assert_sync::<Recording<3, 2, f64>>();
    assert_send::<ReplayFn<2, 1, f64>>();
    assert_sync::<ReplayFn<2, 1, f64>>();
    assert_send::<ReplayVectorFn<2, 3, f64>>();
    assert_sync::<ReplayVectorFn<2, 3, f64>>();
    assert_send::<Workspace<f64>>();
    assert_sync::<Workspace<f64>>();
    assert_send::<Workspace<f32>>();
    assert_sync::<Workspace<f32>>();
    assert_clone::<Workspace<f64>>();
    assert_debug::<Workspace<f64>>();
    assert_copy::<Input<2, 1>>();
    assert_debug::<Input<2, 1>>();
    assert_send::<Input<2, 1>>();
    assert_sync::<Input<2, 1>>();
};

#[test]
fn public_types_implement_the_common_traits() {
    assert_send::<Tape<f64>>();
    assert_send::<Tape<f32>>();
    assert_send::<Gradients<f64>>();
    assert_sync::<Gradients<f64>>();
    assert_copy::<Tensor<'_, 2, 3>>();
    assert_clone::<Tensor<'_, 2, 3>>();
    assert_debug::<Tensor<'_, 2, 3>>();
    assert_default::<Tape>();
    assert_debug::<Tape>();
    assert_clone::<Gradients>();
    assert_debug::<Gradients>();
    assert_default::<Gradients>();
    assert_send::<Recording<1, 1, f64>>();
    assert_sync::<Recording<1, 1, f64>>();
    assert_send::<Recording<1, 1, f32>>();
    assert_sync::<Recording<1, 1, f32>>();
    assert_send::<ReplayFn<2, 1, f64>>();
    assert_sync::<ReplayFn<2, 1, f64>>();
    assert_send::<ReplayVectorFn<2, 3, f64>>();
    assert_sync::<ReplayVectorFn<2, 3, f64>>();
    assert_send::<Workspace<f64>>();
    assert_sync::<Workspace<f64>>();
    assert_copy::<Input<2, 1>>();
}

#[test]
#[cfg(target_pointer_width = "64")]
fn tensor_handle_is_three_words() {
    // A tensor is `&Tape`, one `u64` (value offset and needs-grad bit) and a 1×1 tensor's
    // value (zero for other shapes, so scalar ops read operands from registers rather than
    // from the tape); the shape lives only in the type. Ops take and return tensors by value,
    // so the handle stays three words whatever the matrix size (an f32 value is padded).
    assert_eq!(std::mem::size_of::<Tensor<'_, 3, 3>>(), 24);
    assert_eq!(std::mem::size_of::<Tensor<'_, 1, 1>>(), 24);
    assert_eq!(std::mem::size_of::<Tensor<'_, 100, 100, f32>>(), 24);
}

#[test]
fn a_tape_moves_to_a_worker_thread() {
    let tape = Tape::<f64>::new();
    let worker = std::thread::spawn(move || {
        let x = tape.var_scalar(3.0);
        let grads = (x * x).backward();
        (grads.wrt(x)[0], grads) // the gradients come back across the thread boundary
    });
    let (dx, _grads) = worker.join().expect("worker thread panicked");
    assert_eq!(dx, 6.0);
}

#[test]
fn a_recording_is_evaluated_on_another_thread_and_its_workspace_comes_back() {
    let tape = Tape::for_replay();
    let x = tape.var_scalar(3.0);
    let rec = Recording::new(x * x).unwrap();
    let xi = rec.input(x);
    drop(tape); // the recording keeps nothing of the tape
    let worker = std::thread::spawn(move || {
        let mut ws = rec.workspace();
        rec.set(&mut ws, xi, &nalgebra::Matrix1::new(4.0));
        let y = rec.forward(&mut ws).unwrap()[0];
        rec.backward_one(&mut ws);
        let dx = rec.gradient(&ws, xi)[0];
        (y, dx, ws)
    });
    let (y, dx, _ws) = worker.join().expect("worker thread panicked");
    // 4² and 2·4, exact
    assert_eq!((y, dx), (16.0, 8.0));
}
