//! A client's report: what the server saw it do that OAuth 2.1 or the MCP authorization
//! rules advise against (`model/finding.rs`), and who may see it whole. Open to anyone,
//! like the client's id: it holds no secret, only what the client sent, and the MCP client
//! a developer runs registers anonymously, with nobody to log in as. The exception is a
//! client a user registered on the clients pages: its name and the values it sent are that
//! user's (and the operators') to see; anyone else gets the counts alone
//! (`docs/security-review.md`, S3-15).

use server_kit::db::Db;

use crate::error::Internal;
use crate::store::{self, Recorded, User};

/// What a private client's report shows for its name to anyone but its owner and the
/// operators.
const PRIVATE_NAME: &str = "a client a user of this server registered";

/// A client's report, as the viewer may see it.
#[derive(Debug)]
pub(crate) struct Report {
    /// The client's name, or [`PRIVATE_NAME`].
    pub name: String,
    pub self_registered: bool,
    /// Each finding with its counts; the values that showed it only for a viewer who may
    /// see them.
    pub findings: Vec<Recorded>,
}

/// The report of `client_id` for `viewer` (the user logged in, if any). `None`: no such
/// client.
pub(crate) async fn report(
    db: &Db,
    client_id: &str,
    viewer: Option<&User>,
) -> Result<Option<Report>, Internal> {
    let Some(client) = store::find_client(db, client_id).await? else {
        return Ok(None);
    };
    let owner = store::client_owner(db, client_id).await?;
    let whole = may_see_all(owner.as_deref(), viewer)?;
    let mut findings = store::findings_of(db, client_id).await?;
    if !whole {
        for recorded in &mut findings {
            recorded.detail.clear();
        }
    }
    Ok(Some(Report {
        name: if whole {
            client.name
        } else {
            PRIVATE_NAME.to_owned()
        },
        self_registered: client.self_registered,
        findings,
    }))
}

/// Whether `viewer` may see the whole report of a client registered by `owner` on the
/// clients pages (`None`: by nobody, so by anyone): that user, and operators (users who
/// may grant `admin`).
fn may_see_all(owner: Option<&str>, viewer: Option<&User>) -> Result<bool, Internal> {
    let Some(owner) = owner else {
        return Ok(true);
    };
    Ok(match viewer {
        Some(user) => user.id == owner || user.allowed_scopes()?.contains("admin"),
        None => false,
    })
}

#[cfg(test)]
mod tests {
    use super::may_see_all;
    use crate::store::User;

    fn user(id: &str, allowed_scopes: &str) -> User {
        User {
            id: id.to_owned(),
            username: id.to_owned(),
            password_hash: String::new(),
            allowed_scopes: allowed_scopes.to_owned(),
            name: id.to_owned(),
            email: String::new(),
            email_verified: false,
        }
    }

    #[test]
    fn a_private_clients_report_is_whole_only_for_its_owner_and_operators() {
        let owner = user("u1", "read write");
        let other = user("u2", "read write");
        let operator = user("u3", "read write admin");
        assert_eq!(
            may_see_all(None, None).ok(),
            Some(true),
            "nobody's client: anyone"
        );
        assert_eq!(may_see_all(Some("u1"), Some(&owner)).ok(), Some(true));
        assert_eq!(may_see_all(Some("u1"), Some(&operator)).ok(), Some(true));
        assert_eq!(may_see_all(Some("u1"), Some(&other)).ok(), Some(false));
        assert_eq!(may_see_all(Some("u1"), None).ok(), Some(false));
    }
}
