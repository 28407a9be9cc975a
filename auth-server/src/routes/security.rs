//! Response headers that protect the HTML pages.

use axum::http::header::{self, HeaderValue};
use axum::response::Response;

/// Added to every HTML page. The login and consent pages must not be framed (clickjacking,
/// RFC 6749 §10.13), run no script at all, and leak no URL through `Referer`.
pub(crate) async fn page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
