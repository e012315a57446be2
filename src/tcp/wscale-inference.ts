/**
 * @module tcp/wscale-inference
 * Beyond Wireshark: infer the window scale of a direction whose handshake was not captured.
 *
 * A sender never has more unacknowledged data than the receiver allowed, so at every data segment
 * `in_flight ≤ raw_window << shift`, where in_flight = sender's highest seq − receiver's last ACK
 * and raw_window is the receiver's latest advertisement, both as seen at the capture point.
 * The smallest shift satisfying every sample is a lower bound; it is the answer when the sender
 * visibly ran into that window (in flight within one MSS of raw << shift, repeatedly), because a
 * larger true scale would have let it send more. Captured near the receiver, in flight looks
 * smaller than it was, which only weakens the bound (never makes it wrong).
 *
 * A capture that lost ACKs (tcpdump drops them in bursts under load) makes the samples until the
 * next captured ACK measure in flight from a stale one, too high: a few such samples would raise
 * the bound for good, above the true scale. (ACKs captured out of order are the caller's to handle:
 * the analyzer measures against the newest ACK.) So the bound is the largest shift that at least
 * 2 samples and 1 % of them need; a single sample alone still counts. A bound that comes out low
 * only says less; one that comes out high is wrong.
 */

/** 2^k without Math.pow on the per-packet path. */
const POW2 = Float64Array.from({ length: 16 }, (_, k) => 2 ** k);

export class ScaleInference {
  samples = 0;
  /** Smallest shift consistent with the samples so far, outliers aside (-1 before the first sample). */
  shift = -1;
  /** Per shift: samples that need exactly that shift; allocated at the first sample. */
  need: Uint32Array | null = null;
  /** Samples that would need a shift above 14 (not a window-limited sender, or bad data). */
  impossible = 0;
  /** Per shift: samples with in_flight within one MSS of raw << shift; allocated at the first sample. */
  nearFull: Uint32Array | null = null;
  /** Largest in_flight / raw ratio seen. */
  maxRatio = 0;

  sample(inFlight: number, raw: number, mss: number): void {
    if (raw <= 0 || inFlight <= 0) return;
    this.samples++;
    const ratio = inFlight / raw;
    let k = 0;
    if (ratio > 1) {
      k = Math.ceil(Math.log2(ratio));
      // log2 rounding at exact powers of two
      if (raw * POW2[k - 1]! >= inFlight) k--;
    }
    if (k > 14) {
      this.impossible++;
      return;
    }
    if (ratio > this.maxRatio) this.maxRatio = ratio;
    const need = (this.need ??= new Uint32Array(15));
    need[k]!++;
    this.shift = this.bound(need);
    const edge = raw * POW2[k]!;
    if (inFlight > edge - (mss > 0 ? mss : 1)) (this.nearFull ??= new Uint32Array(15))[k]!++;
  }

  /** The largest shift needed by enough samples (see the module note). */
  private bound(need: Uint32Array): number {
    const n = this.samples - this.impossible;
    const enough = n < 2 ? 1 : Math.max(2, Math.ceil(n / 100));
    let atLeast = 0;
    for (let k = 14; k > 0; k--) {
      atLeast += need[k]!;
      if (atLeast >= enough) return k;
    }
    return 0;
  }

  /** Confidence 0..1 and the reason, for the final shift. */
  verdict(): { shift: number; confidence: number; reason: string } | null {
    if (this.samples === 0 || this.shift < 0) return null;
    const s = this.shift;
    const full = this.nearFull === null ? 0 : this.nearFull[s]!;
    // "Stopped by that window" needs the sender at its edge repeatedly, not by coincidence now and
    // then over a long transfer: 3 times, and 1 in 20 of the samples that needed this shift.
    const stopped = full >= 3 && full >= 0.05 * this.need![s]!;
    if (s > 0 && stopped)
      return {
        shift: s,
        confidence: 0.9,
        reason: `bytes in flight exceeded raw window << ${s - 1} and reached raw window << ${s} within one MSS ${full} times (the sender was stopped by that window)`,
      };
    if (s > 0)
      return {
        shift: s,
        confidence: full > 0 ? 0.7 : 0.5,
        reason: `bytes in flight exceeded raw window << ${s - 1} (${this.samples} samples), so the scale is at least ${s}; the sender ${full > 0 ? `reached raw window << ${s} only ${full} times` : "never filled that window"}, so it may be larger`,
      };
    if (stopped)
      return {
        shift: 0,
        confidence: 0.8,
        reason: `bytes in flight reached the raw window within one MSS ${full} times: windows are not scaled`,
      };
    return {
      shift: 0,
      confidence: 0.2,
      reason: `bytes in flight never exceeded the raw window (${this.samples} samples): any scale fits, 0 is only a lower bound`,
    };
  }
}
