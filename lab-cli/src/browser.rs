//! One headless browser for every program that plays the user at the authorization server:
//! `oauth-lab flow`, the benchmark, and the servers' tests. It keeps the server's cookies,
//! never follows a redirect (so every `Location` can be looked at), and fills the login and
//! consent forms from their hidden fields as a person's browser would submit them.
//!
//! The OAuth side (the request's parameters, the callback's checks) is `shared::client`; this
//! is only the user agent.

use std::collections::BTreeMap;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use shared::AuthorizationCode;
use shared::client::{self, CallbackRefusal, ClientConfig, Pending};
use shared::form::form_encode;

/// Why a walk through the authorization server's pages stopped.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("no answer from {url}: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{step}: expected {expected}, got {status}: {excerpt}")]
    Unexpected {
        step: &'static str,
        expected: StatusCode,
        status: StatusCode,
        /// The start of the page or error the server answered.
        excerpt: String,
    },
    #[error("the client refused the redirect back: {0}")]
    Refused(#[from] CallbackRefusal),
}

/// A browser: one cookie jar, one server. The jar keeps each cookie's name and value and
/// sends them all back (the servers it talks to are one host; paths and expiry dates other
/// than a removal are not needed here).
#[derive(Debug, Clone)]
pub struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    /// A new browser with no cookies, talking to the server at `base` (`http://host:port`).
    pub fn new(base: &str) -> Self {
        Self {
            http: http_client(
                reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()),
            ),
            base: base.trim_end_matches('/').to_owned(),
            cookies: BTreeMap::new(),
        }
    }

    /// The same browser, its session cookie and all, talking to another server: a replica
    /// behind the same load balancer.
    #[must_use]
    pub fn switch_to(&self, base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            ..self.clone()
        }
    }

    /// The `Cookie` header this browser sends, if the server set any cookie.
    fn cookie(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            let pairs: Vec<String> = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            pairs.join("; ")
        })
    }

    /// `target` as an absolute URL: a path is on this browser's server.
    pub fn url(&self, target: &str) -> String {
        if target.starts_with("http://") || target.starts_with("https://") {
            target.to_owned()
        } else {
            format!("{}{target}", self.base)
        }
    }

    /// A request to `target`, not yet sent (to add headers, or to send many at once); send
    /// it with [`Browser::send`] so the cookie goes along.
    pub fn request(&self, method: Method, target: &str) -> RequestBuilder {
        self.http.request(method, self.url(target))
    }

    /// A `POST` of the form `body` (already `application/x-www-form-urlencoded`, as
    /// `shared::client` builds them) to `target`, not yet sent.
    pub fn form_request(&self, target: &str, body: String) -> RequestBuilder {
        self.request(Method::POST, target)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }

    /// `request` with this browser's cookies, not yet sent (to send many at once).
    pub fn with_cookies(&self, request: RequestBuilder) -> RequestBuilder {
        match self.cookie() {
            Some(cookie) => request.header(COOKIE, cookie),
            None => request,
        }
    }

    /// Sends `request` with the cookies, and keeps what the answer sets, like a browser.
    pub async fn send(&mut self, request: RequestBuilder) -> Result<Response, BrowserError> {
        let response = self.with_cookies(request).send().await.map_err(|source| {
            BrowserError::Unreachable {
                url: source.url().map(ToString::to_string).unwrap_or_default(),
                source,
            }
        })?;
        for set in response.headers().get_all(SET_COOKIE) {
            self.keep(set.to_str().unwrap_or_default());
        }
        Ok(response)
    }

    /// Keeps the cookie of one `Set-Cookie` header, or forgets it if the header removes it
    /// (`Max-Age=0`, or an `Expires` in 1970 as some servers write it).
    fn keep(&mut self, set_cookie: &str) {
        let mut attributes = set_cookie.split(';').map(str::trim);
        let Some((name, value)) = attributes.next().and_then(|pair| pair.split_once('=')) else {
            return;
        };
        let removed = attributes.any(|attribute| {
            let attribute = attribute.to_ascii_lowercase();
            attribute == "max-age=0" || attribute.starts_with("expires=thu, 01 jan 1970")
        });
        if removed {
            self.cookies.remove(name);
        } else {
            self.cookies.insert(name.to_owned(), value.to_owned());
        }
    }

    pub async fn get(&mut self, target: &str) -> Result<Response, BrowserError> {
        let request = self.request(Method::GET, target);
        self.send(request).await
    }

    pub async fn post(
        &mut self,
        target: &str,
        form: &[(&str, &str)],
    ) -> Result<Response, BrowserError> {
        let request = self.form_request(target, form_encode(form));
        self.send(request).await
    }

    /// Opens the authorization request `params` at `authorization_endpoint` (a path on this
    /// server, or a URL).
    pub async fn authorize<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        authorization_endpoint: &str,
        params: &[(K, V)],
    ) -> Result<Response, BrowserError> {
        let target = format!("{authorization_endpoint}?{}", form_encode(params));
        self.get(&target).await
    }

    /// Opens the authorization request of `pending` for the client `config`.
    pub async fn open(
        &mut self,
        authorization_endpoint: &str,
        config: &ClientConfig,
        pending: &Pending,
    ) -> Result<Response, BrowserError> {
        let params = client::authorization_params(config, pending);
        self.authorize(authorization_endpoint, &params).await
    }

    /// Submits the form of the page `html` to `action`: its hidden `request_id` and
    /// `csrf_token`, and `fields`.
    pub async fn submit(
        &mut self,
        html: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Result<Response, BrowserError> {
        let request_id = hidden(html, "request_id").unwrap_or_default();
        let csrf_token = hidden(html, "csrf_token").unwrap_or_default();
        let mut form = vec![
            ("request_id", request_id.as_str()),
            ("csrf_token", &csrf_token),
        ];
        form.extend_from_slice(fields);
        self.post(action, &form).await
    }

    /// Submits the login page `html` as `username` with `password`.
    pub async fn log_in(
        &mut self,
        html: &str,
        username: &str,
        password: &str,
    ) -> Result<Response, BrowserError> {
        self.submit(
            html,
            "/login",
            &[("username", username), ("password", password)],
        )
        .await
    }

    /// Submits the consent page `html` with `decision` (`approve` or `deny`).
    pub async fn decide(&mut self, html: &str, decision: &str) -> Result<Response, BrowserError> {
        self.submit(html, "/consent", &[("decision", decision)])
            .await
    }

    /// What a user does for the authorization request of `pending`: open it, then
    /// [`Browser::log_in_and_approve`]. Returns the `Location` of the redirect back to the
    /// client.
    pub async fn approve(
        &mut self,
        authorization_endpoint: &str,
        config: &ClientConfig,
        pending: &Pending,
        account: (&str, &str),
    ) -> Result<String, BrowserError> {
        let page = self.open(authorization_endpoint, config, pending).await?;
        self.log_in_and_approve(page, account).await
    }

    /// What a user does with an authorization request just opened (`page`, the server's
    /// answer): log in with `account` if it is the login page (a browser with a session goes
    /// straight to consent), approve (unless the server remembers an earlier approval).
    /// Returns the `Location` of the redirect back to the client.
    pub async fn log_in_and_approve(
        &mut self,
        page: Response,
        account: (&str, &str),
    ) -> Result<String, BrowserError> {
        let to_consent = if page.status() == StatusCode::OK {
            let html = page.text().await.unwrap_or_default();
            let login = self.log_in(&html, account.0, account.1).await?;
            expect("login", login, StatusCode::SEE_OTHER).await?
        } else {
            expect("authorize (to consent)", page, StatusCode::SEE_OTHER).await?
        };
        let consent = self.get(&location(&to_consent).unwrap_or_default()).await?;
        // Consent remembered from an earlier approval: the redirect back comes at once.
        if consent.status() == StatusCode::FOUND {
            return Ok(location(&consent).unwrap_or_default());
        }
        let html = expect("consent page", consent, StatusCode::OK)
            .await?
            .text()
            .await
            .unwrap_or_default();
        let back = self.decide(&html, "approve").await?;
        let back = expect("consent (approve)", back, StatusCode::FOUND).await?;
        Ok(location(&back).unwrap_or_default())
    }

    /// [`Browser::approve`], then the client's checks of the redirect back (`state`, `iss`,
    /// RFC 9207): the authorization code, ready to redeem with `pending`'s verifier.
    pub async fn code(
        &mut self,
        authorization_endpoint: &str,
        config: &ClientConfig,
        pending: &Pending,
        account: (&str, &str),
    ) -> Result<AuthorizationCode, BrowserError> {
        let location = self
            .approve(authorization_endpoint, config, pending, account)
            .await?;
        let query = location.split_once('?').map_or("", |(_, query)| query);
        Ok(client::check_callback(query, Some(pending), config)?)
    }
}

/// `response` if it has the `expected` status; else why not, with the start of what the
/// server answered.
pub async fn expect(
    step: &'static str,
    response: Response,
    expected: StatusCode,
) -> Result<Response, BrowserError> {
    let status = response.status();
    if status == expected {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    Err(BrowserError::Unexpected {
        step,
        expected,
        status,
        excerpt: body.chars().take(300).collect(),
    })
}

/// The value of the hidden form field `name` in the page `html`.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let (_, rest) = html.split_once(&marker)?;
    rest.split_once('"').map(|(value, _)| value.to_owned())
}

/// The `Location` of a redirect.
pub fn location(response: &Response) -> Option<String> {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// An HTTP client from `builder` that also trusts the certificates of the PEM file named by
/// `SSL_CERT_FILE`: the lab's local certificate authority when the servers run with `--tls`
/// (`SSL_CERT_FILE=data/tls/ca.pem`, as for Python clients).
pub fn http_client(builder: reqwest::ClientBuilder) -> reqwest::Client {
    extra_roots()
        .iter()
        .fold(builder, |builder, root| {
            builder.add_root_certificate(root.clone())
        })
        .build()
        .unwrap_or_default()
}

/// The certificates of `SSL_CERT_FILE`, read once per process (the benchmark makes a client
/// per simulated browser). A file that cannot be read is said once on stderr and left out.
fn extra_roots() -> &'static [reqwest::Certificate] {
    static ROOTS: std::sync::OnceLock<Vec<reqwest::Certificate>> = std::sync::OnceLock::new();
    ROOTS.get_or_init(|| {
        let Some(path) = std::env::var_os("SSL_CERT_FILE") else {
            return Vec::new();
        };
        std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| e.to_string()))
            .unwrap_or_else(|why| {
                eprintln!(
                    "SSL_CERT_FILE={}: cannot read certificates ({why}); ignored",
                    std::path::Path::new(&path).display()
                );
                Vec::new()
            })
    })
}
