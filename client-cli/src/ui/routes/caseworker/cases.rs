//! `GET /cases?q=…&status=…`: the case list of `referral cases`, brought
//! up to date from the broker first (ADR 0014), searched by reference,
//! name or phone (`cases::search`) and filtered by status. A GET form: it
//! works without JavaScript, and the address can be kept as a bookmark.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use referral_protocol::ThreadStatus;
use serde::Deserialize;

use crate::cases::EventSource;
use crate::cli::CasesArgs;
use crate::commands::cases::{self, CaseRow, CasesListing};
use crate::referral::words;
use crate::tr;
use crate::ui::page::Chrome;
use crate::ui::state::App;
use crate::ui::work;
use crate::{i18n, workflow};

/// The list's query.
#[derive(Debug, Default, Deserialize)]
pub struct CasesQuery {
    /// Search text: a reference, a name or a phone number.
    #[serde(default)]
    pub q: String,
    /// A status code, or empty for all.
    #[serde(default)]
    pub status: String,
}

impl CasesQuery {
    /// The arguments `referral cases` takes for this query; a status that
    /// is not one is left for `cases::run` to refuse.
    pub fn args(&self) -> CasesArgs {
        let given = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        CasesArgs {
            status: given(&self.status),
            search: given(&self.q),
        }
    }
}

/// `GET /cases`.
pub async fn page(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Query(query): Query<CasesQuery>,
) -> Response {
    let args = query.args();
    let listed = work::with_keys(&app, chrome.lang, move |ctx| cases::run(ctx, &args)).await;
    let listing = match listed {
        Ok(listing) => listing,
        Err(failure) => return chrome.failure(&failure),
    };
    chrome.page(|| {
        let CasesListing { report, search } = &listing;
        let (rows, freshness) = (&report.0, &report.1);
        let body = html! {
            form.filters method="get" action="/cases" role="search" {
                div.field {
                    label for="q" { (tr!("ui-cw-cases-search")) }
                    p.hint id="q-hint" { (tr!("ui-cw-cases-search-hint")) }
                    input id="q" type="search" name="q" value=(query.q) aria-describedby="q-hint";
                }
                div.field {
                    label for="status" { (tr!("ui-cw-cases-status")) }
                    select id="status" name="status" {
                        option value="" { (tr!("ui-cw-cases-any-status")) }
                        @for status in ThreadStatus::ALL {
                            option value=(status.as_str()) selected[status.as_str() == query.status] {
                                (words::status(status))
                            }
                        }
                    }
                }
                button type="submit" { (tr!("ui-cw-cases-apply")) }
            }
            @if freshness.stale {
                p.notice role="status" {
                    @match freshness.synced_at {
                        Some(at) => { (tr!("ui-cw-stale", when = i18n::moment(at))) }
                        None => { (tr!("ui-cw-stale-never")) }
                    }
                }
            }
            @if rows.is_empty() {
                p.notice {
                    @match search {
                        Some(q) => { (tr!("ui-cw-cases-none-found", query = q.as_str())) }
                        None => { (tr!("cases-none")) }
                    }
                }
            } @else {
                table.cases {
                    caption.muted { (tr!("ui-cw-cases-count", count = rows.len())) }
                    thead { tr {
                        th scope="col" { (tr!("ui-cw-cases-reference")) }
                        th scope="col" { (tr!("ui-cw-cases-person")) }
                        th scope="col" { (tr!("ui-cw-cases-desk")) }
                        th scope="col" { (tr!("ui-cw-cases-status")) }
                        th scope="col" { (tr!("ui-cw-cases-changed")) }
                    } }
                    tbody {
                        @for row in rows {
                            tr {
                                th scope="row" {
                                    a href=(format!("/cases/{}", row.thread_id)) {
                                        (row.reference.clone().unwrap_or_else(|| tr!("ui-cw-cases-no-reference")))
                                    }
                                }
                                td { (row.name.clone().unwrap_or_else(|| tr!("ui-cw-cases-no-name"))) }
                                td { (row.other_desk.as_str()) }
                                td { (status_words(row)) }
                                td { (changed(row)) }
                            }
                        }
                    }
                }
                @if rows.iter().any(|r| r.status_source == EventSource::Broker) {
                    p.hint { (tr!("cases-footnote-broker")) }
                }
            }
        };
        (tr!("ui-cw-cases-title"), body)
    })
}

/// A case's status in words, marked when only the broker reported it
/// (ADR 0010), as `referral cases` marks it.
fn status_words(row: &CaseRow) -> String {
    match row.status_source {
        EventSource::Packet => words::status(row.status),
        EventSource::Broker => format!("{}*", words::status(row.status)),
    }
}

/// When the case last changed, in local time.
fn changed(row: &CaseRow) -> String {
    workflow::parse_rfc3339(&row.updated_at).map_or_else(|| row.updated_at.clone(), i18n::moment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_query_asks_for_every_case() {
        let args = CasesQuery {
            q: "  ".to_owned(),
            status: String::new(),
        }
        .args();
        assert_eq!((args.status, args.search), (None, None));
        let args = CasesQuery {
            q: " 080-1234 ".to_owned(),
            status: "accepted".to_owned(),
        }
        .args();
        assert_eq!(args.search.as_deref(), Some("080-1234"));
        assert_eq!(args.status.as_deref(), Some("accepted"));
    }
}
