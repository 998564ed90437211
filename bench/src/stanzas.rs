//! `referral-bench stanzas`: what one age stanza per recipient device costs
//! and tells, and what decoy stanzas up to a recipient bucket would cost
//! (ADR 0018).
//!
//! - For 1..=`--max-recipients` recipients, the real `referral_protocol`
//!   seal (X25519 stanzas): the age header's bytes (its range: the
//!   grease stanza varies), the padded packet for two referral sizes, and
//!   the median seal and open times, opening with the identity whose stanza
//!   comes last (the reader's worst case: age tries every stanza before it).
//! - Hybrid `mlkem768x25519` stanzas: their size, fixed by the C2SP age
//!   spec, is the stanza line `-> mlkem768x25519 ` plus the unpadded base64
//!   of the 1,120-byte encapsulated key, LF, and the base64 of the 32-byte
//!   body, LF: 1,557 bytes, against 98 for X25519 (`referral-bench pq`
//!   measures both kinds).
//! - Over the field profile's desks (`prefectures.csv`, weighted by
//!   consultations) and two device-count models, each decoy scheme's cost
//!   (stanzas, bytes, time) and what stays distinguishable.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use referral_protocol::padding::{age_payload_len, bucket_for};
use referral_protocol::{
    AgeIdentity, ContentType, DeskId, DeviceId, PacketId, RecipientKey, SealRequest, Sender,
    SigningKey, ThreadId, age_header_len, seal,
};

use crate::process::workspace_root;
use crate::profile::Profile;
use crate::protocol::referral_json;
use crate::report::{cores, cpu_model, load_average, micros};

/// `-> X25519 ` + 43 base64 characters + LF + 43 + LF (docs/protocol.md §11).
const X25519_STANZA: usize = 98;
/// `-> mlkem768x25519 ` (18) + base64 of 1,120 bytes (1,494) + LF + base64
/// of 32 bytes (43) + LF: C2SP age, "mlkem768x25519 recipient stanza".
const HYBRID_STANZA: usize = 18 + 1494 + 1 + 43 + 1;
/// The broker's age header limit (docs/protocol.md §5).
const HEADER_LIMIT: usize = 64 * 1024;

/// `referral-bench stanzas` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seal and open for 1..=this many recipients.
    #[arg(long, default_value_t = 64)]
    max_recipients: usize,
    /// Timed seals and opens per recipient count (the median is shown).
    #[arg(long, default_value_t = 100)]
    iterations: u32,
    /// The field profile (relative to the workspace root).
    #[arg(long, default_value = "client-cli/data/prefectures.csv")]
    profile: PathBuf,
    /// Devices of each sender (call-center) desk: the `load` bench's 64
    /// caseworkers on 4 desks.
    #[arg(long, default_value_t = 16)]
    sender_devices: usize,
}

/// The two referral sizes: the `load`/`broker` benches' 4 KiB packet and
/// the `protocol` bench's "4 KiB referral".
const CONTENTS: [usize; 2] = [2600, 4096 - 700];

/// What was measured for one recipient count.
#[derive(Debug, Clone)]
struct Measured {
    header_min: usize,
    header_max: usize,
    /// Unpadded envelope (the age plaintext before padding), per content.
    envelope: [usize; 2],
    /// The sealed packet, per content.
    packet: [usize; 2],
    seal: Duration,
    open_last: Duration,
}

impl Measured {
    /// The age header with `stanzas` stanzas of `stanza` bytes in place of
    /// this count's X25519 ones (the grease stanza's median kept).
    fn header_with(&self, n: usize, stanzas: usize, stanza: usize) -> usize {
        let mid = (self.header_min + self.header_max) / 2;
        mid - n * X25519_STANZA + stanzas * stanza
    }

    /// The packet for content `c` with that header.
    fn packet_with(&self, c: usize, header: usize) -> u64 {
        bucket_for(header as u64 + age_payload_len(self.envelope[c] as u64))
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    ensure!(
        (2..=160).contains(&args.max_recipients),
        "--max-recipients must be 2..=160"
    );
    ensure!(args.iterations >= 1, "--iterations must be at least 1");
    let profile_path = if args.profile.is_absolute() {
        args.profile.clone()
    } else {
        workspace_root().join(&args.profile)
    };
    let profile = Profile::read(&profile_path)?;
    println!(
        "machine: {} cores; {}; load average before: {}",
        cores(),
        cpu_model(),
        load_average()
    );
    println!(
        "stanza sizes: X25519 {X25519_STANZA} B (measured below); mlkem768x25519 {HYBRID_STANZA} B \
         (C2SP age spec: 1,120-byte enc, 32-byte body)"
    );
    let measured = measure(args.max_recipients, args.iterations)?;
    print_per_count(&measured);
    print_profile(&profile, args.sender_devices, &measured);
    Ok(())
}

fn measure(max: usize, iterations: u32) -> anyhow::Result<Vec<Measured>> {
    let key = SigningKey::generate()?;
    let device = DeviceId::random();
    let from: DeskId = "call-center-1".parse()?;
    let to: DeskId = "tokyo-1".parse()?;
    let contents: Vec<Vec<u8>> = CONTENTS.iter().map(|&n| referral_json(n)).collect();
    let mut out = Vec::new();
    for n in 1..=max {
        let mut identities: Vec<AgeIdentity> =
            (0..n).map(|_| AgeIdentity::generate_classic()).collect();
        // Stanzas follow the sorted recipients: the last sorted one is the
        // reader whose stanza age reaches last.
        identities.sort_by_key(AgeIdentity::recipient);
        let recipients: Vec<RecipientKey> = identities.iter().map(AgeIdentity::recipient).collect();
        let request = |content: &'_ [u8]| -> anyhow::Result<Vec<u8>> {
            let mut packet = Vec::with_capacity(8192);
            seal(
                &SealRequest {
                    packet_id: PacketId::random(),
                    thread_id: ThreadId::random(),
                    created_at: 1_700_000_000,
                    sender: Sender {
                        device,
                        desk: from.clone(),
                        key: &key,
                    },
                    recipient_desk: to.clone(),
                    recipients: recipients.clone(),
                    content_type: ContentType::referral_v1(),
                    content,
                    attachments: &[],
                },
                &mut packet,
            )?;
            Ok(packet)
        };
        let mut envelope = [0; 2];
        let mut packet = [0; 2];
        let (mut header_min, mut header_max) = (usize::MAX, 0);
        let reader = identities.last().context("n ≥ 1")?;
        for (c, content) in contents.iter().enumerate() {
            let p = request(content)?;
            packet[c] = p.len();
            envelope[c] = unpadded_envelope(&p, reader)?;
        }
        let mut seals = Vec::with_capacity(iterations as usize);
        let mut last = Vec::new();
        for _ in 0..iterations {
            let t = Instant::now();
            last = request(&contents[0])?;
            seals.push(t.elapsed());
            let h = age_header_len(&last)?;
            header_min = header_min.min(h);
            header_max = header_max.max(h);
        }
        let mut opens = Vec::with_capacity(iterations as usize);
        for _ in 0..iterations {
            let t = Instant::now();
            let (mut r, _) = referral_protocol::decrypt(
                io::BufReader::new(last.as_slice()),
                &[reader.as_age()],
            )?;
            io::copy(&mut r, &mut io::sink())?;
            opens.push(t.elapsed());
        }
        out.push(Measured {
            header_min,
            header_max,
            envelope,
            packet,
            seal: median(seals),
            open_last: median(opens),
        });
    }
    Ok(out)
}

/// The envelope's length before padding: its padding is zero bytes after
/// the content, which ends in `}`.
fn unpadded_envelope(packet: &[u8], reader: &AgeIdentity) -> anyhow::Result<usize> {
    let (mut r, _) = referral_protocol::decrypt(io::BufReader::new(packet), &[reader.as_age()])?;
    let mut plain = Vec::new();
    r.read_to_end(&mut plain)?;
    Ok(plain.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1))
}

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

fn print_per_count(m: &[Measured]) {
    println!();
    println!(
        "| recipients | age header, X25519 (measured) | packet, {} B referral | packet, {} B referral | seal / open (own stanza last), µs | age header, hybrid (computed) | packet, {} B, hybrid |",
        CONTENTS[0], CONTENTS[1], CONTENTS[0]
    );
    println!("|---|---|---|---|---|---|---|");
    for (i, x) in m.iter().enumerate() {
        let n = i + 1;
        let hybrid = x.header_with(n, n, HYBRID_STANZA);
        let over = if hybrid > HEADER_LIMIT {
            " (over 16 KiB)"
        } else {
            ""
        };
        println!(
            "| {n} | {}–{} B | {} B | {} B | {:.0} / {:.0} | {hybrid} B{over} | {} B |",
            x.header_min,
            x.header_max,
            x.packet[0],
            x.packet[1],
            micros(x.seal),
            micros(x.open_last),
            x.packet_with(0, hybrid),
        );
    }
}

/// A way to choose how many stanzas a packet with `r` real ones carries.
#[derive(Debug, Clone, Copy)]
enum Scheme {
    None,
    /// Up to the next of 2, 4, 8, 16, …
    PowersOfTwo,
    /// Up to a multiple of this.
    Multiple(usize),
}

impl Scheme {
    fn stanzas(self, r: usize) -> usize {
        match self {
            Self::None => r,
            Self::PowersOfTwo => r.max(2).next_power_of_two(),
            Self::Multiple(k) => r.div_ceil(k) * k,
        }
    }

    fn name(self) -> String {
        match self {
            Self::None => "none (today)".into(),
            Self::PowersOfTwo => "up to 2, 4, 8, 16, 32, 64".into(),
            Self::Multiple(k) => format!("up to a multiple of {k}"),
        }
    }
}

fn print_profile(profile: &Profile, sender_devices: usize, m: &[Measured]) {
    let mean_weight =
        profile.desks.iter().map(|d| d.weight).sum::<f64>() / profile.desks.len() as f64;
    // Model A: the `load` bench's fleet (one device per support-center desk),
    // sealed by SPEC §2.3's rule (the sender's whole desk too).
    let bench: Vec<usize> = profile.desks.iter().map(|_| 1).collect();
    // Model B: deployment.md §6.2's about 900 devices, three per center on
    // average, spread with each center's consultations (at least one).
    let staffed: Vec<usize> = profile
        .desks
        .iter()
        .map(|d| ((3.0 * d.weight / mean_weight).round() as usize).max(1))
        .collect();
    let total_weight: f64 = profile.desks.iter().map(|d| d.weight).sum();
    for (name, devices) in [
        ("A: the load bench's fleet, one device per center", bench),
        (
            "B: about three per center, in proportion to consultations",
            staffed,
        ),
    ] {
        let max_d = devices.iter().copied().max().unwrap_or(1);
        println!();
        println!(
            "field profile, model {name}: {} desks, {} devices (1–{max_d} a desk); sender desk {sender_devices} devices; a packet's real stanzas = sender desk + recipient desk",
            profile.desks.len(),
            devices.iter().sum::<usize>()
        );
        println!();
        println!(
            "| decoys | stanzas a packet (mean, max) | decoys a packet (mean) | header added, X25519 / hybrid (mean) | packet, {} B referral, X25519 / hybrid (mean) | seal / open µs, X25519 (mean) | visible counts | desks sharing a referral's count (weighted mean; fewest) |",
            CONTENTS[0]
        );
        println!("|---|---|---|---|---|---|---|---|");
        for scheme in [
            Scheme::None,
            Scheme::PowersOfTwo,
            Scheme::Multiple(8),
            Scheme::Multiple(16),
        ] {
            let mut acc = [0.0f64; 8];
            let mut max_k = 0;
            let mut groups: BTreeMap<usize, usize> = BTreeMap::new();
            let mut beyond = false;
            for (desk, &d) in profile.desks.iter().zip(&devices) {
                let r = sender_devices + d;
                let k = scheme.stanzas(r);
                *groups.entry(k).or_default() += 1;
                max_k = max_k.max(k);
                let (Some(real), Some(padded)) = (m.get(r - 1), m.get(k - 1)) else {
                    beyond = true;
                    continue;
                };
                let w = desk.weight / total_weight;
                let hx = real.header_with(r, k, X25519_STANZA);
                let hh = real.header_with(r, r, HYBRID_STANZA) + (k - r) * HYBRID_STANZA;
                acc[0] += w * k as f64;
                acc[1] += w * (k - r) as f64;
                acc[2] += w * ((k - r) * X25519_STANZA) as f64;
                acc[3] += w * ((k - r) * HYBRID_STANZA) as f64;
                acc[4] += w * real.packet_with(0, hx) as f64;
                acc[5] += w * real.packet_with(0, hh) as f64;
                acc[6] += w * micros(padded.seal);
                acc[7] += w * micros(padded.open_last);
            }
            if beyond {
                println!(
                    "| {} | up to {max_k}: beyond --max-recipients, not computed | | | | | | |",
                    scheme.name()
                );
                continue;
            }
            let share: f64 = profile
                .desks
                .iter()
                .zip(&devices)
                .map(|(desk, &d)| {
                    desk.weight / total_weight * groups[&scheme.stanzas(sender_devices + d)] as f64
                })
                .sum();
            println!(
                "| {} | {:.1}, {max_k} | {:.1} | {:.0} / {:.0} B | {:.0} / {:.0} B | {:.0} / {:.0} | {} | {share:.0}; {} |",
                scheme.name(),
                acc[0],
                acc[1],
                acc[2],
                acc[3],
                acc[4],
                acc[5],
                acc[6],
                acc[7],
                groups.len(),
                groups.values().min().copied().unwrap_or(0),
            );
        }
    }
}
