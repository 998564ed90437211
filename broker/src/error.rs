//! One error type for every route: a refusal from the catalogue
//! ([`Refusal`], its code and its one message) or a failure of ours. A
//! failure is answered with a fixed text, so internals never leak, and is
//! logged outside the answer by [`log_internal_errors`] (axum's
//! `examples/error-handling` is the model). Every rejection axum itself
//! produces (bad JSON, wrong content type, bad path) is turned into the same
//! `{"error","message"}` shape.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use referral_protocol::{ErrorBody, RefusalCode};
use serde::de::{DeserializeOwned, Visitor};
use serde::{Deserialize, Deserializer};

pub use crate::refusal::Refusal;

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A refusal from the catalogue.
    #[error("{code}: {refusal}", code = .0.code(), refusal = .0)]
    Refused(#[from] Refusal),
    /// Something failed on our side. Logged, never echoed.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Refused(refusal) => refusal.status(),
            Self::Internal(_) => RefusalCode::Internal.status(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> RefusalCode {
        match self {
            Self::Refused(refusal) => refusal.code(),
            Self::Internal(_) => RefusalCode::Internal,
        }
    }
}

/// A failure of ours, carried from [`ApiError::into_response`] to
/// [`log_internal_errors`] in the answer's extensions.
#[derive(Debug, Clone)]
pub struct InternalError(pub Arc<anyhow::Error>);

fn body(code: RefusalCode, message: String) -> Json<ErrorBody> {
    Json(ErrorBody {
        error: code.as_str().to_owned(),
        message,
    })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Refused(refusal) => {
                let retry_after = match &refusal {
                    Refusal::RateLimited { retry_after_secs } => Some(*retry_after_secs),
                    _ => None,
                };
                let mut response =
                    (refusal.status(), body(refusal.code(), refusal.to_string())).into_response();
                if let Some(v) =
                    retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
                {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
                response
            }
            Self::Internal(err) => {
                // The client gets a fixed text; the chain rides along to the
                // logging middleware, which is the only place that sees it.
                let code = RefusalCode::Internal;
                let mut response =
                    (code.status(), body(code, "internal error".to_owned())).into_response();
                response
                    .extensions_mut()
                    .insert(InternalError(Arc::new(err)));
                response
            }
        }
    }
}

/// Logs the failure an answer carries (see [`InternalError`]), and takes it
/// out of the answer so nothing further down can send it.
pub async fn log_internal_errors(mut response: Response) -> Response {
    if let Some(InternalError(err)) = response.extensions_mut().remove::<InternalError>() {
        tracing::error!(error = %format!("{err:#}"), "internal error");
    }
    response
}

impl From<referral_store::StoreError> for ApiError {
    fn from(e: referral_store::StoreError) -> Self {
        match e {
            referral_store::StoreError::UnknownDesk => Refusal::UnknownDesk.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        // serde's message names the field and the problem (see
        // `Refusal::InvalidJson` for why it may be sent back).
        let detail = r.body_text();
        let refusal = match &r {
            JsonRejection::MissingJsonContentType(_) => Refusal::UnsupportedMediaType { detail },
            JsonRejection::JsonSyntaxError(_) => Refusal::MalformedJson { detail },
            JsonRejection::JsonDataError(_) => Refusal::InvalidJson { detail },
            // Over the limit, or cut short by the client: axum tells which
            // by the status; its text for the second names hyper internals.
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Refusal::BodyTooLarge { detail }
            }
            JsonRejection::BytesRejection(_) => Refusal::BodyError,
            _ => Refusal::BadRequest { detail },
        };
        refusal.into()
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Refusal::BadPath {
            detail: r.body_text(),
        }
        .into()
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Refusal::BadQuery {
            detail: r.body_text(),
        }
        .into()
    }
}

/// `axum::Json`, but rejections are [`ApiError`]s, and the body must be a
/// JSON object, as the API's schema says.
///
/// serde's derived structs also accept an array holding the fields in
/// order (`["…"]` for `{"entry": "…"}`), so `axum::Json` alone lets every
/// request body arrive in a second, undocumented shape. Found by the
/// `api_json` fuzz target (`fuzz/corpus/api_json/regression-array-body`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let Json(ObjectBody(value)) = Json::<ObjectBody<T>>::from_request(req, state).await?;
        Ok(Self(value))
    }
}

/// A value read through [`ObjectOnly`], so that axum's `Json` (its content
/// type check, body limit, error paths and classification) is unchanged.
struct ObjectBody<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectBody<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(ObjectOnly(d)).map(Self)
    }
}

/// Passes everything through to the wrapped deserializer, except that a
/// struct is read as a map only: a JSON array is then an "invalid type"
/// (422 `invalid_json`), like any other wrong shape. Only the outermost
/// value is affected; fields are read by the wrapped deserializer itself.
struct ObjectOnly<D>(D);

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                self.0.$method($($arg,)* visitor)
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }

    forward! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }
}

/// `axum::extract::Query`, but rejections are [`ApiError`]s.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `axum::extract::Path`, but rejections are [`ApiError`]s.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(err: ApiError) -> (StatusCode, serde_json::Value) {
        let response = err.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn refusals_carry_code_and_message() {
        let (status, body) = body_of(Refusal::PacketIdConflict.into()).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            body,
            serde_json::json!({
                "error": "packet_id_conflict",
                "message": "this packet id was already used for different bytes"
            })
        );
    }

    #[tokio::test]
    async fn internal_errors_are_never_echoed() {
        let secret = "database password is hunter2";
        let response = ApiError::Internal(anyhow::anyhow!(secret)).into_response();
        // The failure rides to the logging middleware, which takes it out.
        let carried = response.extensions().get::<InternalError>().cloned();
        assert!(carried.is_some_and(|InternalError(e)| e.to_string() == secret));
        let logged = log_internal_errors(response).await;
        assert!(logged.extensions().get::<InternalError>().is_none());
        let status = logged.status();
        let bytes = axum::body::to_bytes(logged.into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body,
            serde_json::json!({"error": "internal", "message": "internal error"})
        );
        assert!(!body.to_string().contains("hunter2"));
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        entry: String,
    }

    async fn extract(body: &'static str) -> Result<Entry, ApiError> {
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/")
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(body))
            .unwrap();
        ApiJson::<Entry>::from_request(request, &())
            .await
            .map(|ApiJson(e)| e)
    }

    #[tokio::test]
    async fn json_bodies_are_objects_only() {
        assert_eq!(extract(r#"{"entry":"x"}"#).await.unwrap().entry, "x");
        // A derived struct alone would also take its fields by position.
        let err = extract(r#"["x"]"#).await.unwrap_err();
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.code(), RefusalCode::InvalidJson);
        assert_eq!(
            extract(r#"{"entry":"x","more":1}"#)
                .await
                .unwrap_err()
                .code(),
            RefusalCode::InvalidJson
        );
        assert_eq!(
            extract(r#"{"entry":"x""#).await.unwrap_err().code(),
            RefusalCode::MalformedJson
        );
    }

    #[tokio::test]
    async fn rate_limits_say_when_to_retry() {
        let response = ApiError::from(Refusal::RateLimited {
            retry_after_secs: 7,
        })
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    }
}
