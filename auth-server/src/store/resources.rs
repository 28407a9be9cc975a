//! Protected resources added by an operator or seen on this machine
//! (`protocol/resources.rs` says where the others come from).

use server_kit::db::Db;
use server_kit::with_db;
use shared::jwt::SigningAlg;

use crate::error::Internal;
use crate::model::{Resource, Source};
use crate::store::stored::stored_scopes;

/// A recorded resource, with when a client last named it.
#[derive(Debug)]
pub(crate) struct StoredResource {
    pub resource: Resource,
    pub last_seen: i64,
}

type Row = (
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    String,
    i64,
);

const COLUMNS: &str =
    "identifier, name, scopes, access_token_ttl, access_token_alg, source, last_seen";

fn from_row(
    (identifier, name, scopes, access_token_ttl, access_token_alg, source, last_seen): Row,
) -> Result<StoredResource, Internal> {
    let source = match source.as_str() {
        "operator" => Source::Operator,
        "seen" => Source::Seen,
        other => return Err(Internal::new(format!("unknown resource source {other:?}"))),
    };
    Ok(StoredResource {
        resource: Resource {
            identifier,
            name,
            scopes: scopes.as_deref().map(stored_scopes).transpose()?,
            access_token_ttl,
            access_token_alg: access_token_alg
                .map(|alg| {
                    SigningAlg::parse(&alg)
                        .ok_or_else(|| Internal::new(format!("stored access_token_alg {alg:?}")))
                })
                .transpose()?,
            source,
        },
        last_seen,
    })
}

pub(crate) async fn find_resource(
    db: &Db,
    identifier: &str,
) -> Result<Option<StoredResource>, Internal> {
    let row: Option<Row> = with_db!(db, pool => sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM resources WHERE identifier = $1"
    ))
    .bind(identifier)
    .fetch_optional(pool)
    .await)?;
    row.map(from_row).transpose()
}

/// Every recorded resource, the operator's first, then by identifier.
pub(crate) async fn stored_resources(db: &Db) -> Result<Vec<StoredResource>, Internal> {
    let rows: Vec<Row> = with_db!(db, pool => sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM resources ORDER BY source, identifier"
    ))
    .fetch_all(pool)
    .await)?;
    rows.into_iter().map(from_row).collect()
}

/// Records that a client named `identifier`, a resource on this machine: a new row the
/// first time, then `last_seen` (at most once a minute, so a busy resource costs no write
/// per request). An operator's row stays the operator's.
pub(crate) async fn saw_resource(db: &Db, identifier: &str) -> Result<(), Internal> {
    let now = server_kit::unix_now();
    with_db!(db, pool => sqlx::query(
        "INSERT INTO resources (identifier, name, scopes, access_token_ttl, source, first_seen, last_seen)
         VALUES ($1, $1, NULL, NULL, 'seen', $2, $2)
         ON CONFLICT (identifier) DO UPDATE SET last_seen = excluded.last_seen
         WHERE resources.last_seen < excluded.last_seen - 60",
    )
    .bind(identifier)
    .bind(now)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Adds `resource` as the operator's, or makes a recorded one the operator's with this
/// description.
pub(crate) async fn save_resource(db: &Db, resource: &Resource) -> Result<(), Internal> {
    let now = server_kit::unix_now();
    with_db!(db, pool => sqlx::query(
        "INSERT INTO resources (identifier, name, scopes, access_token_ttl, access_token_alg, source,
                                first_seen, last_seen)
         VALUES ($1, $2, $3, $4, $5, 'operator', $6, $6)
         ON CONFLICT (identifier) DO UPDATE SET name = excluded.name, scopes = excluded.scopes,
           access_token_ttl = excluded.access_token_ttl,
           access_token_alg = excluded.access_token_alg, source = 'operator'",
    )
    .bind(&resource.identifier)
    .bind(&resource.name)
    .bind(resource.scopes.as_ref().map(ToString::to_string))
    .bind(resource.access_token_ttl)
    .bind(resource.access_token_alg.map(SigningAlg::as_str))
    .bind(now)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Forgets a recorded resource; whether there was one. Tokens already issued for it stay
/// valid until they expire.
pub(crate) async fn delete_resource(db: &Db, identifier: &str) -> Result<bool, Internal> {
    let deleted = with_db!(db, pool => sqlx::query("DELETE FROM resources WHERE identifier = $1")
        .bind(identifier)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
    Ok(deleted > 0)
}
