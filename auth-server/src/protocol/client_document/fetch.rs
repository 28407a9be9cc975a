//! 3-4 of `mod.rs`: where a document may be fetched from, the fetch itself, and how long
//! the answer may be kept (§4.4, RFC 9111).

use std::net::SocketAddr;
use std::time::Duration;

use crate::protocol::client_document::address::is_special_use;

/// The largest document read: §7.7 recommends 5 kilobytes.
const MAX_DOCUMENT_BYTES: usize = 5 * 1024;

/// How long a fetch (lookup, connection, answer and body) may take in all.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a document is kept when its answer says nothing about caching.
const DEFAULT_FRESHNESS_SECS: i64 = 5 * 60;

/// The shortest a document is kept, whatever its headers say (§4.4 lets the server bound
/// it): an anonymous `/authorize` naming a stored document fetches it at most once a
/// minute, so this server cannot be made to send one request to the document's host for
/// every request it gets (`docs/security-review.md`, S3-12).
const MIN_FRESHNESS_SECS: i64 = 60;

/// The longest a document is kept, whatever its headers say (§4.4 lets the server bound
/// it), so a changed document is seen within a day.
const MAX_FRESHNESS_SECS: i64 = 24 * 60 * 60;

/// A fetched document and how long it may be kept.
pub(super) struct Fetched {
    pub body: Vec<u8>,
    pub fresh_secs: i64,
}

/// Why fetching failed, for the page: past the time limit, or the error met while the
/// document was being `done` ("fetched", "read").
fn failed(error: &reqwest::Error, done: &str) -> String {
    if error.is_timeout() {
        format!(
            "Fetching the document took longer than {} s.",
            FETCH_TIMEOUT.as_secs()
        )
    } else {
        format!("The document could not be {done}: {error}.")
    }
}

/// 3-4. Resolves and checks the host, then fetches the document from the checked address
/// (over https, trusting the public roots and `trusted_roots`).
pub(super) async fn fetch(
    url: &url::Url,
    lab: bool,
    trusted_roots: &[reqwest::Certificate],
) -> Result<Fetched, String> {
    let addresses = reachable_addresses(url, lab).await?;
    let mut http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT)
        .no_proxy()
        .user_agent(concat!("oauth-lab-auth-server/", env!("CARGO_PKG_VERSION")));
    for root in trusted_roots {
        http = http.add_root_certificate(root.clone());
    }
    if let Some(url::Host::Domain(domain)) = url.host() {
        http = http.resolve_to_addrs(domain, &addresses);
    }
    let http = http
        .build()
        .map_err(|e| format!("The document could not be fetched: {e}."))?;
    let mut response = http
        .get(url.as_str())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| failed(&e, "fetched"))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(format!(
            "Fetching the document answered {status}, a redirect; redirects are not followed (client metadata document draft §4): the document must be at its URL."
        ));
    }
    if status != reqwest::StatusCode::OK {
        return Err(format!(
            "Fetching the document answered {status}; only 200 OK is a document (§4)."
        ));
    }
    let is_json = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .is_some_and(|essence| {
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        });
    if !is_json {
        return Err(
            "The document is not served as JSON (Content-Type application/json).".to_owned(),
        );
    }
    let too_big = || {
        format!(
            "The document is larger than {MAX_DOCUMENT_BYTES} bytes, the most this server reads (§7.7)."
        )
    };
    if response
        .content_length()
        .is_some_and(|length| length > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(too_big());
    }
    let fresh_secs = freshness(response.headers());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(&e, "read"))? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched { body, fresh_secs })
}

/// 3. The addresses to fetch from: every address the host resolves to must be one anyone
///    may reach (a host that answers with one public and one private address could be
///    steered to the private one), except loopback in the lab (see the module's
///    documentation).
async fn reachable_addresses(url: &url::Url, lab: bool) -> Result<Vec<SocketAddr>, String> {
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Domain(domain)) => {
            match tokio::time::timeout(FETCH_TIMEOUT, tokio::net::lookup_host((domain, port))).await
            {
                Ok(Ok(found)) => found.collect(),
                Ok(Err(_)) | Err(_) => {
                    return Err(format!(
                        "The host {domain:?} of the document URL does not resolve."
                    ));
                }
            }
        }
        None => return Err("The document URL has no host.".to_owned()),
    };
    let loopback_allowed = lab && url.host_str().is_some_and(shared::is_loopback_host);
    for address in &addresses {
        let ip = address.ip();
        let allowed = if loopback_allowed {
            ip.is_loopback()
        } else {
            !is_special_use(ip)
        };
        if !allowed {
            return Err(format!(
                "The document URL's host resolves to {ip}, a private, loopback or otherwise special-use address (RFC 6890); this server fetches documents only from addresses anyone may reach, so a client_id cannot make it probe its own network (client metadata document draft §7.6)."
            ));
        }
    }
    if addresses.is_empty() {
        return Err("The host of the document URL resolves to no address.".to_owned());
    }
    Ok(addresses)
}

/// How long a document may be kept (§4.4, RFC 9111 §5.2.2): `max-age` seconds (at most a
/// day), otherwise [`DEFAULT_FRESHNESS_SECS`]; and never less than [`MIN_FRESHNESS_SECS`],
/// even with `no-store` or `no-cache`.
fn freshness(headers: &reqwest::header::HeaderMap) -> i64 {
    let directives: Vec<String> = headers
        .get_all(reqwest::header::CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|directive| directive.trim().to_ascii_lowercase())
        .collect();
    if directives
        .iter()
        .any(|d| d == "no-store" || d == "no-cache" || d.starts_with("no-cache="))
    {
        return MIN_FRESHNESS_SECS;
    }
    directives
        .iter()
        .find_map(|d| {
            d.strip_prefix("max-age=")?
                .trim_matches('"')
                .parse::<i64>()
                .ok()
        })
        .map_or(DEFAULT_FRESHNESS_SECS, |secs| {
            secs.clamp(MIN_FRESHNESS_SECS, MAX_FRESHNESS_SECS)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caching_follows_cache_control_within_bounds() {
        let headers = |value: &str| {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(
                reqwest::header::CACHE_CONTROL,
                value.parse().expect("a header"),
            );
            headers
        };
        assert_eq!(
            freshness(&reqwest::header::HeaderMap::new()),
            DEFAULT_FRESHNESS_SECS
        );
        assert_eq!(freshness(&headers("public, max-age=120")), 120);
        assert_eq!(freshness(&headers("max-age=99999999")), MAX_FRESHNESS_SECS);
        assert_eq!(freshness(&headers("no-store")), MIN_FRESHNESS_SECS);
        assert_eq!(
            freshness(&headers("max-age=600, no-cache")),
            MIN_FRESHNESS_SECS
        );
        assert_eq!(freshness(&headers("max-age=5")), MIN_FRESHNESS_SECS);
    }
}
