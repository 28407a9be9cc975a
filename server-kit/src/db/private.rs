//! A SQLite database of the lab holds secrets: the authorization server's private signing
//! keys (whoever reads them can mint tokens that every resource trusting the published
//! JWKS accepts), the sessions' anti-CSRF tokens, the users' notes on the resource server.
//! So its folder and its files are readable by the server's own user only
//! (`docs/security-review.md`, S3-1):
//!
//! - a folder that does not exist yet is created `0700`;
//! - the database file is created `0600` *before* SQLite opens it, and SQLite gives its
//!   write-ahead log and shared-memory files (`-wal`, `-shm`) the mode of the database
//!   file, so no file of the database is ever readable by others, not even for a moment;
//! - a file an older version created readable by others is made `0600` at start, and the
//!   log says so; one that cannot be (another user owns it) stops the start.
//!
//! A folder that already exists is left as it is: it may be `/tmp` or a home directory,
//! and the files in it are private anyway.

use std::path::Path;

use super::OpenError;

/// The files of a database in WAL mode: the database, its write-ahead log, its
/// shared-memory index.
const SUFFIXES: [&str; 3] = ["", "-wal", "-shm"];

/// Makes the folder and the files of the database at `database` private to this user.
pub(super) fn prepare(database: &Path) -> Result<(), OpenError> {
    if database.as_os_str() == ":memory:" {
        return Ok(());
    }
    if let Some(folder) = database.parent()
        && !folder.as_os_str().is_empty()
        && !folder.exists()
    {
        create_folder(folder).map_err(|source| OpenError::Folder {
            path: folder.display().to_string(),
            source,
        })?;
    }
    for suffix in SUFFIXES {
        let mut file = database.as_os_str().to_owned();
        file.push(suffix);
        make_private(Path::new(&file))?;
    }
    create_file(database).map_err(|source| OpenError::Exposed {
        path: database.display().to_string(),
        source,
    })
}

#[cfg(unix)]
fn create_folder(folder: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(folder)
}

#[cfg(not(unix))]
fn create_folder(folder: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(folder)
}

/// Creates the empty database file `0600` if it does not exist (SQLite takes an empty file
/// as a new database).
#[cfg(unix)]
fn create_file(database: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(database)
    {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(not(unix))]
fn create_file(_database: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Takes the group's and others' permissions off `file`, if it exists and has any.
#[cfg(unix)]
fn make_private(file: &Path) -> Result<(), OpenError> {
    use std::os::unix::fs::PermissionsExt as _;
    let Ok(metadata) = std::fs::metadata(file) else {
        return Ok(());
    };
    let mode = metadata.permissions().mode() & 0o777;
    // The group's and others' bits.
    let shared = mode & 0o077;
    if shared == 0 {
        return Ok(());
    }
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode & 0o700)).map_err(
        |source| OpenError::Exposed {
            path: file.display().to_string(),
            source,
        },
    )?;
    tracing::warn!(
        file = %file.display(),
        was = format!("{mode:o}"),
        now = format!("{:o}", mode & 0o700),
        "the database was readable by other users of this machine; it holds this server's secrets, so only its owner may read it now"
    );
    Ok(())
}

#[cfg(not(unix))]
fn make_private(_file: &Path) -> Result<(), OpenError> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;
    use std::path::Path;

    use crate::db::Db;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("the file")
            .permissions()
            .mode()
            & 0o777
    }

    #[tokio::test]
    async fn a_new_database_its_log_and_its_folder_are_readable_by_this_user_only() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("data");
        let database = folder.join("lab.db");
        let url = format!("sqlite://{}", database.display());
        let Db::Sqlite(sqlite) = Db::connect(&url).await.unwrap() else {
            unreachable!("a sqlite URL")
        };
        sqlx::query("CREATE TABLE secrets (key BLOB)")
            .execute(&sqlite.pool)
            .await
            .unwrap();
        assert_eq!(mode(&folder), 0o700, "the folder");
        for file in ["lab.db", "lab.db-wal", "lab.db-shm"] {
            assert_eq!(mode(&folder.join(file)), 0o600, "{file}");
        }
    }

    #[tokio::test]
    async fn a_database_readable_by_others_is_made_private_when_the_server_starts() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("old.db");
        for file in ["old.db", "old.db-wal"] {
            std::fs::write(dir.path().join(file), b"").unwrap();
            std::fs::set_permissions(
                dir.path().join(file),
                std::fs::Permissions::from_mode(0o644),
            )
            .unwrap();
        }
        let url = format!("sqlite://{}", database.display());
        Db::connect(&url).await.unwrap();
        for file in ["old.db", "old.db-wal"] {
            assert_eq!(mode(&dir.path().join(file)), 0o600, "{file}");
        }
    }
}
