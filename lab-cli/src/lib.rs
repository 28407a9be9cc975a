//! The lab from the command line. [`flow`] runs the authorization code flow over HTTP the way
//! a browser and a public client would, step by step; [`inspect`] explains and checks a JWT
//! against the lab's published keys.

pub mod flow;
pub mod inspect;
