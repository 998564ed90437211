//! The command line grammar. Parsing only: values that need more than a
//! syntax check (the broker URL policy, for one) are judged by the commands,
//! so that a refusal exits 1 while a malformed command line exits 2.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use referral_protocol::Fingerprint;

/// Privacy-preserving referrals: seal a referral for a partner desk, and open
/// the ones sent to yours. The broker in between only ever sees ciphertext.
#[derive(Debug, Parser)]
#[command(name = "referral", version, propagate_version = true)]
pub struct Cli {
    /// Options every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts, before or after the subcommand.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Directory holding this device's keystore [default: the OS data
    /// directory, e.g. ~/.local/share/referral]
    #[arg(long, global = true, env = "REFERRAL_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// Print exactly one JSON document on stdout instead of text
    #[arg(long, global = true)]
    pub json: bool,

    /// Read the keystore passphrase from the first line of FILE (otherwise
    /// REFERRAL_PASSPHRASE, otherwise a prompt on the terminal)
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create this device's keys and passphrase-protected keystore
    Init(InitArgs),
    /// Show this device's id, fingerprint, public key and broker
    Whoami,
    /// Break-glass: print this device's private age keys as an identity file
    /// for `age -d -i FILE`
    ExportIdentity,
}

/// `referral init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The broker's base URL: https://, or http:// to a loopback address only
    #[arg(long, value_name = "URL")]
    pub broker: String,

    /// The admin root key fingerprint, as given by your administrator. Without
    /// it, the first root key seen is trusted (trust on first use)
    #[arg(long, value_name = "FP")]
    pub root_fingerprint: Option<Fingerprint>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli =
            Cli::try_parse_from(["referral", "whoami", "--json", "--home", "/tmp/x"]).unwrap();
        assert!(cli.global.json);
        assert_eq!(cli.global.home, Some(PathBuf::from("/tmp/x")));
    }

    #[test]
    fn a_malformed_root_fingerprint_is_a_usage_error() {
        let err = Cli::try_parse_from([
            "referral",
            "init",
            "--broker",
            "https://b.example",
            "--root-fingerprint",
            "abc",
        ])
        .unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
