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
use shared::{GrantType, TokenErrorCode, TokenRequestForm};

use crate::error::{ApiError, no_store};
use crate::protocol::client_auth;
use crate::protocol::grants::{authorization_code, client_credentials, refresh_token};
use crate::routes::api_doc;
use crate::routes::form::{authorization, parse_form};
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
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let form = parse_form(&headers, body)?;
    let grant_type = check_grant_type(&form)?;
    let (client, _) = client_auth::authenticate(
        &state,
        authorization(&headers),
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await?;
    // RFC 6749 §5.2 `unauthorized_client`: "The authenticated client is not authorized to
    // use this authorization grant type." A client uses only the grants it was registered
    // for (RFC 7591 §2 `grant_types`); client_credentials only clients the operator set up.
    if !client.may_use(grant_type) {
        return Err(ApiError::new(
            TokenErrorCode::UnauthorizedClient,
            format!(
                "this client is not registered for the {} grant",
                grant_type.as_str()
            ),
        ));
    }
    let response = match grant_type {
        GrantType::AuthorizationCode => {
            authorization_code::exchange_code(&state, &client, &form).await?
        }
        GrantType::RefreshToken => refresh_token::refresh(&state, &client, &form).await?,
        GrantType::ClientCredentials => {
            client_credentials::client_credentials(&state, &client, &form).await?
        }
    };
    let mut response = Outcome::Issued(grant_type.as_str()).tag(Json(response).into_response());
    no_store(&mut response);
    Ok(response)
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
