//! One thread that owns a SQLite connection and runs whole units of work: a request's reads,
//! or its writes, as one closure, instead of one message to another thread per statement
//! (which is how sqlx-sqlite works, and where the token endpoints spent most of their time:
//! see `docs/BENCHMARKS.md`).
//!
//! Group commit: the thread takes every unit waiting when it wakes, runs them in one
//! transaction (each inside its own savepoint, so a unit that fails leaves no trace and
//! does not undo the others), commits once, and only then answers each. Nothing is
//! answered before the transaction holding it has committed, so a process killed at any
//! moment has lost only requests it never answered. Units run one after the other in
//! arrival order, so a later unit sees what an earlier one wrote: of two units consuming
//! the same code, exactly one finds it unused.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _};

/// The most units committed together: a bound on how long the first of them waits.
const MOST_PER_TRANSACTION: usize = 256;

/// How a unit ended, handed back to it after the transaction: committed or not.
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A unit of work with its answer channel. `None`: the transaction could not begin, so the
/// unit does not run and is answered with the error.
type Job = Box<dyn FnOnce(Option<&Connection>) -> (bool, Finish) + Send>;

/// The handle to the owner thread; clones share it. The thread ends when the last handle
/// is dropped.
#[derive(Clone)]
pub struct Owner {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Owner")
    }
}

/// Why a unit of work did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum UnitError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("the transaction holding this unit did not commit: {0}")]
    NotCommitted(String),
    #[error("the database thread has stopped")]
    Stopped,
}

impl Owner {
    /// Opens the SQLite file at `path` (already created and migrated) with the settings of
    /// the server's pool (`super::open_sqlite`), and starts its thread.
    pub fn open(path: &Path) -> Result<Self, rusqlite::Error> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(10))?;
        connection.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )?;
        let (jobs, receiver) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-owner".to_owned())
            .spawn(move || run(&connection, &receiver))
            .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))?;
        Ok(Self { jobs })
    }

    /// Runs `work` on the owner thread, inside the next transaction, and answers once that
    /// transaction has committed. An error from `work` undoes its writes only.
    pub async fn unit<T, F>(&self, work: F) -> Result<T, UnitError>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |connection| {
            let result = match connection {
                Some(connection) => work(connection).map_err(UnitError::Sqlite),
                None => Err(UnitError::NotCommitted(
                    "the transaction did not begin".to_owned(),
                )),
            };
            let failed = result.is_err();
            let finish: Finish = Box::new(move |committed| {
                let answer = match committed {
                    Ok(()) => result,
                    Err(error) => Err(UnitError::NotCommitted(error)),
                };
                let _ = reply.send(answer);
            });
            (failed, finish)
        });
        self.jobs.send(job).map_err(|_| UnitError::Stopped)?;
        answer.await.map_err(|_| UnitError::Stopped)?
    }

    /// A unit that reads at most one row: `sql`, its one parameter `key`, the row mapped by
    /// `map`.
    pub async fn optional_row<T: Send + 'static>(
        &self,
        sql: &'static str,
        key: String,
        map: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, UnitError> {
        self.unit(move |c| c.prepare_cached(sql)?.query_row([key], map).optional())
            .await
    }
}

fn run(connection: &Connection, jobs: &mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let batch: Vec<Job> = std::iter::once(first)
            .chain(jobs.try_iter().take(MOST_PER_TRANSACTION - 1))
            .collect();
        if let Err(error) = connection.execute_batch("BEGIN IMMEDIATE") {
            let error = error.to_string();
            for job in batch {
                let (_, finish) = job(None);
                finish(Err(error.clone()));
            }
            continue;
        }
        let finishes: Vec<Finish> = batch
            .into_iter()
            .filter_map(|job| run_unit(connection, job))
            .collect();
        let committed = connection.execute_batch("COMMIT").map_err(|error| {
            let _ = connection.execute_batch("ROLLBACK");
            error.to_string()
        });
        for finish in finishes {
            finish(committed.clone());
        }
    }
}

/// One unit inside its savepoint. A unit that panics is dropped unanswered (its caller
/// sees `Stopped`), its writes undone; the thread goes on with the others.
fn run_unit(connection: &Connection, job: Job) -> Option<Finish> {
    if connection.execute_batch("SAVEPOINT unit").is_err() {
        let (_, finish) = job(None);
        return Some(finish);
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| job(Some(connection))));
    let undo = !matches!(outcome, Ok((false, _)));
    if undo {
        let _ = connection.execute_batch("ROLLBACK TO unit");
    }
    let _ = connection.execute_batch("RELEASE unit");
    outcome.ok().map(|(_, finish)| finish)
}

#[cfg(test)]
mod tests {
    use super::{Owner, UnitError};

    fn owner() -> (tempfile::TempDir, Owner) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("owner.db");
        let owner = Owner::open(&path).unwrap();
        (dir, owner)
    }

    #[tokio::test]
    async fn a_failed_unit_leaves_nothing_and_the_others_of_its_transaction_commit() {
        let (_dir, owner) = owner();
        owner
            .unit(|c| c.execute_batch("CREATE TABLE t (v INTEGER PRIMARY KEY)"))
            .await
            .unwrap();
        let units: Vec<_> = (0..50_i64)
            .map(|i| {
                let owner = owner.clone();
                tokio::spawn(async move {
                    owner
                        .unit(move |c| {
                            c.execute("INSERT INTO t (v) VALUES (?1)", [i])?;
                            // Every fifth unit fails after writing: its row must not stay.
                            if i % 5 == 0 {
                                c.execute("INSERT INTO no_such_table VALUES (1)", [])?;
                            }
                            Ok(i)
                        })
                        .await
                })
            })
            .collect();
        let mut failed = 0;
        for unit in units {
            match unit.await.unwrap() {
                Ok(_) => {}
                Err(UnitError::Sqlite(_)) => failed += 1,
                Err(other) => panic!("{other}"),
            }
        }
        let kept: Vec<i64> = owner
            .unit(|c| {
                c.prepare("SELECT v FROM t ORDER BY v")?
                    .query_map([], |row| row.get(0))?
                    .collect()
            })
            .await
            .unwrap();
        assert_eq!(failed, 10);
        assert_eq!(kept, (0..50).filter(|i| i % 5 != 0).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn of_many_units_consuming_one_row_exactly_one_succeeds() {
        let (_dir, owner) = owner();
        owner
            .unit(|c| {
                c.execute_batch(
                    "CREATE TABLE codes (code TEXT PRIMARY KEY, used INTEGER NOT NULL);
                     INSERT INTO codes VALUES ('x', 0);",
                )
            })
            .await
            .unwrap();
        let units: Vec<_> = (0..64)
            .map(|_| {
                let owner = owner.clone();
                tokio::spawn(async move {
                    owner
                        .unit(|c| {
                            c.execute(
                                "UPDATE codes SET used = 1 WHERE code = 'x' AND used = 0",
                                [],
                            )
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut winners = 0;
        for unit in units {
            winners += unit.await.unwrap();
        }
        assert_eq!(winners, 1);
    }
}
