//! A client as the server knows it: how it was registered, and the two policies that follow
//! from that alone (which grants it may use; whether its consent may be remembered).

use shared::jwt::SigningAlg;
use shared::{ClientId, GrantType, RedirectUri, ScopeSet};

/// A registered client.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub client_id: ClientId,
    pub name: String,
    /// SHA-256 (hex) of the secret of a confidential client; `None` for a public client.
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<RedirectUri>,
    pub allowed_scopes: ScopeSet,
    pub can_introspect: bool,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// The grants the client was registered for (RFC 7591 §2 `grant_types`).
    pub grant_types: Vec<GrantType>,
    /// Registered by anyone (dynamic registration, the clients pages, a Client ID Metadata
    /// Document), not by the operator.
    pub self_registered: bool,
    /// For a client whose id is the URL of its metadata document: until when the stored
    /// copy of the document is fresh. `None` for every other client.
    pub document_expires_at: Option<i64>,
    /// The algorithm of its ID tokens (`id_token_signed_response_alg`).
    pub id_token_alg: SigningAlg,
}

impl Client {
    /// Was the client registered for `grant`? RFC 6749 §5.2: if not, `unauthorized_client`.
    pub(crate) fn may_use(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// May the user's earlier consent to this client stand in for asking again? RFC 8252
    /// §8.6: the server "SHOULD NOT process authorization requests automatically without
    /// user consent or interaction, except when the identity of the client can be assured.
    /// This includes the case where the user has previously approved an authorization
    /// request for a given client id". Assured here: a client the operator configured (the
    /// operator chose its redirect URIs), or a confidential one (a code sent to an impostor
    /// is useless without the secret). A self-registered public client is asked every
    /// time: anyone can register one under the same name with a loopback redirect URI.
    pub(crate) fn consent_may_be_remembered(&self) -> bool {
        !self.self_registered || self.secret_hash.is_some()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use shared::jwt::SigningAlg;
    use shared::{ClientId, GrantType, RedirectUri, ScopeSet};

    use super::Client;

    /// A public client the operator configured, for the code and refresh grants.
    pub(crate) fn operator_client() -> Client {
        Client {
            client_id: ClientId::new("spa"),
            name: "The SPA".to_owned(),
            secret_hash: None,
            redirect_uris: vec![RedirectUri::new("http://localhost:8080/callback")],
            allowed_scopes: ScopeSet::parse("openid read").expect("scopes"),
            can_introspect: false,
            post_logout_redirect_uris: Vec::new(),
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            self_registered: false,
            document_expires_at: None,
            id_token_alg: SigningAlg::EdDSA,
        }
    }

    #[test]
    fn a_client_may_use_only_the_grants_it_was_registered_for() {
        let client = operator_client();
        assert!(client.may_use(GrantType::AuthorizationCode));
        assert!(client.may_use(GrantType::RefreshToken));
        assert!(!client.may_use(GrantType::ClientCredentials));
    }

    #[test]
    fn consent_is_remembered_for_operator_and_confidential_clients_but_not_for_a_self_registered_public_one()
     {
        let operator = operator_client();
        assert!(operator.consent_may_be_remembered());
        let self_registered = Client {
            self_registered: true,
            ..operator_client()
        };
        assert!(!self_registered.consent_may_be_remembered());
        let confidential = Client {
            secret_hash: Some("5e884898".to_owned()),
            ..self_registered
        };
        assert!(confidential.consent_may_be_remembered());
    }
}
