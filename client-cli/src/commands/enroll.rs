//! `referral enroll --code CODE`: asks to join the desk an invite is for.
//!
//! The device learns the invite's desk and role, then reads and verifies the
//! directory with the code (the broker shows it to nobody else: ADR 0019
//! §3), pinning the root on first use, before it sends any key: it checks
//! the desk against the verified log, signs its proof of possession over
//! exactly that desk and role (so the proof cannot be reused for another
//! desk or role), and posts its public keys. The administrator approves by
//! fingerprint.

use std::io::{self, Write};

use anyhow::anyhow;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use referral_protocol::api::{
    EnrollmentRequest, InviteLookup, InviteLookupRequest, RequestReceipt,
};
use referral_protocol::directory::enrollment_proof;
use referral_protocol::paths;
use referral_protocol::{DeskId, Fingerprint, RequestId, Role};
use serde::Serialize;

use crate::api_client::BrokerClient;
use crate::cli::EnrollArgs;
use crate::context::Context;
use crate::exit::Failure;
use crate::keystore::Keystore;
use crate::output::Report;
use crate::referral::words;
use crate::session::Online;
use crate::tr;

/// What `enroll` did (SPEC §9: `request_id`, `fingerprint`).
#[derive(Debug, Serialize)]
pub struct EnrollReport {
    /// What the administrator approves.
    pub request_id: RequestId,
    /// This device's fingerprint: read it out to the administrator.
    pub fingerprint: Fingerprint,
    /// The desk the invite is for.
    pub desk: DeskId,
    /// The role.
    pub role: Role,
}

impl Report for EnrollReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let request = self.request_id.to_string();
        let fingerprint = self.fingerprint.to_string();
        writeln!(
            out,
            "{}",
            tr!(
                "enroll-asked",
                desk = self.desk.as_str(),
                role = words::role(self.role),
                request = request.as_str()
            )
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            tr!("enroll-fingerprint", fingerprint = fingerprint.as_str())
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            tr!("enroll-next", request = request, fingerprint = fingerprint)
        )
    }
}

/// Runs `enroll --code CODE`.
pub fn run(ctx: &Context, args: &EnrollArgs) -> Result<EnrollReport, Failure> {
    let code = args.code.trim().to_owned();
    // The code first: a wrong one is said so in so many words, where the
    // directory read below would only say that the directory is private.
    let broker = BrokerClient::new(&Keystore::device(&ctx.home)?.broker)?;
    let invite: InviteLookup = broker.post(
        paths::INVITE_LOOKUP,
        &InviteLookupRequest { code: code.clone() },
        None,
    )?;
    // The device has no identity the broker knows yet: it reads the
    // directory with its code (ADR 0019 §3).
    let online = Online::connect_with_invite(ctx, &code)?;
    let device_id = online.device.device_id;
    if let Some(d) = online.log.state().device(&device_id) {
        return Err(Failure::User(anyhow!(tr!(
            "enroll-already-enrolled",
            desk = d.desk.as_ref().map_or("-", DeskId::as_str),
            role = words::role(d.role)
        ))));
    }
    if online.log.state().desk(&invite.desk).is_none() {
        return Err(Failure::Verification(anyhow!(tr!(
            "enroll-unknown-desk",
            desk = invite.desk.as_str()
        ))));
    }
    let keys = online.unlock(ctx)?;
    let public = keys.current_public_keys();
    let proof = enrollment_proof(
        &device_id,
        Some(&invite.desk),
        invite.role,
        &public.signing_key,
        &public.age_recipient,
        public.pq_recipient.as_ref(),
        keys.signing_key(),
    );
    let receipt: RequestReceipt = online.client.post(
        paths::ENROLLMENTS,
        &EnrollmentRequest {
            code,
            device_id,
            signing_key: public.signing_key,
            age_recipient: public.age_recipient.clone(),
            pq_recipient: public.pq_recipient.clone(),
            device_signature: STANDARD.encode(proof),
        },
        None,
    )?;
    let fingerprint = public.fingerprint();
    if receipt.fingerprint != fingerprint {
        return Err(Failure::Verification(anyhow!(tr!(
            "enroll-fingerprint-differs",
            recorded = receipt.fingerprint.to_string(),
            fingerprint = fingerprint.to_string()
        ))));
    }
    Ok(EnrollReport {
        request_id: receipt.request_id,
        fingerprint,
        desk: invite.desk,
        role: invite.role,
    })
}
