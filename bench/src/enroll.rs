//! Devices, enrollment and sealed packets through the broker's real API,
//! shared by `broker` and `load`: the benchmarks set a broker up the way the
//! CLI does (signed genesis and `DeskCreated` entries; invite, enrollment
//! request with proof of possession, `DeviceEnrolled` approval; challenge
//! and token), so that what they then measure runs against the same rows,
//! caches and checks as in production.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use referral_broker::state::now;
use referral_protocol::api::{self, ChallengeResponse, RequestReceipt, TokenResponse};
use referral_protocol::directory::{Entry, Statement, VerifiedLog, enrollment_proof};
use referral_protocol::{
    AgeIdentity, ContentType, DeskId, DeviceId, PacketId, RecipientKey, RequestId, Role,
    SealRequest, Sender, SigningKey, ThreadId, seal,
};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};

/// A device with real keys (the age identity is not kept: the benchmarks
/// never open the packets, they only move them).
#[derive(Debug)]
pub struct Device {
    pub id: DeviceId,
    pub desk: Option<DeskId>,
    pub key: SigningKey,
    pub recipient: RecipientKey,
}

impl Device {
    pub fn new(desk: Option<DeskId>) -> anyhow::Result<Self> {
        Ok(Self {
            id: DeviceId::random(),
            desk,
            key: SigningKey::generate()?,
            recipient: AgeIdentity::generate_classic().recipient(),
        })
    }
}

/// A sealed packet and its routing headers.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: PacketId,
    pub thread: ThreadId,
    pub to: DeskId,
    pub body: Bytes,
}

impl Prepared {
    /// `POST /v1/packets` of this packet as the client sends it: the age
    /// file as the body, the routing metadata in `referral-*` headers.
    pub fn request(&self, http: &reqwest::Client, url: &str, token: &str) -> RequestBuilder {
        http.post(url)
            .bearer_auth(token)
            .header(api::HEADER_PACKET_ID, self.id.to_string())
            .header(api::HEADER_THREAD_ID, self.thread.to_string())
            .header(api::HEADER_RECIPIENT_DESK, self.to.as_str())
            .header(api::HEADER_KIND, "referral")
            .header("content-type", "application/octet-stream")
            .body(self.body.clone())
    }
}

/// Seals `content` as a referral from `sender` to `to`, opening a new
/// thread, for `recipients` (the addressed desk's devices and the sender's
/// own, as the CLI does). Every call makes a fresh packet and thread id.
pub fn seal_referral(
    sender: &Device,
    to: &DeskId,
    recipients: Vec<RecipientKey>,
    content: &[u8],
    created_at: i64,
) -> anyhow::Result<Prepared> {
    let id = PacketId::random();
    let thread = ThreadId::random();
    let mut out = Vec::with_capacity(8192);
    seal(
        &SealRequest {
            packet_id: id,
            thread_id: thread,
            created_at,
            sender: Sender {
                device: sender.id,
                desk: sender.desk.clone().context("a sender has a desk")?,
                key: &sender.key,
            },
            recipient_desk: to.clone(),
            recipients,
            content_type: ContentType::referral_v1(),
            content,
            attachments: &[],
        },
        &mut out,
    )?;
    Ok(Prepared {
        id,
        thread,
        to: to.clone(),
        body: Bytes::from(out),
    })
}

/// One pool of packets per sender, made by `seal(index, sender)` with the
/// senders spread over `threads` threads: sealing is all CPU (X25519 per
/// recipient, Ed25519, SHA-256), so the packets are ready before any timed
/// window starts.
pub fn seal_per_sender<F>(
    senders: &[Device],
    threads: usize,
    seal: F,
) -> anyhow::Result<Vec<Vec<Prepared>>>
where
    F: Fn(usize, &Device) -> anyhow::Result<Vec<Prepared>> + Sync,
{
    let chunk = senders.len().div_ceil(threads.max(1)).max(1);
    let mut pools: Vec<Vec<Prepared>> = senders.iter().map(|_| Vec::new()).collect();
    let seal = &seal;
    std::thread::scope(|s| {
        let handles: Vec<_> = pools
            .chunks_mut(chunk)
            .zip(senders.chunks(chunk))
            .enumerate()
            .map(|(c, (pools, senders))| {
                s.spawn(move || -> anyhow::Result<()> {
                    for (i, (pool, sender)) in pools.iter_mut().zip(senders).enumerate() {
                        *pool = seal(c * chunk + i, sender)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a sealing thread panicked"))??;
        }
        anyhow::Ok(())
    })?;
    Ok(pools)
}

/// Seconds since the Unix epoch.
pub fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The administrator's side of a claimed broker: its token and a verified
/// copy of the signed directory log, extended with each entry before the
/// entry is posted (so every entry is checked here as a client would).
#[derive(Debug)]
pub struct Admin<'a> {
    http: &'a reqwest::Client,
    base: &'a str,
    token: String,
    key: &'a SigningKey,
    log: VerifiedLog,
}

impl<'a> Admin<'a> {
    /// Claims a fresh broker with `admin`'s genesis entry and the bootstrap
    /// `code`, and takes the administrator's token.
    pub async fn claim(
        http: &'a reqwest::Client,
        base: &'a str,
        code: &str,
        admin: &'a Device,
    ) -> anyhow::Result<Self> {
        let root = admin.key.verifying_key();
        let genesis = Entry::sign(
            0,
            [0; 32],
            now(),
            Statement::Genesis { root },
            &admin.key,
            None,
        )?;
        let log = VerifiedLog::from_genesis(vec![genesis.clone()], None)?;
        post_json(
            http,
            &format!("{base}/v1/admin/bootstrap"),
            None,
            json!({
                "code": code,
                "device_id": admin.id,
                "age_recipient": admin.recipient,
                "genesis": genesis.to_base64(),
            }),
            StatusCode::CREATED,
        )
        .await
        .context("bootstrap")?;
        let token = token(http, base, admin).await?;
        Ok(Self {
            http,
            base,
            token,
            key: &admin.key,
            log,
        })
    }

    /// A signed `DeskCreated` entry.
    pub async fn add_desk(
        &mut self,
        desk: &DeskId,
        name: String,
        prefecture: Option<String>,
    ) -> anyhow::Result<()> {
        let statement = Statement::DeskCreated {
            desk: desk.clone(),
            name,
            prefecture,
            languages: None,
        };
        self.append(statement, None)
            .await
            .with_context(|| format!("creating desk {desk}"))
    }

    async fn append(
        &mut self,
        statement: Statement,
        request: Option<RequestId>,
    ) -> anyhow::Result<()> {
        let head = self.log.head();
        let entry = Entry::sign(head.seq + 1, head.hash, now(), statement, self.key, None)?;
        self.log.append(entry.clone())?;
        post_json(
            self.http,
            &format!("{}/v1/directory", self.base),
            Some(&self.token),
            json!({"entry": entry.to_base64(), "request_id": request}),
            StatusCode::CREATED,
        )
        .await?;
        Ok(())
    }

    /// Invite, the device's request with its proof of possession, approval.
    pub async fn enroll(&mut self, device: &Device, role: Role) -> anyhow::Result<()> {
        let desk = device
            .desk
            .clone()
            .context("enrolled devices have a desk")?;
        let invite = post_json(
            self.http,
            &format!("{}/v1/admin/invites", self.base),
            Some(&self.token),
            json!({"desk": desk, "role": role}),
            StatusCode::CREATED,
        )
        .await?;
        let signing_key = device.key.verifying_key();
        let proof = enrollment_proof(
            &device.id,
            Some(&desk),
            role,
            &signing_key,
            &device.recipient,
            None,
            &device.key,
        );
        let receipt: RequestReceipt = serde_json::from_value(
            post_json(
                self.http,
                &format!("{}/v1/enrollments", self.base),
                None,
                json!({
                    "code": invite["code"],
                    "device_id": device.id,
                    "signing_key": signing_key,
                    "age_recipient": device.recipient,
                    "device_signature": STANDARD.encode(proof),
                }),
                StatusCode::CREATED,
            )
            .await?,
        )?;
        let statement = Statement::DeviceEnrolled {
            device: device.id,
            desk: Some(desk),
            role,
            signing_key,
            age_recipient: device.recipient.clone(),
            pq_recipient: None,
            device_signature: proof,
        };
        self.append(statement, Some(receipt.request_id))
            .await
            .with_context(|| format!("enrolling device {}", device.id))
    }
}

/// Challenge, signature, token.
pub async fn token(http: &reqwest::Client, base: &str, device: &Device) -> anyhow::Result<String> {
    let challenge: ChallengeResponse = serde_json::from_value(
        post_json(
            http,
            &format!("{base}/v1/auth/challenge"),
            None,
            json!({"device_id": device.id}),
            StatusCode::OK,
        )
        .await
        .context("challenge")?,
    )?;
    let raw = STANDARD.decode(&challenge.challenge)?;
    let signature = device
        .key
        .sign(&api::challenge_message(&challenge.issuer, &device.id, &raw));
    let token: TokenResponse = serde_json::from_value(
        post_json(
            http,
            &format!("{base}/v1/auth/token"),
            None,
            json!({
                "device_id": device.id,
                "challenge": challenge.challenge,
                "signature": STANDARD.encode(signature),
            }),
            StatusCode::OK,
        )
        .await
        .context("token")?,
    )?;
    Ok(token.token)
}

/// Posts `body` as JSON and fails unless the answer is `expect`; the
/// answer's JSON (or null).
pub async fn post_json(
    http: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
    body: Value,
    expect: StatusCode,
) -> anyhow::Result<Value> {
    let mut req = http.post(url).json(&body);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    let res = req.send().await?;
    let status = res.status();
    let text = res.text().await?;
    if status != expect {
        anyhow::bail!("{url}: {status}: {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}
