//! Sealing once and posting the same bytes until the broker has them
//! (ADR 0005, point 4).
//!
//! A packet is sealed into `<home>/outbox/<key>.age`, where `<key>` is a hash
//! of what the user asked for. It is then posted as often as
//! [`RetryPolicy::UPLOAD`] allows, with the same id and the same bytes: the
//! broker answers a repeat with the receipt it gave the first time (ADR
//! 0002), so a lost answer cannot turn into a second referral. If every attempt fails, the sealed packet stays in
//! the outbox, and running the same command again posts *it* instead of
//! sealing a new one. Once the broker has answered, the packet moves into the
//! case store and the outbox entry is removed.

use std::fs::{self, File};
use std::io::BufWriter;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use referral_protocol::api::{BrokerLimits, PacketReceipt};
use referral_protocol::paths;
use referral_protocol::{
    Attachment, AttachmentSource, ContentType, DeskId, PacketId, PacketKind, PacketRouting,
    RecipientKey, SealRequest, Sender, ThreadId, padding,
};
use reqwest::StatusCode;
use ring::digest::{Context as Digest, SHA256};
use serde::{Deserialize, Serialize};

use super::progress;
use crate::api_client::{BrokerClient, BrokerError};
use crate::atomic_file::{self, Existing};
use crate::cases::{AttachmentView, CaseStore};
use crate::context::Context;
use crate::exit::Failure;
use crate::keystore::UnlockedKeys;
use crate::output::Format;
use crate::retry::{Decision, RetryPolicy, Setback};
use crate::session::Online;
use crate::tr;

/// A packet to seal and send.
#[derive(Debug)]
pub struct Outgoing<'a> {
    /// What kind, with what the broker needs to know about it.
    pub kind: PacketKind,
    /// The thread: `Some` for a reply, `None` for a new thread.
    pub thread_id: Option<ThreadId>,
    /// The desk addressed.
    pub recipient_desk: DeskId,
    /// Every key to encrypt to ([`super::recipients::for_desk`]).
    pub recipients: Vec<RecipientKey>,
    /// What the content is.
    pub content_type: ContentType,
    /// The content.
    pub content: &'a [u8],
    /// The attachments.
    pub attachments: &'a [Attachment],
    /// What identifies the attachments for the outbox key, where their paths
    /// do not (a forward's attachments are unpacked into a fresh temporary
    /// directory each run; the original packet's id identifies them).
    pub attachments_key: Option<String>,
}

impl<'a> Outgoing<'a> {
    /// A new referral (schema v1 content) to `to`, opening a new thread.
    pub fn referral(
        to: &DeskId,
        recipients: Vec<RecipientKey>,
        content: &'a [u8],
        attachments: &'a [Attachment],
    ) -> Self {
        Self {
            kind: PacketKind::Referral,
            thread_id: None,
            recipient_desk: to.clone(),
            recipients,
            content_type: ContentType::referral_v1(),
            content,
            attachments,
            attachments_key: None,
        }
    }
}

/// A sealed packet waiting in the outbox, and then sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealedFile {
    /// The packet id.
    pub packet_id: PacketId,
    /// Its thread.
    pub thread_id: ThreadId,
    /// The desk it is addressed to.
    pub recipient_desk: DeskId,
    /// Its signed creation time.
    pub created_at: i64,
    /// The keys it is encrypted to.
    pub recipients: Vec<RecipientKey>,
    /// Its size (a padding bucket).
    pub bytes: u64,
    /// Its attachments, as the reader will see them listed.
    pub attachments: Vec<AttachmentView>,
}

impl SealedFile {
    /// Whether it went to hybrid keys (the sealer never mixes kinds).
    pub fn is_post_quantum(&self) -> bool {
        self.recipients
            .first()
            .is_some_and(|r| r.kind() == referral_protocol::RecipientKind::PostQuantum)
    }
}

/// Who seals: the device, its desk and the key the directory lists for it.
#[derive(Debug, Clone, Copy)]
pub struct Signer<'a> {
    /// The device.
    pub device: referral_protocol::DeviceId,
    /// Its desk.
    pub desk: &'a DeskId,
    /// Its listed signing key.
    pub key: &'a referral_protocol::SigningKey,
}

/// The outbox of one device.
#[derive(Debug)]
pub struct Outbox {
    dir: PathBuf,
    format: Format,
}

impl Outbox {
    /// `<home>/outbox`, created (mode 0700) if absent.
    pub fn open(home: &Path, format: Format) -> Result<Self, Failure> {
        let dir = home.join("outbox");
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| Failure::User(anyhow!("cannot create {}: {e}", dir.display())))?;
        Ok(Self { dir, format })
    }

    /// Seals `outgoing` into the outbox, or finds the packet an earlier,
    /// failed run of the same command sealed (if it is still addressed to the
    /// desk's current keys). Returns the packet and where it is.
    pub fn seal(
        &self,
        signer: Signer<'_>,
        outgoing: &Outgoing<'_>,
    ) -> Result<(SealedFile, PathBuf), Failure> {
        let format = self.format;
        let key = request_key(signer.device, outgoing)?;
        let packet_path = self.dir.join(format!("{key}.age"));
        let meta_name = format!("{key}.json");
        if let Some(earlier) = self.earlier(&meta_name, &packet_path)
            && earlier.recipients == sorted(&outgoing.recipients)
        {
            return Ok((earlier, packet_path));
        }
        let sealed = seal_to(&packet_path, Existing::Replace, signer, outgoing, format)?;
        let meta = serde_json::to_vec(&sealed).map_err(|e| Failure::User(e.into()))?;
        atomic_file::write(&self.dir, &meta_name, &meta, Existing::Replace)
            .map_err(|e| Failure::User(anyhow!("cannot write the outbox entry: {e}")))?;
        Ok((sealed, packet_path))
    }

    fn earlier(&self, meta_name: &str, packet_path: &Path) -> Option<SealedFile> {
        let bytes = fs::read(self.dir.join(meta_name)).ok()?;
        let sealed: SealedFile = serde_json::from_slice(&bytes).ok()?;
        let len = fs::metadata(packet_path).ok()?.len();
        (len == sealed.bytes).then_some(sealed)
    }

    /// Posts the packet at `path` until the broker answers, then moves it
    /// into the case store and clears the outbox entry.
    pub fn post(
        &self,
        client: &BrokerClient,
        token: &str,
        kind: &PacketKind,
        sealed: &SealedFile,
        path: &Path,
        cases: &CaseStore,
    ) -> Result<PacketReceipt, Failure> {
        let format = self.format;
        let headers = PacketRouting {
            packet_id: sealed.packet_id,
            thread_id: sealed.thread_id,
            recipient_desk: sealed.recipient_desk.clone(),
            kind: *kind,
        }
        .to_headers();
        // The packet is safe in the outbox from here on: Ctrl-C says so.
        let _explaining = crate::interrupt::explain_on_interrupt(kept_words(sealed));
        let mut attempt = 1;
        let receipt = loop {
            let file = File::open(path).map_err(|e| {
                Failure::User(anyhow!(
                    "cannot read the sealed packet {}: {e}",
                    path.display()
                ))
            })?;
            let bar = progress::bytes(format, sealed.bytes, &tr!("progress-upload"));
            let body = progress::ReadProgress::new(file, bar.clone());
            let answer: Result<PacketReceipt, BrokerError> =
                client.post_stream(paths::PACKETS, token, &headers, body, sealed.bytes);
            bar.finish_and_clear();
            // A refusal of an upload too large may arrive as a closed
            // connection while the body is still being sent: ask the limit
            // rather than retry bytes that cannot be stored.
            if let Err(BrokerError::Unreachable { .. }) = &answer
                && let Ok(Some(limit)) = packet_limit(client)
                && sealed.bytes > limit
            {
                self.discard(path);
                return Err(too_large(sealed.bytes, limit));
            }
            let e = match answer {
                Ok(receipt) => break receipt,
                Err(e) => e,
            };
            // A broker that is limiting us said how long to wait; the
            // policy honours it.
            match RetryPolicy::UPLOAD.decide(attempt, Setback::of(&e)) {
                // A refusal is an answer: the same bytes would be refused again.
                Decision::GiveUp if matches!(e, BrokerError::Refused { .. }) => {
                    self.discard(path);
                    return Err(e.into());
                }
                Decision::GiveUp => {
                    return Err(Failure::BrokerUnreachable(
                        anyhow::Error::new(e).context(kept_words(sealed)),
                    ));
                }
                Decision::RetryAfter(wait) => {
                    crate::output::warn(&crate::tr!(
                        "outbox-retrying",
                        attempt = attempt,
                        attempts = RetryPolicy::UPLOAD.tries,
                        ms = wait.as_millis() as u64
                    ));
                    std::thread::sleep(wait);
                    attempt += 1;
                }
            }
        };
        if receipt.packet_id != sealed.packet_id || receipt.bytes != sealed.bytes {
            return Err(Failure::Verification(anyhow!(
                "the broker's receipt names packet {} of {} bytes, not the {} bytes of {} it \
                 was sent",
                receipt.packet_id,
                receipt.bytes,
                sealed.bytes,
                sealed.packet_id
            )));
        }
        cases.keep_packet_by_moving(&sealed.packet_id, path)?;
        self.discard(path);
        Ok(receipt)
    }

    /// The sealed packets waiting to be sent again, oldest first, with
    /// where each is. An entry whose packet is missing or of another length
    /// than its description says is not listed: the next run of its command
    /// seals it anew.
    pub fn waiting(&self) -> Result<Vec<(SealedFile, PathBuf)>, Failure> {
        let entries = fs::read_dir(&self.dir)
            .map_err(|e| Failure::User(anyhow!("cannot read {}: {e}", self.dir.display())))?;
        let mut waiting = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(meta_name) = name.to_str().filter(|n| n.ends_with(".json")) else {
                continue;
            };
            let packet_path = self.dir.join(meta_name).with_extension("age");
            if let Some(sealed) = self.earlier(meta_name, &packet_path) {
                waiting.push((sealed, packet_path));
            }
        }
        waiting.sort_by_key(|(s, _)| (s.created_at, s.packet_id.to_string()));
        Ok(waiting)
    }

    /// Removes an outbox entry (the packet and its description).
    pub fn discard(&self, packet_path: &Path) {
        // Best effort: a leftover entry is re-posted (and answered with the
        // same receipt) or re-sealed by the next run of the same command.
        let _ = fs::remove_file(packet_path.with_extension("json"));
        let _ = fs::remove_file(packet_path);
    }
}

/// What was kept and how to go on, when a send could not finish.
pub fn kept_words(sealed: &SealedFile) -> String {
    crate::tr!(
        "outbox-kept",
        id = sealed.packet_id.to_string(),
        desk = sealed.recipient_desk.as_str()
    )
}

/// What `send`, `reply` and `forward` share: seal `outgoing` as this device
/// (or find the packet an earlier, failed run sealed), then post it until the
/// broker has it, keeping it in the case store. The token is fetched after
/// sealing, so that a large attachment does not eat into its lifetime.
pub fn deliver(
    ctx: &Context,
    online: &Online,
    keys: &UnlockedKeys,
    our_desk: &DeskId,
    outgoing: &Outgoing<'_>,
    cases: &CaseStore,
) -> Result<(SealedFile, PacketReceipt), Failure> {
    let outbox = Outbox::open(&ctx.home, ctx.format)?;
    let signer = Signer {
        device: online.device.device_id,
        desk: our_desk,
        key: online.listed_signing_key(keys)?,
    };
    check_size(&online.client, outgoing)?;
    let (sealed, path) = outbox.seal(signer, outgoing)?;
    let token = online.token(keys)?;
    let receipt = outbox.post(
        &online.client,
        &token.token,
        &outgoing.kind,
        &sealed,
        &path,
        cases,
    )?;
    Ok((sealed, receipt))
}

/// The bytes a packet will carry inside: its content and its attachments.
fn plaintext_len(outgoing: &Outgoing<'_>) -> u64 {
    outgoing.content.len() as u64
        + outgoing
            .attachments
            .iter()
            .map(|a| match &a.source {
                AttachmentSource::Path(p) => fs::metadata(p).map(|m| m.len()).unwrap_or(0),
                AttachmentSource::Bytes(b) => b.len() as u64,
            })
            .sum::<u64>()
}

/// The broker's limit on a packet's size, from `GET /v1/limits`; `None`
/// from a broker that does not publish it (its own 413 still applies).
fn packet_limit(client: &BrokerClient) -> Result<Option<u64>, BrokerError> {
    match client.get::<BrokerLimits>(paths::LIMITS, None) {
        Ok(limits) => Ok(Some(limits.max_packet_bytes)),
        Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Refuses, before anything is sealed, a packet that would be over the
/// broker's limit (ADR 0015): sealing tens of MiB only to have them
/// refused would leave them in the outbox.
fn check_size(client: &BrokerClient, outgoing: &Outgoing<'_>) -> Result<(), Failure> {
    let least = padding::least_sealed_len(plaintext_len(outgoing));
    match packet_limit(client)? {
        Some(limit) if least > limit => Err(too_large(least, limit)),
        _ => Ok(()),
    }
}

fn too_large(size: u64, limit: u64) -> Failure {
    Failure::User(anyhow!(crate::tr!(
        "errors-packet-too-large",
        size = mib(size),
        limit = mib(limit)
    )))
}

/// Bytes in MiB for people: whole where whole, else one decimal.
fn mib(bytes: u64) -> String {
    let mib = bytes as f64 / (1024.0 * 1024.0);
    if bytes.is_multiple_of(1024 * 1024) {
        format!("{mib:.0}")
    } else {
        format!("{mib:.1}")
    }
}

fn sorted(keys: &[RecipientKey]) -> Vec<RecipientKey> {
    let mut keys = keys.to_vec();
    keys.sort();
    keys.dedup();
    keys
}

/// Seals into `path` (via a fresh temporary file beside it, created
/// exclusively and never through a link, so that a crash never leaves a
/// half-written packet under the name the outbox trusts, and a name planted
/// in a shared directory is never written through), then publishes it as
/// `existing` says.
fn seal_to(
    path: &Path,
    existing: Existing,
    signer: Signer<'_>,
    outgoing: &Outgoing<'_>,
    format: Format,
) -> Result<SealedFile, Failure> {
    let packet_id = PacketId::random();
    let thread_id = outgoing.thread_id.unwrap_or_else(ThreadId::random);
    let created_at = super::unix_now();
    let request = SealRequest {
        packet_id,
        thread_id,
        created_at,
        sender: Sender {
            device: signer.device,
            desk: signer.desk.clone(),
            key: signer.key,
        },
        recipient_desk: outgoing.recipient_desk.clone(),
        recipients: outgoing.recipients.clone(),
        content_type: outgoing.content_type.clone(),
        content: outgoing.content,
        attachments: outgoing.attachments,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "packet".into(), |n| n.to_string_lossy());
    let (file, temp) = atomic_file::create_temp(dir, &name)
        .map_err(|e| Failure::User(anyhow!("cannot write {}: {e}", path.display())))?;
    let write = || -> Result<referral_protocol::Sealed, Failure> {
        let total = plaintext_len(outgoing);
        let bar = progress::bytes(format, total, &tr!("progress-seal"));
        let mut out = BufWriter::new(file);
        let sealed =
            referral_protocol::seal_with_progress(&request, &mut out, &mut |n| bar.set_position(n))
                .map_err(|e| Failure::User(anyhow!("cannot seal the packet: {e}")))?;
        bar.finish_and_clear();
        let file = out.into_inner().map_err(|e| {
            Failure::User(anyhow!("cannot write {}: {}", temp.display(), e.error()))
        })?;
        file.sync_all()
            .map_err(|e| Failure::User(anyhow!("cannot write {}: {e}", temp.display())))?;
        Ok(sealed)
    };
    let sealed = match write() {
        Ok(s) => s,
        Err(e) => {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
    };
    atomic_file::publish(&temp, path, existing)
        .map_err(|e| Failure::User(anyhow!("cannot write {}: {e}", path.display())))?;
    Ok(SealedFile {
        packet_id,
        thread_id,
        recipient_desk: outgoing.recipient_desk.clone(),
        created_at,
        recipients: sealed.recipients.clone(),
        bytes: sealed.bytes,
        attachments: sealed
            .header
            .attachments
            .iter()
            .map(AttachmentView::from)
            .collect(),
    })
}

/// Seals `outgoing` straight into `out` (offline `seal`: no outbox, no
/// broker). An existing file at `out` is never replaced.
pub fn seal_file(
    out: &Path,
    signer: Signer<'_>,
    outgoing: &Outgoing<'_>,
    format: Format,
) -> Result<SealedFile, Failure> {
    seal_to(out, Existing::Keep, signer, outgoing, format)
}

/// The outbox key: a hash of everything the user asked for, so that running
/// the same command again finds the same sealed packet, and any change (a
/// different desk, an edited file, another attachment) seals a new one.
fn request_key(
    device: referral_protocol::DeviceId,
    outgoing: &Outgoing<'_>,
) -> Result<String, Failure> {
    let mut h = Digest::new(&SHA256);
    let mut field = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(b"referral outbox v1");
    field(device.as_bytes());
    field(outgoing.kind.word().as_str().as_bytes());
    match &outgoing.kind {
        PacketKind::Referral | PacketKind::Reply { status: None } => field(b""),
        PacketKind::Reply {
            status: Some(status),
        } => field(status.as_str().as_bytes()),
        PacketKind::Forward { forwards } => field(forwards.as_bytes()),
    }
    field(
        outgoing
            .thread_id
            .map(|t| *t.as_bytes())
            .unwrap_or_default()
            .as_slice(),
    );
    field(outgoing.recipient_desk.as_str().as_bytes());
    field(outgoing.content_type.as_str().as_bytes());
    field(outgoing.content);
    if let Some(key) = &outgoing.attachments_key {
        field(key.as_bytes());
        return Ok(hex::encode(h.finish().as_ref()));
    }
    for a in outgoing.attachments {
        field(a.name.as_bytes());
        match &a.source {
            AttachmentSource::Path(p) => {
                let canonical = fs::canonicalize(p)
                    .map_err(|e| Failure::User(anyhow!("cannot attach {}: {e}", p.display())))?;
                let meta = fs::metadata(&canonical)
                    .map_err(|e| Failure::User(anyhow!("cannot attach {}: {e}", p.display())))?;
                let modified = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                field(canonical.as_os_str().as_encoded_bytes());
                field(&meta.len().to_be_bytes());
                field(&modified.to_be_bytes());
            }
            AttachmentSource::Bytes(b) => {
                field(b);
            }
        }
    }
    Ok(hex::encode(h.finish().as_ref()))
}

#[cfg(test)]
mod tests {
    use referral_protocol::DeviceId;

    use super::*;

    fn outgoing<'a>(content: &'a [u8], attachments: &'a [Attachment]) -> Outgoing<'a> {
        Outgoing {
            kind: PacketKind::Referral,
            thread_id: None,
            recipient_desk: "shinjuku-iea".parse().unwrap(),
            recipients: Vec::new(),
            content_type: ContentType::referral_v1(),
            content,
            attachments,
            attachments_key: None,
        }
    }

    #[test]
    fn the_same_request_finds_the_same_outbox_entry_and_any_change_another() {
        let dir = tempfile::tempdir().unwrap();
        let scan = dir.path().join("scan.pdf");
        std::fs::write(&scan, b"%PDF one").unwrap();
        let attachment = [Attachment {
            name: "scan.pdf".into(),
            media_type: "application/pdf".into(),
            source: AttachmentSource::Path(scan.clone()),
        }];
        let device = DeviceId::random();
        let key = |o: &Outgoing<'_>| request_key(device, o).unwrap();

        let base = key(&outgoing(b"{}", &attachment));
        assert_eq!(
            base,
            key(&outgoing(b"{}", &attachment)),
            "same request, same key"
        );
        assert_ne!(base, key(&outgoing(b"{ }", &attachment)), "edited content");
        assert_ne!(base, key(&outgoing(b"{}", &[])), "attachment dropped");
        let mut elsewhere = outgoing(b"{}", &attachment);
        elsewhere.recipient_desk = "osaka-ngo".parse().unwrap();
        assert_ne!(base, key(&elsewhere), "another desk");
        let mut reply = outgoing(b"{}", &attachment);
        reply.kind = PacketKind::Reply {
            status: Some(referral_protocol::ThreadStatus::Accepted),
        };
        assert_ne!(base, key(&reply), "another kind");
        assert_ne!(
            base,
            request_key(DeviceId::random(), &outgoing(b"{}", &attachment)).unwrap(),
            "another device"
        );
        // The attachment's file changed (longer): a new packet.
        std::fs::write(&scan, b"%PDF one, rescanned").unwrap();
        assert_ne!(
            base,
            key(&outgoing(b"{}", &attachment)),
            "attachment changed"
        );

        // A forward names its attachments by the original packet instead of
        // by their temporary paths.
        let mut forward = outgoing(b"{}", &attachment);
        forward.attachments_key = Some("packet-1".into());
        let first = key(&forward);
        std::fs::write(&scan, b"moved and rewritten").unwrap();
        assert_eq!(first, key(&forward));
        forward.attachments_key = Some("packet-2".into());
        assert_ne!(first, key(&forward));
    }
}
