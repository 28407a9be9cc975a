//! Password checks, with bcrypt run off the async executor (it is slow on purpose).

use std::sync::LazyLock;

use tokio::sync::Semaphore;

use crate::error::Internal;
use crate::store::User;

/// bcrypt's cost for every stored password: 2^12 rounds.
pub(crate) const BCRYPT_COST: u32 = 12;

/// A bcrypt hash (cost 12) of a password no account has. Checking a login for an unknown
/// username verifies against it, so that a wrong username costs the same time as a wrong
/// password and the response time does not reveal which usernames exist.
const DUMMY_HASH: &str = "$2b$12$teyN2UzoejFKOykWh2gWNeXWwMF2x7BA2U2SLDpTxcnz.v.aa98P2";

/// How many bcrypt checks may run at once: all cores but one, so that a storm of logins
/// (each about a quarter of a second of CPU) queues up instead of starving the threads that
/// answer `/token` and the other endpoints.
static BCRYPT_SLOTS: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    Semaphore::new(cores.saturating_sub(1).max(1))
});

/// Checks `password` for `user` (or, for an unknown user, against the dummy hash and fails).
pub(crate) async fn verify(user: Option<&User>, password: String) -> Result<bool, Internal> {
    let (hash, known) = match user {
        Some(user) => (user.password_hash.clone(), true),
        None => (DUMMY_HASH.to_owned(), false),
    };
    let _slot = BCRYPT_SLOTS.acquire().await.map_err(Internal::new)?;
    let matches = tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash)).await??;
    Ok(known && matches)
}

/// A bcrypt hash (cost 12) of `password`, for a new account; one of the same slots.
pub(crate) async fn hash(password: String) -> Result<String, Internal> {
    let _slot = BCRYPT_SLOTS.acquire().await.map_err(Internal::new)?;
    Ok(tokio::task::spawn_blocking(move || bcrypt::hash(password, BCRYPT_COST)).await??)
}
