//! 1,000 short-lived children in sequence (a quarter dropped without being waited for):
//! afterwards no zombies and the same number of open descriptors.

use std::time::{Duration, Instant};

use super::common::{open_fds, run, zombies};
use tulipa::process::{Command, Stdio};

pub fn a_thousand_children_leave_no_zombies_and_no_descriptors() {
    run(120, async {
        // Warm up: the first spawn may create process-wide descriptors kept for good (the
        // signal doorbell in SIGCHLD mode).
        Command::new("true")
            .stdout(Stdio::piped())
            .status()
            .await
            .unwrap();
        let before = open_fds();
        for i in 0..1000 {
            let mut cmd = Command::new("sh");
            cmd.args(["-c", "echo $$"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            if i % 4 == 3 {
                drop(child); // never waited for: must still be reaped
                continue;
            }
            let out = child.communicate(None).await.unwrap();
            assert!(out.status.success());
            let echoed: u32 = String::from_utf8(out.stdout)
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            assert_eq!(echoed, child.pid());
        }
        // Dropped children are reaped by tasks as they exit: give them a bounded moment.
        let deadline = Instant::now() + Duration::from_secs(20);
        while (!zombies().is_empty() || open_fds() != before) && Instant::now() < deadline {
            tulipa::sleep(Duration::from_millis(5)).await;
        }
        assert!(zombies().is_empty(), "zombies: {:?}", zombies());
        assert_eq!(open_fds(), before, "descriptors leaked");
    });
}
