/**
 * @module tcp/limits
 * Limit attribution for one sender: every interval between two packets of the connection is
 * charged to what held the sender back during it, judged from the state after the earlier packet:
 *
 * - rwnd: data in flight within one MSS of the receiver's advertised window, or a zero window;
 * - app:  window open and the sender's latest segment was short (it ran out of data), or nothing
 *         outstanding at all between two bursts of data (charged once more data follows, so the
 *         idle tail after the last ACK is not counted);
 * - cwnd: window open, full-sized segments outstanding below it: congestion window / loss recovery
 *         (a capture cannot tell these from a sender-side buffer limit).
 *
 * When the receiver's window scale is unknown, the same bookkeeping runs for every candidate
 * shift 0..14 at once (the inference picks one at the end), so nothing needs a second pass.
 * Memory: nothing until the sender first sends data; then, when the scale is known, the one
 * candidate lives in scalar fields (no arrays: the common case, and the per-packet fast path), and
 * small plain arrays only for the 15 candidates of an unknown scale: captures can hold hundreds of
 * thousands of connections.
 */
import type { LimitShares } from "./evidence.js";

const NONE = 0;
const RWND = 1;
const CWND = 2;
const APP = 3;
const IDLE = 4;
const N = 15;
/** Per candidate in `acc`: rwnd, cwnd, app, small, pending small (ns). */
const W = 5;
/** Log2 buckets of idle gaps from 16 µs: the last starts at 16 µs · 2^23 ≈ 134 s. */
const IDLE_BUCKETS = 24;

export class LimitTracker {
  private lastNs = NaN;
  /** Candidates in use: 1 when the scale is known (the scalar fields below), 15 otherwise (the arrays); 0 before any data. */
  private n = 0;
  /** The one candidate (n = 1): category, window ≤ 2 MSS, and its five sums as in `acc`. */
  private cat0 = NONE;
  private small0 = false;
  private rwnd0 = 0.5;
  private cwnd0 = 0.5;
  private app0 = 0.5;
  private small0Ns = 0.5;
  private pendingSmall0Ns = 0.5;
  // Plain arrays, not typed ones: see the module note on memory. Used only when n = 15.
  private acc: number[] | null = null;
  /** Per candidate: category, and whether the window was ≤ 2 MSS. */
  private cat: number[] | null = null;
  private small: number[] | null = null;
  private zero = false;
  private pendingIdleNs = 0;
  zeroWindowNs = 0;
  /**
   * Idle gaps (nothing outstanding, then more data) charged to the application, by length:
   * ns summed per log2 bucket, bucket i holding gaps of [16·2^i, 16·2^(i+1)) µs (the last one
   * open-ended). Window-independent, so one array whatever the scale candidates. diagnose/ splits
   * the application's time with it: gaps of a few round trips are a sender that could not keep
   * up (CPU, scheduling), long ones an application with nothing to send.
   */
  idleGapNs: number[] | null = null;
  /** Idle gaps during which the peer sent data: waiting for its reply (its response time), ns. */
  peerWaitNs = 0;
  private peerSpoke = false;

  constructor() {
    // 0.5 first: double fields from the start, so adding ns never changes the class (see settleShapes).
    this.rwnd0 = this.cwnd0 = this.app0 = this.small0Ns = this.pendingSmall0Ns = 0;
  }

  /** Charge the time since the previous event to the categories decided then. */
  advance(nowNs: number): void {
    const dt = nowNs - this.lastNs;
    this.lastNs = nowNs;
    if (!(dt > 0) || this.n === 0) return;
    if (this.n === 1) {
      if (this.zero) this.zeroWindowNs += dt;
      const k = this.cat0;
      if (k === NONE) return;
      if (k === IDLE) {
        this.pendingIdleNs += dt;
        if (this.small0) this.pendingSmall0Ns += dt;
        return;
      }
      if (k === RWND) this.rwnd0 += dt;
      else if (k === CWND) this.cwnd0 += dt;
      else this.app0 += dt;
      if (this.small0) this.small0Ns += dt;
      return;
    }
    const acc = this.acc!;
    const cat = this.cat!;
    const small = this.small!;
    if (this.zero) this.zeroWindowNs += dt;
    for (let c = 0; c < this.n; c++) {
      const k = cat[c]!;
      if (k === NONE) continue;
      const o = c * W;
      if (k === IDLE) {
        if (c === 0) this.pendingIdleNs += dt;
        if (small[c]) acc[o + 4]! += dt;
        continue;
      }
      acc[o + k - 1]! += dt; // RWND → 0, CWND → 1, APP → 2
      if (small[c]) acc[o + 3]! += dt;
    }
  }

  /** The sender sent new data: the idle time before it was the application's. */
  onNewData(): void {
    if (this.pendingIdleNs > 0 && this.n > 0) {
      const g = this.pendingIdleNs;
      if (this.peerSpoke) this.peerWaitNs += g;
      else {
        if (this.idleGapNs === null) this.idleGapNs = new Array<number>(IDLE_BUCKETS).fill(0.5).fill(0);
        const b = g < 32_000 ? 0 : Math.min(IDLE_BUCKETS - 1, Math.floor(Math.log2(g / 16_000)));
        this.idleGapNs[b]! += g;
      }
      if (this.n === 1) {
        this.app0 += this.pendingIdleNs;
        this.small0Ns += this.pendingSmall0Ns;
        this.pendingSmall0Ns = 0;
      } else {
        const acc = this.acc!;
        for (let c = 0; c < this.n; c++) {
        const o = c * W;
          acc[o + 2]! += this.pendingIdleNs;
          acc[o + 3]! += acc[o + 4]!;
          acc[o + 4] = 0;
        }
      }
    }
    this.pendingIdleNs = 0;
    this.peerSpoke = false;
  }

  /** The peer sent new data: if this side is idle, its gap is a wait for the peer's reply. */
  onPeerData(): void {
    if (this.n > 0 && (this.n === 1 ? this.cat0 : this.cat![0]) === IDLE) this.peerSpoke = true;
  }

  private ensure(n: number): void {
    if (this.n >= n) return;
    if (n === 1) {
      this.n = 1; // the scalar fields, zero from the constructor
      return;
    }
    const acc: number[] = new Array<number>(n * W).fill(0.5);
    acc.fill(0); // 0.5 first: a double array from the start, so adding ns never changes its kind
    const cat: number[] = new Array<number>(n).fill(0);
    const small: number[] = new Array<number>(n).fill(0);
    if (this.n === 1) {
      // Known → unknown (rare): every candidate starts from what candidate 0 accumulated.
      for (let c = 0; c < n; c++) {
        const o = c * W;
        acc[o] = this.rwnd0;
        acc[o + 1] = this.cwnd0;
        acc[o + 2] = this.app0;
        acc[o + 3] = this.small0Ns;
        acc[o + 4] = this.pendingSmall0Ns;
      }
    }
    this.acc = acc;
    this.cat = cat;
    this.small = small;
    this.n = n;
  }

  /**
   * Decide the categories from the state after this packet (call only once the sender has data).
   * @param outstanding bytes sent and not yet acknowledged (seq-based)
   * @param raw the receiver's latest raw window, -1 if it never advertised one
   * @param shift the receiver's window shift (≥ 0), or -1 when unknown (evaluate all candidates)
   * @param mss the sender's segment size
   * @param shortSeg the sender's latest data segment was shorter than mss
   */
  classify(outstanding: number, raw: number, shift: number, mss: number, shortSeg: boolean): void {
    this.ensure(shift >= 0 ? 1 : N);
    this.zero = raw === 0;
    if (this.n === 1) {
      // Known scale (shift ≥ 0, or ensure would have made 15): the loop below for c = 0.
      if (raw < 0) {
        this.cat0 = outstanding > 0 ? (shortSeg ? APP : CWND) : IDLE;
        this.small0 = false;
        return;
      }
      const adv = raw << shift;
      this.small0 = adv <= 2 * mss;
      if (outstanding > 0) {
        if (adv === 0 || adv - outstanding < mss) this.cat0 = RWND;
        else this.cat0 = shortSeg ? APP : CWND;
      } else this.cat0 = adv === 0 ? RWND : IDLE;
      return;
    }
    const cat = this.cat!;
    const small = this.small!;
    const n = shift >= 0 ? 1 : N;
    for (let c = 0; c < n; c++) {
      if (raw < 0) {
        cat[c] = outstanding > 0 ? (shortSeg ? APP : CWND) : IDLE;
        small[c] = 0;
        continue;
      }
      const adv = raw << (shift >= 0 ? shift : c); // raw ≤ 65535, shift ≤ 14: fits in int32
      small[c] = adv <= 2 * mss ? 1 : 0;
      if (outstanding > 0) {
        if (adv === 0 || adv - outstanding < mss) cat[c] = RWND;
        else cat[c] = shortSeg ? APP : CWND;
      } else cat[c] = adv === 0 ? RWND : IDLE;
    }
    // Candidates beyond n (scale became known after being unknown) stop accumulating.
    for (let c = n; c < this.n; c++) cat[c] = NONE;
  }

  /** Shares for a candidate shift (ignored when the scale was known). */
  shares(shift: number): { limits: LimitShares | null; smallShare: number } {
    if (this.n === 0) return { limits: null, smallShare: 0 };
    let a: number[];
    let o = 0;
    if (this.n === 1) a = [this.rwnd0, this.cwnd0, this.app0, this.small0Ns];
    else {
      a = this.acc!;
      o = Math.max(0, Math.min(N - 1, shift)) * W;
    }
    const busy = a[o]! + a[o + 1]! + a[o + 2]!;
    if (!(busy > 0)) return { limits: null, smallShare: 0 };
    return {
      limits: {
        busy_s: busy / 1e9,
        rwnd: a[o]! / busy,
        cwnd: a[o + 1]! / busy,
        app: a[o + 2]! / busy,
        ...(this.idleGapNs !== null ? { app_idle_gaps_s: trimZeros(this.idleGapNs.map((ns) => ns / 1e9)) } : {}),
        ...(this.peerWaitNs > 0 ? { app_peer_wait_s: this.peerWaitNs / 1e9 } : {}),
      },
      smallShare: a[o + 3]! / busy,
    };
  }
}

/** Bucket sums without the empty tail. */
function trimZeros(a: number[]): number[] {
  let n = a.length;
  while (n > 0 && a[n - 1] === 0) n--;
  return a.slice(0, n);
}
