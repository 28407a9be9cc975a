//! `POST /token` (RFC 6749 §3.2; OAuth 2.1 §3.2): trades an authorization code (§4.1.3), a
//! refresh token (§6) or a confidential client's own credentials (§4.4) for tokens. The
//! grant types OAuth 2.1 removed (implicit, password) do not exist here.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use server_kit::metrics::Outcome;
use server_kit::trace::{Check, Recorder};
use shared::{GrantType, TokenErrorCode, TokenRequestForm};

use crate::error::ApiError;
use crate::model::Client;
use crate::protocol::client_auth;
use crate::protocol::grants::{authorization_code, client_credentials, refresh_token};
use crate::routes::api_doc;
use crate::routes::form::{authorization, parse_form};
use crate::routes::json_error::no_store;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/token",
    request_body(content = TokenRequestForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Tokens (RFC 6749 §5.1)", body = shared::TokenResponse),
        api_doc::ClientRefusals,
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn token(
    State(state): State<AppState>,
    trace: Recorder,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let form = trace.check(&FORM, parse_form(&headers, body))?;
    let grant_type = trace.check(&GRANT_TYPE, check_grant_type(&form))?;
    let authenticated = client_auth::authenticate(
        &state,
        authorization(&headers),
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await;
    let (client, _) = trace.check(&client_auth::CLIENT_AUTHENTICATED, authenticated)?;
    trace.check(&GRANT_ALLOWED, check_grant_allowed(&client, grant_type))?;
    let response = match grant_type {
        GrantType::AuthorizationCode => {
            authorization_code::exchange_code(
                &state,
                &trace,
                &client,
                &form,
                server_kit::unix_now(),
            )
            .await?
        }
        GrantType::RefreshToken => {
            refresh_token::refresh(&state, &trace, &client, &form, server_kit::unix_now()).await?
        }
        GrantType::ClientCredentials => {
            client_credentials::client_credentials(&state, &trace, &client, &form).await?
        }
    };
    let mut response = Outcome::Issued(grant_type.as_str()).tag(Json(response).into_response());
    no_store(&mut response);
    Ok(response)
}

/// 1. RFC 6749 §3.2: a POST with an `application/x-www-form-urlencoded` body, each
///    parameter once (§3.1).
const FORM: Check = Check::new(
    "form",
    "RFC 6749 §3.2",
    "A form body (application/x-www-form-urlencoded) with every parameter at most once.",
);

/// 2. A grant type this server has; OAuth 2.1 removed implicit and password (§10).
const GRANT_TYPE: Check = Check::new(
    "grant_type",
    "OAuth 2.1 §3.2.2",
    "grant_type names a grant this server supports.",
);

/// 4. RFC 6749 §5.2 `unauthorized_client`: "The authenticated client is not authorized to
///    use this authorization grant type."
const GRANT_ALLOWED: Check = Check::new(
    "grant_allowed",
    "RFC 6749 §5.2",
    "The client is registered for this grant type.",
);

/// A client uses only the grants it was registered for (RFC 7591 §2 `grant_types`);
/// client_credentials only clients the operator set up.
fn check_grant_allowed(client: &Client, grant_type: GrantType) -> Result<(), ApiError> {
    if client.may_use(grant_type) {
        Ok(())
    } else {
        Err(ApiError::new(
            TokenErrorCode::UnauthorizedClient,
            format!(
                "this client is not registered for the {} grant",
                grant_type.as_str()
            ),
        ))
    }
}

fn check_grant_type(form: &TokenRequestForm) -> Result<GrantType, ApiError> {
    let Some(value) = form.grant_type.as_deref() else {
        return Err(ApiError::new(
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
        ApiError::new(TokenErrorCode::UnsupportedGrantType, format!("{value}: {why}"))
    })
}
