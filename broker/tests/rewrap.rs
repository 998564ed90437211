//! `POST /v1/packets/{id}/rewrap` (ADR 0004): after a desk device rotates
//! its age key, it moves its stanza in each pending packet from the retired
//! key to the current one. The broker takes the new bytes only from the
//! recipient desk, only for a pending packet, only if they replace exactly
//! the stored ciphertext (by hash), and only if nothing but the age header
//! changed. Refusals change nothing.

mod common;

use common::{TestApp, TestDevice, Upload, assert_error, get_json, post_packet};
use referral_protocol::api::HEADER_REPLACES;
use referral_protocol::envelope::sha256;
use referral_protocol::{
    AgeIdentity, Attachment, AttachmentSource, DiscardAttachments, KnownSenders, OpenError,
    PacketId, ThreadId, open,
};
use reqwest::StatusCode;
use serde_json::Value;

struct Setup {
    app: TestApp,
    admin: TestDevice,
    cw: TestDevice,
    member: TestDevice,
    member_token: String,
    cw_token: String,
    id: PacketId,
    sealed: Vec<u8>,
    content: Vec<u8>,
}

/// A caseworker's packet to a desk member, whose age key has since been
/// replaced (the packet's stanza for it is to the retired key). An
/// attachment of `attachment_len` bytes makes the packet as large as needed.
async fn setup(attachment_len: usize) -> (Setup, AgeIdentity) {
    let app = TestApp::spawn().await;
    let (admin, cw, mut member) = app.with_two_desks().await;
    let (cw_token, member_token) = (cw.token(&app).await, member.token(&app).await);
    let (id, thread) = (PacketId::random(), ThreadId::random());
    let content = b"{\"case\":\"rewrap canary\"}".to_vec();
    let attachments = [Attachment {
        name: "scan.pdf".into(),
        media_type: "application/pdf".into(),
        source: AttachmentSource::Bytes(vec![0x25; attachment_len]),
    }];
    let sealed = cw.seal_with(
        &member,
        id,
        thread,
        &content,
        &attachments[..usize::from(attachment_len > 0)],
    );
    let (status, body) = post_packet(
        &app,
        &cw_token,
        &Upload::referral(id, thread, "shinjuku-iea"),
        sealed.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let retired = std::mem::replace(&mut member.identity, AgeIdentity::generate_classic());
    (
        Setup {
            app,
            admin,
            cw,
            member,
            member_token,
            cw_token,
            id,
            sealed,
            content,
        },
        retired,
    )
}

impl Setup {
    async fn rewrap(
        &self,
        token: &str,
        replaces: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .app
            .http
            .post(self.app.url(&format!("/v1/packets/{}/rewrap", self.id)))
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(body);
        if let Some(hash) = replaces {
            req = req.header(HEADER_REPLACES, hash);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn stored(&self) -> Vec<u8> {
        let res = self
            .app
            .http
            .get(self.app.url(&format!("/v1/packets/{}", self.id)))
            .bearer_auth(&self.member_token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.bytes().await.unwrap().to_vec()
    }

    fn senders(&self) -> KnownSenders {
        let mut senders = KnownSenders::new();
        senders.add(
            self.cw.id,
            "covic-intake".parse().unwrap(),
            self.cw.key.verifying_key(),
        );
        senders
    }
}

/// What `referral rewrap` produces: the same file with the member's stanza
/// moved from `retired` to its current key.
fn rewrapped(sealed: &[u8], retired: &AgeIdentity, current: &AgeIdentity) -> Vec<u8> {
    let mut out = Vec::new();
    referral_protocol::rewrap(sealed, &mut out, retired, current).expect("rewraps");
    out
}

async fn rewrap_story(attachment_len: usize) -> usize {
    let (s, retired) = setup(attachment_len).await;
    let new = rewrapped(&s.sealed, &retired, &s.member.identity);
    assert_eq!(new.len(), s.sealed.len());
    let old_hash = hex::encode(sha256(&s.sealed));
    // One flipped byte in the last stored chunk is found, however far in.
    let mut late = new.clone();
    *late.last_mut().unwrap() ^= 0x80;
    let (status, body) = s.rewrap(&s.member_token, Some(&old_hash), late).await;
    assert_error(status, &body, 422, "payload_changed");
    assert_eq!(s.stored().await, s.sealed);

    let (status, body) = s
        .rewrap(&s.member_token, Some(&old_hash), new.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["packet_id"], s.id.to_string());
    assert_eq!(body["bytes"], new.len() as u64);
    assert_eq!(body["delivery"], "pending");

    // The broker now serves the new bytes, which the member opens with its
    // current key (its retired one, still in its keystore, names it among
    // the signed recipients); the retired key alone opens nothing now.
    let stored = s.stored().await;
    assert_eq!(stored, new);
    let keys = [s.member.identity.clone(), retired.clone()];
    let opened = open(
        stored.as_slice(),
        &keys,
        &s.senders(),
        &mut DiscardAttachments,
    )
    .expect("the rewrapped packet opens and verifies");
    assert_eq!(opened.content.as_slice(), s.content.as_slice());
    assert!(matches!(
        open(
            stored.as_slice(),
            std::slice::from_ref(&retired),
            &s.senders(),
            &mut DiscardAttachments
        ),
        Err(OpenError::NoMatchingKey | OpenError::Decrypt(_))
    ));
    // The old hash no longer names what is stored.
    let (status, body) = s
        .rewrap(&s.member_token, Some(&old_hash), new.clone())
        .await;
    assert_error(status, &body, 409, "stale_ciphertext");
    new.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_desk_device_rewraps_its_pending_packet() {
    rewrap_story(0).await;
}

/// Larger than a store chunk: the upload is spooled to disk and compared
/// with the stored chunks one at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_packet_rewraps_chunk_by_chunk() {
    let len = rewrap_story(2_500_000).await;
    assert!(len > 2 * referral_store::body::CHUNK_BYTES, "{len} bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewrap_may_change_only_the_header() {
    let (s, retired) = setup(0).await;
    let new = rewrapped(&s.sealed, &retired, &s.member.identity);
    let hash = hex::encode(sha256(&s.sealed));
    let header = referral_protocol::age_header_len(&new).unwrap();

    // The payload changed: its last byte, the nonce right after the header.
    for at in [new.len() - 1, header] {
        let mut changed = new.clone();
        changed[at] ^= 1;
        let (status, body) = s.rewrap(&s.member_token, Some(&hash), changed).await;
        assert_error(status, &body, 422, "payload_changed");
    }
    // Another size: shorter, or the next bucket up.
    let (status, body) = s
        .rewrap(&s.member_token, Some(&hash), new[..new.len() - 16].to_vec())
        .await;
    assert_error(status, &body, 422, "payload_changed");
    let next_bucket = referral_protocol::padding::next_bucket(new.len() as u64);
    let mut bigger = new.clone();
    bigger.resize(usize::try_from(next_bucket).unwrap(), 0);
    let (status, body) = s.rewrap(&s.member_token, Some(&hash), bigger).await;
    assert_error(status, &body, 422, "payload_changed");
    // The same size, but not an age file the broker would take as a packet.
    let (status, body) = s
        .rewrap(&s.member_token, Some(&hash), vec![0; new.len()])
        .await;
    assert_error(status, &body, 422, "not_age");
    // A header that is another packet's, with this packet's size.
    let mut foreign = s.cw.seal_to(
        &s.member,
        PacketId::random(),
        ThreadId::random(),
        &vec![b'x'; 2_000],
    );
    foreign.resize(new.len(), 0);
    let (status, body) = s.rewrap(&s.member_token, Some(&hash), foreign).await;
    assert_error(status, &body, 422, "payload_changed");

    // Not the stored ciphertext's hash; no hash; a malformed one.
    let (status, body) = s
        .rewrap(&s.member_token, Some(&hex::encode([0u8; 32])), new.clone())
        .await;
    assert_error(status, &body, 409, "stale_ciphertext");
    let (status, body) = s.rewrap(&s.member_token, None, new.clone()).await;
    assert_error(status, &body, 400, "missing_header");
    let (status, body) = s
        .rewrap(&s.member_token, Some(&hash.to_uppercase()), new.clone())
        .await;
    assert_error(status, &body, 400, "bad_header");

    // Not the recipient: the sender's desk is told so, a third desk sees
    // no such packet, and an unknown packet is the same 404.
    let (status, body) = s.rewrap(&s.cw_token, Some(&hash), new.clone()).await;
    assert_error(status, &body, 403, "not_recipient");
    s.app.create_desk(&s.admin, "minato-npo").await;
    let third = s.app.enroll(&s.admin, "minato-npo", "desk").await;
    let third = third.token(&s.app).await;
    let (status, body) = s.rewrap(&third, Some(&hash), new.clone()).await;
    assert_error(status, &body, 404, "unknown_packet");
    let res = s
        .app
        .http
        .post(
            s.app
                .url(&format!("/v1/packets/{}/rewrap", PacketId::random())),
        )
        .bearer_auth(&s.member_token)
        .header(HEADER_REPLACES, &hash)
        .body(new.clone())
        .send()
        .await
        .unwrap();
    let status = res.status();
    assert_error(status, &res.json().await.unwrap(), 404, "unknown_packet");

    // Nothing changed.
    assert_eq!(s.stored().await, s.sealed);
    let inbox = common::inbox(&s.app, &s.member_token).await;
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0]["status"], "pending");

    // Once acknowledged, a packet is no longer rewrapped.
    let res = s
        .app
        .http
        .post(s.app.url(&format!("/v1/packets/{}/ack", s.id)))
        .bearer_auth(&s.member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, body) = s.rewrap(&s.member_token, Some(&hash), new).await;
    assert_error(status, &body, 409, "not_pending");
    let (status, _) = get_json(&s.app, &s.member_token, &format!("/v1/packets/{}", s.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s.stored().await, s.sealed, "the acknowledged bytes stay");
}

/// `new`'s header split into its stanzas and MAC line, and its payload.
struct Split {
    version: Vec<u8>,
    stanzas: Vec<Vec<u8>>,
    mac_line: Vec<u8>,
    payload: Vec<u8>,
}

impl Split {
    fn of(file: &[u8]) -> Self {
        let layout =
            referral_protocol::header_check::header_layout(file, &Default::default()).unwrap();
        Split {
            version: file[..layout.stanzas[0].start].to_vec(),
            stanzas: layout
                .stanzas
                .iter()
                .map(|r| file[r.clone()].to_vec())
                .collect(),
            mac_line: file[layout.mac_line.clone()].to_vec(),
            payload: file[layout.mac_line.end..].to_vec(),
        }
    }

    fn join(&self) -> Vec<u8> {
        [
            self.version.clone(),
            self.stanzas.concat(),
            self.mac_line.clone(),
            self.payload.clone(),
        ]
        .concat()
    }

    fn x25519(&self) -> Vec<usize> {
        (0..self.stanzas.len())
            .filter(|&i| self.stanzas[i].starts_with(b"-> X25519 "))
            .collect()
    }
}

/// Issue 14, item 5: any device of the desk holds the file key, so the
/// broker allows a rewrap to replace exactly one X25519 stanza. Each upload
/// here keeps the size and the payload (so the payload check alone let it
/// through) but does more than that; each is refused and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewrap_may_replace_one_stanza_only() {
    let (s, retired) = setup(0).await;
    let hash = hex::encode(sha256(&s.sealed));
    let honest = rewrapped(&s.sealed, &retired, &s.member.identity);
    let stored = Split::of(&s.sealed);
    let x25519 = stored.x25519();
    assert_eq!(x25519.len(), 2, "the member's and the caseworker's stanzas");
    let grease = (0..stored.stanzas.len())
        .find(|i| !x25519.contains(i))
        .expect("age writes a grease stanza");

    // Two stanzas rewritten: the member's own, and its colleague's (here
    // the caseworker's) moved to a key the member holds.
    let thief = AgeIdentity::generate_classic();
    let two = {
        let mut out = Vec::new();
        referral_protocol::rewrap(honest.as_slice(), &mut out, &s.cw.identity, &thief).unwrap();
        out
    };
    // The two X25519 stanzas swapped, under the honest rewrap's MAC.
    let mut swapped = Split::of(&honest);
    swapped.stanzas.swap(x25519[0], x25519[1]);
    // The colleague's stanza dropped, its 98 bytes made up as one more
    // argument of the grease stanza, so the header keeps its length.
    let mut dropped = Split::of(&honest);
    let colleague = x25519
        .iter()
        .copied()
        .find(|&i| dropped.stanzas[i] == stored.stanzas[i])
        .unwrap();
    let removed = dropped.stanzas[colleague].len();
    let line_end = dropped.stanzas[grease]
        .iter()
        .position(|b| *b == b'\n')
        .unwrap();
    let padding = [b" ".to_vec(), vec![b'x'; removed - 1]].concat();
    dropped.stanzas[grease].splice(line_end..line_end, padding);
    dropped.stanzas.remove(colleague);
    let dropped = dropped.join();
    assert_eq!(dropped.len(), s.sealed.len());

    for (upload, status_code, code) in [
        (two, 422, "rewrap_more_than_one_stanza"),
        (swapped.join(), 422, "rewrap_more_than_one_stanza"),
        (dropped, 422, "rewrap_stanza_count"),
        (s.sealed.clone(), 422, "rewrap_no_stanza_replaced"),
    ] {
        assert_eq!(upload.len(), s.sealed.len());
        let (status, body) = s.rewrap(&s.member_token, Some(&hash), upload).await;
        assert_error(status, &body, status_code, code);
        assert!(
            body["message"].as_str().unwrap().contains("stanza"),
            "{body}"
        );
        assert_eq!(s.stored().await, s.sealed, "a refusal changes nothing");
    }

    // The honest rewrap still goes through, and the caseworker can still
    // open what is stored.
    let (status, body) = s.rewrap(&s.member_token, Some(&hash), honest.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = s.stored().await;
    assert_eq!(stored, honest);
    open(
        stored.as_slice(),
        std::slice::from_ref(&s.cw.identity),
        &s.senders(),
        &mut DiscardAttachments,
    )
    .expect("the colleague's stanza is still there");
}
