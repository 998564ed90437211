//! What the web app holds while it runs: the one-time entry token, the
//! session, the unlocked keys and when they were last used.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::context::Context;
use crate::keystore::UnlockedKeys;

/// Bytes of randomness in the entry token, the session cookie and the CSRF
/// token: 256 bits, twice the contract's floor.
const SECRET_BYTES: usize = 32;

/// The web app's state, shared by every request.
#[derive(Debug)]
pub struct App {
    /// The command line's context: home, passphrase file. Work runs on a
    /// copy that carries the held keys.
    pub ctx: Context,
    /// The port the app listens on: the only one its `Host` check accepts.
    pub port: u16,
    /// How long the app stays unlocked without use.
    pub lock_after: Duration,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The token in the printed URL, until its first use.
    entry_token: Option<Zeroizing<String>>,
    /// The session cookie's value, once the entry token was traded for it.
    session: Option<Zeroizing<String>>,
    /// The token every form carries back.
    csrf: Zeroizing<String>,
    /// The unlocked keys, until the app locks.
    keys: Option<Arc<UnlockedKeys>>,
    /// The last request that counted as use (polling does not).
    last_use: Instant,
    /// The last time the app heard from the broker, and what it said.
    last_poll: Option<Poll>,
}

/// What the last poll of the broker found.
#[derive(Debug, Clone)]
pub struct Poll {
    /// When (Unix seconds).
    pub at: i64,
    /// Packets waiting in the inbox.
    pub waiting: usize,
    /// Entries in the verified directory.
    pub directory_entries: usize,
    /// The verified head's hash, in hex.
    pub directory_head: String,
    /// Each desk's display name in the verified directory, so that pages
    /// can name a desk as people know it.
    pub desk_names: std::collections::BTreeMap<referral_protocol::DeskId, String>,
    /// When the poll was made, for the once-a-minute limit.
    pub made: Instant,
}

impl Poll {
    /// The trust state as the line under the navigation says it, in the
    /// language of the calling thread.
    pub fn trust_words(&self) -> String {
        crate::tr!(
            "ui-trust-verified",
            entries = self.directory_entries,
            head = self.directory_head.chars().take(16).collect::<String>(),
            at = crate::i18n::moment(self.at)
        )
    }
}

/// Whether a request may go on, as the session check sees it.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// The session cookie matches.
    Session,
    /// The entry token was right and is now spent: set this cookie.
    Entered(Zeroizing<String>),
    /// Neither: 401.
    Refused,
}

impl App {
    /// A new app with a fresh entry token, locked unless `keys` are given.
    pub fn new(ctx: Context, port: u16, lock_after: Duration, keys: Option<UnlockedKeys>) -> Self {
        Self {
            ctx,
            port,
            lock_after,
            inner: Mutex::new(Inner {
                entry_token: Some(random_token()),
                session: None,
                csrf: random_token(),
                keys: keys.map(Arc::new),
                last_use: Instant::now(),
                last_poll: None,
            }),
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-written
        // (every change is one assignment), so a poisoned lock is still good.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The entry token for the printed URL. `None` once it was used.
    pub fn entry_token(&self) -> Option<Zeroizing<String>> {
        self.inner().entry_token.clone()
    }

    /// The session check: a matching cookie, or the entry token, once.
    pub fn admit(&self, cookie: Option<&str>, token: Option<&str>) -> Admission {
        let mut inner = self.inner();
        if let (Some(cookie), Some(session)) = (cookie, inner.session.as_ref())
            && same(cookie, session)
        {
            return Admission::Session;
        }
        if let (Some(token), Some(entry)) = (token, inner.entry_token.as_ref())
            && same(token, entry)
        {
            inner.entry_token = None;
            let session = random_token();
            inner.session = Some(session.clone());
            return Admission::Entered(session);
        }
        Admission::Refused
    }

    /// Whether `token` is this session's CSRF token.
    pub fn csrf_matches(&self, token: &str) -> bool {
        same(token, &self.inner().csrf)
    }

    /// The CSRF token, for a form.
    pub fn csrf(&self) -> Zeroizing<String> {
        self.inner().csrf.clone()
    }

    /// The held keys, if the app is unlocked and has been used recently
    /// enough; locks first if it has sat unused too long.
    pub fn keys(&self) -> Option<Arc<UnlockedKeys>> {
        self.lock_if_idle();
        self.inner().keys.clone()
    }

    /// Records a request that counts as use: it keeps the app unlocked.
    pub fn touch(&self) {
        self.lock_if_idle();
        self.inner().last_use = Instant::now();
    }

    /// Holds freshly unlocked keys.
    pub fn hold(&self, keys: UnlockedKeys) {
        let mut inner = self.inner();
        inner.keys = Some(Arc::new(keys));
        inner.last_use = Instant::now();
    }

    /// Drops the app's hold on the keys. They are zeroized when the last
    /// request still using them finishes (`UnlockedKeys` wipes on drop).
    pub fn lock(&self) {
        let mut inner = self.inner();
        inner.keys = None;
        inner.last_poll = None;
    }

    /// Locks if the app was not used for [`App::lock_after`].
    pub fn lock_if_idle(&self) {
        let idle = self.inner().last_use.elapsed() >= self.lock_after;
        if idle {
            self.lock();
        }
    }

    /// Whether the keys are held.
    pub fn is_unlocked(&self) -> bool {
        self.keys().is_some()
    }

    /// The last poll of the broker.
    pub fn last_poll(&self) -> Option<Poll> {
        self.inner().last_poll.clone()
    }

    /// Corrects the last poll's count of waiting packets with one just
    /// listed, so that the badge and the inbox agree.
    pub fn record_waiting(&self, waiting: usize) {
        if let Some(poll) = self.inner().last_poll.as_mut() {
            poll.waiting = waiting;
        }
    }

    /// Keeps what a poll of the broker found.
    pub fn record_poll(&self, poll: Poll) {
        self.inner().last_poll = Some(poll);
    }

    /// The context for one piece of work: the command line's, with the held
    /// keys, so that the commands' `unlock` asks nobody.
    pub fn work_context(&self) -> Option<Context> {
        let keys = self.keys()?;
        let mut ctx = self.ctx.clone();
        ctx.held_keys = Some(keys);
        Some(ctx)
    }
}

/// A fresh random token, hex.
fn random_token() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; SECRET_BYTES]);
    SystemRandom::new()
        .fill(bytes.as_mut())
        .expect("the operating system's random source works");
    Zeroizing::new(hex::encode(&bytes[..]))
}

/// Compares a presented secret with the held one in time that does not
/// depend on where they differ.
fn same(presented: &str, held: &str) -> bool {
    presented.len() == held.len()
        && presented
            .bytes()
            .zip(held.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(lock_after: Duration) -> App {
        let ctx = Context {
            home: std::env::temp_dir(),
            format: crate::output::Format::Json,
            passphrase_file: None,
            held_keys: None,
        };
        App::new(ctx, 1, lock_after, None)
    }

    #[test]
    fn the_entry_token_is_good_once_and_gives_a_different_session_cookie() {
        let app = app(Duration::from_secs(60));
        let token = app.entry_token().expect("a fresh app has a token");
        assert_eq!(token.len(), 2 * SECRET_BYTES);
        let Admission::Entered(cookie) = app.admit(None, Some(&token)) else {
            panic!("the first use of the token is admitted");
        };
        assert_ne!(*cookie, *token);
        assert_eq!(app.admit(None, Some(&token)), Admission::Refused);
        assert_eq!(app.admit(Some(&cookie), None), Admission::Session);
        assert_eq!(
            app.admit(Some("0".repeat(64).as_str()), None),
            Admission::Refused
        );
        assert!(app.entry_token().is_none());
    }

    #[test]
    fn nothing_is_admitted_without_a_cookie_or_the_token() {
        let app = app(Duration::from_secs(60));
        assert_eq!(app.admit(None, None), Admission::Refused);
        assert_eq!(app.admit(Some(""), Some("")), Admission::Refused);
    }

    #[test]
    fn the_csrf_token_is_checked_exactly() {
        let app = app(Duration::from_secs(60));
        let csrf = app.csrf();
        assert!(app.csrf_matches(&csrf));
        assert!(!app.csrf_matches(&csrf[1..]));
        assert!(!app.csrf_matches(""));
    }
}
