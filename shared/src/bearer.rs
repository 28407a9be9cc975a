//! Where a bearer access token may be, read the same way by every server of the lab: in
//! one `Authorization: Bearer <token>` header (RFC 6750 §2.1), never in the URL (OAuth 2.1
//! §5.2.2: RFC 6750 §2.3's `?access_token=` is gone, because a URL ends up in logs,
//! history and `Referer` headers). Each server words the refusal for its own endpoint.

use crate::form::{form_decode, param};

/// The realm of every bearer challenge of the lab (`WWW-Authenticate: Bearer realm=...`,
/// RFC 6750 §3).
pub const REALM: &str = "oauth-lab";

/// Why a request carries no usable bearer token in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderRefusal {
    /// No `Authorization` header.
    Missing,
    /// More than one `Authorization` header: which one would count is anyone's guess.
    Repeated,
    /// An `Authorization` header that is not `Bearer <token>`.
    NotBearer,
}

/// The `access_token` of a query string, if it has one (even an empty one): a token sent
/// where it must not be.
pub fn token_in_query(query: Option<&str>) -> Option<String> {
    param(&form_decode(query?), "access_token").map(str::to_owned)
}

/// The token of the request's `Authorization` header values: exactly one header, the
/// `Bearer` scheme in any case (RFC 6750 §2.1, RFC 9110 §11.1), a token that is not empty.
pub fn header_token<'a>(
    authorization: impl IntoIterator<Item = &'a [u8]>,
) -> Result<&'a str, HeaderRefusal> {
    let mut values = authorization.into_iter();
    let value = match (values.next(), values.next()) {
        (None, _) => return Err(HeaderRefusal::Missing),
        (Some(_), Some(_)) => return Err(HeaderRefusal::Repeated),
        (Some(value), None) => value,
    };
    std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .map(|(_, token)| token.trim())
        .ok_or(HeaderRefusal::NotBearer)
}

#[cfg(test)]
mod tests {
    use super::{HeaderRefusal, header_token, token_in_query};

    #[test]
    fn a_token_is_read_from_one_bearer_header_in_any_case() {
        assert_eq!(header_token([b"Bearer abc".as_slice()]), Ok("abc"));
        assert_eq!(header_token([b"bEaReR  abc ".as_slice()]), Ok("abc"));
    }

    #[test]
    fn no_header_two_headers_another_scheme_or_an_empty_token_is_refused() {
        assert_eq!(header_token([]), Err(HeaderRefusal::Missing));
        assert_eq!(
            header_token([b"Bearer a".as_slice(), b"Bearer b".as_slice()]),
            Err(HeaderRefusal::Repeated)
        );
        for value in ["Basic YTpi", "Bearer", "Bearer ", "Bearerabc", "DPoP abc"] {
            assert_eq!(
                header_token([value.as_bytes()]),
                Err(HeaderRefusal::NotBearer),
                "{value}"
            );
        }
    }

    #[test]
    fn a_token_in_the_query_string_is_found_even_empty_or_encoded() {
        assert_eq!(token_in_query(None), None);
        assert_eq!(token_in_query(Some("a=1")), None);
        assert_eq!(token_in_query(Some("access_token=x")), Some("x".to_owned()));
        assert_eq!(
            token_in_query(Some("a=1&access_token")),
            Some(String::new())
        );
        assert_eq!(
            token_in_query(Some("access%5Ftoken=x")),
            Some("x".to_owned())
        );
    }
}
