//! The MCP endpoint, `/mcp` (streamable HTTP, served by the official Rust SDK, `rmcp`): the
//! notes API as three tools, so an MCP client meets the MCP authorization rules for real.
//! It is a protected resource of its own (`http://localhost:8082/mcp` by default): a token
//! must name it in `aud`, and its metadata is at the path RFC 9728 §3.1 gives. Each tool
//! needs the scope of the API endpoint it stands for ([`TOOLS`]); the scope is checked on the
//! HTTP request, before the SDK sees it, so a missing one is the `403 insufficient_scope`
//! with `scope` that MCP clients answer with a step-up authorization.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
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
    Router::new()
        .route_service(PATH, service)
        .route_layer(middleware::from_fn_with_state(state.clone(), guard))
}

/// Every request to `/mcp` passes the bearer checks of [`bearer::admit`] for the MCP
/// resource and the scope [`scope_needed`] names; the SDK then finds the caller's claims in
/// the request.
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
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
    match bearer::admit(&state, &parts, &state.mcp, scope).await {
        Ok(claims) => {
            parts.extensions.insert(claims);
            next.run(Request::from_parts(parts, Body::from(body))).await
        }
        Err(refusal) => refusal.into_response(),
    }
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
