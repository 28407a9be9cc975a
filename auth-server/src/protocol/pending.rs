//! Pending authorization requests: a request that passed its checks
//! (`protocol/authorization_request/`) waits, bound to the browser session that made it,
//! while the user logs in and decides. Only that session finds it, and a decision takes it
//! out, so it is answered once.

use server_kit::db::Db;

use crate::error::Internal;
use crate::model::Client;
use crate::store::{self, PendingRequest, Session};

/// How long the user has to log in and consent.
pub(crate) const REQUEST_TTL_SECS: i64 = 10 * 60;

/// Keeps `request` for `session`, for [`REQUEST_TTL_SECS`].
pub(crate) async fn hold(
    db: &Db,
    session: &Session,
    request: &PendingRequest,
) -> Result<(), Internal> {
    store::insert_request(db, &session.id_hash, request, REQUEST_TTL_SECS).await
}

/// The request `id` of `session`, if it is there and has not expired.
pub(crate) async fn find(
    db: &Db,
    id: &str,
    session: &Session,
) -> Result<Option<PendingRequest>, Internal> {
    store::find_request(db, id, &session.id_hash).await
}

/// The request `id` of `session`, taken out: it is answered once.
pub(crate) async fn take(
    db: &Db,
    id: &str,
    session: &Session,
) -> Result<Option<PendingRequest>, Internal> {
    store::take_request(db, id, &session.id_hash).await
}

/// The client that made `request`, if it still exists.
pub(crate) async fn client_of(
    db: &Db,
    request: &PendingRequest,
) -> Result<Option<Client>, Internal> {
    store::find_client(db, &request.client_id).await
}
