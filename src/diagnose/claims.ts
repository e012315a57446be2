/**
 * @module diagnose/claims
 * Claim words that need more than a line, kept apart from the policy (verdict.ts) so the words
 * can change without touching the decision: each sentence names the unit it was computed in and
 * says only what the numbers show.
 */
import { formatBytes, formatMs, formatRate } from "../model/index.js";
import type { Endpoint } from "../tcp/evidence.js";
import type { Measures } from "./measures.js";
import { endpointText, percentText } from "./text.js";

/**
 * The bound small_window_share was computed against, in the unit it used: tcp/limits counts the
 * time the advertised window was ≤ 2 × the sender's largest segment (not the SYN's MSS). They are
 * the same on most captures; with GRO/TSO-merged segments (largest 11584, MSS 1460) or a segment
 * below the MSS (1448 with timestamps, MSS 1460) they are not, and the sentence must say which.
 * "1148 B (2 × MSS 574)", "23168 B (2 × the largest segment, 11584 B; MSS 1460: …)", or the
 * largest window seen when it stayed below two segments.
 */
export function smallWindowBound(m: Pick<Measures, "segment" | "mss" | "rwnd_max_bytes">): string {
  const seg = m.segment;
  const cap = m.rwnd_max_bytes !== null && m.rwnd_max_bytes > 0 && m.rwnd_max_bytes < 2 * seg ? m.rwnd_max_bytes : 2 * seg;
  const k = cap / seg;
  const isMss = m.mss === seg;
  const unit =
    k === 1
      ? isMss
        ? `one MSS, ${seg}`
        : `the largest segment, ${seg} B`
      : Number.isInteger(k)
        ? isMss
          ? `${k} × MSS ${seg}`
          : `${k} × the largest segment, ${seg} B`
        : isMss
          ? `MSS ${seg}`
          : `largest segment ${seg} B`;
  const mssNote =
    m.mss === null || isMss ? "" : seg > m.mss ? `; MSS ${m.mss}: the capture holds segments merged by GRO/TSO, ${(seg / m.mss).toFixed(1)} × MSS` : `; MSS ${m.mss}`;
  return `${cap} B (${unit}${mssNote})`;
}

/**
 * The path's rate estimated from the capture (Little's law: median in flight / median RTT) and
 * the throughput, or null without the numbers. At a bottleneck that ran full the two agree: the
 * link delivered what was in flight once per round trip, queue included.
 */
export function pathRateEstimate(m: Measures): number | null {
  return m.flight_median_bytes !== null && m.flight_median_bytes > 0 && m.rtt_ms !== null && m.rtt_ms > 0 ? m.flight_median_bytes / (m.rtt_ms / 1000) : null;
}

/** "≈ X" within 10 %, else "×r of X": "≈" never joins two numbers far apart. */
function nearText(a: number, b: number, bText: string): string {
  const r = a / b;
  return Math.abs(r - 1) <= 0.1 ? `≈ ${bText}` : `×${r.toFixed(2)} of ${bText}`;
}

/**
 * Rule `bottleneck`: in flight below the receiver's window, no loss, and the RTT standing above
 * its minimum — a link that ran full with a queue in front of it. The sentence says the path's
 * rate is the limit, with the rate estimate, the throughput and the queue in ms (and bytes).
 */
export function bottleneckClaim(m: Measures, sender: Endpoint, receiver: Endpoint, model: string): string {
  const rate = m.throughput_bytes_per_sec;
  const est = pathRateEstimate(m);
  const rateText = rate !== null ? formatRate(rate) : "an unknown rate";
  const estText =
    est !== null && rate !== null
      ? `; the path's rate estimate (median in flight ${m.flight_median_bytes} B / median RTT ${formatMs(m.rtt_ms!)}) is ${formatRate(est)}, ${nearText(est, rate, "the throughput")}`
      : "";
  const q = m.rtt_queue_ms;
  const queueText =
    q !== null && m.rtt_min_ms !== null && m.rtt_ms !== null
      ? `a standing queue of ${formatMs(q)} (RTT min ${formatMs(m.rtt_min_ms)}, median ${formatMs(m.rtt_ms)}${rate !== null ? `; ≈ ${formatBytes(Math.round((rate * q) / 1000))} queued at that rate` : ""})`
      : "a standing queue";
  const lost = m.retransmitted_bytes > 0 ? `${(100 * (m.loss_rate ?? 0)).toFixed(2)} % retransmitted` : "nothing lost";
  return (
    `the path's rate is the limit: a bottleneck link between ${endpointText(sender)} and ${endpointText(receiver)} ran full. ` +
    `The data moved at ${rateText}${estText}, with ${queueText} for ${percentText(m.cwnd_share ?? 0)} of busy time, ` +
    `the receiver's window open (median ${m.rwnd_median_bytes ?? "?"} B vs ${m.flight_median_bytes ?? "?"} B in flight) and ${lost}: ` +
    `a larger window would only lengthen the queue. ${model}`
  );
}
