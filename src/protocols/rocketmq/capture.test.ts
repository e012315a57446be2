/**
 * The codec and the tracker on real sockets: a client and a name-server-like responder, both
 * written with this codec, talk over a veth pair (namespaces the test makes) while tcpdump
 * captures; the capture analysed with the "rocketmq" factory must show each exchange the client
 * made — code, opaque, sizes, response code — with a latency no longer than what the client itself
 * measured, and the 2 MB REGISTER_BROKER's CRC checked on the wire. The kernel segments, coalesces
 * and acknowledges as it likes, which the scripted-capture tests cannot show.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeCapture } from "../../tcp/index.js";
import { createVethPair, netnsSkipReason } from "../../../test/support/netns.js";
import { NET_TEST_TIMEOUT_MS } from "../../../test/support/tools.js";
import { rocketmqFactory, type RocketmqResult } from "./exchange-tracker.js";

const dir = mkdtempSync(join(tmpdir(), "tcpwin-rmq-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const CODEC = fileURLToPath(new URL("./index.ts", import.meta.url));

const SERVER = `import net from "node:net";
import * as m from ${JSON.stringify(CODEC)};
const port = Number(process.argv[2]);
const route = { brokerDatas: [{ cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { 0: "10.199.0.1:10911" } }], queueDatas: [{ brokerName: "broker-a", perm: 6, readQueueNums: 4, writeQueueNums: 4, topicSysFlag: 0 }], filterServerTable: {} };
const srv = net.createServer((s) => {
  const fs = new m.FrameStream((ev) => {
    if (ev.kind === "error") { console.error("server: " + ev.error.message); process.exit(3); }
    const f = ev.frame, h = f.header;
    if (h.flag & m.FLAG_ONEWAY) return;
    let resp;
    if (h.code === 105) resp = m.getRouteInfoResponse(h, h.extFields.topic, h.extFields.topic === "TopicTest" ? route : null, 397);
    else if (h.code === 103) {
      const ok = Number(h.extFields.bodyCrc32) === m.rocketmqCrc32(f.body) && m.decodeRegisterBrokerBody(f.body).ok;
      resp = ok ? { code: 0, flag: 1, opaque: h.opaque, version: 397, extFields: { haServerAddr: "", masterAddr: "" } } : { code: 1, flag: 1, opaque: h.opaque, version: 397, remark: "crc32 not match" };
    } else if (h.code === 322) resp = m.queryDataVersionResponse(h, false, { counter: 1, timestamp: 1 }, 397);
    else resp = { code: 3, flag: 1, opaque: h.opaque, version: 397, remark: "request type " + h.code + " not supported" };
    s.write(m.encodeFrame(resp, f.serializeType));
  });
  s.on("data", (d) => fs.push(new Uint8Array(d.buffer, d.byteOffset, d.length)));
  s.on("end", () => s.end());
  s.on("close", () => srv.close());
});
srv.listen(port, "0.0.0.0", () => console.log("listening"));
`;

const CLIENT = `import net from "node:net";
import * as m from ${JSON.stringify(CODEC)};
const [host, port] = [process.argv[2], Number(process.argv[3])];
const id = { brokerName: "broker-a", brokerAddr: "10.199.0.1:10911", clusterName: "DefaultCluster", haServerAddr: "10.199.0.1:10912", brokerId: 0 };
const body = m.buildRegisterBrokerBody({ version: 397, targetBytes: 2079208 }).bytes;
const plan = [
  [m.getRouteInfoRequest("TopicTest", { version: 397, opaque: 101 }), 0],
  [m.registerBrokerRequest(id, body, { version: 397, opaque: 849859871 }), 0],
  [m.queryDataVersionRequest(id, { counter: 1, timestamp: 1 }, { version: 397, opaque: 103 }), 1],
  [{ code: 15, flag: 2, opaque: 104, version: 397, extFields: { topic: "TopicTest", queueId: "1" } }, 0],
  [m.getRouteInfoRequest("nope", { version: 397, opaque: 105 }), 0],
];
const out = [];
let waiting = null;
const s = net.connect(port, host, next);
const fs = new m.FrameStream((ev) => {
  if (ev.kind === "error") { console.error("client: " + ev.error.message); process.exit(3); }
  const w = waiting; waiting = null;
  w.rec.elapsed_us = Number(process.hrtime.bigint() - w.t0) / 1000;
  w.rec.response_code = ev.frame.header.code;
  w.rec.response_bytes = ev.frame.frameBytes;
  w.rec.opaque_back = ev.frame.header.opaque;
  next();
});
s.on("data", (d) => fs.push(new Uint8Array(d.buffer, d.byteOffset, d.length)));
function next() {
  const p = plan.shift();
  if (!p) { console.log(JSON.stringify(out)); s.end(); return; }
  const [cmd, type] = p;
  const b = m.encodeFrame(cmd, type);
  const rec = { code: cmd.code, opaque: cmd.opaque, request_bytes: b.length, oneway: (cmd.flag ?? 0) === 2 };
  out.push(rec);
  const t0 = process.hrtime.bigint();
  s.write(b);
  if (rec.oneway) setTimeout(next, 20); else waiting = { rec, t0 };
}
s.setTimeout(60000, () => { console.error("client: timeout"); process.exit(4); });
`;

test("real sockets on a veth pair: every exchange the client made, decoded from the capture", { skip: netnsSkipReason(["ip", "tcpdump"]) ?? false, timeout: NET_TEST_TIMEOUT_MS }, async () => {
  const serverTs = join(dir, "server.ts");
  const clientTs = join(dir, "client.ts");
  writeFileSync(serverTs, SERVER);
  writeFileSync(clientTs, CLIENT);
  const pair = createVethPair({ mtu: 614 });
  const file = join(dir, "rmq.pcap");
  try {
    const cap = await pair.capture(file, ["-i", pair.devA, "-s", "0", "tcp port 19876"]);
    const srv = pair.spawn(pair.nsB, process.execPath, ["--import", "tsx", serverTs, "19876"]);
    let srvErr = "";
    srv.stderr!.on("data", (d: Buffer) => (srvErr += d.toString()));
    await new Promise<void>((res, rej) => {
      srv.stdout!.once("data", () => res());
      srv.once("exit", (c) => rej(new Error(`server exited ${c}: ${srvErr}`)));
    });
    const out = pair.exec(pair.nsA, process.execPath, ["--import", "tsx", clientTs, pair.ipB, "19876"]);
    const made = JSON.parse(out) as { code: number; opaque: number; request_bytes: number; oneway: boolean; elapsed_us?: number; response_code?: number; response_bytes?: number; opaque_back?: number }[];
    await new Promise<void>((res) => (srv.exitCode !== null ? res() : srv.once("exit", () => res())));
    await cap.stop();
    assert.equal(srv.exitCode, 0, `server: ${srvErr}`);
    const dropped = /(\d+) packets? dropped by kernel/.exec(cap.log());
    assert.ok(!dropped || dropped[1] === "0", `tcpdump dropped packets: ${cap.log()}`);

    const r = analyzeCapture(file, { protocols: [rocketmqFactory()] });
    assert.equal(r.connections.length, 1);
    const rmq = r.connections[0]!.app!.rocketmq as RocketmqResult;
    assert.deepEqual(rmq.errors, []);
    assert.deepEqual(
      rmq.exchanges.map((e) => [e.code, e.opaque, e.request_bytes, e.oneway, e.response_code, e.response_bytes]),
      made.map((x) => [x.code, x.opaque, x.request_bytes, x.oneway, x.response_code ?? null, x.response_bytes ?? null]),
    );
    for (const [i, e] of rmq.exchanges.entries()) {
      const x = made[i]!;
      if (x.oneway) {
        assert.equal(e.timed_out, false);
        continue;
      }
      assert.equal(x.opaque_back, x.opaque);
      // On the wire the exchange cannot take longer than the client saw it take (same host, 1 ms of clock slack).
      assert.ok(e.latency_us! > 0 && e.latency_us! <= x.elapsed_us! + 1000, `opaque ${x.opaque}: capture ${e.latency_us} µs, client ${x.elapsed_us} µs`);
      assert.ok(e.request_acked_ns! >= e.request_last_ns!, `opaque ${x.opaque}: acked after the last byte`);
    }
    const reg = rmq.exchanges[1]!;
    console.log(`# REGISTER_BROKER ${reg.request_bytes} B over frames ${reg.request_frame}–${reg.request_last_frame}, latency ${reg.latency_us} µs (client saw ${made[1]!.elapsed_us} µs)`);
    assert.equal(reg.name, "REGISTER_BROKER");
    assert.ok(reg.request_bytes! > 2079208);
    assert.ok(reg.request_last_frame! > reg.request_frame! + 1000, "the 2 MB request spans thousands of MTU-614 packets");
    assert.deepEqual([reg.register_broker!.crc_ok, reg.register_broker!.body_format, reg.response_name], [true, "json", "SUCCESS"]);
    assert.deepEqual([rmq.exchanges[2]!.serialize_type, rmq.exchanges[2]!.response_ext_fields], ["ROCKETMQ", { changed: "false" }]);
    assert.deepEqual([rmq.exchanges[4]!.response_name, rmq.exchanges[4]!.response_remark?.split("\n")[0]], ["TOPIC_NOT_EXIST", "No topic route info in name server for the topic: nope"]);
    assert.ok(rmq.closes.some((c) => c.how === "fin"));
  } finally {
    pair.close();
  }
});
