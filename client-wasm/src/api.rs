//! HTTP from the browser (fetch, through gloo-net), recording each exchange exactly as it
//! went so the timeline can show it, with what the server checked to answer it.

use gloo_net::http::{Request, RequestBuilder};
use shared::trace::{TRACE_HEADER, Trace};

/// One request and its response (or why there was none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub method: &'static str,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    /// `None` when the server could not be reached.
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    /// What the server checked, in order, when it records its decisions (`--lab-traces`).
    pub trace: Option<Trace>,
}

impl Exchange {
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// The status code, or "no answer" when the server could not be reached.
    pub fn status_text(&self) -> String {
        self.status
            .map_or_else(|| "no answer".to_owned(), |s| s.to_string())
    }

    /// A response header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `GET url`, with a bearer token if given.
pub async fn get(url: &str, bearer: Option<&str>) -> Exchange {
    let mut headers = Vec::new();
    let mut request = Request::get(url);
    if let Some(token) = bearer {
        headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    send("GET", url, headers, None, request).await
}

/// `GET url` without following a redirect. The browser hides where an opaque redirect
/// goes; it shows as status 0, so the page can tell "answered" from "redirected".
pub async fn get_unfollowed(url: &str) -> Exchange {
    let request = Request::get(url).redirect(web_sys::RequestRedirect::Manual);
    send("GET", url, Vec::new(), None, request).await
}

/// `POST url` with a form body (RFC 6749 §3.2: token, revocation).
pub async fn post_form(url: &str, body: String) -> Exchange {
    let content_type = "application/x-www-form-urlencoded";
    let request = Request::post(url).header("Content-Type", content_type);
    send(
        "POST",
        url,
        vec![("Content-Type".to_owned(), content_type.to_owned())],
        Some(body),
        request,
    )
    .await
}

/// `POST url` with a JSON body and a bearer token.
pub async fn post_json(url: &str, bearer: &str, body: String) -> Exchange {
    let headers = vec![
        ("Authorization".to_owned(), format!("Bearer {bearer}")),
        ("Content-Type".to_owned(), "application/json".to_owned()),
    ];
    let request = Request::post(url)
        .header("Authorization", &format!("Bearer {bearer}"))
        .header("Content-Type", "application/json");
    send("POST", url, headers, Some(body), request).await
}

async fn send(
    method: &'static str,
    url: &str,
    request_headers: Vec<(String, String)>,
    body: Option<String>,
    request: RequestBuilder,
) -> Exchange {
    let mut exchange = Exchange {
        method,
        url: url.to_owned(),
        request_headers,
        request_body: body.clone(),
        status: None,
        response_headers: Vec::new(),
        response_body: String::new(),
        trace: None,
    };
    let sent = match body {
        Some(body) => match request.body(body) {
            Ok(request) => request.send().await,
            Err(error) => Err(error),
        },
        None => request.send().await,
    };
    match sent {
        Ok(response) => {
            exchange.status = Some(response.status());
            exchange.response_headers = response.headers().entries().collect();
            exchange.response_body = response.text().await.unwrap_or_default();
            if let Some(id) = response.headers().get(TRACE_HEADER) {
                exchange.trace = read(&format!("{}/lab/traces/{id}", split_origin(url).0)).await;
            }
        }
        Err(_) => {
            exchange.response_body = format!(
                "No answer from {url}. Is the server running? Start the whole lab with: bash scripts/lab.sh"
            );
        }
    }
    exchange
}

/// The server's traces at `url` (`/lab/traces/{id}` or `/lab/traces?state=…`): one trace,
/// or a list.
async fn read<T: serde::de::DeserializeOwned>(url: &str) -> Option<T> {
    let response = Request::get(url).send().await.ok()?;
    if !response.ok() {
        return None;
    }
    serde_json::from_str(&response.text().await.ok()?).ok()
}

/// What the authorization server decided at the front-channel steps of the authorization
/// request sent with `state` (authorize, login, consent), in order; empty when it does not
/// record its decisions.
pub async fn front_channel_traces(issuer: &str, state: &str) -> Vec<Trace> {
    let query = shared::form::form_encode(&[("state", state)]);
    read(&format!("{issuer}/lab/traces?{query}"))
        .await
        .unwrap_or_default()
}

/// `url` split into its origin (`scheme://host:port`) and the rest: the path and query,
/// empty when there is none.
pub fn split_origin(url: &str) -> (&str, &str) {
    let start = url.find("://").map_or(0, |at| at + 3);
    url[start..]
        .find('/')
        .map_or((url, ""), |end| url.split_at(start + end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::path_of;

    #[test]
    fn a_url_splits_into_its_origin_and_its_path_which_drops_the_query() {
        let url = "https://localhost:8081/lab/traces?state=a/b";
        assert_eq!(
            split_origin(url),
            ("https://localhost:8081", "/lab/traces?state=a/b")
        );
        assert_eq!(path_of(url), "/lab/traces");
        assert_eq!(
            split_origin("http://localhost:8082"),
            ("http://localhost:8082", "")
        );
        assert_eq!(path_of("http://localhost:8082?x=1"), "/");
        assert_eq!(path_of("http://localhost:8082/"), "/");
    }
}
