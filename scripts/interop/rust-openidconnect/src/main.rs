//! `openidconnect` (crates.io; pinned in this directory's Cargo.lock), a certified OpenID
//! Connect relying party in Rust, built on the `oauth2` crate, against the lab's
//! authorization server: discovery, dynamic registration asking for ID tokens in `--alg`,
//! the code flow with PKCE S256, the ID token verified by the library against the published
//! JWKS (signature with that algorithm only, `iss`, `aud`, `nonce`, expiry), UserInfo, a
//! refresh with rotation, client credentials, introspection and revocation. The user is
//! `oauth-lab approve`.
//!
//! Over http the `oauth2` crate refuses to revoke (RFC 7009 §2 wants TLS, and the crate has
//! no way to opt out); that refusal is checked, and revocation is done over https, where the
//! lab runs with `--tls` and this client trusts the lab's authority through SSL_CERT_FILE.
//!
//! Run by scripts/interop.sh: oidc-openidconnect --issuer URL --oauth-lab PATH --alg ALG

use std::process::ExitCode;

use openidconnect::core::{
    CoreApplicationType, CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient,
    CoreClientAuthMethod, CoreClientRegistrationRequest, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreSubjectIdentifierType,
};
use openidconnect::registration::EmptyAdditionalClientMetadata;
use openidconnect::{
    AdditionalProviderMetadata, AuthenticationFlow, AuthorizationCode, ClientId, ClientName,
    ClientSecret, ConfigurationError, CsrfToken, IntrospectionUrl, IssuerUrl, Nonce,
    OAuth2TokenResponse as _, PkceCodeChallenge, ProviderMetadata, RedirectUrl, RevocationUrl,
    Scope, TokenIntrospectionResponse as _, TokenResponse as _, reqwest,
};
use serde::{Deserialize, Serialize};

const REDIRECT_URI: &str = "http://127.0.0.1:34569/callback";

/// The endpoints of RFC 8414 the core metadata type leaves out (it has the registration
/// endpoint of OpenID Connect Discovery).
#[derive(Clone, Debug, Deserialize, Serialize)]
struct LabMetadata {
    revocation_endpoint: String,
    introspection_endpoint: String,
}
impl AdditionalProviderMetadata for LabMetadata {}

type LabProviderMetadata = ProviderMetadata<
    LabMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

fn say(message: &str) {
    println!("[openidconnect-rs] {message}");
}

type Failure = Box<dyn std::error::Error>;

fn check(condition: bool, what: &str) -> Result<(), Failure> {
    if condition {
        Ok(())
    } else {
        Err(format!("check failed: {what}").into())
    }
}

/// An HTTP client that follows no redirects (the library's advice against SSRF) and trusts
/// the certificates of SSL_CERT_FILE, the lab's authority over https.
fn http_client() -> Result<reqwest::Client, Failure> {
    let mut builder = reqwest::ClientBuilder::new().redirect(reqwest::redirect::Policy::none());
    if let Some(path) = std::env::var_os("SSL_CERT_FILE") {
        for root in reqwest::Certificate::from_pem_bundle(&std::fs::read(path)?)? {
            builder = builder.add_root_certificate(root);
        }
    }
    Ok(builder.build()?)
}

fn alg_of(name: &str) -> Result<CoreJwsSigningAlgorithm, Failure> {
    Ok(match name {
        "RS256" => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        "ES256" => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        "EdDSA" => CoreJwsSigningAlgorithm::EdDsa,
        other => return Err(format!("--alg {other}: RS256, ES256 or EdDSA").into()),
    })
}

async fn run(issuer: &str, oauth_lab: &str, alg_name: &str) -> Result<(), Failure> {
    let alg = alg_of(alg_name)?;
    let http = http_client()?;
    let https = issuer.starts_with("https://");
    let metadata =
        LabProviderMetadata::discover_async(IssuerUrl::new(issuer.to_owned())?, &http).await?;
    let extra = metadata.additional_metadata().clone();

    let registration = CoreClientRegistrationRequest::new(
        vec![RedirectUrl::new(REDIRECT_URI.to_owned())?],
        EmptyAdditionalClientMetadata::default(),
    )
    .set_client_name(Some(
        [(
            None,
            ClientName::new("openidconnect-rs (lab interop)".to_owned()),
        )]
        .into_iter()
        .collect(),
    ))
    .set_application_type(Some(CoreApplicationType::Native))
    .set_grant_types(Some(vec![
        CoreGrantType::AuthorizationCode,
        CoreGrantType::RefreshToken,
    ]))
    .set_token_endpoint_auth_method(Some(CoreClientAuthMethod::None))
    .set_id_token_signed_response_alg(Some(alg.clone()))
    .register_async(
        metadata
            .registration_endpoint()
            .ok_or("discovery names no registration endpoint")?,
        &http,
    )
    .await?;
    let client_id = registration.client_id().clone();
    say(&format!(
        "discovered {issuer}; registered as {}, ID tokens in {alg_name}",
        client_id.as_str()
    ));

    let client = CoreClient::from_provider_metadata(metadata.clone(), client_id.clone(), None)
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned())?)
        .set_revocation_url(RevocationUrl::new(extra.revocation_endpoint.clone())?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".to_owned()))
        .add_scope(Scope::new("email".to_owned()))
        .add_scope(Scope::new("read".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    let approved = tokio::process::Command::new(oauth_lab)
        .args(["approve", url.as_str(), "--username", "alice"])
        .output()
        .await?;
    check(
        approved.status.success(),
        &String::from_utf8_lossy(&approved.stderr),
    )?;
    let back = url::Url::parse(String::from_utf8(approved.stdout)?.trim())?;
    let param = |name: &str| {
        back.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    // The application's checks of the redirect: state (CSRF) and iss (RFC 9207).
    check(param("state").as_deref() == Some(state.secret()), "state")?;
    check(
        param("iss").as_deref() == Some(issuer),
        "iss in the redirect",
    )?;
    let code = AuthorizationCode::new(param("code").ok_or("no code in the redirect")?);
    let tokens = client
        .exchange_code(code)?
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await?;
    let id_token = tokens.id_token().ok_or("no ID token")?;
    let verifier = client.id_token_verifier().set_allowed_algs(vec![alg]);
    let claims = id_token.claims(&verifier, &nonce)?;
    say(&format!(
        "code flow: an {alg_name} ID token for {}, verified against the JWKS (signature, iss, aud, nonce, exp)",
        claims.subject().as_str()
    ));

    let info: openidconnect::core::CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )?
        .request_async(&http)
        .await?;
    let username = info
        .preferred_username()
        .map(|name| name.as_str().to_owned())
        .unwrap_or_default();
    check(username == "alice", "userinfo names alice")?;
    say(&format!("userinfo: {username}, the same subject"));

    let first_refresh = tokens.refresh_token().ok_or("no refresh token")?;
    let refreshed = client
        .exchange_refresh_token(first_refresh)?
        .request_async(&http)
        .await?;
    let rotated = refreshed
        .refresh_token()
        .ok_or("no rotated refresh token")?;
    check(rotated.secret() != first_refresh.secret(), "rotated")?;
    say("refresh: a new access token and a new refresh token");

    // The lab's operator clients (docs/configuration.md).
    let service = CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new("service-client".to_owned()),
        Some(ClientSecret::new("service-secret".to_owned())),
    );
    let granted = service
        .exchange_client_credentials()?
        .add_scope(Scope::new("read".to_owned()))
        .request_async(&http)
        .await?;
    let resource_server = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("resource-server".to_owned()),
        Some(ClientSecret::new("resource-server-secret".to_owned())),
    )
    .set_introspection_url(IntrospectionUrl::new(extra.introspection_endpoint)?);
    let active = resource_server
        .introspect(granted.access_token())
        .request_async(&http)
        .await?;
    check(
        active.active() && active.client_id().map(|id| id.as_str()) == Some("service-client"),
        "introspection: the client-credentials token is active",
    )?;
    say("client credentials: a token for read; introspection says active");

    let revoking = client.revoke_token(CoreRevocableToken::from(rotated.clone()));
    if !https {
        // RFC 7009 §2: "the authorization server MUST use TLS"; the crate enforces it.
        check(
            matches!(revoking, Err(ConfigurationError::InsecureUrl(_))),
            "the oauth2 crate refuses an http revocation endpoint",
        )?;
        say("revocation: refused by the library over http (RFC 7009 §2); run with --tls for it");
        return Ok(());
    }
    revoking?.request_async(&http).await?;
    let after = resource_server
        .introspect(refreshed.access_token())
        .request_async(&http)
        .await?;
    check(!after.active(), "revoked: its access token is inactive")?;
    say("revocation of the refresh token: its access token introspects inactive");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|arg| arg == flag)
            .and_then(|at| args.get(at + 1))
            .cloned()
    };
    let (Some(issuer), Some(oauth_lab), Some(alg)) =
        (value("--issuer"), value("--oauth-lab"), value("--alg"))
    else {
        eprintln!(
            "usage: oidc-openidconnect --issuer URL --oauth-lab PATH --alg RS256|ES256|EdDSA"
        );
        return ExitCode::from(2);
    };
    match run(&issuer, &oauth_lab, &alg).await {
        Ok(()) => {
            say("passed");
            ExitCode::SUCCESS
        }
        Err(error) => {
            let mut message = format!("[openidconnect-rs] failed: {error}");
            let mut cause = error.source();
            while let Some(inner) = cause {
                message.push_str(&format!("\n    caused by: {inner}"));
                cause = inner.source();
            }
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
