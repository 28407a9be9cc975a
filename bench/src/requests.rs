//! The fixed requests the loads send, with the lab's demo credentials (the authorization
//! server's defaults; the peer is configured with the same).

/// `resource-server:resource-server-secret`, the lab's introspecting client, as HTTP Basic.
pub const RESOURCE_SERVER_BASIC: &str =
    "Basic cmVzb3VyY2Utc2VydmVyOnJlc291cmNlLXNlcnZlci1zZWNyZXQ=";

/// A client-credentials token request of `service-client` (`client_secret_post`).
pub const CLIENT_CREDENTIALS: &str = "grant_type=client_credentials&client_id=service-client&client_secret=service-secret&scope=read";
