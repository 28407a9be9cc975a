use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn both_discovery_documents_describe_an_oauth_2_1_server_with_pkce_s256_and_iss() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let response = app.http.get(app.url(path)).send().await.expect("sent");
        assert_eq!(response.status(), 200, "{path}");
        let metadata: shared::AuthorizationServerMetadata =
            response.json().await.expect("the shared metadata type");
        assert_eq!(metadata.issuer, app.issuer);
        assert_eq!(
            metadata.authorization_endpoint,
            format!("{}/authorize", app.issuer)
        );
        assert_eq!(metadata.token_endpoint, format!("{}/token", app.issuer));
        assert_eq!(metadata.jwks_uri, format!("{}/jwks.json", app.issuer));
        assert_eq!(metadata.response_types_supported, ["code"]);
        assert_eq!(metadata.code_challenge_methods_supported, ["S256"]);
        assert!(metadata.authorization_response_iss_parameter_supported);
        assert!(
            metadata
                .grant_types_supported
                .contains(&"authorization_code".to_owned())
        );
        assert!(
            !metadata
                .grant_types_supported
                .iter()
                .any(|g| g == "password" || g == "implicit")
        );
        assert_eq!(
            metadata.registration_endpoint,
            Some(format!("{}/register", app.issuer))
        );
        for scope in [
            "read",
            "write",
            "admin",
            "openid",
            "profile",
            "email",
            "offline_access",
        ] {
            assert!(
                metadata.scopes_supported.contains(&scope.to_owned()),
                "{scope}"
            );
        }
    }
}

#[tokio::test]
async fn the_jwks_publishes_one_key_per_algorithm_each_with_its_kid_alg_and_public_members() {
    let app = spawn_app().await;
    let jwks = app.jwks().await;
    let keys = jwks["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 3, "{keys:?}");
    let key_of = |alg: &str| {
        keys.iter()
            .find(|key| key["alg"] == alg)
            .unwrap_or_else(|| panic!("an {alg} key in {keys:?}"))
    };
    let b64_len = |value: &serde_json::Value| value.as_str().map_or(0, str::len);
    let ed = key_of("EdDSA");
    assert_eq!((&ed["kty"], &ed["crv"]), (&"OKP".into(), &"Ed25519".into()));
    assert_eq!(b64_len(&ed["x"]), 43, "32 bytes");
    let ec = key_of("ES256");
    assert_eq!((&ec["kty"], &ec["crv"]), (&"EC".into(), &"P-256".into()));
    assert_eq!((b64_len(&ec["x"]), b64_len(&ec["y"])), (43, 43));
    let rsa = key_of("RS256");
    assert_eq!(rsa["kty"], "RSA");
    assert_eq!(
        b64_len(&rsa["n"]),
        342,
        "a 2048-bit modulus (RFC 7518 §3.3)"
    );
    assert_eq!(rsa["e"], "AQAB");
    for key in keys {
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].as_str().is_some_and(|kid| !kid.is_empty()));
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(
                key.get(private).is_none(),
                "the private key is never published"
            );
        }
    }
}

#[tokio::test]
async fn discovery_lists_rs256_es256_and_eddsa_for_id_tokens() {
    let app = spawn_app().await;
    let metadata = app.get_json("/.well-known/openid-configuration").await;
    // OIDC Discovery §3: "The value RS256 MUST be included."
    assert_eq!(
        metadata["id_token_signing_alg_values_supported"],
        serde_json::json!(["EdDSA", "ES256", "RS256"])
    );
}

#[tokio::test]
async fn a_restart_on_the_same_database_keeps_the_signing_keys() {
    let data = tempfile::tempdir().expect("tempdir");
    let url = crate::helpers::database_url(&data).await;
    let kid = |app: crate::helpers::TestApp| async move {
        let mut kids: Vec<String> = app.jwks().await["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|key| key["kid"].as_str().expect("kid").to_owned())
            .collect();
        kids.sort();
        kids
    };
    let first = kid(spawn_app_with(|c| c.database_url.clone_from(&url)).await).await;
    let second = kid(spawn_app_with(|c| c.database_url.clone_from(&url)).await).await;
    assert_eq!(first, second);
}

#[tokio::test]
async fn the_openapi_document_describes_every_json_endpoint_with_its_rfc_errors() {
    let app = spawn_app().await;
    let document = app.get_json("/openapi.json").await;
    server_kit::testing::assert_openapi_3_with_resolved_refs(&document);
    for path in [
        "/token",
        "/revoke",
        "/introspect",
        "/userinfo",
        "/register",
        "/jwks.json",
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
        "/health",
    ] {
        assert!(document["paths"][path].is_object(), "{path} is described");
    }
    let token = &document["paths"]["/token"]["post"];
    assert!(token["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    for status in ["200", "400", "401", "413"] {
        assert!(
            token["responses"][status].is_object(),
            "/token answers {status}"
        );
    }
    // The error body is the type the server sends (shared::ErrorResponse), its `error`
    // required and limited to the codes of RFC 6749 §5.2.
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["ErrorResponse_TokenErrorCode"]["required"],
        serde_json::json!(["error"])
    );
    let codes = schemas["TokenErrorCode"]["enum"]
        .as_array()
        .expect("the token error codes");
    for code in ["invalid_request", "invalid_client", "invalid_grant"] {
        assert!(codes.contains(&code.into()), "{code} is a documented code");
    }
}
