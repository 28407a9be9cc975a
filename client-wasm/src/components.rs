//! The components: thin views over [`crate::oauth`] and [`crate::flow_steps`].

pub mod attacks;
pub mod dashboard;
pub mod diagram;
pub mod message;
pub mod pkce_panel;
pub mod start;
pub mod timeline;
pub mod tokens;
