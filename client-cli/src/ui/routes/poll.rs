//! `GET /api/poll`: what the open tab shows without a reload: packets
//! waiting and the trust state. The broker is asked at most once a minute,
//! as `referral inbox` would be by a person checking now and then; polling
//! does not count as use, so an open tab does not keep the app unlocked.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use referral_protocol::api::Inbox;
use referral_protocol::paths;
use serde::Serialize;

use crate::exit::Failure;
use crate::i18n;
use crate::session::Online;
use crate::ui::lang::PageLang;
use crate::ui::state::{App, Poll};
use crate::ui::work;
use crate::workflow::unix_now;

/// The least time between two polls of the broker.
pub const POLL_INTERVAL: Duration = Duration::from_secs(60);

/// What the script receives.
#[derive(Debug, Serialize)]
pub struct PollAnswer {
    /// The app is locked: the script goes to the unlock page.
    pub locked: bool,
    /// Packets waiting for this desk.
    pub waiting: usize,
    /// The trust state, worded for the page.
    pub trust: Option<String>,
}

/// `GET /api/poll`.
pub async fn poll(State(app): State<Arc<App>>, PageLang(lang): PageLang) -> Json<PollAnswer> {
    if !app.is_unlocked() {
        return Json(PollAnswer {
            locked: true,
            waiting: 0,
            trust: None,
        });
    }
    let poll = current(&app, lang).await;
    Json(PollAnswer {
        locked: false,
        waiting: poll.as_ref().map_or(0, |p| p.waiting),
        trust: poll.map(|p| i18n::with_lang(lang, || p.trust_words())),
    })
}

/// The last poll if it is less than [`POLL_INTERVAL`] old, else a fresh
/// one; `None` if the broker cannot be asked now.
pub async fn current(app: &Arc<App>, lang: crate::i18n::Lang) -> Option<Poll> {
    match app.last_poll() {
        Some(poll) if poll.made.elapsed() < POLL_INTERVAL => Some(poll),
        _ => fresh(app, lang).await.ok(),
    }
}

/// Asks the broker now, and keeps the answer.
pub async fn fresh(app: &Arc<App>, lang: crate::i18n::Lang) -> Result<Poll, Failure> {
    let poll = work::with_keys(app, lang, |ctx| {
        let online = Online::connect(ctx)?;
        // An administrator's device belongs to no desk and has no inbox;
        // its directory is still checked and shown.
        let waiting = if online.desk().is_ok() {
            let keys = online.unlock(ctx)?;
            let token = online.token(&keys)?;
            let inbox: Inbox = online.client.get(paths::INBOX, Some(&token.token))?;
            inbox.packets.len()
        } else {
            0
        };
        let head = online.log.head();
        Ok(Poll {
            at: unix_now(),
            waiting,
            directory_entries: online.log.entries().len(),
            directory_head: head.hash_hex(),
            desk_names: online
                .log
                .state()
                .desks()
                .iter()
                .map(|(id, desk)| (id.clone(), desk.name.clone()))
                .collect(),
            made: Instant::now(),
        })
    })
    .await?;
    app.record_poll(poll.clone());
    Ok(poll)
}
