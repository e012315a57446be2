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
 */
import type { LimitShares } from "./evidence.js";

const NONE = 0;
const RWND = 1;
const CWND = 2;
const APP = 3;
const IDLE = 4;
const N = 15;

export class LimitTracker {
  private lastNs = NaN;
  /** Number of candidates in use: 1 when the scale is known (index 0), 15 otherwise. */
  private n = 1;
  private knownShift = 0;
  private readonly cat = new Uint8Array(N);
  private readonly small = new Uint8Array(N);
  private zero = false;
  private readonly rwndNs = new Float64Array(N);
  private readonly cwndNs = new Float64Array(N);
  private readonly appNs = new Float64Array(N);
  private readonly smallNs = new Float64Array(N);
  private readonly pendingSmallNs = new Float64Array(N);
  private pendingIdleNs = 0;
  zeroWindowNs = 0;

  /** Charge the time since the previous event to the categories decided then. */
  advance(nowNs: number): void {
    const dt = nowNs - this.lastNs;
    this.lastNs = nowNs;
    if (!(dt > 0)) return;
    if (this.zero) this.zeroWindowNs += dt;
    for (let c = 0; c < this.n; c++) {
      const k = this.cat[c]!;
      if (k === NONE) continue;
      if (k === IDLE) {
        if (c === 0) this.pendingIdleNs += dt;
        if (this.small[c]) this.pendingSmallNs[c]! += dt;
        continue;
      }
      if (k === RWND) this.rwndNs[c]! += dt;
      else if (k === CWND) this.cwndNs[c]! += dt;
      else this.appNs[c]! += dt;
      if (this.small[c]) this.smallNs[c]! += dt;
    }
  }

  /** The sender sent new data: the idle time before it was the application's. */
  onNewData(): void {
    if (this.pendingIdleNs > 0) {
      for (let c = 0; c < this.n; c++) {
        this.appNs[c]! += this.pendingIdleNs;
        this.smallNs[c]! += this.pendingSmallNs[c]!;
        this.pendingSmallNs[c] = 0;
      }
      this.pendingIdleNs = 0;
    }
  }

  /**
   * Decide the categories from the state after this packet.
   * @param active the sender has sent data
   * @param outstanding bytes sent and not yet acknowledged (seq-based)
   * @param raw the receiver's latest raw window, -1 if it never advertised one
   * @param shift the receiver's window shift (≥ 0), or -1 when unknown (evaluate all candidates)
   * @param mss the sender's segment size
   * @param shortSeg the sender's latest data segment was shorter than mss
   */
  classify(active: boolean, outstanding: number, raw: number, shift: number, mss: number, shortSeg: boolean): void {
    if (shift >= 0) {
      this.n = 1;
      this.knownShift = shift;
    } else this.n = N;
    this.zero = active && raw === 0;
    for (let c = 0; c < this.n; c++) {
      if (!active) {
        this.cat[c] = NONE;
        continue;
      }
      if (raw < 0) {
        this.cat[c] = outstanding > 0 ? (shortSeg ? APP : CWND) : IDLE;
        this.small[c] = 0;
        continue;
      }
      const adv = raw << (shift >= 0 ? shift : c); // raw ≤ 65535, shift ≤ 14: fits in int32
      this.small[c] = adv <= 2 * mss ? 1 : 0;
      if (outstanding > 0) {
        if (adv === 0 || adv - outstanding < mss) this.cat[c] = RWND;
        else this.cat[c] = shortSeg ? APP : CWND;
      } else this.cat[c] = adv === 0 ? RWND : IDLE;
    }
  }

  /** Shares for a candidate shift (ignored when the scale was known). */
  shares(shift: number): { limits: LimitShares | null; smallShare: number } {
    const c = this.n === 1 ? 0 : Math.max(0, Math.min(N - 1, shift));
    const busy = this.rwndNs[c]! + this.cwndNs[c]! + this.appNs[c]!;
    if (!(busy > 0)) return { limits: null, smallShare: 0 };
    return {
      limits: {
        busy_s: busy / 1e9,
        rwnd: this.rwndNs[c]! / busy,
        cwnd: this.cwndNs[c]! / busy,
        app: this.appNs[c]! / busy,
      },
      smallShare: this.smallNs[c]! / busy,
    };
  }

  get scaleKnown(): boolean {
    return this.n === 1;
  }
  get shiftUsed(): number {
    return this.knownShift;
  }
}
