//! The authorization response (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207): the browser goes
//! back to the client's redirect URI with a code or an error, `state` and `iss`; or, for a
//! client the operator did not register, an error is shown with a link instead
//! (RFC 9700 §4.11.2).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::{AuthorizationErrorCode, RedirectUri};

use crate::error::Internal;
use crate::pages::{ErrorPage, PageError};
use crate::protocol::authorization_request::Refusal;
use crate::protocol::decision::IssuedCode;

/// Where an error goes once the redirect URI is trusted.
#[derive(Debug, Clone)]
pub(crate) struct ErrorRedirect {
    pub redirect_uri: RedirectUri,
    pub state: Option<String>,
    pub issuer: String,
    /// Show the error on this server's page with a link, instead of redirecting at once.
    pub ask_first: bool,
}

impl ErrorRedirect {
    /// A refusal of what was asked, on its way back to the client.
    pub(crate) fn refuse(&self, refusal: Refusal) -> AuthorizationRedirect {
        self.with(refusal.code, refusal.description)
    }

    pub(crate) fn with(
        &self,
        error: AuthorizationErrorCode,
        description: String,
    ) -> AuthorizationRedirect {
        let mut params = vec![
            ("error", error.as_str().to_owned()),
            ("error_description", description),
        ];
        params.extend(self.state.clone().map(|s| ("state", s)));
        params.push(("iss", self.issuer.clone()));
        AuthorizationRedirect {
            redirect_uri: self.redirect_uri.clone(),
            params,
            ask_first: self.ask_first,
        }
    }
}

/// A redirect back to the client: `?code=…&state=…&iss=…` or `?error=…&state=…&iss=…`.
/// RFC 9207 §2: `iss` in every authorization response lets the client check which server
/// answered (mix-up defence).
#[derive(Debug)]
pub(crate) struct AuthorizationRedirect {
    pub redirect_uri: RedirectUri,
    pub params: Vec<(&'static str, String)>,
    /// Not automatic: a page with the error and a link to follow (see [`ErrorRedirect`]).
    pub ask_first: bool,
}

/// A code goes back at once (the user has logged in and decided).
impl From<IssuedCode> for AuthorizationRedirect {
    fn from(issued: IssuedCode) -> Self {
        let mut params = vec![("code", issued.code.secret().to_owned())];
        params.extend(issued.state.map(|state| ("state", state)));
        params.push(("iss", issued.issuer));
        Self {
            redirect_uri: issued.redirect_uri,
            params,
            ask_first: false,
        }
    }
}

impl AuthorizationRedirect {
    pub(crate) fn location(&self) -> Result<String, Internal> {
        let mut url = url::Url::parse(self.redirect_uri.as_str()).map_err(Internal::new)?;
        url.query_pairs_mut()
            .extend_pairs(self.params.iter().map(|(k, v)| (*k, v.as_str())));
        Ok(url.into())
    }
}

impl IntoResponse for AuthorizationRedirect {
    fn into_response(self) -> Response {
        let error = self.params.iter().find(|(k, _)| *k == "error");
        if let Some((_, error)) = error {
            tracing::info!(error, to = ?self.redirect_uri.as_str(), ask_first = self.ask_first, "authorize: sending the error back to the client");
        }
        let location = match self.location() {
            Ok(location) => location,
            Err(error) => return PageError::Internal(error).into_response(),
        };
        if !self.ask_first {
            return (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
        }
        let description = self
            .params
            .iter()
            .find(|(k, _)| *k == "error_description")
            .map_or("", |(_, v)| v.as_str());
        let message = format!(
            "{}: {description}. The application that sent you here was registered by someone other than this server's operator, so this server does not send you back to it on its own.",
            error.map_or("", |(_, v)| v.as_str())
        );
        ErrorPage::new(StatusCode::BAD_REQUEST, "Request refused", message)
            .link(location, format!("Return to the application at {}", self.redirect_uri))
            .rule("RFC 9700 §4.11.2: an authorization server redirects automatically only to redirect URIs it trusts; otherwise it would be an open redirector for anyone who can register a client.")
            .into_response()
    }
}
