//! The real `auth-server` binary as a process: stopped with SIGTERM, it finishes the request
//! in flight, takes no new ones, and exits (killed with SIGKILL: `durability.rs`).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::database_url;

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts the binary on `port` with the database at `database` (and `args`), and waits
/// until it is healthy.
pub(crate) async fn start(port: u16, database: &str, args: &[&str]) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_auth-server"))
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .args(["--database-url", database])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the auth-server binary starts");
    let health = format!("http://127.0.0.1:{port}/health");
    for _ in 0..200 {
        if reqwest::get(&health).await.is_ok_and(|r| r.status() == 200) {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("auth-server did not become healthy on port {port}");
}

#[tokio::test]
async fn on_sigterm_the_request_in_flight_finishes_new_connections_are_refused_and_the_process_exits()
 {
    let port = free_port();
    let data = tempfile::tempdir().expect("a temporary directory");
    let mut server = start(port, &database_url(&data).await, &[]).await;
    let address = format!("127.0.0.1:{port}");

    // A token request in flight: the head and half of the body sent.
    let body =
        "grant_type=client_credentials&client_id=service-client&client_secret=service-secret";
    let (first, second) = body.split_at(body.len() / 2);
    let mut stream = TcpStream::connect(&address).await.expect("connected");
    let head = format!(
        "POST /token HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("sent");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let stopped_at = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        TcpStream::connect(&address).await.is_err(),
        "a new connection is refused once shutdown has begun"
    );

    stream
        .write_all(second.as_bytes())
        .await
        .expect("the rest of the body");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .expect("the answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("access_token"), "{answer}");

    let exit = loop {
        if let Some(exit) = server.try_wait().expect("wait") {
            break exit;
        }
        assert!(
            stopped_at.elapsed() < Duration::from_secs(5),
            "still running 5 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit}");
    drop(data);
}

#[tokio::test]
async fn a_newline_in_a_client_id_cannot_forge_a_line_in_the_log() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let port = free_port();
    let log_path = data.path().join("auth-server.log");
    let log = std::fs::File::create(&log_path).expect("a log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_auth-server"))
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .args([
            "--database-url",
            &format!("sqlite://{}/auth.db", data.path().display()),
        ])
        // With the decision traces on, each check is narrated on the console too.
        .arg("--lab-traces")
        .env("RUST_LOG", "info")
        .stdout(log.try_clone().expect("the log file"))
        .stderr(log)
        .spawn()
        .expect("the auth-server binary starts");
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if reqwest::get(format!("{base}/health"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let forged = "2026-12-01T09:00:00.000000Z  INFO login succeeded username=\"alice\"";
    let response = reqwest::Client::new()
        .get(format!("{base}/authorize"))
        .query(&[
            ("client_id", format!("zz\n{forged}").as_str()),
            ("redirect_uri", "https://x.example/\r\nINJECTED"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let _ = child.kill();
    let _ = child.wait();
    let written = std::fs::read_to_string(&log_path).expect("the log");
    assert!(
        written.contains("Unknown client"),
        "the refusal is logged: {written}"
    );
    assert!(
        written.contains("✘ client"),
        "the refusal is narrated: {written}"
    );
    assert!(
        !written
            .lines()
            .any(|line| line.starts_with("2026-12-01T09:00:00")),
        "no forged line: {written}"
    );
}
