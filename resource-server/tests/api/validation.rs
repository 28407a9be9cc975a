//! One test per check a token must pass (RFC 9068 §4, RFC 8725, RFC 6750 §3).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;

use shared::jwt::SigningAlg;

use crate::helpers::{answer, sign, sign_as, spawn_lab, spawn_lab_with, with_broken_signature};

/// Asserts `401 invalid_token` whose description contains `why`, in the header and the body.
async fn assert_invalid_token(response: reqwest::Response, why: &str) {
    let (status, challenge, body) = answer(response).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        challenge.starts_with("Bearer realm=\"oauth-lab\", error=\"invalid_token\""),
        "{challenge}"
    );
    assert!(challenge.contains(why), "{challenge}");
    // RFC 9728 §5.1: where to find out how to get a good token.
    assert!(
        challenge.ends_with(
            ", resource_metadata=\"http://localhost:8082/.well-known/oauth-protected-resource\""
        ),
        "{challenge}"
    );
    assert_eq!(body["error"], "invalid_token");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains(why)),
        "{body}"
    );
}

#[tokio::test]
async fn a_real_token_with_the_read_scope_gets_the_profile() {
    let lab = spawn_lab().await;
    let token = lab.token("read").await;
    let response = lab.get("/api/profile", Some(&token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["username"], "alice");
    assert_eq!(body["client_id"], "demo-client");
    assert_eq!(body["scope"], "read");
}

#[tokio::test]
async fn no_token_is_401_with_a_challenge_naming_the_resource_metadata_and_the_scope_needed_and_no_error_code()
 {
    let lab = spawn_lab().await;
    for (path, scope) in [("/api/profile", "read"), ("/api/admin/stats", "admin")] {
        let (status, challenge, _) = answer(lab.get(path, None).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenge,
            format!(
                "Bearer realm=\"oauth-lab\", resource_metadata=\"http://localhost:8082/.well-known/oauth-protected-resource\", scope=\"{scope}\""
            )
        );
    }
    let (_, challenge, _) = answer(lab.get("/api/profile", None).await).await;
    assert!(
        !challenge.contains("error="),
        "RFC 6750 §3.1: no error code without a token"
    );
}

#[tokio::test]
async fn a_token_with_a_changed_payload_fails_the_signature_check() {
    let lab = spawn_lab().await;
    let token = lab.token("read").await;
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("base64")).expect("JSON");
    claims["scope"] = "read write admin".into();
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("JSON"));
    let tampered = format!("{}.{payload}.{}", parts[0], parts[2]);
    assert_invalid_token(
        lab.get("/api/admin/stats", Some(&tampered)).await,
        "signature does not verify",
    )
    .await;
}

#[tokio::test]
async fn a_token_with_a_changed_signature_fails_the_signature_check() {
    let lab = spawn_lab().await;
    let token = lab.token("read").await;
    let tampered = with_broken_signature(&token);
    assert_invalid_token(
        lab.get("/api/profile", Some(&tampered)).await,
        "signature does not verify",
    )
    .await;
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_refused_by_the_algorithm_allow_list() {
    let lab = spawn_lab().await;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt"}"#);
    let payload =
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&lab.claims("read admin")).expect("JSON"));
    let token = format!("{header}.{payload}.");
    assert_invalid_token(
        lab.get("/api/profile", Some(&token)).await,
        "algorithm none is not allowed",
    )
    .await;
}

#[tokio::test]
async fn a_token_signed_with_the_published_key_of_each_algorithm_is_accepted() {
    let lab = spawn_lab().await;
    for alg in SigningAlg::ALL {
        let (kid, key, _) = lab.signing_key_of(alg).await;
        let jwt_alg = alg.as_str().parse().expect("a jsonwebtoken algorithm");
        let token = sign_as(jwt_alg, &lab.claims("read"), &kid, &key);
        assert_eq!(
            lab.get("/api/profile", Some(&token)).await.status(),
            StatusCode::OK,
            "{alg}"
        );
    }
}

#[tokio::test]
async fn an_hs256_token_signed_with_any_published_public_key_is_refused_by_the_algorithm_allow_list()
 {
    let lab = spawn_lab().await;
    let jwks: serde_json::Value = reqwest::get(format!("{}/jwks.json", lab.auth))
        .await
        .expect("sent")
        .json()
        .await
        .expect("a JWK Set");
    for alg in SigningAlg::ALL {
        let (kid, _, public) = lab.signing_key_of(alg).await;
        let jwk = jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .find(|key| key["kid"] == kid.as_str())
            .expect("published")
            .to_string();
        // Every form of the public key an attacker might try as the HMAC secret: the raw
        // key, and the JWK as published.
        for secret in [public, jwk.into_bytes()] {
            let mut header = Header::new(Algorithm::HS256);
            header.typ = Some("at+jwt".to_owned());
            header.kid = Some(kid.clone());
            let token = jsonwebtoken::encode(
                &header,
                &lab.claims("read admin"),
                &EncodingKey::from_secret(&secret),
            )
            .expect("signed");
            assert_invalid_token(
                lab.get("/api/profile", Some(&token)).await,
                "algorithm HS256 is not allowed",
            )
            .await;
        }
    }
}

#[tokio::test]
async fn a_token_whose_alg_is_not_the_algorithm_its_key_is_published_for_is_refused() {
    let lab = spawn_lab().await;
    let (rsa_kid, _, _) = lab.signing_key_of(SigningAlg::RS256).await;
    let (_, p256_key, _) = lab.signing_key_of(SigningAlg::ES256).await;
    let (ed25519_kid, ed25519_key, _) = lab.signing_key_of(SigningAlg::EdDSA).await;
    // A valid ES256 signature, under the RSA key's kid; an EdDSA one under... the same.
    for (alg, key) in [
        (Algorithm::ES256, &p256_key),
        (Algorithm::EdDSA, &ed25519_key),
    ] {
        let token = sign_as(alg, &lab.claims("read"), &rsa_kid, key);
        assert_invalid_token(
            lab.get("/api/profile", Some(&token)).await,
            &format!("its key {rsa_kid} is published for RS256"),
        )
        .await;
    }
    let token = sign_as(
        Algorithm::ES256,
        &lab.claims("read"),
        &ed25519_kid,
        &p256_key,
    );
    assert_invalid_token(
        lab.get("/api/profile", Some(&token)).await,
        "is published for EdDSA",
    )
    .await;
}

#[tokio::test]
async fn an_asymmetric_algorithm_the_issuer_publishes_no_key_for_is_refused() {
    let lab = spawn_lab().await;
    // PS256, validly signed with the issuer's own RSA key: the key is published for RS256
    // only, and no key is published for PS256.
    let (kid, key, _) = lab.signing_key_of(SigningAlg::RS256).await;
    let token = sign_as(Algorithm::PS256, &lab.claims("read"), &kid, &key);
    assert_invalid_token(
        lab.get("/api/profile", Some(&token)).await,
        "algorithm PS256 is not allowed (only EdDSA, ES256, RS256",
    )
    .await;
}

#[tokio::test]
async fn a_token_from_another_issuer_is_refused() {
    let lab = spawn_lab().await;
    let (kid, key, _) = lab.signing_key().await;
    let mut claims = lab.claims("read");
    claims["iss"] = "http://evil.example".into();
    assert_invalid_token(
        lab.get("/api/profile", Some(&sign(&claims, &kid, &key)))
            .await,
        "(iss)",
    )
    .await;
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let lab = spawn_lab().await;
    let (kid, key, _) = lab.signing_key().await;
    let mut claims = lab.claims("read");
    claims["aud"] = "http://localhost:9999".into();
    assert_invalid_token(
        lab.get("/api/profile", Some(&sign(&claims, &kid, &key)))
            .await,
        "(aud)",
    )
    .await;
}

#[tokio::test]
async fn an_expired_token_is_refused_as_expired() {
    let lab = spawn_lab().await;
    let (kid, key, _) = lab.signing_key().await;
    let mut claims = lab.claims("read");
    let now = server_kit::unix_now();
    claims["iat"] = (now - 3600).into();
    claims["exp"] = (now - 600).into();
    assert_invalid_token(
        lab.get("/api/profile", Some(&sign(&claims, &kid, &key)))
            .await,
        "expired",
    )
    .await;
}

#[tokio::test]
async fn a_token_that_is_not_yet_valid_is_refused() {
    let lab = spawn_lab().await;
    let (kid, key, _) = lab.signing_key().await;
    let mut claims = lab.claims("read");
    claims["nbf"] = (server_kit::unix_now() + 3600).into();
    assert_invalid_token(
        lab.get("/api/profile", Some(&sign(&claims, &kid, &key)))
            .await,
        "not valid yet",
    )
    .await;
}

#[tokio::test]
async fn a_jwt_that_is_not_typed_as_an_access_token_is_refused() {
    let lab = spawn_lab().await;
    let (kid, key, _) = lab.signing_key().await;
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some("JWT".to_owned());
    header.kid = Some(kid);
    let token = jsonwebtoken::encode(&header, &lab.claims("read"), &key).expect("signed");
    assert_invalid_token(lab.get("/api/profile", Some(&token)).await, "at+jwt").await;
}

#[tokio::test]
async fn garbage_in_the_authorization_header_is_invalid_token() {
    let lab = spawn_lab().await;
    assert_invalid_token(
        lab.get("/api/profile", Some("not-a-jwt")).await,
        "not a well-formed JWT",
    )
    .await;
}

#[tokio::test]
async fn a_token_signed_with_a_rotated_in_key_verifies_after_one_refetch_of_the_jwks() {
    let lab = spawn_lab().await;
    let key = lab.rotate_key("rotated-key").await;
    let token = sign(&lab.claims("read"), "rotated-key", &key);
    assert_eq!(
        lab.get("/api/profile", Some(&token)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_token_signed_with_a_key_the_server_never_published_is_refused() {
    let lab = spawn_lab().await;
    let key = EncodingKey::from_ed_der(
        ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(
            &ed25519_dalek::SigningKey::from_bytes(&shared::random::bytes()),
        )
        .expect("PKCS#8")
        .as_bytes(),
    );
    let token = sign(&lab.claims("read"), "attacker-key", &key);
    assert_invalid_token(lab.get("/api/profile", Some(&token)).await, "unknown key").await;
}

#[tokio::test]
async fn a_token_in_the_query_string_is_refused_with_invalid_request() {
    let lab = spawn_lab().await;
    let token = lab.token("read").await;
    let (status, challenge, body) = answer(
        lab.get(&format!("/api/profile?access_token={token}"), None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        challenge.contains("error=\"invalid_request\""),
        "{challenge}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("not accepted in the URL"))
    );
}

#[tokio::test]
async fn a_basic_authorization_header_is_invalid_request() {
    let lab = spawn_lab().await;
    let response = lab
        .http
        .get(format!("{}/api/profile", lab.resource))
        .basic_auth("alice", Some("password123"))
        .send()
        .await
        .expect("sent");
    let (status, challenge, _) = answer(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        challenge.contains("error=\"invalid_request\""),
        "{challenge}"
    );
}

#[tokio::test]
async fn a_real_token_minted_for_another_resource_is_refused_by_its_audience() {
    let lab = spawn_lab().await;
    let response = lab
        .http
        .post(format!("{}/token", lab.auth))
        .basic_auth("service-client", Some("service-secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("resource", "http://localhost:8083"),
        ])
        .send()
        .await
        .expect("sent");
    let tokens: shared::TokenResponse = response.json().await.expect("tokens");
    assert_invalid_token(
        lab.get("/api/profile", Some(tokens.access_token.secret()))
            .await,
        "(aud)",
    )
    .await;
}

#[tokio::test]
async fn a_client_credentials_token_for_this_server_is_accepted_with_its_scope() {
    let lab = spawn_lab().await;
    let response = lab
        .http
        .post(format!("{}/token", lab.auth))
        .basic_auth("service-client", Some("service-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("sent");
    let tokens: shared::TokenResponse = response.json().await.expect("tokens");
    let response = lab
        .get("/api/profile", Some(tokens.access_token.secret()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["sub"], "service-client");
}

#[tokio::test]
async fn a_resource_identifier_with_a_path_has_its_metadata_at_the_path_inserted_url_where_the_challenges_point()
 {
    let lab = spawn_lab_with(|config| {
        config.audience = Some("http://localhost:8082/mcp".to_owned());
    })
    .await;
    let (status, challenge, _) = answer(lab.get("/api/profile", None).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        challenge.contains(
            "resource_metadata=\"http://localhost:8082/.well-known/oauth-protected-resource/mcp\""
        ),
        "{challenge}"
    );
    let metadata: serde_json::Value = lab
        .get("/.well-known/oauth-protected-resource/mcp", None)
        .await
        .json()
        .await
        .expect("RFC 9728 metadata");
    assert_eq!(metadata["resource"], "http://localhost:8082/mcp");
}
