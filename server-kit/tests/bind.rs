use server_kit::{BindError, Server};

#[tokio::test]
async fn binding_port_zero_reports_the_port_actually_bound() {
    let server = Server::bind("127.0.0.1:0".parse().expect("addr"), "test")
        .await
        .expect("binds");
    assert_ne!(server.local_addr().port(), 0);
}

#[tokio::test]
async fn binding_a_port_in_use_fails_with_a_message_that_says_what_to_do() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let error = Server::bind(addr, "auth-server")
        .await
        .expect_err("the port is taken");
    assert!(matches!(error, BindError::AddrInUse { .. }));
    let message = error.to_string();
    assert!(
        message.contains(&format!("{addr} is already in use"))
            && message.contains("auth-server")
            && message.contains("--addr"),
        "{message}"
    );
}
