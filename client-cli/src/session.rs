//! What a command that talks to the broker starts with: the device record,
//! a client for its broker, the freshly verified directory, and on demand
//! the unlocked keys and a bearer token.

use std::time::Duration;

use anyhow::anyhow;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use referral_protocol::api::{
    ChallengeRequest, ChallengeResponse, TokenRequest, TokenResponse, challenge_message,
};
use referral_protocol::directory::{DirectoryState, VerifiedLog};
use referral_protocol::paths;
use referral_protocol::{DeskId, DeviceId, SigningKey};

use crate::api_client::BrokerClient;
use crate::broker_name;
use crate::broker_url::BrokerUrl;
use crate::context::{Context, Keys};
use crate::exit::Failure;
use crate::keystore::{DeviceRecord, Keystore, UnlockedKeys};
use crate::tr;
use crate::trust;

/// A device online: its record, its broker and its verified directory.
#[derive(Debug)]
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
    home: std::path::PathBuf,
}

impl Online {
    /// Loads the device and syncs the directory. Needs no passphrase.
    pub fn connect(ctx: &Context) -> Result<Self, Failure> {
        Self::connect_with(ctx, BrokerClient::new)
    }

    /// As [`Online::connect`], with every request giving up after
    /// `timeout` ([`BrokerClient::with_timeout`]).
    pub fn connect_with_timeout(ctx: &Context, timeout: Duration) -> Result<Self, Failure> {
        Self::connect_with(ctx, |broker| BrokerClient::with_timeout(broker, timeout))
    }

    fn connect_with(
        ctx: &Context,
        client: impl FnOnce(&BrokerUrl) -> anyhow::Result<BrokerClient>,
    ) -> Result<Self, Failure> {
        let mut device = Keystore::device(&ctx.home)?;
        let client = client(&device.broker)?;
        let synced = trust::sync(&ctx.home, &client, &mut device)?;
        Ok(Self {
            client,
            device,
            log: synced.log,
            new_entries: synced.new_entries,
            home: ctx.home.clone(),
        })
    }

    /// Unlocks the keystore (asks for the passphrase if needed).
    pub fn unlock(&self, ctx: &Context) -> Result<Keys, Failure> {
        ctx.unlock()
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

    /// A fresh bearer token: the broker's challenge, signed with the key the
    /// verified directory lists for this device, for the broker it names;
    /// only a challenge naming this device's broker is signed
    /// ([`broker_name`]).
    pub fn token(&self, keys: &UnlockedKeys) -> Result<TokenResponse, Failure> {
        let device_id = self.device.device_id;
        let signing = self.listed_signing_key(keys)?;
        let challenge: ChallengeResponse =
            self.client
                .post(paths::AUTH_CHALLENGE, &ChallengeRequest { device_id }, None)?;
        let raw = STANDARD
            .decode(&challenge.challenge)
            .map_err(|_| Failure::BrokerUnreachable(anyhow!(tr!("session-bad-challenge"))))?;
        broker_name::check_or_pin(&self.home, &challenge.issuer)?;
        let signature = signing.sign(&challenge_message(&challenge.issuer, &device_id, &raw));
        let token: TokenResponse = self.client.post(
            paths::AUTH_TOKEN,
            &TokenRequest {
                device_id,
                challenge: challenge.challenge,
                signature: STANDARD.encode(signature),
                issuer: Some(challenge.issuer),
            },
            None,
        )?;
        Ok(token)
    }
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
