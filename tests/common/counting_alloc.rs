//! A counting global allocator for the allocation tests (`tests/alloc.rs`,
//! `tests/alloc_training.rs`); each includes this file, so each test binary gets its own
//! `#[global_allocator]`.
//!
//! It counts `alloc`, `alloc_zeroed` and `realloc` calls **per thread**, in a thread-local
//! counter: the harness runs tests on parallel threads and allocates on its own thread (output
//! capture, result reporting), and none of that is counted against a measurement on another
//! thread. shapegrad does all its work on the calling thread, so a per-thread count sees every
//! allocation it makes.
//!
//! To find where an allocation comes from, set `SHAPEGRAD_ALLOC_BACKTRACE=1` and run with
//! `--nocapture`: every counted allocation inside a measured region then prints a backtrace.

use std::alloc::{GlobalAlloc, Layout, System};
use std::backtrace::Backtrace;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

/// `System`, counting allocation calls on the calling thread.
struct Counting;

thread_local! {
    /// `alloc` + `alloc_zeroed` + `realloc` calls made on this thread so far.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    /// Inside a measured region (backtraces are printed only there, when enabled).
    static MEASURING: Cell<bool> = const { Cell::new(false) };
    /// Inside the backtrace hook: its own allocations are neither counted nor traced.
    static IN_HOOK: Cell<bool> = const { Cell::new(false) };
}

/// Set from `SHAPEGRAD_ALLOC_BACKTRACE` before a measurement (reading the environment
/// allocates, so never from inside the allocator).
static BACKTRACES: AtomicBool = AtomicBool::new(false);

impl Counting {
    fn count(&self) {
        // `try_with`: a thread being torn down may allocate after its locals are gone. The
        // locals are `const`-initialised `Cell`s without destructors, so this never allocates.
        let in_hook = IN_HOOK.try_with(Cell::get).unwrap_or(true);
        if in_hook {
            return;
        }
        let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
        if BACKTRACES.load(Ordering::Relaxed) && MEASURING.try_with(Cell::get).unwrap_or(false) {
            IN_HOOK.set(true);
            eprintln!(
                "shapegrad alloc test: allocation in a measured region at\n{}",
                Backtrace::force_capture()
            );
            IN_HOOK.set(false);
        }
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; counting
// touches only `const`-initialised thread-locals (no allocation, no re-entrance into the
// allocator except inside the backtrace hook, which `IN_HOOK` guards).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.count();
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.count();
        // SAFETY: as `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.count();
        // SAFETY: `ptr` was allocated by `System` (through this allocator) with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` (through this allocator) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Heap allocations (`alloc`, `alloc_zeroed`, `realloc` calls) that `f` makes on this thread.
pub fn allocations_during<R>(f: impl FnOnce() -> R) -> (usize, R) {
    BACKTRACES.store(
        std::env::var_os("SHAPEGRAD_ALLOC_BACKTRACE").is_some(),
        Ordering::Relaxed,
    );
    let before = ALLOCS.get();
    MEASURING.set(true);
    let r = f();
    MEASURING.set(false);
    (ALLOCS.get() - before, r)
}
