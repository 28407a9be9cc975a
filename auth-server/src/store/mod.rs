//! Reading and writing the database: the only SQL of the authorization server, one file per
//! entity. The protocol decisions are made by the callers; here is only how the facts are
//! stored. Secrets arrive here already hashed.

mod browsers;
mod clients;
mod codes;
mod consents;
mod findings;
mod grants;
mod keys;
mod pending;
mod purge;
mod resources;
mod sessions;
mod throttle;
mod tokens;
mod users;

pub(crate) use browsers::{browser_user, remember_browser};
pub(crate) use clients::{
    Client, DocumentClient, NewClient, OperatorClient, client_owner, clients_of, delete_client,
    find_client, insert_client, other_client_names, update_client, upsert_document_client,
    upsert_operator_client,
};
pub(crate) use codes::{CodeRecord, Redeemable, find_redeemable, insert_code};
pub(crate) use consents::{consents_of, remember_consent, remembered_scope, withdraw_consent};
pub(crate) use findings::{findings_of, record_finding};
pub(crate) use grants::{Grant, find_grant, insert_grant, revoke_grant};
pub(crate) use keys::{KeyRow, PublicKeyRow, insert_key, public_keys, signing_keys_at};
pub(crate) use pending::{
    PendingRequest, find_request, insert_request, move_requests, take_request,
};
pub(crate) use purge::purge_expired;
pub(crate) use resources::{
    delete_resource, find_resource, save_resource, saw_resource, stored_resources,
};
pub(crate) use sessions::{Session, delete_session, find_session, insert_session};
pub(crate) use throttle::{give_back_unit, reset_units, take_unit};
pub(crate) use tokens::{
    AccessTokenRecord, AccessTokenRow, NewTokens, RefreshTokenRecord, RefreshTokenRow, Spending,
    find_access_token, find_refresh_token, revoke_access_token, revoked_access_tokens,
    write_tokens,
};
pub(crate) use users::{NewUser, User, count_users, find_user, find_user_by_name, insert_user};

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
