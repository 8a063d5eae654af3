#!/usr/bin/env bash
# Runs the portable sim_test! bodies that Miri can interpret (see the lists below) on the
# deterministic virtual-time host, under Miri (nightly). portable_test! bodies need the
# native mio loop and a watchdog thread with a real-time timeout; they are left out, as
# are the sim bodies too large to interpret in reasonable time.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup component list --toolchain nightly --installed | grep -q '^miri' ||
    rustup component add miri rust-src --toolchain nightly
cargo +nightly miri setup >/dev/null
# sim_test! bodies skipped: each is 1000 tasks, 100 000 timers or a random-cancellation
# storm, hours under Miri's interpreter (their logic is the same as the smaller ones kept).
SKIP=(
    queue_random_cancellations_lose_no_item_and_insert_none_twice
    sim_hundred_thousand_timers_all_fire_in_order
    sim_turn_limit_stops_a_livelock
    sync_lock_1000_tasks_with_random_cancellations_never_wedge
    sync_semaphore_1000_tasks_on_5_permits_with_random_cancellations_end_with_5
)
mapfile -t NAMES < <(grep -h -A1 'sim_test!' tests/portable/*.rs |
    sed -n 's/.*async fn \([a-z0-9_]*\).*/\1/p')
RUN=()
for n in "${NAMES[@]}"; do
    skip=0
    for s in "${SKIP[@]}"; do [[ $n == "$s" ]] && skip=1; done
    ((skip)) || RUN+=("$n")
done
echo "miri: ${#RUN[@]} sim bodies (of ${#NAMES[@]}; ${#SKIP[@]} skipped as too large)"
# Each name is a substring filter; the names are unique in the suite.
cargo +nightly miri test -p tulipa --test portable -- "${RUN[@]}"
