//! Integration tests: the real resource server on 127.0.0.1:0, spoken to over HTTP.

mod health;
mod helpers;
