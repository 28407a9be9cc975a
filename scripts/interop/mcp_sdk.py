"""The official MCP Python SDK (`mcp` on PyPI) with the lab as its authorization server.

Both halves are the SDK's own: an MCP server (`MCPServer`, streamable HTTP at /mcp) that is an
OAuth 2.1 resource server checking tokens by the lab's introspection (RFC 7662), and an MCP
client (`OAuthClientProvider`) that knows nothing but the server's URL. Every step the MCP
authorization rules ask for happens for real: the 401 and its `resource_metadata` (RFC 9728),
the authorization server's metadata (RFC 8414), dynamic registration (RFC 7591), PKCE S256
with `resource` (RFC 8707), the `iss` check on the way back (RFC 9207), the code exchange, the
tool call with the token, and a refresh. The user's part (log in, approve) is played by the
lab's headless browser, `oauth-lab approve`.

Then the same SDK client against the lab's own MCP endpoint (the resource server's /mcp): its
tools need read, write or admin, and a call beyond the token's scope is answered 403
`insufficient_scope`, from which the SDK steps up to a token with the scope it now needs.

Last, the same client with a Client ID Metadata Document instead of a registration: the
document is served over https on this machine, and the lab fetches it at /authorize.

Run by scripts/interop.sh:
python mcp_sdk.py --issuer URL --oauth-lab PATH --lab-mcp URL --tls-dir DIR
"""

import argparse
import asyncio
import base64
import http.server
import json
import pathlib
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import uvicorn
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

# The lab's seeded confidential client that may introspect (docs/configuration.md).
INTROSPECTION_CLIENT = ("resource-server", "resource-server-secret")


def say(message: str) -> None:
    print(f"[mcp-sdk] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class IntrospectionVerifier:
    """What an MCP server developer writes: ask the authorization server about each token."""

    def __init__(self, issuer: str, resource: str):
        self.issuer = issuer
        self.resource = resource

    async def verify_token(self, token: str) -> AccessToken | None:
        return await asyncio.to_thread(self._introspect, token)

    def _introspect(self, token: str) -> AccessToken | None:
        credentials = base64.b64encode(":".join(INTROSPECTION_CLIENT).encode()).decode()
        request = urllib.request.Request(
            f"{self.issuer}/introspect",
            data=urllib.parse.urlencode({"token": token}).encode(),
            headers={"Authorization": f"Basic {credentials}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            claims = json.load(response)
        if not claims.get("active"):
            return None
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        return AccessToken(
            token=token,
            client_id=claims["client_id"],
            scopes=claims.get("scope", "").split(),
            expires_at=claims.get("exp"),
            resource=self.resource if self.resource in audiences else None,
            subject=claims.get("sub"),
        )


def start_mcp_server(issuer: str, port: int) -> str:
    """The SDK's MCP server on `port`, in a thread; returns its URL (its resource id)."""
    resource = f"http://127.0.0.1:{port}/mcp"
    server = MCPServer(
        "lab-interop",
        token_verifier=IntrospectionVerifier(issuer, resource),
        auth=AuthSettings(
            issuer_url=issuer,
            resource_server_url=resource,
            required_scopes=["read"],
            validate_token_resource=True,
        ),
    )

    @server.tool()
    def whoami() -> str:
        """Who the access token speaks for."""
        token = get_access_token()
        return f"client {token.client_id} for {token.subject} with {' '.join(token.scopes)}"

    config = uvicorn.Config(
        server.streamable_http_app(), host="127.0.0.1", port=port, log_level="warning"
    )
    running = uvicorn.Server(config)
    threading.Thread(target=running.run, daemon=True).start()
    deadline = time.monotonic() + 20
    while not running.started:
        if time.monotonic() > deadline:
            raise SystemExit("the MCP server did not start within 20 s")
        time.sleep(0.05)
    return resource


class MemoryStorage(TokenStorage):
    def __init__(self):
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


class User:
    """The user at the browser: `oauth-lab approve` logs alice in and approves. Keeps the
    scope of every authorization request the client made, and the redirect back."""

    def __init__(self, oauth_lab: str, resource: str):
        self.oauth_lab = oauth_lab
        self.resource = resource
        self.scopes_asked: list[str] = []
        self.client_ids: list[str] = []
        self.answer: dict[str, str] = {}

    async def redirect_handler(self, url: str) -> None:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        assert query.get("code_challenge_method") == "S256", query
        assert query.get("resource") == self.resource, query
        self.scopes_asked.append(query.get("scope", ""))
        self.client_ids.append(query.get("client_id", ""))
        say(
            f"the client opens /authorize (PKCE S256, resource={self.resource}, "
            f"scope={query.get('scope')}); oauth-lab approve plays alice"
        )
        done = await asyncio.to_thread(
            subprocess.run,
            [self.oauth_lab, "approve", url, "--username", "alice"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise SystemExit(f"oauth-lab approve failed: {done.stderr}")
        back = urllib.parse.urlsplit(done.stdout.strip())
        self.answer = dict(urllib.parse.parse_qsl(back.query))

    async def callback_handler(self) -> AuthorizationCodeResult:
        return AuthorizationCodeResult(
            code=self.answer["code"], state=self.answer.get("state"), iss=self.answer.get("iss")
        )


def client_for(
    resource: str,
    user: User,
    storage: MemoryStorage,
    redirect_uri: str | None = None,
    client_metadata_url: str | None = None,
) -> OAuthClientProvider:
    """The SDK's OAuth client, told nothing but the MCP server's URL (and, for a client with
    a metadata document, the document's URL)."""
    return OAuthClientProvider(
        server_url=resource,
        client_metadata=OAuthClientMetadata(
            client_name="MCP Python SDK (lab interop)",
            redirect_uris=[redirect_uri or f"http://127.0.0.1:{free_port()}/callback"],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=user.redirect_handler,
        callback_handler=user.callback_handler,
        client_metadata_url=client_metadata_url,
    )


def serve_document(tls_dir: pathlib.Path, redirect_uri: str) -> str:
    """Serves the SDK client's metadata document over https on this machine (the
    certificate is signed by the CA the authorization server trusts, `--trust-ca`); returns
    its URL, which is the client's id."""
    port = free_port()
    url = f"https://127.0.0.1:{port}/mcp-client.json"
    document = json.dumps(
        {
            "client_id": url,
            "client_name": "MCP Python SDK (metadata document)",
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "application_type": "native",
        }
    ).encode()

    class Document(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Document)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_dir / "server.pem", tls_dir / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return url


async def sdk_server(issuer: str, oauth_lab: str) -> None:
    """The SDK's client and the SDK's server, the lab between them."""
    resource = start_mcp_server(issuer, free_port())
    say(f"the SDK's MCP server is at {resource}, protected by {issuer}")
    storage = MemoryStorage()
    auth = client_for(resource, User(oauth_lab, resource), storage)
    async with create_mcp_http_client(auth=auth) as http_client:
        async with streamable_http_client(resource, http_client=http_client) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = await session.list_tools()
                assert [tool.name for tool in tools.tools] == ["whoami"], tools
                result = await session.call_tool("whoami", {})
                text = result.content[0].text
                say(f"tool call with the lab's token: {text}")
                assert not result.is_error, result
                assert "read" in text.split(" with ")[1], text

    assert storage.client_info is not None, "registered dynamically"
    assert storage.client_info.client_id.startswith("client-"), storage.client_info
    assert storage.tokens is not None and storage.tokens.refresh_token, storage.tokens
    say(f"registered as {storage.client_info.client_id}; got a refresh token")

    # A refresh, as the SDK's provider makes it when the access token expires.
    old_refresh = storage.tokens.refresh_token
    body = urllib.parse.urlencode(
        {
            "grant_type": "refresh_token",
            "refresh_token": old_refresh,
            "client_id": storage.client_info.client_id,
            "resource": resource,
        }
    ).encode()
    with urllib.request.urlopen(f"{issuer}/token", data=body, timeout=10) as response:
        refreshed = json.load(response)
    assert refreshed["refresh_token"] != old_refresh, "rotated"
    verifier = IntrospectionVerifier(issuer, resource)
    assert verifier._introspect(refreshed["access_token"]).resource == resource
    say("refreshed with rotation; the new access token is still meant for the MCP server")


async def lab_server(mcp: str, oauth_lab: str) -> None:
    """The SDK's client and the lab's own MCP endpoint (the resource server's /mcp): a tool
    call beyond the token's scope is a 403 `insufficient_scope`, and the SDK steps up."""
    say(f"the lab's MCP endpoint is at {mcp}")
    user = User(oauth_lab, mcp)
    storage = MemoryStorage()
    auth = client_for(mcp, user, storage)
    async with create_mcp_http_client(auth=auth) as http_client:
        async with streamable_http_client(mcp, http_client=http_client) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = await session.list_tools()
                names = sorted(tool.name for tool in tools.tools)
                assert names == ["add_note", "list_notes", "stats"], names
                listed = await session.call_tool("list_notes", {})
                assert not listed.is_error, listed
                say(f"tools {names}; list_notes with scope {user.scopes_asked[0]!r}")
                added = await session.call_tool("add_note", {"text": "from the MCP SDK"})
                assert not added.is_error, added
                listed = await session.call_tool("list_notes", {})
                assert "from the MCP SDK" in listed.content[0].text, listed
    assert len(user.scopes_asked) == 2, user.scopes_asked
    first, second = (set(scope.split()) for scope in user.scopes_asked)
    assert "read" in first and "write" not in first, first
    assert {"read", "write"} <= second, second
    say(f"add_note answered 403 insufficient_scope; the SDK stepped up to {user.scopes_asked[1]!r}")


async def document_client(mcp: str, oauth_lab: str, tls_dir: pathlib.Path) -> None:
    """The SDK's client with a Client ID Metadata Document instead of a registration: the
    lab advertises them, so the SDK sends its document's URL as `client_id`, and the lab
    fetches the document (over https) before the user sees anything."""
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    document = serve_document(tls_dir, redirect_uri)
    say(f"the client's metadata document is at {document}")
    user = User(oauth_lab, mcp)
    storage = MemoryStorage()
    auth = client_for(mcp, user, storage, redirect_uri, client_metadata_url=document)
    async with create_mcp_http_client(auth=auth) as http_client:
        async with streamable_http_client(mcp, http_client=http_client) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                listed = await session.call_tool("list_notes", {})
                assert not listed.is_error, listed
    assert storage.client_info is not None and storage.client_info.client_id == document, (
        storage.client_info
    )
    assert user.client_ids == [document], user.client_ids
    say("no registration: the client's id was its document's URL, and the lab accepted it")


async def run(issuer: str, oauth_lab: str, lab_mcp: str, tls_dir: pathlib.Path) -> None:
    await sdk_server(issuer, oauth_lab)
    await lab_server(lab_mcp, oauth_lab)
    await document_client(lab_mcp, oauth_lab, tls_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--oauth-lab", required=True)
    parser.add_argument("--lab-mcp", required=True, help="the lab resource server's /mcp")
    parser.add_argument(
        "--tls-dir",
        required=True,
        type=pathlib.Path,
        help="server.pem and server.key, signed by the CA the authorization server trusts",
    )
    args = parser.parse_args()
    run_all = run(args.issuer, args.oauth_lab, args.lab_mcp, args.tls_dir)
    asyncio.run(asyncio.wait_for(run_all, timeout=180))
    say("passed")


if __name__ == "__main__":
    sys.exit(main())
