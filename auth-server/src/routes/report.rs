//! `GET /clients/{client_id}/report`: what the server saw a client do that OAuth 2.1 or the
//! MCP authorization rules advise against, as the viewer may see it (`protocol/report.rs`).
//! A page, or JSON for a request that accepts `application/json` (`oauth-lab clients
//! report`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Serialize;

use crate::pages::{self, ErrorPage, PageError, ReportLine, ReportPage};
use crate::protocol::report;
use crate::protocol::session::user_of;
use crate::routes::session;
use crate::state::AppState;

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
    let viewer = match session::current(&state, &jar).await? {
        Some(session) => user_of(&state.db, &session).await?,
        None => None,
    };
    let Some(report) = report::report(&state.db, &client_id, viewer.as_ref()).await? else {
        let description = format!("no client has the id {client_id:?}");
        if wants_json {
            let body = serde_json::json!({"error": "not_found", "error_description": description});
            return Ok((StatusCode::NOT_FOUND, Json(body)).into_response());
        }
        return Err(ErrorPage::new(StatusCode::NOT_FOUND, "No such client", description).into());
    };
    let found = report.findings;
    let name = report.name.as_str();
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
        self_registered: report.self_registered,
        findings,
    };
    Ok(pages::render(StatusCode::OK, &page)?)
}
