import { test } from "node:test";
import assert from "node:assert/strict";
import { linkRocketmq, type LinkInput, type RocketmqExchangeLike } from "./rocketmq-link.js";
import type { Measures } from "./measures.js";

const NS = { addr: "10.0.0.2", port: 9876 };
const BROKER = { addr: "10.0.0.1", port: 40000 };

function exchange(over: Partial<RocketmqExchangeLike> = {}): RocketmqExchangeLike {
  return {
    dir: 0, opaque: 849859871, code: 103, name: "REGISTER_BROKER", oneway: false, version_name: "V4_9_2",
    request_bytes: 2_079_208, request_first_ns: 1e9, request_acked_ns: null,
    response_code: 0, response_name: "SUCCESS", response_remark: null, response_last_ns: 1e9 + 3.18e9,
    latency_us: 3_180_000, timeout_ms: 3000, timed_out: true, ...over,
  };
}

/** The incident's numbers: MSS 574, a two-segment window, RTT 1.66 ms. */
const M = { rtt_ms: 1.66, segment: 574, rwnd_median_bytes: 1148, flight_max_bytes: 1148 } as unknown as Measures;

function input(over: Partial<LinkInput> = {}): LinkInput {
  return {
    kind: "receiver_window_limited", direction: "c2s", sender: BROKER, receiver: NS, measures: M,
    app: { exchanges: [exchange()], closes: [], timeout_ms: 3000 }, server: NS, kernelFamily: "pre-6.6", later: null, ...over,
  };
}

test("the incident: REGISTER_BROKER named, the window's arithmetic over the timeout, the name server's key", () => {
  const l = linkRocketmq(input());
  assert.equal(l.exchange?.opaque, 849859871);
  assert.equal(l.exchange?.latency_ms, 3180);
  // 2 079 208 B ÷ 1148 B = 1812 round trips × 1.66 ms = 3.01 s: over 3 s at that window.
  assert.match(l.model!.formula, /2079208 B ÷ 1148 B per round trip = 1812 round trips × 1\.66 ms = 3\.01 s/);
  assert.ok(l.model!.over_timeout);
  assert.equal(l.setting?.key, "serverSocketRcvBufSize");
  assert.ok(l.setting!.value! > 1024, `value ${l.setting!.value}`);
  assert.match(l.text.join(" "), /the name server 10\.0\.0\.2:9876 advertised 1148 B \(2 segments of 574 B\)/);
  assert.match(l.setting!.text, /wins over -Dcom\.rocketmq\.remoting\.socket\.rcvbuf\.size/);
});

test("a fast exchange is not blamed; another kind names no RocketMQ setting", () => {
  const fast = linkRocketmq(input({ app: { exchanges: [exchange({ latency_us: 40_000, timed_out: false })], closes: [], timeout_ms: 3000 } }));
  assert.equal(fast.exchange, null);
  assert.equal(fast.text.length, 0);
  const app = linkRocketmq(input({ kind: "application_limited" }));
  assert.equal(app.exchange?.code, 103);
  assert.equal(app.setting, null);
  assert.equal(app.model, null);
});

test("a give-up after the timeout: the requester's close and the next period's connection", () => {
  const l = linkRocketmq(
    input({
      app: { exchanges: [exchange({ latency_us: null, response_last_ns: null, response_code: null })], closes: [{ dir: 0, how: "fin", ts_ns: 1e9 + 3.4e9 }], timeout_ms: 3000 },
      later: { stream: 7, start_s: 1 + 3.5, handshake_seen: true },
    }),
  );
  assert.deepEqual(l.closed_after_timeout, { how: "fin", after_ms: 3400, reconnect_stream: 7, reconnect_after_ms: 3500 });
  assert.match(l.text.join(" "), /tcp\.stream 7, a new SYN/);
  // A close by the responder, or before the timeout, is not the requester giving up.
  const early = linkRocketmq(input({ app: { exchanges: [exchange({ latency_us: null, response_last_ns: null })], closes: [{ dir: 0, how: "fin", ts_ns: 1e9 + 1e9 }], timeout_ms: 3000 } }));
  assert.equal(early.closed_after_timeout, null);
});
