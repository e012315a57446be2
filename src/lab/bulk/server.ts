/**
 * @module lab/bulk/server
 * `tcpwin lab serve`: the receiving end. A listener tuned before listen() (SO_RCVBUF, SO_SNDBUF,
 * TCP_MAXSEG — inherited by accepted sockets); connections are accepted and read by a worker
 * thread blocked in recv() (see receiver-worker for why), one at a time like iperf3. Per transfer
 * it reports the kernel's view of the accepted socket (rb/tb, rcv_mss, rcv_wnd, rcv_wscale).
 * A malformed request closes that connection with a one-line reason, never the server.
 */
import type { Worker } from "node:worker_threads";
import { close } from "../../kernel/libc.js";
import { listenTunedFd, type SocketTuning, type TuningReport } from "../tuned-socket.js";
import { startWorker } from "../worker-entry.js";
import type { ServerReport } from "./protocol.js";
import type { ReceiverConfig } from "./receiver-worker.js";

export interface ServeOptions {
  host: string;
  port: number;
  tuning: SocketTuning;
  /** Stop after this many completed transfers (0 or undefined = serve until closed). */
  maxTransfers?: number | undefined;
  /** Drop a client that sends nothing for this long (default 30 s). */
  idleTimeoutMs?: number;
  /** Spin in recv for up to this long after data before blocking (0 = always block). */
  busyPollMs?: number;
}

export type ServerTransfer = ServerReport & { peer: string; index: number };

export interface ServerEvents {
  onTransfer?: (r: ServerTransfer) => void;
  onBadClient?: (peer: string, message: string) => void;
}

export class BulkServer {
  private worker: Worker | undefined;
  private fd = -1;
  private ctrl = new Int32Array(new SharedArrayBuffer(8));
  port = 0;
  listener: TuningReport | undefined;
  private readonly finished: Promise<void>;
  private finish!: () => void;
  private closed = false;

  constructor(
    private readonly opts: ServeOptions,
    private readonly events: ServerEvents = {},
  ) {
    this.finished = new Promise((r) => (this.finish = r));
  }

  async start(): Promise<{ port: number; listener: TuningReport }> {
    const l = await listenTunedFd(this.opts.host, this.opts.port, this.opts.tuning);
    this.fd = l.fd;
    this.port = l.port;
    this.listener = l.report;
    const cfg: ReceiverConfig = {
      fd: l.fd,
      listener: l.report,
      maxTransfers: this.opts.maxTransfers ?? 0,
      idleTimeoutMs: this.opts.idleTimeoutMs ?? 30_000,
      busyPollMs: this.opts.busyPollMs ?? 0,
      ctrl: this.ctrl.buffer as SharedArrayBuffer,
    };
    const w = startWorker(import.meta.url, "./receiver-worker.js", cfg);
    this.worker = w;
    await new Promise<void>((resolve, reject) => {
      w.on("message", (m: { type: string; report?: ServerTransfer; peer?: string; message?: string }) => {
        if (m.type === "ready") resolve();
        else if (m.type === "transfer") this.events.onTransfer?.(m.report!);
        else if (m.type === "bad") this.events.onBadClient?.(m.peer!, m.message!);
        else if (m.type === "done") this.close();
      });
      w.once("error", (e) => {
        reject(e);
        this.close();
      });
    });
    return { port: l.port, listener: l.report };
  }

  /** Resolves when maxTransfers transfers completed or close() was called. */
  whenFinished(): Promise<void> {
    return this.finished;
  }

  /** Stop accepting, wait (≤ 1 s) for the worker to leave its loop, close the listener. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, 0, 1);
    const deadline = Date.now() + 1000;
    while (this.worker && Atomics.load(this.ctrl, 1) === 0 && Date.now() < deadline) Atomics.wait(this.ctrl, 1, 0, 20);
    void this.worker?.terminate();
    if (this.fd >= 0) close(this.fd);
    this.fd = -1;
    this.finish();
  }
}
