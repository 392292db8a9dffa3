// One tool call through the official MCP TypeScript SDK client, as a host makes it: spawns
// the server over stdio, calls the tool with a request timeout that restarts on each
// progress notification (resetTimeoutOnProgress), and prints one JSON line of what happened.
// Usage: node long_call.mjs <timeout_ms> <reset:true|false> <tool> <args-json> -- <command> [args...]
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [timeoutMs, reset, tool, argsJson, sep, command, ...commandArgs] = process.argv.slice(2);
if (sep !== "--") throw new Error("usage: long_call.mjs <timeout_ms> <reset> <tool> <args> -- <command> ...");
const transport = new StdioClientTransport({ command, args: commandArgs, env: process.env, stderr: "inherit" });
const client = new Client({ name: "ts-host", version: "1.0.0" });
await client.connect(transport);
const started = Date.now();
const progress = [];
const out = { tool, progress_count: 0, gaps_ms_max: 0 };
try {
  const result = await client.callTool({ name: tool, arguments: JSON.parse(argsJson) }, undefined, {
    timeout: Number(timeoutMs),
    resetTimeoutOnProgress: reset === "true",
    onprogress: (p) => progress.push({ at: Date.now() - started, progress: p.progress, message: p.message }),
  });
  out.is_error = Boolean(result.isError);
  out.structured = result.structuredContent ?? null;
} catch (err) {
  out.error = String(err && err.message ? err.message : err);
}
out.elapsed_ms = Date.now() - started;
out.progress_count = progress.length;
let last = 0;
for (const p of [...progress.map((p) => p.at), out.elapsed_ms]) { out.gaps_ms_max = Math.max(out.gaps_ms_max, p - last); last = p; }
out.progress_increasing = progress.every((p, i) => i === 0 || p.progress > progress[i - 1].progress);
out.heartbeats = [...new Set(progress.filter((p) => / s into this call\)$/.test(p.message))
  .map((p) => p.message.replace(/\(\d+ s into this call\)/, "(N s into this call)")))].slice(0, 12);
console.log(JSON.stringify(out));
await client.close();
