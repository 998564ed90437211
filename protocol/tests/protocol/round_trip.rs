//! Seal then open: content, attachments and header come back exactly as
//! given, for every padding bucket up to 2 MiB (and a few above), for 1, 2 and
//! 50 recipients, and for attachments at the 64 KiB chunk edges; a 10 MiB
//! attachment streams from a file to a hashing sink in constant memory.

use crate::common;

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::process::Command;

use common::*;
use referral_protocol::envelope::{self, PRELUDE_LEN, SIGNATURE_LEN};
use referral_protocol::padding;
use referral_protocol::{
    Attachment, AttachmentMeta, AttachmentSink, AttachmentSource, OpenError, PacketHeader,
    RecipientKey, SealRequest, open, seal_with_progress,
};
use ring::digest::{Context, SHA256};

/// An attachment as (name, media type, bytes).
type NamedBytes = (String, String, Vec<u8>);

/// Asserts that `h` carries exactly what `req` asked for.
fn assert_header_as_given(h: &PacketHeader, req: &SealRequest<'_>, metas: &[AttachmentMeta]) {
    let want_recipients = PacketHeader::recipient_list(&req.recipients);
    assert_eq!(h.packet_id, req.packet_id);
    assert_eq!(h.thread_id, req.thread_id);
    assert_eq!(h.created_at, req.created_at);
    assert_eq!(h.sender_device, req.sender.device);
    assert_eq!(h.sender_desk, req.sender.desk);
    assert_eq!(h.sender_key, req.sender.key.verifying_key());
    assert_eq!(h.recipient_desk, req.recipient_desk);
    assert_eq!(h.content_type, req.content_type);
    assert_eq!(h.content_len as usize, req.content.len());
    assert_eq!(h.content_sha256, envelope::sha256(req.content));
    assert_eq!(h.attachments, metas);
    assert_eq!(h.recipients, want_recipients);
}

fn metas_of(atts: &[NamedBytes]) -> Vec<AttachmentMeta> {
    atts.iter()
        .map(|(name, mt, bytes)| AttachmentMeta {
            name: name.clone(),
            media_type: mt.clone(),
            bytes: bytes.len() as u64,
            sha256: envelope::sha256(bytes),
        })
        .collect()
}

/// Seals `content` and `atts` to one fresh identity, opens the result, and
/// checks everything came back byte for byte. Returns the ciphertext size.
fn round_trip_one(content: &[u8], atts: &[NamedBytes]) -> u64 {
    let sender = Device::new("shinjuku-iea");
    let reader = identities(1);
    let attachments: Vec<Attachment> = atts
        .iter()
        .map(|(n, mt, b)| attachment(n, mt, b.clone()))
        .collect();
    let req = request(
        &sender,
        "covic-intake",
        recipients_of(&reader),
        content,
        &attachments,
    );
    let (packet, sealed) = seal_to_vec(&req);
    assert!(
        padding::is_bucket(sealed.bytes),
        "{} is not a bucket",
        sealed.bytes
    );
    let metas = metas_of(atts);
    assert_header_as_given(&sealed.header, &req, &metas);

    let (opened, files) = open_bytes(&packet, &reader, &directory(&[&sender])).expect("open");
    assert_eq!(opened.header, sealed.header);
    assert_header_as_given(&opened.header, &req, &metas);
    assert_eq!(
        opened.content.as_slice(),
        content,
        "content must be byte-identical"
    );
    assert_eq!(files.files.len(), atts.len());
    for (i, (got, (_, _, want))) in files.files.iter().zip(atts).enumerate() {
        assert!(
            got == want,
            "attachment {i} differs ({} vs {} bytes)",
            got.len(),
            want.len()
        );
    }
    assert_eq!(opened.identity_index, 0);
    assert_eq!(opened.ciphertext_bytes, sealed.bytes);
    sealed.bytes
}

/// Envelope bytes before content for a packet shaped like `round_trip_one`'s
/// with `n_atts` attachments named `big-N.bin`.
fn envelope_overhead(n_atts: usize) -> u64 {
    let sender = Device::new("shinjuku-iea");
    let atts: Vec<Vec<u8>> = vec![Vec::new(); n_atts];
    let h = header_for(&sender, &recipients_of(&identities(1)), b"", &atts);
    // `header_for` names attachments `att-N.bin`; ours are `big-N.bin`, same length.
    (PRELUDE_LEN + h.encode().len() + SIGNATURE_LEN) as u64
}

/// Largest plaintext whose age payload is at most `payload` (which must
/// hold at least the nonce and one empty chunk).
fn max_plaintext_for_payload(payload: u64) -> u64 {
    assert!(padding::age_payload_len(0) <= payload);
    // age_payload_len is increasing: start below the answer and walk up.
    let mut p = payload.saturating_sub(32 + 16 * (payload / padding::AGE_CHUNK + 1));
    while padding::age_payload_len(p + 1) <= payload {
        p += 1;
    }
    p
}

/// Splits `total` plaintext bytes (after the envelope header) into content
/// alone, or 16 KiB of content and one attachment.
fn split(total: u64, with_attachment: bool) -> (Vec<u8>, Vec<NamedBytes>) {
    if !with_attachment {
        return (content_of_len(total as usize), Vec::new());
    }
    let content = content_of_len(16 * 1024);
    let rest = (total - 16 * 1024) as usize;
    let pool = random_pool();
    assert!(rest <= pool.len());
    let att = (
        "big-0.bin".to_owned(),
        "application/pdf".to_owned(),
        pool[..rest].to_vec(),
    );
    (content, vec![att])
}

/// The published bucket just below `bucket` (0 below the smallest).
fn prev_bucket(bucket: u64) -> u64 {
    let mut prev = 0;
    let mut b = padding::MIN_BUCKET;
    while b < bucket {
        prev = b;
        b = padding::next_bucket(b);
    }
    assert_eq!(b, bucket, "{bucket} is not a bucket");
    prev
}

fn buckets_under_test() -> Vec<u64> {
    let mut buckets = Vec::new();
    let mut b = padding::MIN_BUCKET;
    while b <= 2 << 20 {
        buckets.push(b);
        b = padding::next_bucket(b);
    }
    // A couple of Padmé buckets above 2 MiB.
    buckets.push(b);
    buckets.push(padding::bucket_for(3 << 20));
    buckets
}

#[test]
fn every_bucket_from_4_kib_to_2_mib_and_beyond_round_trips() {
    let buckets = buckets_under_test();
    // 9 powers of two (4 KiB..1 MiB), 32 Padmé steps to 2 MiB, 2 above.
    assert_eq!(buckets.len(), 9 + 32 + 2, "{buckets:?}");
    assert_eq!(buckets[8], 1 << 20);
    assert_eq!(buckets[9], (1 << 20) + (1 << 15));
    assert_eq!(buckets[40], 2 << 20);

    // One recipient: the age header is 168 bytes plus a grease stanza of at
    // most ~190, so 512 bytes of room always suffices.
    const MAX_AGE_HEADER_ONE_RECIPIENT: u64 = 512;
    let mut round_trips = 0;
    for &bucket in &buckets {
        let prev = prev_bucket(bucket);
        // Top of the bucket: as much as fits under the largest header.
        let top = max_plaintext_for_payload(bucket - MAX_AGE_HEADER_ONE_RECIPIENT);
        // Bottom: just past the previous bucket even with no header at all.
        let bottom = if prev == 0 {
            0
        } else {
            max_plaintext_for_payload(prev) + 1
        };
        for (edge, plaintext) in [("top", top), ("bottom", bottom)] {
            // Content alone while it fits its limit, else content plus one attachment.
            let with_attachment =
                plaintext > envelope_overhead(0) + u64::from(envelope::MAX_CONTENT_LEN);
            let overhead = envelope_overhead(usize::from(with_attachment));
            let plaintext = plaintext.max(overhead); // the smallest bucket's bottom: an empty referral
            let (content, atts) = split(plaintext - overhead, with_attachment);
            let got = round_trip_one(&content, &atts);
            assert_eq!(
                got,
                bucket,
                "{edge} of bucket {bucket}: plaintext {plaintext} ({} B content, {} attachment(s)) sealed to {got}",
                content.len(),
                atts.len()
            );
            round_trips += 1;
        }
    }
    assert_eq!(round_trips, 2 * buckets.len());
}

#[test]
fn one_two_and_fifty_recipients_each_open() {
    let sender = Device::new("shinjuku-iea");
    let dir = directory(&[&sender]);
    let content = small_referral();
    for n in [1usize, 2, 50] {
        let ids = identities(n);
        let req = request(&sender, "covic-intake", recipients_of(&ids), &content, &[]);
        let (packet, sealed) = seal_to_vec(&req);
        assert!(padding::is_bucket(sealed.bytes));
        assert_header_as_given(&sealed.header, &req, &[]);
        assert_eq!(sealed.header.recipients.len(), n);
        for (i, id) in ids.iter().enumerate() {
            let (opened, _) = open_bytes(&packet, std::slice::from_ref(id), &dir)
                .unwrap_or_else(|e| panic!("recipient {i} of {n} cannot open: {e}"));
            assert_eq!(opened.content.as_slice(), content.as_slice());
            assert_eq!(opened.identity_index, 0);
            assert_eq!(opened.header, sealed.header);
        }
        let outsider = identities(1);
        let err = open_bytes(&packet, &outsider, &dir).unwrap_err();
        assert!(
            matches!(err, OpenError::NoMatchingKey),
            "{n} recipients, outsider: {err}"
        );
    }
}

#[test]
fn identity_index_names_the_key_that_decrypted() {
    let sender = Device::new("shinjuku-iea");
    let dir = directory(&[&sender]);
    // A device after a key rotation passes [retired, current].
    let keys = identities(2);
    let (retired, current) = (keys[0].recipient(), keys[1].recipient());
    let content = small_referral();

    let (to_current, _) = seal_simple(&sender, vec![current.clone()], &content, &[]);
    let (opened, _) = open_bytes(&to_current, &keys, &dir).unwrap();
    assert_eq!(opened.identity_index, 1, "sealed to the current key");

    let (to_retired, _) = seal_simple(&sender, vec![retired.clone()], &content, &[]);
    let (opened, _) = open_bytes(&to_retired, &keys, &dir).unwrap();
    assert_eq!(
        opened.identity_index, 0,
        "an old packet sealed to the retired key"
    );

    // Other people's keys first in the list shift the index accordingly.
    let mut list = identities(3);
    list.extend(keys.iter().cloned());
    let (opened, _) = open_bytes(&to_current, &list, &dir).unwrap();
    assert_eq!(opened.identity_index, 4);
    let (opened, _) = open_bytes(&to_retired, &list, &dir).unwrap();
    assert_eq!(opened.identity_index, 3);
}

#[test]
fn recipients_are_sorted_and_deduplicated_before_signing() {
    let sender = Device::new("shinjuku-iea");
    let ids = identities(3);
    let r = recipients_of(&ids);
    let given = vec![
        r[2].clone(),
        r[0].clone(),
        r[2].clone(),
        r[1].clone(),
        r[0].clone(),
    ];
    let (packet, sealed) = seal_simple(&sender, given, b"{}", &[]);
    let mut want = r.clone();
    want.sort();
    assert_eq!(sealed.recipients, want);
    assert_eq!(sealed.header.recipients, PacketHeader::recipient_list(&r));
    for id in &ids {
        open_bytes(&packet, std::slice::from_ref(id), &directory(&[&sender])).unwrap();
    }
    // The age header carries one stanza per distinct recipient.
    let summary = referral_protocol::check_header(
        &packet,
        packet.len() as u64,
        &referral_protocol::HeaderLimits::default(),
    )
    .unwrap();
    assert_eq!(summary.recipient_stanzas, 3);
}

#[test]
fn attachments_at_chunk_edges_round_trip() {
    const K64: usize = 64 * 1024;
    let sizes = [0usize, 1, K64 - 1, K64, K64 + 1];
    let pool = random_pool();
    let named: Vec<NamedBytes> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            (
                format!("scan {i} (n={n}).pdf"),
                "application/pdf".to_owned(),
                pool[i..i + n].to_vec(),
            )
        })
        .collect();
    // Each alone, with a small and an empty content.
    for att in &named {
        round_trip_one(&small_referral(), std::slice::from_ref(att));
        round_trip_one(b"", std::slice::from_ref(att));
    }
    // All together, in order.
    round_trip_one(&small_referral(), &named);
}

#[test]
fn seal_refuses_what_the_format_cannot_carry() {
    use referral_protocol::{SealError, seal};
    let sender = Device::new("shinjuku-iea");
    let one = recipients_of(&identities(1));
    let small = small_referral();
    let try_seal = |recipients: Vec<RecipientKey>, content: &[u8], atts: &[Attachment]| {
        let mut out = Vec::new();
        let r = seal(
            &request(&sender, "covic-intake", recipients, content, atts),
            &mut out,
        );
        (r, out.len())
    };
    let (r, _) = try_seal(Vec::new(), &small, &[]);
    assert!(
        matches!(r, Err(SealError::RecipientCount { got: 0, .. })),
        "{r:?}"
    );
    let too_many = recipients_of(&identities(envelope::MAX_RECIPIENTS + 1));
    let (r, _) = try_seal(too_many, &small, &[]);
    assert!(
        matches!(r, Err(SealError::RecipientCount { got: 161, max: 160 })),
        "{r:?}"
    );
    let big = vec![b'x'; envelope::MAX_CONTENT_LEN as usize + 1];
    let (r, written) = try_seal(one.clone(), &big, &[]);
    assert!(
        matches!(r, Err(SealError::Envelope(_))),
        "content over the limit: {r:?}"
    );
    assert_eq!(written, 0, "nothing is written for a refused packet");
    for (name, media_type) in [
        ("../etc/passwd", "text/plain"),
        ("a\\b", "text/plain"),
        ("", "text/plain"),
        ("..", "text/plain"),
        ("ok.txt", "text"),
        ("ok.txt", "text/plain; charset=utf-8"),
    ] {
        let atts = [attachment(name, media_type, b"x".to_vec())];
        let (r, written) = try_seal(one.clone(), &small, &atts);
        assert!(
            matches!(r, Err(SealError::Envelope(_))),
            "{name:?} {media_type:?}: {r:?}"
        );
        assert_eq!(written, 0);
    }
    // The limits themselves are fine.
    let max = vec![b'x'; envelope::MAX_CONTENT_LEN as usize];
    let (r, _) = try_seal(one, &max, &[]);
    r.unwrap();
}

/// A sink that hashes attachments instead of keeping them, and checks that
/// it is fed in bounded chunks.
#[derive(Default)]
struct HashingSink {
    current: Option<Context>,
    lens: Vec<u64>,
    digests: Vec<[u8; 32]>,
    largest_chunk: usize,
    committed: bool,
}

impl AttachmentSink for HashingSink {
    fn begin(&mut self, _: usize, _: &AttachmentMeta) -> io::Result<()> {
        self.finish_current();
        self.current = Some(Context::new(&SHA256));
        self.lens.push(0);
        Ok(())
    }
    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.largest_chunk = self.largest_chunk.max(chunk.len());
        self.current.as_mut().expect("begin first").update(chunk);
        *self.lens.last_mut().expect("begin first") += chunk.len() as u64;
        Ok(())
    }
    fn commit(&mut self) -> io::Result<()> {
        self.finish_current();
        self.committed = true;
        Ok(())
    }
}

impl HashingSink {
    fn finish_current(&mut self) {
        if let Some(ctx) = self.current.take() {
            let mut d = [0u8; 32];
            d.copy_from_slice(ctx.finish().as_ref());
            self.digests.push(d);
        }
    }
}

/// Peak resident set size of this process, in KiB (Linux).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM line")
}

const TEN_MIB: u64 = 10 << 20;
const CHILD_ENV: &str = "REFERRAL_STREAMING_CHILD";
const CHILD_MARKER: &str = "STREAMING_RESULT peak_rss_growth_kib=";

/// The body of the 10 MiB test. Run on its own in a child process by
/// `ten_mib_attachment_streams_in_constant_memory`, so that the process's
/// peak RSS reflects this test alone.
#[test]
#[ignore = "run in a child process by ten_mib_attachment_streams_in_constant_memory"]
fn streaming_child_10_mib() {
    let dir = tempfile::tempdir().unwrap();
    let rss_before = peak_rss_kib();

    // Write the attachment in 64 KiB pieces, hashing as we go.
    let att_path = dir.path().join("scan.tiff");
    let mut file_hash = Context::new(&SHA256);
    {
        let mut f = BufWriter::new(File::create(&att_path).unwrap());
        let mut block = random_bytes(64 * 1024);
        let mut written = 0u64;
        while written < TEN_MIB {
            block[..8].copy_from_slice(&written.to_be_bytes()); // no two blocks alike
            f.write_all(&block).unwrap();
            file_hash.update(&block);
            written += block.len() as u64;
        }
        f.flush().unwrap();
    }
    let mut want = [0u8; 32];
    want.copy_from_slice(file_hash.finish().as_ref());

    let sender = Device::new("shinjuku-iea");
    let reader = identities(1);
    let atts = [Attachment {
        name: "scan.tiff".into(),
        media_type: "image/tiff".into(),
        source: AttachmentSource::Path(att_path.clone()),
    }];
    let content = small_referral();
    let req = request(
        &sender,
        "covic-intake",
        recipients_of(&reader),
        &content,
        &atts,
    );
    let packet_path = dir.path().join("packet.age");
    let mut last_progress = 0u64;
    let sealed = {
        let mut out = BufWriter::new(File::create(&packet_path).unwrap());
        let sealed = seal_with_progress(&req, &mut out, &mut |n| {
            assert!(n >= last_progress, "progress must not go backwards");
            last_progress = n;
        })
        .unwrap();
        out.flush().unwrap();
        sealed
    };
    assert!(last_progress > TEN_MIB, "progress reached {last_progress}");
    assert_eq!(std::fs::metadata(&packet_path).unwrap().len(), sealed.bytes);
    assert!(padding::is_bucket(sealed.bytes));
    assert_eq!(sealed.header.attachments[0].bytes, TEN_MIB);
    assert_eq!(sealed.header.attachments[0].sha256, want);

    let mut sink = HashingSink::default();
    let opened = open(
        BufReader::new(File::open(&packet_path).unwrap()),
        &reader,
        &directory(&[&sender]),
        &mut sink,
    )
    .unwrap();
    assert!(sink.committed);
    assert_eq!(sink.lens, vec![TEN_MIB]);
    assert_eq!(
        sink.digests,
        vec![want],
        "streamed attachment differs from the file"
    );
    assert!(
        sink.largest_chunk <= 64 * 1024,
        "sink fed {} bytes at once",
        sink.largest_chunk
    );
    assert_eq!(opened.content.as_slice(), content.as_slice());
    assert_eq!(opened.ciphertext_bytes, sealed.bytes);

    let growth = peak_rss_kib().saturating_sub(rss_before);
    println!("{CHILD_MARKER}{growth}");
    if std::env::var_os(CHILD_ENV).is_some() {
        // Alone in its process: buffering the attachment (10 MiB) or the
        // packet would show here.
        assert!(
            growth < 4 * 1024,
            "peak RSS grew by {growth} KiB while streaming 10 MiB"
        );
    }
}

/// The child test's name as the harness knows it (`--exact` needs the
/// whole of it): its path inside the test binary, which includes this
/// module's name because the binary holds several test files as modules.
fn streaming_child_name() -> String {
    match module_path!().split_once("::") {
        Some((_crate, module)) => format!("{module}::streaming_child_10_mib"),
        None => "streaming_child_10_mib".to_owned(),
    }
}

#[test]
fn ten_mib_attachment_streams_in_constant_memory() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            &streaming_child_name(),
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .expect("re-run this test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    let growth: u64 = stdout
        .lines()
        .find_map(|l| l.split_once(CHILD_MARKER))
        .unwrap_or_else(|| panic!("child did not run the streaming test:\n{stdout}\n{stderr}"))
        .1
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a number after the marker");
    println!("10 MiB attachment sealed and opened with peak RSS growth of {growth} KiB");
    assert!(growth < 4 * 1024);
}
