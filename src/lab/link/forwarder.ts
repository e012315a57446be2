/**
 * @module lab/link/forwarder
 * Main-thread handle of the forwarding worker: start it, read its live statistics, stop it.
 * `stopSync` blocks (bounded) until the worker has left its loop, so the caller may close the
 * TUN fds right after without the worker touching a reused fd number; being synchronous, it also
 * works from a process 'exit' handler.
 */
import type { Worker } from "node:worker_threads";
import { startWorker } from "../worker-entry.js";
import { TcpwinError } from "../../errors.js";
import { readDirectionStats, STAT_STRIDE, type DirectionStats, type ForwarderConfig } from "./forwarder-types.js";

export type ForwarderOptions = Omit<ForwarderConfig, "ctrl" | "stats">;

export interface ForwarderStats {
  a_to_b: DirectionStats;
  b_to_a: DirectionStats;
}

export class Forwarder {
  private readonly worker: Worker;
  private readonly ctrl: Int32Array;
  private readonly stats: Float64Array;
  private stopped = false;
  private failure: Error | undefined;

  private constructor(opts: ForwarderOptions) {
    const ctrlBuf = new SharedArrayBuffer(8);
    const statsBuf = new SharedArrayBuffer(2 * STAT_STRIDE * 8);
    this.ctrl = new Int32Array(ctrlBuf);
    this.stats = new Float64Array(statsBuf);
    const cfg: ForwarderConfig = { ...opts, ctrl: ctrlBuf, stats: statsBuf };
    this.worker = startWorker(import.meta.url, "./forwarder-worker.js", cfg);
    this.worker.on("error", (e) => {
      this.failure = e;
      Atomics.store(this.ctrl, 1, 1);
    });
    // The worker must not keep the process alive on its own.
    this.worker.unref();
  }

  static start(opts: ForwarderOptions): Promise<Forwarder> {
    const f = new Forwarder(opts);
    return new Promise((resolve, reject) => {
      const onMsg = (m: { type: string }) => {
        if (m.type === "ready") {
          f.worker.off("error", onErr);
          resolve(f);
        }
      };
      const onErr = (e: Error) => reject(new TcpwinError("forwarder_failed", `link forwarder failed to start: ${e.message}`, { cause: e }));
      f.worker.on("message", onMsg);
      f.worker.once("error", onErr);
    });
  }

  get error(): Error | undefined {
    return this.failure;
  }

  snapshot(): ForwarderStats {
    return { a_to_b: readDirectionStats(this.stats, 0), b_to_a: readDirectionStats(this.stats, STAT_STRIDE) };
  }

  /** Ask the worker to leave its loop and wait for it (≤ timeoutMs); then it is safe to close the fds. */
  stopSync(timeoutMs = 2000): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.ctrl, 0, 1);
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(this.ctrl, 1) === 0 && Date.now() < deadline) Atomics.wait(this.ctrl, 1, 0, 20);
    void this.worker.terminate();
  }
}
