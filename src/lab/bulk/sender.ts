/**
 * @module lab/bulk/sender
 * `tcpwin lab send HOST:PORT`: one transfer = one connection tuned before connect(), the 32-byte
 * request, `size` payload bytes, and the server's reply. The clock runs from the first write to the
 * reply's arrival.
 *
 * Speed: the payload goes out through blocking send(2) on the raw fd from two preallocated
 * buffers (the first carries the request header, the rest are zeros — a partial send resumes from
 * the zero buffer's start since all payload bytes are equal), MSG_NOSIGNAL, no per-chunk
 * allocation and no stream machinery. SO_SNDTIMEO/SO_RCVTIMEO (1 s) keep every call bounded so
 * the overall timeout is checked. TCP_NODELAY as RocketMQ (Netty) sets it: the last partial
 * segment is not held back by Nagle.
 */
import { check, close, errno, errnoName, fcntl, recv, sendto, setsockopt, strerror } from "../../kernel/libc.js";
import { decodeTcpInfo, TCPI_OPT, type TcpInfo } from "../../kernel/tcp-info.js";
import { getIntOpt, getTcpInfoRaw, IPPROTO_TCP, setIntOpt, SO_RCVBUF, SO_RCVTIMEO, SO_SNDBUF, SO_SNDTIMEO, SOL_SOCKET, TCP_NODELAY } from "../../kernel/sockopt.js";
import { parseKernelVersion, runModel, type ModelResult } from "../../model/index.js";
import { TcpwinError } from "../../errors.js";
import { connectTunedFd, type SocketTuning, type TuningReport } from "../tuned-socket.js";
import { encodeRequest, MAX_REPLY_JSON, REPLY_HEADER_LEN, REPLY_MAGIC, REQUEST_LEN, type ServerReport } from "./protocol.js";
import { release } from "node:os";
import { EAGAIN, EINTR, F_GETFL, F_SETFL, MSG_NOSIGNAL, O_NONBLOCK } from "../../kernel/uapi.js";

/**
 * Bytes per send(2): iperf3's default write size. With TCP_NODELAY every call pushes its data at
 * once, and on loopback (64 KiB MTU) 64 KiB calls meant one segment, one ACK and one receiver
 * wake-up each: 1.4–1.6 GB/s with sender and receiver on different CPUs against 2.5 on the same
 * one; 128 KiB gives 2.5–2.6 either way (iperf3: 2.4–2.6).
 */
const CHUNK = 128 * 1024;

export class TransferError extends TcpwinError {
  override readonly name = "TransferError";
}

export interface SendOptions {
  host: string;
  port: number;
  size: number;
  tuning: SocketTuning;
  index?: number;
  timeoutMs?: number;
  /** The path's RTT if known (e.g. the lab link's); default: the kernel's min_rtt. */
  rttMs?: number | undefined;
}

/** The sending side's kernel view at the end of the transfer (tcp_info + rb/tb). */
export interface SenderKernelView {
  snd_mss: number;
  min_rtt_us: number | null;
  srtt_us: number;
  snd_wnd: number | null;
  snd_cwnd: number;
  snd_wscale: number;
  timestamps: boolean;
  busy_time_us: number | null;
  rwnd_limited_us: number | null;
  sndbuf_limited_us: number | null;
  /** rwnd_limited / busy_time: share of the time the peer's window held the sender back. */
  rwnd_limited_share: number | null;
  sndbuf_limited_share: number | null;
  total_retrans: number;
  rb: number;
  tb: number;
}

export interface TransferResult {
  index: number;
  bytes: number;
  elapsed_ms: number;
  rate_bytes_per_sec: number;
  connect_ms: number;
  client: TuningReport;
  kernel: SenderKernelView;
  server: ServerReport;
  predicted_ms: number;
  measured_over_predicted: number;
  /** Named the way the --json contract promises. */
  snd_wnd: number | null;
  snd_mss: number;
  model: ModelResult;
}

// Buffers live for the process: a transfer allocates nothing per chunk.
const first = Buffer.alloc(CHUNK);
const zeros = Buffer.alloc(CHUNK);
const replyBuf = Buffer.alloc(MAX_REPLY_JSON + REPLY_HEADER_LEN);

function setTimeouts(fd: number, ms: number): void {
  const tv = Buffer.alloc(16);
  tv.writeBigInt64LE(BigInt(Math.floor(ms / 1000)), 0);
  tv.writeBigInt64LE(BigInt((ms % 1000) * 1000), 8);
  check(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv, 16) as number, "setsockopt", "SO_SNDTIMEO");
  check(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16) as number, "setsockopt", "SO_RCVTIMEO");
}

export async function sendTransfer(opts: SendOptions): Promise<TransferResult> {
  const index = opts.index ?? 0;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const conn = await connectTunedFd(opts.host, opts.port, opts.tuning, Math.min(timeoutMs, 10_000));
  const fd = conn.fd;
  try {
    const flags = check(fcntl(fd, F_GETFL, 0) as number, "fcntl", "F_GETFL");
    check(fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) as number, "fcntl", "F_SETFL");
    setTimeouts(fd, 1000);
    setIntOpt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    encodeRequest(first, { size: opts.size, index, flags: 0 });

    const what = `${conn.address} port ${opts.port}`;
    const total = REQUEST_LEN + opts.size;
    const t0 = performance.now();
    const deadline = t0 + timeoutMs;
    let sent = 0;
    while (sent < total) {
      const len = Math.min(CHUNK, total - sent);
      const buf = sent === 0 ? first : sent < REQUEST_LEN ? first.subarray(sent) : zeros;
      const w = sendto(fd, buf, Math.min(len, buf.length), MSG_NOSIGNAL, null, 0) as number;
      if (w > 0) {
        sent += w;
        continue;
      }
      const e = errno();
      if (e === EAGAIN || e === EINTR) {
        if (performance.now() > deadline) throw new TransferError("timeout", `send to ${what}: ${sent - REQUEST_LEN} of ${opts.size} bytes sent after ${timeoutMs} ms`);
        continue;
      }
      throw new TransferError(errnoName(e), `send to ${what}: ${errnoName(e)} ${strerror(e)} after ${Math.max(sent - REQUEST_LEN, 0)} of ${opts.size} bytes`);
    }

    let have = 0;
    let t1 = 0;
    let need = REPLY_HEADER_LEN;
    while (have < need) {
      const r = recv(fd, replyBuf.subarray(have), replyBuf.length - have, 0) as number;
      if (r > 0) {
        if (have === 0) t1 = performance.now();
        have += r;
        if (have >= REPLY_HEADER_LEN && need === REPLY_HEADER_LEN) {
          const magic = replyBuf.toString("latin1", 0, 8);
          if (magic !== REPLY_MAGIC) throw new TransferError("bad_reply", `reply from ${what}: bytes 0-7 are ${JSON.stringify(magic)}, expected ${JSON.stringify(REPLY_MAGIC)} (is it a tcpwin lab server?)`);
          const jl = replyBuf.readUInt32BE(8);
          if (jl > MAX_REPLY_JSON) throw new TransferError("bad_reply", `reply from ${what}: JSON length ${jl} at byte 8 exceeds ${MAX_REPLY_JSON}`);
          need = REPLY_HEADER_LEN + jl;
        }
        continue;
      }
      if (r === 0) throw new TransferError("closed", `${what} closed the connection before its report (${have} bytes of it received)`);
      const e = errno();
      if (e === EAGAIN || e === EINTR) {
        if (performance.now() > deadline) throw new TransferError("timeout", `no report from ${what} within ${timeoutMs} ms after sending ${opts.size} bytes`);
        continue;
      }
      throw new TransferError(errnoName(e), `receiving the report from ${what}: ${errnoName(e)} ${strerror(e)}`);
    }
    let server: ServerReport;
    try {
      server = JSON.parse(replyBuf.toString("utf8", REPLY_HEADER_LEN, need)) as ServerReport;
    } catch (e) {
      throw new TransferError("bad_reply", `report from ${what} (bytes ${REPLY_HEADER_LEN}-${need}) is not JSON: ${(e as Error).message}`);
    }
    const elapsed = t1 - t0;
    const ti = decodeTcpInfo(getTcpInfoRaw(fd));
    const kernel = kernelView(ti, getIntOpt(fd, SOL_SOCKET, SO_RCVBUF), getIntOpt(fd, SOL_SOCKET, SO_SNDBUF));
    const model = predict(opts.size, kernel, server, opts.rttMs);
    return {
      index,
      bytes: opts.size,
      elapsed_ms: round3(elapsed),
      rate_bytes_per_sec: Math.round(opts.size / (elapsed / 1000)),
      connect_ms: round3(conn.connectMs),
      client: conn.report,
      kernel,
      server,
      predicted_ms: model.predicted_ms,
      measured_over_predicted: Math.round((elapsed / model.predicted_ms) * 1000) / 1000,
      snd_wnd: kernel.snd_wnd,
      snd_mss: kernel.snd_mss,
      model,
    };
  } finally {
    close(fd);
  }
}

function kernelView(ti: TcpInfo, rb: number, tb: number): SenderKernelView {
  const busy = ti.busy_time ?? null;
  const share = (x: number | undefined) => (x === undefined || !busy ? null : Math.round((x / busy) * 1000) / 1000);
  return {
    snd_mss: ti.snd_mss,
    min_rtt_us: ti.min_rtt ?? null,
    srtt_us: ti.rtt,
    snd_wnd: ti.snd_wnd ?? null,
    snd_cwnd: ti.snd_cwnd,
    snd_wscale: ti.snd_wscale,
    timestamps: (ti.options & TCPI_OPT.TIMESTAMPS) !== 0,
    busy_time_us: busy,
    rwnd_limited_us: ti.rwnd_limited ?? null,
    sndbuf_limited_us: ti.sndbuf_limited ?? null,
    rwnd_limited_share: share(ti.rwnd_limited),
    sndbuf_limited_share: share(ti.sndbuf_limited),
    total_retrans: ti.total_retrans,
    rb,
    tb,
  };
}

/**
 * The model's prediction for this transfer, from what both kernels reported: the receiver's
 * SO_RCVBUF request (null = autotuning), its kernel version and rmem settings, the MSS option
 * (snd_mss + 12 with timestamps), and the RTT (given, or the kernel's min_rtt).
 */
export function predict(size: number, k: SenderKernelView, server: ServerReport, rttMs?: number): ModelResult {
  const kv = parseKernelVersion(server.kernel) ?? parseKernelVersion(release()) ?? { major: 6, minor: 10 };
  const rtt = rttMs ?? (k.min_rtt_us !== null ? k.min_rtt_us / 1000 : k.srtt_us / 1000);
  return runModel({
    sizeBytes: size,
    rttSec: rtt / 1000,
    mss: k.snd_mss + (k.timestamps ? 12 : 0),
    rcvbuf: server.listener.requested.rcvbuf,
    kernel: kv,
    kernelSource: "the receiver's kernel",
    timestamps: k.timestamps,
    rmemMax: server.rmem_max,
    tcpRmem: server.tcp_rmem,
  });
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
