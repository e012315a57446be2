/**
 * @module report/sockets-json-run
 * The whole `tcpwin sockets --json` run: dump, stream each socket through SocketJsonWriter
 * (report/sockets-json), and on big dumps let a worker thread (report/sockets-json-worker) format
 * part of the batches in parallel. Kept apart from sockets-json.ts so the worker's imports stay
 * small (no FFI in the worker).
 */
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import { DiagMsgViewImpl, DumpState, viewDiagBatch, type DiagDecodeError } from "../kernel/netlink.js";
import { streamTcpSocketsQuery, type OwnerStats, type SocketQuery } from "../kernel/sockets.js";
import type { MachineLimits } from "../diagnose/live-flags.js";
import { ByteSink, SocketJsonWriter } from "./sockets-json.js";


/** Batches (≈ 32 KiB each) formatted here before a worker is worth its start-up. */
const WORKER_AFTER_BATCHES = 500;
/** Sockets in use (TCP) from which the worker starts right away. */
const WORKER_AFTER_SOCKETS = 50_000;
/** Batches the worker may have unfinished before this thread formats the next one itself. */
const IN_FLIGHT = 2;

/** At least one CPU idle over the last minute (load average below CPUs − 1). */
function coreIdle(): boolean {
  const cpus = availableParallelism();
  return cpus >= 2 && loadavg()[0]! <= cpus - 1;
}

/** "TCP: inuse N ..." of /proc/net/sockstat (this network namespace); 0 when unreadable. */
function tcpInUse(): number {
  try {
    const m = /^TCP: inuse (\d+)/m.exec(readFileSync("/proc/net/sockstat", "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export interface JsonRunResult {
  owners?: OwnerStats | undefined;
  errors: DiagDecodeError[];
  count: number;
  /** Whether a worker thread formatted part of the output. */
  parallel: boolean;
}

/**
 * Stream `tcpwin sockets --json` to `write`. On a big dump, with a CPU idle (`parallel` unset), or
 * when `parallel` is true (and when no owner lookup or address
 * filter needs this thread), reply batches go to a worker thread whenever it has caught up; it formats
 * them in parallel while this thread keeps receiving; its chunks are written at the end, then "]".
 * The array's order is then not the kernel's order (JSON consumers should not rely on it anyway).
 */
export async function writeSocketsJson(
  q: SocketQuery,
  machine: MachineLimits,
  write: (chunk: Uint8Array) => void,
  opts: { parallel?: boolean; workerAfterBatches?: number; workerAfterSockets?: number } = {},
): Promise<JsonRunResult> {
  const after = opts.workerAfterBatches ?? WORKER_AFTER_BATCHES;
  // A second thread only pays when a core is idle: on a busy machine it only adds copying.
  if (opts.parallel === undefined && !coreIdle()) opts = { ...opts, parallel: false };
  const sink = new ByteSink(write);
  let w: SocketJsonWriter | undefined;
  let batches = 0;
  let worker: Worker | undefined;
  let failed: unknown;
  const pending: Uint8Array[] = [];
  // Copies of what the worker got: formatted here if the worker fails (its output is written
  // only after it succeeded, so a failure never leaves half an array behind).
  const handedOff: Uint8Array[] = [];
  // Batches sent to the worker, and (shared, counted by the worker) batches it has formatted.
  let sent = 0;
  const progress = new Int32Array(new SharedArrayBuffer(4));
  let done: Promise<{ count: number; errors: DiagDecodeError[] }> | undefined;
  const boot = (): boolean => {
    if (worker) return true;
    if (failed !== undefined) return false;
    try {
      worker = startWorker();
    } catch (e) {
      failed = e;
      return false;
    }
    worker.postMessage({ init: machine, progress: progress.buffer });
    const wk = worker;
    done = new Promise((resolve, reject) => {
      wk.on("message", (m: { chunk?: ArrayBuffer; len?: number; done?: boolean; count?: number; errors?: DiagDecodeError[] }) => {
        if (m.chunk) pending.push(new Uint8Array(m.chunk, 0, m.len));
        else if (m.done) resolve({ count: m.count ?? 0, errors: m.errors ?? [] });
      });
      wk.once("error", reject);
      wk.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
    });
    return true;
  };
  // A very big table (from /proc/net/sockstat): start the worker now, so it boots while we receive.
  if (opts.parallel !== false && q.src?.addr === undefined && q.dst?.addr === undefined && !q.owners && q.pid === undefined && q.port === undefined && tcpInUse() >= (opts.workerAfterSockets ?? WORKER_AFTER_SOCKETS)) boot();
  const offload =
    opts.parallel === false
      ? undefined
      : (buf: Uint8Array, n: number): boolean => {
          batches++;
          // The first object is always ours. A batch goes to the worker only when it has caught up
          // (fewer than IN_FLIGHT of its batches unfinished): the split follows the two threads'
          // actual speeds (the worker starts cold, the machine may be busy), so this thread never
          // ends up waiting long for the worker's share, and formats while the worker is busy.
          if (w === undefined || w.count === 0 || (!worker && batches < after)) return false;
          if (!boot()) return false;
          if (sent - Atomics.load(progress, 0) >= IN_FLIGHT) return false;
          sent++;
          // Shared memory: no copy to post, and still ours to format if the worker fails.
          const copy = new Uint8Array(new SharedArrayBuffer(n));
          copy.set(buf.subarray(0, n));
          handedOff.push(copy);
          worker!.postMessage({ batch: copy, len: n });
          return true;
        };
  const r = streamTcpSocketsQuery(
    q,
    (v, owners) => {
      if (!w) {
        w = new SocketJsonWriter(sink, machine, owners);
        w.begin();
      }
      w.write(v);
    },
    offload,
  );
  if (!w) {
    w = new SocketJsonWriter(sink, machine, undefined);
    w.begin();
  }
  const errors = [...r.errors];
  let parallel = false;
  if (worker && done) {
    worker.postMessage({ end: true });
    try {
      const res = await done;
      w.count += res.count;
      errors.push(...res.errors);
      parallel = true;
    } catch (e) {
      failed = e;
    } finally {
      await worker.terminate();
    }
    if (parallel) {
      sink.flush();
      for (const c of pending) write(c);
    } else {
      // The worker failed: format its batches here (the same dedupe applies).
      const view = new DiagMsgViewImpl();
      const state = new DumpState();
      const seen = new Set<number>();
      const ww = w;
      for (const b of handedOff) {
        state.done = false;
        viewDiagBatch(b, b.length, state, view, (v) => {
          if (seen.has(v.cookie)) return;
          seen.add(v.cookie);
          ww.write(v);
        });
      }
    }
  }
  const count = w.count;
  w.end();
  return { owners: r.owners, errors, count, parallel };
}

/** From built JS the worker is the .js beside this file; from source (tsx) the .ts, with tsx registered in it. */
function startWorker(): Worker {
  const fromSource = import.meta.url.endsWith(".ts");
  const url = new URL(`./sockets-json-worker${fromSource ? ".ts" : ".js"}`, import.meta.url);
  if (!fromSource) return new Worker(url);
  const code = `import("tsx/esm/api").then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true });
}
