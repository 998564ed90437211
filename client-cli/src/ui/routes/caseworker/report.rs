//! `GET /report?since=…`: the figures `referral report` computes, from
//! this device's case store brought up to date first, drawn as bar charts
//! with the same numbers in tables; `GET /report.csv?since=…`: the CSV
//! `referral report --format csv` prints, as a download.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::svg::{self, Bar};
use crate::cli::ReportFormat;
use crate::commands::report as command;
use crate::exit::Failure;
use crate::referral::words;
use crate::report::format::{code_with_name, need_label};
use crate::report::{CountRow, ProgramReport, Since};
use crate::ui::page::Chrome;
use crate::ui::state::App;
use crate::ui::work;
use crate::workflow::sync::{self, Freshness};
use crate::{i18n, tr};

/// The period: cases referred on or after this day (UTC), as `--since`.
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    /// `YYYY-MM-DD`, or empty for all dates.
    #[serde(default)]
    pub since: String,
}

impl ReportQuery {
    /// The day asked for, `None` for all dates; the error as `report`
    /// words it.
    fn since(&self) -> Result<Option<Since>, String> {
        match self.since.trim() {
            "" => Ok(None),
            text => Since::parse(text)
                .map(Some)
                .map_err(|_| tr!("ui-cw-report-bad-since")),
        }
    }
}

/// The figures, as `report` gets them: the store brought up to date, then
/// counted.
async fn figures(
    app: &Arc<App>,
    chrome: &Chrome,
    since: Option<Since>,
) -> Result<(ProgramReport, Freshness), Failure> {
    work::with_keys(app, chrome.lang, move |ctx| {
        let (keys, freshness) = sync::bring_up_to_date(ctx)?;
        Ok((command::figures(ctx, keys, since)?, freshness))
    })
    .await
}

/// `GET /report`.
pub async fn page(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Query(query): Query<ReportQuery>,
) -> Response {
    let since = match chrome.words(|| query.since()) {
        Ok(since) => since,
        Err(message) => {
            return chrome.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, || {
                (
                    tr!("ui-cw-report-title"),
                    period_form(&query, Some(&message)),
                )
            });
        }
    };
    let (figures, freshness) = match figures(&app, &chrome, since).await {
        Ok(found) => found,
        Err(failure) => return chrome.failure(&failure),
    };
    chrome.page(|| {
        let csv = match since {
            Some(since) => format!("/report.csv?since={since}"),
            None => "/report.csv".to_owned(),
        };
        let body = html! {
            (period_form(&query, None))
            @if freshness.stale {
                p.notice role="status" {
                    @match freshness.synced_at {
                        Some(at) => { (tr!("ui-cw-stale", when = i18n::moment(at))) }
                        None => { (tr!("ui-cw-stale-never")) }
                    }
                }
            }
            p {
                @match figures.since {
                    Some(since) => { (tr!("report-since", since = since.to_string())) }
                    None => { (tr!("report-all-dates")) }
                }
                @if figures.forwarded_copies > 0 {
                    " " (tr!("report-forwarded-copies", count = figures.forwarded_copies))
                }
            }
            p { a href=(csv) download { (tr!("ui-cw-report-csv")) } }
            (summary(&figures))
            (section("by-language", tr!("report-section-language"),
                rows(&figures.by_language, |r| code_with_name(r, words::language))))
            (section("by-prefecture", tr!("report-section-prefecture"),
                rows(&figures.by_prefecture, |r| code_with_name(r, words::prefecture))))
            (section("by-need", tr!("report-section-need"), rows(&figures.by_need, need_label)))
            (section("outcomes", tr!("report-section-outcomes"),
                figures.outcomes.iter().map(|o| Bar { label: words::status(o.status), count: o.count }).collect()))
            p.hint { (tr!("report-footer")) }
        };
        (tr!("ui-cw-report-title"), body)
    })
}

/// The period's form: a day to count from, or all dates.
fn period_form(query: &ReportQuery, error: Option<&String>) -> Markup {
    html! {
        form.period method="get" action="/report" {
            div.field {
                label for="since" { (tr!("ui-cw-report-since")) }
                p.hint id="since-hint" { (tr!("ui-cw-report-since-hint")) }
                input id="since" type="date" name="since" value=(query.since)
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=(if error.is_some() { "since-hint since-error" } else { "since-hint" });
                @if let Some(error) = error {
                    p.field-error id="since-error" { (error) }
                }
            }
            button type="submit" { (tr!("ui-cw-report-show")) }
        }
    }
}

/// The single figures, as a list of terms.
fn summary(figures: &ProgramReport) -> Markup {
    let percent = figures
        .multi_contact_share
        .map(|share| format!(" ({:.1}%)", share * 100.0))
        .unwrap_or_default();
    html! {
        dl.figures {
            dt { (tr!("report-section-people")) }
            dd { (figures.cases) }
            dt { (tr!("report-label-multi-contact")) }
            dd { (figures.multi_contact_cases) (percent) }
            dt { (tr!("report-label-completed-cases")) }
            dd { (figures.days_to_outcome.count) }
            dt { (tr!("report-label-median-days")) }
            dd {
                @match figures.days_to_outcome.median {
                    Some(median) => { (format!("{median:.1}")) }
                    None => { "-" }
                }
            }
        }
    }
}

/// A breakdown's bars, labelled as the table of `report` labels them.
fn rows(rows: &[CountRow], label: impl Fn(&CountRow) -> String) -> Vec<Bar> {
    rows.iter()
        .map(|row| Bar {
            label: label(row),
            count: row.count,
        })
        .collect()
}

/// A chart and the same numbers as a table for screen readers.
fn section(id: &str, title: String, bars: Vec<Bar>) -> Markup {
    html! {
        section.chart-section aria-labelledby=(format!("{id}-heading")) {
            h2 id=(format!("{id}-heading")) { (title) }
            @if bars.is_empty() {
                p.muted { (tr!("ui-cw-report-none")) }
            } @else {
                (svg::bar_chart(id, &title, &bars))
                table.visually-hidden {
                    caption { (title) }
                    thead { tr {
                        th scope="col" { (tr!("ui-cw-report-item")) }
                        th scope="col" { (tr!("report-label-cases")) }
                    } }
                    tbody {
                        @for bar in &bars {
                            tr { th scope="row" { (bar.label) } td { (bar.count) } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /report.csv`: the CSV of `referral report --format csv`, as a
/// download.
pub async fn csv(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Query(query): Query<ReportQuery>,
) -> Response {
    let since = match chrome.words(|| query.since()) {
        Ok(since) => since,
        Err(message) => return chrome.failure(&Failure::User(anyhow::anyhow!(message))),
    };
    let rendered = match figures(&app, &chrome, since).await {
        Ok((figures, freshness)) => command::rendered(&figures, ReportFormat::Csv, freshness),
        Err(failure) => Err(failure),
    };
    match rendered {
        Ok(bytes) => (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (CONTENT_DISPOSITION, attachment_name(since)),
            ],
            bytes,
        )
            .into_response(),
        Err(failure) => chrome.failure(&failure),
    }
}

/// The download's header: a fixed name with the day, nothing typed.
fn attachment_name(since: Option<Since>) -> String {
    match since {
        Some(since) => format!("attachment; filename=\"referral-report-since-{since}.csv\""),
        None => "attachment; filename=\"referral-report.csv\"".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_is_a_day_or_all_dates() {
        let query = |since: &str| ReportQuery {
            since: since.to_owned(),
        };
        assert_eq!(query("").since(), Ok(None));
        assert_eq!(
            query(" 2026-04-01 ")
                .since()
                .unwrap()
                .map(|s| s.to_string()),
            Some("2026-04-01".to_owned())
        );
        assert_eq!(
            query("04/01/2026").since(),
            Err(tr!("ui-cw-report-bad-since"))
        );
    }

    #[test]
    fn the_download_is_named_without_typed_text() {
        assert_eq!(
            attachment_name(None),
            "attachment; filename=\"referral-report.csv\""
        );
        let since = Since::parse("2026-04-01").unwrap();
        assert_eq!(
            attachment_name(Some(since)),
            "attachment; filename=\"referral-report-since-2026-04-01.csv\""
        );
    }
}
