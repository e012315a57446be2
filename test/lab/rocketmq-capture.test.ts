/**
 * The lab's exchanges decode in a capture: tcpdump on loopback while tcpwin's broker registers
 * with tcpwin's name server and ali-ons (npm, a client nobody here wrote) asks for the route; then
 * the pcap goes through tcpwin's own reader, TCP reassembly and remoting codec, and every request
 * meets its response by opaque with the fields each side sent.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { NET_TEST_TIMEOUT_MS, skipUnless } from "../support/tools.js";
import { runBroker, startNameServer } from "../../src/lab/rocketmq/index.js";
import { analyzeCapture } from "../../src/tcp/analyze-capture.js";
import { StreamClaim, type StreamFactory, type StreamHandler } from "../../src/tcp/stream.js";
import { decodeRegisterBrokerBody, decodeTopicRouteData, FrameStream, rocketmqFactory, type RocketmqResult, type StreamFrame } from "../../src/protocols/rocketmq/index.js";

const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), "tcpwin-rmq-cap-"));
after(() => (process.env.TCPWIN_KEEP ? undefined : rmSync(dir, { recursive: true, force: true })));

/** Every frame of every connection, per direction (0 = client → server). */
function framesFactory(out: { port: number; dir: 0 | 1; frame: StreamFrame }[]): StreamFactory {
  return {
    name: "frames",
    accept(info): StreamHandler {
      const fs = [0, 1].map((d) => new FrameStream((ev) => ev.kind === "frame" && out.push({ port: info.client.port, dir: d as 0 | 1, frame: ev.frame })));
      return {
        onData: (d, b, _o, ts, frame) => (fs[d]!.push(b, ts, frame), StreamClaim.claimed),
        onGap: () => {},
        onAck: () => {},
        onClose: () => {},
        result: () => null,
      };
    },
  };
}

test("a capture of broker → name server ← ali-ons decodes: REGISTER_BROKER and GET_ROUTEINFO_BY_TOPIC, matched by opaque", { skip: skipUnless("linux", "root", "tcpdump"), timeout: NET_TEST_TIMEOUT_MS }, async () => {
  const ns = await startNameServer({ host: "127.0.0.1", port: 0, version: "4.9.2" });
  const file = join(dir, "lab.pcap");
  const td = spawn("tcpdump", ["-i", "lo", "--immediate-mode", "-U", "-Z", "root", "-w", file, "-s", "0", `tcp port ${ns.port}`], { stdio: ["ignore", "ignore", "pipe"] });
  let tdErr = "";
  td.stderr.on("data", (b: Buffer) => (tdErr += String(b)));
  const killTd = () => td.kill("SIGKILL");
  process.once("exit", killTd);
  try {
    await new Promise<void>((res, rej) => {
      td.stderr.on("data", (b: Buffer) => /listening on/.test(String(b)) && res());
      td.once("exit", (c) => rej(new Error(`tcpdump exited ${c}`)));
    });
    const run = await runBroker({ namesrv: `127.0.0.1:${ns.port}`, topics: 40, timeoutMs: 3000, version: "4.9.2", opaqueStart: 849859871 });
    assert.equal(run.results[0]!.response_code, 0);
    const MQClientAPI = require("ali-ons/lib/mq_client_api");
    const api = new MQClientAPI({ nameSrv: `127.0.0.1:${ns.port}`, httpclient: {}, logger: { info() {}, warn() {}, error() {}, debug() {} } });
    await api.ready();
    const route = await api.getTopicRouteInfoFromNameServer("TopicTest-000039", 3000);
    await api.close();
    assert.equal(route.brokerDatas[0].brokerName, "broker-a");
    await new Promise((r) => setTimeout(r, 200));
    const exited = new Promise((r) => td.once("exit", r));
    td.kill("SIGINT");
    await exited;
    if (process.env.TCPWIN_KEEP) console.log(tdErr);
  } finally {
    process.off("exit", killTd);
    td.kill("SIGKILL");
    await ns.close();
  }

  const frames: { port: number; dir: 0 | 1; frame: StreamFrame }[] = [];
  const analysis = analyzeCapture(file, { protocols: [framesFactory(frames), rocketmqFactory({ timeoutMs: 3000 })] });
  // The codec's exchange tracker (what `tcpwin analyze` reports) pairs them too.
  const exchanges = analysis.connections.flatMap((c) => ((c.app as Record<string, RocketmqResult> | undefined)?.rocketmq?.exchanges ?? []));
  assert.deepEqual(
    exchanges.map((e) => [e.code, e.opaque === 849859871 ? "opaque" : "", e.response_code, e.timed_out, e.register_broker?.topics ?? null, e.register_broker?.crc_ok ?? null]),
    [
      [103, "opaque", 0, false, 40, true],
      [105, "", 0, false, null, null],
    ],
  );
  const req = (code: number) => frames.find((f) => f.dir === 0 && f.frame.header.code === code)!;
  const resp = (r: { port: number; frame: StreamFrame }) => frames.find((f) => f.dir === 1 && f.port === r.port && f.frame.header.opaque === r.frame.header.opaque && (f.frame.header.flag & 1) === 1)!;

  const reg = req(103);
  assert.ok(reg, `no REGISTER_BROKER among ${frames.length} frames`);
  assert.deepEqual([reg.frame.header.opaque, reg.frame.header.version, reg.frame.header.language], [849859871, 397, "JAVA"]);
  assert.equal(reg.frame.header.extFields?.brokerName, "broker-a");
  const body = decodeRegisterBrokerBody(reg.frame.body!);
  assert.ok(body.ok && body.value.body.topics.length === 40);
  assert.equal(resp(reg).frame.header.code, 0);

  const get = req(105);
  assert.ok(get, "ali-ons' GET_ROUTEINFO_BY_TOPIC is in the capture");
  assert.equal(get.frame.header.extFields?.topic, "TopicTest-000039");
  assert.equal(get.frame.header.language, "JAVA");
  const answer = resp(get);
  assert.equal(answer.frame.header.code, 0);
  const r = decodeTopicRouteData(answer.frame.body!);
  assert.ok(r.ok);
  assert.deepEqual(r.value.brokerDatas[0]!.brokerAddrs, { 0: "127.0.0.1:10911" });
});
