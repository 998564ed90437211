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
//! - `stanzas`: what one age stanza per recipient device costs, and what
//!   decoy stanzas would ([`stanzas`], ADR 0018).
//! - `pq`: classic against hybrid post-quantum packets, size and time, for
//!   1 to 100 recipients ([`post_quantum`], ADR 0020).
//!
//! Run with `cargo run --release -p referral-bench -- protocol` or
//! `-- broker`.

#![forbid(unsafe_code)]

mod broker;
mod cli_cost;
mod enroll;
mod field;
mod limits;
mod load;
mod post_quantum;
mod process;
mod profile;
mod protocol;
mod report;
mod scale;
mod stanzas;

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
    /// The broker binary as its own process(es) under a field-shaped load
    /// (302 desks from prefectures.csv): send, inbox, fetch, ack, memory,
    /// and every packet accounted for; `--brokers 2` scales out on
    /// PostgreSQL.
    Load(field::Args),
    /// Whole-process cost of `referral send`/`open` beside the keystore unlock.
    Cli(cli_cost::Args),
    /// Inbox, fetch, ack and broker memory at 10k, 100k and 1M packets
    /// stored, against the real broker binary.
    Scale(scale::Args),
    /// Header and packet bytes, seal/open time per recipient count, and
    /// what decoy stanzas up to a recipient bucket would cost over the
    /// field profile (ADR 0018).
    Stanzas(stanzas::Args),
    /// Classic against hybrid (ML-KEM-768 + X25519) packets: header and
    /// packet size, seal and open time beside the age crate, for 1, 5, 20
    /// and 100 recipients (ADR 0020).
    Pq(post_quantum::Args),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Protocol {
            iterations,
            large_mib,
            age_bin,
        } => protocol::run(iterations, large_mib, &age_bin),
        Cmd::Broker(args) => broker::run(args),
        Cmd::Load(args) => field::run(args),
        Cmd::Cli(args) => cli_cost::run(args),
        Cmd::Scale(args) => scale::run(args),
        Cmd::Stanzas(args) => stanzas::run(args),
        Cmd::Pq(args) => post_quantum::run(args),
    }
}
