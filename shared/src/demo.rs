//! The lab's demo data, as the authorization server seeds it
//! (`auth-server/src/seed.rs`): the public client every lab client plays, and the
//! accounts to log in with. Written once here for the SPA, `oauth-lab`, the benchmark and
//! the tests.

/// The SPA's public client (no secret; PKCE proves it is the same client at `/token`).
pub const CLIENT_ID: &str = "demo-client";

/// The SPA's callback as the lab serves it (trunk on port 8080).
pub const REDIRECT_URI: &str = "http://localhost:8080/callback";

/// The demo accounts: username and password.
pub const ACCOUNTS: [(&str, &str); 3] = [
    ("alice", "password123"),
    ("bob", "secret456"),
    ("carol", "mypass789"),
];
