//! Response headers that protect the HTML pages, and CORS for the endpoints a browser app
//! calls from script.

use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderName, Method};
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

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

/// CORS for the registered SPA origins only, without credentials (the SPA sends no
/// cookies to these endpoints). A preflight from any other origin gets no
/// `Access-Control-Allow-Origin`, so the browser blocks the call.
pub(crate) fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .expose_headers([HeaderName::from_static("www-authenticate")])
}
