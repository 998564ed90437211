//! `admin bootstrap`, `admin desk add` and `admin key-policy`: founding the
//! directory and the statements about it that need no request.

use std::io::{self, Write};

use anyhow::anyhow;
use referral_protocol::api::{BootstrapRequest, BootstrapResponse, DirectoryPage};
use referral_protocol::directory::{Entry, Statement, VerifiedLog};
use referral_protocol::paths;
use referral_protocol::{DeskId, DeviceId, Fingerprint, RefusalCode};
use serde::Serialize;

use crate::admin_log::Admin;
use crate::api_client::{BrokerClient, BrokerError};
use crate::cli::{BootstrapArgs, DeskAddArgs, KeyPolicyArgs};
use crate::context::Context;
use crate::exit::Failure;
use crate::keystore::{Keystore, Role};
use crate::output::Report;
use crate::passphrase::Purpose;
use crate::session::Online;
use crate::tr;
use crate::{atomic_file, trust};

/// What `admin bootstrap` did.
#[derive(Debug, Serialize)]
pub struct BootstrapReport {
    /// The fingerprint every other device pins with `init --root-fingerprint`.
    pub root_fingerprint: Fingerprint,
    /// This device, now the root device.
    pub device_id: DeviceId,
    /// The broker.
    pub broker: String,
}

impl Report for BootstrapReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let broker = self.broker.to_string();
        let fingerprint = self.root_fingerprint.to_string();
        writeln!(
            out,
            "{}",
            tr!(
                "admin-bootstrap-done",
                broker = broker.as_str(),
                device = self.device_id.to_string()
            )
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            tr!("admin-root-fingerprint", fingerprint = fingerprint.as_str())
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            tr!(
                "admin-bootstrap-next",
                broker = broker,
                fingerprint = fingerprint
            )
        )
    }
}

/// Runs `admin bootstrap --code CODE`.
pub fn bootstrap(ctx: &Context, args: &BootstrapArgs) -> Result<BootstrapReport, Failure> {
    let mut device = Keystore::device(&ctx.home)?;
    let own_root = Fingerprint::of_root(&device.current_keys.signing_key);
    if let Some(pinned) = device.root_fingerprint
        && pinned != own_root
    {
        return Err(Failure::User(anyhow!(
            "this device was set up to trust the root {pinned}; a device that pinned another \
             root cannot become the root. Run `referral init` in a fresh --home for the \
             administrator"
        )));
    }
    let client = BrokerClient::new(&device.broker)?;
    // Read without a token: before the claim anyone gets the empty log, and
    // after it nobody without one gets anything (ADR 0019 §3).
    let read: Result<DirectoryPage, BrokerError> = client.get(&paths::directory_since(0), None);
    let claimed = match read {
        Ok(page) => !page.entries.is_empty(),
        Err(e) if e.refusal() == Some(RefusalCode::DirectoryPrivate) => true,
        Err(e) => return Err(e.into()),
    };
    if claimed {
        return Err(Failure::User(anyhow!(
            "the broker at {} is already claimed",
            device.broker
        )));
    }

    let passphrase = ctx.passphrase(Purpose::Unlock)?;
    let keys = Keystore::unlock(&ctx.home, &passphrase)?;
    let root = keys.signing_key();
    let genesis = Entry::sign(
        0,
        [0; 32],
        time::OffsetDateTime::now_utc().unix_timestamp(),
        Statement::Genesis {
            root: root.verifying_key(),
        },
        root,
        None,
    )
    .map_err(|e| Failure::User(anyhow!("cannot make the genesis entry: {e}")))?;
    let log =
        VerifiedLog::from_genesis(vec![genesis.clone()], Some(own_root)).map_err(trust::refused)?;

    let answer: BootstrapResponse = client.post(
        paths::ADMIN_BOOTSTRAP,
        &BootstrapRequest {
            code: args.code.trim().to_owned(),
            device_id: device.device_id,
            age_recipient: device.current_keys.age_recipient.clone(),
            genesis: genesis.to_base64(),
        },
        None,
    )?;
    if answer.root_fingerprint != own_root {
        return Err(Failure::Verification(anyhow!(
            "the broker reports the root {} but this device's key is {own_root}",
            answer.root_fingerprint
        )));
    }
    trust::store(&ctx.home, &log)?;
    device.root_fingerprint = Some(own_root);
    device.role = Some(Role::Admin);
    device.desk = None;
    device
        .store(&ctx.home, atomic_file::Existing::Replace)
        .map_err(Failure::from)?;
    Ok(BootstrapReport {
        root_fingerprint: own_root,
        device_id: device.device_id,
        broker: device.broker.to_string(),
    })
}

/// What `admin desk add` did.
#[derive(Debug, Serialize)]
pub struct DeskReport {
    /// The new desk.
    pub desk: DeskId,
    /// Its display name.
    pub name: String,
    /// The directory entry that created it.
    pub seq: u64,
}

impl Report for DeskReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{}",
            tr!(
                "admin-desk-created",
                desk = self.desk.as_str(),
                name = crate::terminal::line(&self.name).into_owned(),
                seq = self.seq
            )
        )?;
        writeln!(out, "{}", tr!("admin-desk-next", desk = self.desk.as_str()))
    }
}

/// Runs `admin desk add ID --name NAME [--prefecture] [--languages]`.
pub fn desk_add(ctx: &Context, args: &DeskAddArgs) -> Result<DeskReport, Failure> {
    let statement = Statement::DeskCreated {
        desk: args.id.clone(),
        name: args.name.trim().to_owned(),
        prefecture: args.prefecture.clone(),
        languages: args.languages.clone(),
    };
    // Refuse what cannot be published before asking for the passphrase.
    statement
        .validate()
        .map_err(|e| Failure::User(anyhow!("cannot create desk {}: {e}", args.id)))?;
    let online = Online::connect(ctx)?;
    if online.log.state().desk(&args.id).is_some() {
        return Err(Failure::User(anyhow!("desk {} already exists", args.id)));
    }
    let answer = Admin::sign_in(ctx, online)?.append(ctx, &statement, None)?;
    Ok(DeskReport {
        desk: args.id.clone(),
        name: args.name.trim().to_owned(),
        seq: answer.seq,
    })
}

/// What `admin key-policy` did.
#[derive(Debug, Serialize)]
pub struct KeyPolicyReport {
    /// The new key-age limit in days, `null` for none; absent when this run
    /// set the post-quantum policy instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<Option<u32>>,
    /// Whether post-quantum encryption is now required; absent when this run
    /// set the key-age limit instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_quantum_required: Option<bool>,
    /// Active devices without a post-quantum key: under the requirement
    /// nothing can be sent to or from their desks until they rotate.
    pub classic_devices: Vec<DeviceId>,
    /// The directory entry.
    pub seq: u64,
}

impl Report for KeyPolicyReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        match (self.max_age_days, self.post_quantum_required) {
            (Some(Some(days)), _) => writeln!(
                out,
                "{}",
                tr!("admin-key-policy-set", days = days, seq = self.seq)
            )?,
            (Some(None), _) => writeln!(out, "{}", tr!("admin-key-policy-lifted", seq = self.seq))?,
            (None, Some(true)) => writeln!(
                out,
                "{}",
                tr!("admin-key-policy-pq-required", seq = self.seq)
            )?,
            (None, _) => writeln!(out, "{}", tr!("admin-key-policy-pq-lifted", seq = self.seq))?,
        }
        if self.post_quantum_required == Some(true) && !self.classic_devices.is_empty() {
            writeln!(
                out,
                "{}",
                tr!(
                    "admin-key-policy-pq-holding-back",
                    count = self.classic_devices.len()
                )
            )?;
            for device in &self.classic_devices {
                writeln!(out, "  {device}")?;
            }
        }
        Ok(())
    }
}

/// Runs `admin key-policy --max-age-days N`, `--require-post-quantum` or
/// `--allow-classic` (clap allows exactly one).
pub fn key_policy(ctx: &Context, args: &KeyPolicyArgs) -> Result<KeyPolicyReport, Failure> {
    let statement = match args.max_age_days {
        Some(days) => Statement::KeyAgePolicy {
            max_age_secs: u64::from(days) * 86_400,
        },
        None => Statement::PostQuantumPolicy {
            required: args.require_post_quantum,
        },
    };
    let mut admin = Admin::connect(ctx)?;
    let classic_devices: Vec<DeviceId> = admin
        .online
        .log
        .state()
        .devices()
        .values()
        .filter(|d| d.is_active() && d.desk.is_some() && d.pq_recipient.is_none())
        .map(|d| d.id)
        .collect();
    let answer = admin.append(ctx, &statement, None)?;
    Ok(KeyPolicyReport {
        max_age_days: args.max_age_days.map(|days| (days > 0).then_some(days)),
        post_quantum_required: args
            .max_age_days
            .is_none()
            .then_some(args.require_post_quantum),
        classic_devices: if args.require_post_quantum {
            classic_devices
        } else {
            Vec::new()
        },
        seq: answer.seq,
    })
}
