//! `GET /`: the inbox, the packets waiting for this desk (the same list as
//! `referral inbox`), each with a button that opens it; and below it the
//! desk's open cases from this device's case store (received, not yet in a
//! final status), each linking to its case page.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};
use referral_protocol::api::{InboxEntry, Reported};
use referral_protocol::{DeskId, PacketKindWord, ThreadId, ThreadStatus};

use crate::cases::{CaseRecord, CaseStore, Direction};
use crate::commands::inbox::{self, InboxReport};
use crate::context::Context;
use crate::exit::Failure;
use crate::i18n;
use crate::referral::words;
use crate::tr;
use crate::ui::page::Chrome;
use crate::ui::routes::{clerk, poll};
use crate::ui::state::App;
use crate::ui::work;
use crate::workflow::render;

/// A case this desk received and has not finished, as the inbox lists it.
#[derive(Debug, Clone)]
pub struct OpenCase {
    /// Its thread.
    pub thread_id: ThreadId,
    /// The desk that sent it.
    pub from_desk: DeskId,
    /// `case.need` in the user's words.
    pub need: String,
    /// `case.urgency` in the user's words.
    pub urgency: String,
    /// When it arrived here: the time this desk opened it, else the
    /// referral's signed time.
    pub arrived_at: i64,
    /// Its status in the user's words.
    pub status: String,
}

impl OpenCase {
    /// The row for `record`, if it is a case this desk received and has
    /// not finished.
    pub fn of(record: &CaseRecord) -> Option<Self> {
        if record.direction != Direction::Received || record.status.is_terminal() {
            return None;
        }
        let arrived_at = record
            .events
            .iter()
            .find(|e| e.status == ThreadStatus::Received)
            .map_or(record.referred_at, |e| e.at);
        Some(Self {
            thread_id: record.thread_id,
            from_desk: record.other_desk.clone(),
            need: render::need(&record.referral),
            urgency: render::urgency(&record.referral),
            arrived_at,
            status: words::status(record.status),
        })
    }
}

/// The desk's open cases, oldest referral first.
pub fn open_cases(ctx: &Context) -> Result<Vec<OpenCase>, Failure> {
    let keys = ctx.unlock()?;
    let cases = CaseStore::open(&ctx.home)?;
    Ok(cases
        .all(&keys.case_keys())?
        .iter()
        .filter_map(OpenCase::of)
        .collect())
}

/// `GET /`.
pub async fn page(State(app): State<Arc<App>>, chrome: Chrome) -> Response {
    // The trust state from the last minute's poll (the broker is asked at
    // most once a minute); the list itself is always asked for now, and its
    // count corrects the poll's, so that badge and list agree.
    poll::current(&app, chrome.lang).await;
    let listed = work::with_keys(&app, chrome.lang, |ctx| {
        Ok((inbox::run(ctx), open_cases(ctx)))
    })
    .await;
    if let Ok((Ok(InboxReport(packets)), _)) = &listed {
        app.record_waiting(packets.len());
    }
    let chrome = Chrome {
        poll: app.last_poll(),
        ..chrome
    };
    let (packets, cases) = match listed {
        Ok(both) => both,
        Err(failure) => return chrome.failure(&failure),
    };
    chrome.page(|| {
        let body = html! {
            @match &packets {
                Ok(InboxReport(packets)) => { (waiting(&chrome, packets)) }
                Err(failure) => {
                    p.notice.error role="alert" { (format!("{:#}", failure.error())) }
                }
            }
            section aria-labelledby="open-cases" {
                h2 #open-cases { (tr!("ui-clerk-open-cases-title")) }
                @match &cases {
                    Ok(cases) => { (open_cases_table(&chrome, cases)) }
                    Err(failure) => {
                        p.notice.error role="alert" { (format!("{:#}", failure.error())) }
                    }
                }
            }
        };
        (tr!("ui-inbox-title"), body)
    })
}

fn waiting(chrome: &Chrome, packets: &[InboxEntry]) -> Markup {
    html! {
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
                    @for packet in packets {
                        tr {
                            td { (chrome.desk(&packet.from_desk)) }
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
    }
}

fn open_cases_table(chrome: &Chrome, cases: &[OpenCase]) -> Markup {
    html! {
        @if cases.is_empty() {
            p.muted { (tr!("ui-clerk-open-cases-none")) }
        } @else {
            table {
                caption.muted { (tr!("ui-clerk-open-cases-caption", count = cases.len())) }
                thead { tr {
                    th scope="col" { (tr!("inbox-column-from")) }
                    th scope="col" { (tr!("ui-clerk-column-need")) }
                    th scope="col" { (tr!("ui-clerk-column-urgency")) }
                    th scope="col" { (tr!("ui-clerk-column-arrived")) }
                    th scope="col" { (tr!("ui-clerk-status")) }
                    th scope="col" { span.visually-hidden { (tr!("ui-inbox-action")) } }
                } }
                tbody {
                    @for case in cases {
                        tr {
                            td { (chrome.desk(&case.from_desk)) }
                            td { (case.need) }
                            td { (case.urgency) }
                            td { (i18n::moment(case.arrived_at)) }
                            td { span.status { (case.status) } }
                            td {
                                a href=(clerk::case_path(&case.thread_id)) {
                                    (tr!("ui-clerk-view-case"))
                                    span.visually-hidden { " " (case.from_desk.as_str()) " " (case.need) }
                                }
                            }
                        }
                    }
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use referral_protocol::{DeviceId, PacketId};

    use super::*;
    use crate::cases::CaseEvent;

    fn received(status: ThreadStatus) -> CaseRecord {
        let ours: DeskId = "shinjuku-iea".parse().unwrap();
        let theirs: DeskId = "covic-intake".parse().unwrap();
        let mut record = CaseRecord::sent(
            ThreadId::random(),
            &ours,
            &theirs,
            DeviceId::random(),
            PacketId::random(),
            1_000,
            serde_json::json!({"case": {"need": "housing", "urgency": "<b>soon</b>"}}),
            Vec::new(),
        );
        record.direction = Direction::Received;
        record.push(CaseEvent::from_packet(
            ThreadStatus::Received,
            2_000,
            &ours,
            DeviceId::random(),
        ));
        if status != ThreadStatus::Received {
            record.push(CaseEvent::from_packet(
                status,
                3_000,
                &ours,
                DeviceId::random(),
            ));
        }
        record
    }

    #[test]
    fn open_cases_are_those_received_and_not_final() {
        let row = OpenCase::of(&received(ThreadStatus::Accepted)).expect("open");
        assert_eq!(row.from_desk.as_str(), "covic-intake");
        assert_eq!(row.need, "housing");
        // A code outside the list is shown as written (the page escapes it).
        assert_eq!(row.urgency, "<b>soon</b>");
        assert_eq!(row.arrived_at, 2_000, "arrived when this desk opened it");
        assert_eq!(row.status, "accepted");
        for done in [
            ThreadStatus::Completed,
            ThreadStatus::Rejected,
            ThreadStatus::Forwarded,
        ] {
            assert!(OpenCase::of(&received(done)).is_none(), "{done}");
        }
        let mut sent = received(ThreadStatus::Received);
        sent.direction = Direction::Sent;
        assert!(OpenCase::of(&sent).is_none(), "a case this desk sent");
    }
}
