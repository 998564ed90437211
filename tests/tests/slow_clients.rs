//! Slow clients cannot hold the broker (issue 14, item 1; ADR 0008).
//!
//! The real broker runs under a lowered open-file limit. Eight loopback
//! source addresses (127.0.0.2 … 127.0.0.9) each keep a hundred sockets
//! open — silent ones, ones that drip a header line at a time, and
//! keep-alive ones gone quiet after one request — and re-open whatever is
//! closed. Together they ask for three times the broker's file limit.
//! Meanwhile `/healthz`, on a fresh connection from 127.0.0.1 every 100 ms,
//! must answer every time within a second, and every slow socket must be
//! closed by the broker: those over the per-address cap at once, the others
//! by the header timer.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use referral_e2e::deployment::Broker;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

const FILE_LIMIT: u64 = 256;
/// What the broker derives from [`FILE_LIMIT`]: a quarter is reserved.
const EXPECTED_TOTAL: usize = 192;
const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
/// Eight addresses at this cap stay under [`EXPECTED_TOTAL`], so one more
/// client (the prober) always has room.
const PER_ADDRESS: usize = 16;
const SOURCES: std::ops::RangeInclusive<u8> = 2..=9;
const SOCKETS_PER_SOURCE: usize = 100;
/// Each client waits between 0.5 and 1.5 s before re-opening, and starts
/// within the first second: a real attacker spreads out too, and a burst
/// beyond the listen backlog would test the kernel, not the broker.
const REOPEN_AFTER: Duration = Duration::from_millis(500);
/// The attackers' head start before probing begins.
const RAMP: Duration = Duration::from_secs(2);
const PROBING: Duration = Duration::from_secs(20);
const PROBE_EVERY: Duration = Duration::from_millis(100);
const PROBE_LIMIT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
enum Slow {
    /// Connects and sends nothing.
    Silent,
    /// Sends a request line, then one header line every half second.
    Dripping,
    /// One complete request, then nothing: an idle keep-alive connection.
    KeptAlive,
}

/// What one slow socket saw over the whole run.
#[derive(Debug, Default)]
struct Tally {
    /// Connections the broker closed.
    closed: u64,
    /// ... of which it had held open for at least half the header timeout
    /// (admitted, then timed out, rather than refused at once).
    timed_out: u64,
    /// The longest any connection stayed open, the last one included.
    longest: Duration,
}

#[test]
fn slow_clients_cannot_hold_the_broker() {
    let config = format!(
        "header_read_timeout_secs = {}\nmax_connections_per_address = {PER_ADDRESS}\n",
        HEADER_TIMEOUT.as_secs()
    );
    let broker = Broker::start_with_file_limit(&config, FILE_LIMIT);
    let log = broker.log();
    assert!(
        log.contains(&format!("max_connections={EXPECTED_TOTAL}"))
            && log.contains(&format!("file_limit={FILE_LIMIT}"))
            && log.contains(&format!("max_connections_per_address={PER_ADDRESS}")),
        "the caps in force are logged at start: {log}"
    );
    let target: SocketAddr = broker.listen.parse().expect("listen address");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (tallies, probes) = runtime.block_on(async {
        let deadline = Instant::now() + RAMP + PROBING;
        let mut attackers = Vec::new();
        for last in SOURCES {
            let source = Ipv4Addr::new(127, 0, 0, last);
            for i in 0..SOCKETS_PER_SOURCE {
                let kind = match i % 5 {
                    0 | 1 => Slow::Silent,
                    2 | 3 => Slow::Dripping,
                    _ => Slow::KeptAlive,
                };
                let spread = Duration::from_millis((i as u64 * 37 + u64::from(last) * 11) % 1000);
                attackers.push(tokio::spawn(slow_client(
                    source, target, kind, spread, deadline,
                )));
            }
        }
        tokio::time::sleep(RAMP).await;
        let probes = probe_health(&broker.url, deadline).await;
        let mut tallies = Vec::new();
        for attacker in attackers {
            tallies.push(attacker.await.expect("slow client task"));
        }
        (tallies, probes)
    });

    let failed: Vec<&String> = probes.iter().filter_map(|p| p.as_ref().err()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} /healthz probes failed or took over {PROBE_LIMIT:?}; first: {}",
        failed.len(),
        probes.len(),
        failed[0]
    );
    assert!(
        probes.len() >= 100,
        "only {} probes in {PROBING:?}",
        probes.len()
    );

    let longest = tallies.iter().map(|t| t.longest).max().unwrap_or_default();
    assert!(
        longest < HEADER_TIMEOUT + Duration::from_secs(3),
        "a slow socket stayed open for {longest:?}: the broker must close it within \
         the header timeout ({HEADER_TIMEOUT:?})"
    );
    let timed_out: u64 = tallies.iter().map(|t| t.timed_out).sum();
    let closed: u64 = tallies.iter().map(|t| t.closed).sum();
    let sources = SOURCES.count() as u64;
    assert!(
        timed_out >= sources * PER_ADDRESS as u64 * 4,
        "the broker held and then timed out only {timed_out} slow connections"
    );
    assert!(
        closed > timed_out,
        "connections over the per-address cap are closed at once ({closed} closed, \
         {timed_out} timed out)"
    );

    let metrics = reqwest::blocking::get(format!("{}/metrics", broker.url))
        .and_then(|r| r.text())
        .expect("GET /metrics");
    let refused = metrics
        .lines()
        .find_map(|l| l.strip_prefix("referral_connections_refused_total{cap=\"per_address\"} "))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(refused > 0, "refusals are counted: {metrics}");

    let log = broker.log();
    for last in SOURCES {
        let address = format!("127.0.0.{last}");
        assert!(!log.contains(&address), "a client address reached the log");
    }
}

/// One slow client: connects from `source`, behaves as `kind`, and
/// re-opens whenever the broker closes it, until `deadline`. `spread`
/// staggers its start and its re-opening.
async fn slow_client(
    source: Ipv4Addr,
    target: SocketAddr,
    kind: Slow,
    spread: Duration,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::default();
    tokio::time::sleep(spread).await;
    while Instant::now() < deadline {
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::new(IpAddr::V4(source), 0))
            .expect("bind a loopback source address");
        let Ok(stream) = socket.connect(target).await else {
            tokio::time::sleep(REOPEN_AFTER + spread).await;
            continue;
        };
        let opened = Instant::now();
        let closed_by_broker = tokio::select! {
            () = hold(stream, kind) => true,
            () = tokio::time::sleep_until(deadline) => false,
        };
        let open_for = opened.elapsed();
        tally.longest = tally.longest.max(open_for);
        if closed_by_broker {
            tally.closed += 1;
            if open_for >= HEADER_TIMEOUT / 2 {
                tally.timed_out += 1;
            }
        }
        tokio::time::sleep(REOPEN_AFTER + spread).await;
    }
    tally
}

/// Behaves as `kind` until the broker closes the connection.
async fn hold(mut stream: TcpStream, kind: Slow) {
    let (mut reader, mut writer) = stream.split();
    let until_closed = async {
        let mut buf = [0u8; 1024];
        // Whatever the broker answers (a response, a 408) is read and
        // dropped; only its end matters.
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    let behave = async {
        match kind {
            Slow::Silent => std::future::pending::<()>().await,
            Slow::KeptAlive => {
                if writer
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: broker\r\n\r\n")
                    .await
                    .is_ok()
                {
                    std::future::pending::<()>().await;
                }
            }
            Slow::Dripping => {
                let mut line = 0u32;
                let mut next = b"GET /healthz HTTP/1.1\r\nHost: broker\r\n".to_vec();
                while writer.write_all(&next).await.is_ok() {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    line += 1;
                    next = format!("X-Drip-{line}: x\r\n").into_bytes();
                }
                // A write refused means the broker closed the connection.
            }
        }
    };
    tokio::select! {
        () = until_closed => {},
        () = behave => {},
    }
}

/// `GET /healthz` on a fresh connection from 127.0.0.1 every
/// [`PROBE_EVERY`] until `deadline`; each answer must be a 200 within
/// [`PROBE_LIMIT`].
async fn probe_health(url: &str, deadline: Instant) -> Vec<Result<(), String>> {
    let client = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::LOCALHOST))
        .pool_max_idle_per_host(0)
        .timeout(PROBE_LIMIT)
        .build()
        .expect("probe client");
    let mut results = Vec::new();
    let mut every = tokio::time::interval(PROBE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while Instant::now() < deadline {
        every.tick().await;
        let started = Instant::now();
        let outcome = match client.get(format!("{url}/healthz")).send().await {
            Ok(r) if r.status() == reqwest::StatusCode::OK => {
                let took = started.elapsed();
                if took <= PROBE_LIMIT {
                    Ok(())
                } else {
                    Err(format!("answered after {took:?}"))
                }
            }
            Ok(r) => Err(format!("status {}", r.status())),
            Err(e) => Err(format!("after {:?}: {e}", started.elapsed())),
        };
        results.push(outcome);
    }
    results
}
