/**
 * @module cli/commands/sockets-json-run
 * The whole `tcpwin sockets --json` run: the dump (kernel/sockets streamTcpSocketsAuto, which picks
 * the receiving thread) streamed through SocketJsonWriter (report/sockets-json). On a big dump with
 * a second CPU the netlink receiving runs on a worker thread: the kernel builds the replies inside
 * recv() (~160 ms at 100 k sockets), which then overlaps the formatting here instead of adding to it.
 *
 * (An earlier design formatted part of the batches on a worker thread instead; its code started
 * cold in a fresh isolate and lost to the single thread. Receiving elsewhere keeps all formatting
 * in one warm thread and the output in the kernel's order.)
 */
import type { DiagDecodeError } from "../../kernel/netlink.js";
import { streamTcpSocketsAuto, type OwnerStats, type SocketQuery } from "../../kernel/sockets.js";
import type { MachineLimits } from "../../diagnose/live-flags.js";
import { ByteSink, SocketJsonWriter } from "../../report/sockets-json.js";

export interface JsonRunResult {
  owners?: OwnerStats | undefined;
  errors: DiagDecodeError[];
  count: number;
  /** Whether a worker thread did the receiving. */
  parallel: boolean;
}

/**
 * Stream `tcpwin sockets --json` to `write`. `parallel`: true = receive on a worker thread, false =
 * never; unset = the kernel module decides (second CPU and ≥ `workerAfterSockets` TCP sockets).
 */
export async function writeSocketsJson(
  q: SocketQuery,
  machine: MachineLimits,
  write: (chunk: Uint8Array) => void,
  /** `workerAfterBatches`: accepted for older callers; no effect (the thread starts with the dump). */
  opts: { parallel?: boolean; workerAfterSockets?: number; workerAfterBatches?: number } = {},
): Promise<JsonRunResult> {
  const sink = new ByteSink(write);
  let w: SocketJsonWriter | undefined;
  const stream: { parallel?: boolean; workerAfterSockets?: number } = {};
  if (opts.parallel !== undefined) stream.parallel = opts.parallel;
  if (opts.workerAfterSockets !== undefined) stream.workerAfterSockets = opts.workerAfterSockets;
  const r = streamTcpSocketsAuto(
    q,
    (v, owners) => {
      if (!w) {
        w = new SocketJsonWriter(sink, machine, owners);
        w.begin();
      }
      w.write(v);
    },
    stream,
  );
  if (!w) {
    w = new SocketJsonWriter(sink, machine, undefined);
    w.begin();
  }
  const count = w.count;
  w.end();
  return { owners: r.owners, errors: [...r.errors], count, parallel: r.threaded === true };
}
