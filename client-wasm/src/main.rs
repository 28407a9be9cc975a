fn main() {
    leptos::mount::mount_to_body(client_wasm::App);
}
