/**
 * @module tcp/reassembly
 * `HalfStream`: one direction's payload put back in sequence order, for the application protocols
 * of tcp/stream. The rules (gopacket's tcpassembly does the same, with pages instead of chunks):
 *
 * - Offsets count payload bytes from ISN + 1 when the direction's SYN was seen, else from the first
 *   payload byte seen (bytes before it, e.g. an older segment retransmitted later, are dropped).
 *   They are doubles, so a stream may pass 4 GiB; sequence numbers are compared through tcp/seq's
 *   signed difference, so they may wrap. A segment more than 1 GiB ahead of the next expected byte
 *   (no TCP window is that large, RFC 7323 §2.3) belongs to no window of this stream and is ignored.
 * - Bytes already delivered are trimmed (retransmissions, partial overlaps). The in-order case
 *   hands out a view of the capture's buffer, no copy.
 * - Data ahead of a hole is copied and held, at most MAX_HELD_BYTES / MAX_HELD_CHUNKS per direction.
 *   Past that the oldest hole is reported as a gap and delivery resumes after it.
 * - A hole that will never fill becomes a gap `{ at, bytes }`: when the peer acknowledges bytes the
 *   capture never showed (the receiver got them, the capture missed them), when a snaplen cut the
 *   packet short (the part not captured), when the held data hits its bound, and at the end (RST,
 *   end of capture, eviction).
 * - FIN: reported once the bytes before it were delivered (or reported as gaps).
 *
 * The sink (stream-assembler.ts) fans the results out to the protocol handlers.
 */
import { TCP_FIN as FIN_, TCP_SYN as SYN_ } from "../capture/packet.js";
import { seqDiff as seqDiff_ } from "./seq.js";
import type { StreamDir } from "./stream.js";

// Imported bindings copied to module constants: per-packet reads of an import can go through a
// getter (tsx's ESM transform), a local constant never does.
const TCP_FIN = FIN_;
const TCP_SYN = SYN_;
const seqDiff = seqDiff_;

/**
 * Held (out-of-order) payload per direction, bytes. A hole waits for its retransmission with up to
 * a window of data behind it: 1 MiB covers the windows Linux autotunes to on a LAN (measured: 266 KB
 * behind one hole on `lab link --rtt 1ms`, a sender with no bottleneck), and bounds a connection at 2 MiB.
 */
export const MAX_HELD_BYTES = 1024 * 1024;
/** Held chunks per direction (bounds the bookkeeping when segments are tiny). */
export const MAX_HELD_CHUNKS = 4096;
/** Segments and ACKs further ahead than this are not of this stream (RFC 7323's largest window). */
const MAX_AHEAD = 1 << 30;

/** Where a HalfStream's results go. `bytes[start, end)` is valid during the call only. */
export interface HalfStreamSink {
  data(dir: StreamDir, bytes: Uint8Array, start: number, end: number, offset: number, tsNs: number, frame: number): void;
  gap(dir: StreamDir, at: number, bytes: number, tsNs: number): void;
  ack(dir: StreamDir, offset: number, tsNs: number): void;
  fin(dir: StreamDir, tsNs: number): void;
}

/**
 * One held segment: bytes `[off, off + data.length)` copied, then `[off + data.length, end)` known
 * missing (beyond a snaplen cut; `data` empty for a chunk that is all missing). One object per
 * segment, truncated or not.
 */
class Held {
  readonly dataEnd: number;
  constructor(
    readonly off: number,
    readonly end: number,
    readonly data: Uint8Array,
    readonly tsNs: number,
    readonly frame: number,
  ) {
    this.dataEnd = off + data.length;
  }
}

const EMPTY = new Uint8Array(0);

export class HalfStream {
  /** Offset 0 is known (SYN or first payload byte seen). */
  started = false;
  /** Next offset to deliver, and its sequence number (int32). */
  nextOff = 0;
  nextSeq = 0;
  /** Sorted by `off`; at equal `off`, data before missing. */
  private held: Held[] = [];
  heldBytes = 0;
  /** Offset of the FIN (the byte after the last payload byte), -1 none yet; its capture time. */
  finOff = -1;
  private finTsNs = 0;
  private finDone = false;
  /** Highest acknowledged offset reported. */
  ackOff = 0;
  /** Totals, for tests and evidence: bytes handed out, gaps and their bytes. */
  deliveredBytes = 0;
  gaps = 0;
  gapBytes = 0;

  constructor(readonly dir: StreamDir) {}

  private start(seq: number): void {
    this.started = true;
    this.nextSeq = seq | 0;
    this.nextOff = 0;
  }

  private advance(to: number): void {
    this.nextSeq = (this.nextSeq + (to - this.nextOff)) | 0;
    this.nextOff = to;
  }

  private gap(to: number, tsNs: number, sink: HalfStreamSink): void {
    const n = to - this.nextOff;
    this.gaps++;
    this.gapBytes += n;
    const at = this.nextOff;
    this.advance(to);
    sink.gap(this.dir, at, n, tsNs);
  }

  private deliver(bytes: Uint8Array, start: number, end: number, tsNs: number, frame: number, sink: HalfStreamSink): void {
    const at = this.nextOff;
    this.deliveredBytes += end - start;
    this.advance(at + (end - start));
    sink.data(this.dir, bytes, start, end, at, tsNs, frame);
  }

  /**
   * One segment of this direction: `len` payload bytes (tcp.len) of which `cap` were captured, at
   * `bytes[payOff, payOff + cap)`.
   */
  segment(seq: number, flags: number, bytes: Uint8Array, payOff: number, len: number, cap: number, tsNs: number, frame: number, sink: HalfStreamSink): void {
    // A SYN takes one sequence number: its payload (TCP Fast Open) and everything after start at ISN + 1.
    const dataSeq = flags & TCP_SYN ? (seq + 1) | 0 : seq | 0;
    if (!this.started) {
      if (len === 0 && (flags & (TCP_SYN | TCP_FIN)) === 0) return;
      this.start(dataSeq);
    }
    const rel = seqDiff(dataSeq, this.nextSeq);
    if (rel > MAX_AHEAD) return;
    const off = this.nextOff + rel;
    if (flags & TCP_FIN && this.finOff < 0) {
      this.finOff = off + len;
      this.finTsNs = tsNs;
    }
    if (len > 0) {
      if (cap > len) cap = len;
      const end = off + len;
      if (end > this.nextOff) {
        const dataEnd = off + cap;
        if (off <= this.nextOff) {
          if (dataEnd > this.nextOff) this.deliver(bytes, payOff + (this.nextOff - off), payOff + cap, tsNs, frame, sink);
          if (end > this.nextOff) {
            // The snaplen cut the rest: those bytes are not in the capture.
            if (this.held.length === 0) this.gap(end, tsNs, sink);
            else this.insert(new Held(this.nextOff, end, EMPTY, tsNs, frame));
          }
          if (this.held.length > 0) this.flush(tsNs, sink);
        } else {
          this.insert(new Held(off, end, cap > 0 ? bytes.slice(payOff, payOff + cap) : EMPTY, tsNs, frame));
          this.heldBytes += cap;
          while (this.heldBytes > MAX_HELD_BYTES || this.held.length > MAX_HELD_CHUNKS) this.skipHole(tsNs, sink);
        }
      }
    }
    if (this.finOff >= 0 && !this.finDone && this.nextOff >= this.finOff) this.finish(sink);
  }

  /**
   * The peer acknowledged this direction up to `ackSeq`. Bytes acknowledged but never seen were
   * missed by the capture: reported as gaps at once. Returns nothing; the sink hears of advances.
   */
  ack(ackSeq: number, tsNs: number, sink: HalfStreamSink): void {
    if (!this.started) return;
    const rel = seqDiff(ackSeq, this.nextSeq);
    if (rel > MAX_AHEAD || rel < -MAX_AHEAD) return;
    let ackOff = this.nextOff + rel;
    // The FIN takes a sequence number too; its ACK acknowledges no byte.
    if (this.finOff >= 0 && ackOff > this.finOff) ackOff = this.finOff;
    if (ackOff <= this.ackOff) return;
    while (this.nextOff < ackOff) {
      const h = this.held;
      const first = h.length > 0 ? h[0]!.off : Infinity;
      const to = first < ackOff ? first : ackOff;
      if (to > this.nextOff) this.gap(to, tsNs, sink);
      if (h.length === 0) break;
      this.flush(tsNs, sink);
    }
    this.ackOff = ackOff;
    sink.ack(this.dir, ackOff, tsNs);
    if (this.finOff >= 0 && !this.finDone && this.nextOff >= this.finOff) this.finish(sink);
  }

  /** Nothing more will come (RST, end of capture): every hole is a gap; a FIN seen is reported. */
  end(tsNs: number, sink: HalfStreamSink): void {
    while (this.held.length > 0) this.skipHole(tsNs, sink);
    if (this.finOff >= 0 && !this.finDone) {
      if (this.finOff > this.nextOff) this.gap(this.finOff, tsNs, sink);
      this.finish(sink);
    }
  }

  /** Held chunks right now (tests). */
  get heldChunks(): number {
    return this.held.length;
  }

  private finish(sink: HalfStreamSink): void {
    this.finDone = true;
    sink.fin(this.dir, this.finTsNs);
  }

  /** Give up on the first hole: report it as a gap and deliver what follows. */
  private skipHole(tsNs: number, sink: HalfStreamSink): void {
    const first = this.held[0]!.off;
    if (first > this.nextOff) this.gap(first, tsNs, sink);
    this.flush(tsNs, sink);
  }

  private insert(c: Held): void {
    const h = this.held;
    let i = h.length;
    // Segments mostly arrive in ascending order: search from the end.
    while (i > 0) {
      const p = h[i - 1]!;
      if (p.off <= c.off) break;
      i--;
    }
    h.splice(i, 0, c);
  }

  /**
   * Deliver held chunks that now start at or before the next expected byte: held data covering it
   * first (whichever chunk has it), else missing bytes covering it are a gap — up to where some
   * held data starts.
   */
  private flush(tsNs: number, sink: HalfStreamSink): void {
    const h = this.held;
    let lo = 0;
    for (;;) {
      const next = this.nextOff;
      // Chunks now wholly behind are dropped from the front (one splice at the end, not one per chunk).
      while (lo < h.length && h[lo]!.end <= next) this.heldBytes -= h[lo++]!.data.length;
      let pick = -1;
      let lost = -1;
      for (let i = lo; i < h.length && h[i]!.off <= next; i++) {
        const c = h[i]!;
        if (c.dataEnd > next) {
          pick = i;
          break;
        }
        if (lost < 0 && c.end > next) lost = i;
      }
      if (pick >= 0) {
        const c = h[pick]!;
        this.deliver(c.data, next - c.off, c.data.length, c.tsNs, c.frame, sink);
      } else if (lost >= 0) {
        let to = h[lost]!.end;
        for (let i = lo; i < h.length && h[i]!.off < to; i++) {
          const c = h[i]!;
          if (c.off > next && c.dataEnd > c.off) {
            to = c.off;
            break;
          }
        }
        this.gap(to, tsNs, sink);
      } else break;
    }
    if (lo > 0 && h.length > 0) h.splice(0, lo);
  }

  /** Forget held data (no consumer left). */
  drop(): void {
    this.held.length = 0;
    this.heldBytes = 0;
  }
}
