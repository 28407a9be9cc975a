// The official MCP TypeScript SDK (`@modelcontextprotocol/sdk` on npm, pinned in
// scripts/interop/package.json) as an MCP client of the lab's own MCP endpoint, with the lab
// as its authorization server. The SDK's client gets nothing but the server's URL and an
// OAuthClientProvider (what an application writes: where to keep tokens, how to open the
// browser). It follows the 401 (RFC 9728, RFC 8414), registers (RFC 7591), sends PKCE S256
// and `resource` (RFC 8707), redeems the code, calls tools, and steps up when a tool answers
// 403 insufficient_scope (with the application's help: see `authorized`). The application
// checks `state` and `iss` (RFC 9207) on the way back, as it must: the SDK never sees the
// redirect. The user is `oauth-lab approve`.
//
// Run by scripts/interop.sh: node mcp_ts_sdk.mjs --issuer URL --oauth-lab PATH --lab-mcp URL

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const { values: args } = parseArgs({
  options: {
    issuer: { type: "string" },
    "oauth-lab": { type: "string" },
    "lab-mcp": { type: "string" },
  },
});
for (const name of ["issuer", "oauth-lab", "lab-mcp"]) {
  if (!args[name]) throw new Error(`--${name} is required`);
}
const say = (message) => console.log(`[mcp-ts-sdk] ${message}`);
const check = (condition, message) => {
  if (!condition) throw new Error(`check failed: ${message}`);
};

/** What an application implements for the SDK: everything kept in memory. */
class Provider {
  constructor(issuer) {
    this.issuer = issuer;
    this.redirectUrl = "http://127.0.0.1:33333/callback";
    this.clientMetadata = {
      client_name: "MCP TypeScript SDK (lab interop)",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      application_type: "native",
    };
    this.requests = [];
  }
  state() {
    this.expectedState = randomBytes(16).toString("base64url");
    return this.expectedState;
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(client) {
    this.client = client;
  }
  tokens() {
    return this.savedTokens;
  }
  saveTokens(tokens) {
    this.savedTokens = tokens;
  }
  saveCodeVerifier(verifier) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  /** The user: `oauth-lab approve` opens the URL, logs alice in and approves. */
  redirectToAuthorization(url) {
    const query = url.searchParams;
    check(query.get("code_challenge_method") === "S256", "PKCE S256");
    check(query.get("resource") === args["lab-mcp"], `resource ${query.get("resource")}`);
    this.requests.push(query.get("scope"));
    say(`the client opens /authorize (PKCE S256, resource, scope=${query.get("scope")}); oauth-lab approve plays alice`);
    const back = execFileSync(args["oauth-lab"], ["approve", url.href, "--username", "alice"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    const answer = new URL(back.trim()).searchParams;
    // The application's checks of the redirect back (RFC 6749 §10.12, RFC 9207).
    check(answer.get("state") === this.expectedState, "state");
    check(answer.get("iss") === this.issuer, `iss ${answer.get("iss")}`);
    this.code = answer.get("code");
  }
}

const provider = new Provider(args.issuer);
const url = new URL(args["lab-mcp"]);

/** Runs `step` with the transport; after a redirect to the user, finishes the
 * authorization with the code and runs it again. */
async function authorized(transport, step) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (attempt === 3) throw error;
      if (error instanceof UnauthorizedError && provider.code) {
        const code = provider.code;
        provider.code = undefined;
        await transport.finishAuth(code);
      } else if (error instanceof StreamableHTTPError && error.code === 403) {
        // This SDK answers 403 insufficient_scope by refreshing its token, which cannot
        // widen the scope (RFC 6749 §6: a refresh asks for no more than was granted), and
        // then gives up. The application's way out: forget the tokens, so the next call
        // meets a 401 naming the scope and the SDK authorizes anew.
        say("the SDK refreshed instead of asking for the new scope; forgetting its tokens");
        provider.savedTokens = undefined;
      } else {
        throw error;
      }
    }
  }
}

let transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
let client = new Client({ name: "lab-interop", version: "1" });
try {
  await client.connect(transport);
} catch (error) {
  if (!(error instanceof UnauthorizedError) || !provider.code) throw error;
  await transport.finishAuth(provider.code);
  provider.code = undefined;
  transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  client = new Client({ name: "lab-interop", version: "1" });
  await client.connect(transport);
}
check(provider.client?.client_id?.startsWith("client-"), "registered dynamically");
const tools = (await client.listTools()).tools.map((tool) => tool.name).sort();
check(tools.join() === "add_note,list_notes,stats", `tools ${tools}`);
say(`registered as ${provider.client.client_id}; tools ${tools.join(", ")}`);

const added = await authorized(transport, () =>
  client.callTool({ name: "add_note", arguments: { text: "from the MCP TypeScript SDK" } }),
);
check(!added.isError, JSON.stringify(added));
check(provider.requests.length === 2, `two authorizations: ${provider.requests}`);
check(provider.requests[1].split(" ").includes("write"), `the step-up asked ${provider.requests[1]}`);
say(`add_note answered 403 insufficient_scope; authorized again with scope=${provider.requests[1]}`);
await client.close();
say("passed");
