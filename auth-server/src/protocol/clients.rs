//! A user's own clients (the clients pages) and the consents the user gave: a user sees,
//! edits and deletes only the clients they registered, and withdraws only their own
//! consents. The registration itself is `protocol/registration.rs`.

use server_kit::db::Db;
use shared::ScopeSet;

use crate::error::Internal;
use crate::model::Client;
use crate::store::{self, Consent, User};

/// The client `client_id`, whoever registered it.
pub(crate) async fn find(db: &Db, client_id: &str) -> Result<Option<Client>, Internal> {
    store::find_client(db, client_id).await
}

/// One of `user`'s clients, as the list shows it.
#[derive(Debug)]
pub(crate) struct Owned {
    pub client_id: String,
    pub name: String,
    pub confidential: bool,
    pub scopes: String,
}

/// The clients `user` registered on the clients pages.
pub(crate) async fn owned_by(db: &Db, user: &User) -> Result<Vec<Owned>, Internal> {
    Ok(store::clients_of(db, &user.id)
        .await?
        .into_iter()
        .map(|(client_id, name, confidential, scopes)| Owned {
            client_id,
            name,
            confidential,
            scopes,
        })
        .collect())
}

/// The client `client_id` if `user` registered it; `None` for any other client, so a user
/// cannot tell another user's client from one that does not exist.
pub(crate) async fn own(db: &Db, user: &User, client_id: &str) -> Result<Option<Client>, Internal> {
    let owned = owned_by(db, user)
        .await?
        .iter()
        .any(|owned| owned.client_id == client_id);
    if !owned {
        return Ok(None);
    }
    find(db, client_id).await
}

/// The new name, redirect URIs and scopes of `user`'s client `client_id` (already checked
/// by `protocol/client_metadata/`). `false`: no such client of `user`.
pub(crate) async fn update(
    db: &Db,
    user: &User,
    client_id: &str,
    name: &str,
    redirect_uris: &[String],
    scope: &ScopeSet,
) -> Result<bool, Internal> {
    store::update_client(db, &user.id, client_id, name, redirect_uris, scope).await
}

/// Deletes `user`'s client `client_id` and everything issued to it. `false`: no such
/// client of `user`.
pub(crate) async fn delete(db: &Db, user: &User, client_id: &str) -> Result<bool, Internal> {
    store::delete_client(db, &user.id, client_id).await
}

/// The clients `user` approved with "remember", and for what.
pub(crate) async fn consents_of(db: &Db, user: &User) -> Result<Vec<Consent>, Internal> {
    store::consents_of(db, &user.id).await
}

/// Withdraws `user`'s remembered consent to `client_id`, revoking what was issued under
/// it. `false`: the user had none.
pub(crate) async fn withdraw_consent(
    db: &Db,
    user: &User,
    client_id: &str,
) -> Result<bool, Internal> {
    store::withdraw_consent(db, &user.id, client_id).await
}
