//! `POST /token` (RFC 6749 §3.2; OAuth 2.1 §3.2): trades an authorization code (§4.1.3), a
//! refresh token (§6) or a confidential client's own credentials (§4.4) for tokens. The
//! grant types OAuth 2.1 removed (implicit, password) do not exist here.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use shared::{CodeChallenge, CodeVerifier, GrantType, ScopeSet, TokenErrorCode, TokenRequestForm};

use crate::client_auth;
use crate::error::{TokenError, no_store};
use server_kit::metrics::Outcome;

use crate::routes::api_doc;
use crate::routes::refresh;
use crate::state::AppState;
use crate::store::{self, Client, CodeRecord, Grant};
use crate::tokens::{self, Issue};

#[utoipa::path(
    post,
    path = "/token",
    request_body(content = api_doc::TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Tokens (RFC 6749 §5.1)", body = api_doc::TokenResponse),
        api_doc::ClientRefusals,
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, TokenError> {
    let form = parse_form(&headers, body)?;
    let grant_type = check_grant_type(&form)?;
    let (client, _) = client_auth::authenticate(
        &state,
        &headers,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await?;
    // RFC 6749 §5.2 `unauthorized_client`: "The authenticated client is not authorized to
    // use this authorization grant type." A client uses only the grants it was registered
    // for (RFC 7591 §2 `grant_types`); client_credentials only clients the operator set up.
    if !client.may_use(grant_type) {
        return Err(TokenError::new(
            TokenErrorCode::UnauthorizedClient,
            format!(
                "this client is not registered for the {} grant",
                grant_type.as_str()
            ),
        ));
    }
    let response = match grant_type {
        GrantType::AuthorizationCode => exchange_code(&state, &client, &form).await?,
        GrantType::RefreshToken => refresh::refresh(&state, &client, &form).await?,
        GrantType::ClientCredentials => client_credentials(&state, &client, &form).await?,
    };
    let mut response = Outcome::Issued(grant_type.as_str()).tag(Json(response).into_response());
    no_store(&mut response);
    Ok(response)
}

/// RFC 6749 §3.2 (and RFC 7009 §2.1, RFC 7662 §2.1): the client "MUST use the HTTP "POST" method" with
/// `application/x-www-form-urlencoded`, and parameters "MUST NOT be included more than once".
pub(crate) fn parse_form<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, TokenError> {
    let invalid = |description: &str| TokenError::new(TokenErrorCode::InvalidRequest, description);
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !is_form {
        return Err(invalid(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let body =
        body.map_err(|_| invalid("the request body cannot be read (it may be too large)"))?;
    serde_urlencoded::from_bytes(&body).map_err(|e| {
        TokenError::new(
            TokenErrorCode::InvalidRequest,
            format!("the form cannot be read: {e}"),
        )
    })
}

fn check_grant_type(form: &TokenRequestForm) -> Result<GrantType, TokenError> {
    let Some(value) = form.grant_type.as_deref() else {
        return Err(TokenError::new(
            TokenErrorCode::InvalidRequest,
            "grant_type is missing",
        ));
    };
    GrantType::parse(value).ok_or_else(|| {
        let why = match value {
            "password" => "the resource owner password grant was removed by OAuth 2.1 (§10.2): the client would see the user's password",
            "implicit" | "token" => "the implicit grant was removed by OAuth 2.1 (§10.1): tokens in the URL leak",
            _ => "unknown grant_type",
        };
        TokenError::new(TokenErrorCode::UnsupportedGrantType, format!("{value}: {why}"))
    })
}

/// The checks of RFC 6749 §4.1.3 and RFC 7636 §4.6, in order. Every failure is
/// `invalid_grant` ("invalid, expired, revoked, does not match the redirection URI used in
/// the authorization request, or was issued to another client").
async fn exchange_code(
    state: &AppState,
    client: &Client,
    form: &TokenRequestForm,
) -> Result<shared::TokenResponse, TokenError> {
    let invalid_grant =
        |description: &str| TokenError::new(TokenErrorCode::InvalidGrant, description);
    let code = form
        .code
        .as_deref()
        .ok_or_else(|| TokenError::new(TokenErrorCode::InvalidRequest, "code is missing"))?;
    let code_hash = shared::digest::sha256_hex(code.as_bytes());
    let record = store::find_code(&state.db, &code_hash)
        .await?
        .ok_or_else(|| invalid_grant("unknown authorization code"))?;

    // The client proves the code is its own before a replay may revoke anything: otherwise
    // anyone holding a spent code could end the victim's grant without its credentials.
    check_issued_to(&record, client).map_err(invalid_grant)?;
    check_not_replayed(state, &record).await?;
    check_not_expired(&record).map_err(invalid_grant)?;
    check_same_redirect_uri(&record, form).map_err(invalid_grant)?;
    check_code_verifier(&record, form).map_err(invalid_grant)?;

    // Single use, atomically: of concurrent redemptions exactly one marks the code used.
    // The others are replays (OAuth 2.1 §4.1.3) and revoke the grant like any replay.
    if !store::consume_code(&state.db, &code_hash).await? {
        return Err(replayed(state, &record).await);
    }
    let scope = record.scopes()?;
    let grant = store::find_grant(&state.db, &record.grant_id)
        .await?
        .ok_or_else(|| invalid_grant("the grant of this code no longer exists"))?;
    check_same_resource(&grant, form)?;
    let user = store::find_user(&state.db, &record.user_id)
        .await?
        .ok_or_else(|| invalid_grant("the user of this code no longer exists"))?;
    let mut response = tokens::issue(
        state,
        &Issue {
            grant: &grant,
            username: Some(&user.username),
            scope: &scope,
            refresh_scope: client.may_use(GrantType::RefreshToken).then_some(&scope),
            refresh_not_after: None,
        },
    )
    .await?;
    if scope.contains("openid") {
        response.id_token = Some(
            tokens::id_token(
                state,
                &grant,
                record.nonce.as_deref(),
                &response.access_token,
            )
            .await?,
        );
    }
    tracing::info!(
        client = record.client_id,
        scope = %scope,
        refresh_token = response.refresh_token.is_some(),
        "token: code redeemed, PKCE verified; tokens issued"
    );
    Ok(response)
}

/// OAuth 2.1 §4.1.3: "If an authorization code is used more than once, the authorization
/// server MUST deny the request and SHOULD revoke (when possible) all tokens previously
/// issued based on that authorization code."
async fn check_not_replayed(state: &AppState, record: &CodeRecord) -> Result<(), TokenError> {
    if record.used_at.is_some() {
        return Err(replayed(state, record).await);
    }
    Ok(())
}

async fn replayed(state: &AppState, record: &CodeRecord) -> TokenError {
    if let Err(error) = store::revoke_grant(&state.db, &record.grant_id).await {
        return error.into();
    }
    tracing::warn!(
        client = record.client_id,
        "token: authorization code used twice; revoked every token issued from it"
    );
    TokenError::new(
        TokenErrorCode::InvalidGrant,
        "authorization code already used; the tokens issued from it are now revoked",
    )
}

/// RFC 6749 §4.1.3: "ensure that the authorization code was issued to the authenticated
/// confidential client, or if the client is public, ensure that the code was issued to
/// "client_id" in the request".
fn check_issued_to(record: &CodeRecord, client: &Client) -> Result<(), &'static str> {
    if record.client_id == client.client_id.as_str() {
        Ok(())
    } else {
        Err("the authorization code was issued to another client")
    }
}

/// RFC 6749 §4.1.2: "The authorization code MUST expire shortly after it is issued".
fn check_not_expired(record: &CodeRecord) -> Result<(), &'static str> {
    if server_kit::unix_now() < record.expires_at {
        Ok(())
    } else {
        Err("the authorization code has expired")
    }
}

/// RFC 6749 §4.1.3: "ensure that the "redirect_uri" parameter is present if the
/// "redirect_uri" parameter was included in the initial authorization request ... and if
/// included ensure that their values are identical."
fn check_same_redirect_uri(
    record: &CodeRecord,
    form: &TokenRequestForm,
) -> Result<(), &'static str> {
    if form.redirect_uri.as_deref() == Some(record.redirect_uri.as_str()) {
        Ok(())
    } else {
        Err("redirect_uri is missing or differs from the one in the authorization request")
    }
}

/// RFC 7636 §4.6: recompute the challenge from `code_verifier` and compare it, in constant
/// time, with the one stored at `/authorize`. Without the verifier a stolen code is useless.
fn check_code_verifier(record: &CodeRecord, form: &TokenRequestForm) -> Result<(), &'static str> {
    let verifier = form
        .code_verifier
        .as_deref()
        .ok_or("code_verifier is missing (PKCE)")?;
    let verifier =
        CodeVerifier::parse(verifier).map_err(|_| "code_verifier is malformed (RFC 7636 §4.1)")?;
    let challenge =
        CodeChallenge::parse(&record.code_challenge).map_err(|_| "stored challenge unreadable")?;
    if challenge.verify(&verifier) {
        Ok(())
    } else {
        Err("code_verifier does not match the code_challenge (PKCE)")
    }
}

/// RFC 6749 §4.4 / OAuth 2.1 §4.2: a confidential client asks for a token for itself
/// (service to service). No user, no refresh token (RFC 6749 §4.4.3: "A refresh token
/// SHOULD NOT be included").
async fn client_credentials(
    state: &AppState,
    client: &Client,
    form: &TokenRequestForm,
) -> Result<shared::TokenResponse, TokenError> {
    // Registration refuses client_credentials to public clients; a stored row that says
    // otherwise is still refused.
    if client.secret_hash.is_none() {
        return Err(TokenError::new(
            TokenErrorCode::UnauthorizedClient,
            "a public client cannot use client_credentials: it has no credentials to prove who it is",
        ));
    }
    let scope = match form.scope.as_deref() {
        Some(requested) => ScopeSet::parse(requested)
            .map_err(|e| TokenError::new(TokenErrorCode::InvalidScope, e.to_string()))?,
        None => client.allowed_scopes.clone(),
    };
    if !scope.is_subset(&client.allowed_scopes) {
        return Err(TokenError::new(
            TokenErrorCode::InvalidScope,
            format!("this client may ask only for: {}", client.allowed_scopes),
        ));
    }
    let resource = state
        .settings
        .resource(form.resource.as_deref())
        .ok_or_else(|| TokenError::new(TokenErrorCode::InvalidTarget, "unknown resource"))?;
    let grant = Grant::new(client.client_id.as_str(), None, &scope, resource, None);
    store::insert_grant(&state.db, &grant).await?;
    let response = tokens::issue(
        state,
        &Issue {
            grant: &grant,
            username: None,
            scope: &scope,
            refresh_scope: None,
            refresh_not_after: None,
        },
    )
    .await?;
    tracing::info!(client = %client.client_id, scope = %scope, "token: client credentials; issued an access token for the client itself");
    Ok(response)
}

/// RFC 8707 §2.2: a `resource` at the token endpoint must be one the grant covers; this
/// server issues each grant's tokens for one resource, chosen at `/authorize`.
pub(crate) fn check_same_resource(
    grant: &Grant,
    form: &TokenRequestForm,
) -> Result<(), TokenError> {
    match form.resource.as_deref() {
        Some(resource) if resource != grant.resource => Err(TokenError::new(
            TokenErrorCode::InvalidTarget,
            format!("this grant is for the resource {}", grant.resource),
        )),
        _ => Ok(()),
    }
}
