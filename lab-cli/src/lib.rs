//! The lab from the command line. [`cli`] is `oauth-lab`'s commands; [`flow`] runs the
//! authorization code flow over HTTP the way a browser and a public client would, step by
//! step; [`inspect`] checks a JWT against the lab's published keys; [`traces`] reads the
//! servers' decision traces (`oauth-lab watch`, and under each step of `flow`); [`browser`] is the
//! headless browser the flow, the benchmark and the servers' tests all use to log in and
//! consent.

pub mod browser;
pub mod cli;
pub mod flow;
pub mod inspect;
pub mod traces;
