//! shapegrad on a target without an operating system: this crate is `#![no_std]` and brings
//! its own panic handler, so it does not build if any crate it links (shapegrad, nalgebra,
//! num-traits, approx, libm, …) links `std`: rustc then reports a duplicate `panic_impl` lang
//! item. It is a workspace of its own (the root excludes it), so that no other package turns
//! shapegrad's `std` feature on; `.ci/run` builds it with
//! `cargo rustc --manifest-path examples/no_std/Cargo.toml -- -C panic=abort`.
//!
//! The tape needs a heap (`alloc`). Firmware brings its own global allocator (e.g. the
//! `embedded-alloc` crate); this crate has a minimal bump allocator over a static arena, the
//! only `unsafe` here (shapegrad itself is `#![forbid(unsafe_code)]`).
#![no_std]
#![deny(unsafe_code)]

use nalgebra::Vector2;
use shapegrad::levenberg_marquardt::{LeastSquares, LevenbergMarquardt};
use shapegrad::{Scalar, Tape, Tensor, VectorFn};

/// The gradient of `f(x) = x₀² + sin(x₀ x₁)` at `(x0, x1)`, into `out`: a control loop's
/// sensitivity computed on the device. Returns `f`.
///
/// `∂f/∂x₀ = 2x₀ + x₁ cos(x₀x₁)`, `∂f/∂x₁ = x₀ cos(x₀x₁)`.
#[inline(never)]
pub fn shapegrad_no_std_gradient(x0: f64, x1: f64, out: &mut [f64; 2]) -> f64 {
    let tape = Tape::new();
    let x = tape.var(Vector2::new(x0, x1));
    let (a, b) = (x.at(0), x.at(1));
    let f = a * a + (a * b).sin();
    let grad = f.backward().wrt(x);
    out.copy_from_slice(grad.as_slice());
    f.item()
}

/// A bump allocator over 64 KiB that never frees: enough for a handful of gradients.
mod arena {
    use core::alloc::{GlobalAlloc, Layout};
    use core::cell::UnsafeCell;
    use core::sync::atomic::{AtomicUsize, Ordering};

    const SIZE: usize = 64 << 10;

    pub struct Arena {
        memory: UnsafeCell<[u8; SIZE]>,
        used: AtomicUsize,
    }

    // SAFETY: `used` hands out each byte once (compare-and-swap), so no two allocations
    // alias; the memory is only reached through the pointers handed out.
    #[allow(unsafe_code)]
    unsafe impl Sync for Arena {}

    // SAFETY: returns null when the arena is exhausted; blocks are aligned and disjoint.
    #[allow(unsafe_code)]
    unsafe impl GlobalAlloc for Arena {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let base = self.memory.get() as usize;
            let mut used = self.used.load(Ordering::Relaxed);
            loop {
                let start = (base + used).next_multiple_of(layout.align()) - base;
                let end = start + layout.size();
                if end > SIZE {
                    return core::ptr::null_mut();
                }
                match self.used.compare_exchange_weak(
                    used,
                    end,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return self.memory.get().cast::<u8>().wrapping_add(start),
                    Err(now) => used = now,
                }
            }
        }
        unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
    }

    #[global_allocator]
    static ARENA: Arena = Arena {
        memory: UnsafeCell::new([0; SIZE]),
        used: AtomicUsize::new(0),
    };
}

/// `rᵢ = b₀ e^{b₁ tᵢ} − yᵢ` for four samples of `2 e^{−t/2}`: an exponential decay.
struct Decay;

impl VectorFn<2, 4> for Decay {
    fn eval<'t, T: Scalar>(&self, b: Tensor<'t, 2, 1, T>) -> Tensor<'t, 4, 1, T> {
        let c = |v: f64| nalgebra::convert::<f64, T>(v);
        let t = b
            .tape()
            .constant(nalgebra::Vector4::new(c(0.0), c(1.0), c(2.0), c(3.0)));
        // 2·e^{−t/2} at t = 0, 1, 2, 3 (Python's `2 * math.exp(-t / 2)`)
        let y = [
            2.0,
            1.2130613194252668,
            0.7357588823428847,
            0.44626032029685964,
        ];
        let y = b.tape().constant(nalgebra::Vector4::from(y).map(c));
        (t * b.at(1).broadcast()).exp() * b.at(0).broadcast() - y
    }
}

/// Fits [`Decay`] with levenberg-marquardt (itself `no_std`) on shapegrad's reverse-mode
/// Jacobians: a model identified on the device. Returns `(b₀, b₁)`, about `(2, −0.5)`.
#[inline(never)]
pub fn shapegrad_no_std_fit() -> (f64, f64) {
    let (fitted, _report) =
        LevenbergMarquardt::new().minimize(LeastSquares::new(Decay, Vector2::new(1.0, 0.0)));
    let b = fitted.x();
    (b[0], b[1])
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
