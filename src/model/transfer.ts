/**
 * @module model/transfer
 * How long moving N bytes over one TCP connection takes, loss-free: a round-based model where
 * each round trip the sender may have min(cwnd, receive window) bytes outstanding, cwnd starts at
 * the initial window (RFC 6928: 10 × MSS) and doubles per round (slow start), and a bandwidth cap
 * stretches a round to the time its bytes take on the wire. Time is counted until the last byte
 * is acknowledged, as a request/response timer sees it.
 *
 * An autotuning receiver (no SO_RCVBUF) does not offer its final window at once: it starts from
 * what tcp_rmem[1] gives and, while the reader keeps up, roughly doubles it every round trip
 * (tcp_rcv_space_adjust sizes the buffer for twice what was read in the last RTT; tcp_grow_window
 * raises rcv_ssthresh by 2 × MSS per full segment), up to the window tcp_rmem[2] is worth. With
 * `initialWindowBytes` the round's receive window follows that growth.
 */

export const INITIAL_CWND_SEGMENTS = 10;

export type Bottleneck = "window" | "bandwidth" | "slow_start";

export interface TransferInput {
  sizeBytes: number;
  rttSec: number;
  /** Bytes per segment actually carried (MSS, minus 12 with timestamps). */
  segment: number;
  /** The receive window the sender is held to, bytes. */
  windowBytes: number;
  /** Link rate cap in bits per second; undefined = no cap. */
  bandwidthBps?: number | undefined;
  /**
   * Receive window in the first round when it grows (autotuning); doubles per round up to
   * windowBytes. Undefined = windowBytes from the start (a locked SO_RCVBUF).
   */
  initialWindowBytes?: number | undefined;
}

export interface TransferPrediction {
  predictedMs: number;
  /** The incident's rule: size / window × RTT (no rounding, no slow start). */
  simpleMs: number;
  /** ceil(size / window) × RTT: whole round trips at a full window. */
  ceilMs: number;
  roundTrips: number;
  bottleneck: Bottleneck;
  /** Rounds spent before cwnd reached the window (0 when the window ≤ initial cwnd). */
  slowStartRounds: number;
  /** Rounds in which the still-growing receive window, not cwnd, was the smaller limit. */
  windowGrowthRounds: number;
  /** Steady throughput the limits allow, bytes/s. */
  throughputBytesPerSec: number;
  windowBytes: number;
  initialCwndBytes: number;
}

/**
 * Forward model; pure, and the same cost whatever the size: the rounds are counted in closed form
 * (a doubling ramp, then whole windows), never one by one. Throws RangeError on impossible inputs
 * (the CLI validates first).
 *
 * Round k may carry allowed_k = min(cwnd_k, rwnd_k) bytes with cwnd_k = IW·2^k and
 * rwnd_k = min(rw0·2^k, W), i.e. allowed_k = min(a0·2^k, W) with a0 = min(IW, rw0). The ramp is
 * the K rounds with a0·2^k < W (K = smallest k with a0·2^k ≥ W); together they carry a0·(2^K − 1)
 * bytes. All of them are bound by the growing receive window when rw0 < IW (then rwnd < cwnd in
 * each), otherwise by cwnd (slow start). A transfer that ends inside the ramp needs the smallest
 * n with a0·(2^n − 1) ≥ size rounds; one that does not then sends ceil(rest / W) whole windows.
 * Each round lasts max(RTT, its bytes / bandwidth); the ramp rounds switch from RTT-bound to
 * bandwidth-bound at the smallest k with a0·2^k / bandwidth > RTT, so their time is a geometric sum.
 */
export function predictTransfer(input: TransferInput): TransferPrediction {
  const { sizeBytes, rttSec, segment, windowBytes } = input;
  if (
    !(segment > 0 && Number.isFinite(segment)) ||
    !(windowBytes > 0 && Number.isFinite(windowBytes)) ||
    !(rttSec >= 0 && Number.isFinite(rttSec)) ||
    !(sizeBytes >= 0 && Number.isFinite(sizeBytes))
  ) {
    throw new RangeError(`bad model input: size ${sizeBytes}, rtt ${rttSec}, segment ${segment}, window ${windowBytes}`);
  }
  if (input.bandwidthBps !== undefined && !(input.bandwidthBps > 0)) throw new RangeError(`bad model input: bandwidth ${input.bandwidthBps}`);
  const bwBytes = input.bandwidthBps !== undefined ? input.bandwidthBps / 8 : Infinity;
  const iw = INITIAL_CWND_SEGMENTS * segment;
  const rttMs = rttSec * 1000;

  const initialWindow = input.initialWindowBytes;
  if (initialWindow !== undefined && !(initialWindow > 0)) throw new RangeError(`bad model input: initial window ${initialWindow}`);
  const W = windowBytes;
  const rw0 = initialWindow !== undefined ? Math.min(initialWindow, W) : W;
  const a0 = Math.min(iw, rw0);
  const roundSec = (bytes: number) => Math.max(rttSec, bytes / bwBytes);
  const steadyRoundSec = roundSec(W);
  // First ramp round whose bytes take longer than an RTT on the wire (Infinity: none ever do).
  const j = bwBytes === Infinity ? Infinity : firstK((k) => (a0 * 2 ** k) / bwBytes > rttSec, Math.log2((rttSec * bwBytes) / a0) + 1);
  /** Time of ramp rounds 0..r−1, each sending its whole allowance a0·2^k. */
  const rampSec = (r: number) => Math.min(r, j) * rttSec + (r > j ? (a0 * (2 ** r - 2 ** j)) / bwBytes : 0);

  const K = doublingsToReach(a0, W);
  const rampBytes = a0 * (2 ** K - 1);
  let rounds: number;
  let rampRounds: number;
  let totalSec: number;
  let ssExtraSec: number;
  if (sizeBytes <= rampBytes) {
    // Ends inside the ramp: n rounds, the last one carrying what is left.
    const n = doublingsToReach(a0, sizeBytes + a0);
    rounds = rampRounds = n;
    totalSec = n === 0 ? 0 : rampSec(n - 1) + roundSec(sizeBytes - a0 * (2 ** (n - 1) - 1));
    // What the same bytes would have cost at the full window: the rest is the ramp's price.
    ssExtraSec = totalSec - (sizeBytes / W) * steadyRoundSec;
  } else {
    const rest = sizeBytes - rampBytes;
    const m = ceilDiv(rest, W);
    rampRounds = K;
    rounds = K + m;
    const ramp = rampSec(K);
    totalSec = ramp + (m - 1) * steadyRoundSec + roundSec(rest - (m - 1) * W);
    ssExtraSec = ramp - (rampBytes / W) * steadyRoundSec;
  }
  const windowGrowthRounds = rw0 < iw ? rampRounds : 0;
  const slowStartRounds = rw0 < iw ? 0 : rampRounds;

  const steadyRate = Math.min(windowBytes / Math.max(rttSec, 1e-12), bwBytes);
  const windowRate = windowBytes / Math.max(rttSec, 1e-12);
  let bottleneck: Bottleneck = bwBytes < windowRate ? "bandwidth" : "window";
  if (ssExtraSec > totalSec / 2) bottleneck = "slow_start";

  return {
    predictedMs: totalSec * 1000,
    simpleMs: (sizeBytes / windowBytes) * rttMs,
    ceilMs: ceilDiv(sizeBytes, windowBytes) * rttMs,
    roundTrips: rounds,
    bottleneck,
    slowStartRounds,
    windowGrowthRounds,
    throughputBytesPerSec: steadyRate,
    windowBytes,
    initialCwndBytes: iw,
  };
}

/** Smallest k ≥ 0 with pred(k), for pred monotone in k and true by k = 1100 (2^k overflows to ∞ by then). */
function firstK(pred: (k: number) => boolean, estimate: number): number {
  let k = Number.isFinite(estimate) ? Math.min(Math.max(Math.floor(estimate), 0), 1100) : 0;
  // The estimate is within one or two of the answer; the exact predicate settles it.
  while (k > 0 && pred(k - 1)) k--;
  while (k < 1100 && !pred(k)) k++;
  return k;
}

/** Smallest k ≥ 0 with a·2^k ≥ target (a > 0). */
function doublingsToReach(a: number, target: number): number {
  return target <= a ? 0 : firstK((k) => a * 2 ** k >= target, Math.ceil(Math.log2(target / a)));
}

/** ceil(a / b) for a ≥ 0, b > 0; exact for integers up to 2^53 (float division can round past them). */
function ceilDiv(a: number, b: number): number {
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b)) {
    const q = Math.ceil(a / b);
    // Quotients below 2^52 / b are exact in floats; past that settle it with BigInt.
    if (q * b <= Number.MAX_SAFE_INTEGER && q * b >= a && (q - 1) * b < a) return q;
    return Number((BigInt(a) + BigInt(b) - 1n) / BigInt(b));
  }
  return Math.ceil(a / b);
}
