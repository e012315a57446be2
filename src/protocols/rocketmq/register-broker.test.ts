import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { crc32, crc32Table, rocketmqCrc32 } from "./crc32.js";
import { buildRegisterBrokerBody, countRegisterBodyTopics, decodeRegisterBrokerBody, encodeRegisterBrokerBody, registerBrokerRequest, queryDataVersionRequest, decodeDataVersion, looksZlib, topicConfig } from "./register-broker.js";
import { decodeTopicRouteData, encodeTopicRouteData, getRouteInfoResponse } from "./route-data.js";
import { decodeFrame, encodeFrame } from "./frame.js";

const enc = new TextEncoder();
const ID = { brokerName: "broker-a", brokerAddr: "10.0.0.5:10911", clusterName: "DefaultCluster", haServerAddr: "10.0.0.5:10912", brokerId: 0 };

test("crc32 is zlib's / java.util.zip.CRC32's; RocketMQ's clears the top bit", () => {
  const b = enc.encode("123456789");
  assert.equal(crc32(b), 0xcbf43926);
  assert.equal(rocketmqCrc32(b), 0x4bf43926);
  assert.equal(crc32(enc.encode("56789"), crc32(enc.encode("1234"))), 0xcbf43926);
  const big = buildRegisterBrokerBody({ version: 397, topics: 300 }).bytes;
  assert.equal(crc32Table(big), crc32(big));
  assert.equal(crc32Table(enc.encode("56789"), crc32Table(enc.encode("1234"))), 0xcbf43926);
});

test("a 4.x JSON body: fastjson's layout, round trip, and exactly the size asked for", () => {
  const { bytes } = buildRegisterBrokerBody({ version: 397, topics: 1, dataVersion: { counter: 3, timestamp: 1700000000123 } });
  assert.equal(
    new TextDecoder().decode(bytes),
    `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"timestamp":1700000000123},"topicConfigTable":{"TopicTest-000000":{"order":false,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest-000000","topicSysFlag":0,"writeQueueNums":8}}}}`,
  );
  for (const target of [2079208, 100000, 5000]) {
    const b = buildRegisterBrokerBody({ version: 397, targetBytes: target });
    assert.equal(b.bytes.length, target);
    const d = decodeRegisterBrokerBody(b.bytes, false);
    assert.ok(d.ok);
    assert.equal(d.value.format, "json");
    assert.equal(d.value.body.topics.length, b.body.topics.length);
    assert.deepEqual(d.value.body.topics[1], topicConfig("TopicTest-000001"));
  }
  const five = buildRegisterBrokerBody({ version: 479, targetBytes: 300000 });
  assert.equal(five.bytes.length, 300000);
  const d5 = decodeRegisterBrokerBody(five.bytes);
  assert.ok(d5.ok);
  assert.deepEqual(d5.value.body.topics[2]!.attributes, {});
  assert.equal(d5.value.body.dataVersion.stateVersion, 0);
});

test("compressed bodies: deflated as Deflater(BEST_COMPRESSION) (78 DA), sniffed whatever `compressed` says", () => {
  for (const version of [397, 479]) {
    const { body, bytes } = buildRegisterBrokerBody({ version, topics: 500, compress: true });
    assert.deepEqual([bytes[0], bytes[1]], [0x78, 0xda]);
    for (const flag of [true, false]) {
      const d = decodeRegisterBrokerBody(bytes, flag);
      assert.ok(d.ok, JSON.stringify(d));
      assert.equal(d.value.format, "zlib");
      assert.equal(d.value.flagMismatch, !flag);
      assert.deepEqual(d.value.body.topics.map((t) => t.topicName), body.topics.map((t) => t.topicName));
      assert.equal(d.value.body.topics[7]!.readQueueNums, 8);
    }
  }
  // A JSON body flagged compressed is read as JSON (and the mismatch said).
  const j = decodeRegisterBrokerBody(buildRegisterBrokerBody({ version: 397, topics: 2 }).bytes, true);
  assert.ok(j.ok && j.value.format === "json" && j.value.flagMismatch);
  // Level 6 (78 9C) is zlib too.
  assert.ok(looksZlib(deflateSync(Buffer.from("x"))));
});

test("broken bodies are errors with a reason, not exceptions", () => {
  const good = buildRegisterBrokerBody({ version: 397, topics: 20, compress: true }).bytes;
  const cases: [Uint8Array, string][] = [
    [new Uint8Array(0), "empty_body"],
    [good.subarray(0, 30), "bad_zlib"],
    [Uint8Array.from([0x78, 0xda, 1, 2, 3, 4]), "bad_zlib"],
    [new Uint8Array(deflateSync(Buffer.from([0, 0, 0, 200, 1, 2]), { level: 9 })), "compressed_layout"],
    [enc.encode(`{"filterServerList":[`), "bad_json"],
    [enc.encode(`{"filterServerList":[]}`), "bad_body"],
  ];
  for (const [b, code] of cases) {
    const d = decodeRegisterBrokerBody(b);
    assert.ok(!d.ok);
    assert.equal(d.error.code, code, d.error.message);
  }
});

test("the REGISTER_BROKER request: header fields, bodyCrc32 over the body, 5.x's compressed=false caveat", () => {
  const { bytes } = buildRegisterBrokerBody({ version: 397, topics: 3 });
  const f = decodeFrame(encodeFrame(registerBrokerRequest(ID, bytes, { version: 397, opaque: 849859871 })));
  assert.ok(f.ok);
  const ext = f.value.extFields!;
  assert.equal(f.value.code, 103);
  assert.equal(Number(ext.bodyCrc32), rocketmqCrc32(f.value.body!));
  assert.deepEqual([ext.brokerName, ext.brokerAddr, ext.clusterName, ext.haServerAddr, ext.brokerId, ext.compressed], ["broker-a", "10.0.0.5:10911", "DefaultCluster", "10.0.0.5:10912", "0", "false"]);
  assert.equal(ext.enableActingMaster, undefined);
  const five = registerBrokerRequest(ID, bytes, { version: 479, opaque: 1, compressed: true });
  assert.equal(five.extFields!.compressed, "false");
  assert.equal(five.extFields!.enableActingMaster, "false");
  const q = decodeFrame(encodeFrame(queryDataVersionRequest(ID, { counter: 9, timestamp: 5 }, { version: 397, opaque: 2 })));
  assert.ok(q.ok);
  assert.equal(q.value.code, 322);
  assert.deepEqual(decodeDataVersion(q.value.body!), { counter: 9, timestamp: 5 });
});

test("TopicRouteData: byte for byte what the captured 4.x name server sent, bare integer keys and all", () => {
  const captured = `{"brokerDatas":[{"brokerAddrs":{0:"192.169.0.4:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSynFlag":0,"writeQueueNums":4}]}`;
  const route = { brokerDatas: [{ cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { 0: "192.169.0.4:10911" } }], queueDatas: [{ brokerName: "broker-a", perm: 6, readQueueNums: 4, writeQueueNums: 4, topicSysFlag: 0 }], filterServerTable: {} };
  assert.equal(new TextDecoder().decode(encodeTopicRouteData(route, 293)), captured);
  const d = decodeTopicRouteData(enc.encode(captured));
  assert.ok(d.ok);
  assert.deepEqual(d.value, route);
  const resp = decodeFrame(encodeFrame(getRouteInfoResponse({ opaque: 5729 }, "TopicTest", route, 293)));
  assert.ok(resp.ok);
  // The captured answer: 341 bytes on the wire (deepflow captured_response_byte).
  assert.equal(resp.value.totalLen + 4, 341);
  assert.match(new TextDecoder().decode(encodeTopicRouteData(route, 479)), /"cluster":"DefaultCluster","enableActingMaster":false\}/);
  const missing = getRouteInfoResponse({ opaque: 1 }, "nope", null, 293);
  assert.equal(missing.code, 17);
  assert.match(missing.remark!, /No topic route info in name server for the topic: nope/);
});

test("counting topics without parsing agrees with the parser, and gives up on unbalanced bytes", () => {
  for (const version of [397, 479]) {
    for (const topics of [0, 1, 7, 3000]) {
      const { bytes } = buildRegisterBrokerBody({ version, topics });
      assert.equal(countRegisterBodyTopics(bytes), topics, `${version} ${topics}`);
    }
  }
  // Keys and values that look like structure inside strings do not count.
  const tricky = enc.encode(`{"filterServerList":["a:b{"],"topicConfigSerializeWrapper":{"dataVersion":{"counter":1},"topicConfigTable":{"x:\\"{}":{"perm":6,"topicName":"x:\\"{}"},"y":{}}}}`);
  assert.equal(countRegisterBodyTopics(tricky), 2);
  const d = decodeRegisterBrokerBody(tricky);
  assert.ok(d.ok && d.value.body.topics.length === 2);
  const full = buildRegisterBrokerBody({ version: 397, topics: 5 }).bytes;
  for (const cut of [1, 10, full.length - 1]) assert.equal(countRegisterBodyTopics(full.subarray(0, cut)), null);
  assert.equal(countRegisterBodyTopics(enc.encode(`{"topicConfigTable":{"a":{}}}`)), null, "not under topicConfigSerializeWrapper");
  assert.equal(countRegisterBodyTopics(enc.encode(`{}}`)), null);
});
