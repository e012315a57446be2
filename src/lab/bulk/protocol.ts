/**
 * @module lab/bulk/protocol
 * The lab's bulk-transfer wire format (like iperf3's: agree on the size, then bulk data, then a
 * report). One TCP connection per transfer so every transfer starts with a handshake and slow
 * start, as a fresh RocketMQ connection does.
 *
 *   client → server  REQUEST (32 B): "TCPWLAB1" | u64 BE size | u32 BE index | u32 flags | 8 B reserved
 *                    then exactly `size` bytes of payload
 *   server → client  REPLY: "TCPWDONE" | u32 BE json length | JSON (ServerReport), sent as soon as
 *                    the last payload byte has been read — the client stops its clock on its arrival,
 *                    so a transfer's time is "request written → fully received", as an application
 *                    timer sees it.
 */
import type { TuningReport } from "../tuned-socket.js";

export const REQUEST_MAGIC = "TCPWLAB1";
export const REPLY_MAGIC = "TCPWDONE";
export const REQUEST_LEN = 32;
export const REPLY_HEADER_LEN = 12;
/** A server refuses larger transfers (a garbage header must not make it wait forever). */
export const MAX_TRANSFER_BYTES = 2 ** 40;
export const MAX_REPLY_JSON = 1 << 20;

export interface TransferRequest {
  size: number;
  index: number;
  flags: number;
}

export function encodeRequest(into: Buffer, r: TransferRequest): void {
  into.write(REQUEST_MAGIC, 0, "latin1");
  into.writeBigUInt64BE(BigInt(r.size), 8);
  into.writeUInt32BE(r.index >>> 0, 16);
  into.writeUInt32BE(r.flags >>> 0, 20);
  into.fill(0, 24, REQUEST_LEN);
}

export type DecodedRequest = { ok: true; value: TransferRequest } | { ok: false; error: { code: string; offset: number; message: string } };

export function decodeRequest(b: Uint8Array): DecodedRequest {
  if (b.length < REQUEST_LEN) return { ok: false, error: { code: "short_request", offset: b.length, message: `request header needs ${REQUEST_LEN} bytes, got ${b.length}` } };
  const buf = Buffer.from(b.buffer, b.byteOffset, REQUEST_LEN);
  const magic = buf.toString("latin1", 0, 8);
  if (magic !== REQUEST_MAGIC) {
    return { ok: false, error: { code: "bad_magic", offset: 0, message: `not a tcpwin lab request: bytes 0-7 are ${JSON.stringify(magic)}, expected ${JSON.stringify(REQUEST_MAGIC)}` } };
  }
  const size = buf.readBigUInt64BE(8);
  if (size > BigInt(MAX_TRANSFER_BYTES)) {
    return { ok: false, error: { code: "size_too_large", offset: 8, message: `request size ${size} at byte 8 exceeds the limit ${MAX_TRANSFER_BYTES}` } };
  }
  return { ok: true, value: { size: Number(size), index: buf.readUInt32BE(16), flags: buf.readUInt32BE(20) } };
}

/** What the receiving side reports back (and prints). */
export interface ServerReport {
  bytes: number;
  /** First payload byte → last payload byte read, ms. */
  elapsed_ms: number;
  listener: TuningReport;
  /** Accepted socket, at the end: sk_rcvbuf / sk_sndbuf (ss's rb / tb). */
  rb: number;
  tb: number;
  rcv_mss?: number;
  rcv_wscale?: number;
  rcv_wnd?: number;
  rcv_space?: number;
  kernel: string;
  /** The receiver's net.core.rmem_max and net.ipv4.tcp_rmem (the model needs them). */
  rmem_max?: number;
  tcp_rmem?: [number, number, number];
}

export function encodeReply(report: ServerReport): Buffer {
  const json = Buffer.from(JSON.stringify(report));
  const b = Buffer.alloc(REPLY_HEADER_LEN + json.length);
  b.write(REPLY_MAGIC, 0, "latin1");
  b.writeUInt32BE(json.length, 8);
  json.copy(b, REPLY_HEADER_LEN);
  return b;
}
