//! A malicious broker for the trust tests (SPEC §11, malicious-directory
//! harness): a proxy in front of the real broker that passes every request
//! through unchanged, except that, once told to, it rewrites the directory
//! log it serves. A client pointed at the proxy cannot tell it from a broker
//! whose operator (or database) has turned against it.
//!
//! It can also lose the broker's answers to packet uploads, to show that a
//! retried send is stored once.
//!
//! The proxy runs its own tokio runtime on a background thread, so the
//! tests that use it stay plain blocking tests driving the real binaries.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use referral_protocol::api::DirectoryPage;
use referral_protocol::directory::Entry;
use tokio::sync::oneshot;

/// Rewrites the whole log (every entry the honest broker holds, from
/// genesis) into the log the proxy pretends to hold.
pub type Tamper = Arc<dyn Fn(Vec<Entry>) -> Vec<Entry> + Send + Sync>;

#[derive(Clone)]
struct Shared {
    upstream: String,
    http: reqwest::Client,
    tamper: Arc<Mutex<Option<Tamper>>>,
    lose_answers: Arc<AtomicUsize>,
}

/// The proxy; stops when dropped.
pub struct TamperingProxy {
    /// `http://127.0.0.1:PORT`: give this to `referral init --broker`.
    pub url: String,
    tamper: Arc<Mutex<Option<Tamper>>>,
    lose_answers: Arc<AtomicUsize>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl std::fmt::Debug for TamperingProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TamperingProxy")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl TamperingProxy {
    /// A proxy to `upstream` (`http://127.0.0.1:PORT`), honest until told
    /// otherwise.
    pub fn start(upstream: &str) -> TamperingProxy {
        let tamper: Arc<Mutex<Option<Tamper>>> = Arc::new(Mutex::new(None));
        let lose_answers = Arc::new(AtomicUsize::new(0));
        let shared = Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            tamper: tamper.clone(),
            lose_answers: lose_answers.clone(),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<SocketAddr>();
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("proxy runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind the proxy");
                ready_tx
                    .send(listener.local_addr().expect("proxy addr"))
                    .expect("report the proxy's address");
                let app = Router::new().fallback(forward).with_state(shared);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("proxy server");
            });
        });
        let addr = ready_rx.recv().expect("the proxy started");
        TamperingProxy {
            url: format!("http://{addr}"),
            tamper,
            lose_answers,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// From now on, serve `f(honest log)` instead of the honest log.
    pub fn tamper(&self, f: impl Fn(Vec<Entry>) -> Vec<Entry> + Send + Sync + 'static) {
        *self.tamper.lock().expect("tamper lock") = Some(Arc::new(f));
    }

    /// The next `n` packet uploads (`POST /v1/packets`) reach the broker,
    /// which stores them, but their answers are lost on the way back: the
    /// client sees a gateway error, as after a dropped connection.
    pub fn lose_packet_answers(&self, n: usize) {
        self.lose_answers.store(n, Ordering::SeqCst);
    }

    /// Serve the honest log again.
    pub fn honest(&self) {
        *self.tamper.lock().expect("tamper lock") = None;
    }
}

impl Drop for TamperingProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Passes a request through, or answers `GET /v1/directory` from the
/// tampered log.
async fn forward(State(shared): State<Shared>, request: Request) -> Response {
    let tamper = shared.tamper.lock().expect("tamper lock").clone();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    if let Some(tamper) = tamper
        && request.method() == axum::http::Method::GET
        && request.uri().path() == "/v1/directory"
    {
        let query = request.uri().query().map(str::to_owned);
        return serve_tampered(&shared, query.as_deref(), request.headers(), &tamper).await;
    }
    let method = request.method().clone();
    let is_upload = method == axum::http::Method::POST && path_and_query == "/v1/packets";
    let headers = request.headers().clone();
    let body = match axum::body::to_bytes(request.into_body(), 128 * 1024 * 1024).await {
        Ok(body) => body,
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    };
    let mut upstream = shared
        .http
        .request(method, format!("{}{path_and_query}", shared.upstream))
        .body(body);
    for (name, value) in headers.iter() {
        if name != axum::http::header::HOST {
            upstream = upstream.header(name, value);
        }
    }
    match upstream.send().await {
        Ok(res)
            if is_upload
                && shared
                    .lose_answers
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok() =>
        {
            // The broker answered; the client never hears it.
            drop(res);
            StatusCode::BAD_GATEWAY.into_response()
        }
        Ok(res) => relay(res).await,
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

async fn relay(res: reqwest::Response) -> Response {
    let status = res.status();
    let mut headers = HeaderMap::new();
    for (name, value) in res.headers() {
        if name != axum::http::header::TRANSFER_ENCODING
            && name != axum::http::header::CONTENT_LENGTH
        {
            headers.insert(name.clone(), value.clone());
        }
    }
    let body: Bytes = res.bytes().await.unwrap_or_default();
    (status, headers, Body::from(body)).into_response()
}

/// The whole honest log from upstream, read with the client's own
/// credentials (the directory is not public: ADR 0019 §3), rewritten, then
/// cut at `since` the way an honest broker cuts it. A refusal upstream is
/// passed on as it is.
async fn serve_tampered(
    shared: &Shared,
    query: Option<&str>,
    headers: &HeaderMap,
    tamper: &Tamper,
) -> Response {
    let since: usize = query
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("since=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut upstream = shared
        .http
        .get(format!("{}/v1/directory?since=0", shared.upstream));
    for name in [
        axum::http::header::AUTHORIZATION.as_str(),
        referral_protocol::paths::INVITE_HEADER,
    ] {
        if let Some(value) = headers.get(name) {
            upstream = upstream.header(name, value);
        }
    }
    let honest: DirectoryPage = match upstream.send().await {
        Ok(res) if !res.status().is_success() => return relay(res).await,
        Ok(res) => match res.json().await {
            Ok(page) => page,
            Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
        },
        Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
    };
    let entries: Vec<Entry> = honest
        .entries
        .iter()
        .map(|e| Entry::from_base64(e).expect("the honest broker serves valid entries"))
        .collect();
    let served = tamper(entries);
    let page = DirectoryPage {
        head_seq: served.last().map(|e| e.seq),
        entries: served.iter().skip(since).map(Entry::to_base64).collect(),
    };
    axum::Json(page).into_response()
}
