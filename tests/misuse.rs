//! Misuse and repeated use: tensors of two tapes, gradients asked about foreign tensors,
//! several backward passes on one tape, and `backward_with`.

use nalgebra::{Matrix2, Matrix2x3, Vector2, Vector3};
use shapegrad::{Gradients, Input, Recording, Tape};

// ---------------------------------------------------------------------------------------------
// combining tensors of two tapes panics, naming the op

#[test]
#[should_panic(expected = "`add` combines tensors from two different tapes")]
fn add_across_tapes_panics() {
    let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
    let _ = t1.var_scalar(1.0) + t2.var_scalar(2.0);
}

#[test]
#[should_panic(expected = "`sub` combines tensors from two different tapes")]
fn sub_across_tapes_panics() {
    let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
    let _ = t1.var(Vector2::new(1.0, 2.0)) - t2.var(Vector2::new(3.0, 4.0));
}

#[test]
#[should_panic(expected = "`mul` combines tensors from two different tapes")]
fn mul_across_tapes_panics() {
    let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
    // a constant of the other tape is refused too
    let _ = t1.var_scalar(1.0) * t2.constant_scalar(2.0);
}

#[test]
#[should_panic(expected = "`div` combines tensors from two different tapes")]
fn div_across_tapes_panics() {
    let (t1, t2) = (Tape::<f32>::new(), Tape::<f32>::new());
    let _ = t1.var_scalar(1.0) / t2.var_scalar(2.0);
}

#[test]
#[should_panic(expected = "`matmul` combines tensors from two different tapes")]
fn matmul_across_tapes_panics() {
    let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
    let w = t1.var(Matrix2x3::<f64>::zeros());
    let x = t2.var(Vector3::<f64>::zeros());
    let _ = w.matmul(x);
}

#[test]
fn a_failed_cross_tape_op_records_nothing() {
    // The check runs before recording: the tapes are unchanged after the panic.
    let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
    let (a, b) = (t1.var_scalar(1.0), t2.var_scalar(2.0));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a + b));
    assert!(r.is_err());
    assert_eq!((t1.len(), t2.len()), (1, 1));
    // and both tapes remain usable
    assert_eq!((a * a).backward().wrt(a)[0], 2.0);
    assert_eq!((b * b).backward().wrt(b)[0], 4.0);
}

// ---------------------------------------------------------------------------------------------
// gradients asked about a tensor of another tape

#[test]
#[should_panic(expected = "got a tensor from another tape or recording")]
fn wrt_a_tensor_of_another_tape_panics() {
    let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
    let x = t1.var_scalar(1.0);
    let other = t2.var_scalar(1.0);
    let grads = (x * x).backward();
    let _ = grads.wrt(other);
}

#[test]
#[should_panic(expected = "got a tensor from another tape or recording")]
fn slice_of_a_tensor_of_another_tape_panics() {
    let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
    let x = t1.var(Vector2::new(1.0, 2.0));
    let other = t2.var(Vector2::new(1.0, 2.0));
    let grads = (x * x).sum().backward();
    let _ = grads.slice(other);
}

#[test]
#[should_panic(expected = "got a tensor from another tape or recording")]
fn wrt_a_tensor_recorded_after_clear_panics() {
    let mut tape = Tape::<f64>::new();
    let grads = {
        let x = tape.var_scalar(1.0);
        x.exp().backward()
    };
    tape.clear();
    let x = tape.var_scalar(1.0); // same node index and offset as the old x
    let _ = grads.wrt(x);
}

#[test]
#[should_panic(expected = "no backward has filled")]
fn wrt_on_unfilled_gradients_panics() {
    let tape = Tape::<f64>::new();
    let x = tape.var_scalar(1.0);
    let _ = Gradients::new().wrt(x);
}

#[test]
fn reused_gradients_buffer_moves_to_the_new_tape() {
    // `backward_into` a buffer filled from another tape: it now belongs to the new one.
    let mut grads = Gradients::new();
    let t1 = Tape::<f64>::new();
    let a = t1.var_scalar(3.0);
    (a * a).backward_into(&mut grads);
    assert_eq!(grads.wrt(a)[0], 6.0);
    let t2 = Tape::<f64>::new();
    let b = t2.var_scalar(5.0);
    (b * b * b).backward_into(&mut grads);
    assert_eq!(grads.wrt(b)[0], 75.0); // 3b²
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| grads.wrt(a)));
    assert!(
        r.is_err(),
        "the buffer no longer answers for the first tape"
    );
}

// ---------------------------------------------------------------------------------------------
// several backward passes on one tape (the notebook's cells do this)

#[test]
fn several_outputs_of_one_tape_each_get_their_own_gradients() {
    // As in the notebook, one x and y serve several expressions; each backward returns an
    // independent Gradients (the notebook instead accumulates into x.grad across calls).
    let tape = Tape::<f64>::new();
    let (x, y) = (tape.var_scalar(1.0), tape.var_scalar(2.0));
    let sum = x + y + x + x + x + y; // TEST 2: printed grads 4, 2
    let g_sum = sum.backward();
    let prod = (x + y) * (x - y); // TEST 4: printed grads 2, -4
    let g_prod = prod.backward();
    let e = (x + y).exp(); // TEST 7: printed grads e³, e³
    let g_exp = e.backward();
    assert_eq!((g_sum.wrt(x)[0], g_sum.wrt(y)[0]), (4.0, 2.0));
    assert_eq!((g_prod.wrt(x)[0], g_prod.wrt(y)[0]), (2.0, -4.0));
    assert_eq!((g_exp.wrt(x)[0], g_exp.wrt(y)[0]), (e.item(), e.item()));
    // An earlier output's gradients know nothing of later outputs.
    assert_eq!(g_sum.wrt(prod)[0], 0.0);
    assert_eq!(g_sum.wrt(e)[0], 0.0);
    // And a later backward over the whole tape ignores the outputs it does not reach:
    // ∂e/∂sum = 0 though `sum` was recorded before `e`.
    assert_eq!(g_exp.wrt(sum)[0], 0.0);
    assert_eq!(g_exp.wrt(prod)[0], 0.0);
}

#[test]
fn backward_twice_on_one_output_does_not_accumulate() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Vector2::new(0.5, -1.5));
    let loss = (x * x * x).sum();
    let first = loss.backward();
    let second = loss.backward();
    // ∂Σx³/∂x = 3x² (hand derivation)
    assert_eq!(first.wrt(x), Vector2::new(0.75, 6.75));
    assert_eq!(second.wrt(x), first.wrt(x));
    // Recording more after a backward, then differentiating again, changes neither.
    let more = (x.exp() * x).sum();
    let third = more.backward();
    assert_eq!(first.wrt(x), Vector2::new(0.75, 6.75));
    assert_eq!(loss.backward().wrt(x), first.wrt(x));
    // ∂Σ xeˣ/∂x = (1 + x)eˣ
    let want = x.value().map(|v| (1.0 + v) * v.exp());
    approx::assert_relative_eq!(third.wrt(x), want, max_relative = 1e-15);
}

#[test]
fn backward_from_an_intermediate_tensor() {
    // Any 1×1 tensor can be differentiated, also one that later ops consume.
    let tape = Tape::<f64>::new();
    let x = tape.var_scalar(2.0);
    let mid = x * x;
    let top = mid * x;
    assert_eq!(mid.backward().wrt(x)[0], 4.0); // 2x
    assert_eq!(top.backward().wrt(x)[0], 12.0); // 3x²
    assert_eq!(top.backward().wrt(mid)[0], 2.0); // ∂(mid·x)/∂mid = x
}

#[test]
fn constant_output_gets_zero_gradient_wrt_itself() {
    let tape = Tape::<f64>::new();
    let c = tape.constant_scalar(2.0);
    assert_eq!(c.backward().wrt(c)[0], 0.0);
    let cc = c * c; // a constant-only result
    assert_eq!(cc.backward().wrt(cc)[0], 0.0);
    assert!(cc.backward().slice(cc).is_none());
}

// ---------------------------------------------------------------------------------------------
// backward_with

#[test]
fn backward_with_a_seed_is_the_weighted_sum() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Matrix2x3::new(0.5, -1.0, 2.0, 0.25, 1.5, -0.75));
    let w = tape.var(Matrix2::new(1.0, -2.0, 0.5, 3.0));
    let y = w.matmul(a).sigmoid() * a; // 2×3, not 1×1
    let seed = Matrix2x3::new(1.0, -0.5, 2.0, 0.0, 3.0, -1.5);

    let with_seed = y.backward_with(&seed);
    let manual = (y * tape.constant(seed)).sum().backward();
    // The manual form hands y exactly the seed as its upstream gradient (1·sᵢⱼ), so every
    // later rule sees identical inputs: bit-identical results.
    assert_eq!(with_seed.wrt(a), manual.wrt(a));
    assert_eq!(with_seed.wrt(w), manual.wrt(w));
    // The seed lands on y itself.
    assert_eq!(with_seed.wrt(y), seed);
}

#[test]
fn backward_with_is_linear_in_the_seed() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Vector2::new(0.5, -1.5));
    let y = x.exp() * x; // Jacobian diag((1 + x)eˣ)
    let (e1, e2) = (Vector2::new(1.0, 0.0), Vector2::new(0.0, 1.0));
    let g1 = y.backward_with(&e1).wrt(x);
    let g2 = y.backward_with(&e2).wrt(x);
    let g = y.backward_with(&Vector2::new(2.0, -3.0)).wrt(x);
    approx::assert_relative_eq!(g, 2.0 * g1 - 3.0 * g2, max_relative = 1e-15);
    // a 1×1 output: backward_with(1) is backward()
    let s = y.sum();
    assert_eq!(
        s.backward_with(&nalgebra::Matrix1::new(1.0)).wrt(x),
        s.backward().wrt(x)
    );
    // a zero seed gives zero gradients
    assert_eq!(y.backward_with(&Vector2::zeros()).wrt(x), Vector2::zeros());
}

// ---------------------------------------------------------------------------------------------
// replay: workspaces and inputs belong to one recording; gradients need a walk

/// `Σ x²` of a 2-vector on a replayable tape, its recording and its one input.
fn squares(tape: &Tape<f64>) -> (Recording<1, 1>, Input<2, 1>) {
    let x = tape.var(Vector2::new(1.0, 2.0));
    let rec = Recording::new((x * x).sum()).unwrap();
    let input = rec.input(x);
    (rec, input)
}

#[test]
#[should_panic(expected = "got a workspace or input of another recording")]
fn a_workspace_of_another_recording_panics() {
    let (t1, t2) = (Tape::for_replay(), Tape::for_replay());
    let (a, _) = squares(&t1);
    let (b, _) = squares(&t2); // the same function, another recording
    let mut ws = b.workspace();
    let _ = a.forward(&mut ws);
}

#[test]
#[should_panic(expected = "another recording")]
fn an_input_of_another_recording_panics() {
    let (t1, t2) = (Tape::for_replay(), Tape::for_replay());
    let (a, _) = squares(&t1);
    let (_, b_input) = squares(&t2);
    let mut ws = a.workspace();
    a.set(&mut ws, b_input, &Vector2::new(3.0, 4.0));
}

#[test]
#[should_panic(expected = "another recording")]
fn a_gradient_read_from_another_recordings_workspace_panics() {
    let (t1, t2) = (Tape::for_replay(), Tape::for_replay());
    let (a, a_input) = squares(&t1);
    let (b, _) = squares(&t2);
    let mut ws = b.workspace();
    b.forward(&mut ws).unwrap();
    b.backward_one(&mut ws);
    let _ = a.gradient(&ws, a_input);
}

#[test]
#[should_panic(expected = "Recording::gradient needs a backward since the inputs were set")]
fn a_gradient_before_backward_panics() {
    let tape = Tape::for_replay();
    let (rec, x) = squares(&tape);
    let mut ws = rec.workspace();
    rec.forward(&mut ws).unwrap();
    let _ = rec.gradient(&ws, x);
}

#[test]
#[should_panic(expected = "Recording::gradient_slice needs a backward since the inputs were set")]
fn a_gradient_slice_before_backward_panics() {
    let tape = Tape::for_replay();
    let (rec, x) = squares(&tape);
    let mut ws = rec.workspace();
    rec.forward(&mut ws).unwrap();
    let _ = rec.gradient_slice(&ws, x);
}

#[test]
#[should_panic(expected = "Recording::gradient needs a backward since the inputs were set")]
fn a_gradient_after_new_inputs_without_backward_panics() {
    let tape = Tape::for_replay();
    let (rec, x) = squares(&tape);
    let mut ws = rec.workspace();
    rec.forward(&mut ws).unwrap();
    rec.backward_one(&mut ws);
    assert_eq!(rec.gradient(&ws, x), Vector2::new(2.0, 4.0)); // 2x at (1, 2)
    rec.set(&mut ws, x, &Vector2::new(5.0, 6.0));
    let _ = rec.gradient(&ws, x); // the walk was at the old inputs
}

#[test]
#[should_panic(expected = "Recording::backward needs a successful forward at the current inputs")]
fn a_backward_before_forward_panics() {
    let tape = Tape::for_replay();
    let (rec, x) = squares(&tape);
    let mut ws = rec.workspace();
    rec.set(&mut ws, x, &Vector2::new(5.0, 6.0));
    rec.backward_one(&mut ws);
}

#[test]
#[should_panic(expected = "Recording::backward needs a successful forward at the current inputs")]
fn a_backward_after_a_forward_without_value_panics() {
    let tape = Tape::for_replay();
    let a = tape.var(Matrix2::new(2.0, 0.5, 0.5, 1.0));
    let rec = Recording::new(a.cholesky().unwrap().sum()).unwrap();
    let ai = rec.input(a);
    let mut ws = rec.workspace();
    rec.set(&mut ws, ai, &Matrix2::new(1.0, 2.0, 2.0, 1.0)); // indefinite
    assert!(rec.forward(&mut ws).is_err());
    rec.backward_one(&mut ws);
}

#[test]
#[should_panic(
    expected = "Recording::input takes a leaf (var, constant, parameter) of the recorded tape"
)]
fn an_input_that_is_not_a_leaf_panics() {
    let tape = Tape::for_replay();
    let x = tape.var(Vector2::new(1.0, 2.0));
    let y = x.exp();
    let rec = Recording::new(y.sum()).unwrap();
    let _ = rec.input(y);
}

#[test]
#[should_panic(expected = "Recording::input takes a leaf")]
fn an_input_of_another_tape_panics() {
    let (t1, t2) = (Tape::for_replay(), Tape::for_replay());
    let (rec, _) = squares(&t1);
    let other = t2.var(Vector2::new(1.0, 2.0)); // a leaf at the same offset, another tape
    let _ = rec.input(other);
}

#[test]
#[should_panic(expected = "Recording::input takes a leaf")]
fn an_input_recorded_after_the_output_panics() {
    let tape = Tape::for_replay();
    let x = tape.var_scalar(1.0);
    let rec = Recording::new(x.exp()).unwrap();
    let later = tape.var_scalar(2.0);
    let _ = rec.input(later);
}
