/**
 * @module kernel/tcp-info
 * `struct tcp_info` (include/uapi/linux/tcp.h) decoded by length. The kernel sends its own
 * sizeof(struct tcp_info) — 104 B on < 3.15 up to 280 B on 6.18 — so a field exists only when
 * `offset + size <= length`. A field the running kernel did not send is *absent* (the property is
 * not set, so JSON omits it), never 0: ss zero-fills a short struct and then cannot tell
 * "0 µs rwnd-limited" from "this kernel does not measure it". That is the difference this module
 * exists for.
 *
 * Pure: no I/O. Names are the kernel's without the `tcpi_` prefix. Units as the kernel gives them
 * (rtt, rttvar, rto, ato, min_rtt, busy_time, rwnd_limited, sndbuf_limited in µs; last_* in ms;
 * pacing/delivery rates in bytes/s). u64 counters become numbers (exact up to 2^53).
 *
 * The layout is written once, in uapi/tcp-info-fields; the type and the two straight-line decoders
 * are generated from it into tcp-info.gen.ts (scripts/gen-tcp-info.ts). Decoding allocates only
 * the result object.
 */

export type { TcpInfo } from "./tcp-info.gen.js";
export { TCP_INFO_BASE_FIELDS, TCP_INFO_LATER_FIELDS } from "./tcp-info.gen.js";
import { decodeTcpInfoBase, decodeTcpInfoFull, TCP_INFO_LATER_FIELDS, u64, type TcpInfo } from "./tcp-info.gen.js";
import { TCP_INFO_MAX_LEN, TCP_INFO_MIN_LEN } from "../uapi/tcp-info-fields.js";
export { TCP_INFO_MIN_LEN, TCP_INFO_MAX_LEN, TCPI_OPT, TCP_CA_STATES, TCP_INFO_FIELDS, type TcpInfoField } from "../uapi/tcp-info-fields.js";

export type DecodedTcpInfo = { ok: true; value: TcpInfo } | { ok: false; error: { code: "short_tcp_info"; offset: number; need: number; have: number } };

/**
 * Decode a tcp_info of any length the kernel may send. Throws nothing; a buffer shorter than the
 * 104-byte base is an error value (no kernel sends less: it would be a truncated message).
 */
export function decodeTcpInfo(bytes: Uint8Array): TcpInfo {
  const r = decodeTcpInfoChecked(bytes);
  if (!r.ok) throw new RangeError(`tcp_info: ${r.error.have} bytes, need at least ${r.error.need}`);
  return r.value;
}

/** As decodeTcpInfo, but a short buffer is returned as an error value instead of thrown. */
export function decodeTcpInfoChecked(bytes: Uint8Array): DecodedTcpInfo {
  if (bytes.length < TCP_INFO_MIN_LEN) {
    return { ok: false, error: { code: "short_tcp_info", offset: 0, need: TCP_INFO_MIN_LEN, have: bytes.length } };
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { ok: true, value: decodeTcpInfoAt(dv, 0, bytes.length) };
}

/**
 * The hot-path form: decode `len` bytes at `off` of a DataView over a whole netlink reply, without
 * a sub-view. The caller has checked `len >= TCP_INFO_MIN_LEN` and that the bytes are in range.
 * Host byte order is little-endian on every platform this runs on (x86-64, arm64).
 */
export function decodeTcpInfoAt(dv: DataView, off: number, len: number): TcpInfo {
  // Current kernels (6.18: 280 B) take one object literal: one hidden class, no transitions.
  if (len >= TCP_INFO_MAX_LEN) return decodeTcpInfoFull(dv, off, len);
  return decodeByLength(dv, off, len);
}

/**
 * Older kernels (and forged short buffers): the 104-byte base, then each later field exactly
 * when `offset + size <= len` — the rule the kernel's length implies. Table-driven: rare path.
 */
function decodeByLength(dv: DataView, off: number, len: number): TcpInfo {
  const t = decodeTcpInfoBase(dv, off, len);
  const rec = t as unknown as Record<string, number>;
  for (const [name, o, size] of TCP_INFO_LATER_FIELDS) {
    if (o + size > len) break; // fields are in offset order
    rec[name] = size === 8 ? u64(dv, off + o) : size === 4 ? dv.getUint32(off + o, true) : dv.getUint16(off + o, true);
  }
  return t;
}

/** Read one u64 field as a number (exact below 2^53). */
export function tcpInfoU64(dv: DataView, o: number): number {
  return u64(dv, o);
}
