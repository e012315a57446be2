/**
 * @module tcp/sketch
 * Bounded-memory summary of a series (windows, RTTs, bytes in flight): exact count/min/max/sum,
 * and quantiles from a systematic sample. The sample keeps every value until it holds `CAP`,
 * then keeps every 2nd, 4th, ... value (deterministic decimation), so memory stays O(CAP) per
 * series whatever the capture size and the quantiles stay representative of the whole series.
 * The sample is a plain double array, not a typed array: a typed array costs ~200 bytes before its
 * first element, which adds up over hundreds of thousands of short connections.
 */
import type { Stats } from "./evidence.js";

const CAP = 2048;

export class Sketch {
  count = 0;
  min = Infinity;
  max = -Infinity;
  sum = 0;
  private sample: number[] | null = null;
  private n = 0;
  /** Keep one value in `stride`. */
  private stride = 1;
  private skip = 0;

  add(v: number): void {
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.sum += v;
    if (--this.skip > 0) return;
    this.skip = this.stride;
    if (this.sample === null) this.sample = [];
    if (this.n === CAP) {
      const s = this.sample;
      for (let i = 0; 2 * i < this.n; i++) s[i] = s[2 * i]!;
      this.n = this.n >> 1;
      s.length = this.n;
      this.stride *= 2;
      this.skip = this.stride;
    }
    this.sample.push(v);
    this.n++;
  }

  /** Quantile q ∈ [0,1] of the sample (nearest rank), NaN when empty. */
  quantile(q: number): number {
    if (this.n === 0 || this.sample === null) return NaN;
    const s = this.sample.slice(0, this.n).sort((a, b) => a - b);
    const idx = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
    return s[idx]!;
  }

  /** Stats with every value multiplied by `scale` (e.g. 1e-6 ns→ms, or 2^shift for windows). */
  toStats(scale = 1, withP95 = false): Stats | null {
    if (this.count === 0) return null;
    const st: Stats = {
      min: this.min * scale,
      median: this.quantile(0.5) * scale,
      max: this.max * scale,
      count: this.count,
    };
    if (withP95) st.p95 = this.quantile(0.95) * scale;
    return st;
  }
}

// Give add()'s decimation branch type feedback at load: the real first decimation comes after
// 2048 values, when the analysis loop is already compiled, and would deoptimise it there.
{
  // Both element kinds the analysis produces: integers (windows, bytes) and doubles (times).
  const ints = new Sketch();
  const doubles = new Sketch();
  for (let i = 0; i <= 3 * CAP; i++) {
    ints.add(i);
    doubles.add(i + 0.5);
  }
}
