/**
 * @module capture/decoded-ring
 * Read and decode a capture on a worker thread (capture/decode-worker) while this thread analyses:
 * on a 2-core machine the ~130 ms of `readSync` + link/IP/TCP decoding per 1.2 M packets then
 * overlap the analysis instead of adding to it.
 *
 * The worker writes one fixed-size slot per TCP segment into a ring in shared memory, with every
 * TcpPacket field tcp/ reads (frame, timestamp, addresses, ports, seq/ack, flags, window, payload
 * length, MSS/window-scale options, SACK blocks). Records that are not TCP segments only count
 * (by DecodeResult code) and move the first/last timestamps, reported at the end. Not carried:
 * the packet bytes (except the payload in payload mode, below), timestamp options, TTL, decode
 * error details.
 *
 * Every field is copied on every slot, whatever the IP version or SACK count: the consuming loop
 * then has no branch that only a later packet takes, which would deoptimise the compiled analysis
 * loop (V8 compiles it with the feedback of the first packets) in the middle of the run.
 *
 * The worker boots in ~30-40 ms: callers that can start it before loading the analysis (the CLI
 * does) get that time back too.
 *
 * Protocol (ctrl Int32Array): [HEAD] records published by the worker, [TAIL] records consumed here,
 * both counts wrapping at 2^32 (compared by difference), published every BATCH records with
 * Atomics.store + notify; a worker that filled the ring sleeps until half of it is free again
 * (waking it per batch cost more in futex calls than it won); [DONE] 1 once the worker posted its final message and published its last
 * head. Each side blocks with Atomics.wait only when the ring is empty (here) or full (worker).
 * The final message (format, warnings, error, bytes read) comes through a MessageChannel port read
 * with receiveMessageOnPort, so this side stays synchronous like the in-thread reader.
 */
import { readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { CaptureIoError } from "./chunk-source.js";
import type { TcpPacket } from "./packet.js";
import { MAX_RECORD, type CaptureDrops, type CaptureWarning } from "./reader-types.js";

/** Int32 words per slot. */
export const SLOT = 36;
/** Slots in the ring (must be a power of two): 16384 × 144 B = 2.3 MiB. */
export const SLOTS = 1 << 14;
/** Records between publications of head/tail. */
export const BATCH = 512;

export const HEAD = 0;
export const TAIL = 1;
export const DONE = 2;
/** [3] the worker waits for space (tells this side to notify): 1 for slots, 2 for payload room. */
export const PRODUCER_WAITING = 3;
/** [4..5] bytes read so far, as two uint32 (low, high), for progress. */
export const BYTES_LO = 4;
export const BYTES_HI = 5;
/** [6..7] timestamp of the capture's first record (TCP or not), set before the first head. */
export const FIRST_SEC = 6;
export const FIRST_NSEC = 7;
/** [8] 1 once FIRST_* are set. */
export const HAVE_FIRST = 8;
export const CTRL_WORDS = 16;

/** Slot layout (word offsets). */
export const F = {
  frame: 1,
  tsSec: 2,
  tsNsec: 3,
  ipVersion: 4,
  srcV4: 5,
  dstV4: 6,
  srcPort: 7,
  dstPort: 8,
  seq: 9,
  ack: 10,
  flags: 11,
  windowRaw: 12,
  payloadLen: 13,
  optMss: 14,
  optWscale: 15,
  sackCount: 16,
  sackLeft: 17, // 4 words
  sackRight: 21, // 4 words
  src6: 25, // 4 words (16 bytes)
  dst6: 29, // 4 words
  payloadCaptured: 33,
  truncated: 34,
  /** Where this record's captured payload starts in the payload ring (payload mode), else 0. */
  payloadAt: 35,
} as const;

/**
 * Payload mode (for application protocols, tcp/stream): the worker also copies each segment's
 * captured payload into a byte ring of PAYLOAD_RING bytes, plus MAX_RECORD of overflow so a record
 * is always contiguous (it is written at `pos` even past the end; the next starts at the wrapped
 * position). The worker fills only while the unconsumed payload leaves MAX_RECORD of room, with
 * "consumed" read from the slots the consumer released (TAIL): a record's payload stays valid
 * exactly as long as its slot, i.e. until the next `next()`. Cost: the copy (TypedArray.set of a
 * view; a byte loop was slower even for 62 bytes) about doubles the reader thread's CPU on the
 * benchmark capture (+230–400 ms per 1.3 M packets under load), so analyze uses it only on request.
 */
export const PAYLOAD_RING = 32 << 20; // a power of two (positions wrap with a mask)

/** DecodeResult codes 0..SKIP_CODES-1 are counted by the worker. */
export const SKIP_CODES = 16;

export interface WorkerInit {
  path: string;
  ring: SharedArrayBuffer;
  ctrl: SharedArrayBuffer;
  port: MessagePort;
  /** The payload ring (PAYLOAD_RING + MAX_RECORD bytes), or null: no payload carried. */
  payload: SharedArrayBuffer | null;
}

export interface WorkerFinal {
  format: "pcap" | "pcapng" | "unknown";
  /** Records read (TCP or not). */
  packets: number;
  /** Records by DecodeResult code (index 0: TCP segments). */
  byCode: number[];
  /** Timestamp of the last record; the first is in ctrl (and here too). */
  firstSec: number;
  firstNsec: number;
  lastSec: number;
  lastNsec: number;
  warnings: CaptureWarning[];
  error: CaptureWarning | null;
  /** The file's own drop counters (pcapng ISB / epb_dropcount). */
  drops: CaptureDrops;
  bytesRead: number;
  /** Set when the worker failed (open error, or a bug): the message and whether it was an I/O error. */
  failure?: { message: string; io: boolean; stack?: string };
}

/** Below this size the worker's start-up is not won back. */
export const READ_WORKER_MIN_BYTES = 32 << 20;

/**
 * Whether reading `source` on a worker thread pays: a regular file ≥ 32 MB and a CPU idle now.
 * `force` (else TCPWIN_READ_WORKER=0/1) overrides the size and CPU checks; stdin never qualifies.
 */
export function readWorkerWanted(source: string, force?: boolean): boolean {
  if (source === "-") return false;
  const env = process.env.TCPWIN_READ_WORKER;
  const forced = force ?? (env === "1" ? true : env === "0" ? false : undefined);
  if (forced !== undefined) return forced;
  if (!coreIdle()) return false;
  try {
    const st = statSync(source);
    return st.isFile() && st.size >= READ_WORKER_MIN_BYTES;
  } catch {
    return false; // the in-thread reader reports the open error
  }
}

/**
 * A CPU is free for the worker: right now fewer runnable threads system-wide than CPUs
 * (procs_running of /proc/stat, which counts this thread; the least of three looks 0.2 ms apart,
 * as V8's own compiler threads come and go — a CPU-bound process is runnable in all three). With
 * every CPU busy the worker only takes turns with this thread: measured on the benchmark capture,
 * 2 cores with one kept busy by another process, 486 ms without the worker against 644 ms with it
 * (idle: 480 ms without, 433 ms with). Not the load average: it remembers the last minute, so
 * after any busy minute (a benchmark's own earlier runs) it said "busy" on an idle machine.
 * Unknown (no /proc): no worker.
 */
function coreIdle(): boolean {
  const cpus = availableParallelism();
  if (cpus < 2) return false;
  try {
    let least = Infinity;
    for (let i = 0; i < 3; i++) {
      if (i > 0) Atomics.wait(pause, 0, 0, 0.2);
      const m = /^procs_running (\d+)$/m.exec(readFileSync("/proc/stat", "latin1"));
      if (m === null) return false;
      least = Math.min(least, Number(m[1]));
    }
    return least < cpus;
  } catch {
    return false;
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** A DecodedRing reading `source` if `readWorkerWanted(source)`, else null; `payload` as in DecodedRing. */
export function startDecodedRing(source: string, opts: { payload?: boolean } = {}): DecodedRing | null {
  return readWorkerWanted(source) ? new DecodedRing(source, opts) : null;
}

/** Main-thread side: start the worker, then take the TCP segments in capture order. */
export class DecodedRing {
  private readonly ring: Int32Array;
  private readonly ctrl: Int32Array;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private tail = 0;
  private head = 0;
  private final: WorkerFinal | null = null;
  private closed = false;
  /** Int32 views of the TcpPacket's IPv6 address bytes (bound on the first `next`). */
  private seg: TcpPacket | null = null;
  private s6 = new Int32Array(4);
  private d6 = new Int32Array(4);

  /** The payload ring (payload mode), else empty: what `seg.bytes` is set to. */
  private readonly payloadBytes: Uint8Array;
  /** Segments carry their captured payload (`bytes`/`payloadOffset`), for tcp/stream's protocols. */
  readonly payload: boolean;

  constructor(
    readonly path: string,
    opts: { payload?: boolean } = {},
  ) {
    const ringSab = new SharedArrayBuffer(SLOT * SLOTS * 4);
    const ctrlSab = new SharedArrayBuffer(CTRL_WORDS * 4);
    this.ring = new Int32Array(ringSab);
    this.ctrl = new Int32Array(ctrlSab);
    this.payload = opts.payload === true;
    const payloadSab = this.payload ? new SharedArrayBuffer(PAYLOAD_RING + MAX_RECORD) : null;
    this.payloadBytes = payloadSab ? new Uint8Array(payloadSab) : new Uint8Array(0);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const init: WorkerInit = { path, ring: ringSab, ctrl: ctrlSab, port: port2, payload: payloadSab };
    this.worker = startWorker(init, port2);
    // The worker must not keep the process alive if the caller stops early (an exception).
    this.worker.unref();
  }

  /** Bytes of the file read so far (for progress). */
  get bytesRead(): number {
    return (Atomics.load(this.ctrl, BYTES_HI) >>> 0) * 2 ** 32 + (Atomics.load(this.ctrl, BYTES_LO) >>> 0);
  }

  /**
   * Wait for the first record: its timestamp (the capture's time base), or null when the capture
   * has no records (or the worker failed: `result()` says why).
   */
  firstTs(): { sec: number; nsec: number } | null {
    const ctrl = this.ctrl;
    while (Atomics.load(ctrl, HAVE_FIRST) === 0) {
      if (Atomics.load(ctrl, DONE) !== 0) {
        if (Atomics.load(ctrl, HAVE_FIRST) !== 0) break;
        return null;
      }
      Atomics.wait(ctrl, HAVE_FIRST, 0, 100);
    }
    return { sec: Atomics.load(ctrl, FIRST_SEC) >>> 0, nsec: Atomics.load(ctrl, FIRST_NSEC) };
  }

  /** Fill `seg` with the next TCP segment; false after the last (then `result()` has the outcome). */
  next(seg: TcpPacket): boolean {
    // Every record before `tail` has been read out completely (the previous call returned): only
    // now may the worker reuse those slots.
    if ((this.tail & (BATCH - 1)) === 0) this.publishTail();
    if (this.tail === this.head) {
      if (!this.waitForRecords()) return false;
    }
    if (seg !== this.seg) this.bind(seg);
    const ring = this.ring;
    const o = (this.tail & (SLOTS - 1)) * SLOT;
    this.tail = (this.tail + 1) | 0;
    seg.frame = ring[o + F.frame]!;
    seg.tsSec = ring[o + F.tsSec]! >>> 0;
    seg.tsNsec = ring[o + F.tsNsec]!;
    seg.ipVersion = ring[o + F.ipVersion]!;
    seg.srcV4 = ring[o + F.srcV4]! >>> 0;
    seg.dstV4 = ring[o + F.dstV4]! >>> 0;
    const s6 = this.s6;
    const d6 = this.d6;
    for (let i = 0; i < 4; i++) {
      s6[i] = ring[o + F.src6 + i]!;
      d6[i] = ring[o + F.dst6 + i]!;
    }
    seg.srcPort = ring[o + F.srcPort]!;
    seg.dstPort = ring[o + F.dstPort]!;
    seg.seq = ring[o + F.seq]! >>> 0;
    seg.ack = ring[o + F.ack]! >>> 0;
    seg.flags = ring[o + F.flags]!;
    seg.windowRaw = ring[o + F.windowRaw]!;
    seg.payloadLen = ring[o + F.payloadLen]!;
    seg.payloadCaptured = ring[o + F.payloadCaptured]!;
    // Unconditional (an empty array without payload mode): no branch here either.
    seg.bytes = this.payloadBytes;
    seg.payloadOffset = ring[o + F.payloadAt]!;
    seg.truncated = ring[o + F.truncated]! !== 0;
    seg.optMss = ring[o + F.optMss]!;
    seg.optWscale = ring[o + F.optWscale]!;
    seg.sackCount = ring[o + F.sackCount]!;
    const sl = seg.sackLeft;
    const sr = seg.sackRight;
    for (let i = 0; i < 4; i++) {
      sl[i] = ring[o + F.sackLeft + i]!;
      sr[i] = ring[o + F.sackRight + i]!;
    }
    return true;
  }

  private bind(seg: TcpPacket): void {
    this.seg = seg;
    this.s6 = new Int32Array(seg.src6.buffer, seg.src6.byteOffset, 4);
    this.d6 = new Int32Array(seg.dst6.buffer, seg.dst6.byteOffset, 4);
  }

  private publishTail(): void {
    Atomics.store(this.ctrl, TAIL, this.tail);
    // The worker waits for half the ring; `head` may be stale (lower), which only wakes it early.
    // Waiting for payload room (2), any progress may be enough: the worker checks.
    const waiting = Atomics.load(this.ctrl, PRODUCER_WAITING);
    if (waiting === 2 || (waiting !== 0 && ((this.head - this.tail) | 0) <= SLOTS >> 1)) Atomics.notify(this.ctrl, TAIL);
  }

  /** Block until the worker published more records (true) or finished (false). */
  private waitForRecords(): boolean {
    const ctrl = this.ctrl;
    for (;;) {
      const h = Atomics.load(ctrl, HEAD);
      if (h !== this.head) {
        this.head = h;
        return true;
      }
      if (Atomics.load(ctrl, DONE) !== 0) {
        // DONE is set after the last head: one more look settles it.
        const h2 = Atomics.load(ctrl, HEAD);
        if (h2 !== this.head) {
          this.head = h2;
          return true;
        }
        return false;
      }
      // Let the worker go on if it filled the ring and waits on our tail.
      Atomics.store(ctrl, TAIL, this.tail);
      Atomics.notify(ctrl, TAIL);
      Atomics.wait(ctrl, HEAD, h, 100);
    }
  }

  /** The reader's outcome, once `next()` returned -1. Throws CaptureIoError if the worker could not open or read the file. */
  result(): WorkerFinal {
    if (this.final) return this.final;
    let msg: { message: WorkerFinal } | undefined;
    // The worker posts before it sets DONE; the message is normally there already.
    for (let i = 0; i < 5000 && !(msg = receiveMessageOnPort(this.port) as { message: WorkerFinal } | undefined); i++) {
      Atomics.wait(this.ctrl, CTRL_WORDS - 1, 0, 1);
    }
    this.close();
    if (!msg) throw new CaptureIoError(`cannot read capture ${this.path}: the reader thread stopped without a result`, this.path);
    const f = msg.message;
    if (f.failure) {
      if (f.failure.io) throw new CaptureIoError(f.failure.message, this.path);
      throw new Error(`capture reader thread failed: ${f.failure.message}${f.failure.stack ? `\n${f.failure.stack}` : ""}`);
    }
    this.final = f;
    return f;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}

/** From built JS the worker is the .js beside this file; from source (tsx) the .ts, with tsx registered in it. */
function startWorker(init: WorkerInit, port: MessagePort): Worker {
  const fromSource = import.meta.url.endsWith(".ts");
  const url = new URL(`./decode-worker${fromSource ? ".ts" : ".js"}`, import.meta.url);
  if (!fromSource) return new Worker(url, { workerData: init, transferList: [port] });
  const code = `import("tsx/esm/api").then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData: init, transferList: [port] });
}
