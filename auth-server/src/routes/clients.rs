//! The clients pages: a logged-in user lists, registers, edits and deletes their own OAuth
//! clients. The same metadata rules as dynamic registration apply (`registration.rs`).

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shared::jwt::SigningAlg;
use shared::{GrantType, ScopeSet};

use crate::pages::{
    self, ClientEditPage, ClientForm, ClientLine, ClientsPage, ConsentLine, ErrorPage, LoginPage,
    MessagePage, PageError,
};
use crate::protocol::client_metadata::{self, ApplicationType};
use crate::protocol::registration::{self, Registration};
use crate::protocol::{self, clients};
use crate::routes::page_flow::{bad_form, checked_session, see_other};
use crate::routes::session::{self, Session};
use crate::state::AppState;
use crate::store::User;

/// `GET /clients`: the list and the form to register one, or the login page.
pub(crate) async fn list(
    State(state): State<AppState>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let (session, cookie) = session::current_or_new(&state, &jar).await?;
    let jar = cookie.map_or(jar.clone(), |c| jar.add(c));
    let Some(user) = user_of(&state, &session).await? else {
        let page = LoginPage {
            client: None,
            request_id: "",
            csrf_token: &session.csrf_token,
            username: "",
            error: None,
        };
        let page = pages::render(StatusCode::OK, &page)?;
        return Ok((jar, page).into_response());
    };
    let page = list_page(&state, &session, &user, new_form(), None, StatusCode::OK).await?;
    Ok((jar, page).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ClientFields {
    csrf_token: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    redirect_uris: Option<String>,
    scope: Option<String>,
}

impl ClientFields {
    /// The checked name, redirect URIs and scopes, or the message that says what is wrong.
    fn check(&self) -> Result<(String, Vec<String>, ScopeSet), String> {
        let name = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or("Give the client a name.")?;
        let redirect_uris: Vec<String> = self
            .redirect_uris
            .as_deref()
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        for uri in &redirect_uris {
            client_metadata::check_redirect_uri(uri).map_err(|(_, why)| why)?;
        }
        let scope = client_metadata::check_scope(
            self.scope
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(str::trim),
        )
        .map_err(|(_, why)| why)?;
        let (scope, cut) = client_metadata::within_ceiling(&scope);
        if !cut.is_empty() {
            return Err(format!(
                "A client registered here may be allowed at most: {}. ({cut} is granted only through clients the operator registers.)",
                client_metadata::SELF_REGISTERED_CEILING
            ));
        }
        Ok((name.to_owned(), redirect_uris, scope))
    }

    /// [`Self::check`], then that no other client (but `client_id`) has the name.
    async fn check_all(
        &self,
        state: &AppState,
        client_id: &str,
    ) -> Result<Result<(String, Vec<String>, ScopeSet), String>, PageError> {
        let checked = match self.check() {
            Ok(checked) => checked,
            Err(why) => return Ok(Err(why)),
        };
        Ok(
            client_metadata::check_name(&state.db, &checked.0, client_id, false)
                .await?
                .map(|()| checked)
                .map_err(|(_, why)| why),
        )
    }

    fn as_form(&self, action: String, new: bool) -> ClientForm {
        ClientForm {
            action,
            new,
            name: self.name.clone().unwrap_or_default(),
            redirect_uris: self.redirect_uris.clone().unwrap_or_default(),
            scope: self.scope.clone().unwrap_or_default(),
        }
    }
}

/// `POST /clients`: registers a client; a confidential client's secret is shown once.
pub(crate) async fn create(
    State(state): State<AppState>,
    jar: CookieJar,
    form: Result<Form<ClientFields>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(fields) = form.map_err(|_| bad_form())?;
    let (session, user) = logged_in(&state, &jar, fields.csrf_token.as_deref()).await?;
    let (name, redirect_uris, scope) = match fields.check_all(&state, "").await? {
        Ok(checked) => checked,
        Err(why) => {
            let form = fields.as_form("/clients".to_owned(), true);
            return list_page(
                &state,
                &session,
                &user,
                form,
                Some(&why),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let confidential = fields.kind.as_deref() == Some("confidential");
    let (client_id, secret) = registration::create_client(
        &state.db,
        &Registration {
            name: Some(&name),
            confidential,
            redirect_uris: &redirect_uris,
            allowed_scopes: &scope,
            // The clients pages register clients that act for users: code and refresh.
            grant_types: &[GrantType::AuthorizationCode, GrantType::RefreshToken],
            application_type: ApplicationType::Web,
            // OIDC Dynamic Client Registration §2: the default.
            id_token_alg: SigningAlg::RS256,
            owner_user_id: Some(&user.id),
        },
    )
    .await?;
    tracing::info!(
        username = user.username,
        client = client_id,
        "clients: registered a client"
    );
    let message = match &secret {
        Some(secret) => format!(
            "Client id: {client_id}. Client secret: {secret}. Copy the secret now: it is stored only as a hash and will not be shown again."
        ),
        None => format!(
            "Client id: {client_id}. It is a public client: it has no secret and must use PKCE."
        ),
    };
    Ok(pages::render(
        StatusCode::CREATED,
        &MessagePage {
            title: "Client registered",
            message: &message,
        },
    )?)
}

/// `GET /clients/{id}`: the edit form.
pub(crate) async fn edit(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(client_id): Path<String>,
) -> Result<Response, PageError> {
    let session = session::current(&state, &jar)
        .await?
        .ok_or_else(not_logged_in)?;
    let user = user_of(&state, &session).await?.ok_or_else(not_logged_in)?;
    let Some(client) = clients::own(&state.db, &user, &client_id).await? else {
        return Err(not_found().into());
    };
    let form = ClientForm {
        action: format!("/clients/{client_id}"),
        new: false,
        name: client.name.clone(),
        redirect_uris: client
            .redirect_uris
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        scope: client.allowed_scopes.to_string(),
    };
    Ok(pages::render(
        StatusCode::OK,
        &ClientEditPage {
            client_id: &client_id,
            csrf_token: &session.csrf_token,
            form,
            error: None,
        },
    )?)
}

/// `POST /clients/{id}`: saves the edit form.
pub(crate) async fn update(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(client_id): Path<String>,
    form: Result<Form<ClientFields>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(fields) = form.map_err(|_| bad_form())?;
    let (session, user) = logged_in(&state, &jar, fields.csrf_token.as_deref()).await?;
    let (name, redirect_uris, scope) = match fields.check_all(&state, &client_id).await? {
        Ok(checked) => checked,
        Err(why) => {
            let form = fields.as_form(format!("/clients/{client_id}"), false);
            let page = ClientEditPage {
                client_id: &client_id,
                csrf_token: &session.csrf_token,
                form,
                error: Some(&why),
            };
            return Ok(pages::render(StatusCode::UNPROCESSABLE_ENTITY, &page)?);
        }
    };
    if !clients::update(&state.db, &user, &client_id, &name, &redirect_uris, &scope).await? {
        return Err(not_found().into());
    }
    Ok(see_other("/clients"))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeleteForm {
    csrf_token: Option<String>,
}

/// `POST /clients/{id}/delete`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(client_id): Path<String>,
    form: Result<Form<DeleteForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form.map_err(|_| bad_form())?;
    let (_, user) = logged_in(&state, &jar, form.csrf_token.as_deref()).await?;
    if !clients::delete(&state.db, &user, &client_id).await? {
        return Err(not_found().into());
    }
    tracing::info!(
        username = user.username,
        client = client_id,
        "clients: deleted a client and everything issued to it"
    );
    Ok(see_other("/clients"))
}

#[derive(Debug, Deserialize)]
pub(crate) struct WithdrawForm {
    csrf_token: Option<String>,
    client_id: Option<String>,
}

/// `POST /consents/withdraw`: forgets the user's consent to a client and revokes every
/// grant the user gave it, so its tokens stop working at once (RFC 7009 §2.1 in spirit: a
/// user can end what they allowed).
pub(crate) async fn withdraw_consent(
    State(state): State<AppState>,
    jar: CookieJar,
    form: Result<Form<WithdrawForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form.map_err(|_| bad_form())?;
    let (_, user) = logged_in(&state, &jar, form.csrf_token.as_deref()).await?;
    let client_id = form.client_id.unwrap_or_default();
    if !clients::withdraw_consent(&state.db, &user, &client_id).await? {
        return Err(ErrorPage::new(
            StatusCode::NOT_FOUND,
            "No such consent",
            "You have not allowed an application with this id.",
        )
        .into());
    }
    tracing::info!(
        username = user.username,
        client = client_id,
        "consent withdrawn; every grant the user gave the client is revoked"
    );
    Ok(see_other("/clients"))
}

async fn list_page(
    state: &AppState,
    session: &Session,
    user: &User,
    form: ClientForm,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lines = clients::owned_by(&state.db, user)
        .await?
        .into_iter()
        .map(|owned| ClientLine {
            client_id: owned.client_id,
            name: owned.name,
            confidential: owned.confidential,
            scopes: owned.scopes,
        })
        .collect();
    let consents = clients::consents_of(&state.db, user)
        .await?
        .into_iter()
        .map(|consent| ConsentLine {
            client_id: consent.client_id,
            client_name: consent.client_name,
            scope: consent.scope,
        })
        .collect();
    let page = ClientsPage {
        username: &user.username,
        csrf_token: &session.csrf_token,
        clients: lines,
        consents,
        form,
        error,
    };
    Ok(pages::render(status, &page)?)
}

fn new_form() -> ClientForm {
    ClientForm {
        action: "/clients".to_owned(),
        new: true,
        scope: "openid read".to_owned(),
        ..ClientForm::default()
    }
}

pub(crate) async fn user_of(
    state: &AppState,
    session: &Session,
) -> Result<Option<User>, PageError> {
    Ok(protocol::session::user_of(&state.db, session).await?)
}

/// A form post from a logged-in session with its CSRF token.
pub(crate) async fn logged_in(
    state: &AppState,
    jar: &CookieJar,
    csrf_token: Option<&str>,
) -> Result<(Session, User), PageError> {
    let session = checked_session(state, jar, csrf_token).await?;
    let user = user_of(state, &session).await?.ok_or_else(not_logged_in)?;
    Ok((session, user))
}

fn not_logged_in() -> ErrorPage {
    ErrorPage::new(
        StatusCode::UNAUTHORIZED,
        "Not logged in",
        "Log in on the clients page first: open /clients.",
    )
}

fn not_found() -> ErrorPage {
    ErrorPage::new(
        StatusCode::NOT_FOUND,
        "No such client",
        "You have no client with this id.",
    )
}
