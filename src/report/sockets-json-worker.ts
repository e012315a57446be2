/**
 * @module report/sockets-json-worker
 * Worker thread for `tcpwin sockets --json` on big dumps: the main thread keeps receiving
 * netlink batches and hands some of them here; this thread formats them with the same
 * SocketJsonWriter and posts finished output chunks back (transferred, not copied). Every
 * object it writes is preceded by ",\n": the main thread writes the array's first object itself.
 * Messages in: {init: MachineLimits, progress: SharedArrayBuffer} | {batch: Uint8Array over a
 * SharedArrayBuffer, len} | {end: true}. After each batch it adds 1 to progress[0] (Int32), which the
 * main thread reads to hand over a batch only when this thread has caught up.
 * Messages out: {chunk: ArrayBuffer, len} | {done: true, count, errors}.
 */
import { parentPort } from "node:worker_threads";
import { DiagMsgViewImpl, DumpState, viewDiagBatch, type DiagMsgView } from "../kernel/netlink.js";
import type { MachineLimits } from "../diagnose/live-flags.js";
import { ByteSink, SocketJsonWriter } from "./sockets-json.js";

type In = { init: MachineLimits; progress: SharedArrayBuffer } | { batch: Uint8Array; len: number } | { end: true };

if (parentPort) {
  const port = parentPort;
  let writer: SocketJsonWriter | undefined;
  let sink: ByteSink | undefined;
  let progress: Int32Array<ArrayBufferLike> = new Int32Array(1);
  const state = new DumpState();
  const view = new DiagMsgViewImpl();
  const seen = new Set<number>();
  const each = (v: DiagMsgView): void => {
    const c = v.cookie;
    if (seen.has(c)) return;
    seen.add(c);
    writer!.write(v);
  };
  port.on("message", (m: In) => {
    if ("init" in m) {
      // Hand each full buffer over without copying; the sink continues in a fresh one.
      sink = new ByteSink((chunk) => {
        const out = chunk.buffer as ArrayBuffer;
        port.postMessage({ chunk: out, len: chunk.length }, [out]);
      }, true);
      writer = new SocketJsonWriter(sink, m.init, undefined);
      writer.count = 1; // never the array's first object
      progress = new Int32Array(m.progress);
    } else if ("batch" in m) {
      // A batch starts at a message boundary; the dump's own error accounting stays in the main thread.
      state.done = false;
      viewDiagBatch(m.batch, m.len, state, view, each);
      Atomics.add(progress, 0, 1);
    } else {
      sink!.flush();
      port.postMessage({ done: true, count: writer!.count - 1, errors: state.errors });
    }
  });
}
