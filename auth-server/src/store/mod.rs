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
mod stored;
mod throttle;
mod tokens;
mod users;

pub(crate) use browsers::{browser_user, remember_browser};
pub(crate) use clients::{
    DocumentClient, NewClient, OperatorClient, client_owner, clients_of, delete_client,
    find_client, insert_client, other_client_names, update_client, upsert_document_client,
    upsert_operator_client,
};
pub(crate) use codes::{CodeRecord, Redeemable, find_redeemable, insert_code};
pub(crate) use consents::{
    Consent, consents_of, remember_consent, remembered_scope, withdraw_consent,
};
pub(crate) use findings::{Recorded, findings_of, record_finding};
pub(crate) use grants::{find_grant, insert_grant, revoke_grant};
pub(crate) use keys::{KeyRow, PublicKeyRow, insert_key, public_keys, signing_keys_at};
pub(crate) use pending::{
    PendingRequest, find_request, insert_request, move_requests, take_request,
};
pub(crate) use purge::purge_expired;
pub(crate) use resources::{
    StoredResource, delete_resource, find_resource, save_resource, saw_resource, stored_resources,
};
pub(crate) use sessions::{Session, delete_session, find_session, insert_session};
pub(crate) use throttle::{give_back_unit, reset_units, take_unit};
pub(crate) use tokens::{
    AccessTokenRecord, AccessTokenRow, NewTokens, RefreshTokenRecord, RefreshTokenRow, Spending,
    find_access_token, find_refresh_token, revoke_access_token, revoked_access_tokens,
    write_tokens,
};
pub(crate) use users::{NewUser, User, count_users, find_user, find_user_by_name, insert_user};
