//! The components: thin views over [`crate::oauth`].

pub mod pkce_panel;
