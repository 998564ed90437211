//! `referral-bench pq`: classic (X25519) against hybrid (ML-KEM-768 + X25519)
//! packets, ADR 0020.
//!
//! For 1, 5, 20 and 100 recipients of each kind, a 4 KiB referral: the age
//! header's size and what each recipient adds to it, the padded packet, and
//! the median seal and open times of `referral_protocol`, each beside the age
//! crate encrypting and decrypting the same bytes to the same recipients in
//! the same run (the limit our envelope is measured against). Opening uses
//! the identity whose stanza comes last, the reader's worst case. A hybrid
//! packet to 100 recipients is past the sealer's cap of 40 (its header would
//! not fit the broker's 64 KiB limit): the row says so, and the age crate's
//! figures are still measured.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use anyhow::Context;
use referral_protocol::envelope::{MAX_CLASSIC_RECIPIENTS, MAX_POST_QUANTUM_RECIPIENTS};
use referral_protocol::{
    AgeIdentity, ContentType, DeskId, DeviceId, KnownSenders, PacketId, RecipientKey,
    RecipientKind, SealRequest, Sender, SigningKey, ThreadId, age_header_len, open, seal,
};

use crate::protocol::referral_json;
use crate::report::{cores, cpu_model, load_average};

/// The recipient counts of issue 17.
const COUNTS: [usize; 4] = [1, 5, 20, 100];

/// `referral-bench pq` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Timed seals and opens per row (the median is shown).
    #[arg(long, default_value_t = 200)]
    iterations: u32,
}

/// One row of the table.
struct Row {
    kind: RecipientKind,
    recipients: usize,
    /// The age header of our packet (`None`: past the sealer's cap).
    header: Option<usize>,
    packet: Option<usize>,
    seal: Option<Duration>,
    open: Option<Duration>,
    bare_header: usize,
    bare_seal: Duration,
    bare_open: Duration,
}

/// Runs the benchmark and prints its tables.
pub fn run(args: Args) -> anyhow::Result<()> {
    println!(
        "machine: {} cores; {}; load {}",
        cores(),
        cpu_model(),
        load_average()
    );
    println!(
        "a 4 KiB referral; medians of {} runs; the age crate on the same bytes and recipients is the limit",
        args.iterations
    );
    let sender = SigningKey::generate()?;
    let device = DeviceId::random();
    let desk: DeskId = "call-center-1".parse()?;
    let mut senders = KnownSenders::new();
    senders.add(device, desk.clone(), sender.verifying_key());
    let content = referral_json(4096 - 700);
    let mut rows = Vec::new();
    for kind in [RecipientKind::Classic, RecipientKind::PostQuantum] {
        for n in COUNTS {
            rows.push(measure(
                kind,
                n,
                args.iterations,
                &content,
                |recipients| {
                    let mut packet = Vec::with_capacity(8192);
                    seal(
                        &SealRequest {
                            packet_id: PacketId::random(),
                            thread_id: ThreadId::random(),
                            created_at: 1_767_225_600,
                            sender: Sender {
                                device,
                                desk: desk.clone(),
                                key: &sender,
                            },
                            recipient_desk: "tokyo-1".parse().expect("a desk id"),
                            recipients: recipients.to_vec(),
                            content_type: ContentType::referral_v1(),
                            content: &content,
                            attachments: &[],
                        },
                        &mut packet,
                    )?;
                    Ok(packet)
                },
                &senders,
            )?);
        }
    }
    print_table(&rows);
    print_per_recipient(&rows);
    Ok(())
}

fn measure(
    kind: RecipientKind,
    n: usize,
    iterations: u32,
    content: &[u8],
    seal_to: impl Fn(&[RecipientKey]) -> anyhow::Result<Vec<u8>>,
    senders: &KnownSenders,
) -> anyhow::Result<Row> {
    let mut identities: Vec<AgeIdentity> = (0..n)
        .map(|_| match kind {
            RecipientKind::Classic => AgeIdentity::generate_classic(),
            RecipientKind::PostQuantum => AgeIdentity::generate_post_quantum(),
        })
        .collect();
    // Stanzas follow the sorted recipients: the last one is the reader age
    // reaches last.
    identities.sort_by_key(AgeIdentity::recipient);
    let recipients: Vec<RecipientKey> = identities.iter().map(AgeIdentity::recipient).collect();
    let reader = identities.last().context("n ≥ 1")?;
    let cap = match kind {
        RecipientKind::Classic => MAX_CLASSIC_RECIPIENTS,
        RecipientKind::PostQuantum => MAX_POST_QUANTUM_RECIPIENTS,
    };

    let (mut header, mut packet, mut seal_time, mut open_time) = (None, None, None, None);
    if n <= cap {
        let sealed = seal_to(&recipients)?;
        header = Some(age_header_len(&sealed)?);
        packet = Some(sealed.len());
        seal_time = Some(median(iterations, || seal_to(&recipients).map(drop))?);
        let readers = std::slice::from_ref(reader);
        open_time = Some(median(iterations, || {
            open(
                sealed.as_slice(),
                readers,
                senders,
                &mut referral_protocol::DiscardAttachments,
            )
            .map(drop)
            .map_err(anyhow::Error::from)
        })?);
    }

    let age_recipients: Vec<Box<dyn age::Recipient + Send>> =
        recipients.iter().map(RecipientKey::to_age).collect();
    let bare_encrypt = || -> anyhow::Result<Vec<u8>> {
        let encryptor = age::Encryptor::with_recipients(
            age_recipients
                .iter()
                .map(|r| r.as_ref() as &dyn age::Recipient),
        )?;
        let mut out = Vec::with_capacity(content.len() + 256 * n);
        let mut w = encryptor.wrap_output(&mut out)?;
        w.write_all(content)?;
        w.finish()?;
        Ok(out)
    };
    let bare = bare_encrypt()?;
    let bare_header = raw_header_len(&bare)?;
    let bare_seal = median(iterations, || bare_encrypt().map(drop))?;
    let bare_open = median(iterations, || {
        let (mut r, _) =
            referral_protocol::decrypt(io::BufReader::new(bare.as_slice()), &[reader.as_age()])?;
        io::copy(&mut r, &mut io::sink())?;
        Ok(())
    })?;
    Ok(Row {
        kind,
        recipients: n,
        header,
        packet,
        seal: seal_time,
        open: open_time,
        bare_header,
        bare_seal,
        bare_open,
    })
}

/// The age header's length by its MAC line alone: `age_header_len` is the
/// broker's check, which refuses a header over 64 KiB (100 hybrid stanzas).
fn raw_header_len(file: &[u8]) -> anyhow::Result<usize> {
    // `--- `, 43 base64 characters, LF.
    const MAC_LINE: usize = 48;
    let at = file
        .windows(5)
        .position(|w| w == b"\n--- ")
        .context("an age file has a MAC line")?;
    Ok(at + 1 + MAC_LINE)
}

fn median(iterations: u32, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Duration> {
    for _ in 0..iterations.min(10) {
        f()?;
    }
    let mut times = Vec::with_capacity(iterations as usize);
    for _ in 0..iterations.max(1) {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn word(kind: RecipientKind) -> &'static str {
    match kind {
        RecipientKind::Classic => "classic",
        RecipientKind::PostQuantum => "hybrid",
    }
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "| kind | recipients | age header (B) | packet (B) | seal (ms) | age crate encrypt (ms) | open, last stanza (ms) | age crate decrypt (ms) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in rows {
        match (r.header, r.packet, r.seal, r.open) {
            (Some(header), Some(packet), Some(seal), Some(open)) => println!(
                "| {} | {} | {header} | {packet} | {} | {} | {} | {} |",
                word(r.kind),
                r.recipients,
                ms(seal),
                ms(r.bare_seal),
                ms(open),
                ms(r.bare_open)
            ),
            _ => println!(
                "| {} | {} | refused by the sealer (cap {}); age alone: {} | — | — | {} | — | {} |",
                word(r.kind),
                r.recipients,
                MAX_POST_QUANTUM_RECIPIENTS,
                r.bare_header,
                ms(r.bare_seal),
                ms(r.bare_open)
            ),
        }
    }
}

/// What each further recipient adds to the age header, from the 1- and
/// 20-recipient rows (the grease stanza's random length is the only noise).
fn print_per_recipient(rows: &[Row]) {
    println!();
    for kind in [RecipientKind::Classic, RecipientKind::PostQuantum] {
        let header = |n: usize| {
            rows.iter()
                .find(|r| r.kind == kind && r.recipients == n)
                .map(|r| r.bare_header)
        };
        if let (Some(one), Some(twenty)) = (header(1), header(20)) {
            let per = (twenty as f64 - one as f64) / 19.0;
            println!(
                "{} stanza: {per:.0} B of age header per recipient (the grease stanza varies by up to 200 B)",
                word(kind)
            );
        }
    }
}
