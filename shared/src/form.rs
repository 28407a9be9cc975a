//! `application/x-www-form-urlencoded`, both ways: query strings and form bodies.

use std::borrow::Borrow;

/// `application/x-www-form-urlencoded`, from any list of name and value pairs (borrowed
/// strings, or owned values such as `shared::client::authorization_params` makes).
pub fn form_encode<I, K, V>(pairs: I) -> String
where
    I: IntoIterator,
    I::Item: Borrow<(K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Decodes `application/x-www-form-urlencoded` (a leading `?` is ignored).
pub fn form_decode(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
        .into_owned()
        .collect()
}

/// The value of the first parameter `name` in decoded `params`.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}
