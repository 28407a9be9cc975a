//! How values are written in columns, and read back: scopes as text, lists as JSON.

use shared::ScopeSet;

use crate::error::Internal;

/// Scopes written by this server parse back; anything else is a corrupt row.
pub(crate) fn stored_scopes(value: &str) -> Result<ScopeSet, Internal> {
    if value.is_empty() {
        return Ok(ScopeSet::default());
    }
    ScopeSet::parse(value).map_err(Internal::new)
}

/// Lists are stored as JSON arrays of strings, never joined text: a value can hold any
/// character without becoming two values. (An empty column, the SQLite schema's old
/// default, is an empty list.)
pub(crate) fn stored_list(json: &str) -> Result<Vec<String>, Internal> {
    if json.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(json).map_err(Internal::new)
}

pub(crate) fn list_json<T: AsRef<str>>(values: &[T]) -> String {
    serde_json::Value::from(values.iter().map(AsRef::as_ref).collect::<Vec<_>>()).to_string()
}
