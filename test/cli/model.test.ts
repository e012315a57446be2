import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "./run-cli.js";

test("model: the incident's numbers with the arithmetic", () => {
  const r = runCli(["model", "--size", "2079208", "--rtt", "1.66ms", "--window", "1148", "--mss", "574"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /2079208 \/ 1148 \(2 × 574\) × 1\.66 ms = 3006\.5 ms/);
  assert.match(r.stdout, /ceil\(2079208 \/ 1148\) = 1812 × 1\.66 ms = 3007\.9 ms/);
  assert.match(r.stdout, /bound by window/);
});

test("model --rcvbuf 1024 --kernel 6.18: SYN-ACK 1148, steady 574 (JSON)", () => {
  const r = runCli(["model", "--size", "2079208", "--rtt", "1.66ms", "--mss", "574", "--rcvbuf", "1024", "--kernel", "6.18", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.window_syn, 1148);
  assert.equal(j.window_steady, 574);
  assert.equal(j.rcvbuf_effective, 2304);
  assert.equal(j.window_bytes, 574);
  for (const k of ["predicted_ms", "window_bytes", "round_trips", "bottleneck"]) assert.ok(k in j, k);
});

test("model --deadline answers the inverse question", () => {
  const r = runCli(["model", "--size", "2079208", "--rtt", "1.66ms", "--mss", "574", "--rcvbuf", "1024", "--kernel", "6.18", "--deadline", "3s", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.required_window_bytes, 1722);
  assert.equal(typeof j.required_rcvbuf, "number");
  assert.equal(j.required_rocketmq_socket_rcvbuf_size, j.required_rcvbuf);
  const t = runCli(["model", "--size", "2MB", "--rtt", "1.66ms", "--mss", "574", "--window", "1148", "--deadline", "3s", "--bandwidth", "1Gbit"]);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /needs a window ≥ \d+ B/);
  assert.match(t.stdout, /bandwidth-delay product/);
});

test("rcvbuf above rmem_max is flagged", () => {
  const r = runCli(["model", "--size", "2MB", "--rtt", "1ms", "--mss", "1448", "--rcvbuf", "16MB", "--rmem-max", "4MiB", "--kernel", "6.18"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /exceeds net\.core\.rmem_max 4194304/);
});

test("bad values and missing input: one line on stderr, exit 2", () => {
  const cases: [string[], RegExp][] = [
    [["model", "--size", "-5", "--rtt", "1ms", "--mss", "574", "--window", "1148"], /negative/],
    [["model", "--size", "2MB", "--rtt", "2parsecs", "--mss", "574", "--window", "1148"], /unknown time unit "parsecs"/],
    [["model", "--size", "2MB", "--mss", "574", "--window", "1148"], /missing --rtt/],
    [["model", "--size", "2MB", "--rtt", "1ms", "--mss", "574"], /missing --window or --rcvbuf/],
    [["model", "--size", "2MB", "--rtt", "1ms", "--mss", "574", "--window", "1148", "--rcvbuf", "1024"], /cannot be used with/],
    [["model", "--size", "2MB", "--rtt", "1ms", "--mss", "574", "--window", "1148", "--kernel", "banana"], /--kernel "banana"/],
    [["modle"], /unknown command 'modle'/],
    [["model", "--frobnicate"], /unknown option '--frobnicate'/],
  ];
  for (const [args, re] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(" "));
    assert.equal(r.stderr.trim().split("\n").length <= 2, true, `short error for ${args.join(" ")}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});

test("--help, --version and per-command help with examples exit 0", () => {
  const h = runCli(["--help"]);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /model/);
  const v = runCli(["--version"]);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
  const m = runCli(["model", "--help"]);
  assert.equal(m.status, 0);
  assert.match(m.stdout, /Examples:/);
});

test("colour only when asked: NO_COLOR and pipes get plain text", () => {
  const plain = runCli(["model", "--size", "2MB", "--rtt", "1ms", "--mss", "574", "--window", "1148"]);
  assert.doesNotMatch(plain.stdout, /\x1b\[/);
  const forced = runCli(["model", "--size", "2MB", "--rtt", "1ms", "--mss", "574", "--window", "1148"], {
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: "1" },
  });
  assert.match(forced.stdout, /\x1b\[1m/);
});
