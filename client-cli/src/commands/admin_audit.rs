//! `admin audit [--verify]` and `admin stats`: what the administrators did,
//! and how much traffic there is. Neither holds personal data: the log
//! names desks, devices and keys, and the counts are by desk, status and
//! week.

use std::io::{self, Write};

use referral_protocol::api::{DirectoryPage, Stats, StatsRow};
use referral_protocol::directory::{Entry, Statement, VerifiedLog};
use referral_protocol::paths;
use referral_protocol::{Fingerprint, VerifyingKey};
use serde::Serialize;

use crate::admin_log::Admin;
use crate::cli::AuditArgs;
use crate::context::Context;
use crate::exit::Failure;
use crate::output::Report;
use crate::session::Online;
use crate::terminal;
use crate::trust;

/// One entry of the audit listing.
#[derive(Debug, Serialize)]
pub struct AuditEntry {
    /// Its position.
    pub seq: u64,
    /// When it was signed (RFC 3339).
    pub time: String,
    /// What kind of statement.
    pub kind: &'static str,
    /// What it is about: a desk, a device, a key id, a fingerprint.
    pub subject: String,
    /// The fingerprint of the key that signed it.
    pub signer: Fingerprint,
    /// The entry's hash (hex), which the next entry chains to.
    pub hash: String,
}

/// `admin audit`.
#[derive(Debug, Serialize)]
pub struct AuditReport {
    /// Whether every entry was verified back to the pinned root and found
    /// to extend this device's cached copy.
    pub verified: bool,
    /// The genesis root (what devices pin).
    pub root_fingerprint: Fingerprint,
    /// The head's seq.
    pub head_seq: u64,
    /// The head's hash.
    pub head_hash: String,
    /// Every entry, oldest first.
    pub entries: Vec<AuditEntry>,
}

impl Report for AuditReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        for e in &self.entries {
            writeln!(
                out,
                "{:>5}  {}  {:<18} {:<40} signer {}",
                e.seq,
                e.time,
                e.kind,
                // Desk names in it are an administrator's free text.
                terminal::line(&e.subject),
                &e.signer.to_string()[..16]
            )?;
        }
        writeln!(out)?;
        writeln!(out, "genesis root {}", self.root_fingerprint)?;
        writeln!(out, "head {} {}", self.head_seq, self.head_hash)?;
        if self.verified {
            writeln!(
                out,
                "verified: every entry is signed by an administrator and chains back to the \
                 pinned root, and the log extends this device's copy"
            )
        } else {
            writeln!(
                out,
                "(this device's verified copy; use --verify to fetch the whole log again and \
                 check it)"
            )
        }
    }
}

/// Runs `admin audit [--verify]`.
pub fn audit(ctx: &Context, args: &AuditArgs) -> Result<AuditReport, Failure> {
    let online = Online::connect(ctx)?;
    let log = if args.verify {
        // The whole log again, from genesis: it must verify on its own from
        // the pinned root, and the copy this device holds must be a prefix
        // of it (no fork, no rollback).
        let keys = online.unlock(ctx)?;
        let token = online.token(&keys)?;
        let page: DirectoryPage = online
            .client
            .get(&paths::directory_since(0), Some(&token.token))?;
        let entries = page
            .entries
            .iter()
            .map(|t| Entry::from_base64(t))
            .collect::<Result<Vec<_>, _>>()
            .map_err(trust::refused)?;
        let fresh = VerifiedLog::from_genesis(entries, online.device.root_fingerprint)
            .map_err(trust::refused)?;
        let mut held = online.log.clone();
        held.extend(fresh.entries()).map_err(trust::refused)?;
        if held.head() != fresh.head() {
            return Err(trust::refused(
                referral_protocol::directory::DirectoryError::Rollback {
                    have: held.head().seq,
                    got: Some(fresh.head().seq),
                },
            ));
        }
        fresh
    } else {
        online.log
    };
    Ok(AuditReport {
        verified: args.verify,
        root_fingerprint: log.genesis_root_fingerprint(),
        head_seq: log.head().seq,
        head_hash: log.head().hash_hex(),
        entries: log.entries().iter().map(audit_entry).collect(),
    })
}

fn audit_entry(e: &Entry) -> AuditEntry {
    let key = |k: &VerifyingKey| Fingerprint::of_root(k).to_string();
    let subject = match &e.statement {
        Statement::Genesis { root } => format!("root {}", key(root)),
        Statement::DeskCreated { desk, .. } => format!("desk {desk}"),
        Statement::DeviceEnrolled {
            device, desk, role, ..
        } => format!(
            "device {device} {role}@{}",
            desk.as_ref().map_or("-", |d| d.as_str())
        ),
        Statement::DeviceRotated { device, .. } | Statement::DeviceRevoked { device } => {
            format!("device {device}")
        }
        Statement::RootRotated { new_root } => format!("root {}", key(new_root)),
        Statement::TokenKeyRotated { kid, .. } => format!("token key {kid}"),
        Statement::KeyAgePolicy { max_age_secs } => format!("max key age {max_age_secs} s"),
        Statement::PostQuantumPolicy { required: true } => "post-quantum required".to_owned(),
        Statement::PostQuantumPolicy { required: false } => "post-quantum not required".to_owned(),
    };
    AuditEntry {
        seq: e.seq,
        time: time::OffsetDateTime::from_unix_timestamp(e.time)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| e.time.to_string()),
        kind: e.statement.kind(),
        subject,
        signer: Fingerprint::of_root(&e.signer),
        hash: hex::encode(e.hash()),
    }
}

/// `admin stats`.
#[derive(Debug, Serialize)]
pub struct StatsReport {
    /// Threads by desk, status and week.
    pub rows: Vec<StatsRow>,
    /// Packets stored, pending.
    pub packets_pending: u64,
    /// Acknowledged, awaiting purge.
    pub packets_acknowledged: u64,
    /// Expired unread, awaiting purge.
    pub packets_expired: u64,
}

impl Report for StatsReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{:<24} {:<12} {:<9} {:>8}",
            "desk", "status", "week", "threads"
        )?;
        for r in &self.rows {
            writeln!(
                out,
                "{:<24} {:<12} {:<9} {:>8}",
                r.desk, r.status, r.week, r.threads
            )?;
        }
        writeln!(
            out,
            "\npackets stored: {} pending, {} acknowledged, {} expired",
            self.packets_pending, self.packets_acknowledged, self.packets_expired
        )
    }
}

/// Runs `admin stats`.
pub fn stats(ctx: &Context) -> Result<StatsReport, Failure> {
    let admin = Admin::connect(ctx)?;
    let stats: Stats = admin
        .online
        .client
        .get(paths::ADMIN_STATS, Some(&admin.token))?;
    Ok(StatsReport {
        rows: stats.rows,
        packets_pending: stats.packets_pending,
        packets_acknowledged: stats.packets_acknowledged,
        packets_expired: stats.packets_expired,
    })
}
