//! The operator's page of protected resources (`protocol/resources.rs`): every resource a
//! client may name, where it was configured, and a form to add, describe or remove the ones
//! kept in the database. An operator is a logged-in user who may grant `admin`.

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shared::jwt::SigningAlg;

use crate::model::{Resource, Source};
use crate::pages::{self, ErrorPage, PageError, ResourceForm, ResourceLine, ResourcesPage};
use crate::protocol::resources::{self, Described};
use crate::routes::clients::{logged_in, user_of};
use crate::routes::page_flow::{bad_form, see_other};
use crate::routes::session::{self, Session};
use crate::state::AppState;
use crate::store::User;

/// `GET /resources`.
pub(crate) async fn list(
    State(state): State<AppState>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let session = session::current(&state, &jar)
        .await?
        .ok_or_else(not_an_operator)?;
    let user = user_of(&state, &session)
        .await?
        .ok_or_else(not_an_operator)?;
    check_operator(&user)?;
    page(&state, &session, &user, ResourceForm::default(), None).await
}

/// `POST /resources`: adds a resource, or describes one again.
pub(crate) async fn save(
    State(state): State<AppState>,
    jar: CookieJar,
    form: Result<Form<Fields>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(fields) = form.map_err(|_| bad_form())?;
    let (session, user) = logged_in(&state, &jar, fields.csrf_token.as_deref()).await?;
    check_operator(&user)?;
    let resources = &state.settings.resources;
    let checked = match fields.form.access_token_ttl.trim() {
        "" => Ok(None),
        ttl => ttl
            .parse()
            .map(Some)
            .map_err(|_| format!("the token lifetime must be a number of seconds, not {ttl:?}")),
    }
    .and_then(|access_token_ttl| {
        Described {
            resource: fields.form.resource.clone(),
            name: Some(fields.form.name.clone()).filter(|name| !name.trim().is_empty()),
            scopes: Some(fields.form.scopes.clone()),
            access_token_ttl,
            access_token_alg: Some(fields.form.access_token_alg.clone()),
        }
        .check(Source::Operator, resources.max_ttl())
    })
    .and_then(|resource| {
        if resources
            .configured()
            .iter()
            .any(|r| r.identifier == resource.identifier)
        {
            Err(format!(
                "{} is configured by a flag or the resources file; describe it there",
                resource.identifier
            ))
        } else {
            Ok(resource)
        }
    });
    let resource = match checked {
        Ok(resource) => resource,
        Err(why) => return page(&state, &session, &user, fields.form, Some(&why)).await,
    };
    resources::save(&state.db, &resource).await?;
    tracing::info!(
        username = user.username,
        resource = resource.identifier,
        "resources: saved by an operator"
    );
    Ok(see_other("/resources"))
}

#[derive(Debug, Deserialize)]
pub(crate) struct Fields {
    csrf_token: Option<String>,
    #[serde(flatten)]
    form: ResourceForm,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeleteFields {
    csrf_token: Option<String>,
    resource: Option<String>,
}

/// `POST /resources/delete`: forgets a resource kept in the database (tokens already issued
/// for it stay valid until they expire).
pub(crate) async fn delete(
    State(state): State<AppState>,
    jar: CookieJar,
    form: Result<Form<DeleteFields>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(fields) = form.map_err(|_| bad_form())?;
    let (_, user) = logged_in(&state, &jar, fields.csrf_token.as_deref()).await?;
    check_operator(&user)?;
    let identifier = fields.resource.unwrap_or_default();
    if !resources::delete(&state.db, &identifier).await? {
        return Err(ErrorPage::new(
            StatusCode::NOT_FOUND,
            "No such resource",
            "No resource with this identifier is kept in the database (a resource of a flag or of the resources file is removed there).",
        )
        .into());
    }
    tracing::info!(
        username = user.username,
        resource = identifier,
        "resources: removed by an operator"
    );
    Ok(see_other("/resources"))
}

async fn page(
    state: &AppState,
    session: &Session,
    user: &User,
    form: ResourceForm,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let resources = &state.settings.resources;
    let now = server_kit::unix_now();
    let default = &resources.default_resource().identifier;
    let line = |resource: &Resource, last_seen: Option<i64>| ResourceLine {
        default: &resource.identifier == default,
        identifier: resource.identifier.clone(),
        name: resource.name.clone(),
        scopes: resource
            .scopes
            .as_ref()
            .map_or_else(|| "any".to_owned(), ToString::to_string),
        lifetime: resource.access_token_ttl.map_or_else(
            || format!("{} s (the server's)", resources.max_ttl()),
            |ttl| format!("{ttl} s"),
        ),
        alg: resource
            .access_token_alg
            .map_or("EdDSA (the default)", SigningAlg::as_str),
        source: resource.source.as_str(),
        last_seen_ago: last_seen
            .filter(|_| resource.source == Source::Seen)
            .map(|at| pages::ago(now - at)),
        removable: matches!(resource.source, Source::Operator | Source::Seen),
    };
    let mut lines: Vec<ResourceLine> = resources
        .configured()
        .iter()
        .map(|resource| line(resource, None))
        .collect();
    for stored in resources::stored(&state.db).await? {
        lines.push(line(&stored.resource, Some(stored.last_seen)));
    }
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(pages::render(
        status,
        &ResourcesPage {
            username: &user.username,
            csrf_token: &session.csrf_token,
            any_loopback: resources.any_loopback(),
            resources: lines,
            max_ttl: resources.max_ttl(),
            form,
            error,
        },
    )?)
}

/// Only a user who may grant `admin` manages resources.
fn check_operator(user: &User) -> Result<(), PageError> {
    if user.allowed_scopes()?.contains("admin") {
        Ok(())
    } else {
        Err(ErrorPage::new(
            StatusCode::FORBIDDEN,
            "Operators only",
            "Only an operator (a user who may grant admin) manages the protected resources.",
        )
        .into())
    }
}

fn not_an_operator() -> ErrorPage {
    ErrorPage::new(
        StatusCode::UNAUTHORIZED,
        "Not logged in",
        "Log in as an operator (a user who may grant admin) on /clients first, then open /resources.",
    )
}
