//! Abuse limits (ADR 0006): routes without a token are limited per client
//! address and globally; routes with a token, per device; a request whose
//! token fails is charged to its address.
//!
//! The client address is used here and nowhere else. It is never logged,
//! counted or stored, and even the limiter does not keep it: its key is a
//! keyed hash under a random key made at start-up.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use referral_protocol::DeviceId;
use ring::hmac;
use ring::rand::SystemRandom;

use crate::config::Limits;
use crate::error::{ApiError, Refusal};
use crate::state::AppState;

/// The limiter's key for a client address: HMAC-SHA-256 of the address
/// under the process's random key, truncated to 128 bits.
type AddressKey = [u8; 16];

/// The client of one request, as the limiter knows it: a keyed hash of its
/// address. `Debug` shows nothing, so it cannot leak into a log by accident.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddress(AddressKey);

impl std::fmt::Debug for ClientAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientAddress(..)")
    }
}

/// The state of every limit the broker applies to callers: the rate
/// limiters' counters (global, per address, per device) and the key that
/// hides addresses from them. The quotas themselves are in [`Limits`].
pub struct AbuseLimiter {
    unauthenticated_global: DefaultDirectRateLimiter,
    unauthenticated_per_address: DefaultKeyedRateLimiter<AddressKey>,
    per_device: DefaultKeyedRateLimiter<DeviceId>,
    address_key: hmac::Key,
    trusted_proxies: Vec<IpAddr>,
}

impl std::fmt::Debug for AbuseLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AbuseLimiter")
            .field("trusted_proxies", &self.trusted_proxies.len())
            .finish_non_exhaustive()
    }
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

/// The 429 for a limiter that said "not until then".
fn refused(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> ApiError {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    // Round up, and never say 0: a client told "retry after 0" retries at once.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Refusal::RateLimited {
        retry_after_secs: secs.max(1),
    }
    .into()
}

impl AbuseLimiter {
    /// Empty limiters with `limits`' quotas; `X-Forwarded-For` is believed only from
    /// `trusted_proxies`.
    pub fn new(limits: &Limits, trusted_proxies: Vec<IpAddr>) -> Self {
        let address_key = hmac::Key::generate(hmac::HMAC_SHA256, &SystemRandom::new())
            .expect("the system RNG is available");
        Self {
            unauthenticated_global: RateLimiter::direct(per_minute(limits.auth_per_minute)),
            unauthenticated_per_address: RateLimiter::keyed(per_minute(
                limits.unauthenticated_per_minute_per_address,
            )),
            per_device: RateLimiter::keyed(per_minute(limits.requests_per_minute_per_device)),
            address_key,
            trusted_proxies,
        }
    }

    /// The client of a request that came from `peer` with `headers`.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> ClientAddress {
        self.key(client_ip(peer, headers, &self.trusted_proxies))
    }

    /// The client that a TCP peer is, whatever it forwards: the connection
    /// caps count sockets by it ([`crate::connections`]).
    pub fn peer(&self, peer: IpAddr) -> ClientAddress {
        self.key(Some(peer))
    }

    /// Whether `peer` is a reverse proxy whose `X-Forwarded-For` is believed.
    pub fn is_trusted_proxy(&self, peer: IpAddr) -> bool {
        self.trusted_proxies.contains(&peer)
    }

    fn key(&self, address: Option<IpAddr>) -> ClientAddress {
        // No peer happens only when the router is driven without a socket
        // (never in `serve`); such requests share one bucket.
        let bytes = match address {
            Some(IpAddr::V4(v4)) => v4.to_ipv6_mapped().octets(),
            Some(IpAddr::V6(v6)) => v6.octets(),
            None => [0; 16],
        };
        let tag = hmac::sign(&self.address_key, &bytes);
        let mut key = [0u8; 16];
        key.copy_from_slice(&tag.as_ref()[..16]);
        ClientAddress(key)
    }

    /// Takes one request of a route without a token: from the client's own
    /// bucket, then from the global one.
    pub fn check_unauthenticated(&self, client: ClientAddress) -> Result<(), ApiError> {
        self.unauthenticated_per_address
            .check_key(&client.0)
            .map_err(refused)?;
        self.unauthenticated_global.check().map_err(refused)
    }

    /// Charges a request whose token failed to its address; 429 once the
    /// address has failed too often.
    pub fn charge_failed_auth(&self, client: ClientAddress) -> Result<(), ApiError> {
        self.unauthenticated_per_address
            .check_key(&client.0)
            .map_err(refused)
    }

    /// Takes one request of an authenticated device.
    pub fn check_device(&self, device: &DeviceId) -> Result<(), ApiError> {
        self.per_device.check_key(device).map_err(refused)
    }

    /// Drops the buckets of clients and devices idle for a whole window, so
    /// a spray of addresses cannot grow the tables without bound.
    pub fn forget_idle(&self) {
        self.unauthenticated_per_address.retain_recent();
        self.unauthenticated_per_address.shrink_to_fit();
        self.per_device.retain_recent();
        self.per_device.shrink_to_fit();
    }

    /// How many clients and devices hold a bucket now.
    pub fn tracked(&self) -> (usize, usize) {
        (
            self.unauthenticated_per_address.len(),
            self.per_device.len(),
        )
    }
}

/// The client's IP: the TCP peer, unless the peer is a trusted proxy; then
/// the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
/// Entries further left were written by the client and prove nothing.
fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let mut hops = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(text) = value.to_str() else {
            return Some(peer);
        };
        for hop in text.split(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => hops.push(ip),
                // A garbled chain cannot be trusted at all: limit the proxy.
                Err(_) => return Some(peer),
            }
        }
    }
    Some(
        hops.into_iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .unwrap_or(peer),
    )
}

/// The guard of every route without a token: extracting it takes one
/// request from the caller's address bucket and from the global one, or
/// refuses with 429. As a head extractor it runs before the body is read,
/// so malformed bodies spend from the bucket too.
#[derive(Debug)]
pub struct UnauthenticatedQuota;

impl FromRequestParts<AppState> for UnauthenticatedQuota {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state
            .abuse()
            .check_unauthenticated(client_of(parts, state))?;
        Ok(Self)
    }
}

/// The client of the request whose head is `parts`.
pub fn client_of(parts: &Parts, state: &AppState) -> ClientAddress {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    state.abuse().client(peer, &parts.headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_header_is_ignored_from_an_untrusted_peer() {
        let got = client_ip(Some(ip("198.51.100.7")), &xff(&["203.0.113.9"]), &[]);
        assert_eq!(got, Some(ip("198.51.100.7")));
        let trusted = [ip("10.0.0.1")];
        let got = client_ip(Some(ip("198.51.100.7")), &xff(&["203.0.113.9"]), &trusted);
        assert_eq!(got, Some(ip("198.51.100.7")));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_right_to_left() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        let peer = Some(ip("10.0.0.1"));
        // The client wrote "1.2.3.4" itself; the proxies appended the rest.
        let got = client_ip(peer, &xff(&["1.2.3.4, 203.0.113.9, 10.0.0.2"]), &trusted);
        assert_eq!(got, Some(ip("203.0.113.9")));
        // Split over several header lines, the order is the same.
        let got = client_ip(peer, &xff(&["1.2.3.4", "203.0.113.9"]), &trusted);
        assert_eq!(got, Some(ip("203.0.113.9")));
        let got = client_ip(peer, &xff(&["2001:db8::5"]), &trusted);
        assert_eq!(got, Some(ip("2001:db8::5")));
    }

    #[test]
    fn a_missing_or_garbled_chain_limits_the_proxy_itself() {
        let trusted = [ip("10.0.0.1")];
        let peer = Some(ip("10.0.0.1"));
        for bad in [
            &[][..],
            &["not an address"][..],
            &["203.0.113.9, nonsense"][..],
            &["10.0.0.1"][..],
            &[""][..],
        ] {
            assert_eq!(client_ip(peer, &xff(bad), &trusted), peer, "{bad:?}");
        }
    }

    #[test]
    fn clients_are_keyed_by_a_hash_not_their_address() {
        let limits = AbuseLimiter::new(&Limits::default(), vec![]);
        let a = limits.client(Some(ip("203.0.113.9")), &HeaderMap::new());
        let b = limits.client(Some(ip("203.0.113.10")), &HeaderMap::new());
        let v4 = limits.client(Some(ip("192.0.2.1")), &HeaderMap::new());
        let mapped = limits.client(Some(ip("::ffff:192.0.2.1")), &HeaderMap::new());
        assert_ne!(a, b);
        assert_eq!(
            v4, mapped,
            "an IPv4 client is one client however it arrives"
        );
        assert_eq!(format!("{a:?}"), "ClientAddress(..)");
        assert!(!a.0.windows(4).any(|w| w == [203, 0, 113, 9]));
        // Another process (another key) gives another hash for the same address.
        let other = AbuseLimiter::new(&Limits::default(), vec![]);
        assert_ne!(other.client(Some(ip("203.0.113.9")), &HeaderMap::new()), a);
    }

    #[test]
    fn each_address_and_each_device_has_its_own_bucket() {
        let limits = AbuseLimiter::new(
            &Limits {
                auth_per_minute: 100,
                unauthenticated_per_minute_per_address: 2,
                requests_per_minute_per_device: 3,
                ..Limits::default()
            },
            vec![],
        );
        let a = limits.client(Some(ip("203.0.113.9")), &HeaderMap::new());
        let b = limits.client(Some(ip("203.0.113.10")), &HeaderMap::new());
        assert!(limits.check_unauthenticated(a).is_ok());
        assert!(limits.charge_failed_auth(a).is_ok());
        assert!(limits.check_unauthenticated(a).is_err());
        assert!(limits.check_unauthenticated(b).is_ok());
        let (d1, d2) = (DeviceId::random(), DeviceId::random());
        for _ in 0..3 {
            assert!(limits.check_device(&d1).is_ok());
        }
        assert!(limits.check_device(&d1).is_err());
        assert!(limits.check_device(&d2).is_ok());
        assert_eq!(limits.tracked(), (2, 2));
    }

    #[test]
    fn the_global_bucket_backs_up_the_per_address_ones() {
        let limits = AbuseLimiter::new(
            &Limits {
                auth_per_minute: 3,
                unauthenticated_per_minute_per_address: 100,
                ..Limits::default()
            },
            vec![],
        );
        let results: Vec<bool> = (0..5u8)
            .map(|i| {
                let c = limits.client(Some(IpAddr::from([203, 0, 113, i])), &HeaderMap::new());
                limits.check_unauthenticated(c).is_ok()
            })
            .collect();
        assert_eq!(results, [true, true, true, false, false]);
    }
}
