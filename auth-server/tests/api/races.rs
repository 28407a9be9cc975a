//! Races: many clients presenting the same single-use credential at once. The
//! database decides; exactly one wins, and what the rules revoke stays revoked.

use futures::future::join_all;
use reqwest::StatusCode;
use shared::{CodeVerifier, TokenResponse};

use crate::helpers::{assert_one_winner, outcome, spawn_app};

#[tokio::test]
async fn of_ten_racers_on_each_of_500_codes_exactly_one_per_code_gets_tokens() {
    let app = spawn_app().await;
    let mut browser = app.logged_in("alice", "password123").await;
    let mut codes = Vec::new();
    for _ in 0..500 {
        let verifier = CodeVerifier::generate();
        let code = browser.approve(&verifier, "read").await;
        codes.push((code, verifier));
    }
    // 50 codes at a time: 500 requests in flight.
    let app = &app;
    for batch in codes.chunks(50) {
        let racers = batch.iter().flat_map(|(code, verifier)| {
            (0..10).map(move |_| async move {
                (
                    code.clone(),
                    outcome(app.redeem(code, verifier.secret()).await).await,
                )
            })
        });
        let answers = join_all(racers).await;
        for (code, _) in batch {
            let raced: Vec<(StatusCode, String)> = answers
                .iter()
                .filter(|(c, _)| c == code)
                .map(|(_, answer)| answer.clone())
                .collect();
            assert_eq!(raced.len(), 10);
            assert_one_winner(&raced);
        }
    }
}

#[tokio::test]
async fn of_twenty_racing_refreshes_exactly_one_succeeds_and_then_no_token_of_the_family_works() {
    let app = spawn_app().await;
    let mut browser = app.logged_in("alice", "password123").await;
    let verifier = CodeVerifier::generate();
    let code = browser.approve(&verifier, "read").await;
    let first: TokenResponse = app.redeemed(&code, &verifier).await;
    let original = first
        .refresh_token
        .as_ref()
        .expect("a refresh token")
        .secret()
        .to_owned();
    let answers = join_all((0..20).map(|_| app.refresh(&original))).await;
    let mut winners = Vec::new();
    let mut losers = 0;
    for answer in answers {
        match answer.status() {
            StatusCode::OK => winners.push(answer.json::<TokenResponse>().await.expect("tokens")),
            StatusCode::BAD_REQUEST => {
                let body: serde_json::Value = answer.json().await.expect("JSON");
                assert_eq!(body["error"], "invalid_grant");
                losers += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one refresh wins");
    assert_eq!(losers, 19);
    // A race cannot be told from a replay: the losers' reuse revoked the family, so the
    // winner's new tokens are dead too (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2).
    let winner = &winners[0];
    let newest = winner.refresh_token.as_ref().expect("rotated").secret();
    let answer = app.refresh(newest).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    for token in [
        first.access_token.secret(),
        winner.access_token.secret(),
        original.as_str(),
        newest,
    ] {
        assert_eq!(app.introspect(token).await["active"], false, "{token}");
    }
}
