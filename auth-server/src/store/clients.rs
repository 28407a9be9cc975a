//! Clients: registered by the operator (seeded) or by anyone (dynamic registration, the
//! clients pages). Lists (redirect URIs, grant types) are JSON arrays.

use server_kit::db::{Db, Sqlite};
use server_kit::with_db;
use shared::jwt::SigningAlg;
use shared::{ClientId, GrantType, RedirectUri, ScopeSet};

use crate::error::Internal;
use crate::model::Client;
use crate::store::stored::{list_json, stored_list, stored_scopes};

#[derive(sqlx::FromRow)]
struct ClientRow {
    client_id: String,
    name: String,
    secret_hash: Option<String>,
    redirect_uris: String,
    allowed_scopes: String,
    can_introspect: bool,
    post_logout_redirect_uris: String,
    grant_types: String,
    self_registered: bool,
    document_expires_at: Option<i64>,
    id_token_signed_response_alg: String,
}

const FIND_CLIENT: &str =
    "SELECT client_id, name, secret_hash, redirect_uris, allowed_scopes, can_introspect,
            post_logout_redirect_uris, grant_types, self_registered, document_expires_at,
            id_token_signed_response_alg
     FROM clients WHERE client_id = $1";

/// Read on every token, introspection and revocation request: on SQLite by the owner
/// thread.
pub(crate) async fn find_client(db: &Db, client_id: &str) -> Result<Option<Client>, Internal> {
    let row: Option<ClientRow> = match db {
        Db::Sqlite(Sqlite { owner, .. }) => {
            owner
                .optional_row(FIND_CLIENT, client_id.to_owned(), |row| {
                    Ok(ClientRow {
                        client_id: row.get(0)?,
                        name: row.get(1)?,
                        secret_hash: row.get(2)?,
                        redirect_uris: row.get(3)?,
                        allowed_scopes: row.get(4)?,
                        can_introspect: row.get(5)?,
                        post_logout_redirect_uris: row.get(6)?,
                        grant_types: row.get(7)?,
                        self_registered: row.get(8)?,
                        document_expires_at: row.get(9)?,
                        id_token_signed_response_alg: row.get(10)?,
                    })
                })
                .await?
        }
        Db::Postgres(pool) => {
            sqlx::query_as(FIND_CLIENT)
                .bind(client_id)
                .fetch_optional(pool)
                .await?
        }
    };
    row.map(|row| {
        let uris = |json: &str| -> Result<Vec<RedirectUri>, Internal> {
            Ok(stored_list(json)?.iter().map(RedirectUri::new).collect())
        };
        let grant_types = stored_list(&row.grant_types)?
            .iter()
            .map(|g| {
                GrantType::parse(g).ok_or_else(|| Internal::new(format!("stored grant type {g:?}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Client {
            client_id: ClientId::new(row.client_id),
            name: row.name,
            secret_hash: row.secret_hash,
            redirect_uris: uris(&row.redirect_uris)?,
            allowed_scopes: stored_scopes(&row.allowed_scopes)?,
            can_introspect: row.can_introspect,
            post_logout_redirect_uris: uris(&row.post_logout_redirect_uris)?,
            grant_types,
            self_registered: row.self_registered,
            document_expires_at: row.document_expires_at,
            id_token_alg: SigningAlg::parse(&row.id_token_signed_response_alg).ok_or_else(
                || {
                    Internal::new(format!(
                        "stored id_token_signed_response_alg {:?}",
                        row.id_token_signed_response_alg
                    ))
                },
            )?,
        })
    })
    .transpose()
}

/// The names of every client but `except_client_id`, to compare a new name with (the
/// comparison is by look, `client_metadata::check_name`). For an anonymous dynamic
/// registration (`anonymous`), other anonymous dynamic registrations do not count.
pub(crate) async fn other_client_names(
    db: &Db,
    except_client_id: &str,
    anonymous: bool,
) -> Result<Vec<String>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_scalar(
        "SELECT name FROM clients
         WHERE client_id <> $1 AND NOT ($2 AND self_registered AND owner_user_id IS NULL)",
    )
    .bind(except_client_id)
    .bind(anonymous)
    .fetch_all(pool)
    .await)?)
}

/// The user who registered the client `client_id` on the clients pages, if one did.
pub(crate) async fn client_owner(db: &Db, client_id: &str) -> Result<Option<String>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_scalar(
        "SELECT owner_user_id FROM clients WHERE client_id = $1",
    )
    .bind(client_id)
    .fetch_optional(pool)
    .await)?
    .flatten())
}

/// A client to register.
#[derive(Debug)]
pub(crate) struct NewClient<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub secret_hash: Option<&'a str>,
    pub redirect_uris: &'a [String],
    pub allowed_scopes: &'a ScopeSet,
    pub grant_types: &'a [GrantType],
    /// `web` or `native` (OIDC Dynamic Client Registration §2).
    pub application_type: &'a str,
    pub id_token_alg: SigningAlg,
    pub owner_user_id: Option<&'a str>,
}

/// Stores a self-registered client (dynamic registration or the clients pages).
pub(crate) async fn insert_client(db: &Db, client: &NewClient<'_>) -> Result<(), Internal> {
    let grant_types: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
    with_db!(db, pool => sqlx::query(
        "INSERT INTO clients (client_id, name, secret_hash, redirect_uris, allowed_scopes, owner_user_id,
                              created_at, grant_types, application_type, post_logout_redirect_uris,
                              self_registered, id_token_signed_response_alg)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '[]', TRUE, $10)",
    )
    .bind(client.client_id)
    .bind(client.name)
    .bind(client.secret_hash)
    .bind(list_json(client.redirect_uris))
    .bind(client.allowed_scopes.to_string())
    .bind(client.owner_user_id)
    .bind(server_kit::unix_now())
    .bind(list_json(&grant_types))
    .bind(client.application_type)
    .bind(client.id_token_alg.as_str())
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The clients `owner_user_id` registered on the clients pages: (id, name, confidential, scopes).
pub(crate) async fn clients_of(
    db: &Db,
    owner_user_id: &str,
) -> Result<Vec<(String, String, bool, String)>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT client_id, name, secret_hash IS NOT NULL, allowed_scopes FROM clients
         WHERE owner_user_id = $1 ORDER BY created_at, client_id",
    )
    .bind(owner_user_id)
    .fetch_all(pool)
    .await)?)
}

/// Changes a client its owner registered; false if there is no such client of that owner.
pub(crate) async fn update_client(
    db: &Db,
    owner_user_id: &str,
    client_id: &str,
    name: &str,
    redirect_uris: &[String],
    allowed_scopes: &ScopeSet,
) -> Result<bool, Internal> {
    let changed = with_db!(db, pool => sqlx::query(
        "UPDATE clients SET name = $1, redirect_uris = $2, allowed_scopes = $3 WHERE client_id = $4 AND owner_user_id = $5",
    )
    .bind(name)
    .bind(list_json(redirect_uris))
    .bind(allowed_scopes.to_string())
    .bind(client_id)
    .bind(owner_user_id)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(changed == 1)
}

/// Deletes a client its owner registered, with everything issued to it.
pub(crate) async fn delete_client(
    db: &Db,
    owner_user_id: &str,
    client_id: &str,
) -> Result<bool, Internal> {
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let owned: Option<String> = sqlx::query_scalar(
            "SELECT client_id FROM clients WHERE client_id = $1 AND owner_user_id = $2",
        )
        .bind(client_id)
        .bind(owner_user_id)
        .fetch_optional(&mut *tx)
        .await?;
        if owned.is_none() {
            return Ok(false);
        }
        for table in [
            "authorization_codes",
            "access_tokens",
            "refresh_tokens",
            "authorization_requests",
            "grants",
            "consents",
            "client_findings",
            "clients",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE client_id = $1"))
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    });
    Ok(true)
}

/// A client the operator configures (the seeded ones).
#[derive(Debug)]
pub(crate) struct OperatorClient<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub secret_hash: Option<&'a str>,
    pub redirect_uris: &'a [&'a str],
    pub post_logout_redirect_uris: &'a [&'a str],
    pub allowed_scopes: &'a str,
    pub grant_types: &'a [GrantType],
    pub can_introspect: bool,
}

/// Creates an operator's client, or, if it exists, sets its secret and its redirect URIs
/// (the configuration applies on every start: a new version of the lab may add a URI);
/// anything else an operator changed stays.
pub(crate) async fn upsert_operator_client(
    db: &Db,
    client: &OperatorClient<'_>,
) -> Result<(), Internal> {
    let grant_types: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
    with_db!(db, pool => sqlx::query(
        "INSERT INTO clients (client_id, name, secret_hash, redirect_uris, allowed_scopes, can_introspect,
                              created_at, post_logout_redirect_uris, grant_types, self_registered)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, FALSE)
         ON CONFLICT (client_id) DO UPDATE SET secret_hash = excluded.secret_hash,
             redirect_uris = excluded.redirect_uris,
             post_logout_redirect_uris = excluded.post_logout_redirect_uris",
    )
    .bind(client.client_id)
    .bind(client.name)
    .bind(client.secret_hash)
    .bind(list_json(client.redirect_uris))
    .bind(client.allowed_scopes)
    .bind(client.can_introspect)
    .bind(server_kit::unix_now())
    .bind(list_json(client.post_logout_redirect_uris))
    .bind(list_json(&grant_types))
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// A client as its Client ID Metadata Document describes it (`protocol/client_document/`).
#[derive(Debug)]
pub(crate) struct DocumentClient<'a> {
    /// The document's URL.
    pub client_id: &'a str,
    pub name: &'a str,
    pub redirect_uris: &'a [String],
    pub allowed_scopes: &'a ScopeSet,
    pub grant_types: &'a [GrantType],
    pub application_type: &'a str,
    pub id_token_alg: SigningAlg,
    /// Until when this copy of the document is fresh.
    pub expires_at: i64,
}

/// Stores a client fetched from its metadata document, or replaces the stored copy with a
/// fresh one. A row that did not come from a document is never touched (none has a URL
/// for an id, but the condition makes sure).
pub(crate) async fn upsert_document_client(
    db: &Db,
    client: &DocumentClient<'_>,
) -> Result<(), Internal> {
    let grant_types: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
    with_db!(db, pool => sqlx::query(
        "INSERT INTO clients (client_id, name, secret_hash, redirect_uris, allowed_scopes,
                              created_at, grant_types, application_type, post_logout_redirect_uris,
                              self_registered, document_expires_at, id_token_signed_response_alg)
         VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, '[]', TRUE, $8, $9)
         ON CONFLICT (client_id) DO UPDATE SET
             name = excluded.name, redirect_uris = excluded.redirect_uris,
             allowed_scopes = excluded.allowed_scopes, grant_types = excluded.grant_types,
             application_type = excluded.application_type,
             id_token_signed_response_alg = excluded.id_token_signed_response_alg,
             document_expires_at = excluded.document_expires_at
         WHERE clients.document_expires_at IS NOT NULL",
    )
    .bind(client.client_id)
    .bind(client.name)
    .bind(list_json(client.redirect_uris))
    .bind(client.allowed_scopes.to_string())
    .bind(server_kit::unix_now())
    .bind(list_json(&grant_types))
    .bind(client.application_type)
    .bind(client.expires_at)
    .bind(client.id_token_alg.as_str())
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}
