//! The rules of client metadata, one test each.

#[test]
fn names_that_look_alike_have_one_look_and_different_names_do_not() {
    let spa = super::looks_like("OAuth 2.1 lab SPA");
    for alike in [
        "oauth 2.1 LAB spa",
        "OAuth 2.1 lab SP\u{0410}",
        "OAuth 2.1  lab SPA",
        "OAuth 2.1 lab SPA\u{200b}",
    ] {
        assert_eq!(super::looks_like(alike), spa, "{alike:?}");
    }
    assert_ne!(super::looks_like("OAuth 2.1 lab CLI"), spa);
}

use super::redirect_uri_matches;

/// Registration refuses `http` off loopback, so over HTTP this case cannot arise; the
/// rule still holds on its own.
#[test]
fn a_non_loopback_http_redirect_uri_never_matches_on_another_port() {
    assert!(!redirect_uri_matches(
        "http://app.example:8080/callback",
        "http://app.example:9090/callback",
        true
    ));
    assert!(!redirect_uri_matches(
        "http://10.0.0.1:8080/callback",
        "http://10.0.0.1:9090/callback",
        true
    ));
    assert!(redirect_uri_matches(
        "http://127.0.0.1:8080/callback",
        "http://127.0.0.1:9090/callback",
        true
    ));
}
