//! Appending to the directory log as an administrator: sign a statement as
//! the successor of the verified head, post it, and keep the local copy in
//! step.
//!
//! The broker checks the entry too, but the client checks first: it appends
//! the entry to its own verified log before sending, so an administrator can
//! never publish an entry that their own client (and so every other client)
//! would refuse.

use anyhow::anyhow;
use referral_protocol::SigningKey;
use referral_protocol::api::{AppendEntryRequest, AppendEntryResponse};
use referral_protocol::directory::{Entry, Statement, VerifiedLog};
use referral_protocol::paths;
use referral_protocol::{RefusalCode, RequestId};

use crate::api_client::BrokerError;
use crate::context::{Context, Keys};
use crate::exit::Failure;
use crate::keystore::UnlockedKeys;
use crate::session::Online;
use crate::trust;

/// How often to re-sync and re-sign when another administrator appended in
/// between (the broker answers 409).
const ATTEMPTS: usize = 3;

/// An administrator at work: online, keys unlocked, checked to be an
/// administrator of the verified directory, and holding a token.
pub struct Admin {
    /// The device online, with its verified directory.
    pub online: Online,
    /// Its unlocked keys.
    pub keys: Keys,
    /// A bearer token for the admin routes.
    pub token: String,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("online", &self.online)
            .field("keys", &self.keys)
            .field("token", &"[REDACTED]")
            .finish()
    }
}

impl Admin {
    /// Connects (syncing the directory), then signs in.
    pub fn connect(ctx: &Context) -> Result<Self, Failure> {
        Self::sign_in(ctx, Online::connect(ctx)?)
    }

    /// Unlocks the keystore, refuses unless this device is an administrator
    /// in the verified directory, and gets a token. Commands that can refuse
    /// on the directory alone do so before calling this, so a refusal never
    /// costs a passphrase prompt.
    pub fn sign_in(ctx: &Context, online: Online) -> Result<Self, Failure> {
        let keys = online.unlock(ctx)?;
        admin_key(&online, &keys)?;
        let token = online.token(&keys)?.token;
        Ok(Self {
            online,
            keys,
            token,
        })
    }

    /// Signs `statement` as the next entry and appends it (see [`append`]).
    pub fn append(
        &mut self,
        ctx: &Context,
        statement: &Statement,
        request_id: Option<RequestId>,
    ) -> Result<AppendEntryResponse, Failure> {
        append(
            ctx,
            &mut self.online,
            &self.keys,
            &self.token,
            statement,
            request_id,
            None,
        )
    }
}

/// The key this device signs directory entries with: the root, if this is
/// the root device, or its key as an active admin device.
pub fn admin_key<'k>(online: &Online, keys: &'k UnlockedKeys) -> Result<&'k SigningKey, Failure> {
    let state = online.log.state();
    let candidates = [
        Some(*state.root()),
        state
            .device(&online.device.device_id)
            .filter(|d| d.is_active() && d.role == referral_protocol::Role::Admin)
            .map(|d| d.signing_key),
    ];
    candidates
        .into_iter()
        .flatten()
        .find_map(|public| keys.signing_key_for(&public))
        .ok_or_else(|| {
            Failure::User(anyhow!(
                "this device is not an administrator in the directory: only the root device \
                 and enrolled admin devices may change it"
            ))
        })
}

/// Signs `make(state)` as the next entry and appends it, re-syncing and
/// re-signing if another administrator got there first. `co_signer` is the
/// new root for `RootRotated`. Returns the broker's answer and the log with
/// the entry in it (also written to the cache).
pub fn append(
    ctx: &Context,
    online: &mut Online,
    keys: &UnlockedKeys,
    token: &str,
    statement: &Statement,
    request_id: Option<RequestId>,
    co_signer: Option<&SigningKey>,
) -> Result<AppendEntryResponse, Failure> {
    let signer = admin_key(online, keys)?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (entry, next) = successor(&online.log, statement, signer, co_signer)?;
        let sent: Result<AppendEntryResponse, BrokerError> = online.client.post(
            paths::DIRECTORY,
            &AppendEntryRequest {
                entry: entry.to_base64(),
                request_id,
            },
            Some(token),
        );
        match sent {
            Ok(answer) => {
                if answer.seq != entry.seq || answer.hash != next.head().hash_hex() {
                    return Err(Failure::Verification(anyhow!(
                        "the broker acknowledged entry {} with hash {}, not the entry this \
                         device signed ({}); run `referral admin audit --verify`",
                        answer.seq,
                        answer.hash,
                        next.head().hash_hex()
                    )));
                }
                trust::store(&ctx.home, &next)?;
                online.log = next;
                return Ok(answer);
            }
            Err(e)
                if attempt < ATTEMPTS
                    && matches!(
                        e.refusal(),
                        Some(RefusalCode::StaleHead | RefusalCode::DirectoryConflict)
                    ) =>
            {
                let synced = trust::sync(
                    &ctx.home,
                    &online.client,
                    &mut online.device,
                    trust::Access::Token(token),
                )?;
                online.log = synced.log;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The entry after `log`'s head, and the log with it appended (which
/// verifies it exactly as every client will).
fn successor(
    log: &VerifiedLog,
    statement: &Statement,
    signer: &SigningKey,
    co_signer: Option<&SigningKey>,
) -> Result<(Entry, VerifiedLog), Failure> {
    let head = log.head();
    let last_time = log.entries().last().map_or(0, |e| e.time);
    // The log's time never goes backwards; a clock behind the last entry's
    // is lifted to it rather than refused.
    let now = time::OffsetDateTime::now_utc()
        .unix_timestamp()
        .max(last_time);
    let entry = Entry::sign(
        head.seq + 1,
        head.hash,
        now,
        statement.clone(),
        signer,
        co_signer,
    )
    .map_err(|e| Failure::User(anyhow!("cannot make this directory entry: {e}")))?;
    let mut next = log.clone();
    next.append(entry.clone()).map_err(|e| {
        Failure::User(anyhow!(
            "refusing to publish a directory entry that does not verify: {e}"
        ))
    })?;
    Ok((entry, next))
}
