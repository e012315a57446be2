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
import {
  CTRL_CAPTURE,
  CTRL_STOP,
  CTRL_STOPPED,
  CTRL_WORDS,
  readDirectionStats,
  STAT_STRIDE,
  type DirectionStats,
  type ForwarderConfig,
} from "./forwarder-types.js";

export type ForwarderOptions = Omit<ForwarderConfig, "ctrl" | "delays" | "stats"> & {
  delayAtoBMs: number;
  delayBtoAMs: number;
  /** Capture from the start (default true). */
  capture?: boolean;
};

export interface ForwarderStats {
  a_to_b: DirectionStats;
  b_to_a: DirectionStats;
}

export class Forwarder {
  private readonly worker: Worker;
  private readonly ctrl: Int32Array;
  private readonly delays: Float64Array;
  private readonly stats: Float64Array;
  private stopped = false;
  private failure: Error | undefined;
  private readonly readyPromise: Promise<void>;

  private constructor(opts: ForwarderOptions) {
    const ctrlBuf = new SharedArrayBuffer(CTRL_WORDS * 4);
    const delaysBuf = new SharedArrayBuffer(2 * 8);
    const statsBuf = new SharedArrayBuffer(2 * STAT_STRIDE * 8);
    this.ctrl = new Int32Array(ctrlBuf);
    this.delays = new Float64Array(delaysBuf);
    this.stats = new Float64Array(statsBuf);
    this.setDelays(opts.delayAtoBMs, opts.delayBtoAMs);
    this.setCapture(opts.capture ?? true);
    const { delayAtoBMs: _ab, delayBtoAMs: _ba, capture: _c, ...rest } = opts;
    const cfg: ForwarderConfig = { ...rest, ctrl: ctrlBuf, delays: delaysBuf, stats: statsBuf };
    this.worker = startWorker(import.meta.url, "./forwarder-worker.js", cfg);
    this.worker.on("error", (e) => {
      this.failure = e;
      Atomics.store(this.ctrl, CTRL_STOPPED, 1);
    });
    // The worker must not keep the process alive on its own.
    this.worker.unref();
    // Listening from the start: a 'ready' message is not kept for a listener added later.
    this.readyPromise = new Promise((resolve, reject) => {
      const onMsg = (m: { type: string }) => {
        if (m.type === "ready") {
          this.worker.off("error", onErr);
          // A 'message' listener refs the worker's port despite unref(): left on, a link that is
          // never closed (a test failing before its close()) kept the process alive for ever.
          this.worker.off("message", onMsg);
          resolve();
        }
      };
      const onErr = (e: Error) => {
        this.worker.off("message", onMsg);
        reject(new TcpwinError("forwarder_failed", `link forwarder failed to start: ${e.message}`, { cause: e }));
      };
      this.worker.on("message", onMsg);
      this.worker.once("error", onErr);
    });
    // Nobody may be waiting when it fails (a link closed during start-up): not an unhandled rejection.
    this.readyPromise.catch(() => {});
  }

  /**
   * Start the worker; `ready` resolves once its loop runs. The handle exists from the first
   * moment, so a link interrupted while the worker is still starting can stop it (`stopSync`).
   */
  static spawn(opts: ForwarderOptions): Forwarder {
    return new Forwarder(opts);
  }

  static async start(opts: ForwarderOptions): Promise<Forwarder> {
    const f = Forwarder.spawn(opts);
    await f.ready;
    return f;
  }

  /** Resolves when the worker runs its loop; rejects if it fails to start. */
  get ready(): Promise<void> {
    return this.readyPromise;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  /** One-way delays from the next packet on (packets already queued keep their due times). */
  setDelays(aToBMs: number, bToAMs: number): void {
    this.delays[0] = aToBMs;
    this.delays[1] = bToAMs;
  }

  /** Capture on or off (the link's own calibration traffic is not the user's). */
  setCapture(on: boolean): void {
    Atomics.store(this.ctrl, CTRL_CAPTURE, on ? 1 : 0);
  }

  /** Zero the counters (after the calibration, so they count only the user's traffic). */
  resetStats(): void {
    this.stats.fill(0);
  }

  snapshot(): ForwarderStats {
    return { a_to_b: readDirectionStats(this.stats, 0), b_to_a: readDirectionStats(this.stats, STAT_STRIDE) };
  }

  /** Ask the worker to leave its loop and wait for it (≤ timeoutMs); then it is safe to close the fds. */
  stopSync(timeoutMs = 2000): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.ctrl, CTRL_STOP, 1);
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(this.ctrl, CTRL_STOPPED) === 0 && Date.now() < deadline) Atomics.wait(this.ctrl, CTRL_STOPPED, 0, 20);
    void this.worker.terminate();
  }
}
