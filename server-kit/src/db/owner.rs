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

/// The most units waiting for the thread. A flood beyond it is answered [`UnitError::Busy`]
/// at once (a `503` with `Retry-After`) instead of queueing without end: memory stays
/// bounded, and a unit that gets in waits at most this many units' time.
pub const MOST_WAITING: usize = 4_096;

/// How a unit ended, handed back to it after the transaction: committed or not.
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A unit of work with its answer channel. `None`: the transaction could not begin, so the
/// unit does not run and is answered with the error.
type Job = Box<dyn FnOnce(Option<&Connection>) -> (bool, Finish) + Send>;

/// The handle to the owner thread; clones share it. The thread ends when the last handle
/// is dropped.
#[derive(Clone)]
pub struct Owner {
    jobs: mpsc::SyncSender<Job>,
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
    #[error("the unit panicked; its writes were undone")]
    Panicked,
    #[error("{MOST_WAITING} units are waiting for the database already; try again shortly")]
    Busy,
    #[error("the database thread has stopped")]
    Stopped,
}

/// Why the owner thread could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot start the database thread: {0}")]
    SpawnFailed(std::io::Error),
}

impl Owner {
    /// Opens the SQLite file at `path` (already created and migrated) with the settings of
    /// the server's pool (`super::open_sqlite`), and starts its thread.
    pub fn open(path: &Path) -> Result<Self, StartError> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(10))?;
        connection.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )?;
        let (jobs, receiver) = mpsc::sync_channel::<Job>(MOST_WAITING);
        std::thread::Builder::new()
            .name("sqlite-owner".to_owned())
            .spawn(move || run(&connection, &receiver))
            .map_err(StartError::SpawnFailed)?;
        Ok(Self { jobs })
    }

    /// Runs `work` on the owner thread, inside the next transaction, and answers once that
    /// transaction has committed. An error from `work`, or a panic, undoes its writes only.
    /// With [`MOST_WAITING`] units waiting already, answers [`UnitError::Busy`] at once.
    pub async fn unit<T, F>(&self, work: F) -> Result<T, UnitError>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |connection| {
            let result = match connection {
                Some(connection) => match catch_unwind(AssertUnwindSafe(|| work(connection))) {
                    Ok(done) => done.map_err(UnitError::Sqlite),
                    Err(_) => Err(UnitError::Panicked),
                },
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
        self.jobs.try_send(job).map_err(|refused| match refused {
            mpsc::TrySendError::Full(_) => UnitError::Busy,
            mpsc::TrySendError::Disconnected(_) => UnitError::Stopped,
        })?;
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
        let mut batch = std::iter::once(first)
            .chain(jobs.try_iter().take(MOST_PER_TRANSACTION - 1))
            .collect::<Vec<Job>>()
            .into_iter();
        if let Err(error) = connection.execute_batch("BEGIN IMMEDIATE") {
            refuse(batch, &error.to_string());
            continue;
        }
        let mut finishes = Vec::new();
        let mut lost = None;
        for job in batch.by_ref() {
            let (finish, intact) = run_unit(connection, job);
            finishes.push(finish);
            if !intact {
                lost = Some(
                    "the transaction was rolled back by the database (a disk full, an I/O error)",
                );
                break;
            }
        }
        // Some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) make SQLite roll back the
        // whole transaction, not only the statement: the units before went with it, and a
        // unit after would run outside any transaction and commit alone while its request
        // is told it did not (a code spent, its tokens never delivered). So nothing more
        // of the batch runs, and every unit of it is answered "not committed".
        if let Some(why) = lost {
            if !connection.is_autocommit() {
                let _ = connection.execute_batch("ROLLBACK");
            }
            for finish in finishes {
                finish(Err(why.to_owned()));
            }
            refuse(batch, why);
            continue;
        }
        let committed = connection.execute_batch("COMMIT").map_err(|error| {
            let _ = connection.execute_batch("ROLLBACK");
            error.to_string()
        });
        for finish in finishes {
            finish(committed.clone());
        }
    }
}

/// Answers each of `jobs` with `why`, without running it.
fn refuse(jobs: impl Iterator<Item = Job>, why: &str) {
    for job in jobs {
        let (_, finish) = job(None);
        finish(Err(why.to_owned()));
    }
}

/// One unit inside its savepoint; a unit that failed (an error, or a panic its own guard in
/// [`Owner::unit`] caught) has its writes undone. Also whether the transaction is still
/// intact: its savepoint undone or released, and still open.
fn run_unit(connection: &Connection, job: Job) -> (Finish, bool) {
    if connection.execute_batch("SAVEPOINT unit").is_err() {
        let (_, finish) = job(None);
        return (finish, !connection.is_autocommit());
    }
    let (failed, finish) = job(Some(connection));
    let undone = !failed || connection.execute_batch("ROLLBACK TO unit").is_ok();
    let released = connection.execute_batch("RELEASE unit").is_ok();
    (finish, undone && released && !connection.is_autocommit())
}

#[cfg(test)]
mod tests {
    use super::{Owner, UnitError};

    /// The values in the table `t`, in order.
    async fn kept(owner: &Owner) -> Vec<i64> {
        owner
            .unit(|c| {
                c.prepare("SELECT v FROM t ORDER BY v")?
                    .query_map([], |row| row.get(0))?
                    .collect()
            })
            .await
            .expect("read")
    }

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
        let kept = kept(&owner).await;
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

    #[tokio::test]
    async fn when_the_database_rolls_the_whole_transaction_back_no_unit_of_it_is_answered_committed()
     {
        let (_dir, owner) = owner();
        owner
            .unit(|c| c.execute_batch("CREATE TABLE t (v INTEGER PRIMARY KEY)"))
            .await
            .unwrap();
        // A slow unit first, so the next three wait and run in one transaction.
        let slow = {
            let owner = owner.clone();
            tokio::spawn(async move {
                owner
                    .unit(|_| {
                        std::thread::sleep(std::time::Duration::from_millis(300));
                        Ok(())
                    })
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let unit = |v: i64, lose_the_transaction: bool| {
            let owner = owner.clone();
            tokio::spawn(async move {
                owner
                    .unit(move |c| {
                        c.execute("INSERT INTO t (v) VALUES (?1)", [v])?;
                        // What SQLite does by itself on a full disk or an I/O error.
                        if lose_the_transaction {
                            c.execute_batch("ROLLBACK")?;
                        }
                        Ok(v)
                    })
                    .await
            })
        };
        let units = [unit(1, false), unit(2, true), unit(3, false)];
        slow.await.unwrap().unwrap();
        let mut answered_committed = Vec::new();
        for unit in units {
            if let Ok(v) = unit.await.unwrap() {
                answered_committed.push(v);
            }
        }
        let kept = kept(&owner).await;
        assert_eq!(
            kept, answered_committed,
            "a unit is answered committed exactly when its write is in the database"
        );
        assert!(!kept.contains(&2));
        assert!(
            !kept.contains(&3),
            "nothing runs after the transaction is gone"
        );
    }

    #[tokio::test]
    async fn a_full_queue_is_answered_busy_at_once_and_the_thread_goes_on() {
        use futures::FutureExt as _;

        let (_dir, owner) = owner();
        let (started, running) = std::sync::mpsc::channel();
        let (release, held) = std::sync::mpsc::channel::<()>();
        // One unit holds the thread, so the ones after it wait in the queue.
        let holding = owner.unit(move |_| {
            let _ = started.send(());
            let _ = held.recv();
            Ok(())
        });
        assert!(holding.now_or_never().is_none(), "queued");
        running.recv().expect("the thread runs the holding unit");
        for _ in 0..super::MOST_WAITING {
            assert!(owner.unit(|_| Ok(())).now_or_never().is_none(), "queued");
        }
        let refused = owner.unit(|_| Ok(())).now_or_never();
        assert!(
            matches!(refused, Some(Err(UnitError::Busy))),
            "answered at once, not queued: {refused:?}"
        );
        release.send(()).expect("release the thread");
        // As a client told `Retry-After` would: the queue drains, and units run again.
        let mut again = owner.unit(|_| Ok(())).await;
        for _ in 0..100 {
            if !matches!(again, Err(UnitError::Busy)) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            again = owner.unit(|_| Ok(())).await;
        }
        again.expect("the queue drains and units run again");
    }

    #[tokio::test]
    async fn a_unit_that_panics_is_answered_panicked_and_the_thread_goes_on() {
        let (_dir, owner) = owner();
        let panicked = owner
            .unit(|_| -> rusqlite::Result<()> { panic!("a bug in a unit") })
            .await;
        assert!(matches!(panicked, Err(UnitError::Panicked)), "{panicked:?}");
        owner.unit(|_| Ok(())).await.expect("the next unit runs");
    }
}
