//! What a command that talks to the broker starts with: the device record,
//! a client for its broker, the freshly verified directory, and on demand
//! the unlocked keys and a bearer token.

use anyhow::anyhow;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use referral_protocol::api::{
    ChallengeRequest, ChallengeResponse, TokenRequest, TokenResponse, challenge_message,
};
use referral_protocol::directory::VerifiedLog;

use crate::api_client::BrokerClient;
use crate::context::Context;
use crate::exit::Failure;
use crate::keystore::{DeviceRecord, Keystore, UnlockedKeys};
use crate::passphrase::Purpose;
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
}

impl Online {
    /// Loads the device and syncs the directory. Needs no passphrase.
    pub fn connect(ctx: &Context) -> Result<Self, Failure> {
        let mut device = Keystore::device(&ctx.home)?;
        let client = BrokerClient::new(&device.broker)?;
        let synced = trust::sync(&ctx.home, &client, &mut device)?;
        Ok(Self {
            client,
            device,
            log: synced.log,
            new_entries: synced.new_entries,
        })
    }

    /// Unlocks the keystore (asks for the passphrase if needed).
    pub fn unlock(&self, ctx: &Context) -> Result<UnlockedKeys, Failure> {
        let passphrase = ctx.passphrase(Purpose::Unlock)?;
        Ok(Keystore::unlock(&ctx.home, &passphrase)?)
    }

    /// A fresh bearer token: the broker's challenge, signed with the key the
    /// verified directory lists for this device.
    pub fn token(&self, keys: &UnlockedKeys) -> Result<TokenResponse, Failure> {
        let device_id = self.device.device_id;
        if let Some(listed) = self.log.state().device(&device_id)
            && !listed.is_active()
        {
            return Err(Failure::User(anyhow!(
                "this device has been revoked by an administrator; it can no longer use the \
                 broker. Set up a new device (referral init, enroll) if you still need one"
            )));
        }
        let own: Vec<_> = keys.keys().map(|k| k.signing.verifying_key()).collect();
        let listed =
            trust::listed_signing_key(self.log.state(), &device_id, &own).ok_or_else(|| {
                Failure::User(anyhow!(
                    "this device is not in the directory yet: run `referral enroll --code CODE`, \
                     and ask your administrator to approve it"
                ))
            })?;
        let signing = keys.signing_key_for(&listed).ok_or_else(|| {
            Failure::Verification(anyhow!(
                "the directory lists a signing key for this device that its keystore does not \
                 hold: the keystore was replaced, or the device was rotated from another copy"
            ))
        })?;
        let challenge: ChallengeResponse =
            self.client
                .post("/v1/auth/challenge", &ChallengeRequest { device_id }, None)?;
        let raw = STANDARD.decode(&challenge.challenge).map_err(|_| {
            Failure::BrokerUnreachable(anyhow!("the broker's challenge is not base64"))
        })?;
        let signature = signing.sign(&challenge_message(&device_id, &raw));
        let token: TokenResponse = self.client.post(
            "/v1/auth/token",
            &TokenRequest {
                device_id,
                challenge: challenge.challenge,
                signature: STANDARD.encode(signature),
            },
            None,
        )?;
        Ok(token)
    }
}
