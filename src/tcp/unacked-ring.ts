/**
 * @module tcp/unacked-ring
 * One direction's list of sent-but-unacknowledged segments (Wireshark's `tcp_unacked_t` list),
 * as a growable ring of typed arrays so the per-packet path allocates nothing.
 *
 * Wireshark walks the whole list on every ACK and every data segment (O(n) per packet, n ≤ 10000).
 * We give the same answers faster: while segments were appended in sequence order (the normal
 * case) the ring is `sorted`, so an ACK only touches the oldest entries and bytes in flight is
 * head-to-tail. A retransmission or out-of-order append clears `sorted`; then ACKs use the full
 * Wireshark walk, which also re-checks the order of what remains.
 */
import { seqGt, seqLe, seqLt, seqSub } from "./seq.js";

/** Wireshark's TCP_MAX_UNACKED_SEGMENTS (packet-tcp.h): segments beyond this many unacked are not tracked. */
export const MAX_UNACKED = 10000;

/** Fields per entry in the interleaved buffer: seq, nextseq (int32 values), send time ns, frame. */
const F = 4;

export class UnackedRing {
  /** Capacity in entries (a power of two); 0 until the first segment (many sides never send data). */
  private cap = 0;
  private mask = 0;
  private buf: Float64Array | null = null;
  /** Index of the oldest entry. */
  private head = 0;
  count = 0;
  /** Entries are disjoint and in increasing sequence order, oldest first. */
  sorted = true;
  /** Set by `ack()`: the frame and send time (ns) of the segment this ACK exactly acknowledges, or -1. */
  ackedFrame = -1;
  ackedTsNs = 0;

  /** Append a segment [seq, nextseq) sent at `tsNs` in `frame`. Caller enforces MAX_UNACKED. */
  push(seq: number, nextseq: number, tsNs: number, frame: number): void {
    if (this.count === this.cap) this.grow();
    const b = this.buf!;
    if (this.count > 0 && this.sorted) {
      const tail = (this.head + this.count - 1) & this.mask;
      if (seqLt(seq, b[tail * F + 1]!) || !seqLt(seq, nextseq)) this.sorted = false;
    } else if (this.count === 0 && !seqLt(seq, nextseq)) {
      this.sorted = false;
    }
    const o = ((this.head + this.count) & this.mask) * F;
    b[o] = seq;
    b[o + 1] = nextseq;
    b[o + 2] = tsNs;
    b[o + 3] = frame;
    this.count++;
  }

  /**
   * Process an acknowledgement number as Wireshark does: exact match of a segment's end → RTT
   * sample (the oldest such segment wins, as in Wireshark's newest-first walk) and removal; a
   * partial ACK trims the segment's start; segments wholly below the ACK are dropped.
   */
  ack(ack: number): void {
    this.ackedFrame = -1;
    if (this.count === 0) return;
    if (!this.sorted) {
      this.ackUnsorted(ack);
      return;
    }
    const b = this.buf!;
    const m = this.mask;
    while (this.count > 0) {
      const o = this.head * F;
      const nx = b[o + 1]!;
      if (ack === nx) {
        if (this.ackedFrame < 0) {
          this.ackedFrame = b[o + 3]!;
          this.ackedTsNs = b[o + 2]!;
        }
      } else if (seqGt(ack, b[o]!) && seqLe(ack, nx)) {
        b[o] = ack;
        return;
      } else if (seqGt(nx, ack)) {
        return;
      }
      this.head = (this.head + 1) & m;
      this.count--;
    }
    this.head = 0;
  }

  private ackUnsorted(ack: number): void {
    const b = this.buf!;
    const m = this.mask;
    let w = 0;
    let sorted = true;
    let prevNext = 0;
    const n = this.count;
    for (let k = 0; k < n; k++) {
      const o = ((this.head + k) & m) * F;
      const nx = b[o + 1]!;
      let s = b[o]!;
      if (ack === nx) {
        if (this.ackedFrame < 0) {
          this.ackedFrame = b[o + 3]!;
          this.ackedTsNs = b[o + 2]!;
        }
        continue;
      } else if (seqGt(ack, s) && seqLe(ack, nx)) {
        s = ack;
      } else if (!seqGt(nx, ack)) {
        continue;
      }
      const j = ((this.head + w) & m) * F;
      b[j] = s;
      b[j + 1] = nx;
      b[j + 2] = b[o + 2]!;
      b[j + 3] = b[o + 3]!;
      if (w > 0 && (seqLt(s, prevNext) || !seqLt(s, nx))) sorted = false;
      if (w === 0 && !seqLt(s, nx)) sorted = false;
      prevNext = nx;
      w++;
    }
    this.count = w;
    this.sorted = sorted;
    if (w === 0) this.head = 0;
  }

  /**
   * Wireshark's bytes in flight: max(nextseq − base) − min(seq − base) over the list, in uint32
   * arithmetic relative to the direction's base sequence number. -1 when the list is empty.
   */
  span(base: number): number {
    if (this.count === 0) return -1;
    const b = this.buf!;
    const m = this.mask;
    const h = this.head;
    if (this.sorted) {
      const t = ((h + this.count - 1) & m) * F;
      return seqSub(seqSub(b[t + 1]!, base), seqSub(b[h * F]!, base));
    }
    let first = seqSub(b[h * F]!, base);
    let last = seqSub(b[h * F + 1]!, base);
    for (let k = 1; k < this.count; k++) {
      const o = ((h + k) & m) * F;
      const a = seqSub(b[o]!, base);
      const e = seqSub(b[o + 1]!, base);
      if (a < first) first = a;
      if (e > last) last = e;
    }
    return seqSub(last, first);
  }

  private grow(): void {
    const cap = this.cap === 0 ? 4 : this.cap * 2;
    const buf = new Float64Array(cap * F);
    for (let k = 0; k < this.count; k++) {
      const o = ((this.head + k) & this.mask) * F;
      buf.set(this.buf!.subarray(o, o + F), k * F);
    }
    this.buf = buf;
    this.cap = cap;
    this.mask = cap - 1;
    this.head = 0;
  }
}
