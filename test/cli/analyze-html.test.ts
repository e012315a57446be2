/**
 * `tcpwin analyze --html FILE` from the command line: the usual output on stdout, the page in FILE
 * (charts data for the chosen connections), from a file or stdin; bad combinations and unwritable
 * paths give the documented exit statuses. The page in a browser: test/report/html-report.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "tcpwin-html-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const BUNDLED = "assets/rcvbuf-1024.pcap";

function charted(html: string): number[] {
  const m = /<script type="application\/json" id="tcpwin-data">([^<]*)<\/script>/.exec(html);
  assert.ok(m);
  return (JSON.parse(m[1]!) as { connections: { stream: number }[] }).connections.map((c) => c.stream);
}

test("--html writes the page and leaves stdout as without it", () => {
  const out = join(dir, "a.html");
  const plain = runCli(["analyze", BUNDLED]);
  const r = runCli(["analyze", BUNDLED, "--html", out, "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, plain.stdout);
  const html = readFileSync(out, "utf8");
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /RECEIVER WINDOW LIMITED/);
  assert.deepEqual(charted(html), [0]);
  // uPlot is inside, whole (its IIFE defines the global the page's script uses).
  assert.match(html, /\/\*! https:\/\/github.com\/leeoniya\/uPlot \(v1\.6\.\d+\) \*\/\nvar uPlot=function\(\)/);
});

test("--html from stdin, with --json, and --stream choosing the charted connection", () => {
  const out = join(dir, "b.html");
  const r = runCli(["analyze", "-", "--json", "--stream", "0", "--html", out], { input: readFileSync(BUNDLED) });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).connections[0].stream, 0);
  assert.deepEqual(charted(readFileSync(out, "utf8")), [0]);
});

test("--html with --packets is bad usage (2); an unwritable path fails (1) naming it", () => {
  const bad = runCli(["analyze", BUNDLED, "--packets", "--html", join(dir, "c.html")]);
  assert.equal(bad.status, 2);
  const nowhere = join(dir, "missing-dir", "d.html");
  const r = runCli(["analyze", BUNDLED, "--html", nowhere]);
  assert.equal(r.status, 1);
  assert.ok(r.stderr.includes(`--html ${nowhere}`), r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
});
