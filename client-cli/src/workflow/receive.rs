//! Receiving a packet: fetch it (streamed to disk, in constant memory), open
//! and verify it against the verified directory, decode its content, and
//! record it in the case store.
//!
//! Nothing of a packet is shown or kept before `referral_protocol::open` has
//! verified all of it: attachments go to temporary files that are renamed
//! into place only after the whole packet checked out.

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use referral_protocol::api::{AckResponse, Inbox, Reported, ThreadView};
use referral_protocol::attachment_name;
use referral_protocol::directory::DirectoryState;
use referral_protocol::paths;
use referral_protocol::{
    AgeIdentity, AttachmentMeta, AttachmentSink, ContentType, DeskId, DeviceId, OpenError, Opened,
    PacketId, PacketKindWord, ThreadId, ThreadStatus,
};
use serde::Serialize;
use zeroize::Zeroizing;

use super::content::{FORWARD_SCHEMA, ForwardContent, ReplyContent};
use super::{parties, progress, unix_now};
use crate::api_client::BrokerClient;
use crate::atomic_file;
use crate::cases::{
    AttachmentView, CaseEvent, CaseKeys, CaseRecord, CaseStore, Direction, ThreadLink, history,
};
use crate::context::Context;
use crate::exit::Failure;
use crate::keystore::UnlockedKeys;
use crate::output::{self, Format};
use crate::referral;
use crate::session::Online;
use crate::tr;

/// What a verified packet holds.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "content")]
pub enum Body {
    /// A referral (schema v1), as JSON.
    Referral(serde_json::Value),
    /// A reply on a thread.
    Reply(ReplyContent),
    /// A referral passed on by another desk.
    Forward(ForwardContent),
}

impl Body {
    /// Which kind of packet carried it.
    pub fn kind(&self) -> PacketKindWord {
        match self {
            Body::Referral(_) => PacketKindWord::Referral,
            Body::Reply(_) => PacketKindWord::Reply,
            Body::Forward(_) => PacketKindWord::Forward,
        }
    }

    /// The referral this packet carries, if it carries one.
    pub fn referral(&self) -> Option<&serde_json::Value> {
        match self {
            Body::Referral(v) => Some(v),
            Body::Forward(f) => Some(&f.referral),
            Body::Reply(_) => None,
        }
    }
}

/// An attachment of an opened packet, and where it was saved.
#[derive(Debug, Clone, Serialize)]
pub struct ReceivedAttachment {
    /// As listed (and signed) in the packet.
    #[serde(flatten)]
    pub view: AttachmentView,
    /// Where it was saved, if it was.
    pub saved_to: Option<PathBuf>,
}

/// A verified packet, decoded.
#[derive(Debug)]
pub struct VerifiedPacket {
    /// The verified packet (header and raw content).
    pub opened: Opened,
    /// The decoded content.
    pub body: Body,
    /// The attachments.
    pub attachments: Vec<ReceivedAttachment>,
}

/// Where a fetched packet is.
#[derive(Debug)]
pub enum Fetched {
    /// Already in the case store (opened before): not fetched again.
    Kept(PathBuf),
    /// Downloaded to a temporary file next to the case store's packets; it
    /// joins them ([`CaseStore::adopt_packet`]) once it has verified.
    Downloaded(PathBuf),
}

impl Fetched {
    /// The file.
    pub fn path(&self) -> &Path {
        match self {
            Fetched::Kept(p) | Fetched::Downloaded(p) => p,
        }
    }
}

/// Fetches packet `id`, unless the case store already holds it.
pub fn fetch(
    client: &BrokerClient,
    token: &str,
    id: &PacketId,
    cases: &CaseStore,
    format: Format,
) -> Result<Fetched, Failure> {
    let target = cases.packet_path(id);
    if target.exists() {
        return Ok(Fetched::Kept(target));
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let temp = dir.join(format!(".{id}.download"));
    let download = || -> Result<(), Failure> {
        let file = atomic_file::create_private(&temp)
            .map_err(|e| Failure::User(anyhow!("cannot write {}: {e}", temp.display())))?;
        let bar = progress::bytes(format, 0, &tr!("progress-fetch"));
        let mut out = progress::WriteProgress::new(BufWriter::new(file), bar.clone());
        client.download(&paths::packet(id), token, &mut out, &|len| {
            bar.set_length(len)
        })?;
        bar.finish_and_clear();
        out.flush()
            .map_err(|e| Failure::User(anyhow!("cannot write {}: {e}", temp.display())))?;
        Ok(())
    };
    if let Err(e) = download() {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    Ok(Fetched::Downloaded(temp))
}

/// What fetching and opening packets from the broker needs.
pub struct Receiver<'a> {
    /// The broker.
    pub client: &'a BrokerClient,
    /// A bearer token.
    pub token: &'a str,
    /// Where verified packets are kept.
    pub cases: &'a CaseStore,
    /// This device's current and retired age keys.
    pub identities: &'a [AgeIdentity],
    /// The verified directory.
    pub directory: &'a DirectoryState,
    /// This device's desk.
    pub our_desk: &'a DeskId,
    /// For the progress bar.
    pub format: Format,
}

/// The identities are secrets: never in a debug dump.
impl std::fmt::Debug for Receiver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("our_desk", self.our_desk)
            .field("identities", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

impl Receiver<'_> {
    /// Fetches packet `id` (unless the case store has it), opens and
    /// verifies it, checks that it is the packet asked for and concerns this
    /// desk, and keeps it in the case store. A packet that fails is not kept.
    pub fn fetch_and_open(
        &self,
        id: &PacketId,
        save_to: Option<&Path>,
    ) -> Result<VerifiedPacket, Failure> {
        let fetched = fetch(self.client, self.token, id, self.cases, self.format)?;
        let verified = open_file(fetched.path(), self.identities, self.directory, save_to)
            .and_then(|r| check_addressing(&r, Some(id), self.our_desk).map(|()| r));
        match (verified, fetched) {
            (Ok(r), Fetched::Downloaded(path)) => {
                self.cases.adopt_packet(id, &path)?;
                Ok(r)
            }
            (Ok(r), Fetched::Kept(_)) => Ok(r),
            (Err(e), Fetched::Downloaded(path)) => {
                let _ = fs::remove_file(path);
                Err(e)
            }
            (Err(e), Fetched::Kept(_)) => Err(e),
        }
    }
}

/// Opens the packet at `path` with this device's keys, verifying it against
/// the directory. Attachments are saved into `save_to` if given (and only
/// once the whole packet verified); otherwise they are checked and dropped.
pub fn open_file(
    path: &Path,
    identities: &[AgeIdentity],
    directory: &DirectoryState,
    save_to: Option<&Path>,
) -> Result<VerifiedPacket, Failure> {
    let file = File::open(path)
        .map_err(|e| Failure::User(anyhow!("cannot read {}: {e}", path.display())))?;
    let mut sink = match save_to {
        Some(dir) => SaveAttachments::new(dir)?,
        None => SaveAttachments::discard(),
    };
    let (opened, body) = open_into(file, identities, directory, &mut sink)?;
    let attachments: Vec<ReceivedAttachment> = opened
        .header
        .attachments
        .iter()
        .enumerate()
        .map(|(i, meta)| ReceivedAttachment {
            view: AttachmentView::from(meta),
            saved_to: sink.saved.get(i).cloned(),
        })
        .collect();
    warn_of_renamed(&attachments);
    Ok(VerifiedPacket {
        opened,
        body,
        attachments,
    })
}

/// Opens and verifies `file`, streaming its attachments into `sink`, and
/// decodes its content.
fn open_into(
    file: File,
    identities: &[AgeIdentity],
    directory: &DirectoryState,
    sink: &mut dyn AttachmentSink,
) -> Result<(Opened, Body), Failure> {
    let opened = referral_protocol::open(BufReader::new(file), identities, directory, sink)
        .map_err(open_failure)?;
    let body = decode(&opened)?;
    Ok((opened, body))
}

/// One attachment of a verified packet, in memory.
#[derive(Debug)]
pub struct AttachmentInMemory {
    /// The packet it came in, verified.
    pub packet: VerifiedPacket,
    /// Its bytes, wiped when dropped.
    pub bytes: Zeroizing<Vec<u8>>,
}

/// Opens the packet at `path` as [`open_file`] does (every check), keeping
/// attachment `index` in memory only: the web app's download, which never
/// writes plaintext to disk. `None` if the packet has no such attachment.
/// The bytes are wiped when dropped.
pub fn open_attachment(
    path: &Path,
    identities: &[AgeIdentity],
    directory: &DirectoryState,
    index: usize,
) -> Result<Option<AttachmentInMemory>, Failure> {
    let file = File::open(path)
        .map_err(|e| Failure::User(anyhow!("cannot read {}: {e}", path.display())))?;
    let mut sink = KeepOne {
        index,
        current: None,
        bytes: Zeroizing::new(Vec::new()),
    };
    let (opened, body) = open_into(file, identities, directory, &mut sink)?;
    if index >= opened.header.attachments.len() {
        return Ok(None);
    }
    let attachments = opened
        .header
        .attachments
        .iter()
        .map(|meta| ReceivedAttachment {
            view: AttachmentView::from(meta),
            saved_to: None,
        })
        .collect();
    let packet = VerifiedPacket {
        opened,
        body,
        attachments,
    };
    Ok(Some(AttachmentInMemory {
        packet,
        bytes: sink.bytes,
    }))
}

/// Keeps one attachment in memory, in a buffer sized from the signed
/// length up front, so that it is never reallocated (a reallocation would
/// leave a copy behind that is not wiped).
struct KeepOne {
    index: usize,
    current: Option<usize>,
    bytes: Zeroizing<Vec<u8>>,
}

impl AttachmentSink for KeepOne {
    fn begin(&mut self, index: usize, meta: &AttachmentMeta) -> io::Result<()> {
        self.current = Some(index);
        if index == self.index {
            let too_large = || io::Error::other("the attachment is too large to hold in memory");
            let len = usize::try_from(meta.bytes).map_err(|_| too_large())?;
            self.bytes.try_reserve_exact(len).map_err(|_| too_large())?;
        }
        Ok(())
    }

    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        if self.current == Some(self.index) {
            if self.bytes.len() + chunk.len() > self.bytes.capacity() {
                // More than the signed length: the hash check will refuse
                // the packet; do not grow the buffer meanwhile.
                return Err(io::Error::other("attachment longer than signed"));
            }
            self.bytes.extend_from_slice(chunk);
        }
        Ok(())
    }

    fn commit(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Says so when an attachment was saved under another name than the one it
/// was sent with: a name that was taken, or one made safe.
fn warn_of_renamed(attachments: &[ReceivedAttachment]) {
    for a in attachments {
        let Some(path) = &a.saved_to else { continue };
        if path.file_name() != Some(std::ffi::OsStr::new(&a.view.name)) {
            output::warn(&tr!(
                "receive-attachment-renamed",
                name = crate::terminal::line(&a.view.name).into_owned(),
                path = path.display().to_string()
            ));
        }
    }
}

fn open_failure(e: OpenError) -> Failure {
    match e {
        OpenError::NoMatchingKey => Failure::User(anyhow!(tr!(
            "receive-not-for-this-device",
            error = e.to_string()
        ))),
        OpenError::Io(_) => Failure::User(anyhow!("{e}")),
        OpenError::Downgrade { signed_at } => Failure::Verification(anyhow!(tr!(
            "receive-downgrade",
            signed = crate::i18n::moment(signed_at)
        ))),
        OpenError::PostQuantumRequired { since, signed_at } => Failure::Verification(anyhow!(tr!(
            "receive-classic-after-policy",
            signed = crate::i18n::moment(signed_at),
            since = crate::i18n::moment(since)
        ))),
        e => Failure::Verification(anyhow!(tr!("receive-refused", error = e.to_string()))),
    }
}

fn decode(opened: &Opened) -> Result<Body, Failure> {
    let content_type = &opened.header.content_type;
    let malformed = |e: &dyn std::fmt::Display| {
        Failure::User(anyhow!(tr!(
            "receive-malformed",
            content_type = content_type.as_str(),
            error = e.to_string()
        )))
    };
    if *content_type == ContentType::referral_v1() {
        let value: serde_json::Value =
            serde_json::from_slice(&opened.content).map_err(|e| malformed(&e))?;
        let problems = referral::validate::check(&value);
        if !problems.is_empty() {
            let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
            output::warn(&tr!(
                "receive-referral-not-v1",
                count = problems.len(),
                problems = listed.join("\n")
            ));
        }
        return Ok(Body::Referral(value));
    }
    if *content_type == ReplyContent::content_type() {
        let reply: ReplyContent =
            serde_json::from_slice(&opened.content).map_err(|e| malformed(&e))?;
        reply.check().map_err(|e| malformed(&e))?;
        return Ok(Body::Reply(reply));
    }
    if content_type.as_str() == FORWARD_SCHEMA {
        let forward: ForwardContent =
            serde_json::from_slice(&opened.content).map_err(|e| malformed(&e))?;
        parties::check_forward(&opened.header, &forward)?;
        return Ok(Body::Forward(forward));
    }
    Err(Failure::User(anyhow!(tr!(
        "receive-unknown-content",
        content_type = format!("{:?}", content_type.as_str())
    ))))
}

/// Checks that the packet is the one asked for and concerns this desk.
pub fn check_addressing(
    received: &VerifiedPacket,
    expected: Option<&PacketId>,
    our_desk: &DeskId,
) -> Result<(), Failure> {
    let header = &received.opened.header;
    if let Some(expected) = expected
        && header.packet_id != *expected
    {
        return Err(Failure::Verification(anyhow!(
            "the broker served packet {} when {expected} was asked for",
            header.packet_id
        )));
    }
    if header.recipient_desk != *our_desk && header.sender_desk != *our_desk {
        return Err(Failure::Verification(anyhow!(
            "the packet is between {} and {}, not this device's desk {our_desk}",
            header.sender_desk,
            header.recipient_desk
        )));
    }
    Ok(())
}

/// Acknowledges receipt to the broker (the desk has the packet now; the
/// broker may purge it after its grace period).
pub fn ack(client: &BrokerClient, token: &str, id: &PacketId) -> Result<(), Failure> {
    let _: AckResponse = client.post_empty(&paths::packet_ack(id), token)?;
    Ok(())
}

/// Records a verified packet in the case store, and returns the record (or
/// `None` for a reply on a thread this device has no record of: one sent
/// from a colleague's device, say).
///
/// A packet on a case it is not between the two desks of
/// ([`parties::check_case`]) is refused (exit 4) and dropped from the kept
/// packets, so that nothing of it stays.
pub fn record(
    cases: &CaseStore,
    keys: &CaseKeys<'_>,
    our_desk: &DeskId,
    our_device: DeviceId,
    received: &VerifiedPacket,
    now: i64,
) -> Result<Option<CaseRecord>, Failure> {
    let header = &received.opened.header;
    let existing = cases.load(&header.thread_id, keys)?;
    if let Some(case) = &existing
        && let Err(refused) = parties::check_case(header, case)
    {
        let _ = fs::remove_file(cases.packet_path(&header.packet_id));
        return Err(refused);
    }
    let mut record = match (&received.body, existing) {
        (Body::Reply(_), None) => {
            output::warn(&tr!(
                "receive-reply-not-kept",
                thread = header.thread_id.to_string()
            ));
            return Ok(None);
        }
        (Body::Reply(reply), Some(mut record)) => {
            if !record.has_packet(&header.packet_id) {
                let mut event = CaseEvent::from_packet(
                    reply.status,
                    header.created_at,
                    &header.sender_desk,
                    header.sender_device,
                );
                event.packet_id = Some(header.packet_id);
                event.message = reply.message.clone();
                event.reason = reply.reason.clone();
                event.outcome = reply.outcome.clone();
                record.push(event);
            }
            record
        }
        (_, Some(record)) => record,
        (body, None) => new_record(received, body, our_desk),
    };
    let we_received = header.recipient_desk == *our_desk;
    if we_received
        && received.body.referral().is_some()
        && !record
            .events
            .iter()
            .any(|e| e.status == ThreadStatus::Received)
    {
        record.push(CaseEvent::from_packet(
            ThreadStatus::Received,
            now,
            our_desk,
            our_device,
        ));
    }
    cases.save(&record, keys)?;
    Ok(Some(record))
}

fn new_record(received: &VerifiedPacket, body: &Body, our_desk: &DeskId) -> CaseRecord {
    let header = &received.opened.header;
    let direction = if header.recipient_desk == *our_desk {
        Direction::Received
    } else {
        Direction::Sent
    };
    let other_desk = match direction {
        Direction::Received => header.sender_desk.clone(),
        Direction::Sent => header.recipient_desk.clone(),
    };
    let mut sent = CaseEvent::from_packet(
        ThreadStatus::Sent,
        header.created_at,
        &header.sender_desk,
        header.sender_device,
    );
    sent.packet_id = Some(header.packet_id);
    let (forward_note, forwarded_from) = match body {
        Body::Forward(f) => (
            f.note.clone(),
            Some(ThreadLink {
                desk: f.from_desk.clone(),
                thread_id: f.from_thread_id,
            }),
        ),
        _ => (None, None),
    };
    if let Body::Forward(f) = body {
        sent.message = f.note.clone();
    }
    CaseRecord {
        version: crate::cases::record::RECORD_VERSION,
        thread_id: header.thread_id,
        direction,
        our_desk: our_desk.clone(),
        other_desk,
        referral_packet: header.packet_id,
        referred_at: header.created_at,
        referral: body.referral().cloned().unwrap_or(serde_json::Value::Null),
        attachments: received
            .attachments
            .iter()
            .map(|a| a.view.clone())
            .collect(),
        forward_note,
        forwarded_from,
        forwarded_to: None,
        status: ThreadStatus::Sent,
        events: vec![sent],
    }
}

/// Saves attachments into a directory, each through a temporary file that
/// is published only when the whole packet has verified; or, with no
/// directory, hashes and drops them.
///
/// The directory may be shared (`/tmp`), and the names are the sender's: a
/// temporary file has a fresh random name and is created exclusively,
/// without following links ([`atomic_file::create_temp`]); the final name
/// is the sender's made safe ([`attachment_name::name_for_saving`]: a name
/// with a bidirectional override from an older sender cannot display as
/// another), and it never replaces a file that is already there, a planted
/// link included: the next free `name (2).ext` is taken instead
/// ([`atomic_file::publish_unused_name`]), and the report says where each
/// attachment went.
struct SaveAttachments {
    dir: Option<PathBuf>,
    /// The attachment being written: file, temporary path, name to save as.
    current: Option<(BufWriter<File>, PathBuf, String)>,
    /// Written and synced, waiting for the packet to verify.
    pending: Vec<(PathBuf, String)>,
    saved: Vec<PathBuf>,
}

impl SaveAttachments {
    fn new(dir: &Path) -> Result<Self, Failure> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Failure::User(anyhow!("cannot create {}: {e}", dir.display())))?;
        Ok(Self {
            dir: Some(dir.to_path_buf()),
            current: None,
            pending: Vec::new(),
            saved: Vec::new(),
        })
    }

    fn discard() -> Self {
        Self {
            dir: None,
            current: None,
            pending: Vec::new(),
            saved: Vec::new(),
        }
    }

    fn finish_current(&mut self) -> io::Result<()> {
        if let Some((mut file, temp, name)) = self.current.take() {
            // Queued first, so that a failed flush still removes it.
            self.pending.push((temp, name));
            file.flush()?;
            file.get_ref().sync_all()?;
        }
        Ok(())
    }
}

impl AttachmentSink for SaveAttachments {
    fn begin(&mut self, _index: usize, meta: &AttachmentMeta) -> io::Result<()> {
        self.finish_current()?;
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        let name = attachment_name::name_for_saving(&meta.name);
        let (file, temp) = atomic_file::create_temp(dir, "attachment")?;
        self.current = Some((BufWriter::new(file), temp, name));
        Ok(())
    }

    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        match &mut self.current {
            Some((file, _, _)) => file.write_all(chunk),
            None => Ok(()),
        }
    }

    fn commit(&mut self) -> io::Result<()> {
        self.finish_current()?;
        let Some(dir) = self.dir.clone() else {
            return Ok(());
        };
        // One at a time, so that what is still pending if one fails is
        // removed by `drop`.
        while !self.pending.is_empty() {
            let (temp, name) = self.pending.remove(0);
            let at = atomic_file::publish_unused_name(&temp, &dir, &name)?;
            self.saved.push(at);
        }
        atomic_file::sync_dir(&dir)
    }
}

impl Drop for SaveAttachments {
    fn drop(&mut self) {
        // A packet that failed to verify leaves nothing behind.
        if let Some((_, temp, _)) = self.current.take() {
            let _ = fs::remove_file(temp);
        }
        for (temp, _) in self.pending.drain(..) {
            let _ = fs::remove_file(temp);
        }
    }
}

/// What fetching and opening this desk's packets takes, for a device online.
pub fn receiver<'a>(
    ctx: &Context,
    online: &'a Online,
    keys: &'a UnlockedKeys,
    token: &'a str,
    cases: &'a CaseStore,
    our_desk: &'a DeskId,
) -> Receiver<'a> {
    Receiver {
        client: &online.client,
        token,
        cases,
        identities: keys.age_identities(),
        directory: online.log.state(),
        our_desk,
        format: ctx.format,
    }
}

/// Opens, keeps and acknowledges the replies waiting in this desk's inbox on
/// the threads `wanted` picks, so that their texts join the cases' history:
/// what `thread` does for one case and the sync for every changed one. One
/// inbox request, then one fetch per reply.
pub fn pull_replies(
    receiver: &Receiver<'_>,
    keys: &UnlockedKeys,
    our_device: DeviceId,
    wanted: impl Fn(&ThreadId) -> bool,
) -> Result<(), Failure> {
    pull_replies_each(receiver, keys, our_device, wanted, |_, e| Err(e))
}

/// Like [`pull_replies`], but a reply that fails goes to `on_failure`
/// (with its thread), which may let the others go on by returning `Ok`.
pub fn pull_replies_each(
    receiver: &Receiver<'_>,
    keys: &UnlockedKeys,
    our_device: DeviceId,
    wanted: impl Fn(&ThreadId) -> bool,
    mut on_failure: impl FnMut(&ThreadId, Failure) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let inbox: Inbox = receiver.client.get(paths::INBOX, Some(receiver.token))?;
    for entry in inbox
        .packets
        .iter()
        .filter(|p| wanted(&p.thread_id) && p.kind == Reported::Known(PacketKindWord::Reply))
    {
        let pulled = receiver
            .fetch_and_open(&entry.packet_id, None)
            .and_then(|received| {
                record(
                    receiver.cases,
                    &keys.case_keys(),
                    receiver.our_desk,
                    our_device,
                    &received,
                    unix_now(),
                )
            })
            .and_then(|_| ack(receiver.client, receiver.token, &entry.packet_id));
        match pulled {
            Ok(()) => {}
            // The broker gone mid-way is no fault of the packet.
            Err(e @ Failure::BrokerUnreachable(_)) => return Err(e),
            Err(e) => on_failure(&entry.thread_id, e)?,
        }
    }
    Ok(())
}

/// The broker's coarse events of a thread, as statuses and times (0 for a
/// time that is not one).
pub fn broker_events(view: &ThreadView) -> Result<Vec<(ThreadStatus, i64)>, Failure> {
    view.events
        .iter()
        .map(|e| Ok((e.status.parsed()?, e.at.unix().unwrap_or(0))))
        .collect::<Result<Vec<_>, referral_protocol::UnknownStatus>>()
        .map_err(|e| {
            Failure::BrokerUnreachable(anyhow::anyhow!(tr!(
                "thread-unknown-status",
                error = e.to_string()
            )))
        })
}

/// Merges the broker's view of a thread into this device's record of it,
/// if it has one, and keeps the result. The broker's `status` is not taken
/// as it is: the signed history decides, and the broker's events only fill
/// in what the broker alone witnesses (ADR 0010).
pub fn merge_broker_view(
    cases: &CaseStore,
    keys: &CaseKeys<'_>,
    view: &ThreadView,
) -> Result<Option<CaseRecord>, Failure> {
    let events = broker_events(view)?;
    let Some(mut record) = cases.load(&view.thread_id, keys)? else {
        return Ok(None);
    };
    let merged = history::merge(&record.events, &events);
    if merged != record.events {
        record.events = merged;
        record.settle_status();
        cases.save(&record, keys)?;
    }
    Ok(Some(record))
}

#[cfg(test)]
mod tests {
    use referral_protocol::{
        ContentType, DeviceId, KnownSenders, SealRequest, Sender, SigningKey, ThreadId,
    };

    use super::*;
    use crate::exit::Exit;

    /// A packet sealed by a device of `from` to `to` on `thread`, opened by
    /// a reader at `to`.
    fn opened(
        from: &str,
        to: &str,
        thread: ThreadId,
        content_type: ContentType,
        content: &[u8],
    ) -> VerifiedPacket {
        let signing = SigningKey::generate().unwrap();
        let device = DeviceId::random();
        let from: DeskId = from.parse().unwrap();
        let reader = AgeIdentity::generate_post_quantum();
        let request = SealRequest {
            packet_id: PacketId::random(),
            thread_id: thread,
            created_at: 1_700_000_000,
            sender: Sender {
                device,
                desk: from.clone(),
                key: &signing,
            },
            recipient_desk: to.parse().unwrap(),
            recipients: vec![reader.recipient()],
            content_type,
            content,
            attachments: &[],
        };
        let mut sealed = Vec::new();
        referral_protocol::seal(&request, &mut sealed).unwrap();
        let mut senders = KnownSenders::new();
        senders.add(device, from, signing.verifying_key());
        let opened = referral_protocol::open(
            sealed.as_slice(),
            std::slice::from_ref(&reader),
            &senders,
            &mut referral_protocol::DiscardAttachments,
        )
        .unwrap();
        let body = decode(&opened).unwrap();
        VerifiedPacket {
            opened,
            body,
            attachments: Vec::new(),
        }
    }

    /// A referral from covic-intake to shinjuku-iea, opened by the desk.
    fn opened_packet() -> VerifiedPacket {
        opened(
            "covic-intake",
            "shinjuku-iea",
            ThreadId::random(),
            ContentType::referral_v1(),
            br#"{"schema":"referral.v1"}"#,
        )
    }

    fn completed_reply() -> Vec<u8> {
        serde_json::to_vec(
            &ReplyContent::new(
                ThreadStatus::Completed,
                None,
                None,
                Some("voucher issued".into()),
            )
            .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn a_reply_from_a_desk_outside_the_case_is_refused_and_not_recorded() {
        let home = tempfile::tempdir().unwrap();
        let cases = CaseStore::open(home.path()).unwrap();
        let identities = [AgeIdentity::generate_post_quantum()];
        let record_key = crate::cases::RecordKey::generate().unwrap();
        let keys = CaseKeys {
            identities: &identities,
            recipient: identities[0].recipient(),
            record_key: &record_key,
        };
        let (caseworker, desk): (DeskId, DeskId) = (
            "covic-intake".parse().unwrap(),
            "shinjuku-iea".parse().unwrap(),
        );
        let thread = ThreadId::random();
        let case = CaseRecord::sent(
            thread,
            &caseworker,
            &desk,
            DeviceId::random(),
            PacketId::random(),
            1_000,
            serde_json::json!({}),
            Vec::new(),
        );
        cases.save(&case, &keys).unwrap();

        // A device of a third desk, its packet relayed onto the thread by a
        // colluding broker, claims the case is completed.
        let forged = opened(
            "osaka-ngo",
            "covic-intake",
            thread,
            ReplyContent::content_type(),
            &completed_reply(),
        );
        let kept = cases.packet_path(&forged.opened.header.packet_id);
        fs::write(&kept, b"as fetched").unwrap();
        let err = record(
            &cases,
            &keys,
            &caseworker,
            DeviceId::random(),
            &forged,
            2_000,
        )
        .unwrap_err();
        assert_eq!(err.exit(), Exit::Verification, "{}", err.error());
        let message = err.error().to_string();
        assert!(message.contains("osaka-ngo"), "{message}");
        assert!(message.contains("not a party"), "{message}");
        assert_eq!(cases.load(&thread, &keys).unwrap(), Some(case.clone()));
        assert!(!kept.exists(), "a refused packet is not kept");

        // Signed for the right desks but sent the wrong way round (the
        // caseworker's desk to itself) is refused too.
        let to_itself = opened(
            "covic-intake",
            "covic-intake",
            thread,
            ReplyContent::content_type(),
            &completed_reply(),
        );
        let err = record(
            &cases,
            &keys,
            &caseworker,
            DeviceId::random(),
            &to_itself,
            2_000,
        )
        .unwrap_err();
        assert_eq!(err.exit(), Exit::Verification);

        // The case's other desk may complete it.
        let genuine = opened(
            "shinjuku-iea",
            "covic-intake",
            thread,
            ReplyContent::content_type(),
            &completed_reply(),
        );
        let updated = record(
            &cases,
            &keys,
            &caseworker,
            DeviceId::random(),
            &genuine,
            2_000,
        )
        .unwrap()
        .unwrap();
        assert_eq!(updated.status, ThreadStatus::Completed);
    }

    #[test]
    fn a_forward_must_name_its_signed_sender_as_the_forwarding_desk() {
        let forward = |from_desk: &str| {
            serde_json::to_vec(&ForwardContent {
                schema: FORWARD_SCHEMA.to_owned(),
                note: None,
                from_desk: from_desk.parse().unwrap(),
                from_thread_id: ThreadId::random(),
                referral: serde_json::json!({}),
            })
            .unwrap()
        };
        // Honest: forwarded by the desk that signed it.
        let mut received = opened(
            "shinjuku-iea",
            "osaka-ngo",
            ThreadId::random(),
            ForwardContent::content_type(),
            &forward("shinjuku-iea"),
        );
        assert!(matches!(received.body, Body::Forward(_)));
        // The same envelope with content naming another desk.
        let lie = forward("covic-intake");
        received.opened.header.content_len = lie.len() as u32;
        received.opened.content = zeroize::Zeroizing::new(lie);
        let err = decode(&received.opened).unwrap_err();
        assert_eq!(err.exit(), Exit::Verification, "{}", err.error());
        assert!(err.error().to_string().contains("covic-intake"));
    }

    #[test]
    fn a_packet_is_accepted_only_as_the_one_asked_for_and_for_this_desk() {
        let received = opened_packet();
        let id = received.opened.header.packet_id;
        let desk: DeskId = "shinjuku-iea".parse().unwrap();
        let sender: DeskId = "covic-intake".parse().unwrap();
        check_addressing(&received, Some(&id), &desk).unwrap();
        // The sending desk's colleagues may read it too.
        check_addressing(&received, Some(&id), &sender).unwrap();
        // Unsealed from a file: no id was asked for.
        check_addressing(&received, None, &desk).unwrap();

        // A broker serving another packet than the one asked for.
        let err = check_addressing(&received, Some(&PacketId::random()), &desk).unwrap_err();
        assert_eq!(err.exit(), Exit::Verification, "{}", err.error());
        // A packet between two other desks.
        let other: DeskId = "osaka-ngo".parse().unwrap();
        let err = check_addressing(&received, Some(&id), &other).unwrap_err();
        assert_eq!(err.exit(), Exit::Verification, "{}", err.error());
    }

    #[test]
    fn unknown_content_types_are_refused_after_verification() {
        let mut received = opened_packet();
        received.opened.header.content_type = "survey.v9".parse().unwrap();
        let err = decode(&received.opened).unwrap_err();
        assert_eq!(err.exit(), Exit::User);
        assert!(err.error().to_string().contains("survey.v9"));
    }
}
