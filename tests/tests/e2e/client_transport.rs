//! The CLI's side of the transport (SPEC §2, threat model §3.6): it refuses
//! a broker whose TLS certificate it cannot verify, and it never follows a
//! redirect (which could carry a bearer token to another host). The servers
//! here are hostile peers, not the broker: each counts what reaches it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use referral_e2e::Device;

/// A server on a free loopback port that answers every request with
/// `answer` and counts the requests that reached it.
struct Peer {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl Peer {
    fn start(
        tls: Option<axum_server::tls_rustls::RustlsConfig>,
        runtime: tokio::runtime::Runtime,
        answer: impl Fn() -> axum::response::Response + Clone + Send + Sync + 'static,
    ) -> Peer {
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&hits);
        let router = Router::new().fallback(move || {
            let answer = answer.clone();
            let counted = Arc::clone(&counted);
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                answer()
            }
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let service = router.into_make_service();
        runtime.spawn(async move {
            match tls {
                Some(tls) => axum_server::from_tcp_rustls(listener, tls)
                    .unwrap()
                    .serve(service)
                    .await
                    .unwrap(),
                None => axum_server::from_tcp(listener)
                    .unwrap()
                    .serve(service)
                    .await
                    .unwrap(),
            }
        });
        Peer {
            addr,
            hits,
            _runtime: runtime,
        }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn not_found() -> axum::response::Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"error":"not_found","message":"no such route"}"#,
    )
        .into_response()
}

/// A device set up against `url`; `init` itself does not contact the broker.
fn device_for(url: &str) -> Device {
    let device = Device::new("transport test passphrase");
    device.run_ok(&["init", "--broker", url]);
    device
}

#[test]
fn a_broker_certificate_that_does_not_verify_is_refused() {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let rt = runtime();
    let tls = rt
        .block_on(axum_server::tls_rustls::RustlsConfig::from_pem_file(
            &cert, &key,
        ))
        .unwrap();
    let peer = Peer::start(Some(tls), rt, not_found);
    let url = format!("https://localhost:{}", peer.addr.port());
    let device = device_for(&url);

    let stderr = device.run_fails(&["directory"], 3);
    assert!(
        stderr.contains(&url) && stderr.to_lowercase().contains("certificate"),
        "the error names the broker and the certificate: {stderr}"
    );
    assert_eq!(peer.hits(), 0, "no request got through the handshake");

    // Positive control: the same server, once its certificate is trusted
    // the way an operator's private CA would be, is reached. The refusal
    // above was about the certificate, not about TLS failing altogether.
    let trusting = device
        .cmd()
        .arg("directory")
        .env("SSL_CERT_FILE", &cert)
        .output()
        .unwrap();
    assert!(
        peer.hits() > 0,
        "with the certificate trusted, the request arrives: {}",
        String::from_utf8_lossy(&trusting.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&trusting.stderr)
            .to_lowercase()
            .contains("certificate"),
        "{}",
        String::from_utf8_lossy(&trusting.stderr)
    );
}

#[test]
fn a_redirect_is_never_followed() {
    let collector = Peer::start(None, runtime(), not_found);
    let target = format!("http://127.0.0.1:{}/v1/directory", collector.addr.port());
    for status in [
        StatusCode::MOVED_PERMANENTLY,
        StatusCode::FOUND,
        StatusCode::SEE_OTHER,
        StatusCode::TEMPORARY_REDIRECT,
        StatusCode::PERMANENT_REDIRECT,
    ] {
        let target = target.clone();
        let redirector = Peer::start(None, runtime(), move || {
            (status, [(header::LOCATION, target.clone())]).into_response()
        });
        let device = device_for(&format!("http://127.0.0.1:{}", redirector.addr.port()));
        let stderr = device.run_fails(&["directory"], 3);
        assert!(stderr.contains(status.as_str()), "{status}: {stderr}");
        assert_eq!(redirector.hits(), 1, "{status}: one request, not retried");
    }
    assert_eq!(collector.hits(), 0, "no redirect was followed");
}
