/**
 * @module kernel/sock-diag-thread
 * `streamTcpSocketsThreaded`: streamTcpSockets with the netlink receiving on a worker thread
 * (kernel/sock-diag-worker). The kernel builds a dump's replies inside recv() — about 1.6 µs per
 * socket with tcp_info, ~160 ms at 100 k sockets — so with the receiving elsewhere that time
 * overlaps this thread's decoding and formatting instead of adding to it.
 *
 * The worker copies each reply batch into a slot of a shared ring (SLOTS slots of the largest
 * batch size) with its offset in the reply stream; this thread views the messages in place, with
 * the same dedupe by cookie, and reports decode problems with the same stream offsets. A dump
 * error (NLMSG_ERROR, a failed syscall) is rethrown here as the same error class.
 *
 * ctrl Int32Array: [HEAD] batches published, [TAIL] batches consumed (counts, compared by
 * difference), [DONE] worker finished (after posting its result), [WAITING] the worker waits for a
 * free slot; LEN0.. the length of each slot's batch. Offsets in a Float64Array beside it.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { SyscallError } from "./libc.js";
import { DiagMsgViewImpl, DumpState, viewDiagBatch, type DiagDecodeError, type DiagMsgView } from "./netlink.js";
import { dedupeByCookie, RECV_BATCH_MAX, SockDiagError, type DumpFilter } from "./sock-diag.js";
import { TcpwinError } from "../errors.js";

export const SLOTS = 16;
export const HEAD = 0;
export const TAIL = 1;
export const DONE = 2;
export const WAITING = 3;
export const LEN0 = 4;
export const CTRL_WORDS = LEN0 + SLOTS;

export interface RecvWorkerInit {
  filter: Omit<DumpFilter, "want" | "onRaw">;
  ring: SharedArrayBuffer;
  ctrl: SharedArrayBuffer;
  offsets: SharedArrayBuffer;
  port: MessagePort;
}

export interface RecvWorkerResult {
  messages: number;
  bytes: number;
  failure?: { name: string; message: string; errno?: number; family?: number; syscall?: string };
}

/** Like streamTcpSockets (no `want`, no offload): decoding here, receiving on a worker thread. */
export function streamTcpSocketsThreaded(
  filter: Omit<DumpFilter, "want" | "onRaw">,
  onView: (v: DiagMsgView) => void,
): { errors: DiagDecodeError[]; duplicates: number; messages: number; bytes: number } {
  const ringSab = new SharedArrayBuffer(SLOTS * RECV_BATCH_MAX);
  const ctrlSab = new SharedArrayBuffer(CTRL_WORDS * 4);
  const offSab = new SharedArrayBuffer(SLOTS * 8);
  const ctrl = new Int32Array(ctrlSab);
  const offsets = new Float64Array(offSab);
  const slots = Array.from({ length: SLOTS }, (_, i) => new Uint8Array(ringSab, i * RECV_BATCH_MAX, RECV_BATCH_MAX));
  const { port1, port2 } = new MessageChannel();
  const init: RecvWorkerInit = { filter: { ...filter }, ring: ringSab, ctrl: ctrlSab, offsets: offSab, port: port2 };
  const worker = startWorker(init, port2);
  worker.unref();
  const view = new DiagMsgViewImpl();
  const d = dedupeByCookie(onView);
  // A batch starts at a message boundary; the stream offset makes error offsets the dump's own.
  const state = new DumpState();
  let tail = 0;
  try {
    for (;;) {
      const head = Atomics.load(ctrl, HEAD);
      if (head === tail) {
        if (Atomics.load(ctrl, DONE) !== 0 && Atomics.load(ctrl, HEAD) === tail) break;
        Atomics.wait(ctrl, HEAD, head, 100);
        continue;
      }
      while (tail !== head) {
        const slot = tail % SLOTS;
        state.done = false;
        state.streamOffset = offsets[slot]!;
        viewDiagBatch(slots[slot]!, ctrl[LEN0 + slot]!, state, view, d.each);
        tail = (tail + 1) | 0;
        Atomics.store(ctrl, TAIL, tail);
        if (Atomics.load(ctrl, WAITING) !== 0) Atomics.notify(ctrl, TAIL);
      }
    }
    let msg: { message: RecvWorkerResult } | undefined;
    for (let i = 0; i < 5000 && !(msg = receiveMessageOnPort(port1) as { message: RecvWorkerResult } | undefined); i++) Atomics.wait(ctrl, CTRL_WORDS - 1, ctrl[CTRL_WORDS - 1]!, 1);
    if (!msg) throw new TcpwinError("sock_diag", "sock_diag: the receiving thread stopped without a result");
    const r = msg.message;
    const f = r.failure;
    if (f) {
      if (f.name === "SockDiagError") throw new SockDiagError(f.errno ?? 0, f.family ?? 0, f.message);
      if (f.name === "SyscallError") throw new SyscallError(f.syscall ?? "recv", f.errno ?? 0, "sock_diag dump");
      throw new TcpwinError("sock_diag", `sock_diag receiving thread: ${f.message}`);
    }
    return { errors: state.errors, duplicates: d.duplicates(), messages: r.messages, bytes: r.bytes };
  } finally {
    port1.close();
    void worker.terminate();
  }
}

/** From built JS the worker is the .js beside this file; from source (tsx) the .ts, with tsx registered in it. */
function startWorker(init: RecvWorkerInit, port: MessagePort): Worker {
  const fromSource = import.meta.url.endsWith(".ts");
  const url = new URL(`./sock-diag-worker${fromSource ? ".ts" : ".js"}`, import.meta.url);
  if (!fromSource) return new Worker(url, { workerData: init, transferList: [port] });
  const code = `import("tsx/esm/api").then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData: init, transferList: [port] });
}
