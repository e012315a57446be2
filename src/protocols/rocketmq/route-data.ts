/**
 * @module protocols/rocketmq/route-data
 * `TopicRouteData`, the body of a GET_ROUTEINFO_BY_TOPIC (105) answer, as a real name server
 * writes it: fastjson, keys sorted, and `brokerAddrs` — a `HashMap<Long, String>` — with bare
 * integer keys, `{0:"192.169.0.4:10911"}`, which is not JSON but what every client reads. The
 * 4.x byte layout below is checked against a captured answer (deepflow
 * rocketmq-get-routeinfo-by-topic.pcap); note `topicSynFlag`, QueueData's own spelling.
 */
import { parseJsonBytes, stringifyWithBareIntKeys, type JsonValue } from "./json.js";
import { V5_0_0 } from "./codes.js";
import type { EncodeCommand } from "./frame.js";

export interface BrokerData {
  cluster: string;
  brokerName: string;
  /** brokerId → "ip:port" (0 = master). */
  brokerAddrs: Record<number, string>;
}

export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

export interface TopicRouteData {
  brokerDatas: BrokerData[];
  queueDatas: QueueData[];
  /** brokerAddr → filter server addresses; normally empty. */
  filterServerTable: Record<string, string[]>;
  orderTopicConf?: string;
}

const UTF8E = new TextEncoder();

/** Bytes of a TopicRouteData as the name server of `version` sends them. */
export function encodeTopicRouteData(r: TopicRouteData, version: number): Uint8Array {
  const five = version >= V5_0_0;
  const doc: Record<string, unknown> = {
    brokerDatas: r.brokerDatas.map((b) => {
      const o: Record<string, unknown> = { brokerAddrs: b.brokerAddrs, brokerName: b.brokerName, cluster: b.cluster };
      if (five) o.enableActingMaster = false;
      return o;
    }),
    filterServerTable: r.filterServerTable,
  };
  if (r.orderTopicConf !== undefined) doc.orderTopicConf = r.orderTopicConf;
  doc.queueDatas = r.queueDatas.map((q) => ({ brokerName: q.brokerName, perm: q.perm, readQueueNums: q.readQueueNums, topicSynFlag: q.topicSysFlag, writeQueueNums: q.writeQueueNums }));
  return UTF8E.encode(stringifyWithBareIntKeys(doc, new Set(["brokerAddrs"])));
}

export type DecodedRoute = { ok: true; value: TopicRouteData } | { ok: false; offset: number; message: string };

export function decodeTopicRouteData(b: Uint8Array): DecodedRoute {
  const j = parseJsonBytes(b);
  if (!j.ok) return { ok: false, offset: j.offset, message: j.message };
  const o = asObj(j.value);
  if (o === null || !Array.isArray(o.brokerDatas) || !Array.isArray(o.queueDatas)) return { ok: false, offset: 0, message: "not a TopicRouteData (brokerDatas/queueDatas missing)" };
  const brokerDatas: BrokerData[] = o.brokerDatas.map((x) => {
    const bd = asObj(x) ?? {};
    const addrs: Record<number, string> = {};
    for (const [k, v] of Object.entries(asObj(bd.brokerAddrs) ?? {})) addrs[Number(k)] = String(v);
    return { cluster: String(bd.cluster ?? ""), brokerName: String(bd.brokerName ?? ""), brokerAddrs: addrs };
  });
  const queueDatas: QueueData[] = o.queueDatas.map((x) => {
    const q = asObj(x) ?? {};
    return {
      brokerName: String(q.brokerName ?? ""),
      readQueueNums: Number(q.readQueueNums ?? 0),
      writeQueueNums: Number(q.writeQueueNums ?? 0),
      perm: Number(q.perm ?? 0),
      topicSysFlag: Number(q.topicSynFlag ?? q.topicSysFlag ?? 0),
    };
  });
  const fst: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(asObj(o.filterServerTable) ?? {})) fst[k] = Array.isArray(v) ? v.map(String) : [];
  const r: TopicRouteData = { brokerDatas, queueDatas, filterServerTable: fst };
  if (typeof o.orderTopicConf === "string") r.orderTopicConf = o.orderTopicConf;
  return { ok: true, value: r };
}

function asObj(v: JsonValue | undefined): Record<string, JsonValue> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? v : null;
}

/** GET_ROUTEINFO_BY_TOPIC request (`GetRouteInfoRequestHeader`: `topic`; 5.x clients add `acceptStandardJsonOnly`). */
export function getRouteInfoRequest(topic: string, o: { version: number; opaque: number; language?: string }): EncodeCommand {
  return { code: 105, opaque: o.opaque, version: o.version, language: o.language ?? "JAVA", extFields: { topic } };
}

/** The name server's answer: SUCCESS with the route, or TOPIC_NOT_EXIST (17) with its remark. */
export function getRouteInfoResponse(req: { opaque: number }, topic: string, route: TopicRouteData | null, version: number): EncodeCommand {
  if (route === null) {
    return { code: 17, flag: 1, opaque: req.opaque, version, remark: `No topic route info in name server for the topic: ${topic}\nSee http://rocketmq.apache.org/docs/faq/ for further details.` };
  }
  return { code: 0, flag: 1, opaque: req.opaque, version, body: encodeTopicRouteData(route, version) };
}
