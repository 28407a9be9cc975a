//! The protected API, one scope per endpoint, and the public documents.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shared::ScopeSet;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::{Admin, Caller, Read, Write};
use crate::error::{ApiError, BearerRefusals, RefusalBody};
use crate::state::AppState;
use crate::store::{self, Note};

/// The longest note, in characters.
const NOTE_MAX_CHARS: usize = 1000;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(profile))
        .routes(routes!(list_notes, add_note))
        .routes(routes!(stats))
}

/// Who the token is for: `GET /api/profile`, written straight from the token's claims.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Profile<'a> {
    sub: &'a str,
    /// `null` for a token without a user (client credentials).
    username: Option<&'a str>,
    #[schema(value_type = String)]
    scope: &'a ScopeSet,
    client_id: &'a str,
    /// Seconds since 1970.
    expires_at: i64,
    /// Seconds from now.
    expires_in: i64,
}

/// Counters: `GET /api/admin/stats`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Stats {
    users_seen: i64,
    notes: i64,
    requests_allowed: u64,
    requests_refused: u64,
}

/// `GET /api/profile` (scope `read`): who the token says the caller is.
#[utoipa::path(
    get,
    path = "/api/profile",
    responses(
        (status = 200, description = "Who the token is for (scope read)", body = Profile<'static>),
        BearerRefusals,
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn profile(caller: Caller<Read>) -> Result<Response, ApiError> {
    let claims = &caller.claims;
    let profile = Profile {
        expires_in: (claims.exp - server_kit::unix_now()).max(0),
        sub: &claims.sub,
        username: claims.preferred_username.as_deref(),
        scope: &claims.scope,
        client_id: &claims.client_id,
        expires_at: claims.exp,
    };
    Ok(Json(profile).into_response())
}

/// `GET /api/notes` (scope `read`): the caller's own notes, newest first.
#[utoipa::path(
    get,
    path = "/api/notes",
    responses(
        (status = 200, description = "The caller's notes, newest first (scope read)", body = Vec<Note>),
        BearerRefusals,
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn list_notes(
    State(state): State<AppState>,
    caller: Caller<Read>,
) -> Result<Json<Vec<Note>>, ApiError> {
    Ok(Json(store::notes_of(&state.db, &caller.claims.sub).await?))
}

/// A new note: 1 to 1000 characters.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewNote {
    text: String,
}

/// `POST /api/notes` (scope `write`), JSON `{"text": ...}` of 1 to 1000 characters.
#[utoipa::path(
    post,
    path = "/api/notes",
    request_body(content = NewNote, content_type = "application/json"),
    responses(
        (status = 201, description = "The note, saved (scope write)", body = Note),
        (status = 422, description = "The text is empty or over 1000 characters", body = RefusalBody),
        BearerRefusals,
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn add_note(
    State(state): State<AppState>,
    caller: Caller<Write>,
    body: Result<Json<NewNote>, JsonRejection>,
) -> Result<(StatusCode, Json<Note>), ApiError> {
    let Json(note) = body.map_err(|rejection| ApiError::InvalidInput {
        status: StatusCode::BAD_REQUEST,
        description: format!(
            "the body must be JSON like {{\"text\": \"...\"}}: {}",
            rejection.body_text()
        ),
    })?;
    check_note(&note.text).map_err(|description| ApiError::InvalidInput {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        description,
    })?;
    let saved = store::add_note(&state.db, &caller.claims.sub, &note.text).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Why `text` cannot be a note, if it cannot (the API and the MCP tool alike).
pub(crate) fn check_note(text: &str) -> Result<(), String> {
    let length = text.chars().count();
    if (1..=NOTE_MAX_CHARS).contains(&length) {
        Ok(())
    } else {
        Err(format!(
            "text must be 1 to {NOTE_MAX_CHARS} characters, got {length}"
        ))
    }
}

/// `GET /api/admin/stats` (scope `admin`).
#[utoipa::path(
    get,
    path = "/api/admin/stats",
    responses(
        (status = 200, description = "Counters (scope admin)", body = Stats),
        BearerRefusals,
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn stats(
    State(state): State<AppState>,
    _caller: Caller<Admin>,
) -> Result<Json<Stats>, ApiError> {
    let (users_seen, notes) = store::counts(&state.db).await?;
    Ok(Json(Stats {
        users_seen,
        notes,
        requests_allowed: state.stats.allowed.load(Ordering::Relaxed),
        requests_refused: state.stats.refused.load(Ordering::Relaxed),
    }))
}
