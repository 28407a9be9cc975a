//! Integration tests: the real authorization server on 127.0.0.1:0, spoken to over HTTP.
//! One test per protocol rule, named as the rule.

mod authorize;
mod bad_input;
mod client_credentials;
mod client_documents;
mod client_report;
mod clients_pages;
mod discovery;
mod durability;
mod health;
mod helpers;
mod introspection;
mod keys;
mod login;
mod logout;
mod loopback;
mod oidc;
mod process;
mod protections;
mod races;
mod refresh;
mod register;
mod remembered_consent;
mod replicas;
mod resource_registry;
mod resources;
mod revocation;
mod self_registration;
mod signup;
mod storage;
mod throttling;
mod token;
mod traces;
