//! Test support shared by both servers' suites (feature `testing`): a fresh database per
//! test server (SQLite, or PostgreSQL when the suite runs on it), the bad-input suite
//! ([`bad_input`]), and a check of the OpenAPI documents.

pub mod bad_input;

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming a PostgreSQL server (an administrator's URL ending in `/postgres`)
/// for the test suites; `scripts/test.sh` starts a throwaway cluster and sets it for the
/// suites' second run.
pub const POSTGRES_URL_VAR: &str = "LAB_TEST_POSTGRES_URL";

/// A new, empty database for one test server: the SQLite file `name.db` in `dir`, or, when
/// [`POSTGRES_URL_VAR`] is set, a new database on that PostgreSQL server.
pub async fn fresh_database(dir: &Path, name: &str) -> String {
    static CREATED: AtomicU32 = AtomicU32::new(0);
    let Ok(admin) = std::env::var(POSTGRES_URL_VAR) else {
        return format!("sqlite://{}/{name}.db", dir.display());
    };
    let (server, _) = admin
        .rsplit_once('/')
        .expect("LAB_TEST_POSTGRES_URL is postgres://user:password@host:port/postgres");
    let database = format!(
        "{name}_{}_{}",
        std::process::id(),
        CREATED.fetch_add(1, Ordering::Relaxed)
    );
    let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .expect("the test PostgreSQL server answers");
    sqlx::Executor::execute(
        &mut connection,
        format!("CREATE DATABASE {database}").as_str(),
    )
    .await
    .expect("a test database is created");
    format!("{server}/{database}")
}

/// Asserts that `document` is an OpenAPI 3 document whose every `$ref` points at a
/// component (an unregistered schema once slipped through to schemathesis).
pub fn assert_openapi_3_with_resolved_refs(document: &serde_json::Value) {
    assert!(
        document["openapi"]
            .as_str()
            .expect("a version")
            .starts_with("3.")
    );
    assert_eq!(
        unresolved_refs(document),
        Vec::<String>::new(),
        "every $ref points at a component"
    );
}

/// The `$ref`s of an OpenAPI document that point at no component.
fn unresolved_refs(document: &serde_json::Value) -> Vec<String> {
    fn walk(value: &serde_json::Value, refs: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                    refs.push(target.clone());
                }
                map.values().for_each(|v| walk(v, refs));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    let mut refs = Vec::new();
    walk(document, &mut refs);
    refs.into_iter()
        .filter(|target| {
            let pointer = target.trim_start_matches('#');
            document.pointer(pointer).is_none()
        })
        .collect()
}
