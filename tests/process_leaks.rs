//! No zombies and no leaked descriptors after 1,000 children (pidfd mode). One test: the
//! counts are per process.
#![cfg(not(target_arch = "wasm32"))]

#[path = "process/common.rs"]
mod common;
#[path = "process/leak_body.rs"]
mod leak_body;

#[test]
fn a_thousand_children_leave_no_zombies_and_no_descriptors() {
    leak_body::a_thousand_children_leave_no_zombies_and_no_descriptors();
}
