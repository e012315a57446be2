/**
 * @module model/inverse
 * The inverse question: what window, and what SO_RCVBUF request, lets N bytes arrive within a
 * deadline. Both searches run the forward models (predictTransfer, rcvbufToWindow), which are
 * monotonic in the window and the request, so the answer is consistent with the forward answer
 * by construction.
 */
import { predictTransfer } from "./transfer.js";
import { rcvbufToWindow, type KernelFamily, type RcvbufWindowInput } from "./linux-window.js";

export const KERNEL_FAMILIES: readonly KernelFamily[] = ["pre-6.6", "6.6-6.9", "6.10+"];

export interface DeadlineInput {
  sizeBytes: number;
  rttSec: number;
  segment: number;
  deadlineSec: number;
  bandwidthBps?: number | undefined;
  /** Kernel rules for the SO_RCVBUF search (mss, family, rmem_max...). */
  kernel: Omit<RcvbufWindowInput, "requested">;
  /** Also search the smallest SO_RCVBUF under each kernel family's rules (requiredRcvbufByFamily). */
  allFamilies?: boolean;
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
  /** The same search under each family's rules (with allFamilies); null where no request up to 1 GiB reaches it. */
  requiredRcvbufByFamily?: Record<KernelFamily, number | null>;
  /** The throughput the deadline implies, bytes/s. */
  requiredThroughputBytesPerSec: number;
  /**
   * The deadline's bandwidth-delay product: that throughput × RTT, the bytes a steady transfer
   * keeps in flight to meet it (before rounding to whole segments and paying for slow start).
   */
  requiredBdpBytes: number;
  /** Bandwidth × RTT when a bandwidth is given, bytes. */
  bdpBytes?: number;
}

const MAX_WINDOW = 1 << 30; // TCP's largest window: 65535 << 14 ≈ 1 GiB

export function requiredForDeadline(input: DeadlineInput): DeadlineAnswer {
  const { sizeBytes, rttSec, segment, deadlineSec, bandwidthBps } = input;
  const answer: DeadlineAnswer = {
    feasible: false,
    requiredThroughputBytesPerSec: deadlineSec > 0 ? sizeBytes / deadlineSec : Infinity,
    requiredBdpBytes: deadlineSec > 0 ? (sizeBytes / deadlineSec) * rttSec : Infinity,
  };
  if (bandwidthBps !== undefined) answer.bdpBytes = Math.round((bandwidthBps / 8) * rttSec);
  const timeAt = (w: number) => predictTransfer({ sizeBytes, rttSec, segment, windowBytes: w, bandwidthBps }).predictedMs / 1000;

  // Smallest window in whole segments: binary search on a monotonic function.
  let hi = Math.ceil(MAX_WINDOW / segment);
  if (timeAt(hi * segment) > deadlineSec) {
    const windowRounds = Math.ceil(sizeBytes / (hi * segment));
    answer.reason =
      `even the largest window gives ${(timeAt(hi * segment) * 1000).toFixed(1)} ms: ` +
      (bandwidthBps !== undefined && sizeBytes / (bandwidthBps / 8) > deadlineSec
        ? "the bandwidth alone is too low"
        : windowRounds * rttSec > deadlineSec
          ? `TCP's largest window (about 1 GiB: ${hi} × ${segment} B) still needs ${windowRounds} round trips ` +
            `(${(windowRounds * rttSec * 1000).toFixed(1)} ms) at this RTT`
          : "slow start and RTT alone exceed the deadline");
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

  const own = smallestRcvbuf(windowBytes, input.kernel);
  if (own !== undefined) {
    answer.requiredRcvbuf = own;
    answer.requiredRcvbufExceedsRmemMax = own > (input.kernel.rmemMax ?? Infinity);
  }
  if (input.allFamilies) {
    const by = {} as Record<KernelFamily, number | null>;
    for (const family of KERNEL_FAMILIES) by[family] = family === input.kernel.family ? (own ?? null) : (smallestRcvbuf(windowBytes, { ...input.kernel, family }) ?? null);
    answer.requiredRcvbufByFamily = by;
  }
  return answer;
}

/**
 * Smallest SO_RCVBUF request whose steady window is at least `windowBytes` under `kernel`'s rules,
 * searched past rmem_max too (so the answer can say "needs rmem_max ≥ …" instead of giving up);
 * undefined when even 1 GiB does not reach it.
 */
export function smallestRcvbuf(windowBytes: number, kernel: Omit<RcvbufWindowInput, "requested">): number | undefined {
  const steadyAt = (req: number) => rcvbufToWindow({ ...kernel, rmemMax: Number.MAX_SAFE_INTEGER, requested: req }).windowSteady;
  let rlo = 0;
  let rhi = 1 << 30;
  if (steadyAt(rhi) < windowBytes) return undefined;
  while (rlo < rhi) {
    const mid = Math.floor((rlo + rhi) / 2);
    if (steadyAt(mid) >= windowBytes) rhi = mid;
    else rlo = mid + 1;
  }
  return rlo;
}
