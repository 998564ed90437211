//! Running the CLI's blocking workflow from a request: on a blocking
//! thread, with the held keys, in the page's language (ADR 0017 §1, §3).

use std::sync::Arc;

use anyhow::anyhow;

use super::state::App;
use crate::context::Context;
use crate::exit::Failure;
use crate::i18n::{Lang, with_lang};
use crate::tr;

/// Runs `work` with a context that holds the app's keys. Fails if the app
/// locked in the meantime.
pub async fn with_keys<T, F>(app: &Arc<App>, lang: Lang, work: F) -> Result<T, Failure>
where
    T: Send + 'static,
    F: FnOnce(&Context) -> Result<T, Failure> + Send + 'static,
{
    let ctx = app
        .work_context()
        .ok_or_else(|| Failure::User(anyhow!(with_lang(lang, || tr!("ui-locked")))))?;
    blocking(lang, move || work(&ctx)).await
}

/// Runs `work` on a blocking thread in `lang`.
pub async fn blocking<T, F>(lang: Lang, work: F) -> Result<T, Failure>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, Failure> + Send + 'static,
{
    tokio::task::spawn_blocking(move || with_lang(lang, work))
        .await
        .unwrap_or_else(|panic| Err(Failure::User(anyhow!("the work stopped: {panic}"))))
}
