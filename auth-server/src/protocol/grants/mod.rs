//! The grants of the token endpoint (RFC 6749 §4-6, OAuth 2.1 §4), one file each: the
//! ordered checks of each, over `shared` types and the store. The endpoint
//! (`routes/token.rs`) reads the request, authenticates the client and picks the grant.

pub(crate) mod authorization_code;
pub(crate) mod client_credentials;
pub(crate) mod refresh_token;

use server_kit::trace::{Check, Recorder};
use shared::{TokenErrorCode, TokenRequestForm};

use crate::error::ApiError;
use crate::model::Grant;

const SAME_RESOURCE: Check = Check::new(
    "resource_same",
    "RFC 8707 §2.2",
    "The resource asked for is the one this grant was approved for.",
);

/// RFC 8707 §2.2: a `resource` at the token endpoint must be one the grant covers; this
/// server issues each grant's tokens for one resource, chosen at `/authorize`.
pub(crate) fn check_same_resource(
    trace: &Recorder,
    grant: &Grant,
    form: &TokenRequestForm,
) -> Result<(), ApiError> {
    match form.resource.as_deref() {
        None => {
            trace.not_applicable(
                &SAME_RESOURCE,
                "no resource parameter: the grant's resource",
            );
            Ok(())
        }
        Some(resource) => {
            let same = if resource == grant.resource {
                Ok(())
            } else {
                Err(ApiError::new(
                    TokenErrorCode::InvalidTarget,
                    format!("this grant is for the resource {}", grant.resource),
                ))
            };
            trace.check(&SAME_RESOURCE, same)
        }
    }
}
