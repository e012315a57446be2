/**
 * `tcpwin analyze` and `tcpwin demo` as a user runs them (a child process): output shapes and
 * exit codes on a good file, stdin, a truncated file, garbage, a missing file, bad options.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runCli } from "./run-cli.js";

const BUNDLED = join(ROOT, "assets/rcvbuf-1024.pcap");
const dir = mkdtempSync(join(tmpdir(), "tcpwin-analyze-cli-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

test("analyze the bundled capture: text with the verdict, exit 0", () => {
  const r = runCli(["analyze", BUNDLED]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /366 packets, 366 TCP, 1 connection\b/);
  assert.match(r.stdout, /stream 0 {2}10\.77\.0\.1:\d+ → 10\.77\.0\.2:9876/);
  assert.match(r.stdout, /RECEIVER WINDOW LIMITED/);
  assert.match(r.stdout, /fix +Raise the receiver's SO_RCVBUF on 10\.77\.0\.2:9876/);
  assert.match(r.stdout, /RocketMQ \(name server on port 9876\)/);
  assert.equal(r.stderr, "");
});

test("analyze --json --deadline: connections with verdict, fix value, warnings", () => {
  const r = runCli(["analyze", BUNDLED, "--json", "--deadline", "4ms", "--kernel", "6.18"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.connections.length, 1);
  const c = j.connections[0];
  assert.equal(c.stream, 0);
  assert.deepEqual(c.server, { addr: "10.77.0.2", port: 9876 });
  assert.equal(c.verdict.kind, "receiver_window_limited");
  assert.equal(c.verdict.fix.setting, "SO_RCVBUF");
  assert.equal(c.verdict.fix.deadline_ms, 4);
  assert.equal(c.verdict.fix.kernel_family, "6.10+");
  assert.ok(Array.isArray(j.warnings));
  assert.equal(j.error, null);
});

test("analyze - reads stdin", () => {
  const r = runCli(["analyze", "-", "--json"], { input: readFileSync(BUNDLED) });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).connections[0].verdict.kind, "receiver_window_limited");
});

test("analyze --packets: one JSON object per TCP packet with tshark's keys", () => {
  const r = runCli(["analyze", BUNDLED, "--packets"]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 366);
  assert.equal(lines[0]["frame.number"], 1);
  assert.equal(lines[0]["tcp.stream"], 0);
  assert.ok(lines.some((p) => p["tcp.analysis.window_full"] === true));
});

test("filters: --port/--host/--stream that match nothing print no connection, exit 0", () => {
  for (const args of [["--port", "1"], ["--host", "192.0.2.1"], ["--stream", "5"]]) {
    const r = runCli(["analyze", BUNDLED, "--json", ...args]);
    assert.equal(r.status, 0, `${args}: ${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).connections.length, 0, args.join(" "));
  }
  const r = runCli(["analyze", BUNDLED, "--json", "--port", "9876", "--host", "10.77.0.1", "--stream", "0"]);
  assert.equal(JSON.parse(r.stdout).connections.length, 1);
});

test("a truncated capture: what was read is analysed and printed, the error has its offset, exit 1", () => {
  const bytes = readFileSync(BUNDLED);
  const cut = join(dir, "cut.pcap");
  writeFileSync(cut, bytes.subarray(0, 60_001)); // mid-record
  const r = runCli(["analyze", cut]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /stream 0 /);
  assert.match(r.stderr, /offset \d+/);
  const j = runCli(["analyze", cut, "--json"]);
  assert.equal(j.status, 1);
  const o = JSON.parse(j.stdout);
  assert.equal(typeof o.error.offset, "number");
  assert.ok(o.error.offset > 0 && o.error.offset <= 60_001, `offset ${o.error.offset}`);
  assert.equal(o.connections.length, 1);
});

test("garbage, empty and missing files: a clear error and exit 1, no stack trace", () => {
  const garbage = join(dir, "garbage.pcap");
  writeFileSync(garbage, Buffer.from("this is not a capture file at all, just text\n".repeat(20)));
  const empty = join(dir, "empty.pcap");
  writeFileSync(empty, "");
  for (const [file, re] of [
    [garbage, /magic|not a pcap/i],
    [empty, /empty/i],
    [join(dir, "missing.pcap"), /missing\.pcap/],
  ] as const) {
    const r = runCli(["analyze", file]);
    assert.equal(r.status, 1, `${file}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});

test("bad usage: exit 2", () => {
  for (const args of [
    ["analyze"],
    ["analyze", BUNDLED, "--top", "0"],
    ["analyze", BUNDLED, "--deadline", "3"],
    ["analyze", BUNDLED, "--stream", "x"],
    ["analyze", BUNDLED, "--json", "--packets"],
    ["analyze", BUNDLED, "--kernel", "banana"],
    ["analyze", BUNDLED, "--frobnicate"],
  ]) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.ok(r.stderr.length > 0);
  }
});

test("demo (npm start): the bundled incident's linked verdict", () => {
  const r = runCli(["demo"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /RECEIVER WINDOW LIMITED/);
  assert.match(r.stdout, /REGISTER_BROKER \(code 103\)/);
  assert.match(r.stdout, /set serverSocketRcvBufSize=\d+ in the name\s+server's config file/);
  assert.match(r.stdout, /connected again[\s\S]*next\s+period's\s+attempt/);
  const j = runCli(["demo", "--json"]);
  const c = JSON.parse(j.stdout).connections[0];
  assert.equal(c.verdict.kind, "receiver_window_limited");
  assert.equal(c.rocketmq[0].code, 103);
  assert.equal(c.rocketmq[0].timed_out, true);
  assert.equal(c.verdict.app.setting.key, "serverSocketRcvBufSize");
});
