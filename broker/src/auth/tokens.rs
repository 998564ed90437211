//! Broker tokens: short-lived EdDSA JWTs (SPEC §4, "Auth to the broker").
//!
//! Signing keys live in the store (docs/adr/0002) so that every broker over
//! one database signs and verifies with the same set. The first key is made
//! at first start; later ones are staged ([`TokenService::stage`]) and take
//! over when an administrator's `TokenKeyRotated` entry is appended to the
//! directory log (ADR 0004). Validation is strict:
//! only EdDSA; `exp`, `iss`, `aud` and `sub` required, `nbf` checked when
//! present; 30 s leeway; the `kid` must name a key we hold, and a retired key
//! verifies only during its overlap window.

use std::sync::{Arc, Once};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use referral_protocol::{DeskId, DeviceId, SigningKey, VerifyingKey};
use referral_store::{Device, Store, StoreError, TokenKey, UnixTime};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

/// Clock leeway allowed when checking `exp` and `nbf` (SPEC: ≤ 30 s).
pub const LEEWAY_SECS: u64 = 30;

/// How long verification trusts its cached key set before reading it again,
/// so that a rotation made through another broker over the same database
/// (its new key, and the retirement of the old one) is seen here too.
pub const KEY_REFRESH_SECS: u64 = 30;

/// An unknown kid reloads the key set at most this often.
pub const UNKNOWN_KID_RELOAD_SECS: u64 = 1;

/// The claims of a broker token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer: this broker deployment.
    pub iss: String,
    /// Audience: this broker deployment's API.
    pub aud: String,
    /// Subject: the device id.
    pub sub: String,
    /// Expiry (Unix time).
    pub exp: i64,
    /// Issued at (Unix time).
    pub iat: i64,
    /// Not before (Unix time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Unique token id.
    pub jti: String,
    /// The device's desk, if it has one.
    pub desk: Option<String>,
    /// The device's role.
    pub role: String,
}

/// Why a token was refused. Deliberately coarse towards the client.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Missing, malformed, badly signed, expired, for another audience…
    #[error("invalid token: {0}")]
    Invalid(&'static str),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Making or loading a key failed.
    #[error("token key error: {0}")]
    Key(String),
}

struct KeyCache {
    keys: Vec<LoadedKey>,
    loaded_at: std::time::Instant,
}

struct LoadedKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    retired_at: Option<UnixTime>,
}

/// Issues and verifies tokens.
pub struct TokenService {
    store: Arc<dyn Store>,
    keys: RwLock<KeyCache>,
    issuer: String,
    audience: String,
    lifetime_secs: i64,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("lifetime_secs", &self.lifetime_secs)
            .finish_non_exhaustive()
    }
}

/// jsonwebtoken 11 panics at the first use unless exactly one crypto backend
/// is chosen; we compile only `aws_lc_rs` and install it explicitly.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err means a provider is already installed, which is what we want.
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    });
}

impl TokenService {
    /// Loads the keys, making the first one if the store has none.
    pub async fn load(
        store: Arc<dyn Store>,
        issuer: String,
        audience: String,
        lifetime_secs: i64,
        now: UnixTime,
    ) -> Result<Self, TokenError> {
        install_crypto_provider();
        let service = Self {
            store,
            keys: RwLock::new(KeyCache {
                keys: Vec::new(),
                loaded_at: std::time::Instant::now(),
            }),
            issuer,
            audience,
            lifetime_secs,
        };
        service.reload().await?;
        if service.keys.read().await.keys.is_empty() {
            service.first_key(now).await?;
        }
        Ok(service)
    }

    /// The name tokens carry as `iss`, which challenges carry too: the
    /// broker's name in the auth exchange.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// How long a token lives.
    pub fn lifetime_secs(&self) -> i64 {
        self.lifetime_secs
    }

    /// Reads the key set from the store again (after an append activated a
    /// staged key, so that the next token is signed with it at once).
    pub async fn reload(&self) -> Result<(), TokenError> {
        let stored = self.store.token_keys().await?;
        let loaded = stored.iter().map(load_key).collect::<Result<Vec<_>, _>>()?;
        *self.keys.write().await = KeyCache {
            keys: loaded,
            loaded_at: std::time::Instant::now(),
        };
        Ok(())
    }

    /// Makes the broker's first signing key.
    async fn first_key(&self, now: UnixTime) -> Result<(), TokenError> {
        self.store.rotate_token_key(&new_key(now)?).await?;
        self.reload().await
    }

    /// Makes a new signing key and stages it: it signs nothing until a
    /// `TokenKeyRotated` entry naming its kid and public key is appended.
    /// Returns the kid and the public key, for that entry.
    pub async fn stage(&self, now: UnixTime) -> Result<(String, VerifyingKey), TokenError> {
        let key = new_key(now)?;
        self.store.stage_token_key(&key).await?;
        Ok((key.kid, key.public))
    }

    /// Issues a token for an active device, signed by the current key as
    /// the store has it now (another broker may have rotated).
    pub async fn issue(&self, device: &Device, now: UnixTime) -> Result<(String, i64), TokenError> {
        self.reload().await?;
        let keys = self.keys.read().await;
        let current = keys
            .keys
            .iter()
            .find(|k| k.retired_at.is_none())
            .ok_or(TokenError::Key("no current token key".into()))?;
        let exp = now + self.lifetime_secs;
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: device.id.to_string(),
            exp,
            iat: now,
            nbf: None,
            jti: uuid::Uuid::new_v4().to_string(),
            desk: device.desk.as_ref().map(|d| d.to_string()),
            role: device.role.as_str().to_owned(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(current.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &current.encoding)
            .map_err(|e| TokenError::Key(e.to_string()))?;
        Ok((token, exp))
    }

    /// Verifies a token's signature and claims. The caller still checks the
    /// device's state (revocation) against the store.
    pub async fn verify(&self, token: &str, now: UnixTime) -> Result<Verified, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid("malformed"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Invalid("algorithm not allowed"));
        }
        let kid = header.kid.ok_or(TokenError::Invalid("no kid"))?;
        if !is_plain_kid(&kid) {
            return Err(TokenError::Invalid("malformed kid"));
        }
        if self.needs_reload(&kid).await {
            // Another broker over the same database may have rotated.
            self.reload().await?;
        }
        let keys = self.keys.read().await;
        let key = keys
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(TokenError::Invalid("unknown kid"))?;
        if let Some(retired) = key.retired_at {
            // A retired key verifies only tokens that could still be alive.
            if now > retired + self.lifetime_secs + LEEWAY_SECS as i64 {
                return Err(TokenError::Invalid("key rotated out"));
            }
        }
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation())
            .map_err(|_| TokenError::Invalid("signature or claims"))?;
        let claims = data.claims;
        let device: DeviceId = claims
            .sub
            .parse()
            .map_err(|_| TokenError::Invalid("subject"))?;
        let desk = match &claims.desk {
            Some(d) => Some(
                d.parse::<DeskId>()
                    .map_err(|_| TokenError::Invalid("desk"))?,
            ),
            None => None,
        };
        if claims.exp - claims.iat > self.lifetime_secs + LEEWAY_SECS as i64 {
            return Err(TokenError::Invalid("lifetime too long"));
        }
        Ok(Verified {
            device,
            desk,
            role: claims.role,
        })
    }

    /// The cache is old enough that a key we hold may have been retired
    /// meanwhile, or the kid is unknown and the cache is at least a second
    /// old (another broker may have just rotated). The second's floor keeps
    /// a stream of forged kids from turning into a stream of store reads.
    async fn needs_reload(&self, kid: &str) -> bool {
        let cache = self.keys.read().await;
        let age = cache.loaded_at.elapsed();
        age >= std::time::Duration::from_secs(KEY_REFRESH_SECS)
            || (!cache.keys.iter().any(|k| k.kid == kid)
                && age >= std::time::Duration::from_secs(UNKNOWN_KID_RELOAD_SECS))
    }

    fn validation(&self) -> Validation {
        let mut v = Validation::new(Algorithm::EdDSA);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.leeway = LEEWAY_SECS;
        v.validate_exp = true;
        v.validate_nbf = true;
        v
    }
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The device.
    pub device: DeviceId,
    /// Its desk, as issued.
    pub desk: Option<DeskId>,
    /// Its role, as issued.
    pub role: String,
}

fn load_key(k: &TokenKey) -> Result<LoadedKey, TokenError> {
    Ok(LoadedKey {
        kid: k.kid.clone(),
        encoding: EncodingKey::from_ed_der(k.pkcs8.expose_secret()),
        // jsonwebtoken wants the raw 32-byte key here, not SPKI (CRATE-NOTES).
        decoding: DecodingKey::from_ed_der(k.public.as_bytes()),
        retired_at: k.retired_at,
    })
}

/// Key ids are random and plain, so a `kid` can never smuggle a path or a
/// URL into anything that looks it up.
fn is_plain_kid(kid: &str) -> bool {
    (1..=64).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn new_key(now: UnixTime) -> Result<TokenKey, TokenError> {
    let key = SigningKey::generate().map_err(|e| TokenError::Key(e.to_string()))?;
    Ok(TokenKey {
        kid: random_kid(),
        pkcs8: key.pkcs8().clone(),
        public: key.verifying_key(),
        created_at: now,
        retired_at: None,
    })
}

/// 16 hex digits: a kid the directory log accepts (`MAX_KID_LEN`, its
/// alphabet) and [`is_plain_kid`] too.
fn random_kid() -> String {
    let id = uuid::Uuid::new_v4();
    id.simple().to_string()[..16].to_owned()
}
