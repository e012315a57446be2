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

/** Forward model; pure. Throws RangeError on impossible inputs (the CLI validates first). */
export function predictTransfer(input: TransferInput): TransferPrediction {
  const { sizeBytes, rttSec, segment, windowBytes } = input;
  if (!(segment > 0) || !(windowBytes > 0) || !(rttSec >= 0) || !(sizeBytes >= 0)) {
    throw new RangeError(`bad model input: size ${sizeBytes}, rtt ${rttSec}, segment ${segment}, window ${windowBytes}`);
  }
  const bwBytes = input.bandwidthBps !== undefined ? input.bandwidthBps / 8 : Infinity;
  const iw = INITIAL_CWND_SEGMENTS * segment;
  const rttMs = rttSec * 1000;

  const initialWindow = input.initialWindowBytes;
  if (initialWindow !== undefined && !(initialWindow > 0)) throw new RangeError(`bad model input: initial window ${initialWindow}`);
  let remaining = sizeBytes;
  let cwnd = iw;
  let rwnd = initialWindow !== undefined ? Math.min(initialWindow, windowBytes) : windowBytes;
  let rounds = 0;
  let slowStartRounds = 0;
  let windowGrowthRounds = 0;
  let totalSec = 0;
  let ssExtraSec = 0;
  const steadyRoundBytes = windowBytes;
  while (remaining > 0) {
    const allowed = Math.min(cwnd, rwnd);
    const sent = Math.min(allowed, remaining);
    // A round lasts one RTT, or longer when its bytes take longer than that on the wire.
    const roundSec = Math.max(rttSec, sent / bwBytes);
    totalSec += roundSec;
    if (allowed < windowBytes) {
      if (rwnd < cwnd) windowGrowthRounds++;
      else slowStartRounds++;
      // What the same bytes would have cost at the full window: the rest is the ramp's price.
      ssExtraSec += roundSec - (sent / steadyRoundBytes) * Math.max(rttSec, steadyRoundBytes / bwBytes);
    }
    remaining -= sent;
    rounds++;
    cwnd *= 2;
    rwnd = Math.min(rwnd * 2, windowBytes);
  }

  const steadyRate = Math.min(windowBytes / Math.max(rttSec, 1e-12), bwBytes);
  const windowRate = windowBytes / Math.max(rttSec, 1e-12);
  let bottleneck: Bottleneck = bwBytes < windowRate ? "bandwidth" : "window";
  if (ssExtraSec > totalSec / 2) bottleneck = "slow_start";

  return {
    predictedMs: totalSec * 1000,
    simpleMs: (sizeBytes / windowBytes) * rttMs,
    ceilMs: Math.ceil(sizeBytes / windowBytes) * rttMs,
    roundTrips: rounds,
    bottleneck,
    slowStartRounds,
    windowGrowthRounds,
    throughputBytesPerSec: steadyRate,
    windowBytes,
    initialCwndBytes: iw,
  };
}
