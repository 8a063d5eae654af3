//! Timed-out connects, against a blackholed address inside a network namespace the test
//! creates (`ip netns`, root only): the SYN goes out on one end of a veth pair whose other
//! end has no address (and a static neighbour entry, so no ARP failure), and nothing ever
//! answers. The test binary re-runs itself inside the namespace. Where namespaces are not
//! available (not root, no iproute2) the test fails, naming the fix.
#![cfg(not(target_arch = "wasm32"))]

use std::io;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use tulipa::net::{NetError, TcpStream};

#[path = "support/mod.rs"]
mod support;
use support::within;

const CHILD: &str = "TULIPA_NETNS_CHILD";
/// Inside the namespace: 10.9.9.1/24 is on veth v0, whose peer v1 drops everything, so
/// 10.9.9.2 never answers.
const BLACKHOLE: &str = "10.9.9.2:80";

/// The child's half: runs only inside the namespace.
#[test]
fn child_connects_time_out() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    within(Duration::from_secs(60), || {
        tulipa::run(async {
            // Our own limit.
            let limit = Duration::from_millis(300);
            let start = Instant::now();
            let e = TcpStream::connect_timeout(BLACKHOLE, limit)
                .await
                .unwrap_err();
            let took = start.elapsed();
            assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
            match NetError::of(&e) {
                Some(NetError::ConnectTimedOut { addr, after }) => {
                    assert_eq!(addr.to_string(), BLACKHOLE);
                    assert_eq!(*after, limit);
                }
                other => panic!("expected ConnectTimedOut, got {other:?}"),
            }
            assert!(took >= limit && took < Duration::from_secs(5), "{took:?}");

            // The OS's own limit (tcp_syn_retries = 1 in this namespace: about 3 s).
            let start = Instant::now();
            let e = TcpStream::connect(BLACKHOLE).await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
            assert_eq!(NetError::of(&e), None, "a plain OS timeout");
            println!("child: OS connect timeout after {:?}", start.elapsed());

            // The other connect errors stay distinct here too.
            let e = TcpStream::connect("127.0.0.1:1").await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
            let e = TcpStream::connect("10.7.0.1:80").await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::HostUnreachable, "{e}");
        })
    });
    println!("child: all timeouts seen");
}

/// Runs `args` as a command; its output, or an error message.
fn sh(args: &[&str]) -> Result<Output, String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("{}: {e}", args[0]))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Deletes the namespace on drop.
struct Netns(String);
impl Drop for Netns {
    fn drop(&mut self) {
        let _ = sh(&["ip", "netns", "del", &self.0]);
    }
}

fn make_namespace() -> Result<Netns, String> {
    let name = format!("tulipa-net-{}", std::process::id());
    sh(&["ip", "netns", "add", &name])?;
    let ns = Netns(name);
    let n = ns.0.as_str();
    sh(&["ip", "-n", n, "link", "set", "lo", "up"])?;
    sh(&[
        "ip", "-n", n, "link", "add", "v0", "type", "veth", "peer", "name", "v1",
    ])?;
    sh(&["ip", "-n", n, "addr", "add", "10.9.9.1/24", "dev", "v0"])?;
    sh(&["ip", "-n", n, "link", "set", "v0", "up"])?;
    sh(&["ip", "-n", n, "link", "set", "v1", "up"])?;
    sh(&[
        "ip",
        "-n",
        n,
        "neigh",
        "add",
        "10.9.9.2",
        "lladdr",
        "02:00:00:00:00:02",
        "dev",
        "v0",
        "nud",
        "permanent",
    ])?;
    sh(&["ip", "-n", n, "route", "add", "unreachable", "10.7.0.0/16"])?;
    sh(&[
        "ip",
        "netns",
        "exec",
        n,
        "sh",
        "-c",
        "echo 1 > /proc/sys/net/ipv4/tcp_syn_retries",
    ])?;
    Ok(ns)
}

#[test]
fn connect_times_out_against_a_blackholed_address() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let ns = match make_namespace() {
        Ok(ns) => ns,
        Err(e) => panic!(
            "cannot set up a network namespace ({e}): this test needs root and `ip` \
             (iproute2); run `make setup` and run the test as root"
        ),
    };
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.0])
        .arg(exe)
        .args(["--exact", "child_connects_time_out", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("child: all timeouts seen"),
        "child failed: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "{}",
        stdout
            .lines()
            .find(|l| l.contains("OS connect timeout"))
            .unwrap_or("")
    );
}

/// Without `ip` (or root) the namespace test fails, naming `make setup`, instead of passing
/// without having run.
#[test]
fn netns_test_fails_without_ip_netns() {
    support::assert_fails_without_peers("connect_times_out_against_a_blackholed_address");
}
