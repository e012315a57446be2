/**
 * @module test/diagnose/corpus/kernel-truth
 * When a veth run's truth is the sender's kernel's to say: a veth with default buffers sometimes
 * retransmits (RACK/TLP timers firing on a CPU-bound host, 0.1–0.4 % here; 1.3 % once on a CI
 * machine) and sometimes not at all. iperf3 reports the kernel's own count (tcp_info
 * total_retrans); its share of the segments sent decides which kind is right for that run, on the
 * policy's own thresholds, with both kinds accepted near an edge (the capture's count and the
 * kernel's differ by a few segments: tcpdump drops some, the kernel counts TLP probes).
 */
import { THRESHOLDS } from "../../../src/diagnose/policy.js";
import type { VerdictKind } from "../../../src/diagnose/kinds.js";

/** Kinds a run's retransmissions make right, from the most loss to the least. */
export const RETRANSMIT_BANDS: readonly { atLeast: number; truth: VerdictKind }[] = [
  { atLeast: THRESHOLDS.loss_rate, truth: "loss_limited" },
  { atLeast: THRESHOLDS.cwnd_min_loss_rate, truth: "congestion_limited" },
];

/** How close to a band's edge (as a ratio) both sides of it count as right. */
const EDGE = 1.25;

/** iperf3's retransmitted segments × MSS over the bytes it sent; null when iperf3 did not say. */
export function iperfRetransmittedShare(iperf: unknown, mtu: number): number | null {
  const sent = (iperf as { end?: { sum_sent?: { retransmits?: number; bytes?: number } } } | null)?.end?.sum_sent;
  if (sent?.retransmits === undefined || !sent.bytes) return null;
  return (sent.retransmits * (mtu - 52)) / sent.bytes;
}

/**
 * The kinds that are right for a run whose constructed truth is `base` and whose sender
 * retransmitted `share` of its bytes: the first is the truth, any second one is the kind across the
 * nearest edge when the share is within `EDGE` of it.
 */
export function truthsFor(base: VerdictKind, share: number | null): VerdictKind[] {
  if (share === null) return [base];
  const kinds = [...RETRANSMIT_BANDS.map((b) => b.truth), base];
  const i = RETRANSMIT_BANDS.findIndex((b) => share >= b.atLeast);
  const at = i < 0 ? kinds.length - 1 : i;
  const out = [kinds[at]!];
  // The edge just below (into band `at`) and just above (into band `at - 1`).
  const below = RETRANSMIT_BANDS[at];
  if (below && share < below.atLeast * EDGE) out.push(kinds[at + 1]!);
  const above = RETRANSMIT_BANDS[at - 1];
  if (above && share * EDGE >= above.atLeast) out.push(kinds[at - 1]!);
  return [...new Set(out)];
}
