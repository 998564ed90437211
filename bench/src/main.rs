//! `referral-bench`: measures the broker and its protocol beside their
//! limits, in one run.
//!
//! Each figure is printed next to the limit it should be read against,
//! measured on the same machine in the same run (SPEC §11):
//! - `protocol`: sealing/opening beside the age crate and Debian's `age`
//!   ([`protocol`]);
//! - `broker`: durable sends per second against the real broker over HTTP,
//!   beside raw SQLite and PostgreSQL inserts at the same durability and a
//!   do-nothing HTTP route ([`broker`]).
//!
//! Run with `cargo run --release -p referral-bench -- protocol` or
//! `-- broker`.

#![forbid(unsafe_code)]

mod broker;
mod limits;
mod load;
mod protocol;
mod report;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "referral-bench",
    about = "Benchmarks of the referral broker and its protocol"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Seal/open figures beside the age crate and Debian's `age`.
    Protocol {
        /// Iterations for the 4 KiB figures.
        #[arg(long, default_value_t = 2000)]
        iterations: u32,
        /// Size of the large attachment, in MiB.
        #[arg(long, default_value_t = 256)]
        large_mib: u64,
        /// Path of Debian's `age` binary.
        #[arg(long, default_value = "age")]
        age_bin: PathBuf,
    },
    /// Durable sends/s against the real broker (SQLite and/or PostgreSQL)
    /// beside raw inserts at the same durability and a do-nothing route.
    Broker(broker::Args),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Protocol {
            iterations,
            large_mib,
            age_bin,
        } => protocol::run(iterations, large_mib, &age_bin),
        Cmd::Broker(args) => broker::run(args),
    }
}
