//! What the server knows about, as types with the rules that follow from them alone: the
//! client, the grant, the resource, the finding. Both the protocol decisions
//! (`protocol/`) and the database (`store/`) use these; they use neither, so the pure
//! policies are unit-tested here without a server or a database.

pub(crate) mod client;
pub(crate) mod finding;
mod grant;
mod resource;

pub(crate) use client::Client;
pub(crate) use finding::Finding;
pub(crate) use grant::Grant;
pub(crate) use resource::{Resource, Source, TokenPolicy};
