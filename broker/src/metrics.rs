//! Prometheus metrics: counts, and request latencies in fixed buckets.
//! Labels are route templates (`/v1/packets/{id}`), methods, status codes or
//! classes and refusal codes: never an id, an address, a desk or anything
//! else that could identify a person.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use referral_store::{Counts, PurgeReport};

/// The broker's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latencies: Mutex<BTreeMap<LatencyKey, Histogram>>,
    packets_stored: AtomicU64,
    packets_refused: Mutex<BTreeMap<&'static str, u64>>,
    tokens_issued: AtomicU64,
    purged: AtomicU64,
    expired: AtomicU64,
    threads_deleted: AtomicU64,
    connections_open: AtomicU64,
    connections_refused: Mutex<BTreeMap<&'static str, u64>>,
    tls_handshakes: Mutex<BTreeMap<&'static str, u64>>,
}

/// Upper bounds of the latency buckets, in seconds: from a cached read to
/// the whole-request timeout's order of magnitude.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Route template, method, status class (`2xx`…).
type LatencyKey = (String, String, &'static str);

/// One latency histogram: a count per bucket (not cumulative; summed when
/// rendered), the overflow, and the sum.
#[derive(Debug, Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum_secs: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        if let Some(i) = LATENCY_BUCKETS.iter().position(|bound| secs <= *bound) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum_secs += secs;
    }
}

/// `2xx`, `4xx`…: the class alone keeps the label set small.
fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

impl Metrics {
    /// One request answered, by route template and status, and how long it
    /// took, by route template, method and status class.
    pub fn request(&self, route: &str, method: &str, status: u16, took: Duration) {
        let mut map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry((route.to_owned(), status)).or_default() += 1;
        drop(map);
        let mut latencies = self.latencies.lock().unwrap_or_else(|p| p.into_inner());
        latencies
            .entry((route.to_owned(), method.to_owned(), status_class(status)))
            .or_default()
            .observe(took.as_secs_f64());
    }

    /// A packet stored.
    pub fn packet_stored(&self) {
        self.packets_stored.fetch_add(1, Ordering::Relaxed);
    }

    /// A packet refused, by error code.
    pub fn packet_refused(&self, code: &'static str) {
        let mut map = self
            .packets_refused
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *map.entry(code).or_default() += 1;
    }

    /// A token issued.
    pub fn token_issued(&self) {
        self.tokens_issued.fetch_add(1, Ordering::Relaxed);
    }

    /// A retention run's results.
    pub fn purged(&self, report: &PurgeReport) {
        self.purged.fetch_add(report.purged, Ordering::Relaxed);
        self.expired.fetch_add(report.expired, Ordering::Relaxed);
        self.threads_deleted
            .fetch_add(report.threads_deleted, Ordering::Relaxed);
    }

    /// A connection admitted.
    pub fn connection_opened(&self) {
        self.connections_open.fetch_add(1, Ordering::Relaxed);
    }

    /// An admitted connection closed.
    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    /// A connection (or a request through a trusted proxy) turned away, by
    /// the cap it met.
    pub fn connection_refused(&self, cap: &'static str) {
        let mut map = self
            .connections_refused
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *map.entry(cap).or_default() += 1;
    }

    /// A TLS handshake completed with the key exchange `group`
    /// (`connections::group_word`).
    pub fn tls_handshake(&self, group: &'static str) {
        let mut map = self
            .tls_handshakes
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *map.entry(group).or_default() += 1;
    }

    /// The Prometheus text exposition, with the store's current counts.
    pub fn render(&self, counts: &Counts) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        counter(
            "referral_packets_stored_total",
            "Packets stored.",
            self.packets_stored.load(Ordering::Relaxed),
        );
        counter(
            "referral_tokens_issued_total",
            "Tokens issued.",
            self.tokens_issued.load(Ordering::Relaxed),
        );
        counter(
            "referral_packets_purged_total",
            "Acknowledged packets purged.",
            self.purged.load(Ordering::Relaxed),
        );
        counter(
            "referral_packets_expired_total",
            "Unread packets expired.",
            self.expired.load(Ordering::Relaxed),
        );
        counter(
            "referral_threads_deleted_total",
            "Closed threads deleted after the retention period.",
            self.threads_deleted.load(Ordering::Relaxed),
        );

        let _ = writeln!(
            out,
            "# HELP referral_packets_refused_total Packets refused, by reason."
        );
        let _ = writeln!(out, "# TYPE referral_packets_refused_total counter");
        for (code, n) in self
            .packets_refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "referral_packets_refused_total{{reason=\"{code}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP referral_http_requests_total Requests, by route template and status."
        );
        let _ = writeln!(out, "# TYPE referral_http_requests_total counter");
        for ((route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "referral_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP referral_http_request_duration_seconds Time to answer a request, by route \
             template, method and status class."
        );
        let _ = writeln!(
            out,
            "# TYPE referral_http_request_duration_seconds histogram"
        );
        for ((route, method, class), h) in self
            .latencies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let labels = format!("route=\"{route}\",method=\"{method}\",status=\"{class}\"");
            let mut cumulative = 0;
            for (bound, n) in LATENCY_BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "referral_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "referral_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
                 referral_http_request_duration_seconds_sum{{{labels}}} {}\n\
                 referral_http_request_duration_seconds_count{{{labels}}} {}",
                h.count, h.sum_secs, h.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP referral_connections_refused_total Connections closed at once, and \
             requests through a trusted proxy refused, by the cap they met."
        );
        let _ = writeln!(out, "# TYPE referral_connections_refused_total counter");
        for (cap, n) in self
            .connections_refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "referral_connections_refused_total{{cap=\"{cap}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP referral_tls_handshakes_total TLS handshakes completed, by the key \
             exchange negotiated (X25519MLKEM768 is the hybrid post-quantum one)."
        );
        let _ = writeln!(out, "# TYPE referral_tls_handshakes_total counter");
        for (group, n) in self
            .tls_handshakes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "referral_tls_handshakes_total{{group=\"{group}\"}} {n}"
            );
        }
        let mut gauge = |name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        };
        gauge(
            "referral_pending_packets",
            "Packets waiting to be read.",
            counts.pending_packets,
        );
        gauge(
            "referral_acknowledged_packets",
            "Acknowledged packets not yet purged.",
            counts.acknowledged_packets,
        );
        gauge(
            "referral_stored_bytes",
            "Bytes of ciphertext held.",
            counts.stored_bytes,
        );
        gauge(
            "referral_open_connections",
            "Client connections open.",
            self.connections_open.load(Ordering::Relaxed),
        );
        gauge("referral_desks", "Desks.", counts.desks);
        gauge(
            "referral_active_devices",
            "Active devices.",
            counts.active_devices,
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_with_route_templates_only() {
        let m = Metrics::default();
        m.request("/v1/packets/{id}", "GET", 200, Duration::from_millis(3));
        m.request("/v1/packets/{id}", "GET", 200, Duration::from_millis(70));
        m.request("/v1/packets/{id}", "GET", 404, Duration::from_secs(60));
        m.packet_refused("not_padded");
        m.connection_refused("per_address");
        m.connection_opened();
        m.purged(&PurgeReport {
            purged: 2,
            expired: 1,
            threads_deleted: 4,
        });
        let text = m.render(&Counts {
            pending_packets: 3,
            ..Counts::default()
        });
        assert!(
            text.contains(
                "referral_http_requests_total{route=\"/v1/packets/{id}\",status=\"200\"} 2"
            )
        );
        assert!(text.contains("referral_packets_refused_total{reason=\"not_padded\"} 1"));
        assert!(text.contains("referral_pending_packets 3"));
        assert!(text.contains("referral_connections_refused_total{cap=\"per_address\"} 1"));
        assert!(text.contains("referral_open_connections 1"));
        assert!(text.contains("referral_packets_purged_total 2"));
        assert!(text.contains("referral_threads_deleted_total 4"));
        let ok = "route=\"/v1/packets/{id}\",method=\"GET\",status=\"2xx\"";
        assert!(text.contains(&format!(
            "referral_http_request_duration_seconds_bucket{{{ok},le=\"0.005\"}} 1"
        )));
        assert!(text.contains(&format!(
            "referral_http_request_duration_seconds_bucket{{{ok},le=\"0.1\"}} 2"
        )));
        assert!(text.contains(&format!(
            "referral_http_request_duration_seconds_count{{{ok}}} 2"
        )));
        let slow = "route=\"/v1/packets/{id}\",method=\"GET\",status=\"4xx\"";
        assert!(text.contains(&format!(
            "referral_http_request_duration_seconds_bucket{{{slow},le=\"30\"}} 0"
        )));
        assert!(text.contains(&format!(
            "referral_http_request_duration_seconds_bucket{{{slow},le=\"+Inf\"}} 1"
        )));
    }
}
