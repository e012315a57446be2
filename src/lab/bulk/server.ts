/**
 * @module lab/bulk/server
 * `tcpwin lab serve`: the receiving end. A listener tuned before listen() (SO_RCVBUF, SO_SNDBUF,
 * TCP_MAXSEG — inherited by accepted sockets), then per connection: read the 32-byte request,
 * count exactly `size` payload bytes, answer with a ServerReport carrying the kernel's view of the
 * accepted socket (rb/tb, rcv_mss, rcv_wnd, rcv_wscale). Connections are served concurrently;
 * a malformed request closes that connection with a one-line reason, never the server.
 */
import type net from "node:net";
import { release } from "node:os";
import { readFileSync } from "node:fs";
import { decodeTcpInfo } from "../../kernel/tcp-info.js";
import { getIntOpt, getTcpInfoRaw, SO_RCVBUF, SO_SNDBUF, SOL_SOCKET } from "../../kernel/sockopt.js";
import { listenTuned, socketFd, type SocketTuning, type TuningReport } from "../tuned-socket.js";
import { decodeRequest, encodeReply, REQUEST_LEN, type ServerReport } from "./protocol.js";

export interface ServeOptions {
  host: string;
  port: number;
  tuning: SocketTuning;
  /** Stop after this many completed transfers (0 = serve forever). */
  maxTransfers?: number;
}

export interface ServerEvents {
  onTransfer?: (r: ServerReport & { peer: string; index: number }) => void;
  onBadClient?: (peer: string, message: string) => void;
}

export class BulkServer {
  private server: net.Server | undefined;
  private done = 0;
  port = 0;
  listener: TuningReport | undefined;
  private readonly sockets = new Set<net.Socket>();
  private finished: Promise<void>;
  private finish!: () => void;

  constructor(
    private readonly opts: ServeOptions,
    private readonly events: ServerEvents = {},
  ) {
    this.finished = new Promise((r) => (this.finish = r));
  }

  async start(): Promise<{ port: number; listener: TuningReport }> {
    const l = await listenTuned(this.opts.host, this.opts.port, this.opts.tuning);
    this.server = l.server;
    this.port = l.port;
    this.listener = l.report;
    l.server.on("connection", (s) => this.serve(s));
    return { port: l.port, listener: l.report };
  }

  /** Resolves when maxTransfers transfers completed (never when serving forever). */
  whenFinished(): Promise<void> {
    return this.finished;
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server?.close();
    this.finish();
  }

  private serve(s: net.Socket): void {
    this.sockets.add(s);
    const peer = `${s.remoteAddress}:${s.remotePort}`;
    const header = Buffer.alloc(REQUEST_LEN);
    let have = 0;
    let size = -1;
    let index = 0;
    let got = 0;
    let t0 = 0;
    let replied = false;
    const fd = socketFd(s);
    const fail = (msg: string) => {
      this.events.onBadClient?.(peer, msg);
      s.destroy();
    };
    s.on("data", (chunk: Buffer) => {
      let off = 0;
      if (size < 0) {
        const n = Math.min(REQUEST_LEN - have, chunk.length);
        chunk.copy(header, have, 0, n);
        have += n;
        off = n;
        if (have < REQUEST_LEN) return;
        const d = decodeRequest(header);
        if (!d.ok) return fail(d.error.message);
        size = d.value.size;
        index = d.value.index;
        t0 = performance.now();
      }
      got += chunk.length - off;
      if (got > size) return fail(`sent ${got - size} bytes more than the ${size} it announced`);
      if (got === size && !replied) {
        replied = true;
        const report = this.report(fd, size, performance.now() - t0);
        s.write(encodeReply(report));
        this.events.onTransfer?.({ ...report, peer, index });
      }
    });
    s.on("error", () => {});
    s.on("end", () => {
      if (!replied && size >= 0) this.events.onBadClient?.(peer, `closed after ${got} of ${size} bytes`);
      s.end();
    });
    s.on("close", () => {
      this.sockets.delete(s);
      if (replied) {
        this.done++;
        if (this.opts.maxTransfers && this.done >= this.opts.maxTransfers) this.close();
      }
    });
  }

  private report(fd: number, bytes: number, elapsedMs: number): ServerReport {
    const r: ServerReport = {
      bytes,
      elapsed_ms: Math.round(elapsedMs * 1000) / 1000,
      listener: this.listener!,
      rb: -1,
      tb: -1,
      kernel: release(),
      ...readRmem(),
    };
    if (fd >= 0) {
      r.rb = getIntOpt(fd, SOL_SOCKET, SO_RCVBUF);
      r.tb = getIntOpt(fd, SOL_SOCKET, SO_SNDBUF);
      const ti = decodeTcpInfo(getTcpInfoRaw(fd));
      r.rcv_mss = ti.rcv_mss;
      r.rcv_wscale = ti.rcv_wscale;
      if (ti.rcv_wnd !== undefined) r.rcv_wnd = ti.rcv_wnd;
      r.rcv_space = ti.rcv_space;
    }
    return r;
  }
}

function readRmem(): { rmem_max?: number; tcp_rmem?: [number, number, number] } {
  const out: { rmem_max?: number; tcp_rmem?: [number, number, number] } = {};
  try {
    out.rmem_max = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8").trim());
    const t = readFileSync("/proc/sys/net/ipv4/tcp_rmem", "utf8").trim().split(/\s+/).map(Number);
    if (t.length === 3) out.tcp_rmem = [t[0]!, t[1]!, t[2]!];
  } catch {
    /* not Linux: the model uses its defaults */
  }
  return out;
}
