//! `GET /cases/{thread}/attachments/{index}`: an attachment of a received
//! case, as a download and never inline (ADR 0017 §6). The packet kept in
//! the case store is decrypted with the held keys and verified against the
//! verified directory as `open` verifies it (as `unseal` does, from the
//! directory this device last verified), into memory only; the bytes are
//! wiped once sent.

use std::sync::Arc;

use anyhow::anyhow;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use referral_protocol::attachment_name;
use zeroize::Zeroizing;

use super::{not_found, thread_in_path};
use crate::cases::CaseStore;
use crate::exit::Failure;
use crate::keystore::Keystore;
use crate::session::desk_of;
use crate::ui::page::Chrome;
use crate::ui::state::App;
use crate::ui::work;
use crate::workflow::receive;
use crate::{tr, trust};

/// The bytes of one attachment and the name it was sent with.
struct Download {
    name: String,
    bytes: Zeroizing<Vec<u8>>,
}

/// `GET /cases/{thread}/attachments/{index}`.
pub async fn attachment(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Path((thread, index)): Path<(String, String)>,
) -> Response {
    let (Some(thread), Ok(index)) = (thread_in_path(&thread), index.parse::<usize>()) else {
        return not_found(&chrome);
    };
    let found = work::with_keys(&app, chrome.lang, move |ctx| {
        // The directory as this device last verified it (the case page
        // refreshed it), as `unseal` reads it: no broker needed.
        let device = Keystore::device(&ctx.home)?;
        let log = trust::load(&ctx.home, device.root_fingerprint)?
            .ok_or_else(|| Failure::User(anyhow!(tr!("seal-no-directory"))))?;
        let our_desk = desk_of(log.state(), &device.device_id)?;
        let keys = ctx.unlock()?;
        let cases = CaseStore::open(&ctx.home)?;
        let Some(record) = cases.load(&thread, &keys.case_keys())? else {
            return Ok(None);
        };
        let packet = record.referral_packet;
        let Some(receive::AttachmentInMemory {
            packet: verified,
            bytes,
        }) = receive::open_attachment(
            &cases.packet_path(&packet),
            keys.age_identities(),
            log.state(),
            index,
        )?
        else {
            return Ok(None);
        };
        receive::check_addressing(&verified, Some(&packet), &our_desk)?;
        if verified.opened.header.thread_id != thread {
            return Err(Failure::Verification(anyhow!(
                "the kept packet {packet} is on thread {}, not {thread}",
                verified.opened.header.thread_id
            )));
        }
        let name = verified.attachments[index].view.name.clone();
        Ok(Some(Download { name, bytes }))
    })
    .await;
    match found {
        Ok(Some(download)) => send(download),
        Ok(None) => not_found(&chrome),
        Err(failure) => chrome.failure(&failure),
    }
}

fn send(download: Download) -> Response {
    let len = download.bytes.len();
    // The buffer is wiped when the body has been written and dropped.
    let body = Body::from(Bytes::from_owner(download.bytes));
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "application/octet-stream".to_owned()),
            (CONTENT_DISPOSITION, content_disposition(&download.name)),
            (CONTENT_LENGTH, len.to_string()),
        ],
        body,
    )
        .into_response()
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266, RFC 8187) for
/// a name from a packet: made safe to save first
/// ([`attachment_name::name_for_saving`]), then an ASCII stand-in for old
/// browsers and the exact name percent-encoded, so that no quote,
/// semicolon or line break in the name can add to the header.
pub fn content_disposition(name: &str) -> String {
    let safe = attachment_name::name_for_saving(name);
    let fallback: String = safe
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in safe.bytes() {
        // RFC 8187 attr-char.
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_name_is_kept() {
        assert_eq!(
            content_disposition("scan.pdf"),
            "attachment; filename=\"scan.pdf\"; filename*=UTF-8''scan.pdf"
        );
    }

    #[test]
    fn a_hostile_name_cannot_add_to_the_header() {
        for name in [
            "a\"; filename=evil.exe",
            "x\r\nSet-Cookie: a=b",
            "<script>alert(1)</script>.html",
            "Invoice_\u{202E}gpj.exe",
            "../../etc/passwd",
        ] {
            let header = content_disposition(name);
            assert!(header.starts_with("attachment; "), "{header}");
            assert!(header.is_ascii(), "{header}");
            assert!(!header.contains('\r') && !header.contains('\n'), "{header}");
            // Exactly the two quotes around the stand-in, and one `;` each
            // before `filename` and `filename*`.
            assert_eq!(header.matches('"').count(), 2, "{header}");
            assert_eq!(header.matches(';').count(), 2, "{header}");
            assert!(!header.contains('/') && !header.contains('<'), "{header}");
            assert!(
                axum::http::HeaderValue::from_str(&header).is_ok(),
                "{header}"
            );
        }
    }

    #[test]
    fn a_japanese_name_is_percent_encoded_in_utf_8() {
        let header = content_disposition("写真 1.jpg");
        assert!(
            header.ends_with("filename*=UTF-8''%E5%86%99%E7%9C%9F%201.jpg"),
            "{header}"
        );
        assert!(header.contains("filename=\"__ 1.jpg\""), "{header}");
    }
}
