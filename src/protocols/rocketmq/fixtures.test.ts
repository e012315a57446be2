/**
 * Conformance with an independent decoder: every capture in ../shared/fixtures/rocketmq/ (deepflow's
 * agent/resources/test/flow_generator/rocketmq/, real RocketMQ 4.x traffic) analysed with the
 * "rocketmq" factory must give, for each line of deepflow's `.result`: the request's code, name,
 * opaque, version and size (`captured_request_byte` = frame on the wire; `req_msg_size` = the
 * length field), oneway for its "Session" lines, the response's code, name, remark, version and
 * size, and its `rrt` (µs) as our latency wherever deepflow computed one (it leaves 0 for
 * responses it did not pair, e.g. interleaved pulls; we pair those too, by opaque).
 * The captures are excerpts: the bytes between the kept packets are gaps, reported as such.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeCapture } from "../../tcp/index.js";
import { rocketmqFactory, type RocketmqExchange, type RocketmqResult } from "./exchange-tracker.js";

const DIR = fileURLToPath(new URL("../../../../shared/fixtures/rocketmq/", import.meta.url));
const present = existsSync(DIR);

interface DeepflowLine {
  msg_type: string;
  version: string;
  req_code: number;
  req_code_name: string;
  opaque: number;
  req_msg_size: number | null;
  resp_msg_size: number | null;
  resp_code: number;
  resp_code_name: string;
  remark: string;
  captured_request_byte: number;
  captured_response_byte: number;
  rrt: number;
  is_tls: boolean;
}

function parseResult(text: string): DeepflowLine[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("RocketmqInfo"))
    .map((l) => {
      const str = (k: string) => new RegExp(`\\b${k}: "([^"]*)"`).exec(l)?.[1] ?? "";
      const int = (k: string) => Number(new RegExp(`\\b${k}: (-?\\d+)`).exec(l)?.[1] ?? NaN);
      const opt = (k: string) => {
        const m = new RegExp(`\\b${k}: (None|Some\\((\\d+)\\))`).exec(l);
        return m?.[2] === undefined ? null : Number(m[2]);
      };
      return {
        msg_type: /msg_type: (\w+)/.exec(l)![1]!,
        version: str("version"),
        req_code: int("req_code"),
        req_code_name: str("req_code_name"),
        opaque: int("opaque"),
        req_msg_size: opt("req_msg_size"),
        resp_msg_size: opt("resp_msg_size"),
        resp_code: int("resp_code"),
        resp_code_name: str("resp_code_name"),
        remark: str("remark"),
        captured_request_byte: int("captured_request_byte"),
        captured_response_byte: int("captured_response_byte"),
        rrt: int("rrt"),
        is_tls: /is_tls: true/.test(l),
      };
    });
}

const files = present ? readdirSync(DIR).filter((f) => f.endsWith(".pcap")).sort() : [];

test("fixtures are present", { skip: present ? false : `${DIR} is absent: deepflow conformance not checked` }, () => {
  assert.ok(files.length >= 10, `${files.length} captures in ${DIR}`);
});

for (const f of files) {
  test(`deepflow conformance: ${f}`, () => {
    const expected = parseResult(readFileSync(join(DIR, f.replace(/\.pcap$/, ".result")), "utf8"));
    assert.ok(expected.length > 0);
    const r = analyzeCapture(join(DIR, f), { protocols: [rocketmqFactory()] });
    const results = r.connections.map((c) => c.app?.rocketmq as RocketmqResult | undefined).filter((x) => x !== undefined);
    assert.equal(results.length, 1, "one RocketMQ connection");
    const res = results[0]!;
    // Excerpted captures: only gaps, no malformed frame.
    assert.deepEqual(res.errors.filter((e) => e.code !== "gap"), []);
    const byOpaque = new Map<number, RocketmqExchange>();
    for (const e of res.exchanges) {
      assert.ok(!byOpaque.has(e.opaque), `opaque ${e.opaque} twice`);
      byOpaque.set(e.opaque, e);
    }
    assert.equal(byOpaque.size, new Set(expected.map((x) => x.opaque)).size, "one exchange per opaque");
    let latencies = 0;
    for (const x of expected) {
      const e = byOpaque.get(x.opaque);
      assert.ok(e, `opaque ${x.opaque} decoded`);
      const where = `${f} opaque ${x.opaque} ${x.msg_type}`;
      assert.equal(x.is_tls, false);
      if (x.msg_type === "Request" || x.msg_type === "Session") {
        assert.deepEqual(
          [e.code, e.name, e.version_name, e.request_bytes, e.request_bytes! - 4, e.oneway],
          [x.req_code, x.req_code_name, x.version, x.captured_request_byte, x.req_msg_size, x.msg_type === "Session"],
          where,
        );
        if (x.msg_type === "Session") assert.equal(e.response_code, null, where);
      } else {
        assert.equal(x.msg_type, "Response");
        assert.deepEqual(
          [e.response_code, e.response_name, e.response_remark ?? "", e.response_version_name, e.response_bytes, e.response_bytes! - 4],
          [x.resp_code, x.resp_code_name, x.remark, x.version, x.captured_response_byte, x.resp_msg_size],
          where,
        );
        assert.ok(e.code !== null, `${where}: paired with its request`);
        if (x.rrt > 0) {
          assert.equal(e.latency_us, x.rrt, `${where}: latency`);
          latencies++;
        }
      }
    }
    // Where deepflow timed nothing (pull-message), we still pair every answered request.
    if (latencies === 0) assert.ok(res.exchanges.some((e) => e.latency_us !== null) || res.exchanges.every((e) => e.oneway), "some latency measured");
  });
}
