//! The MCP endpoint, `/mcp`: a protected resource of its own, spoken to in MCP's streamable
//! HTTP (JSON-RPC in a POST, answered as a server-sent event), with the scope of each tool
//! checked on the HTTP request.

use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::{Value, json};

use crate::helpers::{AUDIENCE, Lab, MCP, spawn_lab};

const METADATA: &str = "http://localhost:8082/.well-known/oauth-protected-resource/mcp";

/// A session with the MCP endpoint, as an MCP client holds it.
struct Session<'a> {
    lab: &'a Lab,
    token: String,
    id: Option<String>,
    next_id: u64,
}

impl<'a> Session<'a> {
    /// Initializes a session with `token` (MCP lifecycle: `initialize`, then
    /// `notifications/initialized`).
    async fn open(lab: &'a Lab, token: String) -> Self {
        let mut session = Self {
            lab,
            token,
            id: None,
            next_id: 0,
        };
        let (status, answer) = session
            .request(
                "initialize",
                json!({
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "lab-test", "version": "1"},
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["result"]["serverInfo"]["name"], "oauth-lab-notes");
        let response = session
            .post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        session
    }

    async fn post(&mut self, message: &Value) -> reqwest::Response {
        let request = self
            .lab
            .http
            .post(format!("{}/mcp", self.lab.resource))
            .bearer_auth(&self.token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-06-18")
            .json(message);
        let request = match &self.id {
            Some(id) => request.header("mcp-session-id", id),
            None => request,
        };
        let response = request.send().await.expect("sent");
        if let Some(id) = response.headers().get("mcp-session-id") {
            self.id = Some(id.to_str().expect("ASCII").to_owned());
        }
        response
    }

    /// Sends the request `method` and returns the status and the JSON-RPC answer (from the
    /// event stream, or the body if it is not one).
    async fn request(&mut self, method: &str, params: Value) -> (StatusCode, Value) {
        self.next_id += 1;
        let message =
            json!({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params});
        let response = self.post(&message).await;
        let status = response.status();
        let body = response.text().await.expect("a body");
        let answer = body
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
            .find(|message| message.get("id").is_some())
            .unwrap_or_else(|| serde_json::from_str(&body).unwrap_or(Value::String(body)));
        (status, answer)
    }

    async fn call_tool(&mut self, name: &str, arguments: Value) -> (StatusCode, Value) {
        self.request("tools/call", json!({"name": name, "arguments": arguments}))
            .await
    }
}

/// The tool result's text, parsed as JSON.
fn tool_json(answer: &Value) -> Value {
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    let text = answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("a text result: {answer}"));
    serde_json::from_str(text).expect("JSON in the text")
}

fn challenge(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(WWW_AUTHENTICATE)
        .expect("a challenge")
        .to_str()
        .expect("ASCII")
        .to_owned()
}

async fn post_initialize(lab: &Lab, token: Option<&str>) -> reqwest::Response {
    let request = lab
        .http
        .post(format!("{}/mcp", lab.resource))
        .header("accept", "application/json, text/event-stream")
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "lab-test", "version": "1"}}}),
        );
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.expect("sent")
}

#[tokio::test]
async fn the_mcp_endpoint_without_a_token_is_401_naming_its_own_metadata_and_the_scope_read() {
    let lab = spawn_lab().await;
    let response = post_initialize(&lab, None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = challenge(&response);
    assert!(
        challenge.contains(&format!("resource_metadata=\"{METADATA}\"")),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"read\""), "{challenge}");
    assert!(!challenge.contains("error="), "{challenge}");
}

#[tokio::test]
async fn the_mcp_metadata_is_at_the_path_inserted_well_known_and_names_the_mcp_resource() {
    let lab = spawn_lab().await;
    let metadata: Value = lab
        .get("/.well-known/oauth-protected-resource/mcp", None)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(metadata["resource"], MCP);
    assert_eq!(metadata["authorization_servers"], json!([lab.issuer]));
    assert_eq!(
        metadata["scopes_supported"],
        json!(["read", "write", "admin"])
    );
    let api: Value = lab
        .get("/.well-known/oauth-protected-resource", None)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(api["resource"], AUDIENCE, "the API keeps its own");
}

#[tokio::test]
async fn a_token_for_the_api_is_refused_by_the_mcp_endpoint_as_meant_for_another_resource() {
    let lab = spawn_lab().await;
    let api_token = lab.token("read").await;
    let response = post_initialize(&lab, Some(&api_token)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = challenge(&response);
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(challenge.contains("(aud)"), "{challenge}");
    assert!(challenge.contains(METADATA), "{challenge}");
}

#[tokio::test]
async fn a_token_for_the_mcp_endpoint_is_refused_by_the_api_as_meant_for_another_resource() {
    let lab = spawn_lab().await;
    let mcp_token = lab.mcp_token("read").await;
    let response = lab.get("/api/notes", Some(&mcp_token)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn a_read_token_initializes_lists_the_three_tools_and_lists_the_callers_notes() {
    let lab = spawn_lab().await;
    let mut session = Session::open(&lab, lab.mcp_token("read").await).await;
    let (status, answer) = session.request("tools/list", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let mut names: Vec<&str> = answer["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|tool| tool["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["add_note", "list_notes", "stats"]);
    let (status, answer) = session.call_tool("list_notes", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tool_json(&answer), json!([]));
}

#[tokio::test]
async fn a_tool_call_beyond_the_tokens_scope_is_403_insufficient_scope_naming_the_tools_scope() {
    let lab = spawn_lab().await;
    let mut session = Session::open(&lab, lab.mcp_token("read").await).await;
    for (tool, scope) in [("add_note", "write"), ("stats", "admin")] {
        let response = session
            .post(&json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                "params": {"name": tool, "arguments": {"text": "hello"}}}))
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{tool}");
        let challenge = challenge(&response);
        assert!(
            challenge.contains("error=\"insufficient_scope\""),
            "{challenge}"
        );
        assert!(
            challenge.contains(&format!("scope=\"{scope}\"")),
            "{challenge}"
        );
        assert!(challenge.contains(METADATA), "{challenge}");
    }
}

#[tokio::test]
async fn a_write_token_adds_a_note_through_the_tool_and_the_api_lists_it_for_the_same_user() {
    let lab = spawn_lab().await;
    let mut session = Session::open(&lab, lab.mcp_token("read write").await).await;
    let (status, answer) = session
        .call_tool("add_note", json!({"text": "written by an MCP client"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tool_json(&answer)["text"], "written by an MCP client");
    let (_, answer) = session.call_tool("list_notes", json!({})).await;
    assert_eq!(tool_json(&answer)[0]["text"], "written by an MCP client");

    let notes: Value = lab
        .get("/api/notes", Some(&lab.token("read").await))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(notes[0]["text"], "written by an MCP client");
}

#[tokio::test]
async fn an_empty_note_through_the_tool_is_a_tool_error_saying_why() {
    let lab = spawn_lab().await;
    let mut session = Session::open(&lab, lab.mcp_token("read write").await).await;
    let (status, answer) = session.call_tool("add_note", json!({"text": ""})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert_eq!(
        answer["result"]["content"][0]["text"],
        "text must be 1 to 1000 characters, got 0"
    );
}

#[tokio::test]
async fn a_json_rpc_batch_is_400_invalid_request_so_no_call_slips_past_the_scope_check() {
    let lab = spawn_lab().await;
    let token = lab.mcp_token("read").await;
    let response = lab
        .http
        .post(format!("{}/mcp", lab.resource))
        .bearer_auth(&token)
        .header("accept", "application/json, text/event-stream")
        .json(&json!([{"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "stats", "arguments": {}}}]))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn an_mcp_session_answers_only_the_user_who_opened_it_and_is_404_to_anyone_else() {
    let lab = spawn_lab().await;
    let mut alice = Session::open(&lab, lab.mcp_token("read").await).await;
    let (bob_name, bob_password) = shared::demo::ACCOUNTS[1];
    let bob_token = lab
        .tokens_for_resource(bob_name, bob_password, "read", Some(MCP))
        .await
        .access_token
        .secret()
        .to_owned();
    let mut bob = Session {
        lab: &lab,
        token: bob_token.clone(),
        id: alice.id.clone(),
        next_id: 0,
    };
    let (status, _) = bob.call_tool("list_notes", json!({})).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "bob cannot use alice's session"
    );
    let deleted = lab
        .http
        .delete(format!("{}/mcp", lab.resource))
        .bearer_auth(&bob_token)
        .header("mcp-session-id", alice.id.as_deref().expect("a session id"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        deleted.status(),
        StatusCode::NOT_FOUND,
        "bob cannot end alice's session"
    );
    let (status, answer) = alice.call_tool("list_notes", json!({})).await;
    assert_eq!(status, StatusCode::OK, "alice's session goes on: {answer}");
}
