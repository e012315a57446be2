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

export class UnackedRing {
  private cap = 8;
  private mask = 7;
  private seq = new Int32Array(8);
  private next = new Int32Array(8);
  private ts = new Float64Array(8);
  private frame = new Float64Array(8);
  /** Index of the oldest entry. */
  private head = 0;
  count = 0;
  /** Entries are disjoint and in increasing sequence order, oldest first. */
  sorted = true;
  /** Set by `ack()`: the frame and send time (ns) of the segment this ACK exactly acknowledges, or -1. */
  ackedFrame = -1;
  ackedTsNs = 0;

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.sorted = true;
  }

  /** Append a segment [seq, nextseq) sent at `tsNs` in `frame`. Caller enforces MAX_UNACKED. */
  push(seq: number, nextseq: number, tsNs: number, frame: number): void {
    if (this.count === this.cap) this.grow();
    if (this.count > 0 && this.sorted) {
      const tail = (this.head + this.count - 1) & this.mask;
      if (seqLt(seq, this.next[tail]!) || !seqLt(seq, nextseq)) this.sorted = false;
    } else if (this.count === 0 && !seqLt(seq, nextseq)) {
      this.sorted = false;
    }
    const i = (this.head + this.count) & this.mask;
    this.seq[i] = seq;
    this.next[i] = nextseq;
    this.ts[i] = tsNs;
    this.frame[i] = frame;
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
    if (this.sorted) {
      const m = this.mask;
      while (this.count > 0) {
        const h = this.head;
        const nx = this.next[h]!;
        if (ack === nx) {
          if (this.ackedFrame < 0) {
            this.ackedFrame = this.frame[h]!;
            this.ackedTsNs = this.ts[h]!;
          }
        } else if (seqGt(ack, this.seq[h]!) && seqLe(ack, nx)) {
          this.seq[h] = ack;
          return;
        } else if (seqGt(nx, ack)) {
          return;
        }
        this.head = (h + 1) & m;
        this.count--;
      }
      this.head = 0;
      return;
    }
    this.ackUnsorted(ack);
  }

  private ackUnsorted(ack: number): void {
    const m = this.mask;
    let w = 0;
    let sorted = true;
    let prevNext = 0;
    const n = this.count;
    for (let k = 0; k < n; k++) {
      const i = (this.head + k) & m;
      const nx = this.next[i]!;
      let s = this.seq[i]!;
      if (ack === nx) {
        if (this.ackedFrame < 0) {
          this.ackedFrame = this.frame[i]!;
          this.ackedTsNs = this.ts[i]!;
        }
        continue;
      } else if (seqGt(ack, s) && seqLe(ack, nx)) {
        s = ack;
      } else if (!seqGt(nx, ack)) {
        continue;
      }
      const j = (this.head + w) & m;
      this.seq[j] = s;
      this.next[j] = nx;
      this.ts[j] = this.ts[i]!;
      this.frame[j] = this.frame[i]!;
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
    const m = this.mask;
    const h = this.head;
    if (this.sorted) {
      const t = (h + this.count - 1) & m;
      return seqSub(seqSub(this.next[t]!, base), seqSub(this.seq[h]!, base));
    }
    let first = seqSub(this.seq[h]!, base);
    let last = seqSub(this.next[h]!, base);
    for (let k = 1; k < this.count; k++) {
      const i = (h + k) & m;
      const a = seqSub(this.seq[i]!, base);
      const b = seqSub(this.next[i]!, base);
      if (a < first) first = a;
      if (b > last) last = b;
    }
    return seqSub(last, first);
  }

  /** Send time (ns) of the oldest segment still unacknowledged, or NaN. */
  oldestTsNs(): number {
    return this.count === 0 ? NaN : this.ts[this.head]!;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const seq = new Int32Array(cap);
    const next = new Int32Array(cap);
    const ts = new Float64Array(cap);
    const frame = new Float64Array(cap);
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & this.mask;
      seq[k] = this.seq[i]!;
      next[k] = this.next[i]!;
      ts[k] = this.ts[i]!;
      frame[k] = this.frame[i]!;
    }
    this.seq = seq;
    this.next = next;
    this.ts = ts;
    this.frame = frame;
    this.cap = cap;
    this.mask = cap - 1;
    this.head = 0;
  }
}
