//! A pinned value behind an `UnsafeCell`, for the task's future inside async-task.
//!
//! async-task wraps a `spawn_local` future in a thread check whose `poll` reads its own
//! `id` field through a shared reference to the whole wrapper, future included. Under the
//! aliasing rules Miri checks (Stacked and Tree Borrows), that shared reborrow is a read of
//! every byte of the future, and it takes write permission away from the references the
//! future holds into itself across an `.await` (a `poll_fn` closure capturing a local, for
//! one): the next poll's write through them is reported as undefined behaviour
//! (async-task issue 102). Bytes inside an `UnsafeCell` are exempt from a shared reborrow's
//! read, so the task's future lives in one.
#![allow(unsafe_code)] // reason: projecting a pin through an UnsafeCell has no safe form

use std::cell::UnsafeCell;
use std::pin::Pin;

/// `T`, structurally pinned, behind an `UnsafeCell`. It hands out `T` only through `&mut`
/// or `Pin<&mut>` of itself, so it adds no shared mutability, only the exemption above.
pub(super) struct Unfrozen<T>(UnsafeCell<T>);

impl<T> Unfrozen<T> {
    pub(super) fn new(value: T) -> Unfrozen<T> {
        Unfrozen(UnsafeCell::new(value))
    }

    /// The pinned value.
    pub(super) fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut T> {
        // SAFETY: the pin is structural: `Unfrozen` never moves the value out, never gives
        // it out unpinned while `self` is pinned, and drops it in place (the cell's own
        // drop), so pinning `self` pins the value. The `&mut` we go through is unique
        // because we hold `Pin<&mut Self>`; no `&T` to the cell's contents exists anywhere.
        unsafe { self.map_unchecked_mut(|cell| cell.0.get_mut()) }
    }
}
