//! `GET /`: the inbox, the packets waiting for this desk (the same list as
//! `referral inbox`), each with a button that opens it.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use maud::html;
use referral_protocol::PacketKindWord;
use referral_protocol::api::Reported;

use crate::commands::inbox::{self, InboxReport};
use crate::i18n;
use crate::tr;
use crate::ui::page::Chrome;
use crate::ui::routes::poll;
use crate::ui::state::App;
use crate::ui::work;

/// `GET /`.
pub async fn page(State(app): State<Arc<App>>, chrome: Chrome) -> Response {
    let _ = poll::fresh(&app, chrome.lang).await;
    let listed = work::with_keys(&app, chrome.lang, inbox::run).await;
    let chrome = Chrome {
        poll: app.last_poll(),
        ..chrome
    };
    match listed {
        Ok(InboxReport(packets)) => chrome.page(|| {
            let body = html! {
                @if packets.is_empty() {
                    p.notice { (tr!("inbox-none")) }
                } @else {
                    table {
                        caption.muted { (tr!("ui-inbox-caption", count = packets.len())) }
                        thead { tr {
                            th scope="col" { (tr!("inbox-column-from")) }
                            th scope="col" { (tr!("inbox-column-kind")) }
                            th scope="col" { (tr!("inbox-column-received")) }
                            th scope="col" { span.visually-hidden { (tr!("ui-inbox-action")) } }
                        } }
                        tbody {
                            @for packet in &packets {
                                tr {
                                    td { (packet.from_desk.as_str()) }
                                    td { (kind_words(&packet.kind)) }
                                    td { (received(&packet.received_hour)) }
                                    td {
                                        form method="post" action=(format!("/packets/{}/open", packet.packet_id)) {
                                            (chrome.csrf_field())
                                            button type="submit" { (tr!("ui-inbox-open")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            };
            (tr!("ui-inbox-title"), body)
        }),
        Err(failure) => chrome.failure(&failure),
    }
}

/// A packet's kind in words; a word outside the three is shown as the
/// broker wrote it (escaped by the page).
pub fn kind_words(kind: &Reported<PacketKindWord>) -> String {
    match kind {
        Reported::Known(PacketKindWord::Referral) => tr!("packet-kind-referral"),
        Reported::Known(PacketKindWord::Reply) => tr!("packet-kind-reply"),
        Reported::Known(PacketKindWord::Forward) => tr!("packet-kind-forward"),
        Reported::Unreadable(other) => other.clone(),
    }
}

/// The broker's hour, as the span it stands for in local time.
fn received(hour: &Reported<referral_protocol::Hour>) -> String {
    match hour.unix() {
        Some(at) => i18n::broker_hour(at),
        None => hour.to_string(),
    }
}
