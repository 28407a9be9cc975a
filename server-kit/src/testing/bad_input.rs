//! Every endpoint fed every kind of malformed request: missing, duplicated, empty and
//! oversized parameters, invalid UTF-8 and percent-encoding, the wrong Content-Type, JSON
//! for a form and a form for JSON, a body and a header over the limit, garbage
//! `Authorization`. An answer passes if it is not a 5xx, and, when it is a 4xx, a JSON
//! endpoint's is an RFC error object with an allowed `error`, and a page's is a readable
//! HTML page.

use std::time::Duration;

use axum::http::Method;
use axum::http::header::{AUTHORIZATION, HeaderName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How an endpoint answers errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// JSON with `error` (RFC 6749 §5.2, RFC 6750 §3, RFC 7591 §3.2.2).
    Json(&'static [&'static str]),
    /// An HTML page a person can read.
    Page,
}

#[derive(Debug)]
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    pub kind: Kind,
    /// Well-formed parameters, as a query (GET) or a body (POST).
    pub params: &'static str,
    /// The body's type (POST).
    pub content_type: &'static str,
    /// A valid `Authorization` value, sent unless the malformation brings its own, so the
    /// request gets past authentication to the parsing.
    pub authorization: Option<String>,
}

pub const FORM: &str = "application/x-www-form-urlencoded";

/// One malformed request: what to send instead of the well-formed parameters.
#[derive(Debug)]
pub struct Malformed {
    pub what: &'static str,
    pub params: Vec<u8>,
    pub content_type: Option<&'static str>,
    pub headers: Vec<(HeaderName, String)>,
}

fn each_value(params: &str, value: &str) -> String {
    params
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| format!("{}={value}", pair.split('=').next().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn malformations(endpoint: &Endpoint) -> Vec<Malformed> {
    let form = Some(endpoint.content_type);
    let p = endpoint.params;
    let case = |what, params: String, content_type| Malformed {
        what,
        params: params.into_bytes(),
        content_type,
        headers: Vec::new(),
    };
    let header = |what, name, value: String| Malformed {
        what,
        params: p.as_bytes().to_vec(),
        content_type: form,
        headers: vec![(name, value)],
    };
    let mut cases = vec![
        case("missing parameters", String::new(), form),
        case("only an unknown parameter", "unknown=1".to_owned(), form),
        case("duplicated parameters", format!("{p}&{p}"), form),
        case("empty values", each_value(p, ""), form),
        case("4 KB values", each_value(p, &"a".repeat(4096)), form),
        case(
            "a 1 MB value",
            format!("{p}&x={}", "a".repeat(1 << 20)),
            form,
        ),
        case(
            "invalid UTF-8 after percent-decoding",
            each_value(p, "%FF%FE%C3%28"),
            form,
        ),
        case("invalid percent-encoding", each_value(p, "%zz%"), form),
        Malformed {
            what: "raw invalid UTF-8 bytes",
            params: [p.as_bytes(), b"&x=\xff\xfe\xc3\x28"].concat(),
            content_type: form,
            headers: Vec::new(),
        },
        case(
            "an unknown grant_type",
            p.replace("grant_type=authorization_code", "grant_type=password")
                .replace("grant_type=refresh_token", "grant_type=urn:x")
                .replace("grant_type=client_credentials", "grant_type="),
            form,
        ),
        header(
            "a header over the limit",
            HeaderName::from_static("x-filler"),
            "a".repeat(20 * 1024),
        ),
        header(
            "Authorization: Basic with invalid base64",
            AUTHORIZATION,
            "Basic !!!".to_owned(),
        ),
        header(
            "Authorization: Basic without a colon",
            AUTHORIZATION,
            "Basic bm8tY29sb24=".to_owned(),
        ),
        header(
            "Authorization: Bearer without a token",
            AUTHORIZATION,
            "Bearer".to_owned(),
        ),
        header(
            "Authorization: Bearer with spaces",
            AUTHORIZATION,
            "Bearer a b c".to_owned(),
        ),
        header(
            "Authorization: an unknown scheme",
            AUTHORIZATION,
            "Negotiate abc".to_owned(),
        ),
        header(
            "Authorization: 8 KB of garbage",
            AUTHORIZATION,
            format!("Bearer {}", "x".repeat(8 * 1024)),
        ),
    ];
    if endpoint.method == Method::POST {
        cases.push(case(
            "the wrong Content-Type",
            p.to_owned(),
            Some("text/plain"),
        ));
        cases.push(case("no Content-Type", p.to_owned(), None));
        cases.push(case(
            "JSON where a form is expected",
            r#"{"grant_type":"authorization_code","code":"abc"}"#.to_owned(),
            Some("application/json"),
        ));
        cases.push(case(
            "a body over the limit",
            format!("{p}&x={}", "a".repeat(17 * 1024)),
            form,
        ));
    }
    cases
}

/// The answer to one malformed request, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub www_authenticate: String,
    pub body: String,
}

/// Sends the request over a plain TCP connection, byte for byte (a URL of 1 MB, or raw
/// invalid UTF-8 in it, cannot go through an HTTP client library).
pub async fn send(address: &str, endpoint: &Endpoint, case: &Malformed) -> Answer {
    let mut target = endpoint.path.as_bytes().to_vec();
    let mut body = Vec::new();
    if endpoint.method == Method::GET {
        target.push(b'?');
        target.extend_from_slice(
            &case
                .params
                .iter()
                .map(|&b| if b == b' ' { b'+' } else { b })
                .collect::<Vec<_>>(),
        );
    } else {
        body.clone_from(&case.params);
    }
    let mut head = format!("{} ", endpoint.method).into_bytes();
    head.extend_from_slice(&target);
    head.extend_from_slice(
        format!(" HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n").as_bytes(),
    );
    if endpoint.kind == Kind::Page {
        head.extend_from_slice(b"Accept: text/html\r\n");
    }
    if endpoint.method == Method::POST {
        if let Some(content_type) = case.content_type {
            head.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        head.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    for (name, value) in &case.headers {
        head.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    let own_authorization = case.headers.iter().any(|(name, _)| name == AUTHORIZATION);
    if let (Some(value), false) = (&endpoint.authorization, own_authorization) {
        head.extend_from_slice(format!("authorization: {value}\r\n").as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    let exchange = async {
        let mut stream = TcpStream::connect(address).await?;
        stream.write_all(&head).await?;
        // The server may answer (413, 431) and close before reading the whole body.
        let _ = stream.write_all(&body).await;
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        Ok::<_, std::io::Error>(answer)
    };
    let what = format!("{} {} with {}", endpoint.method, endpoint.path, case.what);
    let raw = tokio::time::timeout(Duration::from_secs(15), exchange)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer in 15 s"))
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{what}: no status line in {head:.200}"));
    let header = |wanted: &str| {
        head.lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case(wanted)
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_default()
    };
    Answer {
        status,
        content_type: header("content-type"),
        www_authenticate: header("www-authenticate"),
        body: body.to_owned(),
    }
}

/// What is wrong with an answer, if anything.
pub fn problem(endpoint: &Endpoint, case: &Malformed, answer: &Answer) -> Option<String> {
    // A request line hyper cannot parse (raw bytes that are not URL characters) or hold
    // (a URL of 1 MB) is refused by the HTTP parser before any routing, with an empty
    // 400 or 431: there is no application code to shape that answer.
    let unparsable = endpoint.method == Method::GET
        && matches!(case.what, "raw invalid UTF-8 bytes" | "a 1 MB value");
    if unparsable && matches!(answer.status, 400 | 431) && answer.body.is_empty() {
        return None;
    }
    if answer.status >= 500 {
        return Some(format!("a {} (server error)", answer.status));
    }
    if answer.status < 400 {
        return None;
    }
    match endpoint.kind {
        Kind::Json(errors) => {
            let body: serde_json::Value = match serde_json::from_str(&answer.body) {
                Ok(body) if answer.content_type.starts_with("application/json") => body,
                _ => {
                    return Some(format!(
                        "{} without a JSON error: {:?} {:.200}",
                        answer.status, answer.content_type, answer.body
                    ));
                }
            };
            match body["error"].as_str() {
                Some(error) if errors.contains(&error) => None,
                // RFC 6750 §3.1: a request with no credentials gets the challenge and no
                // error code.
                None if answer.status == 401 && answer.www_authenticate.starts_with("Bearer") => {
                    None
                }
                other => Some(format!(
                    "{} with error {other:?}, not one of {errors:?}",
                    answer.status
                )),
            }
        }
        Kind::Page => (!answer.content_type.starts_with("text/html") || answer.body.is_empty())
            .then(|| {
                format!(
                    "{} without a page: {:?} {:.200}",
                    answer.status, answer.content_type, answer.body
                )
            }),
    }
}

/// Sends every malformation of every endpoint to the server at `address` (`host:port`);
/// returns how many requests went out and what was wrong with the answers.
pub async fn check_all(address: &str, endpoints: &[Endpoint]) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let mut sent = 0;
    for endpoint in endpoints {
        for case in malformations(endpoint) {
            let answer = send(address, endpoint, &case).await;
            sent += 1;
            if let Some(problem) = problem(endpoint, &case, &answer) {
                problems.push(format!(
                    "{} {} with {}: {problem}",
                    endpoint.method, endpoint.path, case.what
                ));
            }
        }
    }
    (sent, problems)
}

/// Panics, listing every problem, unless every answer of [`check_all`] was clean; also
/// panics if fewer than `at_least` requests went out (the table shrank by mistake).
pub async fn assert_all_clean(address: &str, endpoints: &[Endpoint], at_least: usize) {
    let (sent, problems) = check_all(address, endpoints).await;
    assert!(sent >= at_least, "only {sent} requests went out");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
