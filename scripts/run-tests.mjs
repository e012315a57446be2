#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node:test through tsx (Node 20's --test takes no
// globs). Extra arguments narrow the set: `npm test -- model` runs files whose path contains "model".
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function walk(dir, out) {
  let names;
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    const p = join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) continue;
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const flags = process.argv.slice(2).filter((a) => a.startsWith("-"));
const files = walk("src", walk("test", [])).sort().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
// The safety net under every test's own limits: no test runs for ever (--test-timeout, 5 min; the
// slowest test took 8 s here — capture fuzz — and the whole suite 157 s; a test with its own
// `timeout` keeps it), and a file whose tests are done exits even if a failed test left a child or
// handle behind (--test-force-exit): a file held open that way hung the whole run for 13 min. The
// process's 'exit' handlers still run, so test/support/netns removes its namespaces. Pass
// --test-timeout=… or --no-test-force-exit to override.
const net = [];
if (!flags.some((f) => f.startsWith("--test-timeout"))) net.push("--test-timeout=300000");
if (!flags.includes("--no-test-force-exit")) net.push("--test-force-exit");
// Network tests create namespaces and time things: run files one at a time on this 2-core machine.
const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", ...net, ...flags.filter((f) => f !== "--no-test-force-exit"), ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
