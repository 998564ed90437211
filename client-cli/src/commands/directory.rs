//! `referral directory`: fetches and verifies the directory, then shows the
//! desks and their devices' fingerprints, as this device will use them.

use std::io::{self, Write};

use referral_protocol::directory::DeviceStatus;
use referral_protocol::{DeskId, DeviceId, Fingerprint, Role};
use serde::Serialize;

use crate::cli::DirectoryArgs;
use crate::context::Context;
use crate::desk_choice::{self, DeskFilter};
use crate::exit::Failure;
use crate::output::Report;
use crate::session::Online;
use crate::terminal;
use crate::tr;

/// A device as the verified directory lists it.
#[derive(Debug, Serialize)]
pub struct DirectoryDevice {
    /// Its id.
    pub device_id: DeviceId,
    /// Its role.
    pub role: Role,
    /// `active` or `revoked`.
    pub status: &'static str,
    /// The fingerprint of its current keys.
    pub fingerprint: Fingerprint,
    /// Whether no new packets are encrypted to it because its keys are
    /// older than the key-age policy.
    pub keys_expired: bool,
    /// Whether it has a post-quantum (hybrid) key; packets to and from its
    /// desk are sealed classic while any device there has none.
    pub post_quantum: bool,
    /// Whether this is the device running the command.
    pub this_device: bool,
}

/// A desk with its devices.
#[derive(Debug, Serialize)]
pub struct DirectoryDesk {
    /// Its id.
    pub desk: DeskId,
    /// Display name.
    pub name: String,
    /// Prefecture code, if given.
    pub prefecture: Option<String>,
    /// Languages, if given.
    pub languages: Option<String>,
    /// Its devices (including revoked ones, marked so).
    pub devices: Vec<DirectoryDevice>,
}

/// `referral directory`.
#[derive(Debug, Serialize)]
pub struct DirectoryReport {
    /// The genesis root: what devices pin.
    pub root_fingerprint: Fingerprint,
    /// The current root (differs after `admin rotate-root`).
    pub current_root_fingerprint: Fingerprint,
    /// The verified head's seq.
    pub head_seq: u64,
    /// The verified head's hash (hex): compare it with a colleague's to
    /// check that the broker shows you both the same directory.
    pub head_hash: String,
    /// How many entries this sync verified that were new.
    pub new_entries: usize,
    /// The maximum key age in days, if set.
    pub max_key_age_days: Option<u64>,
    /// Whether the directory requires post-quantum packets.
    pub post_quantum_required: bool,
    /// Desks, by id.
    pub desks: Vec<DirectoryDesk>,
    /// Admin devices without a desk (none listed when filtering desks).
    pub admins: Vec<DirectoryDevice>,
    /// Whether `--language` or `--prefecture` narrowed the desks.
    #[serde(skip)]
    pub filtered: bool,
}

impl Report for DirectoryReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "root (pinned):  {}", self.root_fingerprint)?;
        if self.current_root_fingerprint != self.root_fingerprint {
            writeln!(out, "current root:   {}", self.current_root_fingerprint)?;
        }
        writeln!(
            out,
            "verified head:  {} {} ({} new)",
            self.head_seq, self.head_hash, self.new_entries
        )?;
        if let Some(days) = self.max_key_age_days {
            writeln!(out, "max key age:    {days} days")?;
        }
        if self.post_quantum_required {
            writeln!(out, "{}", tr!("directory-post-quantum-required"))?;
        }
        if self.filtered && self.desks.is_empty() {
            writeln!(out)?;
            writeln!(out, "{}", tr!("directory-filter-none"))?;
        }
        for desk in &self.desks {
            writeln!(out)?;
            // The name is an administrator's free text.
            writeln!(out, "{}  {}", desk.desk, terminal::line(&desk.name))?;
            if let Some(code) = &desk.prefecture {
                let words = desk_choice::prefecture_words(code);
                writeln!(
                    out,
                    "  {}",
                    tr!("directory-desk-prefecture", prefecture = words)
                )?;
            }
            if let Some(list) = &desk.languages {
                let words = desk_choice::languages_words(list);
                writeln!(
                    out,
                    "  {}",
                    tr!("directory-desk-languages", languages = words)
                )?;
            }
            if desk.devices.is_empty() {
                writeln!(out, "  (no devices yet)")?;
            }
            for d in &desk.devices {
                write_device(out, d)?;
            }
        }
        if !self.admins.is_empty() {
            writeln!(out, "\nadministrators without a desk")?;
            for d in &self.admins {
                write_device(out, d)?;
            }
        }
        Ok(())
    }
}

fn write_device(out: &mut dyn Write, d: &DirectoryDevice) -> io::Result<()> {
    let mut notes = Vec::new();
    if d.this_device {
        notes.push("this device");
    }
    if d.keys_expired {
        notes.push("keys expired");
    }
    let classic = tr!("directory-device-classic-only");
    if !d.post_quantum && d.status == "active" {
        notes.push(&classic);
    }
    writeln!(
        out,
        "  {} {:<10} {:<7} {}{}",
        d.device_id,
        d.role.to_string(),
        d.status,
        d.fingerprint,
        if notes.is_empty() {
            String::new()
        } else {
            format!("  ({})", notes.join(", "))
        }
    )
}

/// Runs `directory`.
pub fn run(ctx: &Context, args: &DirectoryArgs) -> Result<DirectoryReport, Failure> {
    // Checked before going online: a typo is a user error, not "no desk".
    let filter = DeskFilter::new(args.language.as_deref(), args.prefecture.as_deref())?;
    let online = Online::connect(ctx)?;
    let state = online.log.state();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let me = online.device.device_id;
    let view = |d: &referral_protocol::directory::DeviceRecord| DirectoryDevice {
        device_id: d.id,
        role: d.role,
        status: match d.status {
            DeviceStatus::Active => "active",
            DeviceStatus::Revoked => "revoked",
        },
        fingerprint: Fingerprint::of_device(
            &d.signing_key,
            &d.age_recipient,
            d.pq_recipient.as_ref(),
        ),
        keys_expired: state
            .max_key_age_secs()
            .is_some_and(|max| d.keys_expired(now, max)),
        post_quantum: d.pq_recipient.is_some(),
        this_device: d.id == me,
    };
    let desks = state
        .desks()
        .values()
        .filter(|desk| filter.matches(desk))
        .map(|desk| DirectoryDesk {
            desk: desk.id.clone(),
            name: desk.name.clone(),
            prefecture: desk.prefecture.clone(),
            languages: desk.languages.clone(),
            devices: state
                .devices()
                .values()
                .filter(|d| d.desk.as_ref() == Some(&desk.id))
                .map(view)
                .collect(),
        })
        .collect();
    let admins = state
        .devices()
        .values()
        .filter(|d| d.desk.is_none() && !filter.is_active())
        .map(view)
        .collect();
    Ok(DirectoryReport {
        root_fingerprint: online.log.genesis_root_fingerprint(),
        current_root_fingerprint: online.log.root_fingerprint(),
        head_seq: online.log.head().seq,
        head_hash: online.log.head().hash_hex(),
        new_entries: online.new_entries,
        max_key_age_days: state.max_key_age_secs().map(|s| s / 86_400),
        post_quantum_required: state.post_quantum_required_since().is_some(),
        desks,
        admins,
        filtered: filter.is_active(),
    })
}
