//! The broker's address, and which addresses the client agrees to use.
//!
//! Tokens and packets travel to the broker. Packets are end-to-end encrypted,
//! but bearer tokens and routing metadata are not, so plain `http://` would
//! hand them to anyone on the path. It is allowed only to a loopback address,
//! where there is no path: a broker on the same machine, for development and
//! for the test suites (SPEC §8: "The CLI refuses plain `http://` to anything
//! but loopback").
//!
//! Parsing goes through the WHATWG URL parser rather than string matching, so
//! tricks such as `http://127.0.0.1@evil.example/` (userinfo), `http://127.1`
//! (short IPv4) or `HTTP://LOCALHOST` are judged by the host the HTTP client
//! will actually connect to.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::{Host, Url};

/// Why a broker address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokerUrlError {
    /// Not a URL at all.
    #[error("{input:?} is not a valid URL ({reason})")]
    Malformed {
        /// The rejected text, shortened.
        input: String,
        /// What the URL parser said.
        reason: String,
    },
    /// Plain HTTP to a host that is not loopback.
    #[error(
        "refusing plain http:// to {host}: tokens and metadata would cross the network unencrypted. \
         Use https://, or http:// only to a loopback address (127.0.0.0/8, [::1], localhost)"
    )]
    PlainHttpNotLoopback {
        /// The host that was refused.
        host: String,
    },
    /// A scheme other than `http` or `https`.
    #[error(
        "refusing broker URL scheme {scheme:?}: use https:// (or http:// to a loopback address)"
    )]
    Scheme {
        /// The refused scheme.
        scheme: String,
    },
    /// Credentials in the URL would be written to device.json in clear text
    /// and sent on every request; the broker authenticates devices by their
    /// keys instead.
    #[error("refusing a broker URL with a user name or password in it")]
    Credentials,
    /// The broker URL is a base address; a query or fragment has no meaning
    /// there and would be silently dropped or misapplied.
    #[error("refusing a broker URL with a query (?…) or fragment (#…)")]
    QueryOrFragment,
}

/// A broker base URL that passed the transport policy above. Its text form
/// is the parser's canonical serialisation without a trailing `/` when the
/// path is empty, so `https://Broker.Example/` and `https://broker.example`
/// are the same broker.
#[derive(Clone, PartialEq, Eq)]
pub struct BrokerUrl(Url);

impl BrokerUrl {
    /// The parsed URL.
    pub fn as_url(&self) -> &Url {
        &self.0
    }

    /// Whether the broker is reached without TLS (loopback only).
    pub fn is_plain_http(&self) -> bool {
        self.0.scheme() == "http"
    }
}

/// Whether `host` can only mean this machine.
fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
        // Only the exact name: RFC 6761 reserves `localhost` for loopback.
        // Anything else (`localhost.`, `foo.localhost`) depends on resolver
        // configuration, so it is refused rather than trusted.
        Host::Domain(name) => *name == "localhost",
    }
}

impl FromStr for BrokerUrl {
    type Err = BrokerUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = Url::parse(s).map_err(|e| BrokerUrlError::Malformed {
            input: s.chars().take(200).collect(),
            reason: e.to_string(),
        })?;
        match url.scheme() {
            "https" => {}
            "http" => {
                // The parser guarantees a host for the http scheme.
                let host = url.host().ok_or_else(|| BrokerUrlError::Malformed {
                    input: s.chars().take(200).collect(),
                    reason: "no host".to_owned(),
                })?;
                if !is_loopback(&host) {
                    return Err(BrokerUrlError::PlainHttpNotLoopback {
                        host: host.to_string(),
                    });
                }
            }
            other => {
                return Err(BrokerUrlError::Scheme {
                    scheme: other.to_owned(),
                });
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(BrokerUrlError::Credentials);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(BrokerUrlError::QueryOrFragment);
        }
        Ok(Self(url))
    }
}

impl fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.as_str();
        // Only the bare root path loses its slash; `https://h/prefix/` keeps
        // it, since a reverse-proxy prefix may depend on it.
        if self.0.path() == "/" {
            f.write_str(text.trim_end_matches('/'))
        } else {
            f.write_str(text)
        }
    }
}

impl fmt::Debug for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BrokerUrl({self})")
    }
}

impl Serialize for BrokerUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Deserialising applies the same policy, so a device.json edited by hand to
/// point at `http://elsewhere` is refused too.
impl<'de> Deserialize<'de> for BrokerUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<BrokerUrl, BrokerUrlError> {
        s.parse()
    }

    #[test]
    fn https_is_accepted_anywhere() {
        assert_eq!(
            parse("https://broker.example").unwrap().to_string(),
            "https://broker.example"
        );
        assert_eq!(
            parse("HTTPS://Broker.Example:8443/").unwrap().to_string(),
            "https://broker.example:8443"
        );
        assert_eq!(
            parse("https://broker.example/referral/")
                .unwrap()
                .to_string(),
            "https://broker.example/referral/"
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.8.9.10",
            "http://127.1:8080",
            "http://[::1]:8080",
            "http://localhost:8080",
            "http://LOCALHOST:8080/",
        ] {
            let url = parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert!(url.is_plain_http());
        }
        for bad in [
            "http://example.org",
            "http://10.0.0.1:8080",
            "http://[::2]:8080",
            "http://0.0.0.0:8080",
            "http://localhost.:8080",
            "http://foo.localhost:8080",
            "http://localhost.example.org",
            "http://127.0.0.1.nip.io",
            // Userinfo must not disguise the real host.
            "http://127.0.0.1@evil.example/",
            "http://[::ffff:8.8.8.8]/",
        ] {
            assert!(
                matches!(parse(bad), Err(BrokerUrlError::PlainHttpNotLoopback { .. })),
                "{bad} should be refused as non-loopback http"
            );
        }
    }

    #[test]
    fn other_schemes_and_garbage_are_refused() {
        assert!(matches!(
            parse("ftp://broker.example"),
            Err(BrokerUrlError::Scheme { .. })
        ));
        assert!(matches!(
            parse("file:///etc/passwd"),
            Err(BrokerUrlError::Scheme { .. })
        ));
        assert!(matches!(
            parse("broker.example"),
            Err(BrokerUrlError::Malformed { .. })
        ));
        assert!(matches!(parse(""), Err(BrokerUrlError::Malformed { .. })));
        assert!(matches!(
            parse("https://"),
            Err(BrokerUrlError::Malformed { .. })
        ));
    }

    #[test]
    fn credentials_query_and_fragment_are_refused() {
        assert_eq!(
            parse("https://user:pw@broker.example"),
            Err(BrokerUrlError::Credentials)
        );
        assert_eq!(
            parse("https://broker.example/?x=1"),
            Err(BrokerUrlError::QueryOrFragment)
        );
        assert_eq!(
            parse("https://broker.example/#top"),
            Err(BrokerUrlError::QueryOrFragment)
        );
    }

    #[test]
    fn serde_applies_the_policy() {
        let url: BrokerUrl = serde_json::from_str("\"https://broker.example\"").unwrap();
        assert_eq!(
            serde_json::to_string(&url).unwrap(),
            "\"https://broker.example\""
        );
        assert!(serde_json::from_str::<BrokerUrl>("\"http://example.org\"").is_err());
    }
}
