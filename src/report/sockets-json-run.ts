/**
 * @module report/sockets-json-run
 * The whole `tcpwin sockets --json` run: dump, and stream each socket through SocketJsonWriter
 * (report/sockets-json). On a big dump with a second CPU, the netlink receiving runs on a worker
 * thread (kernel/sock-diag-thread): the kernel builds the replies inside recv() (~160 ms at
 * 100 k sockets), which then overlaps the formatting here instead of adding to it.
 *
 * (An earlier design formatted part of the batches on a worker thread instead; its code started
 * cold in a fresh isolate and lost to the single thread. Receiving elsewhere keeps all formatting
 * in one warm thread and the output in the kernel's order.)
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { DiagDecodeError } from "../kernel/netlink.js";
import { streamTcpSocketsQuery, type OwnerStats, type SocketQuery } from "../kernel/sockets.js";
import type { MachineLimits } from "../diagnose/live-flags.js";
import { ByteSink, SocketJsonWriter } from "./sockets-json.js";

/** Sockets in use (TCP, /proc/net/sockstat) from which the receiving thread pays for its start-up. */
const THREAD_AFTER_SOCKETS = 20_000;

/**
 * A second CPU exists. Not "a CPU is idle": the receiving thread mostly runs the kernel's dump,
 * work that is done anyway, so it does not lose on a busy machine (measured at 100 k sockets with
 * one of 2 cores kept busy by another process: 686 ms with it, 718 ms without; idle: 513 / 547).
 */
function secondCpu(): boolean {
  return availableParallelism() >= 2;
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
  /** Whether a worker thread did the receiving. */
  parallel: boolean;
}

/**
 * Stream `tcpwin sockets --json` to `write`. `parallel`: true = receive on a worker thread, false =
 * never; unset = with a second CPU and at least `workerAfterSockets` (default 20 000) TCP sockets
 * are in use. The thread is used only when no owner lookup, pid or address filter needs the
 * sockets decoded before they are kept (kernel/sockets streamTcpSocketsQuery).
 */
export async function writeSocketsJson(
  q: SocketQuery,
  machine: MachineLimits,
  write: (chunk: Uint8Array) => void,
  /** `workerAfterBatches`: accepted for older callers; no effect (the thread starts with the dump). */
  opts: { parallel?: boolean; workerAfterSockets?: number; workerAfterBatches?: number } = {},
): Promise<JsonRunResult> {
  const threaded = opts.parallel ?? (secondCpu() && tcpInUse() >= (opts.workerAfterSockets ?? THREAD_AFTER_SOCKETS));
  const sink = new ByteSink(write);
  let w: SocketJsonWriter | undefined;
  const r = streamTcpSocketsQuery(
    q,
    (v, owners) => {
      if (!w) {
        w = new SocketJsonWriter(sink, machine, owners);
        w.begin();
      }
      w.write(v);
    },
    undefined,
    threaded,
  );
  if (!w) {
    w = new SocketJsonWriter(sink, machine, undefined);
    w.begin();
  }
  const count = w.count;
  w.end();
  return { owners: r.owners, errors: [...r.errors], count, parallel: r.threaded === true };
}
