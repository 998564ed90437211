//! `referral ui`: the local web app (ADR 0017).
//!
//! A small server on loopback inside the CLI. The browser talks only to it;
//! it seals, opens and stores exactly as the commands do, by calling them.
//!
//! - [`state`]: the entry token, the session, the held keys, the lock;
//! - [`guard`]: Host allow-list, session, cross-site checks, headers;
//! - [`lang`]: the language of a page;
//! - [`page`]: the frame around every page, and refusal and failure pages;
//! - [`work`]: running the blocking workflow from a request;
//! - [`assets`]: the style sheet and the one script, compiled in;
//! - [`routes`]: the pages.

pub mod assets;
pub mod guard;
pub mod lang;
pub mod page;
pub mod routes;
pub mod state;
pub mod work;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use serde::Serialize;

use crate::cli::UiArgs;
use crate::context::Context;
use crate::exit::Failure;
use crate::keystore::Keystore;
use crate::output::Format;
use crate::passphrase::{self, Purpose};
use crate::tr;
use state::App;

/// The routes, behind the guard.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(routes::inbox::page))
        .route(
            "/unlock",
            get(routes::session::unlock_page).post(routes::session::unlock),
        )
        .route("/lock", post(routes::session::lock))
        .route("/lang", get(routes::session::switch_language))
        .route(guard::POLL_PATH, get(routes::poll::poll))
        .route("/assets/{name}", get(assets::serve))
        .merge(routes::clerk::routes())
        .merge(routes::caseworker::routes())
        .merge(routes::admin::routes())
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            guard::admit,
        ))
        .layer(middleware::from_fn(guard::headers))
        .with_state(app)
}

/// What `--json` prints once the app listens.
#[derive(Debug, Serialize)]
struct Listening {
    url: String,
}

/// Runs `referral ui` until Ctrl-C or SIGTERM.
pub fn run(ctx: &Context, args: &UiArgs) -> Result<(), Failure> {
    // The keystore must exist: there is nothing to serve to a device that
    // was never set up.
    Keystore::device(&ctx.home)?;
    // A passphrase given as for the CLI (a file, the variable) unlocks now;
    // otherwise the first page asks for it. The terminal is never prompted:
    // the app may have been started from a desktop shortcut with none.
    let given = ctx.passphrase_file.is_some() || std::env::var_os(passphrase::ENV).is_some();
    let keys = if given {
        let passphrase = ctx.passphrase(Purpose::Unlock)?;
        Some(Keystore::unlock(&ctx.home, &passphrase)?)
    } else {
        None
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("start the web app's runtime")?;
    runtime.block_on(serve(ctx, args, keys))
}

async fn serve(
    ctx: &Context,
    args: &UiArgs,
    keys: Option<crate::keystore::UnlockedKeys>,
) -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| tr!("ui-cannot-listen", address = args.listen.to_string()))?;
    let address: SocketAddr = listener.local_addr().context("read the bound address")?;
    let mut work_ctx = ctx.clone();
    // Commands write no progress bars or prompts: the app is their terminal.
    work_ctx.format = Format::Json;
    let app = Arc::new(App::new(work_ctx, address.port(), args.lock_after, keys));
    let token = app
        .entry_token()
        .ok_or_else(|| anyhow!("a fresh app has an entry token"))?;
    let host = if address.is_ipv6() {
        format!("[{}]:{}", address.ip(), address.port())
    } else {
        address.to_string()
    };
    let url = format!("http://{host}/?{}={}", guard::TOKEN_PARAM, token.as_str());
    announce(ctx.format, &url)?;
    if !args.no_open && webbrowser::open(&url).is_err() {
        crate::output::warn(&tr!("ui-browser-not-opened"));
    }
    let lock_ticker = tokio::spawn(lock_when_idle(Arc::clone(&app)));
    let served = axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown_signal())
        .await;
    lock_ticker.abort();
    served.context("serve the web app")?;
    Ok(())
}

/// Prints where the app is: one JSON line for scripts, or a sentence.
fn announce(format: Format, url: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let line = serde_json::to_string(&Listening {
                url: url.to_owned(),
            })
            .context("write the address")?;
            writeln!(out, "{line}").context("write the address")?;
        }
        Format::Human => {
            writeln!(out, "{}", tr!("ui-listening", url = url)).context("write the address")?;
        }
    }
    out.flush().context("write the address")?;
    Ok(())
}

/// Wipes the keys once the app has sat unused for its lock time, even if
/// no request comes to notice it.
async fn lock_when_idle(app: Arc<App>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        app.lock_if_idle();
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
