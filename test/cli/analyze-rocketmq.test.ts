/**
 * `tcpwin analyze` on RocketMQ captures: exchanges in the text and JSON output, the incident's
 * own search (`--code`, `--opaque`), `--timeout`, `--no-decode`. On deepflow's captures in
 * ../shared/fixtures/rocketmq (skipped when the folder is absent).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { runCli } from "./run-cli.js";

const DIR = new URL("../../../shared/fixtures/rocketmq/", import.meta.url).pathname;
const skip = existsSync(DIR) ? false : `${DIR} is absent`;
const ROUTE = `${DIR}rocketmq-get-routeinfo-by-topic.pcap`;
const PULL = `${DIR}rocketmq-pull-message.pcap`;

interface Ex { code: number; name: string; opaque: number; request_bytes: number; response_code: number | null; latency_us: number | null; timed_out: boolean | null; timeout_ms: number }
function json(args: string[]): { connections: { rocketmq?: Ex[]; verdict: { app: unknown } }[] } {
  const r = runCli(["analyze", ...args, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("--json: each connection lists its RocketMQ exchanges", { skip }, () => {
  const d = json([ROUTE]);
  assert.equal(d.connections.length, 1);
  const ex = d.connections[0]!.rocketmq!;
  assert.deepEqual(ex.map((e) => [e.code, e.name, e.opaque, e.response_code]), [
    [105, "GET_ROUTEINFO_BY_TOPIC", 5727, 0],
    [105, "GET_ROUTEINFO_BY_TOPIC", 5729, 0],
    [105, "GET_ROUTEINFO_BY_TOPIC", 5731, 0],
  ]);
  for (const e of ex) assert.equal(e.timed_out, false);
});

test("--opaque keeps one exchange, --code filters connections, an unknown code keeps none", { skip }, () => {
  assert.deepEqual(json([ROUTE, "--opaque", "5729"]).connections[0]!.rocketmq!.map((e) => e.opaque), [5729]);
  assert.equal(json([ROUTE, "--code", "105"]).connections[0]!.rocketmq!.length, 3);
  assert.equal(json([ROUTE, "--code", "103"]).connections.length, 0);
  const text = runCli(["analyze", ROUTE, "--opaque", "5731"]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /rocketmq exchanges/);
  assert.match(text.stdout, /5731 +→ 105 GET_ROUTEINFO_BY_TOPIC/);
  assert.doesNotMatch(text.stdout, /5727/);
});

test("--timeout judges exchanges: a 20 s long-poll is past 3 s but within 30 s", { skip }, () => {
  const slow = (t: string[]) => json([PULL, ...t]).connections.flatMap((c) => c.rocketmq ?? []).filter((e) => e.latency_us !== null && e.latency_us > 19e6);
  const a = slow([]);
  assert.ok(a.length > 0, "a pull held about 20 s");
  for (const e of a) assert.equal(e.timeout_ms, 3000);
  for (const e of slow(["--timeout", "30s"])) {
    assert.equal(e.timeout_ms, 30000);
    assert.equal(e.timed_out, false);
  }
});

test("--no-decode: TCP only; --code with it is a usage error", { skip }, () => {
  assert.equal(json([ROUTE, "--no-decode"]).connections[0]!.rocketmq, undefined);
  const r = runCli(["analyze", ROUTE, "--no-decode", "--code", "105"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--code and --opaque select RocketMQ exchanges/);
  const t = runCli(["analyze", ROUTE, "--timeout", "0s"]);
  assert.equal(t.status, 2);
});

test("--packets: rocketmq.* keys on the packets where a frame's header was read, and only there", { skip }, () => {
  const r = runCli(["analyze", ROUTE, "--packets"]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((l) => [l["rocketmq.code"], l["rocketmq.opaque"], l["rocketmq.response"]]), [
    [105, 5727, false],
    [0, 5727, true],
    [105, 5729, false],
    [0, 5729, true],
    [105, 5731, false],
    [0, 5731, true],
  ]);
  assert.equal(lines[0]!["rocketmq.name"], "GET_ROUTEINFO_BY_TOPIC");
  assert.equal(lines[0]!["rocketmq.length"], 173);
});

test("the bundled incident: --packets marks the REGISTER_BROKER's first segment, not its 1600 others", () => {
  const r = runCli(["analyze", "assets/rocketmq-incident.pcap", "--packets", "--stream", "0"], { maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  const marked = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => "rocketmq.code" in l);
  assert.equal(marked.length, 1);
  assert.equal(marked[0]!["rocketmq.code"], 103);
  assert.equal(marked[0]!["rocketmq.length"], 2_079_507);
});
