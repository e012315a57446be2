/**
 * The exchange tracker through the whole analysis (pcap → reassembly → "rocketmq" handler):
 * captures scripted with real sequence/ack numbers (test/fixtures/capture/conversation.ts), so the
 * expected timings and frame numbers are known exactly.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { analyzeCapture } from "../../tcp/index.js";
import { Conversation } from "../../../test/fixtures/capture/conversation.js";
import { cleanupTemp, tempFile } from "../../../test/fixtures/capture/read-all.js";
import { RocketmqHandler, rocketmqFactory, rocketmqFrameMarks, type RocketmqResult } from "./exchange-tracker.js";
import { encodeFrame, SerializeType } from "./frame.js";
import { buildRegisterBrokerBody, registerBrokerRequest } from "./register-broker.js";

after(cleanupTemp);

const ID = { brokerName: "broker-a", brokerAddr: "10.0.0.1:10911", clusterName: "DefaultCluster", haServerAddr: "10.0.0.1:10912", brokerId: 0 };

function analyze(c: Conversation, timeoutMs?: number): { rmq: RocketmqResult | undefined; connections: number } {
  const r = analyzeCapture(tempFile(c.pcap()), { protocols: [rocketmqFactory(timeoutMs === undefined ? {} : { timeoutMs })] });
  return { rmq: r.connections[0]?.app?.rocketmq as RocketmqResult | undefined, connections: r.connections.length };
}

test("the incident's exchange: REGISTER_BROKER of 2 079 208 bytes answered after 3.18 s, against 3000 ms", () => {
  const { bytes: body } = buildRegisterBrokerBody({ version: 397, targetBytes: 2079208 - 400 });
  const req = encodeFrame(registerBrokerRequest(ID, body, { version: 397, opaque: 849859871 }));
  const resp = encodeFrame({ code: 0, flag: 1, opaque: 849859871, version: 397, extFields: { masterAddr: "", haServerAddr: "" } });
  const c = new Conversation({ mss: 574 }).handshake(1660);
  c.wait(1000);
  const t0 = c.t;
  const segs = Math.ceil(req.length / 574);
  c.send(0, req, { gapUs: 3_100_000 / segs });
  const tLast = c.t;
  c.wait(830).ack(1);
  const tAck = c.t;
  c.wait(80_000).send(1, resp);
  const tResp = c.t;
  c.wait(100).fin(0);
  const { rmq } = analyze(c);
  assert.ok(rmq);
  assert.deepEqual(rmq.errors, []);
  assert.equal(rmq.exchanges.length, 1);
  const e = rmq.exchanges[0]!;
  assert.deepEqual(
    [e.code, e.name, e.opaque, e.version, e.version_name, e.language, e.serialize_type, e.oneway, e.request_bytes, e.request_frame, e.request_last_frame],
    [103, "REGISTER_BROKER", 849859871, 397, "V4_9_2", "JAVA", "JSON", false, req.length, 4, 3 + segs],
  );
  assert.equal(e.request_first_ns, t0 * 1000);
  assert.equal(e.request_last_ns, Math.round(tLast) * 1000);
  assert.equal(e.request_acked_ns, Math.round(tAck) * 1000);
  assert.deepEqual([e.response_code, e.response_name, e.response_bytes, e.response_frame], [0, "SUCCESS", resp.length, 5 + segs]);
  assert.equal(e.latency_us, Math.round(tResp) - t0);
  assert.ok(e.latency_us! > 3_170_000 && e.latency_us! < 3_190_000, String(e.latency_us));
  assert.equal(e.timed_out, true);
  assert.equal(e.timeout_ms, 3000);
  assert.equal(e.implied_timeout_ms, 6000);
  assert.match(e.timeout_note!, /V4_9_2 broker sends REGISTER_BROKER with registerBrokerTimeoutMills 6000 ms/);
  assert.deepEqual(e.register_broker, { topics: buildRegisterBrokerBody({ version: 397, targetBytes: 2079208 - 400 }).body.topics.length, body_format: "json", compressed_flag: false, flag_mismatch: false, body_crc32: Number(e.ext_fields!.bodyCrc32), computed_crc32: Number(e.ext_fields!.bodyCrc32), crc_ok: true });
  assert.deepEqual(rmq.closes.map((x) => [x.dir, x.how]), [[0, "fin"]]);
  // With the 4.x broker's own timeout it is in time.
  assert.equal(analyze(c, 6000).rmq!.exchanges[0]!.timed_out, false);
});

test("any port, binary headers, oneway, an error response with its remark, requests from both sides", () => {
  const c = new Conversation({ server: ["10.0.0.9", 12345] }).handshake();
  c.wait(100).send(0, encodeFrame({ code: 15, flag: 2, opaque: 1, version: 433, language: "GO", extFields: { topic: "T" } }, SerializeType.ROCKETMQ));
  c.wait(100).send(0, encodeFrame({ code: 105, opaque: 2, version: 433, extFields: { topic: "nope" } }, SerializeType.ROCKETMQ));
  c.wait(500).send(1, encodeFrame({ code: 17, flag: 1, opaque: 2, version: 479, remark: "No topic route info in name server for the topic: nope" }, SerializeType.ROCKETMQ));
  // The server asks the client something (CHECK_TRANSACTION_STATE is broker → producer).
  c.wait(100).send(1, encodeFrame({ code: 39, opaque: 2, version: 479 }));
  c.wait(300).send(0, encodeFrame({ code: 0, flag: 1, opaque: 2, version: 433 }));
  const { rmq } = analyze(c);
  assert.ok(rmq);
  assert.deepEqual(rmq.frames, [3, 2]);
  const ex = rmq.exchanges.map((e) => [e.dir, e.code, e.name, e.opaque, e.oneway, e.language, e.serialize_type, e.response_code, e.response_name, e.response_remark, e.latency_us, e.timed_out]);
  assert.deepEqual(ex, [
    [0, 15, "UPDATE_CONSUMER_OFFSET", 1, true, "GO", "ROCKETMQ", null, null, null, null, false],
    [0, 105, "GET_ROUTEINFO_BY_TOPIC", 2, false, "JAVA", "ROCKETMQ", 17, "TOPIC_NOT_EXIST", "No topic route info in name server for the topic: nope", 500, false],
    [1, 39, "CHECK_TRANSACTION_STATE", 2, false, "JAVA", "JSON", 0, "SUCCESS", null, 300, false],
  ]);
  // --packets: the frames carrying each remoting frame's first byte (handshake = frames 1–3).
  assert.deepEqual(rocketmqFrameMarks(rmq).map((m) => [m.frame, m.dir, m.kind, m.code, m.opaque]), [
    [4, 0, "request", 15, 1], [5, 0, "request", 105, 2], [6, 1, "response", 17, 2], [7, 1, "request", 39, 2], [8, 0, "response", 0, 2],
  ]);
});

test("TLS and HTTP on 9876 are released without a word; the TCP analysis still reports the connection", () => {
  const hello = Uint8Array.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, ...new Array(500).fill(7)]);
  const http = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: namesrv:9876\r\n\r\n");
  for (const first of [hello, http]) {
    const c = new Conversation().handshake();
    c.wait(100).send(0, first).wait(100).send(1, new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
    const r = analyze(c);
    assert.equal(r.connections, 1);
    assert.equal(r.rmq, undefined);
  }
});

test("unanswered requests: a timeout once the capture outlasts it, unknown (null) when it ends sooner", () => {
  for (const [waitUs, want] of [[3_500_000, true], [1_000_000, null]] as const) {
    const c = new Conversation().handshake();
    c.wait(100).send(0, encodeFrame({ code: 322, opaque: 9, version: 479, body: `{"counter":1,"stateVersion":0,"timestamp":1}` }));
    c.wait(waitUs).ack(1);
    const e = analyze(c).rmq!.exchanges[0]!;
    assert.equal(e.timed_out, want, `after ${waitUs} µs`);
    assert.equal(e.implied_timeout_ms, 24000);
    assert.match(e.timeout_note!, /V5_3_3 broker sends QUERY_DATA_VERSION with registerBrokerTimeoutMills 24000 ms \(5\.x default\)/);
  }
});

test("a segment lost inside a body costs that body only; one lost at a boundary is a gap the stream resumes after", () => {
  const { bytes: body } = buildRegisterBrokerBody({ version: 401, topics: 40 });
  const req = encodeFrame(registerBrokerRequest(ID, body, { version: 401, opaque: 5 }));
  const resp = encodeFrame({ code: 0, flag: 1, opaque: 5, version: 401 });
  const c = new Conversation({ mss: 500 }).handshake();
  c.wait(100).send(0, req, { lose: [2] }).wait(200).ack(1).send(1, resp);
  const r = analyze(c).rmq!;
  const e = r.exchanges[0]!;
  assert.equal(e.request_gap_bytes, 500);
  assert.equal(e.response_code, 0);
  assert.equal(e.register_broker!.crc_ok, null);
  assert.match(e.register_broker!.decode_error!, /500 body bytes missing/);

  // Three small requests in three segments; the middle one is not captured.
  const f = [1, 2, 3].map((o) => encodeFrame({ code: 34, opaque: o, version: 401, body: "{}" }));
  const c2 = new Conversation().handshake();
  for (let i = 0; i < 3; i++) c2.wait(100).send(0, f[i]!, { lose: i === 1 ? [0] : [] });
  c2.wait(100).ack(1);
  const r2 = analyze(c2).rmq!;
  assert.deepEqual(r2.exchanges.map((x) => x.opaque), [1, 3]);
  assert.equal(r2.errors.length, 1);
  assert.deepEqual([r2.errors[0]!.code, r2.errors[0]!.offset, r2.errors[0]!.resumed_at, r2.errors[0]!.skipped_bytes], ["gap", f[0]!.length, f[0]!.length + f[1]!.length, 0]);
});

test("a capture that starts mid-connection, inside a body: resynchronised at the next frame", () => {
  const c = new Conversation();
  // No handshake: the first captured bytes are the tail of a body.
  c.send(0, new TextEncoder().encode(`ext":"x","counter":12}` + "y".repeat(300)));
  c.wait(100).send(0, encodeFrame({ code: 322, opaque: 77, version: 401, body: "{}" }));
  c.wait(400).send(1, encodeFrame({ code: 0, flag: 1, opaque: 77, version: 401, extFields: { changed: "false" } }));
  const r = analyze(c).rmq!;
  assert.ok(r);
  assert.deepEqual(r.exchanges.map((e) => [e.code, e.opaque, e.response_ext_fields, e.latency_us]), [[322, 77, { changed: "false" }, 400]]);
  assert.equal(r.errors[0]!.offset, 0);
  assert.equal(r.errors[0]!.resumed_at, 322);
});

test("garbage after a good frame is one error with its offset; what follows still decodes", () => {
  const a = encodeFrame({ code: 34, opaque: 1, version: 401, body: "{}" });
  const b = encodeFrame({ code: 34, opaque: 2, version: 401, body: "{}" });
  const junk = new TextEncoder().encode("\u0000\u0000\u0000\u0020\u0002 not a frame at all, really");
  const c = new Conversation().handshake();
  c.wait(100).send(0, a).wait(100).send(0, junk).wait(100).send(0, b);
  const r = analyze(c).rmq!;
  assert.deepEqual(r.exchanges.map((e) => e.opaque), [1, 2]);
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.code, "unknown_serialize_type");
  assert.equal(r.errors[0]!.offset, a.length + 4);
  assert.equal(r.errors[0]!.frame, 5);
  assert.equal(r.errors[0]!.resumed_at, a.length + junk.length);
  assert.deepEqual(r.undecodable, [false, false]);
});

test("a PROXY protocol header (v1 or v2) before the first frame is passed over and named", () => {
  const v2 = Uint8Array.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c, 10, 0, 0, 7, 10, 0, 0, 2, 0x9c, 0x40, 0x26, 0x94]);
  for (const [proxy, name] of [[new TextEncoder().encode("PROXY TCP4 10.0.0.7 10.0.0.2 40000 9876\r\n"), "PROXY TCP4 10.0.0.7 10.0.0.2 40000 9876"], [v2, "v2 (28 bytes)"]] as const) {
    const c = new Conversation().handshake();
    const req = encodeFrame({ code: 105, opaque: 3, version: 401, extFields: { topic: "T" } });
    const both = new Uint8Array(proxy.length + req.length);
    both.set(proxy);
    both.set(req, proxy.length);
    c.wait(100).send(0, both).wait(200).send(1, encodeFrame({ code: 17, flag: 1, opaque: 3, version: 401 }));
    const r = analyze(c).rmq!;
    assert.equal(r.proxy_header, name);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.exchanges.map((e) => [e.code, e.request_offset, e.response_code, e.latency_us]), [[105, proxy.length, 17, 200]]);
  }
});

test("a frame that decodes but is no command (unknown flag bits): an error once claimed, a release before", () => {
  const good = encodeFrame({ code: 34, opaque: 1, version: 401, body: "{}" });
  const odd = encodeFrame({ code: 34, flag: 0x40, opaque: 2, version: 401 });
  const c = new Conversation().handshake();
  c.wait(100).send(0, good).wait(100).send(0, odd);
  const r = analyze(c).rmq!;
  assert.deepEqual(r.exchanges.map((e) => e.opaque), [1]);
  assert.deepEqual(r.errors.map((e) => [e.code, e.offset, e.frame]), [["not_a_command", good.length, 5]]);
  const first = new Conversation().handshake();
  first.wait(100).send(0, odd).wait(100).send(0, good);
  assert.equal(analyze(first).rmq, undefined);
});

test("a request the connection closed on (the incident's timed-out registrations) is an exchange too, marked incomplete", () => {
  const { bytes: body } = buildRegisterBrokerBody({ version: 409, topics: 2000 });
  const req = encodeFrame(registerBrokerRequest(ID, body, { version: 409, opaque: 0 }));
  const c = new Conversation({ mss: 574 }).handshake();
  c.wait(1000);
  const t0 = c.t;
  c.send(0, req.subarray(0, 574 * 100), { gapUs: 30_000 }); // 100 segments over 3 s: the window allowed no more
  c.wait(1000).ack(1);
  c.wait(40_000).fin(0); // the broker's invokeSync gave up (clientCloseSocketIfTimeout)
  c.wait(1000).rst(1);
  const r = analyze(c).rmq!;
  assert.equal(r.exchanges.length, 1);
  const e = r.exchanges[0]!;
  assert.deepEqual(
    [e.code, e.request_complete, e.request_bytes, e.request_bytes_seen, e.request_bytes_acked, e.request_first_ns, e.response_code, e.timed_out],
    [103, false, req.length, 57400, 57400, t0 * 1000, null, true],
  );
  assert.deepEqual([e.register_broker!.body_format, e.register_broker!.crc_ok, e.register_broker!.decode_error], ["json", null, `only 57400 of ${req.length} bytes were seen (the connection or the capture ended first)`]);
  assert.deepEqual(r.closes.map((x) => [x.dir, x.how]), [[0, "fin"], [1, "rst"]]);
  assert.deepEqual(r.errors, []);
  // result() leaves the tracked state alone: asked twice, the same answer, and the rest still decodes.
  const h = new RocketmqHandler({ stream: 0, client: { addr: "a", port: 1 }, server: { addr: "b", port: 2 }, handshakeSeen: true }, 3000);
  h.onData(0, req.subarray(0, 5000), 0, 1, 1);
  const once = structuredClone(h.result());
  assert.deepEqual(h.result(), once);
  assert.equal(once!.exchanges[0]!.request_bytes_seen, 5000);
  h.onData(0, req.subarray(5000), 5000, 2, 2);
  assert.deepEqual([h.result()!.exchanges.length, h.result()!.exchanges[0]!.request_complete, h.result()!.exchanges[0]!.register_broker!.crc_ok], [1, true, true]);
});

test("the capture ending inside a response, or inside a header: an incomplete response, a truncated error", () => {
  const resp = encodeFrame({ code: 0, flag: 1, opaque: 4, version: 401, body: "z".repeat(5000) });
  const c = new Conversation({ mss: 1000 }).handshake();
  c.wait(100).send(0, encodeFrame({ code: 105, opaque: 4, version: 401, extFields: { topic: "T" } }));
  c.wait(500).send(1, resp.subarray(0, 3000));
  c.wait(100).send(0, encodeFrame({ code: 34, opaque: 5, version: 401 }).subarray(0, 20));
  const r = analyze(c).rmq!;
  const e = r.exchanges[0]!;
  assert.deepEqual([e.code, e.response_code, e.response_complete, e.response_bytes, e.response_bytes_seen, e.latency_us, e.timed_out], [105, 0, false, resp.length, 3000, null, null]);
  assert.deepEqual(r.errors.map((x) => [x.dir, x.code]), [[0, "truncated"]]);
  assert.match(r.errors[0]!.message, /ends inside the frame at stream offset \d+ after 20 bytes, before its header was complete/);
});
