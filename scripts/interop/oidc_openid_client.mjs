// openid-client (npm, a certified OpenID Connect relying party; pinned in
// scripts/interop/package.json) against the lab's authorization server: discovery, dynamic
// registration, the code flow with PKCE S256, `state`, `nonce` and `iss` checked by the
// library, the ID token's signature verified against the published JWKS
// (`enableNonRepudiationChecks`), UserInfo, a refresh with rotation, client credentials,
// introspection and revocation, with ID tokens signed with `--alg` (registered as
// `id_token_signed_response_alg`, which the library then insists on). Over http, which the
// library allows only when told (`allowInsecureRequests`), or over https with the lab's
// certificate authority trusted through NODE_EXTRA_CA_CERTS. The user is `oauth-lab approve`.
//
// Run by scripts/interop.sh: node oidc_openid_client.mjs --issuer URL --oauth-lab PATH --alg ALG

import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";

import * as oidc from "openid-client";

const { values: args } = parseArgs({
  options: {
    issuer: { type: "string" },
    "oauth-lab": { type: "string" },
    alg: { type: "string" },
  },
});
for (const name of ["issuer", "oauth-lab", "alg"]) {
  if (!args[name]) throw new Error(`--${name} is required`);
}
const say = (message) => console.log(`[openid-client] ${message}`);
const check = (condition, message) => {
  if (!condition) throw new Error(`check failed: ${message}`);
};
const http = new URL(args.issuer).protocol === "http:";
const insecure = http ? { execute: [oidc.allowInsecureRequests] } : {};
const redirectUri = "http://127.0.0.1:34567/callback";
const scope = "openid profile email read";

// Discovery (OIDC Discovery §4) and registration (RFC 7591) in one call.
const config = await oidc.dynamicClientRegistration(
  new URL(args.issuer),
  {
    client_name: "openid-client (lab interop)",
    redirect_uris: [redirectUri],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
    application_type: "native",
    scope,
    id_token_signed_response_alg: args.alg,
  },
  oidc.None(),
  insecure,
);
oidc.enableNonRepudiationChecks(config);
const clientId = config.clientMetadata().client_id;
say(`discovered ${config.serverMetadata().issuer}; registered as ${clientId}`);

const verifier = oidc.randomPKCECodeVerifier();
const state = oidc.randomState();
const nonce = oidc.randomNonce();
const url = oidc.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope,
  code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
  code_challenge_method: "S256",
  state,
  nonce,
});
const back = execFileSync(args["oauth-lab"], ["approve", url.href, "--username", "alice"], {
  encoding: "utf8",
  timeout: 60_000,
}).trim();
const tokens = await oidc.authorizationCodeGrant(config, new URL(back), {
  pkceCodeVerifier: verifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
const claims = tokens.claims();
check(claims.iss === args.issuer && claims.aud === clientId, JSON.stringify(claims));
const header = JSON.parse(Buffer.from(tokens.id_token.split(".")[0], "base64url"));
check(header.alg === args.alg, JSON.stringify(header));
say(`code flow: an ${args.alg} ID token for ${claims.sub}, its signature verified against the JWKS`);

const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
check(info.preferred_username === "alice" && info.email, JSON.stringify(info));
say(`userinfo: ${info.preferred_username} <${info.email}>`);

const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
check(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token, "rotated");
say("refresh: a new access token and a new refresh token");

// The lab's operator clients (README, "Configuration").
const service = new oidc.Configuration(config.serverMetadata(), "service-client", "service-secret");
if (http) oidc.allowInsecureRequests(service);
const granted = await oidc.clientCredentialsGrant(service, { scope: "read" });
const resourceServer = new oidc.Configuration(
  config.serverMetadata(),
  "resource-server",
  "resource-server-secret",
);
if (http) oidc.allowInsecureRequests(resourceServer);
const active = await oidc.tokenIntrospection(resourceServer, granted.access_token);
check(active.active === true && active.client_id === "service-client", JSON.stringify(active));
say(`client credentials: scope ${granted.scope}; introspection says active, client ${active.client_id}`);

await oidc.tokenRevocation(config, refreshed.refresh_token);
const revoked = await oidc.tokenIntrospection(resourceServer, refreshed.access_token);
check(revoked.active === false, JSON.stringify(revoked));
say("revocation of the refresh token: its access token introspects inactive");
say("passed");
