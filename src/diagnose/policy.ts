/**
 * @module diagnose/policy
 * Policy as data, Zeek-style: tcp/ reports what happened (evidence), this table decides what it
 * means. THRESHOLDS are the numbers a verdict is compared against; RULES are tried in order and
 * the first that holds names the verdict. Changing a threshold or the order never touches the
 * analysis. Every rule names the measure it reads, so a verdict can say "rwnd_share 0.97 ≥ 0.5".
 */
import type { VerdictKind } from "./kinds.js";
import type { Measures } from "./measures.js";

export const THRESHOLDS = {
  /** A transfer of fewer data segments than this is too short to be limited by any window. */
  tiny_segments: 4,
  /**
   * Below this share of a direction's payload in the capture (the rest fell in sequence gaps: a
   * capture filter, drops), its timing is not evidence: no verdict but "too little captured".
   */
  min_captured_share: 0.5,
  /** Share of busy time with in flight within one MSS of the advertised window (or zero window). */
  rwnd_share: 0.5,
  /** Share of busy time with the advertised window ≤ 2 × MSS (the incident's signature). */
  small_window_share: 0.5,
  /**
   * A receiver whose largest advertised window is at most this many segments caps the sender at
   * that many segments per round trip whatever else happens; when the sender reached it (window
   * full), the window is the limit even if other waits fill the rest of the time.
   */
  tiny_window_segments: 2,
  /** Share of the transfer spent at zero window: the receiving application stopped reading. */
  zero_window_share: 0.2,
  /** Retransmitted payload bytes / payload bytes sent. */
  loss_rate: 0.01,
  /** Share of busy time the sender had an open window and sent nothing. */
  app_share: 0.5,
  /** Share of busy time held by the congestion window (below the advertised window). */
  cwnd_share: 0.5,
  /** Sender buffer: in flight stayed at or below this fraction of the advertised window … */
  sndbuf_flight_to_window: 0.5,
  /** … on a plateau: median in flight (plus one segment, see Measures.flight_plateau) ≥ this fraction of its maximum … */
  sndbuf_flight_plateau: 0.75,
  /** … with (almost) no loss: retransmission rate below this. */
  sndbuf_max_loss_rate: 0.001,
  /** Congestion: some loss or duplicate ACKs are needed to blame the congestion window. */
  cwnd_min_congestion_signals: 1,
  /** Model cross-check: measured / predicted within [1/x, x] counts as agreeing. */
  model_agreement_factor: 2,
} as const;

export type Thresholds = { -readonly [K in keyof typeof THRESHOLDS]: number };

export interface Rule {
  /** Stable id, shown in JSON as verdict.rule.id. */
  id: string;
  kind: VerdictKind;
  /** The measure compared (a key of Measures) and the threshold it is compared with. */
  measure: keyof Measures;
  threshold: keyof Thresholds | null;
  /** "≥" or "<" or "=" — for the text "rwnd_share 0.97 ≥ 0.5". */
  op: "≥" | "≤" | "<" | "=";
  when(m: Measures, t: Thresholds): boolean;
}

const ge = (v: number | null, x: number) => v !== null && v >= x;

/** Tried in order; the first rule that holds decides. */
export const RULES: readonly Rule[] = [
  { id: "no_data", kind: "healthy", measure: "bytes", threshold: null, op: "=", when: (m) => m.bytes === 0 },
  { id: "tiny_transfer", kind: "healthy", measure: "data_segments", threshold: "tiny_segments", op: "<", when: (m, t) => m.data_segments < t.tiny_segments && m.zero_window_s === 0 },
  { id: "zero_window", kind: "receiver_window_limited", measure: "zero_window_share", threshold: "zero_window_share", op: "≥", when: (m, t) => ge(m.zero_window_share, t.zero_window_share) },
  {
    id: "sparse_capture",
    kind: "healthy",
    measure: "captured_share",
    threshold: "min_captured_share",
    op: "<",
    when: (m, t) => m.captured_share !== null && m.captured_share < t.min_captured_share,
  },
  { id: "rwnd_share", kind: "receiver_window_limited", measure: "rwnd_share", threshold: "rwnd_share", op: "≥", when: (m, t) => ge(m.rwnd_share, t.rwnd_share) },
  { id: "small_window", kind: "receiver_window_limited", measure: "small_window_share", threshold: "small_window_share", op: "≥", when: (m, t) => ge(m.small_window_share, t.small_window_share) },
  {
    id: "tiny_window",
    kind: "receiver_window_limited",
    measure: "rwnd_max_segments",
    threshold: "tiny_window_segments",
    op: "≤",
    when: (m, t) => m.rwnd_max_segments !== null && m.rwnd_max_segments <= t.tiny_window_segments && m.window_full_count > 0,
  },
  { id: "loss", kind: "loss_limited", measure: "loss_rate", threshold: "loss_rate", op: "≥", when: (m, t) => ge(m.loss_rate, t.loss_rate) },
  { id: "app_share", kind: "application_limited", measure: "app_share", threshold: "app_share", op: "≥", when: (m, t) => ge(m.app_share, t.app_share) },
  {
    id: "sndbuf_plateau",
    kind: "sender_buffer_limited",
    measure: "flight_to_window",
    threshold: "sndbuf_flight_to_window",
    op: "≤",
    when: (m, t) =>
      ge(m.cwnd_share, t.cwnd_share) &&
      m.flight_to_window !== null &&
      m.flight_to_window <= t.sndbuf_flight_to_window &&
      ge(m.flight_plateau, t.sndbuf_flight_plateau) &&
      (m.loss_rate ?? 0) < t.sndbuf_max_loss_rate &&
      m.congestion_signals === 0,
  },
  {
    id: "cwnd_share",
    kind: "congestion_limited",
    measure: "cwnd_share",
    threshold: "cwnd_share",
    op: "≥",
    when: (m, t) => ge(m.cwnd_share, t.cwnd_share) && m.congestion_signals >= t.cwnd_min_congestion_signals,
  },
  { id: "no_limit", kind: "healthy", measure: "bytes", threshold: null, op: "≥", when: () => true },
];
