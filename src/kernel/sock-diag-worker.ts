/**
 * @module kernel/sock-diag-worker
 * Worker-thread side of kernel/sock-diag-thread: run the dump, copy each reply batch into the next
 * free ring slot (waiting while all are full), publish it; at the end post the result (or the
 * error), then set DONE.
 */
import { workerData } from "node:worker_threads";
import { DONE, HEAD, LEN0, SLOTS, TAIL, WAITING, type RecvWorkerInit, type RecvWorkerResult } from "./sock-diag-thread.js";
import { dumpRawBatches, RECV_BATCH_MAX } from "./sock-diag.js";

const init = workerData as RecvWorkerInit;
const ring = new Uint8Array(init.ring);
const ctrl = new Int32Array(init.ctrl);
const offsets = new Float64Array(init.offsets);

let head = 0;
let result: RecvWorkerResult;
try {
  const r = dumpRawBatches(init.filter, (buf, n, at) => {
    for (;;) {
      const tail = Atomics.load(ctrl, TAIL);
      if (((head - tail) | 0) < SLOTS) break;
      Atomics.store(ctrl, WAITING, 1);
      Atomics.wait(ctrl, TAIL, tail, 100);
      Atomics.store(ctrl, WAITING, 0);
    }
    const slot = head % SLOTS;
    ring.set(buf.subarray(0, Math.min(n, RECV_BATCH_MAX)), slot * RECV_BATCH_MAX);
    ctrl[LEN0 + slot] = n;
    offsets[slot] = at;
    head = (head + 1) | 0;
    Atomics.store(ctrl, HEAD, head);
    Atomics.notify(ctrl, HEAD);
  });
  result = { messages: r.messages, bytes: r.bytes };
} catch (e) {
  const x = e as { name?: string; message?: string; errno?: number; family?: number; syscall?: string };
  result = { messages: 0, bytes: 0, failure: { name: x.name ?? "Error", message: x.message ?? String(e), errno: x.errno, family: x.family, syscall: x.syscall } };
}
init.port.postMessage(result);
Atomics.store(ctrl, DONE, 1);
Atomics.notify(ctrl, HEAD);
