//! Configuration, read once at start from flags or their environment variables.

use std::net::SocketAddr;

/// How access tokens are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ValidationMode {
    /// Verify the JWT locally against the published keys: no call per request, but a
    /// revoked token stays accepted until it expires.
    Jwt,
    /// Ask the authorization server's `/introspect` (RFC 7662): sees a revocation within
    /// the cache time, at the cost of a call per token.
    Introspect,
}

/// The resource server's settings. `resource-server --help` lists them.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "resource-server",
    version,
    about = "The OAuth 2.1 lab's resource server"
)]
pub struct Config {
    /// Address to listen on (use port 0 for any free port).
    #[arg(long, env = "RESOURCE_SERVER_ADDR", default_value = "127.0.0.1:8082")]
    pub addr: SocketAddr,

    /// The authorization server's issuer identifier. Its metadata is read from
    /// `<issuer>/.well-known/oauth-authorization-server`, and tokens must carry it as `iss`.
    /// [default: http://localhost:8081, https with --tls]
    #[arg(long, env = "RESOURCE_SERVER_ISSUER")]
    pub issuer: Option<String>,

    /// Record every decision for the learner: each request's checks in order, shown by the
    /// SPA and `oauth-lab watch`. Adds the `x-lab-trace` response header,
    /// `GET /lab/traces/{id}` and `GET /lab/events`; kept in memory (the last 1,000
    /// requests, 30 minutes). `scripts/lab.sh` turns it on.
    #[arg(long, env = "RESOURCE_SERVER_LAB_TRACES", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub lab_traces: bool,

    /// Serve https on localhost with the certificate the authorization server's --tls made
    /// (or make it, if this server starts first), and trust its certificate authority when
    /// calling the authorization server. The default issuer and audience become https.
    #[arg(long, env = "RESOURCE_SERVER_TLS", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub tls: bool,

    /// Where --tls finds the certificate authority and the certificate. [default: `tls`
    /// beside the SQLite database, or `data/tls`]
    #[arg(long, env = "RESOURCE_SERVER_TLS_DIR")]
    pub tls_dir: Option<std::path::PathBuf>,

    /// This server's resource identifier: tokens must name it in `aud` (RFC 9068 §4).
    /// [default: http://localhost:<port of --addr>]
    #[arg(long, env = "RESOURCE_SERVER_AUDIENCE")]
    pub audience: Option<String>,

    /// Database URL for the notes: `sqlite://<file>` (created on first start) or
    /// `postgres://user:password@host:port/database`. Migrated on start.
    #[arg(
        long,
        env = "RESOURCE_SERVER_DATABASE_URL",
        default_value = "sqlite://data/resource-server.db"
    )]
    pub database_url: String,

    /// Origin of a browser app allowed to call the API from script (CORS). Repeat the flag
    /// for several; the env variable takes a comma-separated list.
    #[arg(
        long = "spa-origin",
        env = "RESOURCE_SERVER_SPA_ORIGINS",
        value_delimiter = ',',
        default_values_t = [String::from("http://localhost:8080"), String::from("http://127.0.0.1:8080"), String::from("https://localhost:8080"), String::from("https://127.0.0.1:8080")]
    )]
    pub spa_origins: Vec<String>,

    /// How tokens are checked: locally as JWTs, or by asking the authorization server.
    #[arg(long, env = "RESOURCE_SERVER_VALIDATION", value_enum, default_value_t = ValidationMode::Jwt)]
    pub validation: ValidationMode,

    /// This server's client id at the authorization server (for introspection, and the
    /// list of revoked tokens).
    #[arg(
        long,
        env = "RESOURCE_SERVER_CLIENT_ID",
        default_value = "resource-server"
    )]
    pub client_id: String,

    /// This server's client secret at the authorization server (for introspection, and the
    /// list of revoked tokens). The default is the lab's demo credential.
    #[arg(
        long,
        env = "RESOURCE_SERVER_CLIENT_SECRET",
        default_value = "resource-server-secret"
    )]
    pub client_secret: String,

    /// How long a positive introspection answer is reused, in seconds (0: ask every time).
    #[arg(long, env = "RESOURCE_SERVER_INTROSPECTION_CACHE", default_value_t = 5)]
    pub introspection_cache_secs: u64,

    /// Refetch the authorization server's JWK Set at least every this many seconds (sooner
    /// if its `Cache-Control: max-age` says so), and drop the keys it no longer publishes:
    /// a retired key stops verifying tokens within this time.
    #[arg(long, env = "RESOURCE_SERVER_JWKS_REFRESH", default_value_t = 300)]
    pub jwks_refresh: u64,

    /// With JWT validation, read the authorization server's list of revoked tokens every
    /// this many milliseconds (`POST /lab/revocations`, as the introspecting client): a
    /// revoked token is refused here within about this time.
    #[arg(
        long,
        env = "RESOURCE_SERVER_REVOCATION_POLL_MS",
        default_value_t = 500
    )]
    pub revocation_poll_ms: u64,

    /// A request not complete within this many seconds (a client that stops sending its
    /// body, say) is answered 408.
    #[arg(long, env = "RESOURCE_SERVER_REQUEST_TIMEOUT", default_value_t = 10)]
    pub request_timeout: u64,
}
