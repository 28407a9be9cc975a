//! Dynamic client registration (RFC 7591 §3): anyone may register a client, within the
//! self-registration rules (`client_metadata/`) and a rate per address; and the
//! registration both it and the clients pages use ([`create_client`]).

use serde::Serialize;
use server_kit::db::Db;
use server_kit::trace::{Check, Recorder};
use shared::jwt::SigningAlg;
use shared::{GrantType, RegistrationErrorCode, ScopeSet};
use utoipa::ToSchema;

use crate::error::Internal;
use crate::model::Finding;
use crate::protocol::client_metadata::{
    self, ApplicationType, Metadata, Refusal, Source, hash_secret,
};
use crate::protocol::throttle::{self, REGISTRATION_PER_ADDRESS};
use crate::state::AppState;
use crate::store::{self, NewClient};

const OPEN: Check = Check::new(
    "registration_open",
    "RFC 7591 §3",
    "This server accepts dynamic client registration.",
);
const BODY: Check = Check::new(
    "json_body",
    "RFC 7591 §3.1",
    "The body is a JSON object of client metadata.",
);
const NAME: Check = Check::new(
    "client_name",
    "RFC 7591 §2",
    "client_name is a readable name that no other client has, so users can tell clients apart on the consent page.",
);
const RATE: Check = Check::new(
    "registration_rate",
    "RFC 7591 §3",
    "This address has not registered too many clients lately (every client is a row).",
);

/// RFC 7591 §3.2.1: the client as registered.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RegisteredClient {
    pub client_id: String,
    client_id_issued_at: i64,
    /// Shown once, for a confidential client.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    /// 0: the secret does not expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret_expires_at: Option<i64>,
    client_name: String,
    redirect_uris: Vec<String>,
    grant_types: Vec<&'static str>,
    response_types: [&'static str; 1],
    token_endpoint_auth_method: String,
    #[schema(value_type = String)]
    scope: ScopeSet,
    application_type: &'static str,
    id_token_signed_response_alg: &'static str,
}

/// Why a registration is refused.
#[derive(Debug)]
pub(crate) enum NotRegistered {
    /// Dynamic registration is turned off (`access_denied`).
    Closed,
    /// The metadata breaks a rule (RFC 7591 §3.2.2).
    Invalid(Refusal),
    /// Too many clients from this address lately: try again in `wait` seconds.
    Throttled { wait: i64, description: String },
}

/// Registers the client `metadata` describes (`None`: the body was no JSON object of
/// client metadata), asked from `address` at `now`, every check into the trace.
pub(crate) async fn register(
    state: &AppState,
    trace: &Recorder,
    address: &str,
    metadata: Option<Metadata>,
    now: i64,
) -> Result<Result<RegisteredClient, NotRegistered>, Internal> {
    if !state.settings.dynamic_registration {
        trace.refused(&OPEN, || {
            "access_denied: dynamic client registration is turned off on this server".to_owned()
        });
        return Ok(Err(NotRegistered::Closed));
    }
    trace.pass(&OPEN);
    let body = metadata.ok_or_else(|| {
        (
            RegistrationErrorCode::InvalidClientMetadata,
            "the body must be a JSON object of client metadata".to_owned(),
        )
    });
    let metadata = match trace.check_by(&BODY, body, client_metadata::says) {
        Ok(metadata) => metadata,
        Err(refusal) => return Ok(Err(NotRegistered::Invalid(refusal))),
    };
    let checked = match client_metadata::check(trace, &metadata, Source::Registration) {
        Ok(checked) => checked,
        Err(refusal) => return Ok(Err(NotRegistered::Invalid(refusal))),
    };
    match metadata.client_name.as_deref() {
        Some(name) => {
            let unique = client_metadata::check_name(&state.db, name, "", true).await?;
            if let Err(refusal) = trace.check_by(&NAME, unique, client_metadata::says) {
                return Ok(Err(NotRegistered::Invalid(refusal)));
            }
        }
        None => trace.not_applicable(&NAME, "no client_name: the client is named by its id"),
    }
    // RFC 7591 §3: open registration may be rate-limited; every client is a row.
    if let Some(wait) = throttle::take(&state.db, &REGISTRATION_PER_ADDRESS, &[address]).await? {
        trace.refused(&RATE, || {
            "temporarily_unavailable: too many clients registered from this address lately"
                .to_owned()
        });
        tracing::warn!(
            ip = address,
            "register: refused, too many registrations from this address"
        );
        let description = format!(
            "more than {} {} within {} minutes; try again in {wait} s",
            REGISTRATION_PER_ADDRESS.max,
            REGISTRATION_PER_ADDRESS.what,
            REGISTRATION_PER_ADDRESS.window_secs / 60
        );
        return Ok(Err(NotRegistered::Throttled { wait, description }));
    }
    trace.pass(&RATE);

    let (client_id, secret) = create_client(
        &state.db,
        &Registration {
            name: metadata.client_name.as_deref(),
            confidential: checked.confidential,
            redirect_uris: &checked.redirect_uris,
            allowed_scopes: &checked.scope,
            grant_types: &checked.grant_types,
            application_type: checked.application_type,
            id_token_alg: checked.id_token_alg,
            owner_user_id: None,
        },
    )
    .await?;
    if metadata.application_type.is_none() {
        let finding = Finding::NoApplicationType;
        store::record_finding(&state.db, &client_id, finding, "").await?;
    }
    let name = metadata
        .client_name
        .as_deref()
        .map_or_else(|| client_id.clone(), |n| n.trim().to_owned());
    tracing::info!(
        client = client_id,
        name,
        confidential = checked.confidential,
        scope = %checked.scope,
        "register: new client"
    );
    // RFC 7591 §3.2.1: the client's id, secret and metadata as registered.
    Ok(Ok(RegisteredClient {
        client_id,
        client_id_issued_at: now,
        client_secret_expires_at: secret.is_some().then_some(0),
        client_secret: secret,
        client_name: name,
        redirect_uris: checked.redirect_uris,
        grant_types: checked.grant_types.iter().map(|g| g.as_str()).collect(),
        response_types: ["code"],
        token_endpoint_auth_method: checked.auth_method,
        scope: checked.scope,
        application_type: checked.application_type.as_str(),
        id_token_signed_response_alg: checked.id_token_alg.as_str(),
    }))
}

/// What a self-service registration asks for (dynamic registration or the clients pages).
#[derive(Debug)]
pub(crate) struct Registration<'a> {
    pub name: Option<&'a str>,
    pub confidential: bool,
    pub redirect_uris: &'a [String],
    pub allowed_scopes: &'a ScopeSet,
    pub grant_types: &'a [GrantType],
    pub application_type: ApplicationType,
    pub id_token_alg: SigningAlg,
    /// The user who registered it on the clients pages; `None` for dynamic registration.
    pub owner_user_id: Option<&'a str>,
}

/// Registers a self-service client with a fresh id and, if confidential, a fresh secret
/// (stored only as its hash). Returns the id and the secret, which the caller shows once.
pub(crate) async fn create_client(
    db: &Db,
    registration: &Registration<'_>,
) -> Result<(String, Option<String>), Internal> {
    let client_id = format!("client-{}", &shared::random::token()[..22]);
    let secret = registration.confidential.then(shared::random::token);
    store::insert_client(
        db,
        &NewClient {
            client_id: &client_id,
            name: registration.name.map_or(client_id.as_str(), str::trim),
            secret_hash: secret.as_deref().map(hash_secret).as_deref(),
            redirect_uris: registration.redirect_uris,
            allowed_scopes: registration.allowed_scopes,
            grant_types: registration.grant_types,
            application_type: registration.application_type.as_str(),
            id_token_alg: registration.id_token_alg,
            owner_user_id: registration.owner_user_id,
        },
    )
    .await?;
    Ok((client_id, secret))
}
