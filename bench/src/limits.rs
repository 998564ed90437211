//! The limits the broker's figures are read against, measured in the same
//! run: the raw insert rate of each database at the broker's durability, and
//! an HTTP server that does nothing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use ring::rand::{SecureRandom, SystemRandom};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Row};
use tokio::sync::Barrier;

use crate::report::{self, Latencies};

/// A raw insert run.
#[derive(Debug)]
pub struct Inserts {
    /// Rows inserted and committed.
    pub rows: u64,
    /// Transactions committed.
    pub commits: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Latency of each commit (SQLite: a whole batch; PostgreSQL: one row).
    pub latencies: Latencies,
    /// The settings read back, for the report.
    pub settings: String,
    /// CPU time of this process in the run (for PostgreSQL, the client side
    /// only: the server's work is in its own processes).
    pub cpu: Duration,
}

impl Inserts {
    /// Rows per second.
    pub fn rate(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64()
    }

    /// The process's CPU use in the run, in all and per row.
    pub fn cpu_share(&self) -> String {
        report::cpu_share(self.cpu, self.elapsed, self.rows, "row")
    }
}

/// A `blob_len`-byte blob, different from the last in its first 8 bytes.
struct Blobs {
    base: Vec<u8>,
    counter: u64,
    rng: SystemRandom,
}

impl Blobs {
    fn new(blob_len: usize) -> anyhow::Result<Self> {
        let rng = SystemRandom::new();
        let mut base = vec![0u8; blob_len.max(8)];
        rng.fill(&mut base).map_err(|_| anyhow::anyhow!("rng"))?;
        Ok(Self {
            base,
            counter: 0,
            rng,
        })
    }

    /// A random 16-byte id (the broker's packet ids are random too, so the
    /// B-tree sees the same scattered inserts) and the next blob.
    fn next(&mut self) -> anyhow::Result<([u8; 16], Vec<u8>)> {
        let mut id = [0u8; 16];
        self.rng.fill(&mut id).map_err(|_| anyhow::anyhow!("rng"))?;
        self.counter += 1;
        let mut blob = self.base.clone();
        blob[..8].copy_from_slice(&self.counter.to_le_bytes());
        Ok((id, blob))
    }
}

/// Inserts `blob_len`-byte blobs into a fresh SQLite database in `dir` with
/// the broker's settings (WAL, `synchronous=FULL`, `secure_delete=ON`), one
/// connection, `batch` rows per `BEGIN IMMEDIATE … COMMIT`, for `duration`
/// or `max_rows` rows, whichever comes first.
pub async fn raw_sqlite(
    dir: &std::path::Path,
    batch: usize,
    blob_len: usize,
    duration: Duration,
    max_rows: u64,
) -> anyhow::Result<Inserts> {
    let path = dir.join(format!("raw-b{batch}.db"));
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .pragma("secure_delete", "ON")
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await?;
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&mut conn)
        .await?;
    let secure_delete: i64 = sqlx::query_scalar("PRAGMA secure_delete")
        .fetch_one(&mut conn)
        .await?;
    if !journal.eq_ignore_ascii_case("wal") || synchronous != 2 || secure_delete != 1 {
        bail!(
            "raw SQLite settings are journal_mode={journal} synchronous={synchronous} \
             secure_delete={secure_delete}, not WAL/FULL(2)/ON(1)"
        );
    }
    sqlx::raw_sql("CREATE TABLE blobs (id BLOB PRIMARY KEY, data BLOB NOT NULL)")
        .execute(&mut conn)
        .await?;

    let mut blobs = Blobs::new(blob_len)?;
    let mut rows = 0u64;
    let mut commits = 0u64;
    let mut samples = Vec::new();
    let started = Instant::now();
    let cpu_before = report::process_cpu();
    let deadline = started + duration;
    while Instant::now() < deadline && rows < max_rows {
        let t = Instant::now();
        sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut conn).await?;
        for _ in 0..batch {
            let (id, blob) = blobs.next()?;
            sqlx::query("INSERT INTO blobs (id, data) VALUES (?1, ?2)")
                .bind(&id[..])
                .bind(blob)
                .execute(&mut conn)
                .await?;
        }
        sqlx::raw_sql("COMMIT").execute(&mut conn).await?;
        rows += batch as u64;
        commits += 1;
        samples.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
    }
    let elapsed = started.elapsed();
    let cpu = report::process_cpu().saturating_sub(cpu_before);
    conn.close().await?;
    Ok(Inserts {
        rows,
        commits,
        elapsed,
        latencies: Latencies::new(samples),
        cpu,
        settings: format!(
            "journal_mode={journal} synchronous=FULL secure_delete=ON, batch={batch}"
        ),
    })
}

/// Inserts `blob_len`-byte BYTEA rows into a fresh table at `url` from
/// `connections` concurrent connections, one row per transaction
/// (autocommit), for `duration` or `max_rows` rows in all.
pub async fn raw_postgres(
    url: &str,
    connections: u32,
    blob_len: usize,
    duration: Duration,
    max_rows: u64,
) -> anyhow::Result<Inserts> {
    let pool = PgPoolOptions::new()
        .max_connections(connections)
        .min_connections(connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .context("connecting to PostgreSQL")?;
    let settings = sqlx::query(
        "SELECT current_setting('fsync'), current_setting('synchronous_commit'), \
         current_setting('wal_sync_method'), current_setting('max_connections')",
    )
    .fetch_one(&pool)
    .await?;
    let settings = format!(
        "fsync={} synchronous_commit={} wal_sync_method={} (server max_connections={})",
        settings.get::<String, _>(0),
        settings.get::<String, _>(1),
        settings.get::<String, _>(2),
        settings.get::<String, _>(3),
    );
    sqlx::raw_sql(
        "DROP TABLE IF EXISTS raw_blobs; \
         CREATE TABLE raw_blobs (id BYTEA PRIMARY KEY, data BYTEA NOT NULL)",
    )
    .execute(&pool)
    .await?;

    let per_task = max_rows.div_ceil(u64::from(connections));
    let barrier = Arc::new(Barrier::new(connections as usize + 1));
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let pool = pool.clone();
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                let mut blobs = Blobs::new(blob_len)?;
                let mut conn = pool.acquire().await?;
                let mut samples = Vec::new();
                barrier.wait().await;
                let deadline = Instant::now() + duration;
                while Instant::now() < deadline && (samples.len() as u64) < per_task {
                    let (id, blob) = blobs.next()?;
                    let t = Instant::now();
                    sqlx::query("INSERT INTO raw_blobs (id, data) VALUES ($1, $2)")
                        .bind(&id[..])
                        .bind(blob)
                        .execute(&mut *conn)
                        .await?;
                    samples.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                }
                anyhow::Ok(samples)
            })
        })
        .collect();
    barrier.wait().await;
    let started = Instant::now();
    let cpu_before = report::process_cpu();
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await??);
    }
    let elapsed = started.elapsed();
    let cpu = report::process_cpu().saturating_sub(cpu_before);
    pool.close().await;
    let rows = samples.len() as u64;
    Ok(Inserts {
        rows,
        commits: rows,
        elapsed,
        latencies: Latencies::new(samples),
        settings,
        cpu,
    })
}

/// The do-nothing server: `GET /noop` answers 200 with an empty body, and
/// `POST /sink` reads the whole body and answers 201, on the same server
/// stack as the broker (axum on axum-server).
#[derive(Debug)]
pub struct NoopServer {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: axum_server::Handle<SocketAddr>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl NoopServer {
    /// Serves on `127.0.0.1:0`.
    pub async fn start() -> anyhow::Result<Self> {
        let router = Router::new()
            .route("/noop", get(|| async { StatusCode::OK }))
            .route(
                "/sink",
                post(|body: axum::body::Bytes| async move {
                    std::hint::black_box(body.len());
                    StatusCode::CREATED
                })
                .layer(axum::extract::DefaultBodyLimit::max(64 << 20)),
            );
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let handle = axum_server::Handle::new();
        let server = axum_server::from_tcp(listener)?.handle(handle.clone());
        let task = tokio::spawn(server.serve(router.into_make_service()));
        Ok(Self { addr, handle, task })
    }

    /// Stops it and waits.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        self.task.await??;
        Ok(())
    }
}
