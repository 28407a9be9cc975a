//! Password checks, with bcrypt run off the async executor (it is slow on purpose), a few
//! at a time, behind a bounded queue.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use crate::error::Internal;
use crate::store::User;

/// bcrypt's cost for every stored password: 2^12 rounds.
pub(crate) const BCRYPT_COST: u32 = 12;

/// bcrypt reads at most 72 bytes of a password and ignores the rest, so two passwords that
/// share their first 72 bytes would both log in. Longer passwords are refused at signup.
pub(crate) const MAX_PASSWORD_BYTES: usize = 72;

/// A bcrypt hash (cost 12) of a password no account has. Checking a login for an unknown
/// username verifies against it, so that a wrong username costs the same time as a wrong
/// password and the response time does not reveal which usernames exist.
const DUMMY_HASH: &str = "$2b$12$teyN2UzoejFKOykWh2gWNeXWwMF2x7BA2U2SLDpTxcnz.v.aa98P2";

/// How many checks may wait per running slot. A check takes about a quarter of a second, so
/// a full queue drains in about four seconds, well inside the request timeout; beyond it a
/// login is answered `429` at once instead of timing out behind an attacker's burst.
const QUEUE_PER_SLOT: usize = 16;

/// The password queue is full: try again in a second.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Busy;

/// Runs bcrypt: at most `slots` at once (all cores but one, so a storm of logins queues
/// instead of starving the threads that answer `/token`), at most `capacity` admitted.
#[derive(Debug)]
pub(crate) struct Passwords {
    slots: Semaphore,
    admitted: AtomicUsize,
    capacity: usize,
}

impl Default for Passwords {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let slots = cores.saturating_sub(1).max(1);
        Self {
            slots: Semaphore::new(slots),
            admitted: AtomicUsize::new(0),
            capacity: slots * QUEUE_PER_SLOT,
        }
    }
}

/// One admitted check; leaving the queue when dropped.
struct Ticket<'a>(&'a AtomicUsize);

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Passwords {
    fn admit(&self) -> Result<Ticket<'_>, Busy> {
        let before = self.admitted.fetch_add(1, Ordering::AcqRel);
        let ticket = Ticket(&self.admitted);
        if before >= self.capacity {
            return Err(Busy);
        }
        Ok(ticket)
    }

    /// Runs `work` (a bcrypt call) on a blocking thread once a slot is free, if the queue
    /// admits it.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, bcrypt::BcryptError> + Send + 'static,
    ) -> Result<Result<T, Busy>, Internal> {
        let Ok(_ticket) = self.admit() else {
            return Ok(Err(Busy));
        };
        let _slot = self.slots.acquire().await.map_err(Internal::new)?;
        Ok(Ok(tokio::task::spawn_blocking(work).await??))
    }

    /// Checks `password` for `user` (or, for an unknown user, against the dummy hash and
    /// fails).
    pub(crate) async fn verify(
        &self,
        user: Option<&User>,
        password: String,
    ) -> Result<Result<bool, Busy>, Internal> {
        let (hash, known) = match user {
            Some(user) => (user.password_hash.clone(), true),
            None => (DUMMY_HASH.to_owned(), false),
        };
        let matches = self.run(move || bcrypt::verify(password, &hash)).await?;
        Ok(matches.map(|matches| known && matches))
    }

    /// A bcrypt hash (cost 12) of `password`, for a new account; one of the same slots.
    pub(crate) async fn hash(&self, password: String) -> Result<Result<String, Busy>, Internal> {
        self.run(move || bcrypt::hash(password, BCRYPT_COST)).await
    }
}
