/**
 * @module protocols/rocketmq/frame
 * One remoting frame, both ways (apache/rocketmq `NettyEncoder`/`NettyDecoder`,
 * `RemotingCommand.fastEncodeHeader`, `RocketMQSerializable`; reference §1):
 *
 *     +0  int32 BE  totalLen = 4 + headerLen + bodyLen   (does not count itself)
 *     +4  int32 BE  serializeType << 24 | headerLen
 *     +8  header[headerLen]   JSON (type 0) or ROCKETMQ binary (type 1)
 *         body[totalLen - 4 - headerLen]
 *
 * `decodeFrame` checks every length once, up front, then reads; it never throws on bad bytes: a
 * malformed frame is a `RocketmqDecodeError` whose `offset` counts from the frame's first byte (the
 * caller adds the stream offset). The body is a view into the input, not a copy.
 */
import { languageCode, languageName } from "./codes.js";
import { parseJsonBytes, type JsonValue } from "./json.js";

export const SerializeType = { JSON: 0, ROCKETMQ: 1 } as const;
export type SerializeType = (typeof SerializeType)[keyof typeof SerializeType];

/** `RemotingCommand`'s flag bits: bit 0 marks a response, bit 1 a oneway request. */
export const FLAG_RESPONSE = 0x1;
export const FLAG_ONEWAY = 0x2;

/**
 * `NettyDecoder`'s default `com.rocketmq.remoting.frameMaxLength` (16 MiB). Netty's
 * LengthFieldBasedFrameDecoder(max, 0, 4, 0, 4) compares the whole frame, prefix included
 * (totalLen + 4), against it and closes the channel when it is larger (TooLongFrameException, #5296).
 */
export const FRAME_MAX_LENGTH = 16777216;
/** Bytes before the header: the length and the serialize-type/header-length word. */
export const FRAME_PREFIX = 8;
/** ROCKETMQ binary header's fixed part: code 2, language 1, version 2, opaque 4, flag 4, remarkLen 4, extLen 4. */
export const BINARY_HEADER_FIXED = 21;

/** What a command says, whichever header carried it. */
export interface RemotingCommand {
  code: number;
  /** Bit 0 response, bit 1 oneway (see FLAG_*). */
  flag: number;
  opaque: number;
  /** The sender's `MQVersion.Version` ordinal (see `versionName`). */
  version: number;
  /** The `LanguageCode` name ("JAVA", "GO", …; "UNKNOWN_LANGUAGE(n)" for a code the table lacks). */
  language: string;
  remark: string | null;
  /** Header fields (`CommandCustomHeader` → strings). Null when the sender had none. */
  extFields: Record<string, string> | null;
  /** Body bytes (a view into the input when decoded), null when empty. */
  body: Uint8Array | null;
}

/** A decoded frame: the command plus where its parts lie. */
export interface RemotingFrame extends RemotingCommand {
  serializeType: SerializeType;
  /** The length field's value (excludes itself); the frame occupies totalLen + 4 bytes. */
  totalLen: number;
  headerLen: number;
  bodyLen: number;
}

export type RocketmqErrorCode =
  | "truncated" // fewer bytes than the lengths promise (streaming: wait for more)
  | "bad_length" // totalLen < 4: cannot even hold the header-length word
  | "frame_too_long" // totalLen + 4 > frameMaxLength: RocketMQ itself closes the channel
  | "unknown_serialize_type" // high byte of the second word is neither 0 (JSON) nor 1 (ROCKETMQ)
  | "header_longer_than_frame" // headerLen > totalLen - 4
  | "bad_json" // JSON header that does not parse
  | "json_not_object"
  | "json_bad_field" // a header field of the wrong type (code not an integer, …)
  | "binary_header_short" // ROCKETMQ header shorter than its 21 fixed bytes
  | "binary_remark_overflow" // remarkLen runs past the header
  | "binary_ext_overflow" // extFields lengths run past the header
  | "gap" // bytes missing from the capture (streaming)
  | "not_a_command" // decodes, but flag bits or language no remoting command uses
  | "undecodable"; // streaming: the rest of a direction could not be resynchronised

export interface RocketmqDecodeError {
  code: RocketmqErrorCode;
  /** Byte offset of the problem: from the frame's first byte here, from the stream's first byte in a stream. */
  offset: number;
  message: string;
  need?: number;
  have?: number;
}

export type DecodedFrame = { ok: true; value: RemotingFrame } | { ok: false; error: RocketmqDecodeError };
export type DecodedHeader = { ok: true; value: Omit<RemotingCommand, "body"> } | { ok: false; error: RocketmqDecodeError };

const UTF8 = new TextDecoder("utf-8", { fatal: false });
const UTF8E = new TextEncoder();

function err(code: RocketmqErrorCode, offset: number, message: string, need?: number, have?: number): { ok: false; error: RocketmqDecodeError } {
  const e: RocketmqDecodeError = { code, offset, message };
  if (need !== undefined) e.need = need;
  if (have !== undefined) e.have = have;
  return { ok: false, error: e };
}

/** The two prefix words, checked: what `decodeFrame` and the stream parser both gate on. */
export interface FramePrefix {
  totalLen: number;
  serializeType: SerializeType;
  headerLen: number;
}
export type DecodedPrefix = { ok: true; value: FramePrefix } | { ok: false; error: RocketmqDecodeError };

export function decodePrefix(b: Uint8Array, o: number, maxFrameLength = FRAME_MAX_LENGTH): DecodedPrefix {
  const have = b.length - o;
  if (have < FRAME_PREFIX) return err("truncated", 0, `frame prefix needs 8 bytes, have ${have}`, FRAME_PREFIX, have);
  // Byte reads, not a DataView: this runs once per frame and per resync candidate.
  const totalLen = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  const word = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
  if (totalLen < 4) return err("bad_length", 0, `totalLen ${totalLen} < 4: no room for the header-length word`);
  if (totalLen + 4 > maxFrameLength) return err("frame_too_long", 0, `frame of ${totalLen + 4} bytes exceeds frameMaxLength ${maxFrameLength} (RocketMQ closes the channel)`);
  const type = word >>> 24;
  if (type !== 0 && type !== 1) return err("unknown_serialize_type", 4, `serialize type ${type} is neither 0 (JSON) nor 1 (ROCKETMQ)`);
  const headerLen = word & 0xffffff;
  if (headerLen > totalLen - 4) return err("header_longer_than_frame", 5, `headerLen ${headerLen} > totalLen ${totalLen} - 4`, headerLen, totalLen - 4);
  return { ok: true, value: { totalLen, serializeType: type as SerializeType, headerLen } };
}

/** Decode the whole frame starting at `b[o]`. */
export function decodeFrame(b: Uint8Array, o = 0, maxFrameLength = FRAME_MAX_LENGTH): DecodedFrame {
  const p = decodePrefix(b, o, maxFrameLength);
  if (!p.ok) return p;
  const { totalLen, serializeType, headerLen } = p.value;
  const have = b.length - o;
  if (have < totalLen + 4) return err("truncated", have, `frame needs ${totalLen + 4} bytes, have ${have}`, totalLen + 4, have);
  const h = decodeHeader(b.subarray(o + FRAME_PREFIX, o + FRAME_PREFIX + headerLen), serializeType);
  if (!h.ok) return { ok: false, error: { ...h.error, offset: h.error.offset + FRAME_PREFIX } };
  const bodyLen = totalLen - 4 - headerLen;
  const bodyStart = o + FRAME_PREFIX + headerLen;
  return {
    ok: true,
    value: { ...h.value, body: bodyLen > 0 ? b.subarray(bodyStart, bodyStart + bodyLen) : null, serializeType, totalLen, headerLen, bodyLen },
  };
}

/** Decode a header (offsets in errors count from the header's first byte). */
export function decodeHeader(h: Uint8Array, serializeType: SerializeType): DecodedHeader {
  return serializeType === SerializeType.JSON ? decodeJsonHeader(h) : decodeBinaryHeader(h);
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** JSON header: keys in any order (Java writes them sorted, the Go client in struct order). */
export function decodeJsonHeader(h: Uint8Array): DecodedHeader {
  const r = parseJsonBytes(h);
  if (!r.ok) return err("bad_json", r.offset, `header JSON: ${r.message} at byte ${r.offset}`);
  const j = r.value;
  if (j === null || typeof j !== "object" || Array.isArray(j)) return err("json_not_object", 0, "header JSON is not an object");
  const code = j.code;
  if (!isInt(code)) return err("json_bad_field", 0, `header field "code" is ${code === undefined ? "missing" : JSON.stringify(code)}, not an integer`);
  for (const k of ["flag", "opaque", "version"] as const) {
    const v = j[k];
    if (v !== undefined && v !== null && !isInt(v)) return err("json_bad_field", 0, `header field "${k}" is ${JSON.stringify(v)}, not an integer`);
  }
  const lang = j.language;
  // fastjson writes the enum name; a number is accepted too (some ports write the ordinal).
  const language = typeof lang === "string" ? lang : isInt(lang) ? languageName(lang) : "JAVA";
  const remark = typeof j.remark === "string" ? j.remark : j.remark == null ? null : String(j.remark);
  let extFields: Record<string, string> | null = null;
  const ext = j.extFields;
  if (ext !== undefined && ext !== null) {
    if (typeof ext !== "object" || Array.isArray(ext)) return err("json_bad_field", 0, `header field "extFields" is not an object`);
    extFields = {};
    for (const [k, v] of Object.entries(ext)) extFields[k] = typeof v === "string" ? v : jsonToString(v);
  }
  return {
    ok: true,
    value: { code, flag: (j.flag as number | undefined) ?? 0, opaque: (j.opaque as number | undefined) ?? 0, version: (j.version as number | undefined) ?? 0, language, remark, extFields },
  };
}

function jsonToString(v: JsonValue): string {
  return typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
}

/** ROCKETMQ binary header (`RocketMQSerializable.rocketMQProtocolDecode`), big-endian. */
export function decodeBinaryHeader(h: Uint8Array): DecodedHeader {
  if (h.length < BINARY_HEADER_FIXED) return err("binary_header_short", 0, `ROCKETMQ header needs ${BINARY_HEADER_FIXED} bytes, has ${h.length}`, BINARY_HEADER_FIXED, h.length);
  const dv = new DataView(h.buffer, h.byteOffset, h.length);
  const code = dv.getInt16(0); // readShort: sign-extended, as the Java side reads it
  const lang = dv.getUint8(2);
  const version = dv.getInt16(3);
  const opaque = dv.getInt32(5);
  const flag = dv.getInt32(9);
  const remarkLen = dv.getInt32(13);
  let o = 17;
  if (remarkLen < 0 || remarkLen > h.length - o - 4) return err("binary_remark_overflow", 13, `remarkLen ${remarkLen} runs past the header (${h.length - o - 4} bytes left)`, remarkLen, h.length - o - 4);
  const remark = remarkLen > 0 ? UTF8.decode(h.subarray(o, o + remarkLen)) : null;
  o += remarkLen;
  const extLen = dv.getInt32(o);
  if (extLen < 0 || extLen > h.length - o - 4) return err("binary_ext_overflow", o, `extLen ${extLen} runs past the header (${h.length - o - 4} bytes left)`, extLen, h.length - o - 4);
  o += 4;
  const end = o + extLen;
  let extFields: Record<string, string> | null = null;
  if (extLen > 0) {
    extFields = {};
    while (o < end) {
      if (end - o < 2) return err("binary_ext_overflow", o, "extFields: no room for a key length");
      const kl = dv.getInt16(o);
      if (kl < 0 || kl > end - o - 2 - 4) return err("binary_ext_overflow", o, `extFields key length ${kl} runs past extLen`);
      const key = UTF8.decode(h.subarray(o + 2, o + 2 + kl));
      o += 2 + kl;
      const vl = dv.getInt32(o);
      if (vl < 0 || vl > end - o - 4) return err("binary_ext_overflow", o, `extFields value length ${vl} of "${key}" runs past extLen`);
      extFields[key] = UTF8.decode(h.subarray(o + 4, o + 4 + vl));
      o += 4 + vl;
    }
  }
  return { ok: true, value: { code, flag, opaque, version, language: languageName(lang), remark, extFields } };
}

/** What `encodeFrame` takes: a command whose unset fields get RocketMQ's defaults. */
export interface EncodeCommand {
  code: number;
  flag?: number;
  opaque?: number;
  version?: number;
  /** Name ("JAVA") or code (0). Default JAVA. */
  language?: string | number;
  remark?: string | null;
  extFields?: Record<string, string | number | boolean> | null;
  body?: Uint8Array | string | null;
}

export interface EncodeOptions {
  /**
   * JSON key order: "java" = fastjson's sorted keys, nulls omitted, `serializeTypeCurrentRPC`
   * included; "go" = rocketmq-client-go's struct order (code, language, version, opaque, flag,
   * remark, extFields) with `remark` always present. Default "java".
   */
  jsonStyle?: "java" | "go";
}

/** Encode a whole frame, length prefix included (what goes on the wire). */
export function encodeFrame(cmd: EncodeCommand, serializeType: SerializeType = SerializeType.JSON, opts: EncodeOptions = {}): Uint8Array {
  const header = serializeType === SerializeType.JSON ? encodeJsonHeader(cmd, opts.jsonStyle ?? "java") : encodeBinaryHeader(cmd);
  const body = cmd.body == null ? EMPTY : typeof cmd.body === "string" ? UTF8E.encode(cmd.body) : cmd.body;
  if (header.length > 0xffffff) throw new RangeError(`header of ${header.length} bytes does not fit 24 bits`);
  const totalLen = 4 + header.length + body.length;
  const out = new Uint8Array(4 + totalLen);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, totalLen);
  dv.setUint32(4, ((serializeType << 24) | header.length) >>> 0);
  out.set(header, 8);
  out.set(body, 8 + header.length);
  return out;
}

const EMPTY = new Uint8Array(0);

function extStrings(ext: EncodeCommand["extFields"]): Record<string, string> | null {
  if (ext == null) return null;
  const o: Record<string, string> = {};
  for (const [k, v] of Object.entries(ext)) o[k] = String(v);
  return o;
}

function langName(l: EncodeCommand["language"]): string {
  return l === undefined ? "JAVA" : typeof l === "number" ? languageName(l) : l;
}

export function encodeJsonHeader(cmd: EncodeCommand, style: "java" | "go" = "java"): Uint8Array {
  const ext = extStrings(cmd.extFields);
  const lang = langName(cmd.language);
  const flag = cmd.flag ?? 0, opaque = cmd.opaque ?? 0, version = cmd.version ?? 0;
  let s: string;
  if (style === "go") {
    s = `{"code":${cmd.code},"language":${JSON.stringify(lang)},"version":${version},"opaque":${opaque},"flag":${flag},"remark":${JSON.stringify(cmd.remark ?? "")},"extFields":${JSON.stringify(ext ?? {})}}`;
  } else {
    // fastjson's SortField on the bean: keys alphabetical, null fields left out.
    s = `{"code":${cmd.code}`;
    // extFields is a HashMap: fastjson keeps its iteration order (captures show unsorted keys), so
    // the caller's order is kept.
    if (ext !== null) s += `,"extFields":${JSON.stringify(ext)}`;
    s += `,"flag":${flag},"language":${JSON.stringify(lang)},"opaque":${opaque}`;
    if (cmd.remark != null) s += `,"remark":${JSON.stringify(cmd.remark)}`;
    s += `,"serializeTypeCurrentRPC":"JSON","version":${version}}`;
  }
  return UTF8E.encode(s);
}

export function encodeBinaryHeader(cmd: EncodeCommand): Uint8Array {
  const remark = cmd.remark == null ? EMPTY : UTF8E.encode(cmd.remark);
  const ext = extStrings(cmd.extFields);
  const pairs: [Uint8Array, Uint8Array][] = ext === null ? [] : Object.entries(ext).map(([k, v]) => [UTF8E.encode(k), UTF8E.encode(v)]);
  let extLen = 0;
  for (const [k, v] of pairs) extLen += 2 + k.length + 4 + v.length;
  const out = new Uint8Array(BINARY_HEADER_FIXED + remark.length + extLen);
  const dv = new DataView(out.buffer);
  const lang = typeof cmd.language === "number" ? cmd.language : languageCode(langName(cmd.language));
  if (cmd.code < -32768 || cmd.code > 32767) throw new RangeError(`code ${cmd.code} does not fit the ROCKETMQ header's int16`);
  dv.setInt16(0, cmd.code);
  dv.setUint8(2, lang < 0 ? 7 /* OTHER */ : lang);
  dv.setInt16(3, cmd.version ?? 0);
  dv.setInt32(5, cmd.opaque ?? 0);
  dv.setInt32(9, cmd.flag ?? 0);
  dv.setInt32(13, remark.length);
  out.set(remark, 17);
  let o = 17 + remark.length;
  dv.setInt32(o, extLen);
  o += 4;
  for (const [k, v] of pairs) {
    dv.setInt16(o, k.length);
    out.set(k, o + 2);
    o += 2 + k.length;
    dv.setInt32(o, v.length);
    out.set(v, o + 4);
    o += 4 + v.length;
  }
  return out;
}

export const isResponse = (flag: number): boolean => (flag & FLAG_RESPONSE) !== 0;
export const isOneway = (flag: number): boolean => (flag & FLAG_ONEWAY) !== 0;
