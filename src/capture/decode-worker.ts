/**
 * @module capture/decode-worker
 * Worker-thread side of capture/decoded-ring: open the capture, read and decode every record, and
 * write each into the shared ring (layout and protocol in decoded-ring.ts). At the end, post the
 * reader's outcome, publish the last head, set DONE. Imports only capture/ modules, so it starts
 * in a few milliseconds of its own thread.
 */
import { workerData } from "node:worker_threads";
import { CaptureIoError } from "./chunk-source.js";
import { decodeTcpPacket } from "./decode.js";
import {
  BATCH,
  BYTES_HI,
  BYTES_LO,
  DONE,
  F,
  FIRST_NSEC,
  FIRST_SEC,
  HAVE_FIRST,
  HEAD,
  PAYLOAD_RING,
  PRODUCER_WAITING,
  SKIP_CODES,
  SLOT,
  SLOTS,
  TAIL,
  type WorkerFinal,
  type WorkerInit,
} from "./decoded-ring.js";
import { openCapture } from "./open.js";
import { PacketRef, TcpPacket } from "./packet.js";
import { MAX_RECORD, NO_DROPS_INFO, type CaptureReader } from "./reader-types.js";

const init = workerData as WorkerInit;
const ring = new Int32Array(init.ring);
const ctrl = new Int32Array(init.ctrl);
const payload = init.payload ? new Uint8Array(init.payload) : null;
/** Payload bytes written (a running total) after each slot: what the consumer has freed, from TAIL. */
const payloadEnd = new Float64Array(payload ? SLOTS : 0);

function publishHead(head: number, bytesRead: number): void {
  Atomics.store(ctrl, BYTES_LO, bytesRead % 2 ** 32 | 0);
  Atomics.store(ctrl, BYTES_HI, Math.floor(bytesRead / 2 ** 32));
  Atomics.store(ctrl, HEAD, head);
  Atomics.notify(ctrl, HEAD);
}

/** Payload bytes the consumer is done with: the running total after the last slot before TAIL. */
function payloadFreed(): number {
  return payloadEnd[(Atomics.load(ctrl, TAIL) - 1) & (SLOTS - 1)]!;
}

/** Payload mode: wait until the payload ring has room for at least one more record after `written`. */
function waitForPayloadRoom(written: number): void {
  if (written - payloadFreed() <= PAYLOAD_RING - MAX_RECORD) return;
  Atomics.store(ctrl, PRODUCER_WAITING, 2);
  for (;;) {
    const tail = Atomics.load(ctrl, TAIL);
    if (written - payloadFreed() <= PAYLOAD_RING >> 1) break;
    Atomics.wait(ctrl, TAIL, tail, 100);
  }
  Atomics.store(ctrl, PRODUCER_WAITING, 0);
}

/** Wait until the ring has room for BATCH more records after `head` (when blocking, for half the ring); the latest tail. */
function waitForRoom(head: number): number {
  let tail = Atomics.load(ctrl, TAIL);
  if (((head - tail) | 0) <= SLOTS - BATCH) return tail;
  Atomics.store(ctrl, PRODUCER_WAITING, 1);
  for (;;) {
    tail = Atomics.load(ctrl, TAIL);
    if (((head - tail) | 0) <= SLOTS >> 1) break;
    Atomics.wait(ctrl, TAIL, tail, 100);
  }
  Atomics.store(ctrl, PRODUCER_WAITING, 0);
  return tail;
}

/**
 * The reading state, and the hot loop apart from everything else: `fill` runs a batch of records
 * with no branch that only a late record takes (waiting for room, publishing, the end are outside),
 * so V8 optimises it once instead of recompiling the whole loop each time a rare path first runs
 * (four ~30 ms recompilations per run on the benchmark capture, on the core the analysis' own
 * compiler jobs need).
 */
class Filler {
  readonly pkt = new PacketRef();
  readonly seg = new TcpPacket();
  private readonly s6: Int32Array;
  private readonly d6: Int32Array;
  readonly byCode = new Array<number>(SKIP_CODES).fill(0);
  packets = 0;
  lastSec = 0;
  lastNsec = 0;
  ended = false;
  /** Payload mode: bytes written to the payload ring so far (a running total), and where the next goes (total mod ring size). */
  written = 0;
  pos = 0;

  constructor(readonly reader: CaptureReader) {
    this.s6 = new Int32Array(this.seg.src6.buffer, this.seg.src6.byteOffset, 4);
    this.d6 = new Int32Array(this.seg.dst6.buffer, this.seg.dst6.byteOffset, 4);
  }

  firstSec = 0;
  firstNsec = 0;

  /** The capture's first record: its timestamp is the analysis' time base, wanted right away. */
  private first(): void {
    this.firstSec = this.pkt.tsSec;
    this.firstNsec = this.pkt.tsNsec;
    Atomics.store(ctrl, FIRST_SEC, this.firstSec);
    Atomics.store(ctrl, FIRST_NSEC, this.firstNsec);
    Atomics.store(ctrl, HAVE_FIRST, 1);
    Atomics.notify(ctrl, HAVE_FIRST);
  }

  /** Read records until `n` TCP segments are in the ring from `head` (or the capture ends); the new head. */
  fill(head: number, n: number): number {
    const { reader, pkt, seg, s6, d6, byCode } = this;
    const stop = (head + n) | 0;
    // Payload mode: stop the batch early rather than overwrite payload the consumer may still read
    // (`freed` is as of now; it only grows, so the check errs on the safe side).
    const freed = payload !== null ? payloadFreed() : 0;
    const limit = PAYLOAD_RING - MAX_RECORD;
    while (head !== stop && this.written - freed <= limit) {
      if (!reader.next(pkt)) {
        this.ended = true;
        break;
      }
      if (this.packets++ === 0) this.first();
      this.lastSec = pkt.tsSec;
      this.lastNsec = pkt.tsNsec;
      const rc = decodeTcpPacket(pkt, seg);
      byCode[rc < SKIP_CODES ? rc : SKIP_CODES - 1]!++;
      if (rc !== 0) continue;
      const o = (head & (SLOTS - 1)) * SLOT;
      ring[o + F.frame] = pkt.frame;
      ring[o + F.tsSec] = pkt.tsSec;
      ring[o + F.tsNsec] = pkt.tsNsec;
      ring[o + F.ipVersion] = seg.ipVersion;
      ring[o + F.srcV4] = seg.srcV4;
      ring[o + F.dstV4] = seg.dstV4;
      for (let i = 0; i < 4; i++) {
        ring[o + F.src6 + i] = s6[i]!;
        ring[o + F.dst6 + i] = d6[i]!;
      }
      ring[o + F.srcPort] = seg.srcPort;
      ring[o + F.dstPort] = seg.dstPort;
      ring[o + F.seq] = seg.seq;
      ring[o + F.ack] = seg.ack;
      ring[o + F.flags] = seg.flags;
      ring[o + F.windowRaw] = seg.windowRaw;
      ring[o + F.payloadLen] = seg.payloadLen;
      ring[o + F.payloadCaptured] = seg.payloadCaptured;
      if (payload !== null) {
        // Contiguous at `at`, even past PAYLOAD_RING (the overflow): the consumer reads one range.
        const at = this.pos;
        const len = seg.payloadCaptured;
        // (len 0: a no-op, so no branch. A byte loop is slower even for 62 bytes: measured 280 vs 100 ns.)
        payload.set(pkt.bytes.subarray(seg.payloadOffset, seg.payloadOffset + len), at);
        ring[o + F.payloadAt] = at;
        this.written += len;
        this.pos = (at + len) & (PAYLOAD_RING - 1); // a power of two: no division, no branch
        payloadEnd[head & (SLOTS - 1)] = this.written;
      }
      ring[o + F.truncated] = seg.truncated ? 1 : 0;
      ring[o + F.optMss] = seg.optMss;
      ring[o + F.optWscale] = seg.optWscale;
      ring[o + F.sackCount] = seg.sackCount;
      for (let i = 0; i < 4; i++) {
        ring[o + F.sackLeft + i] = seg.sackLeft[i]!;
        ring[o + F.sackRight + i] = seg.sackRight[i]!;
      }
      head = (head + 1) | 0;
    }
    return head;
  }
}

function run(): WorkerFinal {
  const reader = openCapture(init.path);
  const f = new Filler(reader);
  let head = 0;
  try {
    while (!f.ended) {
      waitForRoom(head);
      if (payload !== null) waitForPayloadRoom(f.written);
      head = f.fill(head, BATCH);
      publishHead(head, reader.stats.bytesRead);
    }
  } finally {
    reader.close();
  }
  publishHead(head, reader.stats.bytesRead);
  return {
    format: reader.format,
    packets: f.packets,
    byCode: f.byCode,
    firstSec: f.firstSec,
    firstNsec: f.firstNsec,
    lastSec: f.lastSec,
    lastNsec: f.lastNsec,
    warnings: [...reader.warnings],
    error: reader.error,
    drops: reader.drops(),
    bytesRead: reader.stats.bytesRead,
  };
}

let final: WorkerFinal;
try {
  final = run();
} catch (e) {
  const io = e instanceof CaptureIoError;
  final = {
    format: "unknown",
    packets: 0,
    byCode: [],
    firstSec: 0,
    firstNsec: 0,
    lastSec: 0,
    lastNsec: 0,
    warnings: [],
    error: null,
    drops: { ...NO_DROPS_INFO },
    bytesRead: 0,
    failure: { message: e instanceof Error ? e.message : String(e), io, ...(e instanceof Error && !io && e.stack ? { stack: e.stack } : {}) },
  };
}
init.port.postMessage(final);
Atomics.store(ctrl, DONE, 1);
Atomics.notify(ctrl, HEAD);
