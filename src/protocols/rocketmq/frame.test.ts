import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeFrame, encodeFrame, encodeBinaryHeader, SerializeType, FRAME_MAX_LENGTH, type RocketmqErrorCode } from "./frame.js";
import { languageName, requestCodeName, responseCodeName, versionName, versionOrdinal, registerBrokerTimeoutMs } from "./codes.js";

const enc = new TextEncoder();

/** A captured request (deepflow rocketmq-get-routeinfo-by-topic.pcap, frame 4): totalLen 135, header 131. */
const CAPTURED_HEADER = `{"code":105,"extFields":{"topic":"TBW102"},"flag":0,"language":"JAVA","opaque":5731,"serializeTypeCurrentRPC":"JSON","version":293}`;
function captured(): Uint8Array {
  const h = enc.encode(CAPTURED_HEADER);
  const b = new Uint8Array(8 + h.length);
  new DataView(b.buffer).setUint32(0, 4 + h.length);
  new DataView(b.buffer).setUint32(4, h.length);
  b.set(h, 8);
  return b;
}

test("a captured JSON frame decodes to its fields, and the encoder writes the same bytes", () => {
  const b = captured();
  assert.equal(b.length, 139); // deepflow: captured_request_byte 139, req_msg_size 135
  const r = decodeFrame(b);
  assert.ok(r.ok);
  const f = r.value;
  assert.deepEqual(
    { code: f.code, opaque: f.opaque, version: f.version, flag: f.flag, language: f.language, ext: f.extFields, remark: f.remark, totalLen: f.totalLen, headerLen: f.headerLen, body: f.body },
    { code: 105, opaque: 5731, version: 293, flag: 0, language: "JAVA", ext: { topic: "TBW102" }, remark: null, totalLen: 135, headerLen: 131, body: null },
  );
  const again = encodeFrame({ code: 105, opaque: 5731, version: 293, extFields: { topic: "TBW102" } });
  assert.deepEqual(again, b);
});

test("JSON header keys in the Go client's order decode the same", () => {
  const go = encodeFrame({ code: 34, opaque: 7, version: 317, language: "GO", extFields: { a: "1" }, body: "{}" }, SerializeType.JSON, { jsonStyle: "go" });
  const text = new TextDecoder().decode(go.subarray(8, 8 + new DataView(go.buffer).getUint32(4)));
  assert.equal(text, `{"code":34,"language":"GO","version":317,"opaque":7,"flag":0,"remark":"","extFields":{"a":"1"}}`);
  const r = decodeFrame(go);
  assert.ok(r.ok);
  assert.deepEqual([r.value.code, r.value.language, r.value.version, r.value.opaque, r.value.remark, r.value.extFields, new TextDecoder().decode(r.value.body!)], [34, "GO", 317, 7, "", { a: "1" }, "{}"]);
});

test("JSON and ROCKETMQ binary headers round-trip every field", () => {
  const cmd = { code: 103, flag: 0, opaque: 849859871, version: 401, language: "JAVA", remark: "ré", extFields: { brokerName: "broker-a", bodyCrc32: "12345", "ключ": "значение" }, body: new Uint8Array([1, 2, 3, 0, 255]) };
  for (const t of [SerializeType.JSON, SerializeType.ROCKETMQ]) {
    const r = decodeFrame(encodeFrame(cmd, t));
    assert.ok(r.ok, JSON.stringify(r));
    const f = r.value;
    assert.equal(f.serializeType, t);
    assert.deepEqual({ code: f.code, flag: f.flag, opaque: f.opaque, version: f.version, language: f.language, remark: f.remark, extFields: f.extFields, body: [...f.body!] }, { ...cmd, body: [1, 2, 3, 0, 255] });
  }
  // Response flag, negative opaque (the AtomicInteger wraps) and a null remark survive too.
  const r = decodeFrame(encodeFrame({ code: 1, flag: 1, opaque: -5, version: 479, language: 9 }, SerializeType.ROCKETMQ));
  assert.ok(r.ok);
  assert.deepEqual([r.value.flag, r.value.opaque, r.value.language, r.value.remark, r.value.extFields], [1, -5, "GO", null, null]);
});

test("the ROCKETMQ header layout: 21 fixed bytes, big-endian, as RocketMQSerializableTest has it", () => {
  const h = encodeBinaryHeader({ code: 10, language: "JAVA", version: 2333, opaque: 7, flag: 1, remark: "ab", extFields: { k: "v" } });
  assert.deepEqual([...h], [0, 10, 0, 0x09, 0x1d, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0x61, 0x62, 0, 0, 0, 8, 0, 1, 0x6b, 0, 0, 0, 1, 0x76]);
  assert.equal(encodeBinaryHeader({ code: 0 }).length, 21);
  assert.throws(() => encodeBinaryHeader({ code: 200050 }), /int16/);
});

function frameWith(total: number, word: number, header: Uint8Array | string, extra = 0): Uint8Array {
  const h = typeof header === "string" ? enc.encode(header) : header;
  const b = new Uint8Array(8 + h.length + extra);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, total >>> 0);
  dv.setUint32(4, word >>> 0);
  b.set(h, 8);
  return b;
}

test("malformed frames: each is a clear error with an offset inside the frame", () => {
  const hdr = `{"code":1}`;
  const bin = encodeBinaryHeader({ code: 1, remark: "xyz" });
  const badRemark = bin.slice();
  new DataView(badRemark.buffer).setInt32(13, 1000);
  const badExt = bin.slice();
  new DataView(badExt.buffer).setInt32(20, 99);
  const cases: [string, Uint8Array, RocketmqErrorCode, RegExp][] = [
    ["length 0", frameWith(0, 0, ""), "bad_length", /totalLen 0 < 4/],
    ["absurd length", frameWith(FRAME_MAX_LENGTH, 10, hdr), "frame_too_long", /exceeds frameMaxLength 16777216/],
    ["serialize type 2", frameWith(14, (2 << 24) | 10, hdr), "unknown_serialize_type", /serialize type 2/],
    ["header longer than frame", frameWith(14, 11, hdr + " "), "header_longer_than_frame", /headerLen 11 > totalLen 14 - 4/],
    ["bad JSON", frameWith(14, 10, `{"code":1,`), "bad_json", /at byte 10/],
    ["JSON not an object", frameWith(14, 10, `[1,2,3,4,5]`.slice(0, 10)), "bad_json", /header JSON/],
    ["JSON array", frameWith(6, 2, "[]"), "json_not_object", /not an object/],
    ["code missing", frameWith(14, 10, `{"flag":10}`.slice(0, 10)), "bad_json", /header JSON/],
    ["code a string", frameWith(16, 12, `{"code":"1"}`), "json_bad_field", /"code" is "1"/],
    ["code absent", frameWith(16, 12, `{"opaque":1}`), "json_bad_field", /"code" is missing/],
    ["binary too short", frameWith(14, (1 << 24) | 10, bin.subarray(0, 10)), "binary_header_short", /needs 21 bytes, has 10/],
    ["binary remark overflow", frameWith(4 + bin.length, (1 << 24) | bin.length, badRemark), "binary_remark_overflow", /remarkLen 1000/],
    ["binary ext overflow", frameWith(4 + bin.length, (1 << 24) | bin.length, badExt), "binary_ext_overflow", /extLen 99/],
    ["truncated", captured().subarray(0, 100), "truncated", /needs 139 bytes, have 100/],
  ];
  for (const [name, b, code, msg] of cases) {
    const r = decodeFrame(b);
    assert.ok(!r.ok, name);
    assert.equal(r.error.code, code, `${name}: ${r.error.message}`);
    assert.match(r.error.message, msg, name);
    assert.ok(r.error.offset >= 0 && r.error.offset <= b.length, `${name}: offset ${r.error.offset}`);
  }
});

test("every truncated length of a valid frame is 'truncated', never a wrong decode", () => {
  for (const b of [captured(), encodeFrame({ code: 5, remark: "r", extFields: { a: "b" }, body: "xyz" }, SerializeType.ROCKETMQ)]) {
    for (let n = 0; n < b.length; n++) {
      const r = decodeFrame(b.subarray(0, n));
      assert.ok(!r.ok && r.error.code === "truncated" && r.error.offset <= n, `len ${n}`);
    }
  }
});

test("fastjson's bare integer keys are accepted in headers too", () => {
  const r = decodeFrame(frameWith(4 + 30, 30, `{"code":0,"extFields":{1:"a"}}`));
  assert.ok(r.ok);
  assert.deepEqual(r.value.extFields, { "1": "a" });
});

test("tables: versions, languages, codes (with the names that changed between 4.x and 5.x)", () => {
  assert.deepEqual([293, 399, 401, 409, 413, 433, 479].map(versionName), ["V4_4_0", "V4_9_3", "V4_9_4", "V4_9_8", "V5_0_0", "V5_1_0", "V5_3_3"]);
  assert.equal(versionName(0), "V3_0_0_SNAPSHOT");
  assert.equal(versionName(100000), "HIGHER_VERSION");
  assert.equal(versionName(-1), "UNKNOWN_VERSION(-1)");
  assert.equal(versionOrdinal("4.9.2"), 397);
  assert.equal(versionOrdinal("V5_3_0"), 473);
  assert.deepEqual([0, 9, 12, 13, 99].map(languageName), ["JAVA", "GO", "RUST", "NODE_JS", "UNKNOWN_LANGUAGE(99)"]);
  assert.equal(requestCodeName(103), "REGISTER_BROKER");
  assert.equal(requestCodeName(322), "QUERY_DATA_VERSION");
  assert.equal(requestCodeName(310), "SEND_MESSAGE_V2");
  assert.equal(requestCodeName(50, 409), "UPDATE_AND_CREATE_ACL_CONFIG");
  assert.equal(requestCodeName(50, 479), "UNKNOWN(50)");
  assert.equal(requestCodeName(3001, 409), "UNKNOWN(3001)");
  assert.equal(requestCodeName(3001, 479), "AUTH_CREATE_USER");
  assert.equal(responseCodeName(19), "PULL_NOT_FOUND");
  assert.equal(responseCodeName(209, 409), "UPDATE_AND_CREATE_ACL_CONFIG_FAILED");
  assert.equal(responseCodeName(209, 479), "POLLING_FULL");
  assert.equal(responseCodeName(210, 433), "POLLING_TIMEOUT|DELETE_ACL_CONFIG_FAILED");
  assert.equal(responseCodeName(777), "UNKNOWN(777)");
  assert.deepEqual([registerBrokerTimeoutMs(397), registerBrokerTimeoutMs(413), registerBrokerTimeoutMs(100)], [6000, 24000, null]);
});
