//! Rewrap (ADR 0004, point 5): a sealed packet's stanza for a device's
//! retired key becomes a stanza for its current key, and nothing else in the
//! file changes.
//!
//! - the result has the same length (so the same bucket), the same bytes
//!   after the header, and differs from the original only in that stanza's
//!   two lines and the MAC line;
//! - the new identity opens it (alongside the retired one, as a reader's
//!   keystore holds both), the other recipients still open it, and the retired
//!   identity alone no longer does;
//! - Debian's `age` (the Go implementation) decrypts it with the new key to
//!   the same plaintext: the result is standard age;
//! - bad MACs, packets for other keys, packets already rewrapped, duplicate
//!   stanzas and truncated or mutated input are refused without panicking;
//! - `age_header_len` is where age put the payload nonce.

use crate::common;

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::slice;
use std::sync::OnceLock;

use age::secrecy::ExposeSecret;
// Most of these tests are about X25519 stanzas (their sizes, Go age's view
// of them); the hybrid ones make `Identity::generate_post_quantum()`.
use age_core::format::Stanza;
use common::*;
use proptest::prelude::*;
use referral_protocol::AgeIdentity as Identity;
use referral_protocol::rewrap::{self, RewrapError, Rewrapped};
use referral_protocol::{
    HeaderError, HeaderLimits, OpenError, Sealed, check_header, decrypt, padding,
};

const VERSION_LINE: &[u8] = b"age-encryption.org/v1\n";

/// A packet from `sender` to the devices A, B and C; B then rotated from
/// `b_old` to `b_new`.
struct Fixture {
    sender: Device,
    a: Identity,
    b_old: Identity,
    b_new: Identity,
    c: Identity,
    content: Vec<u8>,
    attachment: Vec<u8>,
    packet: Vec<u8>,
    sealed: Sealed,
}

fn fixture() -> Fixture {
    let sender = Device::new("shinjuku-iea");
    let [a, b_old, b_new, c]: [Identity; 4] = identities(4)
        .try_into()
        .unwrap_or_else(|_| unreachable!("four identities"));
    let content = small_referral();
    // Longer than one 64 KiB STREAM chunk, so the payload has several.
    let attachment = random_bytes(70_000);
    let attachments = [common::attachment(
        "letter.pdf",
        "application/pdf",
        attachment.clone(),
    )];
    let recipients = vec![a.recipient(), b_old.recipient(), c.recipient()];
    let (packet, sealed) = seal_simple(&sender, recipients, &content, &attachments);
    Fixture {
        sender,
        a,
        b_old,
        b_new,
        c,
        content,
        attachment,
        packet,
        sealed,
    }
}

/// One fixture for the property tests, which run many cases.
fn shared_fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(fixture)
}

/// Rewraps a whole file in memory with the streaming API.
fn rewrap_vec(
    file: &[u8],
    retired: &Identity,
    current: &Identity,
) -> Result<(Vec<u8>, Rewrapped), RewrapError> {
    let mut out = Vec::new();
    let done = rewrap::rewrap(file, &mut out, retired, current)?;
    assert_eq!(
        done.bytes,
        out.len() as u64,
        "reported bytes = bytes written"
    );
    Ok((out, done))
}

/// The header of a sealed file (by the protocol's own measure).
fn header_of(file: &[u8]) -> &[u8] {
    &file[..rewrap::age_header_len(file).expect("a well-formed header")]
}

/// A stanza as it sits in a header: its bytes, where they start, its first
/// line's index among the header's lines, and the parsed stanza.
struct Located<'a> {
    raw: &'a [u8],
    offset: usize,
    first_line: usize,
    stanza: Stanza,
}

/// Splits a header into its stanzas with age's own parser (independent of
/// the code under test).
fn stanzas(header: &[u8]) -> Vec<Located<'_>> {
    assert!(header.starts_with(VERSION_LINE));
    let mut offset = VERSION_LINE.len();
    let mut line = 1;
    let mut out = Vec::new();
    while !header[offset..].starts_with(b"---") {
        let (rest, stanza) =
            age_core::format::read::age_stanza(&header[offset..]).expect("a stanza");
        let end = header.len() - rest.len();
        let raw = &header[offset..end];
        out.push(Located {
            raw,
            offset,
            first_line: line,
            stanza: stanza.into(),
        });
        line += raw.iter().filter(|b| **b == b'\n').count();
        offset = end;
    }
    out
}

/// Indexes of the stanzas `identity` unwraps.
fn unwrapped_by(header: &[u8], identity: &Identity) -> Vec<usize> {
    stanzas(header)
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(identity.as_age().unwrap_stanza(&s.stanza), Some(Ok(_))))
        .map(|(i, _)| i)
        .collect()
}

/// Decrypts an age file with one identity, the age layer alone (no envelope
/// checks): what any age implementation would return.
fn age_plaintext(file: &[u8], identity: &Identity) -> Vec<u8> {
    let (mut reader, _) = decrypt(file, &[identity.as_age()]).expect("decrypt");
    let mut plaintext = Vec::new();
    reader
        .read_to_end(&mut plaintext)
        .expect("read the plaintext");
    plaintext
}

fn lines(header: &[u8]) -> Vec<&[u8]> {
    header.split_inclusive(|b| *b == b'\n').collect()
}

/// Replaces the first character of the MAC's base64 with another one. The
/// first character carries six significant bits, so the text stays canonical
/// and only the MAC's value changes.
fn corrupt_mac(header: &[u8]) -> Vec<u8> {
    let mut bad = header.to_vec();
    let at = bad.len() - 44;
    assert_eq!(&bad[at - 4..at], b"--- ");
    bad[at] = if bad[at] == b'A' { b'B' } else { b'A' };
    bad
}

// ---------------------------------------------------------------------------
// What changes and what does not.

#[test]
fn rewrap_replaces_only_the_retired_stanza() {
    let f = fixture();
    let (out, done) = rewrap_vec(&f.packet, &f.b_old, &f.b_new).expect("rewrap");

    // Same length, so the same bucket.
    assert_eq!(out.len(), f.packet.len());
    assert_eq!(done.bytes, f.sealed.bytes);
    assert!(padding::is_bucket(done.bytes));

    // The payload nonce and every STREAM chunk are untouched.
    let h = done.header_len;
    assert_eq!(h, common::age_header_len(&f.packet));
    assert_eq!(h, rewrap::age_header_len(&out).unwrap());
    assert!(out[h..] == f.packet[h..], "bytes after the header changed");

    // The broker's key-less check accepts the result as it did the original.
    let limits = HeaderLimits::default();
    assert_eq!(
        check_header(&out, done.bytes, &limits).unwrap(),
        check_header(&f.packet, f.sealed.bytes, &limits).unwrap()
    );

    // B's stanza is in the same place; its two lines and the MAC line are
    // the only lines that differ.
    let (old_h, new_h) = (&f.packet[..h], &out[..h]);
    let at = unwrapped_by(old_h, &f.b_old);
    assert_eq!(at.len(), 1, "the sealer writes one stanza per key");
    assert_eq!(unwrapped_by(new_h, &f.b_new), at);
    assert!(unwrapped_by(new_h, &f.b_old).is_empty());
    for other in [&f.a, &f.c] {
        assert_eq!(unwrapped_by(new_h, other), unwrapped_by(old_h, other));
    }
    let (old_lines, new_lines) = (lines(old_h), lines(new_h));
    assert_eq!(old_lines.len(), new_lines.len());
    let changed: Vec<usize> = (0..old_lines.len())
        .filter(|&i| old_lines[i] != new_lines[i])
        .collect();
    let b_line = stanzas(old_h)[at[0]].first_line;
    assert_eq!(changed, [b_line, b_line + 1, old_lines.len() - 1]);
    assert!(new_lines[b_line].starts_with(b"-> X25519 "));
    assert!(new_lines[old_lines.len() - 1].starts_with(b"--- "));
}

#[test]
fn readers_open_the_rewrapped_packet() {
    let f = fixture();
    let (out, _) = rewrap_vec(&f.packet, &f.b_old, &f.b_new).expect("rewrap");
    let senders = directory(&[&f.sender]);

    // B's keystore after the rotation: current key first, retired key kept.
    let (opened, files) =
        open_bytes(&out, &[f.b_new.clone(), f.b_old.clone()], &senders).expect("B opens");
    assert_eq!(opened.identity_index, 0, "the new key decrypted it");
    assert_eq!(
        opened.header, f.sealed.header,
        "the signed header is as sealed"
    );
    assert_eq!(opened.content.as_slice(), f.content.as_slice());
    assert_eq!(files.files, slice::from_ref(&f.attachment));
    assert_eq!(opened.ciphertext_bytes, f.sealed.bytes);

    // A and C did not rotate and still open it with their only keys.
    for other in [&f.a, &f.c] {
        let (opened, _) = open_bytes(&out, slice::from_ref(other), &senders).expect("A/C opens");
        assert_eq!(opened.content.as_slice(), f.content.as_slice());
    }

    // The retired key's stanza is gone.
    let err = open_bytes(&out, slice::from_ref(&f.b_old), &senders).unwrap_err();
    assert!(matches!(err, OpenError::NoMatchingKey), "{err:?}");

    // The new key alone decrypts, but the signed recipient set names only
    // the retired key; a reader proves the two are the same device's by
    // holding both.
    let err = open_bytes(&out, slice::from_ref(&f.b_new), &senders).unwrap_err();
    assert!(matches!(err, OpenError::RecipientSetMismatch), "{err:?}");
}

#[test]
fn grease_stanza_is_kept_byte_for_byte() {
    // age writes one random grease stanza (0 to 99 body bytes, so zero to two
    // body lines) into every file; several packets cover a few shapes.
    for _ in 0..8 {
        let f = fixture();
        let (out, done) = rewrap_vec(&f.packet, &f.b_old, &f.b_new).expect("rewrap");
        let grease = |header: &[u8]| -> Vec<(usize, Vec<u8>)> {
            stanzas(header)
                .iter()
                .filter(|s| s.stanza.tag.ends_with("-grease"))
                .map(|s| (s.offset, s.raw.to_vec()))
                .collect()
        };
        let before = grease(&f.packet[..done.header_len]);
        assert_eq!(before.len(), 1, "age greases every header");
        assert_eq!(grease(&out[..done.header_len]), before);
    }
}

#[test]
fn largest_header_rewraps_in_place() {
    // 160 recipients: the envelope's maximum, close to the 16 KiB header limit.
    let sender = Device::new("shinjuku-iea");
    let ids = identities(160);
    let content = small_referral();
    let (packet, sealed) = seal_simple(&sender, recipients_of(&ids), &content, &[]);
    let new = Identity::generate_classic();
    let (out, done) = rewrap_vec(&packet, &ids[97], &new).expect("rewrap");
    assert_eq!(out.len(), packet.len());
    assert!(out[done.header_len..] == packet[done.header_len..]);
    assert!(check_header(&out, sealed.bytes, &HeaderLimits::default()).is_ok());
    assert!(age_plaintext(&out, &new) == age_plaintext(&packet, &ids[97]));
}

#[test]
fn header_and_streaming_forms_agree() {
    let f = fixture();
    let header = header_of(&f.packet);
    let new_header = rewrap::rewrap_header(header, &f.b_old, &f.b_new).expect("rewrap");
    assert_eq!(new_header.len(), header.len());
    assert_eq!(rewrap::age_header_len(&new_header).unwrap(), header.len());
    // The header form's output, followed by the original payload, is a
    // complete age file with the original plaintext.
    let mut file = new_header;
    file.extend_from_slice(&f.packet[header.len()..]);
    assert!(age_plaintext(&file, &f.b_new) == age_plaintext(&f.packet, &f.b_old));
}

/// Hands out one byte per read and an `Interrupted` error before each, the
/// least helpful reader the streaming form must cope with.
struct Dribble<'a> {
    data: &'a [u8],
    interrupt: bool,
}

impl Read for Dribble<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = buf.len().min(self.data.len()).min(1);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn streaming_form_copes_with_short_reads() {
    let f = fixture();
    let mut out = Vec::new();
    let input = Dribble {
        data: &f.packet,
        interrupt: false,
    };
    let done = rewrap::rewrap(input, &mut out, &f.b_old, &f.b_new).expect("rewrap");
    assert_eq!(done.bytes, f.packet.len() as u64);
    assert!(out[done.header_len..] == f.packet[done.header_len..]);
    assert_eq!(unwrapped_by(header_of(&out), &f.b_new).len(), 1);
}

// ---------------------------------------------------------------------------
// Interoperability: the result is a standard age file.

fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The age CLI, or `None` after a loud banner (a panic in CI).
fn age_cli() -> Option<PathBuf> {
    let path = Path::new("/usr/bin/age");
    if path.exists() {
        return Some(path.to_owned());
    }
    if running_in_ci() {
        panic!("/usr/bin/age is missing and CI is set: `apt-get install -y age`");
    }
    let rule = "!".repeat(72);
    let banner = format!(
        "\n{rule}\n!! SKIPPED: /usr/bin/age is not installed.\n\
         !! The age CLI interoperability test of rewrap did NOT run.\n\
         !! Install it with `apt-get install -y age`.\n{rule}\n"
    );
    // To the stderr handle, not `eprintln!`, which the harness hides for a
    // passing test: a skip must show on a plain `cargo test`.
    let _ = io::Write::write_all(&mut io::stderr().lock(), banner.as_bytes());
    None
}

/// Runs `age -d -i identity file` and returns its exit status and stdout.
fn age_decrypt(age: &Path, identity: &Path, file: &Path) -> (bool, Vec<u8>) {
    let out = Command::new(age)
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(file)
        .output()
        .expect("run age");
    (out.status.success(), out.stdout)
}

#[test]
fn age_cli_decrypts_the_rewrapped_packet() {
    let Some(age) = age_cli() else { return };
    let f = fixture();
    let (out, _) = rewrap_vec(&f.packet, &f.b_old, &f.b_new).expect("rewrap");

    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    };
    let identity_file = |name: &str, id: &Identity| {
        let secret = id.to_secret_string();
        write(name, format!("{}\n", secret.expose_secret()).as_bytes())
    };
    let old_key = identity_file("old.txt", &f.b_old);
    let new_key = identity_file("new.txt", &f.b_new);
    let a_key = identity_file("a.txt", &f.a);
    let original = write("original.age", &f.packet);
    let rewrapped = write("rewrapped.age", &out);

    let (ok, before) = age_decrypt(&age, &old_key, &original);
    assert!(ok, "age decrypts the original with the old key");
    let (ok, after) = age_decrypt(&age, &new_key, &rewrapped);
    assert!(ok, "age decrypts the rewrapped packet with the new key");
    assert!(after == before, "age's plaintexts differ");
    assert!(
        after.starts_with(b"RFPK\x02"),
        "the plaintext is the envelope"
    );

    let (ok, by_a) = age_decrypt(&age, &a_key, &rewrapped);
    assert!(ok && by_a == before, "A still decrypts with age");
    let (ok, _) = age_decrypt(&age, &old_key, &rewrapped);
    assert!(!ok, "the old key no longer decrypts the rewrapped packet");
}

// ---------------------------------------------------------------------------
// Refusals.

#[test]
fn corrupted_mac_is_refused() {
    let f = fixture();
    let header = header_of(&f.packet);
    let bad = corrupt_mac(header);
    assert!(matches!(
        rewrap::rewrap_header(&bad, &f.b_old, &f.b_new),
        Err(RewrapError::BadMac)
    ));

    // The streaming form writes nothing for a header it refuses.
    let mut file = bad.clone();
    file.extend_from_slice(&f.packet[header.len()..]);
    let mut out = Vec::new();
    assert!(matches!(
        rewrap::rewrap(file.as_slice(), &mut out, &f.b_old, &f.b_new),
        Err(RewrapError::BadMac)
    ));
    assert!(out.is_empty());
}

#[test]
fn reordered_stanzas_are_refused() {
    // Swapping two recipients' stanzas keeps the grammar and every stanza
    // valid, but the MAC covers their order.
    let f = fixture();
    let header = header_of(&f.packet);
    let all = stanzas(header);
    let (i, j) = (unwrapped_by(header, &f.a)[0], unwrapped_by(header, &f.c)[0]);
    let (first, second) = (&all[i.min(j)], &all[i.max(j)]);
    let mut swapped = header[..first.offset].to_vec();
    swapped.extend_from_slice(second.raw);
    swapped.extend_from_slice(&header[first.offset + first.raw.len()..second.offset]);
    swapped.extend_from_slice(first.raw);
    swapped.extend_from_slice(&header[second.offset + second.raw.len()..]);
    assert_eq!(swapped.len(), header.len());
    assert_ne!(swapped, header);
    assert!(matches!(
        rewrap::rewrap_header(&swapped, &f.b_old, &f.b_new),
        Err(RewrapError::BadMac)
    ));
}

#[test]
fn packet_for_other_keys_is_refused() {
    let f = fixture();
    let stranger = Identity::generate_classic();
    assert!(matches!(
        rewrap_vec(&f.packet, &stranger, &f.b_new),
        Err(RewrapError::NotAddressedToThisKey)
    ));
}

#[test]
fn rewrapped_packet_is_already_current() {
    let f = fixture();
    let (out, _) = rewrap_vec(&f.packet, &f.b_old, &f.b_new).expect("rewrap");
    assert!(matches!(
        rewrap_vec(&out, &f.b_old, &f.b_new),
        Err(RewrapError::AlreadyCurrent)
    ));
    // A packet sealed to the current key from the start.
    let content = small_referral();
    let (fresh, _) = seal_simple(
        &f.sender,
        vec![f.a.recipient(), f.b_new.recipient()],
        &content,
        &[],
    );
    assert!(matches!(
        rewrap_vec(&fresh, &f.b_old, &f.b_new),
        Err(RewrapError::AlreadyCurrent)
    ));
    // Retired and current the same key: nothing to do either.
    assert!(matches!(
        rewrap_vec(&f.packet, &f.b_old, &f.b_old),
        Err(RewrapError::AlreadyCurrent)
    ));
    // Already current is reported only for a header whose MAC verifies.
    assert!(matches!(
        rewrap::rewrap_header(&corrupt_mac(header_of(&out)), &f.b_old, &f.b_new),
        Err(RewrapError::BadMac)
    ));
}

#[test]
fn two_stanzas_for_the_retired_key_are_refused() {
    // age does not de-duplicate recipients; the sealer does, so this file is
    // made with age directly.
    let (a, b) = (Identity::generate_classic(), Identity::generate_classic());
    let file = age_encrypt(
        b"not an envelope",
        &[a.recipient(), b.recipient(), b.recipient()],
    );
    assert_eq!(unwrapped_by(header_of(&file), &b).len(), 2);
    assert!(matches!(
        rewrap_vec(&file, &b, &Identity::generate_classic()),
        Err(RewrapError::DuplicateStanza)
    ));
}

#[test]
fn truncated_input_is_refused() {
    let f = fixture();
    let h = rewrap::age_header_len(&f.packet).unwrap();
    for cut in 0..h {
        let prefix = &f.packet[..cut];
        assert!(
            matches!(
                rewrap::age_header_len(prefix),
                Err(RewrapError::Malformed(HeaderError::Truncated(_)))
            ),
            "age_header_len of {cut} bytes"
        );
        assert!(
            matches!(
                rewrap::rewrap_header(prefix, &f.b_old, &f.b_new),
                Err(RewrapError::Malformed(HeaderError::Truncated(_)))
            ),
            "rewrap_header of {cut} bytes"
        );
        assert!(
            matches!(
                rewrap_vec(prefix, &f.b_old, &f.b_new),
                Err(RewrapError::Malformed(HeaderError::Truncated(_)))
            ),
            "rewrap of {cut} bytes"
        );
    }
    // A whole header with less than the payload nonce and one tag after it.
    for extra in [0, 16, 31] {
        assert!(matches!(
            rewrap_vec(&f.packet[..h + extra], &f.b_old, &f.b_new),
            Err(RewrapError::Malformed(HeaderError::Truncated(_)))
        ));
    }
    // The header form takes the header and nothing after it.
    assert!(matches!(
        rewrap::rewrap_header(&f.packet[..h + 1], &f.b_old, &f.b_new),
        Err(RewrapError::Malformed(HeaderError::Malformed(_)))
    ));
}

#[test]
fn armored_packet_is_refused() {
    let f = fixture();
    let armored = b"-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n";
    assert!(matches!(
        rewrap_vec(armored, &f.b_old, &f.b_new),
        Err(RewrapError::Malformed(HeaderError::Armored))
    ));
}

// ---------------------------------------------------------------------------
// Where the header ends.

#[test]
fn header_len_is_where_age_put_the_payload_nonce() {
    let ids = identities(3);
    let plaintext = content_of_len(1000);
    // No padding: the payload is exactly age's framing of the plaintext, so
    // the nonce starts at the file length minus the payload length.
    let file = age_encrypt_with(&plaintext, &recipients_of(&ids), |_, n| n, |_| {});
    let nonce_at = file.len() - padding::age_payload_len(plaintext.len() as u64) as usize;

    assert_eq!(rewrap::age_header_len(&file).unwrap(), nonce_at);
    assert_eq!(rewrap::age_header_len(&file[..nonce_at]).unwrap(), nonce_at);
    assert_eq!(common::age_header_len(&file), nonce_at);

    // The streaming form uses the same boundary and leaves the nonce alone.
    let new = Identity::generate_classic();
    let (out, done) = rewrap_vec(&file, &ids[1], &new).expect("rewrap");
    assert_eq!(done.header_len, nonce_at);
    assert_eq!(out[nonce_at..nonce_at + 16], file[nonce_at..nonce_at + 16]);
    assert_eq!(rewrap::age_header_len(&out).unwrap(), nonce_at);
}

#[test]
fn header_len_agrees_across_sealed_packets() {
    for n in [1, 2, 5, 40] {
        let sender = Device::new("shinjuku-iea");
        let ids = identities(n);
        let (packet, sealed) = seal_simple(&sender, recipients_of(&ids), &small_referral(), &[]);
        let h = rewrap::age_header_len(&packet).unwrap();
        let summary = check_header(&packet, sealed.bytes, &HeaderLimits::default()).unwrap();
        assert_eq!(h, summary.header_len);
        assert_eq!(h, common::age_header_len(&packet));
        let (_, done) = rewrap_vec(&packet, &ids[n - 1], &Identity::generate_classic()).unwrap();
        assert_eq!(done.header_len, h);
    }
}

// ---------------------------------------------------------------------------
// Never a panic.

/// A mutation of a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
}

fn apply(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let mut v = bytes.to_vec();
    match *m {
        Mutation::Set(at, b) => {
            let at = at % v.len();
            v[at] = b;
        }
        Mutation::Insert(at, b) => v.insert(at % (v.len() + 1), b),
        Mutation::Delete(at, n) => {
            let at = at % v.len();
            v.drain(at..(at + n).min(v.len()));
        }
    }
    v
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Bytes from the header's own alphabet hit the parser's deeper paths
    // more often than uniform bytes do.
    let byte = prop_oneof![
        any::<u8>(),
        prop::sample::select(b"-> X25519+/=AQgw09\n -".to_vec()),
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(at, b)| Mutation::Set(at, b)),
        (any::<usize>(), byte).prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<usize>(), 1usize..100).prop_map(|(at, n)| Mutation::Delete(at, n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_input_never_panics(
        tail in prop::collection::vec(any::<u8>(), 0..600),
        prefixed in any::<bool>(),
    ) {
        let f = shared_fixture();
        let mut input = if prefixed {
            b"age-encryption.org/v1\n-> X25519 ".to_vec()
        } else {
            Vec::new()
        };
        input.extend_from_slice(&tail);
        let _ = rewrap::age_header_len(&input);
        prop_assert!(rewrap::rewrap_header(&input, &f.b_old, &f.b_new).is_err());
        prop_assert!(rewrap_vec(&input, &f.b_old, &f.b_new).is_err());
    }

    /// Any change to a real header is refused: it breaks the grammar, the
    /// stanza B's key unwraps, or the MAC. The header passes the length and
    /// MAC checks only when the mutation left it as it was.
    #[test]
    fn mutated_header_is_refused_or_unchanged(m in mutation()) {
        let f = shared_fixture();
        let header = header_of(&f.packet);
        let mutated = apply(header, &m);
        match rewrap::rewrap_header(&mutated, &f.b_old, &f.b_new) {
            Ok(new) => {
                prop_assert_eq!(&mutated[..], header);
                prop_assert_eq!(new.len(), header.len());
            }
            Err(RewrapError::LengthChanged { .. } | RewrapError::Wrap(_) | RewrapError::Io(_)) => {
                prop_assert!(false, "unexpected refusal for {:?}", m);
            }
            Err(_) => prop_assert_ne!(&mutated[..], header),
        }
        // The same through the streaming form, payload attached.
        let mut file = mutated;
        file.extend_from_slice(&f.packet[header.len()..]);
        let _ = rewrap::age_header_len(&file);
        let _ = rewrap_vec(&file, &f.b_old, &f.b_new);
    }
}
