//! A tape reuses its buffers after `clear` without zeroing them: an op's output region holds
//! whatever the last recording left there until the op's forward pass writes it. So every op
//! must write every scalar of its output (and aux) region. This test records each op of the
//! crate (`tests/op_fns`) on a fresh tape and on a tape whose buffers were filled with NaN
//! by an earlier recording, and asserts value and gradient agree bit for bit: a scalar an op
//! left unwritten would be NaN and flow into the result (every function ends in a sum).

mod op_fns;

use nalgebra::{Matrix1, Matrix2x3, SMatrix, Vector4};
use op_fns::{Visit, all_ops};
use shapegrad::{ScalarFn, Tape};

/// Scalars the NaN recording leaves behind: more than any op function below records.
const STALE: usize = 4096;

struct SameOnStaleTape<const R: usize, const C: usize> {
    x: SMatrix<f64, R, C>,
    checked: usize,
}

impl<const R: usize, const C: usize> Visit<R, C> for SameOnStaleTape<R, C> {
    fn visit<F: ScalarFn<R, C>>(&mut self, name: &str, f: &F) {
        let fresh = Tape::new();
        let x = fresh.var(self.x);
        let y = f.eval(x);
        let (value, grad) = (y.item(), y.backward().wrt(x));

        let mut stale = Tape::<f64>::new();
        {
            // NaN in every value slot, and nodes in every node slot the function will use
            let nan = stale.var_from_fn::<STALE, 1>(|_, _| f64::NAN);
            let mut z = nan.sum();
            for _ in 0..STALE / 4 {
                z = z * z;
            }
            assert!(z.item().is_nan());
        }
        stale.clear();
        assert!(stale.capacity().1 >= STALE);
        let x = stale.var(self.x);
        let y = f.eval(x);
        let (value2, grad2) = (y.item(), y.backward().wrt(x));
        assert!(
            stale.scalars() < STALE,
            "{name}: the NaN recording was too short"
        );

        assert_eq!(
            value.to_bits(),
            value2.to_bits(),
            "{name} at {R}×{C}: value"
        );
        for (g, g2) in grad.iter().zip(grad2.iter()) {
            assert_eq!(g.to_bits(), g2.to_bits(), "{name} at {R}×{C}: gradient");
        }
        assert!(
            value.is_finite(),
            "{name} at {R}×{C}: the point must give a finite value"
        );
        self.checked += 1;
    }
}

fn same_on_stale_tape<const R: usize, const C: usize>(x: SMatrix<f64, R, C>) -> usize {
    let mut v = SameOnStaleTape { x, checked: 0 };
    all_ops(&mut v);
    v.checked
}

#[test]
fn every_op_writes_its_whole_output_region() {
    // the points of tests/check_gradient.rs: away from every kink, values of moderate size
    let n = same_on_stale_tape(Matrix1::new(0.7));
    same_on_stale_tape(Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.55));
    same_on_stale_tape(Vector4::new(0.5, -0.75, 0.25, -0.3));
    assert!(n >= 40, "only {n} ops visited");
}
