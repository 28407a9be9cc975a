//! RFC 6749 §3.3 rules for the `scope` parameter. Native and in headless Chromium.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use shared::{ScopeError, ScopeSet};

#[test]
fn a_space_delimited_scope_list_parses_into_its_tokens() {
    let scopes = ScopeSet::parse("openid read write").expect("valid");
    assert_eq!(scopes.len(), 3);
    assert!(scopes.contains("read") && scopes.contains("write") && scopes.contains("openid"));
    assert!(!scopes.contains("admin"));
}

#[test]
fn scope_order_does_not_matter_and_duplicates_collapse() {
    assert_eq!(
        ScopeSet::parse("write read read").expect("valid"),
        ScopeSet::parse("read write").expect("valid")
    );
}

#[test]
fn a_scope_set_formats_and_parses_back_to_itself() {
    for text in ["read", "admin read write", "email openid profile read"] {
        let scopes = ScopeSet::parse(text).expect("valid");
        assert_eq!(scopes.to_string(), text);
        assert_eq!(ScopeSet::parse(&scopes.to_string()).expect("valid"), scopes);
    }
}

#[test]
fn scopes_are_case_sensitive() {
    assert!(!ScopeSet::parse("READ").expect("valid").contains("read"));
}

#[test]
fn an_empty_scope_list_is_refused() {
    assert_eq!(ScopeSet::parse(""), Err(ScopeError::Empty));
}

#[test]
fn two_spaces_in_a_row_are_an_empty_scope_token() {
    assert_eq!(ScopeSet::parse("read  write"), Err(ScopeError::EmptyToken));
    assert_eq!(ScopeSet::parse(" read"), Err(ScopeError::EmptyToken));
}

#[test]
fn quote_backslash_and_control_characters_are_not_scope_characters() {
    for bad in ["re\"ad", "re\\ad", "re\tad", "réad"] {
        assert!(
            matches!(
                ScopeSet::parse(bad),
                Err(ScopeError::InvalidCharacter { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn the_intersection_keeps_only_scopes_in_both_sets() {
    let asked = ScopeSet::parse("read write admin").expect("valid");
    let allowed = ScopeSet::parse("read write openid").expect("valid");
    let granted = asked.intersection(&allowed);
    assert_eq!(granted.to_string(), "read write");
    assert!(granted.is_subset(&asked) && granted.is_subset(&allowed));
}

#[test]
fn a_scope_set_travels_in_json_as_one_space_delimited_string() {
    let scopes = ScopeSet::parse("write read").expect("valid");
    let json = serde_json::to_string(&scopes).expect("serializes");
    assert_eq!(json, "\"read write\"");
    assert_eq!(
        serde_json::from_str::<ScopeSet>(&json).expect("parses"),
        scopes
    );
}
