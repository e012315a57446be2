/**
 * @module bench/rocketmq
 * What following RocketMQ costs the capture analysis, in-process (warm JIT, medians of
 * BENCH_REPEAT runs, 5 by default): one connection scripted with real seq/ack numbers
 * (test/fixtures/capture/conversation.ts) carrying 50 000 GET_ROUTEINFO_BY_TOPIC exchanges and
 * five 2 MB REGISTER_BROKERs (the incident's size; each decoded, its CRC checked), analysed with no
 * protocol, with a factory that takes nothing (the single-thread read path alone), and with the
 * "rocketmq" factory. Peer: `tshark -r F -q -z io,stat,0`, which only dissects (Wireshark has no
 * RocketMQ dissector). Prints wall and CPU time (median), packets/s, exchanges/s, the load average.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { analyzeCapture } from "../src/tcp/index.js";
import { buildRegisterBrokerBody, encodeFrame, encodeTopicRouteData, getRouteInfoRequest, getRouteInfoResponse, registerBrokerRequest, rocketmqFactory, type RocketmqResult } from "../src/protocols/rocketmq/index.js";
import type { StreamFactory } from "../src/tcp/stream.js";
import { Conversation } from "../test/fixtures/capture/conversation.js";
import { BENCH_OUT } from "./make-capture.js";

const SMALL = 50_000;
const BIG = 5;

function makeCapture(): string {
  const path = join(BENCH_OUT, `rocketmq-${SMALL}-${BIG}.pcap`);
  if (existsSync(path)) return path;
  mkdirSync(BENCH_OUT, { recursive: true });
  const route = { brokerDatas: [{ cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { 0: "10.0.0.2:10911" } }], queueDatas: [{ brokerName: "broker-a", perm: 6, readQueueNums: 4, writeQueueNums: 4, topicSysFlag: 0 }], filterServerTable: {} };
  encodeTopicRouteData(route, 397);
  const id = { brokerName: "broker-a", brokerAddr: "10.0.0.1:10911", clusterName: "DefaultCluster", haServerAddr: "10.0.0.1:10912", brokerId: 0 };
  const body = buildRegisterBrokerBody({ version: 397, targetBytes: 2079208 }).bytes;
  const c = new Conversation().handshake();
  let opaque = 1;
  for (let i = 0; i < SMALL; i++) {
    if (i % (SMALL / BIG) === 0) {
      c.wait(100).send(0, encodeFrame(registerBrokerRequest(id, body, { version: 397, opaque: opaque++ })), { gapUs: 5 });
      c.wait(200).send(1, encodeFrame({ code: 0, flag: 1, opaque: opaque - 1, version: 397 }));
    }
    c.wait(100).send(0, encodeFrame(getRouteInfoRequest("TopicTest", { version: 397, opaque })));
    c.wait(300).send(1, encodeFrame(getRouteInfoResponse({ opaque }, "TopicTest", route, 397)));
    opaque++;
  }
  c.fin(0).fin(1);
  writeFileSync(path, c.pcap());
  return path;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function run(): Promise<void> {
  const file = makeCapture();
  const repeat = Number(process.env.BENCH_REPEAT ?? 5);
  const none: StreamFactory = { name: "none", accept: () => null };
  const variants: [string, StreamFactory[] | undefined][] = [["no protocol", undefined], ["null factory (one thread)", [none]], ["rocketmq", [rocketmqFactory()]]];
  const ms: number[][] = variants.map(() => []);
  const cpu: number[][] = variants.map(() => []);
  let packets = 0;
  let exchanges = 0;
  for (let k = 0; k <= repeat; k++) {
    for (const [i, [, protocols]] of variants.entries()) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const r = analyzeCapture(file, protocols ? { protocols } : { readWorker: false });
      const dt = performance.now() - t0;
      const dc = process.cpuUsage(c0);
      if (k === 0) continue; // warm-up
      ms[i]!.push(dt);
      cpu[i]!.push((dc.user + dc.system) / 1000);
      packets = r.packets;
      const app = r.connections[0]?.app?.rocketmq as RocketmqResult | undefined;
      if (app) exchanges = app.exchanges.length;
    }
  }
  let tshark: number | null = null;
  if (spawnSync("tshark", ["--version"]).status === 0) {
    const t0 = performance.now();
    spawnSync("tshark", ["-r", file, "-q", "-z", "io,stat,0"], { stdio: "ignore" });
    tshark = performance.now() - t0;
  }
  const base = median(ms[0]!);
  console.table(
    variants.map(([name], i) => {
      const m = median(ms[i]!);
      return { analysis: name, ms: m.toFixed(0), cpuMs: median(cpu[i]!).toFixed(0), "packets/s": ((packets / m) * 1000).toFixed(0), vsNoProtocol: `${((m / base) * 100).toFixed(0)} %`, vsTshark: tshark ? `${(tshark / m).toFixed(1)}x` : "-" };
    }),
  );
  const rm = median(ms[2]!);
  console.log(`load average ${(await import("node:os")).loadavg().map((x) => x.toFixed(1)).join(" ")} (wall times swing with it; CPU time is steadier)`);
  console.log(`rocketmq: ${packets} packets, ${exchanges} exchanges (${BIG} × 2 079 208-byte REGISTER_BROKER decoded) in ${rm.toFixed(0)} ms = ${((exchanges / rm) * 1000).toFixed(0)} exchanges/s; tshark -z io,stat,0: ${tshark?.toFixed(0) ?? "not installed"} ms`);
}
