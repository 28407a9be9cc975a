//! The console: one line per check of each traced request.

use std::io::IsTerminal as _;
use std::sync::LazyLock;

use axum::http::Method;
use shared::trace::{OneLine, paint};

use super::record::Checked;

/// One console line per check, coloured when the console is a terminal.
pub(super) fn narrate(method: &Method, path: &str, checks: &[Checked]) {
    static COLOUR: LazyLock<bool> = LazyLock::new(|| std::io::stdout().is_terminal());
    if checks.is_empty() || !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    for check in checks {
        tracing::info!(
            "{method} {} {} {}: {} {}",
            OneLine(path),
            check.outcome.painted(*COLOUR),
            check.check.name,
            OneLine(&check.says),
            paint("2", &format!("({})", check.check.rule), *COLOUR),
        );
    }
}
