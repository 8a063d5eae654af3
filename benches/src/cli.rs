//! Command-line options of the parent process.

use std::time::Duration;

use crate::workloads::Workload;

pub const USAGE: &str = "\
usage: cargo run --release -p tulipa-benches -- [OPTIONS] [WORKLOAD...]

Runs each workload on tulipa, tokio (current_thread) and smol (LocalExecutor), and the
network workloads also on a hand-written mio loop, one fresh process per measurement,
interleaved round by round, and prints the medians.

WORKLOAD    any of: spawn yield pingpong sleeps timers lock semaphore channel oneshot
            echo bulk conns tls-handshake tls-bulk starve (default: all)

OPTIONS
  --rounds N         measurements per (workload, runtime); the median is reported (default 5)
  --scale F          multiply every workload size by F, e.g. 0.1 for a quick look (default 1)
  --timeout-secs N   kill a measurement that takes longer than this (default 120)
  -h, --help         print this text";

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct Options {
    pub rounds: usize,
    pub scale: f64,
    pub timeout: Duration,
    pub workloads: Vec<Workload>,
    pub help: bool,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            rounds: 5,
            scale: 1.0,
            timeout: Duration::from_secs(120),
            workloads: Vec::new(),
            help: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .ok_or_else(|| format!("{name} needs a value"))
                    .cloned()
            };
            match arg.as_str() {
                "-h" | "--help" => options.help = true,
                "--rounds" => {
                    let text = value("--rounds")?;
                    options.rounds = match text.parse::<usize>() {
                        Ok(n) if (1..=1000).contains(&n) => n,
                        _ => {
                            return Err(format!(
                                "--rounds takes a whole number from 1 to 1000, not {text:?}"
                            ))
                        }
                    };
                }
                "--scale" => options.scale = parse_in(&value("--scale")?, "--scale", 1e-6, 100.0)?,
                "--timeout-secs" => {
                    let secs = parse_in(&value("--timeout-secs")?, "--timeout-secs", 1.0, 86400.0)?;
                    options.timeout = Duration::from_secs_f64(secs);
                }
                name => match Workload::from_name(name) {
                    Some(w) if !options.workloads.contains(&w) => options.workloads.push(w),
                    Some(_) => {}
                    None => return Err(format!("unknown option or workload: {name}")),
                },
            }
        }
        if options.workloads.is_empty() {
            options.workloads = Workload::ALL.to_vec();
        }
        options.workloads.sort();
        Ok(options)
    }
}

fn parse_in(text: &str, name: &str, min: f64, max: f64) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(format!(
            "{name} takes a number from {min} to {max}, not {text:?}"
        )),
    }
}
