//! The SPA, mounted in headless Chromium, checked through its DOM.
#![cfg(target_arch = "wasm32")]

use shared::CodeVerifier;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn text_of(id: &str) -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.text_content())
        .unwrap_or_else(|| panic!("#{id} is rendered"))
}

#[wasm_bindgen_test]
fn the_first_page_shows_a_pkce_pair_computed_in_the_browser() {
    leptos::mount::mount_to_body(client_wasm::App);

    let verifier = text_of("pkce-verifier");
    let challenge = text_of("pkce-challenge");
    assert_eq!(verifier.len(), 43, "{verifier}");
    let parsed = CodeVerifier::parse(&verifier).expect("the shown verifier is valid");
    assert_eq!(challenge, parsed.challenge().as_str());
    assert_eq!(text_of("pkce-sha256").len(), 64);
}
