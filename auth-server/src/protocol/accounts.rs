//! The users' accounts: found by username at login, made at signup. A username is taken
//! once; whether a password is right is `protocol/password.rs` (bcrypt).

use server_kit::db::Db;

use crate::error::Internal;
use crate::store::{self, NewUser, User};

/// The user named `username`, if there is one.
pub(crate) async fn by_name(db: &Db, username: &str) -> Result<Option<User>, Internal> {
    store::find_user_by_name(db, username).await
}

/// Makes the account `user` describes: its id, or `None` if the username is taken (by a
/// signup that won a race with this one: the username is unique in the database).
pub(crate) async fn create(db: &Db, user: &NewUser<'_>) -> Result<Option<String>, Internal> {
    store::insert_user(db, user).await
}
