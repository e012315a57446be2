/**
 * The lab's name server and broker over loopback: real remoting frames both ways, route data a
 * client nobody here wrote (ali-ons, npm) reads, invokeSync's timeout / close / reconnect, the
 * name server's checks (bodyCrc32, unsupported codes), and the config resolved as NamesrvStartup
 * does landing on the sockets (sk_rcvbuf read back from the kernel).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { createRequire } from "node:module";
import { NET_TEST_TIMEOUT_MS, skipUnless } from "../support/tools.js";
import { runBroker, startNameServer, type NameServerExchange } from "../../src/lab/rocketmq/index.js";
import { decodeFrame, encodeFrame, FrameStream, type StreamFrame } from "../../src/protocols/rocketmq/index.js";

const require = createRequire(import.meta.url);
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const opts = { skip: skipUnless("linux"), timeout: NET_TEST_TIMEOUT_MS };

test("broker registers, name server keeps the route, ali-ons (npm) fetches it", opts, async () => {
  const seen: NameServerExchange[] = [];
  const ns = await startNameServer({ host: "127.0.0.1", port: 0, version: "4.9.2", onExchange: (e) => seen.push(e) });
  try {
    const run = await runBroker({ namesrv: `127.0.0.1:${ns.port}`, topics: 5, count: 2, periodMs: 50, timeoutMs: 3000, version: "4.9.2", brokerAddr: "10.0.0.5:10911", opaqueStart: 849859871 });
    assert.deepEqual(run.results.map((r) => [r.code, r.opaque, r.response_code, r.timed_out, r.new_connection]), [
      [103, 849859871, 0, false, true],
      [103, 849859872, 0, false, false],
    ]);
    assert.equal(run.results[0]!.local_port, run.results[1]!.local_port, "the channel is reused after a success");
    assert.deepEqual(seen.map((e) => [e.code, e.opaque, e.topics, e.version]), [
      // 397 = V4_9_2 (MQVersion ordinal)
      [103, 849859871, 5, 397],
      [103, 849859872, 5, 397],
    ]);
    assert.equal(seen[0]!.request_bytes, run.results[0]!.frame_bytes);

    const MQClientAPI = require("ali-ons/lib/mq_client_api");
    const api = new MQClientAPI({ nameSrv: `127.0.0.1:${ns.port}`, httpclient: {}, logger: quiet });
    await api.ready();
    try {
      const route = await api.getTopicRouteInfoFromNameServer("TopicTest-000003", 3000);
      assert.deepEqual(route.brokerDatas, [{ brokerAddrs: { 0: "10.0.0.5:10911" }, brokerName: "broker-a", cluster: "DefaultCluster" }]);
      assert.deepEqual(route.queueDatas, [{ brokerName: "broker-a", perm: 6, readQueueNums: 8, topicSynFlag: 0, writeQueueNums: 8 }]);
      await assert.rejects(api.getTopicRouteInfoFromNameServer("NoSuchTopic", 3000), /No topic route info in name server for the topic: NoSuchTopic/);
    } finally {
      await api.close();
    }
    assert.deepEqual(seen.slice(2).map((e) => [e.code, e.response_code, e.topic]), [
      [105, 0, "TopicTest-000003"],
      [105, 17, "NoSuchTopic"],
    ]);
  } finally {
    await ns.close();
  }
});

test("forceRegister=false: QUERY_DATA_VERSION first; registered again only when the name server says changed", opts, async () => {
  const ns = await startNameServer({ host: "127.0.0.1", port: 0 });
  try {
    const run = await runBroker({ namesrv: `127.0.0.1:${ns.port}`, topics: 2, count: 3, periodMs: 30, timeoutMs: 3000, forceRegister: false });
    assert.deepEqual(run.results.map((r) => [r.code, r.changed, r.response_code]), [
      [103, true, 0],
      [322, false, 0],
      [322, false, 0],
    ]);
    assert.equal(ns.brokers().get("127.0.0.1:10911")?.topics, 2);
  } finally {
    await ns.close();
  }
});

test("invokeSync timeout: the channel is closed and the next period connects anew (serverSocketRcvBufSize=1024 from the file beats the -D)", opts, async () => {
  const accepted: number[] = [];
  const ns = await startNameServer({
    host: "127.0.0.1",
    port: 0,
    configText: "serverSocketRcvBufSize=1024\n",
    jvm: "-Dcom.rocketmq.remoting.socket.rcvbuf.size=1048576",
    mss: 574,
    onConnection: (c) => accepted.push(c.accepted.effective.rcvbuf),
  });
  try {
    assert.equal(ns.settings.serverSocketRcvBufSize.source, "file");
    assert.equal(ns.settings.listener.effective.rcvbuf, 2304);
    // 8 MB through a 574-byte window takes ~1 s even on loopback: well past 100 ms, and 100 ms
    // leaves the name server time to accept before the broker closes.
    const run = await runBroker({ namesrv: `127.0.0.1:${ns.port}`, bodySize: 8_000_000, count: 2, periodMs: 200, timeoutMs: 100 });
    assert.equal(run.body_bytes, 8_000_000);
    for (const r of run.results) {
      assert.equal(r.timed_out, true, JSON.stringify(r));
      assert.equal(r.closed_after_timeout, true);
      assert.equal(r.new_connection, true);
      assert.ok(r.elapsed_ms >= 100 && r.elapsed_ms < 1000, String(r.elapsed_ms));
    }
    assert.notEqual(run.results[0]!.local_port, run.results[1]!.local_port, "a new connection (new SYN) after the close");
    // A connection the broker already closed may be accepted after the run ends: at least one seen.
    assert.ok(accepted.length >= 1 && accepted.every((rb) => rb === 2304), `accepted sockets inherit the listener's buffer: ${accepted}`);
  } finally {
    await ns.close();
  }
});

test("the trap: serverSocketRcvBufSize=\"1024 \" is ignored, the -D's value reaches the socket; --apply accepted sets it after accept", opts, async () => {
  const got: number[] = [];
  const ns = await startNameServer({ host: "127.0.0.1", port: 0, configText: "serverSocketRcvBufSize=1024 \n", jvm: "-Dcom.rocketmq.remoting.socket.rcvbuf.size=65536", onConnection: (c) => got.push(c.accepted.effective.rcvbuf) });
  const ns2 = await startNameServer({ host: "127.0.0.1", port: 0, configText: "serverSocketRcvBufSize=1024\n", apply: "accepted", onConnection: (c) => got.push(c.accepted.effective.rcvbuf) });
  try {
    assert.equal(ns.settings.serverSocketRcvBufSize.source, "jvm");
    assert.equal(ns.settings.listener.effective.rcvbuf, 131072);
    assert.notEqual(ns2.settings.listener.effective.rcvbuf, 2304, "not on the listener");
    await runBroker({ namesrv: `127.0.0.1:${ns.port}`, topics: 1, timeoutMs: 3000 });
    await runBroker({ namesrv: `127.0.0.1:${ns2.port}`, topics: 1, timeoutMs: 3000 });
    assert.deepEqual(got, [131072, 2304]);
  } finally {
    await ns.close();
    await ns2.close();
  }
});

/** One request over a plain socket, its response decoded. */
async function ask(port: number, frame: Uint8Array): Promise<StreamFrame> {
  const s = net.connect(port, "127.0.0.1");
  try {
    return await new Promise<StreamFrame>((res, rej) => {
      const fs = new FrameStream((ev) => (ev.kind === "frame" ? res(ev.frame) : rej(new Error(ev.error.message))));
      s.on("data", (b) => fs.push(b));
      s.on("error", rej);
      s.write(frame);
    });
  } finally {
    s.destroy();
  }
}

test("name server checks: bodyCrc32 mismatch → SYSTEM_ERROR \"crc32 not match\"; an unknown code → REQUEST_CODE_NOT_SUPPORTED", opts, async () => {
  const ns = await startNameServer({ host: "127.0.0.1", port: 0 });
  try {
    const ext = { brokerName: "b", brokerAddr: "1.2.3.4:10911", clusterName: "c", haServerAddr: "1.2.3.4:10912", brokerId: "0", bodyCrc32: "12345", compressed: "false" };
    const bad = await ask(ns.port, encodeFrame({ code: 103, opaque: 7, extFields: ext, body: '{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":1,"timestamp":1},"topicConfigTable":{}}}' }));
    assert.deepEqual([bad.header.code, bad.header.opaque, bad.header.flag, bad.header.remark], [1, 7, 1, "crc32 not match"]);
    const unk = await ask(ns.port, encodeFrame({ code: 9999, opaque: 8 }));
    assert.deepEqual([unk.header.code, unk.header.opaque, unk.header.remark], [3, 8, " request type 9999 not supported"]);
    assert.equal(ns.brokers().size, 0);
    // Decodes as a whole frame too (the codec's other entry point).
    assert.ok(decodeFrame(encodeFrame({ code: 105, extFields: { topic: "x" } })).ok);
  } finally {
    await ns.close();
  }
});

test("bytes that are not RocketMQ (HTTP, TLS, a lying length) close that connection only; the name server keeps serving", opts, async () => {
  const errors: string[] = [];
  const ns = await startNameServer({ host: "127.0.0.1", port: 0, onError: (m) => errors.push(m) });
  try {
    for (const junk of [Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 4, 1, 2, 3, 4])]) {
      const s = net.connect(ns.port, "127.0.0.1");
      const closed = new Promise<void>((r) => s.once("close", () => r()));
      s.on("error", () => {});
      s.write(junk);
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
      s.destroy();
    }
    assert.ok(errors.length >= 3, errors.join("; "));
    const bad = await ask(ns.port, encodeFrame({ code: 103, opaque: 9, extFields: { brokerName: "b", brokerAddr: "a:1", clusterName: "c", haServerAddr: "a:2", brokerId: "zero" } }));
    assert.deepEqual([bad.header.code, bad.header.remark], [1, 'the custom field <brokerId> is not a number: "zero"']);
    const run = await runBroker({ namesrv: `127.0.0.1:${ns.port}`, topics: 1, timeoutMs: 3000 });
    assert.equal(run.results[0]!.response_code, 0);
  } finally {
    await ns.close();
  }
});
