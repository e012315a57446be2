import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli, type CliResult } from "./run-cli.js";

/** Runs the CLI with a hard limit and says how long it took (the process, start-up included). */
function timedCli(args: string[], limitMs = 20_000): CliResult & { ms: number } {
  const t0 = performance.now();
  const r = runCli(args, { timeout: limitMs, killSignal: "SIGKILL" });
  return { ...r, ms: performance.now() - t0 };
}

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

test("model --deadline without --window/--rcvbuf answers the inverse question alone (text and JSON)", () => {
  const args = ["model", "--size", "2079208", "--rtt", "1.66ms", "--mss", "574", "--deadline", "3s", "--kernel", "6.18"];
  const t = runCli(args);
  assert.equal(t.status, 0, t.stderr);
  // 2 segments give 3007.9 ms (the incident), 3 meet 3 s; 2079208 B / 3 s × 1.66 ms = 1150.5 B in flight.
  assert.match(t.stdout, /smallest window: 1722 B \(3 × 574\) → [\d.]+ ms; one segment less \(1148 B\) → 3007\.9 ms/);
  assert.match(t.stdout, /1150\.5 B in flight \(the deadline's bandwidth-delay product\)/);
  assert.match(t.stdout, /pre-6\.6\s+1722 /);
  assert.match(t.stdout, /6\.10\+\s+1934 .*← Linux 6\.18/);
  assert.match(t.stdout, /RocketMQ: serverSocketRcvBufSize=1934/);
  assert.doesNotMatch(t.stdout, /predicted:/, "no forward prediction without a current window");

  const j = JSON.parse(runCli([...args, "--json", "--bandwidth", "1Gbit"]).stdout);
  assert.equal(j.question, "inverse");
  assert.equal(j.deadline_feasible, true);
  assert.equal(j.required_window_bytes, 1722);
  assert.equal(j.required_window_segments, 3);
  assert.ok(j.predicted_ms_at_required <= 3000);
  assert.equal(j.kernel_family, "6.10+");
  assert.equal(j.required_rcvbuf, 1934);
  assert.equal(j.required_rocketmq_socket_rcvbuf_size, 1934);
  assert.deepEqual(Object.keys(j.required_rcvbuf_by_family), ["pre-6.6", "6.6-6.9", "6.10+"]);
  assert.equal(j.required_rcvbuf_by_family["6.10+"], 1934);
  assert.equal(j.required_rcvbuf_by_family["pre-6.6"], 1722);
  assert.equal(j.required_bdp_bytes, 1150.495);
  assert.equal(j.bdp_bytes, 207500); // 125 MB/s × 1.66 ms
  assert.equal(j.required_throughput_bytes_per_sec, 693069);

  // The forward answer with the same deadline names the same window and buffer.
  const f = JSON.parse(runCli(["model", "--size", "2079208", "--rtt", "1.66ms", "--mss", "574", "--window", "1148", "--deadline", "3s", "--kernel", "6.18", "--json"]).stdout);
  assert.equal(f.required_window_bytes, j.required_window_bytes);
  assert.equal(f.required_rcvbuf, j.required_rcvbuf);
  assert.deepEqual(f.required_rcvbuf_by_family, j.required_rcvbuf_by_family);

  // No window can move 1e15 B in 3 s at 1 ms: said, with the reason, exit 0 (the question has an answer).
  const no = runCli(["model", "--size", "1e15", "--rtt", "1ms", "--mss", "500", "--deadline", "3s"]);
  assert.equal(no.status, 0, no.stderr);
  assert.match(no.stdout, /no receive window meets it: .*TCP's largest window \(about 1 GiB/);
});

test("any size answers at once: 1TB, 1TiB, 1e15, 2^53 − 1 bytes through a 1000-byte window", () => {
  const base = ["--rtt", "1ms", "--window", "1000", "--mss", "500", "--json"];
  // Start-up (tsx compiling on the fly) is most of a run; the model's part must add < 1 s to it.
  const ref = timedCli(["model", "--size", "1000", ...base]);
  assert.equal(ref.status, 0, ref.stderr);
  const cases: [string, number][] = [["1TB", 1e12], ["1TiB", 2 ** 40], ["1e15", 1e15], ["9007199254740991", Number.MAX_SAFE_INTEGER]];
  for (const [size, bytes] of cases) {
    const r = timedCli(["model", "--size", size, ...base]);
    assert.equal(r.status, 0, `--size ${size}: status ${r.status} after ${r.ms.toFixed(0)} ms ${r.stderr}`);
    assert.ok(r.ms < ref.ms + 1000, `--size ${size} took ${r.ms.toFixed(0)} ms (a 1000-byte run ${ref.ms.toFixed(0)} ms)`);
    const j = JSON.parse(r.stdout);
    assert.equal(j.size_bytes, bytes);
    // Window 1000 ≤ the initial cwnd (10 × 500): ceil(size / 1000) whole round trips of 1 ms.
    assert.equal(j.round_trips, Math.ceil(bytes / 1000));
    assert.equal(j.predicted_ms, Math.ceil(bytes / 1000));
  }
  const inv = timedCli(["model", "--size", "1e15", "--rtt", "1ms", "--mss", "500", "--deadline", "1200000000s", "--kernel", "6.18", "--json"]);
  assert.equal(inv.status, 0, inv.stderr);
  assert.ok(inv.ms < ref.ms + 1000, `inverse at 1e15 took ${inv.ms.toFixed(0)} ms`);
  assert.equal(JSON.parse(inv.stdout).required_window_bytes, 1000); // 1e12 round trips of 1 ms; 500 B would need 2e12
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
    [["model", "--size", "2MB", "--rtt", "1ms", "--mss", "574"], /missing --window or --rcvbuf \(or --deadline alone/],
    [["model", "--size", "99999999999999999999999", "--rtt", "1ms", "--mss", "500", "--window", "1000"], /'--size <bytes>' argument '99999999999999999999999' is invalid.*past the largest size the model computes exactly, 9007199254740991 B/],
    [["model", "--size", "9007199254740992", "--rtt", "1ms", "--mss", "500", "--window", "1000"], /past the largest size/],
    [["model", "--size", "2MB", "--rtt", "0", "--mss", "574", "--window", "1148"], /'--rtt <time>' argument '0' is invalid.*a round-trip time must be more than zero/],
    [["model", "--size", "2MB", "--rtt", "0ms", "--mss", "574", "--window", "1148"], /round-trip time must be more than zero/],
    [["model", "--size", "2MB", "--rtt", "1ms", "--mss", "574", "--window", "1148", "--deadline", "0s"], /'--deadline <time>' argument '0s' is invalid.*a deadline must be more than zero/],
    [["model", "--size", "2MB", "--rtt", "1ms", "--mss", "574", "--deadline", "0"], /a deadline must be more than zero/],
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
