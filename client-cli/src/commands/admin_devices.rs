//! `admin invite`, `admin pending`, `admin approve` and `admin revoke`: who
//! may join, and who may no longer.
//!
//! Approval is where the out-of-band check happens (SPEC §4, enrollment):
//! the client recomputes the fingerprint from the keys in the request and
//! refuses unless it equals the one the administrator typed, which they read
//! off the device's screen or heard from its owner. It also checks the
//! device's own signatures before signing anything, so a broker that altered
//! a request is caught here, not only by the log's other readers.

use std::io::{self, Write};

use anyhow::anyhow;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use referral_protocol::api::{
    Hour, InviteRequest, InviteResponse, PendingRequest, PendingRequests, Reported, RequestKind,
};
use referral_protocol::directory::{Statement, enrollment_message, rotation_message};
use referral_protocol::paths;
use referral_protocol::{DeskId, DeviceId, Fingerprint, RequestId, Role};
use serde::Serialize;

use crate::admin_log::Admin;
use crate::cli::{ApproveArgs, InviteArgs, RevokeArgs};
use crate::context::Context;
use crate::exit::Failure;
use crate::output::Report;
use crate::referral::words;
use crate::session::Online;
use crate::typed_id;
use crate::workflow::parse_rfc3339;
use crate::{i18n, tr};

/// `admin invite` (SPEC §9: `code`, `desk`, `role`, `expires_at`).
#[derive(Debug, Serialize)]
pub struct InviteReport {
    /// The one-time code. Shown once; the broker keeps only its hash.
    pub code: String,
    /// The desk.
    pub desk: DeskId,
    /// The role.
    pub role: Role,
    /// When it expires (RFC 3339).
    pub expires_at: String,
}

impl Report for InviteReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let until =
            parse_rfc3339(&self.expires_at).map_or_else(|| self.expires_at.clone(), i18n::moment);
        writeln!(
            out,
            "{}",
            tr!("admin-invite-code", code = self.code.as_str())
        )?;
        writeln!(
            out,
            "{}",
            tr!(
                "admin-invite-for",
                desk = self.desk.as_str(),
                role = words::role(self.role),
                until = until
            )
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            tr!("admin-invite-next", code = self.code.as_str())
        )
    }
}

/// Runs `admin invite --desk ID [--role R] [--ttl-hours H]`.
pub fn invite(ctx: &Context, args: &InviteArgs) -> Result<InviteReport, Failure> {
    let role: Role = args
        .role
        .parse()
        .map_err(|e| Failure::User(anyhow!("{e}")))?;
    let online = Online::connect(ctx)?;
    if online.log.state().desk(&args.desk).is_none() {
        return Err(Failure::User(anyhow!(
            "there is no desk {} in the directory; create it with `referral admin desk add`",
            args.desk
        )));
    }
    let admin = Admin::sign_in(ctx, online)?;
    let answer: InviteResponse = admin.online.client.post(
        paths::ADMIN_INVITES,
        &InviteRequest {
            desk: args.desk.clone(),
            role,
            ttl_hours: Some(args.ttl_hours),
        },
        Some(&admin.token),
    )?;
    if answer.desk != args.desk || answer.role != role {
        return Err(Failure::Verification(anyhow!(
            "the broker made an invite for {} as {}, not the one asked for",
            answer.desk,
            answer.role
        )));
    }
    Ok(InviteReport {
        code: answer.code,
        desk: answer.desk,
        role: answer.role,
        expires_at: answer.expires_at,
    })
}

/// One request in `admin pending` (SPEC §9: `request_id`, `desk`, `role`,
/// `fingerprint`).
#[derive(Debug, Serialize)]
pub struct PendingItem {
    /// Its id, for `approve`.
    pub request_id: RequestId,
    /// `enrollment` or `rotation`.
    pub kind: RequestKind,
    /// The desk.
    pub desk: Option<DeskId>,
    /// The role.
    pub role: Role,
    /// The fingerprint of the requested keys, computed here (never the
    /// broker's claim).
    pub fingerprint: Fingerprint,
    /// The device.
    pub device_id: DeviceId,
    /// When the request arrived (hour).
    pub created_hour: Reported<Hour>,
}

/// `admin pending`: a JSON list.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct PendingReport(pub Vec<PendingItem>);

impl Report for PendingReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            return writeln!(out, "{}", tr!("admin-pending-none"));
        }
        for r in &self.0 {
            let kind = match r.kind {
                RequestKind::Enrollment => tr!("admin-request-enrollment"),
                RequestKind::Rotation => tr!("admin-request-rotation"),
            };
            let since = r.created_hour.unix().map_or_else(
                || crate::terminal::line(&r.created_hour.to_string()).into_owned(),
                i18n::broker_hour,
            );
            writeln!(out, "{}  {kind}", r.request_id)?;
            writeln!(
                out,
                "  {}",
                tr!(
                    "admin-pending-line",
                    desk = r.desk.as_ref().map_or("-", DeskId::as_str),
                    role = words::role(r.role),
                    device = r.device_id.to_string(),
                    since = since
                )
            )?;
            writeln!(
                out,
                "  {}",
                tr!("admin-fingerprint", fingerprint = r.fingerprint.to_string())
            )?;
        }
        writeln!(out)?;
        writeln!(out, "{}", tr!("admin-pending-next"))
    }
}

/// Runs `admin pending`.
pub fn pending(ctx: &Context) -> Result<PendingReport, Failure> {
    let admin = Admin::connect(ctx)?;
    let list: PendingRequests = admin
        .online
        .client
        .get(paths::ADMIN_REQUESTS, Some(&admin.token))?;
    Ok(PendingReport(
        list.requests
            .into_iter()
            .map(|r| PendingItem {
                fingerprint: Fingerprint::of_device(
                    &r.signing_key,
                    &r.age_recipient,
                    r.pq_recipient.as_ref(),
                ),
                request_id: r.request_id,
                kind: r.kind,
                desk: r.desk,
                role: r.role,
                device_id: r.device_id,
                created_hour: r.created_hour,
            })
            .collect(),
    ))
}

/// What `admin approve` did.
#[derive(Debug, Serialize)]
pub struct ApproveReport {
    /// The request.
    pub request_id: RequestId,
    /// `enrollment` or `rotation`.
    pub kind: RequestKind,
    /// The device.
    pub device_id: DeviceId,
    /// Its desk.
    pub desk: Option<DeskId>,
    /// Its role.
    pub role: Role,
    /// The fingerprint now in the directory.
    pub fingerprint: Fingerprint,
    /// The directory entry.
    pub seq: u64,
}

impl Report for ApproveReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let device = self.device_id.to_string();
        let desk = self.desk.as_ref().map_or("-", DeskId::as_str);
        let done = match self.kind {
            RequestKind::Enrollment => tr!(
                "admin-approved-enrollment",
                device = device,
                desk = desk,
                role = words::role(self.role),
                seq = self.seq
            ),
            RequestKind::Rotation => tr!(
                "admin-approved-rotation",
                device = device,
                desk = desk,
                role = words::role(self.role),
                seq = self.seq
            ),
        };
        writeln!(out, "{done}")?;
        writeln!(
            out,
            "{}",
            tr!(
                "admin-fingerprint",
                fingerprint = self.fingerprint.to_string()
            )
        )
    }
}

/// Runs `admin approve REQ --fingerprint FP`.
pub fn approve(ctx: &Context, args: &ApproveArgs) -> Result<ApproveReport, Failure> {
    let mut admin = Admin::connect(ctx)?;
    let request_id: RequestId = typed_id::pick(&args.request, || {
        let list: PendingRequests = admin
            .online
            .client
            .get(paths::ADMIN_REQUESTS, Some(&admin.token))?;
        Ok(list.requests.into_iter().map(|r| r.request_id).collect())
    })?;
    let request: PendingRequest = admin
        .online
        .client
        .get(&paths::admin_request(&request_id), Some(&admin.token))?;
    if request.request_id != request_id {
        return Err(Failure::Verification(anyhow!(
            "the broker answered with request {} for {}",
            request.request_id,
            request_id
        )));
    }
    let fingerprint = Fingerprint::of_device(
        &request.signing_key,
        &request.age_recipient,
        request.pq_recipient.as_ref(),
    );
    if fingerprint != args.fingerprint {
        return Err(Failure::Verification(anyhow!(
            "fingerprint mismatch: the keys in request {} have fingerprint\n  {fingerprint}\n\
             but you gave\n  {}\nDo not approve it. Ask the device's owner to read the \
             fingerprint that `referral enroll` (or `referral rotate`) showed again; if it still \
             differs, someone else made this request or the broker changed its keys",
            request_id,
            args.fingerprint
        )));
    }
    let statement = statement_for(&admin.online, &request)?;
    let answer = admin.append(ctx, &statement, Some(request.request_id))?;
    Ok(ApproveReport {
        request_id: request.request_id,
        kind: request.kind,
        device_id: request.device_id,
        desk: request.desk,
        role: request.role,
        fingerprint,
        seq: answer.seq,
    })
}

/// The statement that approves `request`, after checking the device's own
/// signatures in it.
fn statement_for(online: &Online, request: &PendingRequest) -> Result<Statement, Failure> {
    let signature = |field: &Option<String>, name: &str| -> Result<[u8; 64], Failure> {
        field
            .as_deref()
            .and_then(|s| STANDARD.decode(s).ok())
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .ok_or_else(|| {
                Failure::Verification(anyhow!("request {}: no valid {name}", request.request_id))
            })
    };
    let bad = |what: &str| {
        Failure::Verification(anyhow!(
            "request {}: {what}; refusing to approve it",
            request.request_id
        ))
    };
    match request.kind {
        RequestKind::Enrollment => {
            let device_signature = signature(&request.device_signature, "proof of possession")?;
            let message = enrollment_message(
                &request.device_id,
                request.desk.as_ref(),
                request.role,
                &request.signing_key,
                &request.age_recipient,
                request.pq_recipient.as_ref(),
            );
            if !request.signing_key.verify(&message, &device_signature) {
                return Err(bad("the device's proof of possession does not verify"));
            }
            Ok(Statement::DeviceEnrolled {
                device: request.device_id,
                desk: request.desk.clone(),
                role: request.role,
                signing_key: request.signing_key,
                age_recipient: request.age_recipient.clone(),
                pq_recipient: request.pq_recipient.clone(),
                device_signature,
            })
        }
        RequestKind::Rotation => {
            let current = online
                .log
                .state()
                .device(&request.device_id)
                .filter(|d| d.is_active())
                .ok_or_else(|| bad("the device is not an active device of the directory"))?;
            let old_key_signature = signature(&request.old_key_signature, "old-key signature")?;
            let new_key_signature = signature(&request.new_key_signature, "new-key signature")?;
            let message = rotation_message(
                &request.device_id,
                &current.signing_key,
                &request.signing_key,
                &request.age_recipient,
                request.pq_recipient.as_ref(),
            );
            if !current.signing_key.verify(&message, &old_key_signature) {
                return Err(bad("the device's current key did not sign this rotation"));
            }
            if !request.signing_key.verify(&message, &new_key_signature) {
                return Err(bad("the new key did not sign this rotation"));
            }
            Ok(Statement::DeviceRotated {
                device: request.device_id,
                signing_key: request.signing_key,
                age_recipient: request.age_recipient.clone(),
                pq_recipient: request.pq_recipient.clone(),
                old_key_signature,
                new_key_signature,
            })
        }
    }
}

/// What `admin revoke` did.
#[derive(Debug, Serialize)]
pub struct RevokeReport {
    /// The device.
    pub device_id: DeviceId,
    /// Its desk.
    pub desk: Option<DeskId>,
    /// Always `true` on success.
    pub revoked: bool,
    /// The directory entry.
    pub seq: u64,
}

impl Report for RevokeReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{}",
            tr!(
                "admin-revoked",
                device = self.device_id.to_string(),
                desk = self.desk.as_ref().map_or("-", DeskId::as_str),
                seq = self.seq
            )
        )?;
        writeln!(out, "{}", tr!("admin-revoked-next"))
    }
}

/// Runs `admin revoke DEVICE`.
pub fn revoke(ctx: &Context, args: &RevokeArgs) -> Result<RevokeReport, Failure> {
    let online = Online::connect(ctx)?;
    let device: DeviceId = typed_id::pick(&args.device, || {
        Ok(online.log.state().devices().keys().copied().collect())
    })?;
    let desk = match online.log.state().device(&device) {
        None => {
            return Err(Failure::User(anyhow!(
                "there is no device {} in the directory",
                device
            )));
        }
        Some(d) if !d.is_active() => {
            return Err(Failure::User(anyhow!(
                "device {} is already revoked",
                device
            )));
        }
        Some(d) => d.desk.clone(),
    };
    let answer =
        Admin::sign_in(ctx, online)?.append(ctx, &Statement::DeviceRevoked { device }, None)?;
    Ok(RevokeReport {
        device_id: device,
        desk,
        revoked: true,
        seq: answer.seq,
    })
}
