/**
 * @module model/inverse
 * The inverse question: what window, and what SO_RCVBUF request, lets N bytes arrive within a
 * deadline. Both searches run the forward models (predictTransfer, rcvbufToWindow), which are
 * monotonic in the window and the request, so the answer is consistent with the forward answer
 * by construction.
 */
import { predictTransfer } from "./transfer.js";
import { rcvbufToWindow, type RcvbufWindowInput } from "./linux-window.js";

export interface DeadlineInput {
  sizeBytes: number;
  rttSec: number;
  segment: number;
  deadlineSec: number;
  bandwidthBps?: number | undefined;
  /** Kernel rules for the SO_RCVBUF search (mss, family, rmem_max...). */
  kernel: Omit<RcvbufWindowInput, "requested">;
}

export interface DeadlineAnswer {
  feasible: boolean;
  /** Why not, when infeasible. */
  reason?: string;
  /** Smallest window (a multiple of the segment) meeting the deadline. */
  requiredWindowBytes?: number;
  /** Time the model gives at that window. */
  predictedMsAtRequired?: number;
  /** Smallest SO_RCVBUF request whose steady window is at least the required window. */
  requiredRcvbuf?: number;
  /** The request exceeds rmem_max: needs a sysctl change or SO_RCVBUFFORCE. */
  requiredRcvbufExceedsRmemMax?: boolean;
  /** The throughput the deadline implies, bytes/s. */
  requiredThroughputBytesPerSec: number;
  /** Bandwidth × RTT when a bandwidth is given, bytes. */
  bdpBytes?: number;
}

const MAX_WINDOW = 1 << 30; // TCP's largest window: 65535 << 14 ≈ 1 GiB

export function requiredForDeadline(input: DeadlineInput): DeadlineAnswer {
  const { sizeBytes, rttSec, segment, deadlineSec, bandwidthBps } = input;
  const answer: DeadlineAnswer = {
    feasible: false,
    requiredThroughputBytesPerSec: deadlineSec > 0 ? sizeBytes / deadlineSec : Infinity,
  };
  if (bandwidthBps !== undefined) answer.bdpBytes = Math.round((bandwidthBps / 8) * rttSec);
  const timeAt = (w: number) => predictTransfer({ sizeBytes, rttSec, segment, windowBytes: w, bandwidthBps }).predictedMs / 1000;

  // Smallest window in whole segments: binary search on a monotonic function.
  let hi = Math.ceil(MAX_WINDOW / segment);
  if (timeAt(hi * segment) > deadlineSec) {
    answer.reason =
      `even the largest window gives ${(timeAt(hi * segment) * 1000).toFixed(1)} ms: ` +
      (bandwidthBps !== undefined && sizeBytes / (bandwidthBps / 8) > deadlineSec ? "the bandwidth alone is too low" : "slow start and RTT alone exceed the deadline");
    return answer;
  }
  let lo = 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timeAt(mid * segment) <= deadlineSec) hi = mid;
    else lo = mid + 1;
  }
  const windowBytes = lo * segment;
  answer.feasible = true;
  answer.requiredWindowBytes = windowBytes;
  answer.predictedMsAtRequired = timeAt(windowBytes) * 1000;

  // Smallest SO_RCVBUF request whose steady window reaches it (search past rmem_max too, so we
  // can say "needs rmem_max ≥ …" instead of giving up).
  const steadyAt = (req: number) => rcvbufToWindow({ ...input.kernel, rmemMax: Number.MAX_SAFE_INTEGER, requested: req }).windowSteady;
  let rlo = 0;
  let rhi = 1 << 30;
  if (steadyAt(rhi) >= windowBytes) {
    while (rlo < rhi) {
      const mid = Math.floor((rlo + rhi) / 2);
      if (steadyAt(mid) >= windowBytes) rhi = mid;
      else rlo = mid + 1;
    }
    answer.requiredRcvbuf = rlo;
    answer.requiredRcvbufExceedsRmemMax = rlo > (input.kernel.rmemMax ?? Infinity);
  }
  return answer;
}
