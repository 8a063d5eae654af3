//! The orchestrating process: runs every measurement in a fresh child, interleaved round by
//! round, then prints the tables.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::child::{CHILD_FLAG, RESULT_PREFIX};
use crate::cli::Options;
use crate::report::{self, Metric, Samples};
use crate::workloads::{Sizes, Variant, Workload};

pub fn main(options: &Options) {
    let sizes = Sizes::scaled(options.scale);
    let exe = std::env::current_exe().expect("cannot find the bench binary to re-execute");
    let started = Instant::now();
    let load_before = load_average();
    let mut samples = Samples::default();

    for round in 0..options.rounds {
        for &workload in &options.workloads {
            // Rotate the start so that no runtime always runs first (or right after another).
            let variants = workload.variants();
            for i in 0..variants.len() {
                let variant = variants[(round + i) % variants.len()];
                let metrics = run_child(&exe, workload, variant, options);
                let shown: Vec<String> = metrics
                    .iter()
                    .map(|(m, v)| format!("{} {}", m.format(*v), m.label()))
                    .collect();
                eprintln!(
                    "[round {}/{}] {:<8} {:<19} {}",
                    round + 1,
                    options.rounds,
                    workload.name(),
                    variant.name(),
                    shown.join(", ")
                );
                for (metric, value) in metrics {
                    samples.add(workload, variant, metric, value);
                }
            }
        }
    }

    println!(
        "tulipa benchmarks: medians of {} rounds, one fresh process per measurement",
        options.rounds
    );
    println!("{}", machine_info(options, load_before, started.elapsed()));
    println!();
    print!("{}", report::table(&samples, &sizes, &options.workloads));
    println!();
    println!("ratios: greater than 1.00x is better than tokio (rates: x/tokio; costs: tokio/x)");
    println!(
        "tokio: current_thread, enable_all, tokio::spawn; smol: async-executor LocalExecutor + \
         async-io; tulipa: Runtime::block_on + spawn_local"
    );
    println!();
    println!("spread over rounds (min..max):");
    print!("{}", report::spread(&samples, &sizes, &options.workloads));
    println!();
    println!("targets (medians):");
    print!("{}", report::targets(&samples, &options.workloads));
    let coop = report::coop(&samples, &options.workloads);
    if !coop.is_empty() {
        println!();
        println!(
            "cooperative budget (medians, min..max over rounds; budget off = tulipa-unconstrained, \
             every task under tulipa::task::unconstrained; cost > 0: the budget is slower):"
        );
        print!("{coop}");
    }
}

/// Runs one measurement in a fresh process and returns its metrics.
fn run_child(
    exe: &std::path::Path,
    workload: Workload,
    variant: Variant,
    options: &Options,
) -> Vec<(Metric, f64)> {
    let mut child = Command::new(exe)
        .args([
            CHILD_FLAG,
            workload.name(),
            variant.name(),
            &options.scale.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("could not start a measuring process");
    // The child prints one short line, far less than a pipe holds, so it never blocks on
    // its stdout while we wait; polling keeps the wait bounded without a second thread.
    let deadline = Instant::now() + options.timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for a measuring process") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{} on {} took longer than {:?}; rerun with --timeout-secs",
                workload.name(),
                variant.name(),
                options.timeout
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout
            .read_to_string(&mut out)
            .expect("reading a measuring process's output");
    }
    assert!(
        status.success(),
        "{} on {} failed ({status}); its output: {out}",
        workload.name(),
        variant.name()
    );
    parse_result(&out).unwrap_or_else(|| {
        panic!(
            "no result line from {} on {}: {out:?}",
            workload.name(),
            variant.name()
        )
    })
}

/// Parses `RESULT metric=value ...`.
fn parse_result(out: &str) -> Option<Vec<(Metric, f64)>> {
    let line = out.lines().find_map(|l| l.strip_prefix(RESULT_PREFIX))?;
    line.split_whitespace()
        .map(|field| {
            let (id, value) = field.split_once('=')?;
            Some((Metric::from_id(id)?, value.parse().ok()?))
        })
        .collect()
}

fn machine_info(options: &Options, load_before: String, took: Duration) -> String {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .and_then(|r| r.split_once(':'))
                    .map(|(_, m)| m.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "machine: nproc {nproc}, {cpu}, Linux {}; rounds {}, scale {}; load average {} before, \
         {} after; took {:.0} s",
        kernel.trim(),
        options.rounds,
        options.scale,
        load_before,
        load_average(),
        took.as_secs_f64()
    )
}

/// The 1-minute load average, or "?" where /proc/loadavg is missing.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}
