/**
 * @module lab/bulk/receiver-worker
 * The bulk receiver's data path, in a worker thread blocked in accept(2)/recv(2) on raw fds.
 *
 * Why not a net.Server: with a window of one or two segments the receiver reopens the window only
 * when the application reads (tcp_cleanup_rbuf sends the window update), so the reader's wake-up
 * latency is added to every round trip. A thread blocked in recv() is woken straight from the
 * socket's wait queue (measured ~20–40 µs here) where Node's epoll → libuv → JS path took ~100 µs,
 * i.e. +20 % per round at a 0.5 ms RTT. The lab measures the kernel, not the event loop.
 *
 * With busyPollMs > 0 the thread spins in recv(MSG_DONTWAIT) while data keeps coming (up to
 * busyPollMs of silence, then it blocks again): on a virtual machine a blocked thread's wake-up
 * (an IPI to a halted vCPU) costs 40–70 µs, which a one-segment window pays every round trip.
 *
 * One connection at a time (like iperf3). Every blocking call has a 200 ms timeout
 * (SO_RCVTIMEO/SO_SNDTIMEO) so the stop flag (ctrl[0]) is seen; a client idle for idleTimeoutMs
 * is dropped. One 256 KiB buffer for all reads: nothing is allocated per read.
 */
import { workerData, parentPort } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { release } from "node:os";
import { readFileSync } from "node:fs";
import { accept4, close, errno, errnoName, fcntl, recv, sendto, setsockopt, strerror } from "../../kernel/libc.js";
import { decodeTcpInfo } from "../../kernel/tcp-info.js";
import { getIntOpt, getTcpInfoRaw, IPPROTO_TCP, setIntOpt, SO_RCVBUF, SO_RCVTIMEO, SO_SNDBUF, SO_SNDTIMEO, SOL_SOCKET, TCP_NODELAY } from "../../kernel/sockopt.js";
import { decodeRequest, encodeReply, REPLY_MAGIC, REQUEST_LEN, type ServerReport } from "./protocol.js";
import type { TuningReport } from "../tuned-socket.js";
import { EAGAIN, EINTR, F_GETFL, F_SETFL, MSG_DONTWAIT, MSG_NOSIGNAL, O_NONBLOCK, SOCK_CLOEXEC } from "../../kernel/uapi.js";

export interface ReceiverConfig {
  fd: number;
  listener: TuningReport;
  maxTransfers: number;
  idleTimeoutMs: number;
  /** Spin in recv(MSG_DONTWAIT) for up to this long after the last data before blocking, ms. */
  busyPollMs: number;
  ctrl: SharedArrayBuffer;
}

const cfg = workerData as ReceiverConfig;
const ctrl = new Int32Array(cfg.ctrl);
const CHUNK = 256 * 1024;

const buf = Buffer.alloc(CHUNK);
const magic = Buffer.from(REPLY_MAGIC, "latin1");
const header = Buffer.alloc(REQUEST_LEN);
const tv = Buffer.alloc(16);
tv.writeBigInt64LE(0n, 0);
tv.writeBigInt64LE(200_000n, 8);

function timeouts(fd: number): void {
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv, 16);
}

const stopping = () => Atomics.load(ctrl, 0) !== 0;

function peerOf(sa: Buffer): string {
  const fam = sa.readUInt16LE(0);
  const port = sa.readUInt16BE(2);
  if (fam === 2) return `${sa[4]}.${sa[5]}.${sa[6]}.${sa[7]}:${port}`;
  const g: string[] = [];
  for (let i = 0; i < 8; i++) g.push(sa.readUInt16BE(8 + 2 * i).toString(16));
  return `[${g.join(":").replace(/(^|:)0(:0)+(:|$)/, "::")}]:${port}`;
}

function rmem(): { rmem_max?: number; tcp_rmem?: [number, number, number] } {
  try {
    const t = readFileSync("/proc/sys/net/ipv4/tcp_rmem", "utf8").trim().split(/\s+/).map(Number);
    return {
      rmem_max: Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8").trim()),
      ...(t.length === 3 ? { tcp_rmem: [t[0]!, t[1]!, t[2]!] as [number, number, number] } : {}),
    };
  } catch {
    return {};
  }
}
const machine = { kernel: release(), ...rmem() };

/** Serve one accepted connection; returns true when a transfer completed. */
function serve(c: number, peer: string): boolean {
  timeouts(c);
  let have = 0;
  let size = -1;
  let index = 0;
  let got = 0;
  let t0 = 0;
  let idleSince = performance.now();
  const bad = (message: string) => parentPort!.postMessage({ type: "bad", peer, message });
  const spinMs = cfg.busyPollMs;
  while (size < 0 || got < size) {
    const n = recv(c, buf, CHUNK, spinMs > 0 && performance.now() - idleSince < spinMs ? MSG_DONTWAIT : 0) as number;
    if (n > 0) {
      idleSince = performance.now();
      let off = 0;
      if (size < 0) {
        const k = Math.min(REQUEST_LEN - have, n);
        buf.copy(header, have, 0, k);
        have += k;
        off = k;
        if (have < REQUEST_LEN) continue;
        const d = decodeRequest(header);
        if (!d.ok) return bad(d.error.message), false;
        size = d.value.size;
        index = d.value.index;
        t0 = idleSince;
      }
      got += n - off;
      if (got > size) return bad(`sent ${got - size} bytes more than the ${size} it announced`), false;
      continue;
    }
    if (n === 0) return bad(size < 0 ? `closed after ${have} of the ${REQUEST_LEN} request bytes` : `closed after ${got} of ${size} bytes`), false;
    const e = errno();
    if (e !== EAGAIN && e !== EINTR) return bad(`recv: ${errnoName(e)} ${strerror(e)}`), false;
    if (stopping()) return false;
    if (performance.now() - idleSince > cfg.idleTimeoutMs) return bad(`idle for ${cfg.idleTimeoutMs} ms after ${got} of ${size < 0 ? "?" : size} bytes; dropped`), false;
  }
  const elapsed = performance.now() - t0;
  // The reply's first 8 bytes (its magic) go out at once, ahead of the report: the client stops
  // its clock at the reply's first byte, and building the report (tcp_info, JSON) took ~1.5 ms the
  // first time — 2–3 % of a 60 ms transfer. TCP_NODELAY so the rest does not wait for an ACK.
  setIntOpt(c, IPPROTO_TCP, TCP_NODELAY, 1);
  if ((sendto(c, magic, magic.length, MSG_NOSIGNAL, null, 0) as number) !== magic.length) return bad("could not send the report"), false;
  const ti = decodeTcpInfo(getTcpInfoRaw(c));
  const report: ServerReport = {
    bytes: size,
    elapsed_ms: Math.round(elapsed * 1000) / 1000,
    listener: cfg.listener,
    rb: getIntOpt(c, SOL_SOCKET, SO_RCVBUF),
    tb: getIntOpt(c, SOL_SOCKET, SO_SNDBUF),
    rcv_mss: ti.rcv_mss,
    rcv_wscale: ti.rcv_wscale,
    rcv_space: ti.rcv_space,
    ...(ti.rcv_wnd !== undefined ? { rcv_wnd: ti.rcv_wnd } : {}),
    ...machine,
  };
  const reply = encodeReply(report);
  let sent = magic.length;
  while (sent < reply.length) {
    const w = sendto(c, sent === 0 ? reply : reply.subarray(sent), reply.length - sent, MSG_NOSIGNAL, null, 0) as number;
    if (w > 0) sent += w;
    else if (errno() !== EAGAIN || stopping()) return bad("could not send the report"), false;
  }
  parentPort!.postMessage({ type: "transfer", report: { ...report, peer, index } });
  // Wait for the client's close so its FIN does not race the next accept (bounded).
  const end = performance.now() + 2000;
  while (performance.now() < end && !stopping()) {
    const n = recv(c, buf, CHUNK, 0) as number;
    if (n === 0 || (n < 0 && errno() !== EAGAIN && errno() !== EINTR)) break;
  }
  return true;
}

const flags = fcntl(cfg.fd, F_GETFL, 0) as number;
fcntl(cfg.fd, F_SETFL, flags & ~O_NONBLOCK);
timeouts(cfg.fd);
parentPort!.postMessage({ type: "ready" });
const sa = Buffer.alloc(28);
const salen: [number] = [28];
let done = 0;
while (!stopping() && (cfg.maxTransfers === 0 || done < cfg.maxTransfers)) {
  salen[0] = 28;
  const c = accept4(cfg.fd, sa, salen, SOCK_CLOEXEC) as number;
  if (c < 0) continue;
  try {
    if (serve(c, peerOf(sa))) done++;
  } finally {
    close(c);
  }
}
Atomics.store(ctrl, 1, 1);
Atomics.notify(ctrl, 1);
parentPort!.postMessage({ type: "done" });
