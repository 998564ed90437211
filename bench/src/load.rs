//! The load generator: `clients` concurrent tasks, each sending its own
//! requests one after the other over one shared, keep-alive
//! [`reqwest::Client`], until a deadline or until its requests run out.
//! Both the broker and the do-nothing HTTP limit are measured with it, so
//! the client's own cost is the same on both sides of a ratio.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{RequestBuilder, StatusCode};
use tokio::sync::Barrier;

use crate::report::{self, Latencies};

/// An HTTP client for `clients` concurrent connections to 127.0.0.1: kept
/// alive, no proxy (whatever the environment says), Nagle off.
pub fn http_client(clients: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(clients)
        .pool_idle_timeout(Duration::from_secs(120))
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// What a run measured.
#[derive(Debug)]
pub struct Outcome {
    /// Answers with the expected status.
    pub ok: u64,
    /// Other answers and transport errors.
    pub errors: u64,
    /// The first of those, for the report.
    pub first_error: Option<String>,
    /// From the common start to the last answer.
    pub elapsed: Duration,
    /// Latencies of the expected answers.
    pub latencies: Latencies,
    /// Clients that ran out of requests before the deadline.
    pub exhausted: usize,
    /// CPU time of this whole process (clients and server) in the window.
    pub cpu: Duration,
}

impl Outcome {
    /// Expected answers per second.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// The process's CPU use in the window, in all and per answer.
    pub fn cpu_share(&self) -> String {
        report::cpu_share(self.cpu, self.elapsed, self.ok + self.errors, "answer")
    }
}

/// Runs every client's requests, all starting together, each client stopping
/// at `duration` after the start or when its iterator ends. A request under
/// way at the deadline is finished and counted, so the loop ends by itself
/// within one request time (bounded by the client's timeout) of the deadline.
pub async fn run<I>(clients: Vec<I>, duration: Duration, expect: StatusCode) -> Outcome
where
    I: Iterator<Item = RequestBuilder> + Send + 'static,
{
    let clients = clients
        .into_iter()
        .map(|requests| requests.map(|r| (r, ())))
        .collect();
    run_tagged(clients, duration, expect).await.0
}

/// A request that got the expected answer, with the tag it was sent with.
#[derive(Debug)]
pub struct Answered<T> {
    pub tag: T,
    /// When the request was handed to the client.
    pub sent: Instant,
}

/// As [`run`], for requests that carry a tag (a packet id, say): also
/// returns the tag and send time of every request that got the expected
/// answer, so that a caller can check afterwards what became of each.
pub async fn run_tagged<I, T>(
    clients: Vec<I>,
    duration: Duration,
    expect: StatusCode,
) -> (Outcome, Vec<Answered<T>>)
where
    I: Iterator<Item = (RequestBuilder, T)> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(clients.len() + 1));
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|requests| {
            let barrier = Arc::clone(&barrier);
            tokio::spawn(client(requests, barrier, duration, expect))
        })
        .collect();
    barrier.wait().await;
    let started = Instant::now();
    let cpu_before = report::process_cpu();
    let mut ok = 0;
    let mut errors = 0;
    let mut first_error = None;
    let mut samples = Vec::new();
    let mut answered = Vec::new();
    let mut exhausted = 0;
    for task in tasks {
        let c = task.await.expect("a load client panicked");
        ok += c.ok;
        errors += c.errors;
        first_error = first_error.or(c.first_error);
        samples.extend(c.latencies_us);
        answered.extend(c.answered);
        exhausted += usize::from(c.exhausted);
    }
    let elapsed = started.elapsed();
    let outcome = Outcome {
        cpu: report::process_cpu().saturating_sub(cpu_before),
        ok,
        errors,
        first_error,
        elapsed,
        latencies: Latencies::new(samples),
        exhausted,
    };
    (outcome, answered)
}

struct ClientResult<T> {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    latencies_us: Vec<u32>,
    answered: Vec<Answered<T>>,
    exhausted: bool,
}

async fn client<I, T>(
    mut requests: I,
    barrier: Arc<Barrier>,
    duration: Duration,
    expect: StatusCode,
) -> ClientResult<T>
where
    I: Iterator<Item = (RequestBuilder, T)>,
{
    let mut r = ClientResult {
        ok: 0,
        errors: 0,
        first_error: None,
        latencies_us: Vec::with_capacity(1 << 14),
        answered: Vec::new(),
        exhausted: false,
    };
    barrier.wait().await;
    let deadline = Instant::now() + duration;
    while Instant::now() < deadline {
        let Some((request, tag)) = requests.next() else {
            r.exhausted = true;
            break;
        };
        let sent = Instant::now();
        let answer = match request.send().await {
            Ok(res) => {
                let status = res.status();
                match res.bytes().await {
                    Ok(_) if status == expect => Ok(()),
                    Ok(body) => Err(format!("{status}: {}", String::from_utf8_lossy(&body))),
                    Err(e) => Err(format!("{status}, reading the body: {e}")),
                }
            }
            Err(e) => Err(format!("transport: {e}")),
        };
        match answer {
            Ok(()) => {
                r.ok += 1;
                let us = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
                r.latencies_us.push(us);
                r.answered.push(Answered { tag, sent });
            }
            Err(e) => {
                r.errors += 1;
                r.first_error.get_or_insert(e);
            }
        }
    }
    r
}
