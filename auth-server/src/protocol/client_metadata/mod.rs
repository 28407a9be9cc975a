//! Rules for client metadata, shared by dynamic registration (RFC 7591) and the clients
//! pages: what a redirect URI may be, which name and scopes a client may have. Both ways are
//! self-service (anyone can register), so a client registered either way is never trusted
//! like one the operator configured: it gets a scope ceiling without `admin`, no
//! `client_credentials`, an "unverified" mark on the login and consent pages, and no
//! automatic error redirects (`routes/redirect.rs`, `ErrorRedirect::ask_first`).

use serde::Deserialize;
use server_kit::db::Db;
use server_kit::trace::{Check, Recorder};
use shared::jwt::SigningAlg;
use shared::{GrantType, RegistrationErrorCode, ScopeSet};

use crate::error::Internal;
use crate::store;

/// Why metadata is refused.
pub(crate) type Refusal = (RegistrationErrorCode, String);

/// The most a self-registered client may ever be allowed. RFC 9700 §2.3: a client must not
/// obtain, by any grant, more than someone entitled could grant it; `admin` is granted only
/// through clients the operator registered.
pub(crate) const SELF_REGISTERED_CEILING: &str = "openid profile email read write offline_access";

/// The scopes of a registration that names none. OpenID Connect Dynamic Client Registration
/// defines no `scope` member, so a client registered the OIDC way must still be able to ask
/// for `openid profile email` (RFC 7591 §2 lets the server pick the default).
pub(crate) const DEFAULT_SCOPE: &str = "openid profile email read";

/// Longest client name accepted (it is shown on the login and consent pages).
const MAX_NAME_CHARS: usize = 100;

/// A redirect URI must be an absolute URL without a fragment (RFC 6749 §3.1.2) using
/// `https`, or `http` on a loopback host only (RFC 8252 §7.3, OAuth 2.1 §2.3.1): anything
/// else sends codes over the network in the clear. It must also be written exactly as the
/// URL parser reads it: the WHATWG parser silently drops tabs and newlines, so
/// `"https://good.example/cb\nhttp://evil.example/cb"` would pass as an https URL while
/// holding a second one (OAuth 2.1 §2.3.1: redirect URIs are compared as exact strings).
pub(crate) fn check_redirect_uri(uri: &str) -> Result<(), Refusal> {
    let refuse = |why: &str| {
        (
            RegistrationErrorCode::InvalidRedirectUri,
            format!("{uri:?}: {why}"),
        )
    };
    if uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refuse(
            "a redirect URI must not contain spaces or control characters (tab, newline)",
        ));
    }
    let url = url::Url::parse(uri).map_err(|_| refuse("not an absolute URL"))?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err(refuse("a redirect URI must not have a fragment"));
    }
    if url.as_str() != uri {
        return Err(refuse(&format!(
            "write it exactly as a URL parser reads it, {:?}: redirect URIs are compared character for character",
            url.as_str()
        )));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(url.host_str()) => Ok(()),
        "http" => Err(refuse(
            "http is allowed only on a loopback host (localhost, 127.0.0.1, [::1]); use https",
        )),
        _ => Err(refuse(
            "the scheme must be https (or http on a loopback host)",
        )),
    }
}

/// A host that is this machine (`shared::is_loopback_host`).
fn is_loopback_host(host: Option<&str>) -> bool {
    host.is_some_and(shared::is_loopback_host)
}

/// Does the redirect URI of an authorization request match one the client registered?
/// OAuth 2.1 §2.3.1 and RFC 9700 §4.1.3: exactly, character for character. With one
/// exception for native apps, OAuth 2.1 §8.4.2 and RFC 8252 §7.3: "The authorization server
/// MUST allow any port to be specified at the time of the request for loopback IP redirect
/// URIs", because a native app (a CLI, an MCP client) listens on whatever port the system
/// gives it at each run. So for an `http` URI on a loopback host the port may differ; the
/// scheme, the host (as written: `127.0.0.1` does not match `localhost`), the path and the
/// query may not, and the requested URI must be written exactly as a URL parser reads it
/// (no `..`, no tab). Any other host never gets this leniency.
///
/// Which clients are native: those that registered themselves (`lenient`: dynamic
/// registration and the clients pages, which is how native and MCP clients arrive at run
/// time). A client the operator configured, such as the lab's own SPA (a web app on a fixed
/// origin), is matched exactly, so a code cannot be sent to another local port.
pub(crate) fn redirect_uri_matches(registered: &str, requested: &str, lenient: bool) -> bool {
    if registered == requested {
        return true;
    }
    if !lenient {
        return false;
    }
    let (Ok(registered), Ok(parsed)) = (url::Url::parse(registered), url::Url::parse(requested))
    else {
        return false;
    };
    parsed.as_str() == requested
        && parsed.scheme() == "http"
        && registered.scheme() == "http"
        && is_loopback_host(parsed.host_str())
        && parsed.host_str() == registered.host_str()
        && parsed.path() == registered.path()
        && parsed.query() == registered.query()
        && parsed.fragment().is_none()
        && parsed.username().is_empty()
        && parsed.password().is_none()
}

/// The scopes a client asks to be allowed: known ones only; [`DEFAULT_SCOPE`] when none.
pub(crate) fn check_scope(scope: Option<&str>) -> Result<ScopeSet, Refusal> {
    let refuse = |why: String| (RegistrationErrorCode::InvalidClientMetadata, why);
    let scopes =
        ScopeSet::parse(scope.unwrap_or(DEFAULT_SCOPE)).map_err(|e| refuse(e.to_string()))?;
    if let Some(unknown) = scopes.first_unknown() {
        return Err(refuse(format!("unknown scope {:?}", unknown.as_str())));
    }
    Ok(scopes)
}

/// The most a self-registered client may have, as a set.
pub(crate) fn ceiling() -> ScopeSet {
    ScopeSet::parse(SELF_REGISTERED_CEILING).unwrap_or_default()
}

/// `scopes` cut to what a self-registered client may have, and what was cut.
pub(crate) fn within_ceiling(scopes: &ScopeSet) -> (ScopeSet, ScopeSet) {
    let kept = scopes.intersection(&ceiling());
    let cut = scopes
        .iter()
        .filter(|s| !kept.contains(s.as_str()))
        .cloned()
        .collect();
    (kept, cut)
}

/// Stored form of a client secret. Secrets this server generates carry 256 random bits, so
/// a fast hash suffices (as for tokens); the seeded demo secrets are demo credentials.
pub(crate) fn hash_secret(secret: &str) -> String {
    shared::digest::sha256_hex(secret.as_bytes())
}

/// A client name: 1 to 100 characters, no control or invisible characters, and not the
/// name of another client (RFC 7591 §5, RFC 6749 §10.2: a self-chosen name must not let a
/// client pass for another on the consent page), compared by how it looks
/// ([`looks_like`]: a Cyrillic `А` for a Latin `A` is the same name). One exception, for
/// an anonymous dynamic registration (`anonymous`): it may share its name with other
/// anonymous dynamic registrations. Native apps (MCP clients, CLIs) register anew on every
/// run under the same name, and all such clients are shown as unverified, with their id
/// and redirect host; the names they can never take are those of the operator's clients and
/// of clients registered by users on the clients pages.
pub(crate) async fn check_name(
    db: &Db,
    name: &str,
    except_client_id: &str,
    anonymous: bool,
) -> Result<Result<(), Refusal>, Internal> {
    let refuse = |why: String| Err((RegistrationErrorCode::InvalidClientMetadata, why));
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Ok(refuse(format!(
            "client_name must have 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Ok(refuse(
            "client_name must not contain control characters".to_owned(),
        ));
    }
    if let Some(invisible) = name.chars().find(|c| shared::text::is_invisible(*c)) {
        return Ok(refuse(format!(
            "client_name must not contain invisible characters or spaces other than a plain one (it holds U+{:04X})",
            u32::from(invisible)
        )));
    }
    let looks = looks_like(name);
    let others = store::other_client_names(db, except_client_id, anonymous).await?;
    if others.iter().any(|other| looks_like(other) == looks) {
        return Ok(refuse(format!(
            "another client is already called {name:?}, or a name that looks the same; choose a name of your own"
        )));
    }
    Ok(Ok(()))
}

/// What a name looks like: its skeleton by the confusables of Unicode TR39 §4 (a
/// Cyrillic `А` and a Latin `A`, `rn` and `m`, have one skeleton), without case, its runs
/// of spaces made one. Two names with the same look pass for each other on a page.
fn looks_like(name: &str) -> String {
    let skeleton: String =
        unicode_security::confusable_detection::skeleton(&name.to_lowercase()).collect();
    skeleton
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// OpenID Connect Dynamic Client Registration §2: what kind of application registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApplicationType {
    /// The default: a web application (the lab also lets it use http on a loopback host,
    /// as OAuth 2.1 §2.3.1 does for development; OIDC's "https only, never localhost" rule
    /// binds only implicit-flow web clients, and OAuth 2.1 has no implicit flow).
    Web,
    /// A native application: "MUST only register redirect_uris using custom URI schemes or
    /// loopback URLs using the http scheme" (custom schemes are not offered here).
    Native,
}

impl ApplicationType {
    pub(crate) fn parse(value: Option<&str>) -> Result<Self, Refusal> {
        match value {
            None | Some("web") => Ok(Self::Web),
            Some("native") => Ok(Self::Native),
            Some(other) => Err((
                RegistrationErrorCode::InvalidClientMetadata,
                format!("application_type must be web or native, not {other:?}"),
            )),
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Native => "native",
        }
    }

    /// The redirect URIs this kind of application may register, on top of
    /// [`check_redirect_uri`].
    pub(crate) fn check_redirect_uri(self, uri: &str) -> Result<(), Refusal> {
        let loopback_http = url::Url::parse(uri)
            .is_ok_and(|url| url.scheme() == "http" && is_loopback_host(url.host_str()));
        if self == Self::Native && !loopback_http {
            return Err((
                RegistrationErrorCode::InvalidRedirectUri,
                format!(
                    "{uri:?}: a native application registers only loopback http redirect URIs (OIDC Dynamic Client Registration §2, RFC 8252 §7.3)"
                ),
            ));
        }
        Ok(())
    }
}

/// The client metadata of RFC 7591 §2 this server reads; others are ignored (§3.1).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = ClientMetadata)]
pub(crate) struct Metadata {
    /// https, or http on a loopback host; no fragment.
    pub redirect_uris: Option<Vec<String>>,
    pub client_name: Option<String>,
    /// `none` (public), `client_secret_basic` or `client_secret_post`.
    pub token_endpoint_auth_method: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub scope: Option<String>,
    /// `web` (the default) or `native` (OIDC Dynamic Client Registration §2): a native
    /// application registers only loopback http redirect URIs.
    pub application_type: Option<String>,
    /// The algorithm of the client's ID tokens (OIDC Dynamic Client Registration §2):
    /// `RS256` (the default), `ES256` or `EdDSA`.
    pub id_token_signed_response_alg: Option<String>,
}

/// Client metadata that passed [`check`], as the server will register it.
#[derive(Debug)]
pub(crate) struct Checked {
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub auth_method: String,
    pub confidential: bool,
    pub scope: ScopeSet,
    pub application_type: ApplicationType,
    pub id_token_alg: SigningAlg,
}

/// Where client metadata comes from: it is checked by the same rules, with two differences
/// for a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// A registration request (RFC 7591), written for this server.
    Registration,
    /// A Client ID Metadata Document (`client_document/`), written once for every
    /// server. A grant type this server does not offer is left out rather than refused
    /// (RFC 7591 §3.2.1: the server "MAY reject or replace any of the client's requested
    /// metadata values"; VS Code's document lists the device grant). And `native` does not
    /// limit the redirect URIs to loopback: that rule of OIDC Dynamic Client Registration §2
    /// governs registration requests, and real documents (VS Code's again) pair `native`
    /// with an https redirect URI; every URI must still be https or loopback http.
    Document,
}

/// RFC 7591 §2 and §3.2.2, in order, each recorded in `trace`.
pub(crate) fn check(
    trace: &Recorder,
    metadata: &Metadata,
    source: Source,
) -> Result<Checked, Refusal> {
    let (auth_method, confidential) =
        trace.check_by(&AUTH_METHOD, check_auth_method(metadata), says)?;
    let grant_types = trace.check_by(
        &GRANT_TYPES,
        check_grant_types(metadata, confidential, source),
        says,
    )?;
    trace.check_by(&RESPONSE_TYPES, check_response_types(metadata), says)?;
    let (redirect_uris, application_type) = trace.check_by(
        &REDIRECT_URIS,
        check_redirect_uris(metadata, &grant_types, source),
        says,
    )?;
    // RFC 7591 §3.2.1: the server "MAY reject or replace any of the client's requested
    // metadata values"; scopes above the self-registration ceiling are left out, and the
    // response's `scope` says what the client got.
    let scope = trace.check_by(
        &SCOPE,
        check_scope(metadata.scope.as_deref()).map(|scope| within_ceiling(&scope).0),
        says,
    )?;
    let id_token_alg = trace.check_by(
        &ID_TOKEN_ALG,
        check_id_token_alg(metadata.id_token_signed_response_alg.as_deref()),
        says,
    )?;
    Ok(Checked {
        redirect_uris,
        grant_types,
        auth_method,
        confidential,
        scope,
        application_type,
        id_token_alg,
    })
}

/// A refusal in the words of its error response, for the decision trace.
pub(crate) fn says((code, why): &Refusal) -> String {
    format!("{}: {why}", code.as_str())
}

const AUTH_METHOD: Check = Check::new(
    "token_endpoint_auth_method",
    "RFC 7591 §2",
    "token_endpoint_auth_method is none (a public client) or a client secret method.",
);
const GRANT_TYPES: Check = Check::new(
    "grant_types",
    "RFC 7591 §2",
    "grant_types holds only grants a self-registered client may use (no implicit, no password, no client_credentials).",
);
const RESPONSE_TYPES: Check = Check::new(
    "response_types",
    "OAuth 2.1 §4.1.1",
    "response_types holds only code.",
);
const REDIRECT_URIS: Check = Check::new(
    "redirect_uris",
    "RFC 7591 §2",
    "Every redirect URI is https or loopback http, without a fragment, as the application type allows.",
);
const SCOPE: Check = Check::new(
    "scope",
    "RFC 7591 §2",
    "Every scope is known; scopes above the self-registration ceiling are left out.",
);
const ID_TOKEN_ALG: Check = Check::new(
    "id_token_signed_response_alg",
    "OIDC Registration §2",
    "ID tokens will be signed with an algorithm this server has (RS256 when none is named).",
);

/// `token_endpoint_auth_method` (RFC 7591 §2), and whether the client is confidential.
fn check_auth_method(metadata: &Metadata) -> Result<(String, bool), Refusal> {
    let auth_method = metadata
        .token_endpoint_auth_method
        .clone()
        .unwrap_or_else(|| "client_secret_basic".to_owned());
    let confidential = match auth_method.as_str() {
        "none" => false,
        "client_secret_basic" | "client_secret_post" => true,
        _ => {
            return Err(invalid(
                "token_endpoint_auth_method must be none, client_secret_basic or client_secret_post",
            ));
        }
    };
    Ok((auth_method, confidential))
}

fn invalid(why: &str) -> Refusal {
    (RegistrationErrorCode::InvalidClientMetadata, why.to_owned())
}

fn check_grant_types(
    metadata: &Metadata,
    confidential: bool,
    source: Source,
) -> Result<Vec<GrantType>, Refusal> {
    let requested = metadata
        .grant_types
        .clone()
        .unwrap_or_else(|| vec!["authorization_code".to_owned()]);
    let mut grant_types = Vec::new();
    for grant in &requested {
        match GrantType::parse(grant) {
            Some(GrantType::ClientCredentials) if !confidential => {
                return Err(invalid("client_credentials needs a confidential client"));
            }
            // RFC 9700 §2.3: a self-registered client acts for the users who approve it.
            // Acting for itself, with no user to limit it, is for clients the operator
            // configured (the seeded service-client), never self-service.
            Some(GrantType::ClientCredentials) => {
                return Err(invalid(
                    "client_credentials is only for clients the operator configures, not for self-registered ones",
                ));
            }
            Some(grant) if !grant_types.contains(&grant) => grant_types.push(grant),
            Some(_) => {}
            None if source == Source::Document => {}
            None => {
                return Err(invalid(
                    "grant_types may hold authorization_code, refresh_token (OAuth 2.1 has no implicit or password grant)",
                ));
            }
        }
    }
    Ok(grant_types)
}

fn check_response_types(metadata: &Metadata) -> Result<(), Refusal> {
    if metadata
        .response_types
        .as_ref()
        .is_some_and(|types| types.iter().any(|t| t != "code"))
    {
        return Err(invalid("response_types may only hold \"code\""));
    }
    Ok(())
}

fn check_redirect_uris(
    metadata: &Metadata,
    grant_types: &[GrantType],
    source: Source,
) -> Result<(Vec<String>, ApplicationType), Refusal> {
    let redirect_uris = metadata.redirect_uris.clone().unwrap_or_default();
    if grant_types.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
        return Err((
            RegistrationErrorCode::InvalidRedirectUri,
            "the authorization code grant needs at least one redirect URI".to_owned(),
        ));
    }
    let application_type = ApplicationType::parse(metadata.application_type.as_deref())?;
    for uri in &redirect_uris {
        check_redirect_uri(uri)?;
        if source == Source::Registration {
            application_type.check_redirect_uri(uri)?;
        }
    }
    Ok((redirect_uris, application_type))
}

/// OIDC Dynamic Client Registration §2 `id_token_signed_response_alg`: "The default, if
/// omitted, is RS256". One this server signs with ([`SigningAlg`]); `none` never (this
/// server returns ID tokens only from the token endpoint, but an unsigned one would still
/// be forgeable by anyone on the way).
fn check_id_token_alg(requested: Option<&str>) -> Result<SigningAlg, Refusal> {
    let Some(requested) = requested else {
        return Ok(SigningAlg::RS256);
    };
    SigningAlg::parse(requested).ok_or_else(|| {
        (
            RegistrationErrorCode::InvalidClientMetadata,
            format!(
                "id_token_signed_response_alg must be one of {} (this server signs with nothing else), not {requested:?}",
                SigningAlg::ALL.map(SigningAlg::as_str).join(", ")
            ),
        )
    })
}

#[cfg(test)]
mod tests;
