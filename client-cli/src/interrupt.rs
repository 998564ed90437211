//! Ctrl-C while a sealed packet is being sent (ADR 0015): the packet is
//! already safe in the outbox, so the process stops at once, and the user
//! is told in one short paragraph what was kept and how to resend or drop
//! it. Outside such a moment Ctrl-C keeps its usual meaning.

use std::io::Write;
use std::sync::{Mutex, Once};

/// The exit status after Ctrl-C, as shells report a process ended by
/// SIGINT (128 + 2).
pub const INTERRUPTED: i32 = 130;

static KEPT: Mutex<Option<String>> = Mutex::new(None);
static HANDLER: Once = Once::new();

/// Until the returned guard is dropped, Ctrl-C prints `what_was_kept` and
/// exits.
#[must_use = "Ctrl-C is explained only while the guard lives"]
pub fn explain_on_interrupt(what_was_kept: String) -> Explaining {
    if let Ok(mut kept) = KEPT.lock() {
        *kept = Some(what_was_kept);
    }
    HANDLER.call_once(|| {
        // If no handler can be set, Ctrl-C ends the process as it always
        // did; the packet is in the outbox either way.
        let _ = ctrlc::set_handler(on_interrupt);
    });
    Explaining
}

/// While it lives, Ctrl-C is explained; dropped, nothing is said.
#[derive(Debug)]
pub struct Explaining;

impl Drop for Explaining {
    fn drop(&mut self) {
        if let Ok(mut kept) = KEPT.lock() {
            *kept = None;
        }
    }
}

fn on_interrupt() {
    let kept = KEPT.lock().ok().and_then(|k| k.clone());
    if let Some(kept) = kept {
        let text = crate::tr!("outbox-interrupted", kept = kept);
        let _ = writeln!(
            std::io::stderr().lock(),
            "\n{}",
            crate::terminal::block(&text, 0)
        );
    }
    std::process::exit(INTERRUPTED);
}
