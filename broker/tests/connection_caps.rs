//! Connection caps (issue 14, item 1; ADR 0008): one address cannot hold
//! more than its share of sockets, and behind a trusted proxy one forwarded
//! address cannot hold more than its share of requests in flight. The slow
//! clients themselves, against the real binary under a lowered file limit,
//! are in `tests/tests/slow_clients.rs`.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::TestApp;
use referral_broker::config::ConfigLayer;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

async fn connect_from(source: Ipv4Addr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::V4(source), 0)).unwrap();
    socket.connect(to).await.unwrap()
}

/// Sends a keep-alive `GET /healthz` and reads the response head: the
/// connection stays open, admitted.
async fn healthy(stream: &mut TcpStream) -> bool {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: broker\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    match tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await {
        Ok(Ok(n)) => buf[..n].starts_with(b"HTTP/1.1 200"),
        _ => false,
    }
}

/// Whether the broker closes `stream` without answering, within a second.
async fn closed_at_once(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await,
        Ok(Ok(0) | Err(_))
    )
}

fn refusals(metrics: &str, cap: &str) -> u64 {
    let prefix = format!("referral_connections_refused_total{{cap=\"{cap}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test]
async fn a_connection_over_the_per_address_cap_is_closed_at_once() {
    let app = TestApp::spawn_on(
        common::Db::Sqlite,
        ConfigLayer {
            max_connections_per_address: Some(2),
            ..ConfigLayer::default()
        },
    )
    .await
    .unwrap();
    let local = Ipv4Addr::new(127, 0, 0, 1);
    let mut first = connect_from(local, app.addr).await;
    let mut second = connect_from(local, app.addr).await;
    assert!(healthy(&mut first).await && healthy(&mut second).await);

    let mut third = connect_from(local, app.addr).await;
    assert!(
        closed_at_once(&mut third).await,
        "a third socket from one address is closed before it can say anything"
    );
    let mut elsewhere = connect_from(Ipv4Addr::new(127, 0, 0, 2), app.addr).await;
    assert!(
        healthy(&mut elsewhere).await,
        "another address has its own share"
    );

    // A place given back is free again.
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = connect_from(local, app.addr).await;
    assert!(healthy(&mut again).await);

    drop((second, again));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(refusals(&metrics, "per_address"), 1, "{metrics}");
    assert_eq!(refusals(&metrics, "total"), 0, "{metrics}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_requests_in_flight_are_capped_per_forwarded_address() {
    let app = TestApp::spawn_on(
        common::Db::Sqlite,
        ConfigLayer {
            max_connections_per_address: Some(1),
            trusted_proxies: Some(vec!["127.0.0.1".parse().unwrap()]),
            ..ConfigLayer::default()
        },
    )
    .await
    .unwrap();
    // The proxy (127.0.0.1) forwards a client that sends its head and then
    // stalls in the body: one request in flight for 203.0.113.9.
    let mut stalled = connect_from(Ipv4Addr::LOCALHOST, app.addr).await;
    stalled
        .write_all(
            b"POST /v1/auth/challenge HTTP/1.1\r\nHost: broker\r\n\
              X-Forwarded-For: 203.0.113.9\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let healthz = |forwarded: &'static str| {
        let request = app
            .http
            .get(app.url("/healthz"))
            .header("x-forwarded-for", forwarded);
        async move { request.send().await.unwrap() }
    };
    // The proxy's second connection is admitted (a proxy carries many
    // clients), but the same forwarded address is refused, with JSON.
    let refused = healthz("203.0.113.9").await;
    assert_eq!(refused.status(), 429);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "too_many_connections", "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    // Another forwarded address has its own share.
    assert_eq!(healthz("203.0.113.10").await.status(), 200);

    // When the stalled request ends, its place is given back.
    drop(stalled);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(healthz("203.0.113.9").await.status(), 200);
}
