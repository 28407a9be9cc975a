//! What each client did that the rules advise against (`model/finding.rs`): one row per
//! client and finding, counted.

use server_kit::db::Db;
use server_kit::with_db;

use crate::error::Internal;
use crate::model::Finding;

/// The most of a finding's detail kept (the value that showed it).
const DETAIL_MAX_CHARS: usize = 200;

/// Counts `finding` against `client_id`, keeping `detail` as the latest example.
pub(crate) async fn record_finding(
    db: &Db,
    client_id: &str,
    finding: Finding,
    detail: &str,
) -> Result<(), Internal> {
    let detail: String = detail.chars().take(DETAIL_MAX_CHARS).collect();
    let now = server_kit::unix_now();
    with_db!(db, pool => sqlx::query(
        "INSERT INTO client_findings (client_id, finding, count, first_seen, last_seen, detail)
         VALUES ($1, $2, 1, $3, $3, $4)
         ON CONFLICT (client_id, finding) DO UPDATE
         SET count = client_findings.count + 1, last_seen = excluded.last_seen, detail = excluded.detail",
    )
    .bind(client_id)
    .bind(finding.name())
    .bind(now)
    .bind(detail)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// A finding as the report shows it.
#[derive(Debug)]
pub(crate) struct Recorded {
    pub finding: Finding,
    pub count: i64,
    pub first_seen: i64,
    pub last_seen: i64,
    pub detail: String,
}

/// Every finding against `client_id`, in the order of [`Finding::ALL`].
pub(crate) async fn findings_of(db: &Db, client_id: &str) -> Result<Vec<Recorded>, Internal> {
    let rows: Vec<(String, i64, i64, i64, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT finding, count, first_seen, last_seen, detail FROM client_findings WHERE client_id = $1",
    )
    .bind(client_id)
    .fetch_all(pool)
    .await)?;
    let mut found: Vec<Recorded> = rows
        .into_iter()
        .map(|(name, count, first_seen, last_seen, detail)| {
            let finding = Finding::parse(&name).ok_or_else(|| {
                Internal::new(format!("unknown finding {name:?} in the database"))
            })?;
            Ok(Recorded {
                finding,
                count,
                first_seen,
                last_seen,
                detail,
            })
        })
        .collect::<Result<_, Internal>>()?;
    found.sort_by_key(|recorded| Finding::ALL.iter().position(|f| *f == recorded.finding));
    Ok(found)
}
