//! What a command that talks to the broker starts with: the device record,
//! a client for its broker, its unlocked keys, a bearer token, and the
//! freshly verified directory.
//!
//! The broker shows its directory only to an enrolled device's token or to
//! an invite code (ADR 0019 §3), so connecting unlocks the keys and signs in
//! *before* it syncs; both are kept for the rest of the command, which
//! therefore never asks for the passphrase twice nor signs in twice.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::anyhow;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use referral_protocol::api::{
    ChallengeRequest, ChallengeResponse, TokenRequest, TokenResponse, challenge_message,
};
use referral_protocol::directory::{DirectoryState, VerifiedLog};
use referral_protocol::{DeskId, DeviceId, RefusalCode, SigningKey, VerifyingKey, paths};

use crate::api_client::{BrokerClient, BrokerError};
use crate::broker_name;
use crate::context::{Context, Keys};
use crate::exit::Failure;
use crate::keystore::{DeviceRecord, Keystore, UnlockedKeys};
use crate::tr;
use crate::trust::{self, Access};

/// A kept token is used until this close to its expiry, then replaced: a
/// request that starts with it must not arrive after it expired.
const TOKEN_MARGIN_SECS: i64 = 60;

/// A device online: its record, its broker, its keys, a token and its
/// verified directory.
pub struct Online {
    /// The broker.
    pub client: BrokerClient,
    /// `device.json`, updated by the sync (root pin, desk, role).
    pub device: DeviceRecord,
    /// The directory, verified up to the broker's head.
    pub log: VerifiedLog,
    /// How many entries that sync verified for the first time.
    pub new_entries: usize,
    /// The home directory (the broker's pinned name lives there).
    home: PathBuf,
    /// The keys, unlocked once for the whole command (or held by the web
    /// app). Empty only after [`Online::connect_with_invite`], until a
    /// command asks for them.
    keys: OnceLock<Arc<UnlockedKeys>>,
    /// The last token, reused while it is valid.
    token: Mutex<Option<TokenResponse>>,
}

impl std::fmt::Debug for Online {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Online")
            .field("client", &self.client)
            .field("device", &self.device)
            .field("new_entries", &self.new_entries)
            .field("keys", &"[REDACTED]")
            .field("token", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

impl Online {
    /// Unlocks the keys (asking for the passphrase if needed), signs in and
    /// syncs the directory.
    pub fn connect(ctx: &Context) -> Result<Self, Failure> {
        let keys = ctx.unlock()?.shared();
        Self::connect_unlocked(ctx, keys, None)
    }

    /// As [`Online::connect`], with keys the command already unlocked (it
    /// falls back to them if the broker cannot be reached, without asking
    /// again), and every request giving up after `timeout` if one is given
    /// ([`BrokerClient::with_timeout`]).
    pub fn connect_unlocked(
        ctx: &Context,
        keys: Arc<UnlockedKeys>,
        timeout: Option<Duration>,
    ) -> Result<Self, Failure> {
        let mut device = Keystore::device(&ctx.home)?;
        let client = match timeout {
            Some(timeout) => BrokerClient::with_timeout(&device.broker, timeout)?,
            None => BrokerClient::new(&device.broker)?,
        };
        let cached = trust::load(&ctx.home, device.root_fingerprint)?;
        let first = first_key(cached.as_ref(), &device, &keys);
        let token = sign_in(&ctx.home, &client, &device, &keys, first, cached.as_ref())?;
        let synced = trust::sync(&ctx.home, &client, &mut device, Access::Token(&token.token))?;
        Ok(Self::synced(
            ctx,
            client,
            device,
            synced,
            OnceLock::from(keys),
            Some(token),
        ))
    }

    /// For `enroll`: syncs the directory with the invite code, as a device
    /// the broker does not know yet. No passphrase, no token.
    pub fn connect_with_invite(ctx: &Context, code: &str) -> Result<Self, Failure> {
        let mut device = Keystore::device(&ctx.home)?;
        let client = BrokerClient::new(&device.broker)?;
        let synced = trust::sync(&ctx.home, &client, &mut device, Access::Invite(code))?;
        Ok(Self::synced(
            ctx,
            client,
            device,
            synced,
            OnceLock::new(),
            None,
        ))
    }

    /// A device online after its sync, with what it signed in with.
    fn synced(
        ctx: &Context,
        client: BrokerClient,
        device: DeviceRecord,
        synced: trust::Synced,
        keys: OnceLock<Arc<UnlockedKeys>>,
        token: Option<TokenResponse>,
    ) -> Self {
        Self {
            client,
            device,
            log: synced.log,
            new_entries: synced.new_entries,
            home: ctx.home.clone(),
            keys,
            token: Mutex::new(token),
        }
    }

    /// The unlocked keys: those connecting unlocked, never asked for twice.
    pub fn unlock(&self, ctx: &Context) -> Result<Keys, Failure> {
        if let Some(keys) = self.keys.get() {
            return Ok(Keys::Held(Arc::clone(keys)));
        }
        let keys = ctx.unlock()?.shared();
        Ok(Keys::Held(Arc::clone(self.keys.get_or_init(|| keys))))
    }

    /// The signing key the verified directory lists for this device
    /// ([`listed_signing_key`]).
    pub fn listed_signing_key<'k>(
        &self,
        keys: &'k UnlockedKeys,
    ) -> Result<&'k SigningKey, Failure> {
        listed_signing_key(self.log.state(), &self.device.device_id, keys)
    }

    /// This device's desk ([`desk_of`]).
    pub fn desk(&self) -> Result<DeskId, Failure> {
        desk_of(self.log.state(), &self.device.device_id)
    }

    /// A bearer token: the one kept since connecting while it is valid for
    /// a while yet, else a new one signed with the key the verified
    /// directory lists for this device (then its other keys, should the
    /// broker refuse that one).
    pub fn token(&self, keys: &UnlockedKeys) -> Result<TokenResponse, Failure> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut kept = self
            .token
            .lock()
            .map_err(|_| Failure::User(anyhow!("the kept token's lock is poisoned")))?;
        if let Some(token) = kept.as_ref()
            && token.expires_at - TOKEN_MARGIN_SECS > now
        {
            return Ok(token.clone());
        }
        let listed = self.listed_signing_key(keys)?.verifying_key();
        let token = sign_in(
            &self.home,
            &self.client,
            &self.device,
            keys,
            Some(listed),
            Some(&self.log),
        )?;
        *kept = Some(token.clone());
        Ok(token)
    }
}

/// The key to sign in with first: the one the cached log lists for this
/// device (the root for the root device); without a cache, the current key.
fn first_key(
    cached: Option<&VerifiedLog>,
    device: &DeviceRecord,
    keys: &UnlockedKeys,
) -> Option<VerifyingKey> {
    let own: Vec<_> = keys.keys().map(|k| k.signing.verifying_key()).collect();
    cached
        .and_then(|log| trust::listed_signing_key(log.state(), &device.device_id, &own))
        .or(Some(device.current_keys.signing_key))
}

/// Why one sign-in failed.
enum SignIn {
    /// The broker refused the signature (`invalid_credentials`).
    Refused,
    /// Anything else (the broker unreachable, another broker's challenge).
    Failed(Failure),
}

/// Signs in with `first`, then, if the broker refuses it (a rotation
/// approved since the last sync), with each other key this device holds.
/// If it refuses them all, `log` (the directory as this device last saw
/// it) says what that means ([`refused_device`]).
fn sign_in(
    home: &Path,
    client: &BrokerClient,
    device: &DeviceRecord,
    keys: &UnlockedKeys,
    first: Option<VerifyingKey>,
    log: Option<&VerifiedLog>,
) -> Result<TokenResponse, Failure> {
    let mut order: Vec<&SigningKey> = first
        .and_then(|public| keys.signing_key_for(&public))
        .into_iter()
        .collect();
    for key in keys.keys() {
        if !order
            .iter()
            .any(|k| k.verifying_key() == key.signing.verifying_key())
        {
            order.push(key.signing);
        }
    }
    if order.is_empty() {
        return Err(Failure::Verification(anyhow!(tr!("session-key-not-held"))));
    }
    for signing in order {
        match token_with(home, client, device.device_id, signing) {
            Ok(token) => return Ok(token),
            Err(SignIn::Refused) => {}
            Err(SignIn::Failed(e)) => return Err(e),
        }
    }
    Err(refused_device(log, device))
}

/// One sign-in: the broker's challenge, signed with `signing` for the broker
/// it names; only a challenge naming this device's broker is signed
/// ([`broker_name`]).
fn token_with(
    home: &Path,
    client: &BrokerClient,
    device_id: DeviceId,
    signing: &SigningKey,
) -> Result<TokenResponse, SignIn> {
    let failed = |e: BrokerError| SignIn::Failed(e.into());
    let challenge: ChallengeResponse = client
        .post(paths::AUTH_CHALLENGE, &ChallengeRequest { device_id }, None)
        .map_err(failed)?;
    let raw = STANDARD.decode(&challenge.challenge).map_err(|_| {
        SignIn::Failed(Failure::BrokerUnreachable(anyhow!(tr!(
            "session-bad-challenge"
        ))))
    })?;
    broker_name::check_or_pin(home, &challenge.issuer).map_err(SignIn::Failed)?;
    let signature = signing.sign(&challenge_message(&challenge.issuer, &device_id, &raw));
    client
        .post(
            paths::AUTH_TOKEN,
            &TokenRequest {
                device_id,
                challenge: challenge.challenge,
                signature: STANDARD.encode(signature),
                issuer: Some(challenge.issuer),
            },
            None,
        )
        .map_err(|e| match e.refusal() {
            Some(RefusalCode::InvalidCredentials) => SignIn::Refused,
            _ => failed(e),
        })
}

/// The broker refused every key: what that means for this device. A log
/// that lists it (active when last seen: revoked since) says it was
/// revoked; otherwise the broker does not know it yet, which after `enroll`
/// means an administrator has not approved it.
/// The broker's own words ("did not accept this device's sign-in …") say
/// less than this and are left out.
fn refused_device(log: Option<&VerifiedLog>, device: &DeviceRecord) -> Failure {
    let known = log.is_some_and(|log| {
        log.state().device(&device.device_id).is_some()
            || trust::is_root_device(log.state(), device)
    });
    let words = if known {
        tr!("session-device-revoked")
    } else {
        tr!("session-awaiting-approval")
    };
    Failure::User(anyhow!(words))
}

/// The signing key the verified directory lists for this device: the one the
/// broker authenticates it by, and the one readers check its packets'
/// signatures against. During a rotation that is still the old key
/// (ADR 0004).
pub fn listed_signing_key<'k>(
    state: &DirectoryState,
    device_id: &DeviceId,
    keys: &'k UnlockedKeys,
) -> Result<&'k SigningKey, Failure> {
    if let Some(listed) = state.device(device_id)
        && !listed.is_active()
    {
        return Err(Failure::User(anyhow!(tr!("session-device-revoked"))));
    }
    let own: Vec<_> = keys.keys().map(|k| k.signing.verifying_key()).collect();
    let listed = trust::listed_signing_key(state, device_id, &own)
        .ok_or_else(|| Failure::User(anyhow!(tr!("session-not-enrolled"))))?;
    keys.signing_key_for(&listed)
        .ok_or_else(|| Failure::Verification(anyhow!(tr!("session-key-not-held"))))
}

/// This device's desk in the verified directory; an error for a device that
/// is not (yet, or any more) an active member of one.
pub fn desk_of(state: &DirectoryState, device_id: &DeviceId) -> Result<DeskId, Failure> {
    state
        .device(device_id)
        .filter(|d| d.is_active())
        .and_then(|d| d.desk.clone())
        .ok_or_else(|| Failure::User(anyhow!(tr!("session-no-desk"))))
}
