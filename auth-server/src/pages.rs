//! The HTML pages of the authorization server: login, consent, and the error page shown
//! when the server must not redirect.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::error::{BUSY_RETRY_AFTER_SECS, Internal};
use crate::model::Client;

/// Who is asking, as the login and consent pages show it. The name is the client's own
/// claim, so the page also shows what it cannot fake: its id, where the answer will go, and
/// whether the operator registered it (RFC 7591 §5, RFC 6749 §10.2, RFC 9700 §4.18).
#[derive(Debug)]
pub(crate) struct ClientIdentity {
    pub name: String,
    pub client_id: String,
    /// The host (and port) of the redirect URI the answer goes to.
    pub redirect_host: String,
    /// Registered by anyone, not by the operator.
    pub unverified: bool,
    /// For a client known only by its metadata document: the host that serves it
    /// (draft-ietf-oauth-client-id-metadata-document §7.5: show the `client_id`'s host).
    pub document_host: Option<String>,
}

impl ClientIdentity {
    pub(crate) fn new(client: &Client, redirect_uri: &str) -> Self {
        let document_host = client
            .document_expires_at
            .and_then(|_| host_and_port(client.client_id.as_str()));
        Self {
            name: client.name.clone(),
            client_id: client.client_id.to_string(),
            redirect_host: host_and_port(redirect_uri).unwrap_or_else(|| redirect_uri.to_owned()),
            unverified: client.self_registered,
            document_host,
        }
    }
}

/// The host (and port, if not the scheme's own) of a URL.
fn host_and_port(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let host = url.host_str()?;
    Some(
        url.port()
            .map_or(host.to_owned(), |port| format!("{host}:{port}")),
    )
}

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage<'a> {
    /// The client asking, or `None` when logging in to manage clients.
    pub client: Option<&'a ClientIdentity>,
    pub request_id: &'a str,
    pub csrf_token: &'a str,
    pub username: &'a str,
    pub error: Option<&'a str>,
}

/// One line of the consent page.
#[derive(Debug)]
pub(crate) struct ScopeLine {
    pub name: String,
    pub description: &'static str,
    pub grantable: bool,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub(crate) struct ConsentPage<'a> {
    pub client: &'a ClientIdentity,
    pub username: &'a str,
    pub request_id: &'a str,
    pub csrf_token: &'a str,
    pub scopes: Vec<ScopeLine>,
    /// Approving is remembered (`Client::consent_may_be_remembered`).
    pub remembered: bool,
}

#[derive(Template)]
#[template(path = "signup.html")]
pub(crate) struct SignupPage<'a> {
    pub request_id: &'a str,
    pub csrf_token: &'a str,
    pub username: &'a str,
    pub error: Option<&'a str>,
}

/// One client in the clients list.
#[derive(Debug)]
pub(crate) struct ClientLine {
    pub client_id: String,
    pub name: String,
    pub confidential: bool,
    pub scopes: String,
}

/// The fields of the client form, as shown.
#[derive(Debug, Default)]
pub(crate) struct ClientForm {
    pub action: String,
    pub new: bool,
    pub name: String,
    pub redirect_uris: String,
    pub scope: String,
}

/// One remembered consent on the clients page.
#[derive(Debug)]
pub(crate) struct ConsentLine {
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
}

#[derive(Template)]
#[template(path = "clients.html")]
pub(crate) struct ClientsPage<'a> {
    pub username: &'a str,
    pub csrf_token: &'a str,
    pub clients: Vec<ClientLine>,
    /// The applications the user allowed, consent remembered.
    pub consents: Vec<ConsentLine>,
    pub form: ClientForm,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "client_edit.html")]
pub(crate) struct ClientEditPage<'a> {
    pub client_id: &'a str,
    pub csrf_token: &'a str,
    pub form: ClientForm,
    pub error: Option<&'a str>,
}

/// "Log out?": the confirmation of a logout request that came without a valid hint.
#[derive(Debug, Template)]
#[template(path = "logout.html")]
pub(crate) struct LogoutPage<'a> {
    pub csrf_token: &'a str,
    pub client_id: &'a str,
    pub post_logout_redirect_uri: &'a str,
    pub state: &'a str,
}

/// The operator's page of protected resources (`routes/resources.rs`).
#[derive(Debug, Template)]
#[template(path = "resources.html")]
pub(crate) struct ResourcesPage<'a> {
    pub username: &'a str,
    pub csrf_token: &'a str,
    pub any_loopback: bool,
    pub resources: Vec<ResourceLine>,
    pub max_ttl: i64,
    pub form: ResourceForm,
    pub error: Option<&'a str>,
}

/// One resource on the resources page.
#[derive(Debug)]
pub(crate) struct ResourceLine {
    pub identifier: String,
    pub name: String,
    pub default: bool,
    /// "read write", or "any".
    pub scopes: String,
    /// "120 s", or "300 s (the server's)".
    pub lifetime: String,
    /// The access tokens' algorithm.
    pub alg: &'static str,
    pub source: &'static str,
    pub last_seen_ago: Option<String>,
    /// Recorded in the database (not a flag or the file).
    pub removable: bool,
}

/// The resources page's form, as submitted (or empty).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ResourceForm {
    #[serde(default)]
    pub resource: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub scopes: String,
    #[serde(default)]
    pub access_token_ttl: String,
    /// Empty: the default (EdDSA).
    #[serde(default)]
    pub access_token_alg: String,
}

/// A client's report (`routes/report.rs`).
#[derive(Debug, Template)]
#[template(path = "report.html")]
pub(crate) struct ReportPage<'a> {
    pub name: &'a str,
    pub client_id: &'a str,
    pub self_registered: bool,
    pub findings: Vec<ReportLine>,
}

/// One finding on the report page.
#[derive(Debug)]
pub(crate) struct ReportLine {
    pub finding: &'static str,
    pub clause: &'static str,
    pub count: i64,
    /// "12 s ago", "3 min ago", ...
    pub last_seen_ago: String,
    pub detail: String,
}

/// A plain message (logged out, account created).
#[derive(Debug, Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage<'a> {
    pub title: &'a str,
    pub message: &'a str,
}

/// An error shown on the authorization server itself.
#[derive(Debug, Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
    /// The rule that made the server stop, for the curious.
    pub rule: Option<&'static str>,
    /// A link the user may follow on: `(href, label)`.
    pub link: Option<(String, String)>,
}

impl ErrorPage {
    pub(crate) fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            title,
            message: message.into(),
            rule: None,
            link: None,
        }
    }

    #[must_use]
    pub(crate) fn link(mut self, href: String, label: String) -> Self {
        self.link = Some((href, label));
        self
    }

    #[must_use]
    pub(crate) fn rule(mut self, rule: &'static str) -> Self {
        self.rule = Some(rule);
        self
    }
}

/// How a page handler fails: an error page for the user, or a failure inside the server.
#[derive(Debug)]
pub(crate) enum PageError {
    Page(ErrorPage),
    Internal(Internal),
}

/// The page's title and message, for the decision trace: what the user reads, no more.
impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Page(page) => write!(f, "{}: {}", page.title, page.message),
            Self::Internal(_) => f.write_str("server_error"),
        }
    }
}

impl From<ErrorPage> for PageError {
    fn from(page: ErrorPage) -> Self {
        Self::Page(page)
    }
}

impl From<Internal> for PageError {
    fn from(error: Internal) -> Self {
        Self::Internal(error)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::Page(page) => page.into_response(),
            Self::Internal(error) if error.is_busy() => {
                tracing::warn!(%error, "request refused: the database is overloaded");
                let page = ErrorPage::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Busy",
                    "The authorization server has too much to do at this moment. Wait a second and try again.",
                );
                let mut response = page.into_response();
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    header::HeaderValue::from(BUSY_RETRY_AFTER_SECS),
                );
                response
            }
            Self::Internal(error) => {
                tracing::error!(%error, "request failed inside the server");
                let page = ErrorPage::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The authorization server failed to handle this request. Its log says why.",
                );
                page.render().map_or_else(
                    |_| (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
                    |html| (StatusCode::INTERNAL_SERVER_ERROR, Html(html)).into_response(),
                )
            }
        }
    }
}

/// Renders a page with `status`.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Result<Response, Internal> {
    Ok((status, Html(page.render()?)).into_response())
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        // Debug formatting: the message may quote what a client sent (a client_id, a
        // redirect_uri), and a newline in it must not start a forged log line (CWE-117).
        tracing::info!(title = self.title, reason = ?self.message, "showing an error page");
        match render(self.status, &self) {
            Ok(response) => response,
            Err(error) => PageError::Internal(error).into_response(),
        }
    }
}

/// `GET /assets/style.css`: the pages' only style sheet (the CSP allows no inline style).
pub(crate) async fn style_sheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../assets/style.css"),
    )
}

/// `seconds` ago, in the largest unit that fits.
pub(crate) fn ago(seconds: i64) -> String {
    match seconds.max(0) {
        s @ 0..60 => format!("{s} s ago"),
        s @ 60..3600 => format!("{} min ago", s / 60),
        s @ 3600..86_400 => format!("{} h ago", s / 3600),
        s => format!("{} days ago", s / 86_400),
    }
}
