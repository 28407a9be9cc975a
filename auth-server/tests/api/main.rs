//! Integration tests: the real authorization server on 127.0.0.1:0, spoken to over HTTP.
//! One test per protocol rule, named as the rule.

mod accounts;
mod authorize;
mod bad_input;
mod client_documents;
mod client_report;
mod discovery;
mod durability;
mod health;
mod helpers;
mod keys;
mod lifecycle;
mod login;
mod loopback;
mod oidc;
mod process;
mod protections;
mod races;
mod register;
mod remembered_consent;
mod replicas;
mod resource_registry;
mod resources;
mod self_registration;
mod self_service;
mod storage;
mod throttling;
mod token;
mod traces;
