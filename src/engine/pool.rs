//! Recycled storage: a tape's buffers and a [`Gradients`](crate::Gradients)' buffers go back
//! to a per-thread pool when they are dropped, and the next tape or walk on that thread takes
//! them, so a tape made per evaluation does not allocate, zero-fill or page-fault its buffers
//! again (the README idiom costs what a reused tape costs).
//!
//! **What is kept** (per thread, per scalar type): at most [`SLOTS`] tape buffer sets and
//! [`SLOTS`] gradient buffer sets, last in first out (the buffer a loop just returned is the
//! one still in cache). A set is freed instead of kept when keeping it would pass
//! [`THREAD_LIMIT`] bytes on the thread or [`PROCESS_LIMIT`] bytes over all threads (a bigger
//! set displaces the smallest kept one), and a kept set that came back [`IDLE_LIMIT`] times in
//! a row with under an eighth of its room used is freed, so a program that once built a huge
//! tape gives the memory back once it goes on with small ones. A thread's pool is freed when
//! the thread ends.
//!
//! **Cost.** Taking and returning touch only the thread's own pool. The process-wide count
//! is kept as a per-thread reservation that grows when the pool's holdings pass it and
//! shrinks when the pool frees something, so a loop that takes and returns the same buffers
//! does no atomic operation.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::any::Any;
use core::cell::RefCell;
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::Scalar;

use super::node::Node;
pub(crate) use super::store::{GradStore, TapeStore};

/// Tape buffer sets, and gradient buffer sets, a thread's pool keeps at most per scalar type:
/// 2 of each (a tape and a nested one, as `jacobian` inside a user's loop makes).
///
/// ```
/// use shapegrad::{Tape, pool};
///
/// pool::release();
/// let tapes: Vec<Tape<f64>> = (1..=3).map(|n| Tape::with_capacity(n * 100, n * 100)).collect();
/// drop(tapes);
/// // the two biggest of the three are kept
/// assert_eq!(pool::SLOTS, 2);
/// assert!(pool::held_bytes() >= 500 * (24 + 8) && pool::held_bytes() < 600 * (24 + 8) * 2);
/// # pool::release();
/// ```
pub const SLOTS: usize = 2;

/// Bytes a thread's pool keeps at most, over all scalar types: 384 MiB, room for a 10⁶-step
/// scalar chain's tape and gradients (4·10⁶ ops, ~290 MB); a tape past it is freed on drop.
///
/// ```
/// use shapegrad::{Tape, pool};
///
/// pool::release();
/// let nodes = pool::THREAD_LIMIT / 24 + 1; // more than the limit in nodes alone
/// drop(Tape::<f32>::with_capacity(nodes, 1));
/// assert_eq!(pool::held_bytes(), 0, "freed, not kept");
/// ```
pub const THREAD_LIMIT: usize = 384 << 20;

/// Bytes all threads' pools keep at most together: 1 GiB, so that many threads do not each
/// hoard [`THREAD_LIMIT`].
///
/// ```
/// assert!(shapegrad::pool::held_bytes_all_threads() <= shapegrad::pool::PROCESS_LIMIT);
/// ```
pub const PROCESS_LIMIT: usize = 1 << 30;

/// Returns in a row with under an eighth of its room used after which a kept set is freed.
///
/// ```
/// use shapegrad::{Tape, pool};
///
/// pool::release();
/// drop(Tape::<f64>::with_capacity(100_000, 100_000)); // once, a big tape
/// for _ in 0..pool::IDLE_LIMIT {
///     let tape = Tape::<f64>::new(); // then small ones, recording into the big buffers
///     let x = tape.var_scalar(1.0);
///     let _ = x.exp().backward();
/// }
/// assert!(pool::held_bytes() < 100_000, "the big set was given back");
/// ```
pub const IDLE_LIMIT: u32 = 16;

/// Bytes reserved against [`PROCESS_LIMIT`] by all threads' pools.
static PROCESS_RESERVED: AtomicUsize = AtomicUsize::new(0);
/// A kept buffer set: its size and how often in a row it came back barely used.
trait Store {
    fn bytes(&self) -> usize;
    fn idle(&mut self) -> &mut usize;
}

impl<T> Store for Box<TapeStore<T>> {
    fn bytes(&self) -> usize {
        // the buffers' bytes (the box's own ~80 are not counted: a set without room, 0 here,
        // is not kept)
        self.nodes.capacity() * size_of::<Node<T>>() + self.values.capacity() * size_of::<T>()
    }
    fn idle(&mut self) -> &mut usize {
        &mut self.idle
    }
}

impl<T> Store for Box<GradStore<T>> {
    fn bytes(&self) -> usize {
        self.data.capacity() * size_of::<T>() + self.reached.capacity()
    }
    fn idle(&mut self) -> &mut usize {
        &mut self.idle
    }
}

/// One scalar type's kept sets, most recently returned last.
struct TypePool<T> {
    tapes: Slots<Box<TapeStore<T>>>,
    grads: Slots<Box<GradStore<T>>>,
}

/// At most [`SLOTS`] kept sets, a stack in place: unlike a `Vec`, pushing has no growth call,
/// so a set goes from registers into its slot instead of being staged on the stack around
/// the call and copied again (that copy's wide loads missed store-to-load forwarding).
struct Slots<S> {
    items: [Option<S>; SLOTS],
    len: usize,
}

impl<S> Slots<S> {
    const fn new() -> Self {
        Slots {
            items: [const { None }; SLOTS],
            len: 0,
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    /// The most recently pushed set.
    #[inline(always)]
    fn pop(&mut self) -> Option<S> {
        self.len = self.len.checked_sub(1)?;
        self.items[self.len].take()
    }

    /// Keeps `s` on top (there is a free slot: callers check `len() < SLOTS`).
    #[inline(always)]
    fn push(&mut self, s: S) {
        self.items[self.len] = Some(s);
        self.len += 1;
    }

    /// Takes the set in slot `k` out, the ones above it moving down.
    fn remove(&mut self, k: usize) -> S {
        let s = self.items[k].take().expect("a kept set");
        self.items[k..self.len].rotate_left(1);
        self.len -= 1;
        s
    }

    fn iter(&self) -> impl Iterator<Item = &S> {
        self.items[..self.len].iter().flatten()
    }
}

/// A thread's pools: `f64` and `f32` in fields of their own (no lookup), other scalar types
/// (dual numbers) in a list.
struct Pools {
    f64: TypePool<f64>,
    f32: TypePool<f32>,
    other: Vec<Box<dyn Any>>,
    /// Bytes kept in this thread's sets.
    held: usize,
    /// Bytes this thread has counted in [`PROCESS_RESERVED`] (at least `held`).
    reserved: usize,
}

impl Drop for Pools {
    fn drop(&mut self) {
        PROCESS_RESERVED.fetch_sub(self.reserved, Ordering::Relaxed);
    }
}

std::thread_local! {
    static POOLS: RefCell<Pools> = const {
        RefCell::new(Pools {
            f64: TypePool::new(),
            f32: TypePool::new(),
            other: Vec::new(),
            held: 0,
            reserved: 0,
        })
    };
}

impl<T> TypePool<T> {
    const fn new() -> Self {
        TypePool {
            tapes: Slots::new(),
            grads: Slots::new(),
        }
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        let tapes: usize = self.tapes.iter().map(Store::bytes).sum();
        tapes + self.grads.iter().map(Store::bytes).sum::<usize>()
    }
}

/// The books a put or a take keeps: the thread's holdings and reservation.
struct Books<'a> {
    held: &'a mut usize,
    reserved: &'a mut usize,
}

impl Books<'_> {
    /// Counts `bytes` more as kept, reserving against the process limit where the
    /// reservation does not cover them; false (nothing counted) if a limit would be passed.
    fn admit(&mut self, bytes: usize) -> bool {
        let need = *self.held + bytes;
        if need > THREAD_LIMIT {
            return false;
        }
        if need > *self.reserved {
            let extra = need - *self.reserved;
            let before = PROCESS_RESERVED.fetch_add(extra, Ordering::Relaxed);
            if before + extra > PROCESS_LIMIT {
                PROCESS_RESERVED.fetch_sub(extra, Ordering::Relaxed);
                return false;
            }
            *self.reserved = need;
        }
        *self.held = need;
        true
    }

    /// After a kept set was freed: gives back the reservation past what is held.
    fn trim(&mut self) {
        PROCESS_RESERVED.fetch_sub(*self.reserved - *self.held, Ordering::Relaxed);
        *self.reserved = *self.held;
    }
}

/// Takes the most recently returned set.
#[inline(always)]
fn take<S: Store>(slots: &mut Slots<S>, books: Books<'_>) -> Option<S> {
    let s = slots.pop()?;
    *books.held -= s.bytes();
    Some(s)
}

/// Keeps `s` (which used `used` of its `room` elements) unless it has idled too long, or a
/// limit would be passed even after freeing a smaller kept set.
#[inline(always)]
fn put<S: Store>(slots: &mut Slots<S>, books: Books<'_>, mut s: S, used: usize, room: usize) {
    let idle = s.idle();
    *idle = if used < room / 8 { *idle + 1 } else { 0 };
    let idled = *idle >= IDLE_LIMIT as usize;
    let bytes = s.bytes();
    // the loop's case: a free slot, and room in the reservation (no atomic operation)
    if !idled && slots.len() < SLOTS && *books.held + bytes <= *books.reserved {
        *books.held += bytes;
        slots.push(s);
        return;
    }
    put_slow(slots, books, s, bytes, idled);
}

/// [`put`] past its fast case: frees an idle set, makes room in full slots, reserves.
#[cold]
#[inline(never)]
fn put_slow<S: Store>(slots: &mut Slots<S>, mut books: Books<'_>, s: S, bytes: usize, idled: bool) {
    if idled || bytes == 0 {
        books.trim();
        return;
    }
    if slots.len() == SLOTS {
        let (k, smallest) = slots
            .iter()
            .enumerate()
            .map(|(k, kept)| (k, kept.bytes()))
            .min_by_key(|&(_, b)| b)
            .expect("SLOTS > 0");
        if smallest >= bytes {
            books.trim();
            return; // `s` is freed
        }
        drop(slots.remove(k));
        *books.held -= smallest;
    }
    if books.admit(bytes) {
        slots.push(s);
    } else {
        books.trim();
    }
}

/// Runs `f` on the calling thread's pool for `T`, if the thread still has its pools (not
/// during its teardown) and no pool call is already running on it.
#[inline(always)]
fn with_pool<T: Scalar, R>(f: impl FnOnce(&mut TypePool<T>, Books<'_>) -> R) -> Option<R> {
    POOLS
        .try_with(|pools| {
            let mut pools = pools.try_borrow_mut().ok()?;
            let Pools {
                f64,
                f32,
                other,
                held,
                reserved,
            } = &mut *pools;
            let books = Books { held, reserved };
            if let Some(pool) = (f64 as &mut dyn Any).downcast_mut::<TypePool<T>>() {
                return Some(f(pool, books));
            }
            if let Some(pool) = (f32 as &mut dyn Any).downcast_mut::<TypePool<T>>() {
                return Some(f(pool, books));
            }
            let k = match other.iter().position(|p| p.is::<TypePool<T>>()) {
                Some(k) => k,
                None => {
                    other.push(Box::new(TypePool::<T>::new()));
                    other.len() - 1
                }
            };
            let pool = other[k].downcast_mut::<TypePool<T>>()?;
            Some(f(pool, books))
        })
        .ok()
        .flatten()
}

/// Whether returned buffers are kept (see `pool_none.rs`).
pub(crate) const KEEPS: bool = true;

/// A kept tape buffer set, if the thread's pool has one.
#[inline(always)]
pub(crate) fn take_tape<T: Scalar>() -> Option<Box<TapeStore<T>>> {
    with_pool::<T, _>(|p, books| take(&mut p.tapes, books)).flatten()
}

/// Returns a tape's buffers, of which `used` values were recorded.
#[inline(always)]
pub(crate) fn put_tape<T: Scalar>(store: Box<TapeStore<T>>, used: usize) {
    let room = store.values.len();
    with_pool::<T, _>(|p, books| put(&mut p.tapes, books, store, used, room));
}

/// A kept gradient buffer set, if the thread's pool has one.
#[inline(always)]
pub(crate) fn take_grads<T: Scalar>() -> Option<Box<GradStore<T>>> {
    with_pool::<T, _>(|p, books| take(&mut p.grads, books)).flatten()
}

/// Returns a `Gradients`' state, of whose buffers its walks covered `walked` scalars.
#[inline(always)]
pub(crate) fn put_grads<T: Scalar>(store: Box<GradStore<T>>) {
    let (used, room) = (store.walked, store.data.len());
    with_pool::<T, _>(|p, books| put(&mut p.grads, books, store, used, room));
}

/// Bytes kept by the calling thread's pool.
pub(crate) fn held_bytes() -> usize {
    POOLS
        .try_with(|p| p.try_borrow().map_or(0, |p| p.held))
        .unwrap_or(0)
}

/// Bytes counted against [`PROCESS_LIMIT`] by all threads.
pub(crate) fn reserved_bytes_all_threads() -> usize {
    PROCESS_RESERVED.load(Ordering::Relaxed)
}

/// Frees everything the calling thread's pool keeps.
pub(crate) fn release() {
    let _ = POOLS.try_with(|pools| {
        // the sets are moved out first and freed after the borrow ends
        let freed = pools.try_borrow_mut().ok().map(|mut p| {
            let p = &mut *p;
            let sets = (
                std::mem::replace(&mut p.f64, TypePool::new()),
                std::mem::replace(&mut p.f32, TypePool::new()),
                std::mem::take(&mut p.other),
            );
            p.held = 0;
            Books {
                held: &mut p.held,
                reserved: &mut p.reserved,
            }
            .trim();
            sets
        });
        drop(freed);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_bytes_are_counted_and_a_bigger_set_displaces_the_smallest() {
        release();
        let set = |n: usize| {
            Box::new(TapeStore {
                nodes: vec![Node::<f64>::filler(); n],
                values: vec![0.0_f64; n],
                idle: 0,
            })
        };
        let per = |n: usize| n * (size_of::<Node<f64>>() + 8);
        for n in [10, 20, 30] {
            put_tape(set(n), n);
        }
        // two slots: 10 was displaced by 30
        assert_eq!(held_bytes(), per(20) + per(30));
        let got = take_tape::<f64>().expect("kept");
        assert_eq!(got.values.len(), 30, "last in, first out");
        assert_eq!(held_bytes(), per(20));
        assert_eq!(
            with_pool::<f64, _>(|p, _| p.bytes()),
            Some(per(20)),
            "the books agree with the kept sets"
        );
        release();
        assert_eq!(held_bytes(), 0);
    }

    #[test]
    fn a_set_used_under_an_eighth_is_freed_after_idle_limit_returns() {
        release();
        let set = || {
            Box::new(TapeStore {
                nodes: vec![Node::<f32>::filler(); 800],
                values: vec![0.0_f32; 800],
                idle: 0,
            })
        };
        let mut s = set();
        for k in 1..=IDLE_LIMIT {
            put_tape(s, 10);
            if k == IDLE_LIMIT {
                assert_eq!(held_bytes(), 0, "freed after {k} idle returns");
                break;
            }
            assert!(held_bytes() > 0, "kept after {k} idle returns");
            s = take_tape::<f32>().expect("kept");
            assert_eq!(
                s.idle, k as usize,
                "the idle count travels with the buffers"
            );
        }
        // a well-used return resets the count
        let mut s = set();
        s.idle = IDLE_LIMIT as usize - 1;
        put_tape(s, 700);
        assert_eq!(take_tape::<f32>().expect("kept").idle, 0);
        release();
    }
}

#[cfg(test)]
mod threads {
    use super::{held_bytes, release};
    use crate::Tape;

    #[test]
    fn a_tape_and_gradients_dropped_on_another_thread_go_to_that_threads_pool() {
        release();
        let tape = Tape::<f64>::new();
        let x = tape.var_scalar(3.0);
        let grads = (x * x).backward();
        assert_eq!(grads.wrt(x)[0], 6.0);
        let kept_there = std::thread::spawn(move || {
            release();
            drop(grads);
            drop(tape);
            held_bytes()
        })
        .join()
        .expect("the other thread");
        assert!(kept_there > 0, "the other thread's pool took them");
        assert_eq!(held_bytes(), 0, "this thread's pool did not");
    }

    #[test]
    fn recycled_buffers_give_the_same_bits() {
        // A tape made per call records into the previous call's buffers (stale values,
        // stale stamps): the results must be those of fresh memory, call after call.
        release();
        let run = |z0: f64| {
            let tape = Tape::<f64>::new();
            let (x, c) = (tape.var_scalar(z0), tape.var_scalar(0.999));
            let mut z = x;
            for _ in 0..300 {
                z = z * c + z * z * -1e-3;
            }
            let g = z.backward();
            (z.item(), g.wrt(x)[0], g.wrt(c)[0])
        };
        let first = [run(0.5), run(-0.25), run(0.75)];
        for _ in 0..300 {
            // more walks than a stamp byte counts (255), so the stamps wrap on reused buffers
            assert_eq!([run(0.5), run(-0.25), run(0.75)], first);
        }
    }
}
