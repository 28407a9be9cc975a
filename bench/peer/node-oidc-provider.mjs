// The peer of `scripts/bench.sh --peer node-oidc-provider`: node-oidc-provider configured as
// the lab's authorization server is, so both answer the same requests in the same run.
//   - one Node process, an in-memory store (no database: the peer's best case);
//   - ES256 JWT access tokens for the resource indicator RESOURCE (RFC 8707, RFC 9068);
//   - `service-client` (client credentials, secret `service-secret`), `demo-client` (public,
//     PKCE S256 required, refresh tokens issued as the lab issues them), and
//     `resource-server` (may introspect), with the lab's demo secrets;
//   - `opaque-client` (client credentials without a resource: an opaque token, for
//     introspection as the lab's own benchmark does it);
//   - development interactions: any username and password log in, one click consents.
// Usage: node node-oidc-provider.mjs PORT RESOURCE (lab-bench starts it).
import { createServer } from 'node:http';

import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';

const port = Number(process.argv[2] ?? 18083);
const resource = process.argv[3] ?? 'http://127.0.0.1:18082';
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), use: 'sig', alg: 'ES256', kid: 'bench-es256' };

// The in-memory store. node-oidc-provider's own development adapter keeps only the 1,000
// most recent entries (an LRU): most of the codes a benchmark mints would be gone before
// they are redeemed. This one keeps every entry until it expires, and indexes a grant's
// tokens in a set (the development adapter recomputes a grant's expiry over all of them on
// every write, which grows with the number of codes minted under one grant).
const entries = new Map();
const grantMembers = new Map();
const sessionIds = new Map();
const userCodeIds = new Map();
const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest']);

class MemoryStore {
  constructor(model) { this.model = model; }

  key(id) { return `${this.model}:${id}`; }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    entries.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    if (this.model === 'Session') sessionIds.set(payload.uid, id);
    if (payload.userCode) userCodeIds.set(payload.userCode, id);
    if (grantable.has(this.model) && payload.grantId) {
      if (!grantMembers.has(payload.grantId)) grantMembers.set(payload.grantId, new Set());
      grantMembers.get(payload.grantId).add(key);
    }
  }

  async find(id) {
    const entry = entries.get(this.key(id));
    if (!entry || entry.expiresAt <= Date.now()) return undefined;
    return entry.payload;
  }

  async findByUid(uid) { return sessionIds.has(uid) ? this.find(sessionIds.get(uid)) : undefined; }

  async findByUserCode(code) { return userCodeIds.has(code) ? this.find(userCodeIds.get(code)) : undefined; }

  async consume(id) {
    const payload = await this.find(id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { entries.delete(this.key(id)); }

  async revokeByGrantId(grantId) {
    for (const key of grantMembers.get(grantId) ?? []) entries.delete(key);
    grantMembers.delete(grantId);
  }
}

const provider = new Provider(issuer, {
  adapter: MemoryStore,
  clients: [
    {
      client_id: 'service-client',
      client_secret: 'service-secret',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    },
    {
      client_id: 'opaque-client',
      client_secret: 'opaque-secret',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    },
    {
      client_id: 'resource-server',
      client_secret: 'resource-server-secret',
      grant_types: [],
      redirect_uris: [],
      response_types: [],
    },
    {
      client_id: 'demo-client',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['http://localhost:8080/callback'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [signingKey] },
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  scopes: ['openid', 'offline_access', 'read', 'write'],
  pkce: { required: () => true },
  // The lab issues a refresh token to every client registered for the grant, without
  // `offline_access`; the peer does the same, so a redemption writes the same tokens.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  ttl: { AccessToken: 300, ClientCredentials: 300, AuthorizationCode: 600, RefreshToken: 86400 },
  cookies: { keys: ['oauth-lab-bench-peer-only'] },
  findAccount: async (ctx, accountId) => ({ accountId, claims: async () => ({ sub: accountId }) }),
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx, client) => (client.clientId === 'opaque-client' ? undefined : resource),
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({
        scope: 'read write',
        accessTokenFormat: 'jwt',
        accessTokenTTL: 300,
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});

createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  process.stderr.write(`node-oidc-provider listening on ${issuer}\n`);
});
