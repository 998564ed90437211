//! The broker's HTTP API, from the device's side: one blocking client, JSON
//! in and out, and errors sorted by what the user can do about them.
//!
//! Nothing here is trusted for keys: the directory is verified by
//! [`crate::trust`], and packets by `referral_protocol::open`. This module
//! only moves bytes and reports the broker's refusals.

use std::io::{Read, Write};
use std::time::Duration;

use anyhow::anyhow;
use referral_protocol::RefusalCode;
use referral_protocol::api::ErrorBody;
use reqwest::StatusCode;
use reqwest::blocking::{Body, Client, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::broker_url::BrokerUrl;
use crate::exit::Failure;
use crate::retry::{Decision, RetryPolicy, Setback, retry_after};

/// How long to wait for the broker to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole request may take; packets of tens of MiB on a slow
/// line need minutes, not seconds.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// Why a request to the broker failed.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// No answer: the broker is down, the address is wrong, or the network
    /// is (exit 3).
    /// One line, with the next step: the HTTP client's own chain is of no
    /// use to the person reading it (ADR 0015).
    #[error("{}", unreachable_words(broker, cause))]
    Unreachable {
        /// The broker's address.
        broker: String,
        /// What the HTTP client said.
        cause: reqwest::Error,
    },
    /// The broker answered with an error (`{"error","message"}`): its
    /// meaning in plain words, the code kept for whoever helps.
    #[error(
        "{}",
        crate::tr!(
            "errors-refused",
            what = crate::refusal::plain_words(code, message),
            code = code.as_str(),
            status = status.as_u16().to_string()
        )
    )]
    Refused {
        /// The HTTP status.
        status: StatusCode,
        /// The stable error code.
        code: String,
        /// The broker's explanation.
        message: String,
    },
    /// The broker is limiting requests from this device or address (HTTP
    /// 429), and waiting as long as it asked did not help, or would take too
    /// long. Nothing was changed; the same request may be repeated (exit 3).
    #[error(
        "the broker at {broker} is limiting requests from this device or network; \
         nothing was changed: try again in {retry_after_secs} s"
    )]
    Busy {
        /// The broker's address.
        broker: String,
        /// How long the broker asked to wait.
        retry_after_secs: u64,
    },
    /// The broker answered something that is not this API (a proxy's error
    /// page, say, or a server error).
    #[error("the broker at {broker} gave an unexpected answer: {what}")]
    Unexpected {
        /// The broker's address.
        broker: String,
        /// What was wrong with it.
        what: String,
    },
}

impl BrokerError {
    /// The error code of a refusal, if it is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            BrokerError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The refusal's code, if it is a refusal with a code this build
    /// knows (an unknown one is `None`, like any other error).
    pub fn refusal(&self) -> Option<RefusalCode> {
        self.code().and_then(|code| code.parse().ok())
    }

    /// The HTTP status of a refusal, if it is one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            BrokerError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Why the broker could not be reached, in the user's language.
fn unreachable_words(broker: &str, cause: &reqwest::Error) -> String {
    let why = if cause.is_timeout() {
        crate::tr!("errors-unreachable-timeout")
    } else if names_a_certificate(cause) {
        crate::tr!("errors-unreachable-certificate")
    } else if cause.is_connect() {
        crate::tr!("errors-unreachable-connect")
    } else {
        crate::tr!("errors-unreachable-other")
    };
    crate::tr!("errors-unreachable", broker = broker, why = why)
}

/// Whether TLS refused the broker's certificate. reqwest has no kind for
/// it, so the cause chain is read: rustls says "invalid peer certificate".
fn names_a_certificate(cause: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(cause);
    while let Some(e) = source {
        if e.to_string().to_lowercase().contains("certificate") {
            return true;
        }
        source = e.source();
    }
    false
}

impl From<BrokerError> for Failure {
    fn from(e: BrokerError) -> Self {
        match e {
            // A refusal is an answer about the request, which the user can
            // act on; everything else means the broker is not usable now.
            BrokerError::Refused { .. } => Failure::User(e.into()),
            BrokerError::Unreachable { .. }
            | BrokerError::Busy { .. }
            | BrokerError::Unexpected { .. } => Failure::BrokerUnreachable(e.into()),
        }
    }
}

/// A client for one broker.
#[derive(Debug, Clone)]
pub struct BrokerClient {
    base: BrokerUrl,
    http: Client,
}

impl BrokerClient {
    /// A client for `base` (already checked against the plain-HTTP rule by
    /// [`BrokerUrl`]).
    pub fn new(base: &BrokerUrl) -> anyhow::Result<Self> {
        Self::with_timeout(base, REQUEST_TIMEOUT)
    }

    /// A client whose every request gives up after `timeout`: for work that
    /// has a useful answer without the broker (the case list as of the last
    /// sync), so that a broker which accepts but never answers cannot hold
    /// it for the upload timeout.
    pub fn with_timeout(base: &BrokerUrl, timeout: Duration) -> anyhow::Result<Self> {
        let mut builder = Client::builder()
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            // A redirect could take a bearer token to another host.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("referral/", env!("CARGO_PKG_VERSION")));
        if base.is_plain_http() {
            // Building the client otherwise loads and parses every root
            // certificate of the system (on Debian the bundle and the hashed
            // directory, ~290 PEM files): about 5 ms of every command's run,
            // spent on trust that a plain-http (loopback-only, see
            // `broker_url`) broker never uses. An empty root store is not a
            // weakening: no https request can leave this client, since its
            // base is http and it follows no redirects, and if one did it
            // would fail verification rather than pass it.
            builder = builder.tls_certs_only(std::iter::empty());
        }
        let http = builder
            .build()
            .map_err(|e| anyhow!("cannot set up the HTTP client: {e}"))?;
        Ok(Self {
            base: base.clone(),
            http,
        })
    }

    /// The broker's address.
    pub fn base(&self) -> &BrokerUrl {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        let base = self.base.as_url().as_str().trim_end_matches('/');
        format!("{base}{path}")
    }

    /// `GET path`, JSON answer.
    pub fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> Result<T, BrokerError> {
        self.json(with_token(self.http.get(self.url(path)), token))
    }

    /// `GET path` with an invite code instead of a token, JSON answer: the
    /// directory, read by a device not enrolled yet (ADR 0019 §3).
    pub fn get_with_invite<T: DeserializeOwned>(
        &self,
        path: &str,
        code: &str,
    ) -> Result<T, BrokerError> {
        self.json(
            self.http
                .get(self.url(path))
                .header(referral_protocol::paths::INVITE_HEADER, code),
        )
    }

    /// `POST path` with a JSON body, JSON answer.
    pub fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        token: Option<&str>,
    ) -> Result<T, BrokerError> {
        self.json(with_token(self.http.post(self.url(path)), token).json(body))
    }

    /// `POST path` with no body, JSON answer.
    pub fn post_empty<T: DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
    ) -> Result<T, BrokerError> {
        self.json(with_token(self.http.post(self.url(path)), Some(token)))
    }

    /// `GET path`, raw bytes (a packet's ciphertext).
    pub fn get_bytes(&self, path: &str, token: &str) -> Result<Vec<u8>, BrokerError> {
        let response = self.send(with_token(self.http.get(self.url(path)), Some(token)))?;
        response
            .bytes()
            .map(|b| b.to_vec())
            .map_err(|e| self.unexpected(format!("the body was cut short: {e}")))
    }

    /// `POST path` with raw bytes and extra headers, JSON answer.
    pub fn post_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<T, BrokerError> {
        let mut request = with_token(self.http.post(self.url(path)), Some(token))
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        self.json(request.body(body))
    }

    /// `POST path` with a streamed body of `len` bytes (a sealed packet on
    /// disk, read in constant memory) and extra headers, JSON answer.
    pub fn post_stream<T: DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
        headers: &[(&str, String)],
        body: impl Read + Send + 'static,
        len: u64,
    ) -> Result<T, BrokerError> {
        let mut request = with_token(self.http.post(self.url(path)), Some(token))
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        self.json(request.body(Body::sized(body, len)))
    }

    /// `GET path`, the body streamed into `out` (a packet's ciphertext, in
    /// constant memory). `on_length` hears the announced length first (for a
    /// progress bar). Returns the number of bytes written.
    pub fn download(
        &self,
        path: &str,
        token: &str,
        out: &mut dyn Write,
        on_length: &dyn Fn(u64),
    ) -> Result<u64, BrokerError> {
        let mut response = self.send(with_token(self.http.get(self.url(path)), Some(token)))?;
        if let Some(len) = response.content_length() {
            on_length(len);
        }
        response
            .copy_to(out)
            .map_err(|e| self.unexpected(format!("the body was cut short: {e}")))
    }

    fn json<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, BrokerError> {
        let response = self.send(request)?;
        let bytes = response
            .bytes()
            .map_err(|e| self.unexpected(format!("the body was cut short: {e}")))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| self.unexpected(format!("not the expected JSON: {e}")))
    }

    /// Sends, and turns every non-2xx answer into a [`BrokerError`]. A 429
    /// changed nothing on the broker (ADR 0006), so a request that can be
    /// repeated (any but a streamed body) is sent again as
    /// [`RetryPolicy::RATE_LIMITED`] says.
    fn send(&self, request: RequestBuilder) -> Result<Response, BrokerError> {
        let mut request = request;
        let mut tried = 1;
        let response = loop {
            let again = request.try_clone();
            let response = request.send().map_err(|cause| BrokerError::Unreachable {
                broker: self.base.to_string(),
                cause,
            })?;
            if response.status() != StatusCode::TOO_MANY_REQUESTS {
                break response;
            }
            let wait = retry_after(response.headers());
            let decision = RetryPolicy::RATE_LIMITED.decide(tried, Setback::Limited(wait));
            match (again, decision) {
                (Some(next), Decision::RetryAfter(wait)) => {
                    crate::output::warn(&format!(
                        "the broker is limiting requests; waiting {} s as it asked",
                        wait.as_secs()
                    ));
                    std::thread::sleep(wait);
                    tried += 1;
                    request = next;
                }
                _ => {
                    return Err(BrokerError::Busy {
                        broker: self.base.to_string(),
                        retry_after_secs: wait.as_secs(),
                    });
                }
            }
        };
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.bytes().unwrap_or_default();
        match serde_json::from_slice::<ErrorBody>(&body) {
            // A 5xx is the broker's own failure, whatever it says: retrying
            // later is all the user can do, so it is reported as such.
            Ok(err) if status.is_client_error() => Err(BrokerError::Refused {
                status,
                code: err.error,
                message: err.message,
            }),
            Ok(err) => {
                Err(self.unexpected(format!("HTTP {status}: {} ({})", err.message, err.error)))
            }
            Err(_) => Err(self.unexpected(format!("HTTP {status} without an API error body"))),
        }
    }

    fn unexpected(&self, what: String) -> BrokerError {
        BrokerError::Unexpected {
            broker: self.base.to_string(),
            what,
        }
    }
}

fn with_token(request: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}
