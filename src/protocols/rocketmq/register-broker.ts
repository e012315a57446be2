/**
 * @module protocols/rocketmq/register-broker
 * REGISTER_BROKER (103) and QUERY_DATA_VERSION (322): the header fields a broker sends, the
 * `RegisterBrokerBody` both ways (fastjson JSON, or the deflated layout of
 * `RegisterBrokerBody.encode(true)`), `bodyCrc32`, and builders for bodies of a chosen size — the
 * payload whose size against a tiny receive window is the incident (reference §3).
 *
 * The decoder sniffs the body instead of trusting `compressed`: a 5.x broker with
 * `compressedRegister=true` sends a deflated body flagged `compressed=false` (reference §3, caveat
 * at HEAD). zlib runs in memory (node:zlib's sync API, no I/O) with an output cap against bombs.
 */
import { inflateSync, deflateSync, constants as zc } from "node:zlib";
import { rocketmqCrc32 } from "./crc32.js";
import { parseJsonBytes, type JsonValue } from "./json.js";
import { V5_0_0 } from "./codes.js";
import { FLAG_ONEWAY, type EncodeCommand } from "./frame.js";

export interface DataVersion {
  counter: number;
  timestamp: number;
  /** 5.x only. */
  stateVersion?: number;
}

export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  /** 6 = read|write, 7 = read|write|inherit. */
  perm: number;
  topicFilterType: string;
  topicSysFlag: number;
  order: boolean;
  /** 5.x: per-topic attributes (written as `{}` when empty). */
  attributes?: Record<string, string>;
}

export interface RegisterBrokerBody {
  dataVersion: DataVersion;
  topics: TopicConfig[];
  filterServerList: string[];
  /** Entries of `topicQueueMappingInfoMap` (static topics), kept as parsed JSON. */
  topicQueueMapping: JsonValue[];
}

export type BodyFormat = "json" | "zlib";

export interface DecodedRegisterBody {
  format: BodyFormat;
  /** The header said `compressed` one way and the bytes the other (the 5.x caveat). */
  flagMismatch: boolean;
  body: RegisterBrokerBody;
  /** Inflated size for zlib bodies; the body's own size for JSON. */
  decodedBytes: number;
}

export interface BodyDecodeError {
  code: "empty_body" | "bad_zlib" | "zlib_too_large" | "compressed_layout" | "bad_json" | "bad_body";
  offset: number;
  message: string;
}

export type DecodedRegister = { ok: true; value: DecodedRegisterBody } | { ok: false; error: BodyDecodeError };

/** Inflated REGISTER_BROKER bodies larger than this are refused (the frame itself is ≤ 16 MiB). */
export const INFLATE_MAX_BYTES = 256 * 1024 * 1024;

/** zlib stream header bytes: CMF 0x78 (deflate, 32 KiB window), FLG for levels 1/2–5/6/7–9. */
export function looksZlib(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x78 && (b[1] === 0xda || b[1] === 0x9c || b[1] === 0x01 || b[1] === 0x5e);
}

export function decodeRegisterBrokerBody(bytes: Uint8Array, compressedFlag = false): DecodedRegister {
  if (bytes.length === 0) return { ok: false, error: { code: "empty_body", offset: 0, message: "REGISTER_BROKER without a body" } };
  if (looksZlib(bytes)) {
    let raw: Buffer;
    try {
      raw = inflateSync(bytes, { maxOutputLength: INFLATE_MAX_BYTES });
    } catch (e) {
      const tooBig = (e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
      return { ok: false, error: { code: tooBig ? "zlib_too_large" : "bad_zlib", offset: 0, message: tooBig ? `inflated body exceeds ${INFLATE_MAX_BYTES} bytes` : `zlib: ${(e as Error).message}` } };
    }
    const r = decodeCompressedLayout(new Uint8Array(raw.buffer, raw.byteOffset, raw.length));
    if (!r.ok) return r;
    return { ok: true, value: { format: "zlib", flagMismatch: !compressedFlag, body: r.value, decodedBytes: raw.length } };
  }
  const j = parseJsonBytes(bytes);
  if (!j.ok) return { ok: false, error: { code: "bad_json", offset: j.offset, message: `RegisterBrokerBody JSON: ${j.message} at byte ${j.offset}` } };
  const body = fromJson(j.value);
  if (body === null) return { ok: false, error: { code: "bad_body", offset: 0, message: "RegisterBrokerBody JSON lacks topicConfigSerializeWrapper.topicConfigTable" } };
  return { ok: true, value: { format: "json", flagMismatch: compressedFlag, body, decodedBytes: bytes.length } };
}

const num = (v: JsonValue | undefined, d = 0): number => (typeof v === "number" ? v : typeof v === "string" && v !== "" && !isNaN(Number(v)) ? Number(v) : d);
const obj = (v: JsonValue | undefined): Record<string, JsonValue> | null => (v !== null && typeof v === "object" && !Array.isArray(v) ? v : null);

function fromJson(v: JsonValue): RegisterBrokerBody | null {
  const root = obj(v);
  const w = obj(root?.topicConfigSerializeWrapper);
  const table = obj(w?.topicConfigTable);
  if (root === null || w === null || table === null) return null;
  const dv = obj(w.dataVersion);
  const topics: TopicConfig[] = [];
  for (const [name, tv] of Object.entries(table)) {
    const t = obj(tv) ?? {};
    const tc: TopicConfig = {
      topicName: typeof t.topicName === "string" ? t.topicName : name,
      readQueueNums: num(t.readQueueNums, 16),
      writeQueueNums: num(t.writeQueueNums, 16),
      perm: num(t.perm, 6),
      topicFilterType: typeof t.topicFilterType === "string" ? t.topicFilterType : "SINGLE_TAG",
      topicSysFlag: num(t.topicSysFlag),
      order: t.order === true,
    };
    const a = obj(t.attributes);
    if (a !== null) tc.attributes = Object.fromEntries(Object.entries(a).map(([k, x]) => [k, String(x)]));
    topics.push(tc);
  }
  const fs = Array.isArray(root.filterServerList) ? root.filterServerList.map(String) : [];
  const mapping = obj(w.topicQueueMappingInfoMap);
  const dataVersion: DataVersion = { counter: num(dv?.counter), timestamp: num(dv?.timestamp) };
  if (dv?.stateVersion !== undefined) dataVersion.stateVersion = num(dv.stateVersion);
  return { dataVersion, topics, filterServerList: fs, topicQueueMapping: mapping === null ? [] : Object.values(mapping) };
}

const UTF8 = new TextDecoder();
const UTF8E = new TextEncoder();

const TABLE_KEY = [..."topicConfigTable"].map((c) => c.charCodeAt(0));

/**
 * Topics in a JSON RegisterBrokerBody without parsing it: one pass over the bytes counting the
 * members of `topicConfigSerializeWrapper.topicConfigTable` (colons at that object's depth,
 * outside strings). ~15× cheaper than JSON.parse on a 2 MB body — what the exchange tracker needs
 * per registration. Null when the bytes are not balanced JSON or hold no such table (callers then
 * use decodeRegisterBrokerBody, which says what is wrong); a syntax error that keeps brackets
 * balanced goes unnoticed here.
 */
export function countRegisterBodyTopics(b: Uint8Array): number | null {
  let depth = 0;
  let tableDepth = -1;
  let count = 0;
  let keyStart = -1;
  let keyEnd = -1;
  let afterKey = false; // a string then ':' seen at this depth: the next value belongs to that key
  let isTable = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x22) {
      keyStart = i + 1;
      for (i++; i < b.length; i++) {
        const d = b[i]!;
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      if (i >= b.length) return null;
      keyEnd = i;
      continue;
    }
    if (c === 0x3a) {
      if (depth === tableDepth) count++;
      isTable = depth === 2 && keyEnd - keyStart === TABLE_KEY.length && TABLE_KEY.every((x, k) => b[keyStart + k] === x);
      afterKey = true;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      depth++;
      if (c === 0x7b && afterKey && isTable && tableDepth < 0) tableDepth = depth;
      afterKey = false;
      continue;
    }
    if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return null;
      depth--;
    }
    if (c === 0x2c) afterKey = false;
  }
  return depth === 0 && tableDepth > 0 ? count : null;
}

/** The inflated layout: int dvLen, DataVersion JSON, int n, n × (int len, TopicConfig.encode()), int len, filter list JSON, [int m, m × (int len, JSON)]. */
function decodeCompressedLayout(b: Uint8Array): { ok: true; value: RegisterBrokerBody } | { ok: false; error: BodyDecodeError } {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  let o = 0;
  const fail = (message: string) => ({ ok: false as const, error: { code: "compressed_layout" as const, offset: o, message: `inflated body byte ${o}: ${message}` } });
  const int = (): number | null => (o + 4 <= b.length ? ((o += 4), dv.getInt32(o - 4)) : null);
  const chunk = (what: string): Uint8Array | string => {
    const n = int();
    if (n === null) return `no length for ${what}`;
    if (n < 0 || n > b.length - o) return `${what} length ${n} runs past the inflated body (${b.length - o} left)`;
    o += n;
    return b.subarray(o - n, o);
  };
  const dvb = chunk("DataVersion");
  if (typeof dvb === "string") return fail(dvb);
  const dvj = parseJsonBytes(dvb);
  const dvo = dvj.ok ? obj(dvj.value) : null;
  if (dvo === null) return fail("DataVersion is not a JSON object");
  const count = int();
  if (count === null || count < 0 || count > (b.length - o) / 4) return fail(`topic count ${count} impossible`);
  const topics: TopicConfig[] = [];
  for (let i = 0; i < count; i++) {
    const t = chunk(`topic ${i}`);
    if (typeof t === "string") return fail(t);
    const tc = decodeTopicConfigLine(UTF8.decode(t));
    if (tc === null) return fail(`topic ${i} is not "name readQ writeQ perm filterType [attributes]"`);
    topics.push(tc);
  }
  const fsb = chunk("filterServerList");
  if (typeof fsb === "string") return fail(fsb);
  const fsj = parseJsonBytes(fsb);
  const filterServerList = fsj.ok && Array.isArray(fsj.value) ? fsj.value.map(String) : [];
  const topicQueueMapping: JsonValue[] = [];
  // Brokers before 5.0 stop here; 5.x always writes the mapping count (0 as a placeholder).
  if (o < b.length) {
    const m = int();
    if (m === null || m < 0 || m > (b.length - o) / 4) return fail(`mapping count ${m} impossible`);
    for (let i = 0; i < m; i++) {
      const e = chunk(`mapping ${i}`);
      if (typeof e === "string") return fail(e);
      const j = parseJsonBytes(e);
      topicQueueMapping.push(j.ok ? j.value : null);
    }
  }
  const dataVersion: DataVersion = { counter: num(dvo.counter), timestamp: num(dvo.timestamp) };
  if (dvo.stateVersion !== undefined) dataVersion.stateVersion = num(dvo.stateVersion);
  return { ok: true, value: { dataVersion, topics, filterServerList, topicQueueMapping } };
}

/** `TopicConfig.decode`: space-separated, attributes JSON as an optional 6th part (5.x). */
export function decodeTopicConfigLine(s: string): TopicConfig | null {
  const parts = s.split(" ");
  if (parts.length < 5) return null;
  const [name, r, w, p, f] = parts as [string, string, string, string, string];
  const tc: TopicConfig = { topicName: name, readQueueNums: Number(r), writeQueueNums: Number(w), perm: Number(p), topicFilterType: f, topicSysFlag: 0, order: false };
  if (![tc.readQueueNums, tc.writeQueueNums, tc.perm].every(Number.isInteger)) return null;
  if (parts.length >= 6) {
    const j = parseJsonBytes(UTF8E.encode(parts.slice(5).join(" ")));
    const a = j.ok ? obj(j.value) : null;
    if (a !== null) tc.attributes = Object.fromEntries(Object.entries(a).map(([k, x]) => [k, String(x)]));
  }
  return tc;
}

export function encodeTopicConfigLine(t: TopicConfig, version: number): string {
  let s = `${t.topicName} ${t.readQueueNums} ${t.writeQueueNums} ${t.perm} ${t.topicFilterType}`;
  if (version >= V5_0_0) s += ` ${JSON.stringify(t.attributes ?? {})}`;
  return s;
}

function dataVersionJson(d: DataVersion, version: number): string {
  // fastjson, sorted keys; stateVersion exists from 5.0.
  return version >= V5_0_0 ? `{"counter":${d.counter},"stateVersion":${d.stateVersion ?? 0},"timestamp":${d.timestamp}}` : `{"counter":${d.counter},"timestamp":${d.timestamp}}`;
}

function topicJson(t: TopicConfig, version: number): string {
  const attrs = version >= V5_0_0 ? `"attributes":${JSON.stringify(t.attributes ?? {})},` : "";
  return `{${attrs}"order":${t.order},"perm":${t.perm},"readQueueNums":${t.readQueueNums},"topicFilterType":${JSON.stringify(t.topicFilterType)},"topicName":${JSON.stringify(t.topicName)},"topicSysFlag":${t.topicSysFlag},"writeQueueNums":${t.writeQueueNums}}`;
}

/** Encode as the broker of `version` does: fastjson JSON, or the deflated layout when `compress`. */
export function encodeRegisterBrokerBody(body: RegisterBrokerBody, opts: { version: number; compress?: boolean }): Uint8Array {
  const v = opts.version;
  if (opts.compress) {
    const parts: Uint8Array[] = [];
    const int = (n: number) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, n);
      parts.push(b);
    };
    const str = (s: string) => {
      const b = UTF8E.encode(s);
      int(b.length);
      parts.push(b);
    };
    str(dataVersionJson(body.dataVersion, v));
    int(body.topics.length);
    for (const t of body.topics) str(encodeTopicConfigLine(t, v));
    str(JSON.stringify(body.filterServerList));
    if (v >= V5_0_0) {
      int(body.topicQueueMapping.length);
      for (const m of body.topicQueueMapping) str(JSON.stringify(m));
    }
    return new Uint8Array(deflateSync(Buffer.concat(parts), { level: zc.Z_BEST_COMPRESSION }));
  }
  let s = `{"filterServerList":${JSON.stringify(body.filterServerList)},"topicConfigSerializeWrapper":{"dataVersion":${dataVersionJson(body.dataVersion, v)},`;
  if (v >= V5_0_0) s += `"mappingDataVersion":${dataVersionJson({ counter: 0, timestamp: body.dataVersion.timestamp }, v)},`;
  s += `"topicConfigTable":{`;
  s += body.topics.map((t) => `${JSON.stringify(t.topicName)}:${topicJson(t, v)}`).join(",");
  s += "}";
  if (v >= V5_0_0) s += `,"topicQueueMappingDetailMap":{},"topicQueueMappingInfoMap":{}`;
  s += "}}";
  return UTF8E.encode(s);
}

export function topicConfig(name: string, queues = 8, perm = 6): TopicConfig {
  return { topicName: name, readQueueNums: queues, writeQueueNums: queues, perm, topicFilterType: "SINGLE_TAG", topicSysFlag: 0, order: false };
}

export interface BuildRegisterBodyOptions {
  version: number;
  compress?: boolean;
  /** Exactly this many topics… */
  topics?: number;
  /** …or as many as it takes for the (uncompressed JSON) body to be exactly this many bytes. */
  targetBytes?: number;
  /** Topic name prefix (default "TopicTest-"). */
  prefix?: string;
  dataVersion?: DataVersion;
  queues?: number;
}

/**
 * A RegisterBrokerBody of N topics, or of exactly `targetBytes` bytes when encoded as JSON (the
 * first topic's name is padded to make up the remainder; a target below the smallest body gives
 * that smallest body). With `compress` the same table is deflated, so its size is what zlib makes
 * of it.
 */
export function buildRegisterBrokerBody(o: BuildRegisterBodyOptions): { body: RegisterBrokerBody; bytes: Uint8Array } {
  const prefix = o.prefix ?? "TopicTest-";
  const q = o.queues ?? 8;
  const dataVersion = o.dataVersion ?? { counter: 1, timestamp: 1700000000000 };
  // The first topic absorbs the remainder: each name character counts twice (map key and
  // topicName), so an odd remainder first widens its readQueueNums by one digit.
  const mk = (n: number, pad = 0, wide = false): RegisterBrokerBody => ({
    dataVersion,
    filterServerList: [],
    topicQueueMapping: [],
    topics: Array.from({ length: n }, (_, i) => {
      const t = topicConfig(`${prefix}${String(i).padStart(6, "0")}${i === 0 ? "x".repeat(pad) : ""}`, q);
      if (i === 0 && wide) t.readQueueNums = q < 10 ? q + 10 : q * 10;
      return t;
    }),
  });
  let body: RegisterBrokerBody;
  if (o.targetBytes !== undefined) {
    const size = (b: RegisterBrokerBody) => encodeRegisterBrokerBody(b, { version: o.version }).length;
    const base = size(mk(1));
    const per = size(mk(2)) - base; // names are fixed width up to 10^6 topics
    const n = Math.max(1, 1 + Math.floor((o.targetBytes - base) / per));
    body = mk(n);
    let short = o.targetBytes - size(body);
    if (short > 0) {
      const wide = short % 2 === 1;
      if (wide) short = o.targetBytes - size(mk(n, 0, true));
      body = mk(n, short >> 1, wide);
    }
  } else {
    body = mk(o.topics ?? 1);
  }
  return { body, bytes: encodeRegisterBrokerBody(body, { version: o.version, compress: o.compress ?? false }) };
}

export interface BrokerIdentity {
  brokerName: string;
  /** "ip:listenPort" */
  brokerAddr: string;
  clusterName: string;
  /** "brokerIP2:haPort" */
  haServerAddr: string;
  brokerId: number;
}

/**
 * The REGISTER_BROKER request a broker of `version` sends (`BrokerOuterAPI.registerBrokerAll`):
 * header fields in its order, `bodyCrc32` over the body as sent, `compressed` as the 4.x broker
 * sets it (5.x always says false — the caveat). `oneway` for role-change registrations.
 */
export function registerBrokerRequest(id: BrokerIdentity, body: Uint8Array, o: { version: number; opaque: number; compressed?: boolean; oneway?: boolean }): EncodeCommand {
  const five = o.version >= V5_0_0;
  const ext: Record<string, string> = {
    brokerId: String(id.brokerId),
    bodyCrc32: String(rocketmqCrc32(body)),
    clusterName: id.clusterName,
    brokerAddr: id.brokerAddr,
    haServerAddr: id.haServerAddr,
    compressed: String(five ? false : (o.compressed ?? false)),
    brokerName: id.brokerName,
  };
  if (five) ext.enableActingMaster = "false";
  return { code: 103, flag: o.oneway ? FLAG_ONEWAY : 0, opaque: o.opaque, version: o.version, language: "JAVA", extFields: ext, body };
}

/** QUERY_DATA_VERSION (322): the broker's identity in the header, its DataVersion as the body. */
export function queryDataVersionRequest(id: BrokerIdentity, dv: DataVersion, o: { version: number; opaque: number }): EncodeCommand {
  return {
    code: 322,
    opaque: o.opaque,
    version: o.version,
    extFields: { brokerName: id.brokerName, brokerAddr: id.brokerAddr, clusterName: id.clusterName, brokerId: String(id.brokerId) },
    body: UTF8E.encode(dataVersionJson(dv, o.version)),
  };
}

/** DataVersion from a QUERY_DATA_VERSION body (or null when it is not one). */
export function decodeDataVersion(b: Uint8Array): DataVersion | null {
  const j = parseJsonBytes(b);
  const o = j.ok ? obj(j.value) : null;
  if (o === null || typeof o.counter !== "number") return null;
  const d: DataVersion = { counter: o.counter, timestamp: num(o.timestamp) };
  if (o.stateVersion !== undefined) d.stateVersion = num(o.stateVersion);
  return d;
}

export function encodeDataVersion(d: DataVersion, version: number): Uint8Array {
  return UTF8E.encode(dataVersionJson(d, version));
}

/** The name server's QUERY_DATA_VERSION answer: SUCCESS, `changed` in the header, its own DataVersion as body. */
export function queryDataVersionResponse(req: { opaque: number }, changed: boolean, nameServerDv: DataVersion | null, version: number): EncodeCommand {
  return { code: 0, flag: 1, opaque: req.opaque, version, extFields: { changed: String(changed) }, body: nameServerDv === null ? null : encodeDataVersion(nameServerDv, version) };
}
