//! Configuration, read once at start from flags or their environment variables.

use std::net::{IpAddr, SocketAddr};

/// The authorization server's settings. `auth-server --help` lists them.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "auth-server",
    version,
    about = "The OAuth 2.1 lab's authorization server"
)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent command-line switches, each its own flag"
)]
pub struct Config {
    /// Address to listen on (use port 0 for any free port).
    #[arg(long, env = "AUTH_SERVER_ADDR", default_value = "127.0.0.1:8081")]
    pub addr: SocketAddr,

    /// Issuer identifier (RFC 8414 §2): the base URL clients reach this server at. It is the
    /// `iss` of every token and redirect, and the prefix of every endpoint in discovery.
    /// [default: http://localhost:<port of --addr>, https with --tls]
    #[arg(long, env = "AUTH_SERVER_ISSUER")]
    pub issuer: Option<String>,

    /// Serve https on localhost. On first start a local certificate authority and a
    /// certificate for localhost, 127.0.0.1 and ::1 are made in --tls-dir; trust its `ca.pem`
    /// in the browser and in clients (docs/https.md). The default issuer
    /// becomes https://localhost:<port>, so cookies get `Secure` and the `__Host-` prefix.
    #[arg(long, env = "AUTH_SERVER_TLS", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub tls: bool,

    /// Where --tls keeps the certificate authority and the certificate (shared with the
    /// resource server). [default: `tls` beside the SQLite database, or `data/tls`]
    #[arg(long, env = "AUTH_SERVER_TLS_DIR")]
    pub tls_dir: Option<std::path::PathBuf>,

    /// Database URL: `sqlite://<file>` (created on first start) or
    /// `postgres://user:password@host:port/database` (shared by several replicas). Migrated
    /// on start. (Also taken after `rotate-key`.)
    #[arg(
        long,
        global = true,
        env = "AUTH_SERVER_DATABASE_URL",
        default_value = "sqlite://data/auth-server.db"
    )]
    pub database_url: String,

    /// Origin of a browser app allowed to call the token, JWKS and discovery endpoints from
    /// script (CORS). Repeat the flag for several; the env variable takes a comma-separated list.
    #[arg(
        long = "spa-origin",
        env = "AUTH_SERVER_SPA_ORIGINS",
        value_delimiter = ',',
        default_values_t = [String::from("http://localhost:8080"), String::from("http://127.0.0.1:8080"), String::from("https://localhost:8080"), String::from("https://127.0.0.1:8080")]
    )]
    pub spa_origins: Vec<String>,

    /// The resource server access tokens are meant for when the client names none: the
    /// token's `aud` (RFC 9068 §3).
    #[arg(
        long,
        env = "AUTH_SERVER_DEFAULT_RESOURCE",
        default_value = "http://localhost:8082"
    )]
    pub default_resource: String,

    /// More resources the server knows (RFC 8707), besides the default one: a token asked
    /// for one of them (`resource=` at /authorize or /token) is meant for it alone.
    /// Repeatable, or comma-separated in the variable. The defaults: the lab resource
    /// server's MCP endpoint, `http://localhost:8082/mcp`, and `http://localhost:8083`,
    /// which only shows audience restriction: the lab's resource server refuses tokens
    /// meant for it, and nothing needs to listen there.
    #[arg(
        long = "resource",
        alias = "other-resource",
        env = "AUTH_SERVER_RESOURCES",
        value_delimiter = ',',
        default_values_t = [String::from("http://localhost:8082/mcp"), String::from("http://localhost:8083")]
    )]
    pub resources: Vec<String>,

    /// Also accept as a resource anything on this machine: an http or https URI on
    /// 127.0.0.1, [::1] or localhost, any port and path, without a fragment. Then a developer
    /// can start an MCP server or an API on any port and get tokens meant for it without
    /// restarting this server. `scripts/lab.sh` turns it on; off otherwise (any other
    /// unknown resource is always `invalid_target`).
    #[arg(long, env = "AUTH_SERVER_ANY_LOOPBACK_RESOURCE", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub any_loopback_resource: bool,

    /// A JSON file of resources with their names, the scopes each understands and the
    /// lifetime of its access tokens: `{"resources": [{"resource": "http://localhost:3001/mcp",
    /// "name": "My MCP server", "scopes": "read write", "access_token_ttl": 120}]}`. A
    /// resource also named by a flag takes its description from here.
    #[arg(long, env = "AUTH_SERVER_RESOURCES_FILE")]
    pub resources_file: Option<std::path::PathBuf>,

    /// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; the
    /// preferred registration of MCP clients): a `client_id` that is a URL is fetched at
    /// `/authorize`, and the client metadata it holds is the client's registration.
    #[arg(
        long,
        env = "AUTH_SERVER_CLIENT_METADATA_DOCUMENTS",
        value_enum,
        default_value_t = ClientDocuments::On
    )]
    pub client_metadata_documents: ClientDocuments,

    /// A PEM file of root certificates this server trusts, besides the public ones, when it
    /// fetches a client metadata document over https: the local certificate authority of a
    /// development setup, so a client under development can serve its document over https
    /// on this machine (with `--client-metadata-documents lab`).
    #[arg(long, env = "AUTH_SERVER_TRUST_CA")]
    pub trust_ca: Option<std::path::PathBuf>,

    /// Lifetime of an authorization code, in seconds (RFC 6749 §4.1.2 recommends at most 10 minutes).
    #[arg(long, env = "AUTH_SERVER_CODE_TTL", default_value_t = 600)]
    pub code_ttl: u64,

    /// Lifetime of an access token, in seconds.
    #[arg(long, env = "AUTH_SERVER_ACCESS_TOKEN_TTL", default_value_t = 300)]
    pub access_token_ttl: u64,

    /// Lifetime of a refresh token, in seconds (each refresh issues a new one).
    #[arg(long, env = "AUTH_SERVER_REFRESH_TOKEN_TTL", default_value_t = 86_400)]
    pub refresh_token_ttl: u64,

    /// Record every decision for the learner: each request's checks in order, shown by the
    /// SPA and `oauth-lab watch`. Adds the `x-lab-trace` response header,
    /// `GET /lab/traces/{id}`, `GET /lab/traces?state=…` and `GET /lab/events`; kept in
    /// memory (the last 1,000 requests, 30 minutes). `scripts/lab.sh` turns it on.
    #[arg(long, env = "AUTH_SERVER_LAB_TRACES", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub lab_traces: bool,

    /// Accept RFC 7591 dynamic client registration at `/register` (on for a local lab;
    /// `--dynamic-registration false` turns it off).
    #[arg(long, env = "AUTH_SERVER_DYNAMIC_REGISTRATION", default_value_t = true, action = clap::ArgAction::Set)]
    pub dynamic_registration: bool,

    /// Secret of the seeded confidential client `service-client` (client credentials,
    /// scope `read`). The default is a demo credential: set your own outside a local lab.
    #[arg(
        long,
        env = "AUTH_SERVER_SERVICE_CLIENT_SECRET",
        default_value = "service-secret"
    )]
    pub service_client_secret: String,

    /// Secret of the seeded confidential client `resource-server`, which may call
    /// `/introspect`. The default is a demo credential: set your own outside a local lab.
    #[arg(
        long,
        env = "AUTH_SERVER_RESOURCE_SERVER_SECRET",
        default_value = "resource-server-secret"
    )]
    pub resource_server_secret: String,

    /// Address of a reverse proxy (such as the lab's nginx) whose `X-Forwarded-For` header
    /// names the real client, for throttling and logs. Repeat the flag for several; the
    /// env variable takes a comma-separated list. Without it the header is ignored (anyone
    /// could write it).
    #[arg(
        long = "trusted-proxy",
        env = "AUTH_SERVER_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<IpAddr>,

    /// A secret the trusted proxy sends in `X-Lab-Proxy-Secret` with every request
    /// (deploy/nginx.conf). With it, `X-Forwarded-For` is believed only from a request
    /// that carries it: a proxy on 127.0.0.1 is trusted by its address, and any local
    /// process can connect from that address too. Give it in the environment, not on the
    /// command line (which every local user can read).
    #[arg(long, env = "AUTH_SERVER_TRUSTED_PROXY_SECRET", hide_env_values = true)]
    pub trusted_proxy_secret: Option<String>,

    /// Every this many seconds, expired sessions, pending requests, codes, tokens, grants
    /// and throttling counters are deleted from the database.
    #[arg(long, env = "AUTH_SERVER_PURGE_INTERVAL", default_value_t = 300)]
    pub purge_interval: u64,

    /// A request not complete within this many seconds (a client that stops sending its
    /// body, say) is answered 408.
    #[arg(long, env = "AUTH_SERVER_REQUEST_TIMEOUT", default_value_t = 10)]
    pub request_timeout: u64,
}

/// Which `client_id` URLs are fetched as Client ID Metadata Documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientDocuments {
    /// None: a URL `client_id` is an unknown client.
    Off,
    /// https URLs whose host resolves only to public addresses.
    On,
    /// Those, and http or https URLs on this machine (127.0.0.1, [::1], localhost), so a
    /// client under development can serve its own document. Only for a server that
    /// listens on loopback (`--addr`), as the draft's §7.6 allows; every other private or
    /// special-use address stays refused. `scripts/lab.sh` uses it.
    Lab,
}

/// The lab's authorization server. Without a command it serves; `rotate-key` publishes a
/// new signing key and exits.
#[derive(Debug, clap::Parser)]
#[command(name = "auth-server", version)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// A command to run instead of serving.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Publish a new signing key now (in the JWKS of every server on this database); it
    /// starts signing new tokens after --signing-delay seconds, so resource servers that
    /// cache the JWKS have seen it first. The old key stays published until its tokens expire.
    RotateKey {
        /// Seconds between publishing the key and signing with it.
        #[arg(long, default_value_t = 300)]
        signing_delay: u64,
    },
}
