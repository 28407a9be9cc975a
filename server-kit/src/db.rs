//! The database behind a server: SQLite (the embedded default, one file) or PostgreSQL
//! (several replicas sharing one database). Chosen by the scheme of `--database-url`.
//!
//! The servers write each SQL statement once, with `$1, $2, ...` placeholders, which both
//! dialects read, and run it through [`with_db!`](crate::with_db): the macro expands the same
//! code once per backend, so every statement is type-checked against both drivers. Only the
//! schemas differ (types, identity columns), so each server has one migrations folder per
//! backend.
//!
//! On SQLite the hot path of the token endpoints does not go through sqlx: it runs whole
//! units of work on one thread that owns a connection and commits many requests together
//! ([`Owner`]). Those few statements are written once per backend.

mod owner;
mod private;

pub use owner::{MOST_WAITING, Owner, StartError, UnitError};
pub use rusqlite;

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection as _, PgConnection, PgPool, SqlitePool};

/// A connection pool to one of the two backends.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(Sqlite),
    Postgres(PgPool),
}

/// A SQLite database: a sqlx pool for most statements and the owner thread for the units of
/// work of the hot path, on the same file.
#[derive(Debug, Clone)]
pub struct Sqlite {
    pub pool: SqlitePool,
    pub owner: Owner,
}

/// A server's schema, once per backend (`sqlx::migrate!("./migrations/sqlite")`, ...).
#[derive(Debug)]
pub struct Migrations {
    pub sqlite: Migrator,
    pub postgres: Migrator,
}

/// Why a database could not be opened, worded for the person who started the server.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "the database URL must start with sqlite:// (a file) or postgres:// (a server), not {0:?}"
    )]
    Scheme(String),
    #[error("cannot create the folder {path} for the database: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{path} holds this server's secrets, and it cannot be made readable by its owner only ({source}); \
         make it so (chmod 600, and the same for its -wal and -shm files) and start again"
    )]
    Exposed {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Owner(#[from] StartError),
    #[error("cannot apply the migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Runs `$body` with `$pool` bound to the backend's pool: the same statements, compiled once
/// for SQLite and once for PostgreSQL.
#[macro_export]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(sqlite) => {
                let $pool = &sqlite.pool;
                $body
            }
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

impl Db {
    /// Opens (creating if needed) the database at `url` and applies the server's
    /// migrations for that backend.
    pub async fn open(url: &str, migrations: &Migrations) -> Result<Self, OpenError> {
        let db = Self::connect(url).await?;
        match &db {
            Self::Sqlite(sqlite) => migrations.sqlite.run(&sqlite.pool).await?,
            // sqlx takes an advisory lock: replicas starting together migrate once.
            Self::Postgres(pool) => migrations.postgres.run(pool).await?,
        }
        Ok(db)
    }

    /// Connects to the database at `url` as it is, without migrating it.
    pub async fn connect(url: &str) -> Result<Self, OpenError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite(open_sqlite(url).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(open_postgres(url).await?))
        } else {
            Err(OpenError::Scheme(redacted(url)))
        }
    }
}

/// The URL with any password replaced, fit for a log line or an error message.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// SQLite at `url`, creating the file (and its folder) if needed, readable by this user only
/// ([`private`]), in WAL mode with foreign keys on; writers wait for each other instead of
/// failing with "database is locked".
///
/// `synchronous = NORMAL`: in WAL mode a transaction is in the WAL file when `COMMIT`
/// returns, and the WAL is synced at each checkpoint. A crashed or killed process loses
/// nothing it answered for (the crash test kills the server with SIGKILL mid-flood and checks
/// every token and every used code); a power cut may lose the last transactions before
/// the checkpoint, never corrupt the file. `FULL` would sync on every commit, a disk flush
/// per token issued.
async fn open_sqlite(url: &str) -> Result<Sqlite, OpenError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let path = options.get_filename().to_path_buf();
    private::prepare(&path)?;
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    // After the pool: it created the file and set it to WAL.
    let owner = Owner::open(&path)?;
    Ok(Sqlite { pool, owner })
}

/// PostgreSQL at `url`. Each statement the servers run is atomic on its own (a code is
/// consumed by one `UPDATE ... WHERE used_at IS NULL`), so the default isolation, READ
/// COMMITTED, is enough: a second replica's concurrent update of the same row waits for the
/// first to commit, re-reads the row and finds it used.
async fn open_postgres(url: &str) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?;
    // One connection first, so a server that is down or a wrong password is reported as
    // such at once, not as a pool timeout ten seconds later.
    PgConnection::connect_with(&options).await?.close().await?;
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn a_password_in_a_database_url_is_never_shown() {
        assert_eq!(
            redacted("postgres://lab:s3cret@127.0.0.1:5432/lab"),
            "postgres://lab:***@127.0.0.1:5432/lab"
        );
        assert_eq!(
            redacted("postgres://lab@127.0.0.1/lab"),
            "postgres://lab@127.0.0.1/lab"
        );
        assert_eq!(redacted("sqlite://data/auth.db"), "sqlite://data/auth.db");
    }
}
