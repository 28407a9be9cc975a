"""Authlib (PyPI; pinned in scripts/interop/requirements.txt), a widely used Python OAuth and
OpenID Connect client, against the lab's authorization server: discovery, the code flow with
PKCE S256 (the state checked by the library, `iss` by the application as RFC 9207 asks), the
ID token verified by the library against the published JWKS (signature, `iss`, `aud`,
`nonce`, `at_hash`), UserInfo, a refresh with rotation, client credentials, introspection and
revocation. Registration is a plain RFC 7591 POST (Authlib has no registration client),
asking for ID tokens signed with `--alg`. The user is `oauth-lab approve`. Over https, the
lab's certificate authority is trusted through SSL_CERT_FILE (httpx reads it).

Run by scripts/interop.sh: python oidc_authlib.py --issuer URL --oauth-lab PATH --alg ALG
"""

import argparse
import secrets
import subprocess
import sys
import urllib.parse

import warnings

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.integrations.httpx_client import OAuth2Client

# authlib.jose still holds Authlib's OpenID Connect ID-token rules (CodeIDToken: iss, aud,
# nonce, at_hash, exp); it warns that it will move to joserfc by Authlib 2.0.
warnings.filterwarnings("ignore", category=AuthlibDeprecationWarning)
from authlib.jose import JsonWebKey, jwt  # noqa: E402
from authlib.oidc.core import CodeIDToken  # noqa: E402

REDIRECT_URI = "http://127.0.0.1:34568/callback"
SCOPE = "openid profile email read"


def say(message: str) -> None:
    print(f"[authlib] {message}", flush=True)


def run(issuer: str, oauth_lab: str, alg: str) -> None:
    metadata = httpx.get(f"{issuer}/.well-known/openid-configuration").raise_for_status().json()
    assert metadata["issuer"] == issuer, metadata
    registered = httpx.post(
        metadata["registration_endpoint"],
        json={
            "client_name": "Authlib (lab interop)",
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "application_type": "native",
            "scope": SCOPE,
            "id_token_signed_response_alg": alg,
        },
    ).raise_for_status().json()
    client_id = registered["client_id"]
    say(f"discovered {issuer}; registered as {client_id}, ID tokens in {alg}")

    client = OAuth2Client(
        client_id,
        redirect_uri=REDIRECT_URI,
        scope=SCOPE,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = secrets.token_urlsafe(48)  # RFC 7636 §4.1: 43 to 128 characters
    nonce = secrets.token_urlsafe(16)
    url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    back = subprocess.run(
        [oauth_lab, "approve", url, "--username", "alice"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    answer = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back).query))
    assert answer.get("iss") == issuer, answer  # RFC 9207, the application's check
    token = client.fetch_token(
        metadata["token_endpoint"],
        authorization_response=back,
        state=state,
        code_verifier=verifier,
    )
    keys = JsonWebKey.import_key_set(httpx.get(metadata["jwks_uri"]).raise_for_status().json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"values": [issuer]}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate()
    assert claims.header["alg"] == alg, claims.header
    say(f"code flow: an {alg} ID token for {claims['sub']}, verified against the JWKS (iss, aud, nonce, at_hash)")

    info = client.get(metadata["userinfo_endpoint"]).raise_for_status().json()
    assert info["sub"] == claims["sub"] and info["preferred_username"] == "alice", info
    say(f"userinfo: {info['preferred_username']} <{info['email']}>")

    old_refresh = token["refresh_token"]
    refreshed = client.refresh_token(metadata["token_endpoint"], refresh_token=old_refresh)
    assert refreshed["refresh_token"] != old_refresh, "rotated"
    say("refresh: a new access token and a new refresh token")

    service = OAuth2Client("service-client", "service-secret")
    granted = service.fetch_token(
        metadata["token_endpoint"], grant_type="client_credentials", scope="read"
    )
    introspector = OAuth2Client("resource-server", "resource-server-secret")
    active = introspector.introspect_token(
        metadata["introspection_endpoint"], token=granted["access_token"]
    ).raise_for_status().json()
    assert active["active"] is True and active["client_id"] == "service-client", active
    say(f"client credentials: scope {granted['scope']}; introspection says active")

    client.revoke_token(
        metadata["revocation_endpoint"],
        token=refreshed["refresh_token"],
        token_type_hint="refresh_token",
    ).raise_for_status()
    revoked = introspector.introspect_token(
        metadata["introspection_endpoint"], token=refreshed["access_token"]
    ).raise_for_status().json()
    assert revoked["active"] is False, revoked
    say("revocation of the refresh token: its access token introspects inactive")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--oauth-lab", required=True)
    parser.add_argument("--alg", required=True, choices=["RS256", "ES256", "EdDSA"])
    args = parser.parse_args()
    run(args.issuer, args.oauth_lab, args.alg)
    say("passed")


if __name__ == "__main__":
    sys.exit(main())
