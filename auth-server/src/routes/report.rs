//! `GET /clients/{client_id}/report`: what the server saw a client do that OAuth 2.1 or the
//! MCP authorization rules advise against (`model/finding.rs`). A page, or JSON for a
//! request that accepts `application/json` (`oauth-lab clients report`). Open to anyone,
//! like the client's id: it holds no secret, only what the client sent, and the MCP client
//! a developer runs registers anonymously, with nobody to log in as. The exception is a
//! client a user registered on the clients pages: its name and the values it sent are
//! that user's (and the operators') to see; anyone else gets the counts alone
//! (`docs/security-review.md`, S3-15).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Serialize;

use crate::pages::{self, ErrorPage, PageError, ReportLine, ReportPage};
use crate::routes::session;
use crate::state::AppState;
use crate::store;

/// What a private client's report shows for its name to anyone but its owner and the
/// operators.
const PRIVATE_NAME: &str = "a client a user of this server registered";

/// The report as JSON.
#[derive(Debug, Serialize)]
struct Report<'a> {
    client_id: &'a str,
    client_name: &'a str,
    findings: Vec<FindingJson>,
}

#[derive(Debug, Serialize)]
struct FindingJson {
    finding: &'static str,
    clause: &'static str,
    count: i64,
    /// Seconds since 1970.
    first_seen: i64,
    last_seen: i64,
    /// The latest value that showed it (empty when there is nothing to show).
    detail: String,
}

pub(crate) async fn report(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"));
    let Some(client) = store::find_client(&state.db, &client_id).await? else {
        let description = format!("no client has the id {client_id:?}");
        if wants_json {
            let body = serde_json::json!({"error": "not_found", "error_description": description});
            return Ok((StatusCode::NOT_FOUND, Json(body)).into_response());
        }
        return Err(ErrorPage::new(StatusCode::NOT_FOUND, "No such client", description).into());
    };
    let private = !may_see_all(&state, &jar, &client_id).await?;
    let name = if private { PRIVATE_NAME } else { &client.name };
    let mut found = store::findings_of(&state.db, &client_id).await?;
    if private {
        for recorded in &mut found {
            recorded.detail.clear();
        }
    }
    if wants_json {
        let findings = found
            .into_iter()
            .map(|recorded| FindingJson {
                finding: recorded.finding.name(),
                clause: recorded.finding.clause(),
                count: recorded.count,
                first_seen: recorded.first_seen,
                last_seen: recorded.last_seen,
                detail: recorded.detail,
            })
            .collect();
        let report = Report {
            client_id: &client_id,
            client_name: name,
            findings,
        };
        return Ok(Json(report).into_response());
    }
    let now = server_kit::unix_now();
    let findings = found
        .into_iter()
        .map(|recorded| ReportLine {
            finding: recorded.finding.name(),
            clause: recorded.finding.clause(),
            count: recorded.count,
            last_seen_ago: pages::ago(now - recorded.last_seen),
            detail: recorded.detail,
        })
        .collect();
    let page = ReportPage {
        name,
        client_id: &client_id,
        self_registered: client.self_registered,
        findings,
    };
    Ok(pages::render(StatusCode::OK, &page)?)
}

/// Whether the browser asking may see the whole report of `client_id`: always, unless a
/// user registered the client on the clients pages; then only that user and operators (a
/// user who may grant `admin`).
async fn may_see_all(
    state: &AppState,
    jar: &CookieJar,
    client_id: &str,
) -> Result<bool, PageError> {
    let Some(owner) = store::client_owner(&state.db, client_id).await? else {
        return Ok(true);
    };
    let viewer = match session::current(state, jar).await? {
        Some(session) => match session.user_id {
            Some(user_id) => store::find_user(&state.db, &user_id).await?,
            None => None,
        },
        None => None,
    };
    Ok(match viewer {
        Some(user) => user.id == owner || user.allowed_scopes()?.contains("admin"),
        None => false,
    })
}
