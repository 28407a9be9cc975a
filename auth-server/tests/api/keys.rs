//! Key rotation (`auth-server rotate-key`): published first, signing after the delay, the
//! old key published until the tokens it signed have expired; for every algorithm.

use std::time::{Duration, Instant};

use auth_server::startup::rotate_key;
use server_kit::with_db;
use shared::jwt::SigningAlg;

use crate::helpers::{TestApp, claims_of, sign_with_stored_key, spawn_app, userinfo};

/// The `kid`s of the EdDSA keys published in the JWKS (the algorithm of the tokens these
/// tests sign).
async fn published(app: &TestApp) -> Vec<String> {
    published_of(app, SigningAlg::EdDSA).await
}

/// The `kid`s of the `alg` keys published in the JWKS.
async fn published_of(app: &TestApp, alg: SigningAlg) -> Vec<String> {
    app.jwks().await["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter(|key| key["alg"] == alg.as_str())
        .map(|key| key["kid"].as_str().expect("a kid").to_owned())
        .collect()
}

/// The `kid` that signs a fresh client-credentials token.
async fn signing_kid(app: &TestApp) -> String {
    let tokens: serde_json::Value = app
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "service-client"),
            ("client_secret", "service-secret"),
        ])
        .await
        .json()
        .await
        .expect("tokens");
    let token = tokens["access_token"].as_str().expect("an access token");
    jsonwebtoken::decode_header(token)
        .expect("a JWT")
        .kid
        .expect("a kid")
}

#[tokio::test]
async fn a_rotated_key_is_published_at_once_and_signs_only_after_the_delay() {
    let app = spawn_app().await;
    let old = signing_kid(&app).await;
    let rotated = rotate_key(&app.database_url, 2).await.expect("rotated");
    let new = rotated.kid(SigningAlg::EdDSA).to_owned();
    assert_ne!(new, old);
    let keys = published(&app).await;
    assert!(keys.contains(&new) && keys.contains(&old), "{keys:?}");
    // The old key signs until `signs_from`, the new one from then on, never before,
    // however long the rotation itself took on a busy machine (it makes an RSA key).
    let started = Instant::now();
    loop {
        let kid = signing_kid(&app).await;
        let answered_at = server_kit::unix_now();
        if kid == new {
            assert!(
                answered_at >= rotated.signs_from,
                "not before the delay: signed with the new key at {answered_at}, it signs from {}",
                rotated.signs_from
            );
            break;
        }
        assert_eq!(kid, old, "until then, the old key signs");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the new key never took over"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        published(&app).await.contains(&old),
        "the old key stays published while its tokens live"
    );
}

#[tokio::test]
async fn a_rotation_publishes_a_new_key_for_every_algorithm_beside_the_one_it_replaces() {
    let app = spawn_app().await;
    let mut before = Vec::new();
    for alg in SigningAlg::ALL {
        let kids = published_of(&app, alg).await;
        assert_eq!(kids.len(), 1, "one {alg} key from the start: {kids:?}");
        before.push(kids[0].clone());
    }
    let rotated = rotate_key(&app.database_url, 60).await.expect("rotated");
    for (alg, old) in SigningAlg::ALL.into_iter().zip(before) {
        let new = rotated.kid(alg);
        assert!(!new.is_empty() && new != old, "{alg}: a new key");
        let kids = published_of(&app, alg).await;
        assert!(
            kids.contains(&old) && kids.iter().any(|kid| kid == new),
            "{alg}: both published, {kids:?}"
        );
    }
}

#[tokio::test]
async fn a_replaced_key_leaves_the_jwks_once_the_tokens_it_signed_have_expired() {
    let app = spawn_app().await;
    let old = signing_kid(&app).await;
    let rotated = rotate_key(&app.database_url, 0).await.expect("rotated");
    let new = rotated.kid(SigningAlg::EdDSA).to_owned();
    // As if the old key had signed from long ago, and the new one had taken over longer
    // ago than a token lives (300 s) plus a minute.
    let db = app.db().await;
    for (kid, seconds) in [(&old, 10_000_i64), (&new, 361)] {
        with_db!(&db, pool => sqlx::query("UPDATE signing_keys SET signs_from = signs_from - $1 WHERE kid = $2")
            .bind(seconds)
            .bind(kid)
            .execute(pool)
            .await
            .map(drop))
        .expect("moved back in time");
    }
    assert_eq!(published(&app).await, vec![new.clone()]);
    let started = Instant::now();
    while signing_kid(&app).await != new {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the new key signs"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_ne!(old, new);
}

/// Moves the keys back in time so that `old` was replaced longer ago than its tokens live
/// (300 s) plus a minute: it is no longer published.
async fn retire(app: &TestApp, old: &str, new: &str) {
    let db = app.db().await;
    for (kid, seconds) in [(old, 10_000_i64), (new, 361)] {
        with_db!(&db, pool => sqlx::query("UPDATE signing_keys SET signs_from = signs_from - $1 WHERE kid = $2")
            .bind(seconds)
            .bind(kid)
            .execute(pool)
            .await
            .map(drop))
        .expect("moved back in time");
    }
}

#[tokio::test]
async fn a_token_signed_with_a_key_no_longer_published_is_refused_at_userinfo_and_introspection() {
    let app = spawn_app().await;
    let tokens = app
        .tokens_for("alice", "password123", "openid email read")
        .await;
    let real = tokens.access_token.secret();
    let old = jsonwebtoken::decode_header(real)
        .expect("a JWT")
        .kid
        .expect("a kid");
    // A thief with the old private key mints a long-lived copy of a real token.
    let mut claims = claims_of(real);
    claims["exp"] = (server_kit::unix_now() + 86_400).into();
    claims["scope"] = "openid email read write admin".into();
    let forged = sign_with_stored_key(&app, &old, "at+jwt", &claims).await;
    assert_eq!(
        userinfo(&app, &forged).await.status(),
        200,
        "while published"
    );

    let rotated = rotate_key(&app.database_url, 0).await.expect("rotated");
    let new = rotated.kid(SigningAlg::EdDSA).to_owned();
    retire(&app, &old, &new).await;
    assert_eq!(published(&app).await, vec![new]);
    assert_eq!(userinfo(&app, &forged).await.status(), 401);
    assert_eq!(
        app.introspect(&forged).await,
        serde_json::json!({"active": false})
    );
}

#[tokio::test]
async fn userinfo_and_introspection_go_by_the_stored_expiry_not_the_tokens_own() {
    let app = spawn_app().await;
    let tokens = app.tokens_for("alice", "password123", "openid read").await;
    let token = tokens.access_token.secret();
    assert_eq!(userinfo(&app, token).await.status(), 200);
    let db = app.db().await;
    with_db!(&db, pool => sqlx::query("UPDATE access_tokens SET expires_at = $1")
        .bind(server_kit::unix_now() - 1)
        .execute(pool)
        .await
        .map(drop))
    .expect("expired in the store");
    assert_eq!(userinfo(&app, token).await.status(), 401);
    assert_eq!(
        app.introspect(token).await,
        serde_json::json!({"active": false})
    );
}
