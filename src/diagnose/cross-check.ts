/**
 * @module diagnose/cross-check
 * "At window W and RTT R the model says T; it took T'." Runs the project's transfer model
 * (model/predictTransfer) on the window the verdict blames, so the claim is checked by
 * arithmetic that knows nothing about the capture. The measured time runs from the first to
 * the last data segment; the model counts until the last byte is acknowledged, one RTT more —
 * negligible for the long transfers a verdict is about, and stated so nobody is surprised.
 *
 * The word for the ratio comes from two thresholds: within model_close_factor (1.25) "agrees",
 * within model_agreement_factor (2) "roughly agrees" (`agrees` stays true: consistent with the
 * claim), beyond it "disagrees" — ×1.74 is not agreement, and the text must not call it that.
 */
import { predictTransfer } from "../model/index.js";
import type { VerdictKind } from "./kinds.js";
import type { Measures } from "./measures.js";
import type { Thresholds } from "./policy.js";
import type { ModelCheck } from "./types.js";

/** Which window the model runs with for a verdict: the one the verdict says held the sender. */
export function modelWindow(kind: VerdictKind, m: Measures): { bytes: number; source: ModelCheck["window_source"] } | null {
  const blamesReceiver = kind === "receiver_window_limited" || kind === "healthy" || kind === "application_limited";
  if (blamesReceiver && m.rwnd_median_bytes !== null && m.rwnd_median_bytes > 0) return { bytes: m.rwnd_median_bytes, source: "advertised_median" };
  if (kind === "receiver_window_limited" && m.flight_max_bytes !== null && m.flight_max_bytes > 0) {
    // Scale unknown: the advertised values are raw, but the sender filled the window, so its
    // largest flight is the window in bytes.
    return { bytes: m.flight_max_bytes, source: "in_flight_max" };
  }
  if (m.flight_median_bytes !== null && m.flight_median_bytes > 0) return { bytes: m.flight_median_bytes, source: "in_flight_median" };
  return null;
}

export function crossCheck(kind: VerdictKind, m: Measures, t: Thresholds): ModelCheck | null {
  if (m.bytes === 0 || m.segment <= 0 || m.rtt_ms === null || m.rtt_source === null || m.transfer_s === null) return null;
  const w = modelWindow(kind, m);
  if (!w) return null;
  const rttSec = m.rtt_ms / 1000;
  const p = predictTransfer({ sizeBytes: m.bytes, rttSec, segment: m.segment, windowBytes: w.bytes });
  const actual_ms = m.transfer_s * 1000;
  // Judged on the ratio as shown (3 decimals), so the JSON's number and its word never part.
  const ratio = round3(p.predictedMs > 0 ? actual_ms / p.predictedMs : Infinity);
  const within = (f: number) => ratio >= 1 / f && ratio <= f;
  return {
    window_bytes: w.bytes,
    window_source: w.source,
    rtt_ms: m.rtt_ms,
    rtt_source: m.rtt_source,
    segment_bytes: m.segment,
    size_bytes: m.bytes,
    predicted_ms: round3(p.predictedMs),
    round_trips: p.roundTrips,
    actual_ms: round3(actual_ms),
    ratio,
    agrees: within(t.model_agreement_factor),
    agreement: within(Math.min(t.model_close_factor, t.model_agreement_factor)) ? "agrees" : within(t.model_agreement_factor) ? "roughly_agrees" : "disagrees",
    window_cap_bytes_per_sec: Math.round(p.throughputBytesPerSec),
  };
}

/** The agreement in words, as the text prints it after "×ratio, ". */
export function agreementText(mc: Pick<ModelCheck, "agreement">): string {
  return mc.agreement.replace(/_/g, " ");
}

function round3(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x;
}
