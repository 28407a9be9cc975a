//! Key rotation (`auth-server rotate-key`): published first, signing after the delay, the
//! old key published until the tokens it signed have expired.

use std::time::{Duration, Instant};

use auth_server::startup::rotate_key;
use server_kit::with_db;

use crate::helpers::{TestApp, spawn_app};

/// The `kid`s published in the JWKS.
async fn published(app: &TestApp) -> Vec<String> {
    app.jwks().await["keys"]
        .as_array()
        .expect("keys")
        .iter()
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
    let (new, _) = rotate_key(&app.database_url, 2).await.expect("rotated");
    assert_ne!(new, old);
    let keys = published(&app).await;
    assert!(keys.contains(&new) && keys.contains(&old), "{keys:?}");
    assert_eq!(
        signing_kid(&app).await,
        old,
        "the new key does not sign yet"
    );
    let started = Instant::now();
    while signing_kid(&app).await != new {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the new key never took over"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "not before the delay"
    );
    assert!(
        published(&app).await.contains(&old),
        "the old key stays published while its tokens live"
    );
}

#[tokio::test]
async fn a_replaced_key_leaves_the_jwks_once_the_tokens_it_signed_have_expired() {
    let app = spawn_app().await;
    let old = signing_kid(&app).await;
    let (new, _) = rotate_key(&app.database_url, 0).await.expect("rotated");
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
