//! The MCP endpoint, `/mcp` (streamable HTTP, served by the official Rust SDK, `rmcp`): the
//! notes API as three tools, so an MCP client meets the MCP authorization rules for real.
//! It is a protected resource of its own (`http://localhost:8082/mcp` by default): a token
//! must name it in `aud`, and its metadata is at the path RFC 9728 §3.1 gives. Each tool
//! needs the scope of the API endpoint it stands for ([`TOOLS`]); the scope is checked on the
//! HTTP request, before the SDK sees it, so a missing one is the `403 insufficient_scope`
//! with `scope` that MCP clients answer with a step-up authorization.
//!
//! An MCP session belongs to whoever opened it (MCP Security Best Practices, "Session
//! Hijacking": servers "MUST NOT use sessions for authentication" and should bind session
//! ids to the user): [`Owners`] remembers the token's subject and client for each session
//! id the SDK hands out, and a request on a session with another caller's token is `404`,
//! as for a session that does not exist.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;
use server_kit::db::Db;
use server_kit::trace::{Check, Recorder};
use shared::AccessTokenClaims;

use crate::api::check_note;
use crate::bearer::{self, Admin, Read, Scope, Write};
use crate::error::ApiError;
use crate::metadata;
use crate::state::AppState;
use crate::store;

/// Where the endpoint is, on this server's origin.
pub(crate) const PATH: &str = "/mcp";

/// Each tool and the scope it needs, as the API endpoint it stands for. Everything else
/// (initialize, the tool list, a tool not listed) needs `read`, the scope the challenge
/// without a token names.
const TOOLS: [(&str, &str); 3] = [
    ("list_notes", Read::NAME),
    ("add_note", Write::NAME),
    ("stats", Admin::NAME),
];

/// The MCP endpoint: the SDK's streamable HTTP service behind [`guard`].
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let db = state.db.clone();
    // Host check against DNS rebinding (MCP transport rules): this server's own host and
    // loopback; Origin check: browsers on this machine only.
    let host = metadata::split_origin(&state.mcp.identifier)
        .0
        .split_once("://")
        .map_or("localhost", |(_, authority)| authority)
        .to_owned();
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts([host, "localhost".into(), "127.0.0.1".into(), "::1".into()])
        .with_allowed_origins(["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]);
    let service = StreamableHttpService::new(
        move || Ok(Notes { db: db.clone() }),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let guarded = Guarded {
        app: state.clone(),
        owners: Arc::default(),
    };
    Router::new()
        .route_service(PATH, service)
        .route_layer(middleware::from_fn_with_state(guarded, guard))
}

/// What [`guard`] needs: the server's state and who opened each session.
#[derive(Clone)]
struct Guarded {
    app: AppState,
    owners: Arc<Owners>,
}

/// The header that names an MCP session (MCP transports, "Session Management").
const SESSION_HEADER: &str = "mcp-session-id";

/// Most sessions remembered; beyond, the oldest is forgotten (and its next request is
/// `404`, which tells an MCP client to open a new session).
const MAX_SESSIONS: usize = 10_000;

/// Who opened each MCP session: the subject and the client of the token that opened it.
#[derive(Debug, Default)]
struct Owners {
    book: Mutex<Book>,
}

#[derive(Debug, Default)]
struct Book {
    by_session: HashMap<String, Owner>,
    /// How many sessions were opened: the next one's `opened`.
    opened: u64,
}

#[derive(Debug)]
struct Owner {
    sub: String,
    client_id: String,
    /// Order of opening, to forget the oldest first.
    opened: u64,
}

impl Owners {
    /// Whether `claims` speak for the caller who opened `session`. A session nobody here
    /// opened is nobody's.
    fn is_owner(&self, session: &str, claims: &AccessTokenClaims) -> bool {
        self.lock()
            .by_session
            .get(session)
            .is_some_and(|owner| owner.sub == claims.sub && owner.client_id == claims.client_id)
    }

    fn opened(&self, session: &str, claims: &AccessTokenClaims) {
        let mut book = self.lock();
        if book.by_session.len() >= MAX_SESSIONS
            && let Some(oldest) = book
                .by_session
                .iter()
                .min_by_key(|(_, owner)| owner.opened)
                .map(|(id, _)| id.clone())
        {
            book.by_session.remove(&oldest);
        }
        let opened = book.opened;
        book.opened += 1;
        book.by_session.insert(
            session.to_owned(),
            Owner {
                sub: claims.sub.clone(),
                client_id: claims.client_id.clone(),
                opened,
            },
        );
    }

    fn closed(&self, session: &str) {
        self.lock().by_session.remove(session);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

const SESSION_OWNER: Check = Check::new(
    "mcp_session_owner",
    "MCP Security Best Practices (session hijacking)",
    "The MCP session named is one this token's user and client opened.",
);

/// Every request to `/mcp` passes the bearer checks of [`bearer::admit`] for the MCP
/// resource and the scope [`scope_needed`] names, and may use only a session its caller
/// opened ([`Owners`]); the SDK then finds the caller's claims in the request.
async fn guard(State(guarded): State<Guarded>, request: Request, next: Next) -> Response {
    let Guarded { app: state, owners } = guarded;
    let (mut parts, body) = request.into_parts();
    // The body limit of every route (`server_kit::served`) bounds this read.
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return ApiError::InvalidInput {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            description: "the request body is too large".to_owned(),
        }
        .into_response();
    };
    let scope = match scope_needed(&body) {
        Ok(scope) => scope,
        Err(why) => return ApiError::BadRequest(why.to_owned()).into_response(),
    };
    let claims = match bearer::admit(&state, &parts, &state.mcp, scope).await {
        Ok(claims) => claims,
        Err(refusal) => return refusal.into_response(),
    };
    let trace = Recorder::current();
    let session = parts
        .headers
        .get(SESSION_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    match &session {
        Some(id) if !owners.is_owner(id, &claims) => {
            trace.refused(&SESSION_OWNER, || {
                "No session by that id was opened with this user's and client's token: answered as if it did not exist.".to_owned()
            });
            return (StatusCode::NOT_FOUND, "Session not found").into_response();
        }
        Some(_) => trace.pass(&SESSION_OWNER),
        None => trace.not_applicable(&SESSION_OWNER, "no session named: a new one may be opened"),
    }
    let closing = parts.method == Method::DELETE;
    parts.extensions.insert(Arc::clone(&claims));
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    match session {
        None => {
            if let Some(id) = response
                .headers()
                .get(SESSION_HEADER)
                .and_then(|value: &HeaderValue| value.to_str().ok())
            {
                owners.opened(id, &claims);
            }
        }
        Some(id) if closing && response.status().is_success() => owners.closed(&id),
        Some(_) => {}
    }
    response
}

/// The scope a request to the MCP endpoint needs: the one of the tool it calls ([`TOOLS`]),
/// else `read`. A body that is not JSON-RPC needs `read` too (the SDK answers it).
fn scope_needed(body: &[u8]) -> Result<&'static str, &'static str> {
    #[derive(Deserialize)]
    struct Message {
        method: Option<String>,
        params: Option<ToolCall>,
    }
    #[derive(Deserialize)]
    struct ToolCall {
        name: Option<String>,
    }
    // A batch would carry several calls past one check; MCP has no batches since
    // 2025-06-18.
    if body.trim_ascii_start().starts_with(b"[") {
        return Err("JSON-RPC batches are not accepted: send one message per request");
    }
    let Ok(message) = serde_json::from_slice::<Message>(body) else {
        return Ok(Read::NAME);
    };
    if message.method.as_deref() != Some("tools/call") {
        return Ok(Read::NAME);
    }
    let name = message
        .params
        .and_then(|call| call.name)
        .unwrap_or_default();
    Ok(TOOLS
        .iter()
        .find(|(tool, _)| *tool == name)
        .map_or(Read::NAME, |(_, scope)| scope))
}

/// The tools: the caller's notes and the server's counters, for the user the token speaks
/// for.
#[derive(Debug, Clone)]
struct Notes {
    db: Db,
}

/// `add_note`'s argument.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct NewNote {
    /// The note, 1 to 1000 characters.
    text: String,
}

#[tool_router]
impl Notes {
    #[tool(description = "The caller's notes, newest first. Needs the scope read.")]
    async fn list_notes(
        &self,
        Extension(parts): Extension<Parts>,
    ) -> Result<CallToolResult, ErrorData> {
        let notes = store::notes_of(&self.db, &caller(&parts)?.sub)
            .await
            .map_err(|error| failed(&error))?;
        Ok(CallToolResult::success(vec![ContentBlock::json(notes)?]))
    }

    #[tool(description = "Saves a note for the caller. Needs the scope write.")]
    async fn add_note(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(note): Parameters<NewNote>,
    ) -> Result<CallToolResult, ErrorData> {
        if let Err(why) = check_note(&note.text) {
            return Ok(CallToolResult::error(vec![ContentBlock::text(why)]));
        }
        let saved = store::add_note(&self.db, &caller(&parts)?.sub, &note.text)
            .await
            .map_err(|error| failed(&error))?;
        Ok(CallToolResult::success(vec![ContentBlock::json(saved)?]))
    }

    #[tool(description = "How many users and notes the server has. Needs the scope admin.")]
    async fn stats(&self) -> Result<CallToolResult, ErrorData> {
        let (users_seen, notes) = store::counts(&self.db)
            .await
            .map_err(|error| failed(&error))?;
        Ok(CallToolResult::success(vec![ContentBlock::json(
            serde_json::json!({ "users_seen": users_seen, "notes": notes }),
        )?]))
    }
}

#[tool_handler(
    name = "oauth-lab-notes",
    instructions = "The OAuth 2.1 lab's notes, as tools. Every call needs an access token from the lab's authorization server for this endpoint: list_notes needs read, add_note write, stats admin."
)]
impl ServerHandler for Notes {}

/// The claims [`guard`] found valid for this request.
fn caller(parts: &Parts) -> Result<&AccessTokenClaims, ErrorData> {
    parts
        .extensions
        .get::<Arc<AccessTokenClaims>>()
        .map(AsRef::as_ref)
        .ok_or_else(|| ErrorData::internal_error("the request passed no token check", None))
}

fn failed(error: &sqlx::Error) -> ErrorData {
    tracing::error!(cause = %error, "an MCP tool failed inside the resource server");
    ErrorData::internal_error("the resource server failed; see its log", None)
}

#[cfg(test)]
mod tests {
    use super::scope_needed;

    #[test]
    fn each_tool_call_needs_the_scope_of_its_endpoint_and_everything_else_read() {
        let call = |name: &str| {
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"{name}","arguments":{{}}}}}}"#
            )
        };
        assert_eq!(scope_needed(call("list_notes").as_bytes()), Ok("read"));
        assert_eq!(scope_needed(call("add_note").as_bytes()), Ok("write"));
        assert_eq!(scope_needed(call("stats").as_bytes()), Ok("admin"));
        assert_eq!(scope_needed(call("no_such_tool").as_bytes()), Ok("read"));
        assert_eq!(
            scope_needed(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#),
            Ok("read")
        );
        assert_eq!(scope_needed(b"not json"), Ok("read"));
        assert_eq!(scope_needed(b""), Ok("read"));
    }

    #[test]
    fn a_batch_is_refused_so_that_no_call_slips_past_the_scope_check() {
        let batch =
            br#" [{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"stats"}}]"#;
        assert!(scope_needed(batch).is_err());
    }
}
