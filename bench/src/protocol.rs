//! `referral-bench protocol`: sealing and opening beside bare age.
//!
//! - sealing/opening a 4 KiB referral beside bare age encryption of the same
//!   bytes with the age crate (our overhead: signing, hashing, padding);
//! - sealing/opening a large attachment beside Debian's `age` binary on the
//!   same file, plus this process's peak RSS (constant memory).

use std::io::{self, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use referral_protocol::{
    AgeIdentity, Attachment, AttachmentMeta, AttachmentSink, AttachmentSource, ContentType, DeskId,
    DeviceId, KnownSenders, PacketId, RecipientKey, SealRequest, Sender, SigningKey, ThreadId,
    open, seal,
};

use crate::report::{cores, cpu_model, micros, peak_rss_kib, row};

struct Party {
    device: DeviceId,
    desk: DeskId,
    key: SigningKey,
    /// Classic: the large-file comparison is with Debian's Go age 1.1,
    /// which has no post-quantum keys (`referral-bench pq` compares kinds).
    identity: AgeIdentity,
}

impl Party {
    fn new(desk: &str) -> anyhow::Result<Self> {
        Ok(Self {
            device: DeviceId::random(),
            desk: desk.parse()?,
            key: SigningKey::generate()?,
            identity: AgeIdentity::generate_classic(),
        })
    }
}

pub fn run(iterations: u32, large_mib: u64, age_bin: &Path) -> anyhow::Result<()> {
    let sender = Party::new("covic-intake")?;
    let reader = Party::new("shinjuku-iea")?;
    let colleague = Party::new("covic-intake")?;
    let mut senders = KnownSenders::new();
    senders.add(
        sender.device,
        sender.desk.clone(),
        sender.key.verifying_key(),
    );
    let recipients = vec![
        reader.identity.recipient(),
        sender.identity.recipient(),
        colleague.identity.recipient(),
    ];
    let referral = referral_json(4096 - 700);

    println!("machine: {} cores; {}", cores(), cpu_model());
    println!("recipients per packet: {}", recipients.len());
    println!();
    println!("| what | ours | limit (same run) | ratio |");
    println!("|---|---|---|---|");

    // 4 KiB referral: seal.
    let mut packet = Vec::new();
    let seal_time = median_time(iterations, || {
        packet.clear();
        seal(
            &request(&sender, &reader, &recipients, &referral, &[]),
            &mut packet,
        )
        .expect("seal");
    });
    let age_recipients: Vec<Box<dyn age::Recipient + Send>> =
        recipients.iter().map(RecipientKey::to_age).collect();
    let mut bare = Vec::new();
    let bare_seal = median_time(iterations, || {
        bare.clear();
        let enc = age::Encryptor::with_recipients(
            age_recipients
                .iter()
                .map(|r| r.as_ref() as &dyn age::Recipient),
        )
        .expect("recipients");
        let mut w = enc.wrap_output(&mut bare).expect("wrap");
        w.write_all(&referral).expect("write");
        w.finish().expect("finish");
    });
    row(
        "seal 4 KiB referral (µs)",
        micros(seal_time),
        micros(bare_seal),
        "age crate encrypt, same bytes",
    );

    // 4 KiB referral: open.
    let ids = [reader.identity.clone()];
    let open_time = median_time(iterations, || {
        open(
            packet.as_slice(),
            &ids,
            &senders,
            &mut referral_protocol::DiscardAttachments,
        )
        .expect("open");
    });
    let bare_open = median_time(iterations, || {
        let (mut r, _) = referral_protocol::decrypt(
            io::BufReader::new(bare.as_slice()),
            &[reader.identity.as_age()],
        )
        .expect("decrypt");
        io::copy(&mut r, &mut io::sink()).expect("read");
    });
    row(
        "open 4 KiB referral (µs)",
        micros(open_time),
        micros(bare_open),
        "age crate decrypt, same bytes",
    );
    println!(
        "| sealed size of the 4 KiB referral | {} B | bucket | |",
        packet.len()
    );

    // Large attachment, streamed from and to disk.
    let dir = tempfile::tempdir()?;
    let plain = dir.path().join("attachment.bin");
    write_random_file(&plain, large_mib << 20)?;
    let sealed_path = dir.path().join("packet.age");
    let attachments = [Attachment {
        name: "scan.bin".into(),
        media_type: "application/octet-stream".into(),
        source: AttachmentSource::Path(plain.clone()),
    }];
    let started = Instant::now();
    {
        let out = io::BufWriter::new(std::fs::File::create(&sealed_path)?);
        seal(
            &request(&sender, &reader, &recipients, &referral, &attachments),
            out,
        )?;
    }
    let seal_large = started.elapsed();
    let rss_after_seal = peak_rss_kib();

    let started = Instant::now();
    let mut sink = CountingSink::default();
    open(
        io::BufReader::new(std::fs::File::open(&sealed_path)?),
        &ids,
        &senders,
        &mut sink,
    )?;
    let open_large = started.elapsed();
    let rss_after_open = peak_rss_kib();

    let identity_file = dir.path().join("identity.txt");
    std::fs::write(
        &identity_file,
        age::secrecy::ExposeSecret::expose_secret(&reader.identity.to_secret_string()),
    )?;
    let age_enc = dir.path().join("debian.age");
    let mut args: Vec<String> = Vec::new();
    for r in &recipients {
        args.push("-r".into());
        args.push(r.to_string());
    }
    args.extend([
        "-o".into(),
        age_enc.display().to_string(),
        plain.display().to_string(),
    ]);
    let debian_seal = time_command(age_bin, &args)?;
    let debian_open = time_command(
        age_bin,
        &[
            "-d".into(),
            "-i".into(),
            identity_file.display().to_string(),
            "-o".into(),
            "/dev/null".into(),
            age_enc.display().to_string(),
        ],
    )?;
    // The age crate alone, streaming the same file the same way: the cost of
    // our envelope (hashing, signing, padding) is the gap between the two.
    let bare_path = dir.path().join("bare.age");
    let started = Instant::now();
    {
        let enc = age::Encryptor::with_recipients(
            age_recipients
                .iter()
                .map(|r| r.as_ref() as &dyn age::Recipient),
        )?;
        let out = io::BufWriter::new(std::fs::File::create(&bare_path)?);
        let mut w = enc.wrap_output(out)?;
        io::copy(&mut std::fs::File::open(&plain)?, &mut w)?;
        w.finish()?.flush()?;
    }
    let bare_seal_large = started.elapsed();
    let started = Instant::now();
    {
        let (mut r, _) = referral_protocol::decrypt(
            io::BufReader::new(std::fs::File::open(&bare_path)?),
            &[reader.identity.as_age()],
        )?;
        io::copy(&mut r, &mut io::sink())?;
    }
    let bare_open_large = started.elapsed();

    let mb = (large_mib << 20) as f64 / 1e6;
    row(
        &format!("seal {large_mib} MiB attachment (MB/s)"),
        mb / seal_large.as_secs_f64(),
        mb / bare_seal_large.as_secs_f64(),
        "age crate encrypt, same file, file to file",
    );
    row(
        &format!("open {large_mib} MiB attachment (MB/s)"),
        mb / open_large.as_secs_f64(),
        mb / bare_open_large.as_secs_f64(),
        "age crate decrypt, same file",
    );
    row(
        &format!("seal {large_mib} MiB attachment (MB/s)"),
        mb / seal_large.as_secs_f64(),
        mb / debian_seal.as_secs_f64(),
        "Debian `age -r` (3 recipients), same file",
    );
    row(
        &format!("open {large_mib} MiB attachment (MB/s)"),
        mb / open_large.as_secs_f64(),
        mb / debian_open.as_secs_f64(),
        "Debian `age -d`, same file",
    );
    println!(
        "| peak RSS after sealing / opening {large_mib} MiB | {} / {} MiB | constant (≪ {large_mib} MiB) | |",
        rss_after_seal / 1024,
        rss_after_open / 1024
    );
    if sink.bytes != large_mib << 20 {
        bail!(
            "opened attachment has {} bytes, expected {}",
            sink.bytes,
            large_mib << 20
        );
    }
    Ok(())
}

fn request<'a>(
    sender: &'a Party,
    reader: &Party,
    recipients: &[RecipientKey],
    content: &'a [u8],
    attachments: &'a [Attachment],
) -> SealRequest<'a> {
    SealRequest {
        packet_id: PacketId::random(),
        thread_id: ThreadId::random(),
        created_at: 1_700_000_000,
        sender: Sender {
            device: sender.device,
            desk: sender.desk.clone(),
            key: &sender.key,
        },
        recipient_desk: reader.desk.clone(),
        recipients: recipients.to_vec(),
        content_type: ContentType::referral_v1(),
        content,
        attachments,
    }
}

/// A referral.v1-shaped JSON document of exactly `target` bytes.
pub fn referral_json(target: usize) -> Vec<u8> {
    let mut s = String::from(
        r#"{"schema":"referral.v1","case":{"reference":"CW-2021-0917","need":"vaccination_voucher","urgency":"normal","summary":""#,
    );
    while s.len() < target - 3 {
        s.push('x');
    }
    s.push_str("\"}}");
    s.into_bytes()
}

fn median_time(iterations: u32, mut f: impl FnMut()) -> Duration {
    for _ in 0..iterations.min(50) {
        f();
    }
    let mut times: Vec<Duration> = (0..iterations)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn time_command(bin: &Path, args: &[String]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let status = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("running {}", bin.display()))?;
    let elapsed = started.elapsed();
    if !status.success() {
        bail!("{} failed: {status}", bin.display());
    }
    Ok(elapsed)
}

fn write_random_file(path: &Path, bytes: u64) -> anyhow::Result<()> {
    // Incompressible, but cheap: ring's RNG fills one buffer, reused with a
    // counter so no two 64 KiB blocks are equal.
    use ring::rand::SecureRandom;
    let mut block = vec![0u8; 1 << 16];
    ring::rand::SystemRandom::new()
        .fill(&mut block)
        .map_err(|_| anyhow::anyhow!("rng"))?;
    let mut out = io::BufWriter::new(std::fs::File::create(path)?);
    let mut written = 0u64;
    let mut counter = 0u64;
    while written < bytes {
        block[..8].copy_from_slice(&counter.to_le_bytes());
        let n = (bytes - written).min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        written += n as u64;
        counter += 1;
    }
    out.flush()?;
    Ok(())
}

/// Counts attachment bytes instead of storing them, so opening a large
/// packet measures decryption and verification (which hashes every byte
/// itself), not disk writes.
#[derive(Default)]
struct CountingSink {
    bytes: u64,
}

impl AttachmentSink for CountingSink {
    fn begin(&mut self, _: usize, _: &AttachmentMeta) -> io::Result<()> {
        Ok(())
    }
    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.bytes += chunk.len() as u64;
        Ok(())
    }
    fn commit(&mut self) -> io::Result<()> {
        Ok(())
    }
}
