/**
 * @module model/testing/transfer-rounds
 * The transfer model as it was first written: one loop iteration per round trip. Kept only as
 * the oracle the closed form (predictTransfer) is checked against on ordinary inputs; its cost
 * grows with size / window (a 1e15-byte transfer through a 1000-byte window never returns), so
 * nothing outside the tests may call it. Excluded from the build (tsconfig.build.json).
 */
import { INITIAL_CWND_SEGMENTS, type Bottleneck, type TransferInput } from "../transfer.js";

export interface RoundsPrediction {
  predictedMs: number;
  roundTrips: number;
  slowStartRounds: number;
  windowGrowthRounds: number;
  bottleneck: Bottleneck;
  /** The ramp's price in seconds, which the bottleneck compares to half the total. */
  ssExtraSec: number;
  totalSec: number;
}

export function predictTransferByRounds(input: TransferInput): RoundsPrediction {
  const { sizeBytes, rttSec, segment, windowBytes } = input;
  const bwBytes = input.bandwidthBps !== undefined ? input.bandwidthBps / 8 : Infinity;
  const iw = INITIAL_CWND_SEGMENTS * segment;
  const initialWindow = input.initialWindowBytes;
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
    const roundSec = Math.max(rttSec, sent / bwBytes);
    totalSec += roundSec;
    if (allowed < windowBytes) {
      if (rwnd < cwnd) windowGrowthRounds++;
      else slowStartRounds++;
      ssExtraSec += roundSec - (sent / steadyRoundBytes) * Math.max(rttSec, steadyRoundBytes / bwBytes);
    }
    remaining -= sent;
    rounds++;
    cwnd *= 2;
    rwnd = Math.min(rwnd * 2, windowBytes);
  }
  const windowRate = windowBytes / Math.max(rttSec, 1e-12);
  let bottleneck: Bottleneck = bwBytes < windowRate ? "bandwidth" : "window";
  if (ssExtraSec > totalSec / 2) bottleneck = "slow_start";
  return { predictedMs: totalSec * 1000, roundTrips: rounds, slowStartRounds, windowGrowthRounds, bottleneck, ssExtraSec, totalSec };
}
