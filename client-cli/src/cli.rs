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

    /// Language of messages: ja, en or vi [default: from LC_ALL,
    /// LC_MESSAGES or LANG, else English]. --json output is the same in
    /// every language
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,
}

/// `export-identity`.
#[derive(Debug, Args)]
pub struct ExportIdentityArgs {
    /// Only the X25519 identities (`AGE-SECRET-KEY-1…`), for age tools that
    /// do not know hybrid keys (Go age 1.1 refuses a file that holds one)
    #[arg(long)]
    pub classic_only: bool,
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
    ExportIdentity(ExportIdentityArgs),
    /// Ask to join a desk with an invite code from an administrator
    Enroll(EnrollArgs),
    /// Fetch and verify the directory; show desks and device fingerprints
    Directory(DirectoryArgs),
    /// Make new device keys (the old ones stay, retired, to open old packets)
    /// and ask an administrator to approve them
    Rotate,
    /// Re-encrypt this device's pending packets from retired keys to the
    /// current ones
    Rewrap,
    /// Print a short-lived bearer token for the broker API (for scripts)
    Token,
    /// Print a blank referral (schema v1) to fill in: `referral new > r.json`;
    /// or, with --interactive, ask for each field and print the finished one.
    /// Needs no keystore and no broker
    New(NewArgs),
    /// Validate a referral, seal it for a desk and send it to the broker
    Send(SendArgs),
    /// List the packets waiting for this device's desk
    Inbox,
    /// Fetch a packet, verify it, show it and acknowledge it
    Open(OpenArgs),
    /// Answer a case: a new status, with a message, reason or outcome
    Reply(ReplyArgs),
    /// Pass a received referral on to another desk (where consent allows)
    Forward(ForwardArgs),
    /// Show a case's history, oldest first
    Thread(ThreadArgs),
    /// List the cases in this device's case store
    Cases(CasesArgs),
    /// Program figures from this device's case store, computed locally
    Report(ReportArgs),
    /// List the sealed packets waiting to be sent again; `drop ID` removes one
    Outbox(OutboxArgs),
    /// Work in a web browser: serve the local web app on this computer only
    /// (loopback), until Ctrl-C
    Ui(UiArgs),
    /// Seal a referral into a file, without the broker (USB stick, no network)
    Seal(SealArgs),
    /// Open a sealed file, without the broker
    Unseal(UnsealArgs),
    /// Administration: the directory, devices and keys
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// `referral directory`.
#[derive(Debug, Args)]
pub struct DirectoryArgs {
    /// Only desks that serve this language (BCP 47, e.g. `vi`)
    #[arg(long, value_name = "LANG")]
    pub language: Option<String>,
    /// Only desks in this prefecture (ISO 3166-2:JP, e.g. `JP-13`)
    #[arg(long, value_name = "JP-NN")]
    pub prefecture: Option<String>,
}

/// `referral new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// Ask for each field instead of printing the blank: questions on
    /// stderr, answers one per line on stdin (a terminal, or a pipe for
    /// scripts), the referral on stdout or in --out
    #[arg(long)]
    pub interactive: bool,
    /// With --interactive: write the referral to this new file (mode 0600,
    /// never overwritten) instead of stdout
    #[arg(long, value_name = "FILE", requires = "interactive")]
    pub out: Option<PathBuf>,
}

/// `referral send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The desk to send to
    #[arg(long, value_name = "DESK", value_parser = crate::desk_name::parse)]
    pub to: referral_protocol::DeskId,
    /// The referral (JSON, schema v1; `referral new` prints a blank one)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// A file to send with it (repeatable)
    #[arg(long = "attach", value_name = "FILE")]
    pub attach: Vec<PathBuf>,
}

/// `referral ui`.
#[derive(Debug, Args)]
pub struct UiArgs {
    /// Address to listen on: a loopback address only (127.0.0.1 or ::1); port
    /// 0 picks a free port
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:0", value_parser = loopback_address)]
    pub listen: std::net::SocketAddr,
    /// Do not open the default browser; only print the address
    #[arg(long)]
    pub no_open: bool,
    /// Lock after this long without use (`15m`, `90s`, `1h`; a bare number
    /// is minutes): the keys are wiped from memory and the passphrase is
    /// asked again
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = idle_duration)]
    pub lock_after: std::time::Duration,
}

/// `--lock-after`: a number with `s`, `m` or `h` (minutes if bare), from one
/// second to a day.
fn idle_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, "m"),
    };
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => {
            return Err(format!(
                "\"{text}\" is not a duration such as 15m, 90s or 1h"
            ));
        }
    };
    let seconds = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds_per))
        .filter(|s| (1..=86_400).contains(s))
        .ok_or_else(|| format!("\"{text}\" must be between 1s and 24h"))?;
    Ok(std::time::Duration::from_secs(seconds))
}

/// `--listen`: a socket address on loopback. Anything else would let other
/// machines reach the app, so it is a usage error (exit 2), refused before
/// anything is bound.
fn loopback_address(text: &str) -> Result<std::net::SocketAddr, String> {
    let address: std::net::SocketAddr = text
        .parse()
        .map_err(|_| format!("\"{text}\" is not an address and port such as 127.0.0.1:8080"))?;
    if address.ip().is_loopback() {
        Ok(address)
    } else {
        Err(format!(
            "{} is not a loopback address: the web app serves this computer only (use 127.0.0.1)",
            address.ip()
        ))
    }
}

/// `referral outbox`.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// Without one: list what is waiting
    #[command(subcommand)]
    pub command: Option<OutboxCommand>,
}

/// `referral outbox drop`.
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Remove one sealed packet from the outbox, unsent
    Drop {
        /// The packet id, or a unique prefix of 6 or more characters
        #[arg(value_name = "ID")]
        id: String,
    },
}

/// `referral open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The packet id, from `referral inbox` (or its first 6 or more
    /// characters)
    #[arg(value_name = "PACKET")]
    pub packet: String,
    /// Save the attachments into DIR (created if absent)
    #[arg(long, value_name = "DIR")]
    pub save_attachments: Option<PathBuf>,
}

/// `referral reply`.
#[derive(Debug, Args)]
pub struct ReplyArgs {
    /// The thread id of the case (or its first 6 or more characters)
    #[arg(value_name = "THREAD")]
    pub thread: String,
    /// The case's new status
    #[arg(long, value_name = "S", value_parser = ["accepted", "rejected", "in_progress", "completed", "cancelled"])]
    pub status: String,
    /// A message to the other desk
    #[arg(long, value_name = "T")]
    pub message: Option<String>,
    /// Why the case is rejected (required with --status rejected)
    #[arg(long, value_name = "R")]
    pub reason: Option<String>,
    /// What came of it (required with --status completed)
    #[arg(long, value_name = "O")]
    pub outcome: Option<String>,
}

/// `referral forward`.
#[derive(Debug, Args)]
pub struct ForwardArgs {
    /// The packet id of the received referral (or its first 6 or more
    /// characters)
    #[arg(value_name = "PACKET")]
    pub packet: String,
    /// The desk to pass it on to
    #[arg(long, value_name = "DESK", value_parser = crate::desk_name::parse)]
    pub to: referral_protocol::DeskId,
    /// A note for the new desk
    #[arg(long, value_name = "T")]
    pub note: Option<String>,
}

/// `referral thread`.
#[derive(Debug, Args)]
pub struct ThreadArgs {
    /// The thread id of the case (or its first 6 or more characters)
    #[arg(value_name = "THREAD")]
    pub thread: String,
}

/// `referral cases`.
#[derive(Debug, Args)]
pub struct CasesArgs {
    /// Only cases with this status
    #[arg(long, value_name = "S", value_parser = ["sent", "received", "accepted", "rejected", "in_progress", "completed", "cancelled", "forwarded", "expired"])]
    pub status: Option<String>,
    /// Only cases whose reference or person's name contains TEXT (any
    /// case), or whose phone number contains its digits
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
}

/// How `report` prints its figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Aligned tables for people
    Table,
    /// Comma-separated values: section,key,value
    Csv,
    /// One JSON document
    Json,
}

/// `referral report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Only cases referred on or after this day (YYYY-MM-DD, UTC)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Output format (`--json` implies json)
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
}

/// `referral seal`.
#[derive(Debug, Args)]
pub struct SealArgs {
    /// The desk the file is for
    #[arg(long, value_name = "DESK", value_parser = crate::desk_name::parse)]
    pub to: referral_protocol::DeskId,
    /// The referral (JSON, schema v1)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// A file to seal with it (repeatable)
    #[arg(long = "attach", value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// Where to write the sealed packet
    #[arg(long, value_name = "F.age")]
    pub out: PathBuf,
}

/// `referral unseal`.
#[derive(Debug, Args)]
pub struct UnsealArgs {
    /// The sealed file
    #[arg(value_name = "F.age")]
    pub file: PathBuf,
    /// Save the attachments into DIR (created if absent)
    #[arg(long, value_name = "DIR")]
    pub save_attachments: Option<PathBuf>,
}

/// `referral enroll`.
#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// The one-time invite code from your administrator
    #[arg(long, value_name = "CODE", allow_hyphen_values = true)]
    pub code: String,
}

/// `referral admin ...`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Claim a fresh broker with its bootstrap code; this device becomes the
    /// admin root
    Bootstrap(BootstrapArgs),
    /// Desks
    #[command(subcommand)]
    Desk(DeskCommand),
    /// Make a one-time enrollment code for a desk and role
    Invite(InviteArgs),
    /// List enrollment and rotation requests waiting for approval
    Pending,
    /// Approve a request, after checking its fingerprint with the device's
    /// owner out of band
    Approve(ApproveArgs),
    /// Revoke a device: the broker refuses it and nobody encrypts to it
    Revoke(RevokeArgs),
    /// Rotate the broker's token-signing key (old tokens stay valid until
    /// they expire)
    RotateBrokerKey,
    /// Hand the admin root over to a fresh key on this device
    RotateRoot,
    /// Set the maximum age of device keys (0 lifts the limit)
    KeyPolicy(KeyPolicyArgs),
    /// Print the directory log; with --verify, verify it from the pinned root
    Audit(AuditArgs),
    /// Aggregate counts by desk, status and week (no identities)
    Stats,
}

/// `referral admin bootstrap`.
#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// The code the broker printed at first start (also in
    /// `<data-dir>/bootstrap-code`).
    // The help is spelled out because clap would show the doc comment's
    // backticks, which rustdoc needs around the `<data-dir>` placeholder.
    #[arg(
        long,
        value_name = "CODE",
        allow_hyphen_values = true,
        help = "The code the broker printed at first start (also in <data-dir>/bootstrap-code)"
    )]
    pub code: String,
}

/// `referral admin desk ...`.
#[derive(Debug, Subcommand)]
pub enum DeskCommand {
    /// Create a desk
    Add(DeskAddArgs),
}

/// `referral admin desk add`.
#[derive(Debug, Args)]
pub struct DeskAddArgs {
    /// The desk id: lowercase letters, digits and single hyphens
    /// (`shinjuku-iea`)
    #[arg(value_name = "ID")]
    pub id: referral_protocol::DeskId,
    /// The organisation's display name
    #[arg(long)]
    pub name: String,
    /// ISO 3166-2:JP code of its prefecture (`JP-13`)
    #[arg(long, value_name = "JP-NN")]
    pub prefecture: Option<String>,
    /// Languages it serves, BCP 47, comma-separated (`ja,en,vi`)
    #[arg(long, value_name = "LIST")]
    pub languages: Option<String>,
}

/// `referral admin invite`.
#[derive(Debug, Args)]
pub struct InviteArgs {
    /// The desk the new device joins
    #[arg(long, value_name = "ID")]
    pub desk: referral_protocol::DeskId,
    /// Its role there
    #[arg(long, default_value = "desk", value_parser = ["caseworker", "desk", "admin"])]
    pub role: String,
    /// Hours until the code expires
    #[arg(long, default_value_t = 72, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub ttl_hours: u32,
}

/// `referral admin approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The request id that `enroll` or `rotate` printed (or its first 6 or
    /// more characters)
    #[arg(value_name = "REQ")]
    pub request: String,
    /// The fingerprint the device's owner read out to you
    #[arg(long, value_name = "FP")]
    pub fingerprint: Fingerprint,
}

/// `referral admin revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The device id (or its first 6 or more characters)
    #[arg(value_name = "DEVICE")]
    pub device: String,
}

/// `referral admin key-policy`.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("policy")
        .required(true)
        .args(["max_age_days", "require_post_quantum", "allow_classic"])
))]
pub struct KeyPolicyArgs {
    /// Days after enrollment or rotation when a device's keys stop receiving
    /// new packets; 0 lifts the limit
    #[arg(long, value_name = "DAYS")]
    pub max_age_days: Option<u32>,
    /// Require post-quantum encryption from now on: clients refuse to seal
    /// to classic keys, and readers refuse classic packets signed after this
    #[arg(long)]
    pub require_post_quantum: bool,
    /// Lift --require-post-quantum
    #[arg(long)]
    pub allow_classic: bool,
}

/// `referral admin audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Fetch the whole log and verify every entry back to the pinned root,
    /// and that it extends this device's cached copy
    #[arg(long)]
    pub verify: bool,
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
    fn ui_listens_on_loopback_only() {
        for good in ["127.0.0.1:0", "127.0.0.1:8080", "[::1]:0", "127.9.9.9:1"] {
            assert!(loopback_address(good).is_ok(), "{good}");
        }
        for bad in [
            "0.0.0.0:0",
            "192.168.1.2:80",
            "[::]:0",
            "localhost:80",
            "8080",
        ] {
            assert!(loopback_address(bad).is_err(), "{bad}");
        }
        let refused = Cli::try_parse_from(["referral", "ui", "--listen", "0.0.0.0:0"])
            .expect_err("a wildcard address is refused");
        assert_eq!(refused.exit_code(), 2);
    }

    #[test]
    fn lock_after_reads_seconds_minutes_and_hours() {
        use std::time::Duration;
        assert_eq!(idle_duration("15"), Ok(Duration::from_secs(900)));
        assert_eq!(idle_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(idle_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(idle_duration("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["0s", "25h", "m", "", "5d", "-1m", "99999999999999999999h"] {
            assert!(idle_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli =
            Cli::try_parse_from(["referral", "whoami", "--json", "--home", "/tmp/x"]).unwrap();
        assert!(cli.global.json);
        assert_eq!(cli.global.home, Some(PathBuf::from("/tmp/x")));
    }

    #[test]
    fn a_code_may_start_with_a_hyphen() {
        let cli = Cli::try_parse_from(["referral", "enroll", "--code", "-AB12-CD34"]).unwrap();
        let Command::Enroll(args) = cli.command else {
            panic!("parsed as another command")
        };
        assert_eq!(args.code, "-AB12-CD34");
    }

    #[test]
    fn new_takes_no_arguments() {
        let cli = Cli::try_parse_from(["referral", "new", "--json"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::New(NewArgs {
                interactive: false,
                out: None
            })
        ));
        let err = Cli::try_parse_from(["referral", "new", "extra"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
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
