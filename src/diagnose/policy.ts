/**
 * @module diagnose/policy
 * Policy as data, Zeek-style: tcp/ reports what happened (evidence), this table decides what it
 * means. A rule is a list of conditions (measure, op, threshold), all of which must hold; nothing
 * else is checked, so the JSON shows every number a rule compared.
 *
 * Two tiers. GATES are tried in order and the first that holds decides outright (no data, too
 * small, a closed window, too little captured, a window of ≤ 2 segments the sender filled).
 * Otherwise every LIMIT rule that holds is a candidate and the one whose `cost` (a share of busy
 * time) is largest names the kind: ranking by cost, not a single ≥ 0.5 gate, so a transfer whose
 * window was full half the time cannot come out healthy because 0.50 < 0.5. Each limit rule
 * needs its cost to be material (≥ material_share) and, where one exists, a counterfactual
 * (removing the limit would have raised the rate: the window's bound is near the rate achieved).
 * `healthy` only when no limit rule holds.
 */
import type { VerdictKind } from "./kinds.js";
import type { Measures } from "./measures.js";

export const THRESHOLDS = {
  /** A transfer of fewer data segments than this is too short to be limited by any window. */
  tiny_segments: 4,
  /** Below this share of a direction's payload in the capture its timing is not evidence. */
  min_captured_share: 0.5,
  /** A limit that cost at least this share of busy time is material (can name the verdict). */
  material_share: 0.25,
  /** A runner-up limit at least this share of busy time is named as `secondary`. */
  secondary_share: 0.2,
  /**
   * Receiver window counterfactual: (window / RTT) / achieved rate at most this. A window that
   * could carry 4× what moved did not set the pace, however often it looked full.
   */
  window_bound_factor: 4,
  /** A receiver whose largest window is at most this many segments caps the sender outright. */
  tiny_window_segments: 2,
  /** Share of the transfer spent at zero window: the receiving application stopped reading. */
  zero_window_share: 0.2,
  /** Retransmitted payload bytes / payload bytes sent. */
  loss_rate: 0.01,
  /** Sender buffer: in flight stayed at or below this fraction of the advertised window … */
  sndbuf_flight_to_window: 0.5,
  /** … on a plateau: (median in flight + one segment) / max in flight ≥ this … */
  sndbuf_flight_plateau: 0.75,
  /**
   * … with no material loss (a tail-loss probe or two are not congestion: 0.1–0.4 % retransmitted
   * on the corpus's lossless send-buffer runs) …
   */
  sndbuf_max_loss_rate: 0.01,
  /** … over enough round trips that a congestion window would have grown past it … */
  sndbuf_min_round_trips: 20,
  /** … and the flight's bound (flight / RTT) near the rate achieved. */
  sndbuf_bound_factor: 2,
  /** Congestion: some loss or duplicate ACKs are needed to blame the congestion window … */
  cwnd_min_congestion_signals: 1,
  /** … and retransmitted bytes at least this share (one spurious retransmission on a fast path is not congestion) … */
  cwnd_min_loss_rate: 0.001,
  /** … or a standing queue: median RTT this many ms above the smallest (a bottleneck link) … */
  queue_ms: 1,
  /** … and that queue at least this share of the smallest RTT (not slow start's own bursts). */
  queue_ratio: 0.5,
  /** A sender that could not keep up names the verdict only when it held this much of busy time. */
  sender_share: 0.5,
  /**
   * The sender's pace (application, CPU, the peer's replies) is judged only over this many round
   * trips: a transfer of a few round trips is slow start and scheduling noise (100 KB at 1.66 ms
   * lasted 3 round trips and came out "application" or "sender" in 6 of 10 corpus runs).
   */
  pace_min_round_trips: 10,
  /** A receiver's window the sender had full for at least this share of busy time names it, whatever the counterfactual. */
  rwnd_half_share: 0.5,
  /** Model cross-check: measured / predicted within [1/x, x] is consistent with the claim … */
  model_agreement_factor: 2,
  /** … and within [1/x, x] the text says "agrees" (between the two: "roughly agrees"). */
  model_close_factor: 1.25,
  /** A deciding number within this relative distance of its threshold makes a close call. */
  close_margin: 0.1,
  /** Live (watch): with a window of ≤ tiny_window_segments, this rwnd-limited share names it … */
  live_tiny_window_share: 0.2,
  /** … as does a rate while busy within this factor of window / RTT (1 / 0.7). */
  live_window_rate_factor: 1.43,
} as const;

export type Thresholds = { -readonly [K in keyof typeof THRESHOLDS]: number };

export type Op = "≥" | "≤" | "<" | "=";

/**
 * The policy engine (diagnose/engine) is generic over the measures it reads: capture analysis
 * decides on `Measures` (diagnose/measures), live sampling on `LiveMeasures`
 * (diagnose/live-measures); both with these rule shapes and these THRESHOLDS.
 */
export type MeasureValues<K extends string> = { readonly [P in K]: number | string | null };

export interface Condition<K extends string = keyof Measures> {
  measure: K;
  op: Op;
  /** A key of THRESHOLDS, or a constant. */
  threshold: keyof Thresholds | number;
}

export interface Rule<K extends string = keyof Measures> {
  /** Stable id, shown in JSON as verdict.rule.id. */
  id: string;
  kind: VerdictKind;
  /** Every condition the rule checks. */
  conditions: readonly Condition<K>[];
  /** For limit rules: the measure (a share of busy time) the rule's limit cost. */
  cost: K | null;
  /**
   * A gate tried after the ranking, deciding only when the ranking named another kind (a window
   * of ≤ 2 segments the sender filled: receiver-limited even when another share is larger).
   */
  late?: boolean;
}

/** One policy: gates in order, limits ranked by cost, the rule when nothing holds, and the shares. */
export interface Policy<K extends string> {
  gates: readonly Rule<K>[];
  limits: readonly Rule<K>[];
  none: Rule<K>;
  /**
   * Every share of busy time and the kind it stands for, for `secondary` and the healthy claim.
   * `distinct`: named as secondary even beside a verdict of the same kind (waiting for the peer's
   * replies is not the sender's own application, though both are application_limited).
   */
  shares: ReadonlyArray<{ measure: K; kind: VerdictKind; label: string; distinct?: boolean }>;
}

const c = (measure: keyof Measures, op: Op, threshold: keyof Thresholds | number): Condition => ({ measure, op, threshold });
/** A condition on any policy's measures (live-policy uses it). */
export const cond = <K extends string>(measure: K, op: Op, threshold: keyof Thresholds | number): Condition<K> => ({ measure, op, threshold });

/** Decide outright, in order. */
export const GATES: readonly Rule[] = [
  { id: "no_data", kind: "inconclusive", conditions: [c("bytes", "=", 0)], cost: null },
  { id: "tiny_transfer", kind: "inconclusive", conditions: [c("data_segments", "<", "tiny_segments"), c("zero_window_s", "=", 0)], cost: null },
  // A zero window seen is evidence however sparse the rest: it goes on to the limits.
  { id: "sparse_capture", kind: "inconclusive", conditions: [c("captured_share", "<", "min_captured_share"), c("zero_window_s", "=", 0)], cost: null },
  {
    id: "tiny_window",
    kind: "receiver_window_limited",
    conditions: [c("rwnd_max_segments", "≤", "tiny_window_segments"), c("window_full_count", "≥", 1)],
    cost: "rwnd_share",
    late: true,
  },
];

/** Candidates: every one that holds competes by cost; on a tie the first listed names the verdict. */
export const LIMITS: readonly Rule[] = [
  {
    // A closed window is the most specific account of the window's time (first on a tie), and it
    // competes with the other limits: with loss, out-of-order data waiting for a
    // retransmission fills the receive buffer and closes the window too — that is loss, not a
    // receiver that stopped reading (the corpus's 3 % loss runs closed it 60 % of the time once).
    id: "zero_window",
    kind: "receiver_window_limited",
    conditions: [c("zero_window_share", "≥", "zero_window_share"), c("loss_rate", "<", "loss_rate")],
    cost: "rwnd_share",
  },
  {
    id: "rwnd_share",
    kind: "receiver_window_limited",
    conditions: [c("rwnd_share", "≥", "material_share"), c("window_bound_ratio", "≤", "window_bound_factor")],
    cost: "rwnd_share",
  },
  {
    id: "rwnd_half",
    kind: "receiver_window_limited",
    conditions: [c("rwnd_share", "≥", "rwnd_half_share")],
    cost: "rwnd_share",
  },
  {
    id: "loss",
    kind: "loss_limited",
    conditions: [c("loss_rate", "≥", "loss_rate"), c("cwnd_share", "≥", "material_share")],
    cost: "cwnd_share",
  },
  {
    id: "sndbuf_plateau",
    kind: "sender_buffer_limited",
    conditions: [
      c("cwnd_share", "≥", "material_share"),
      c("flight_to_window", "≤", "sndbuf_flight_to_window"),
      c("flight_plateau", "≥", "sndbuf_flight_plateau"),
      c("loss_rate", "<", "sndbuf_max_loss_rate"),
      c("round_trips", "≥", "sndbuf_min_round_trips"),
      c("flight_bound_ratio", "≤", "sndbuf_bound_factor"),
    ],
    cost: "cwnd_share",
  },
  {
    id: "bottleneck",
    kind: "congestion_limited",
    conditions: [
      c("cwnd_share", "≥", "material_share"),
      c("rtt_queue_ms", "≥", "queue_ms"),
      c("rtt_queue_ratio", "≥", "queue_ratio"),
      c("loss_rate", "<", "loss_rate"),
    ],
    cost: "cwnd_share",
  },
  {
    id: "cwnd_share",
    kind: "congestion_limited",
    conditions: [
      c("cwnd_share", "≥", "material_share"),
      c("congestion_signals", "≥", "cwnd_min_congestion_signals"),
      c("loss_rate", "≥", "cwnd_min_loss_rate"),
      c("loss_rate", "<", "loss_rate"),
    ],
    cost: "cwnd_share",
  },
  { id: "app_share", kind: "application_limited", conditions: [c("app_own_share", "≥", "material_share"), c("round_trips", "≥", "pace_min_round_trips")], cost: "app_own_share" },
  { id: "peer_response", kind: "application_limited", conditions: [c("peer_wait_share", "≥", "material_share"), c("round_trips", "≥", "pace_min_round_trips")], cost: "peer_wait_share" },
  { id: "sender_pace", kind: "sender_limited", conditions: [c("sender_share", "≥", "sender_share"), c("round_trips", "≥", "pace_min_round_trips")], cost: "sender_share" },
];

/** When nothing holds. */
export const NO_LIMIT: Rule = { id: "no_limit", kind: "healthy", conditions: [], cost: null };

/** Every rule, for listing and tests. */
export const RULES: readonly Rule[] = [...GATES, ...LIMITS, NO_LIMIT];

/**
 * Where each share of busy time goes when it is not the verdict, for `secondary`: the kind
 * it stands for. cwnd_share is named by whichever cwnd rule (loss, sndbuf, bottleneck,
 * congestion) holds, else congestion.
 */
export const SHARES: Policy<keyof Measures>["shares"] = [
  { measure: "rwnd_share", kind: "receiver_window_limited", label: "the receiver's window" },
  { measure: "cwnd_share", kind: "congestion_limited", label: "the congestion window" },
  { measure: "app_own_share", kind: "application_limited", label: "the application" },
  { measure: "peer_wait_share", kind: "application_limited", label: "waiting for the peer's replies", distinct: true },
  { measure: "sender_share", kind: "sender_limited", label: "the sender's CPU" },
];

/** The capture policy (tcpwin analyze). */
export const CAPTURE_POLICY: Policy<keyof Measures> = { gates: GATES, limits: LIMITS, none: NO_LIMIT, shares: SHARES };

export function thresholdValue<K extends string>(cond: Condition<K>, t: Thresholds): number {
  return typeof cond.threshold === "number" ? cond.threshold : t[cond.threshold];
}

/** A condition on a measure that is unknown (null) does not hold. */
export function holds<K extends string>(cond: Condition<K>, m: MeasureValues<K>, t: Thresholds): boolean {
  const v = m[cond.measure];
  if (typeof v !== "number" || !Number.isFinite(v)) return false;
  const x = thresholdValue(cond, t);
  switch (cond.op) {
    case "≥":
      return v >= x;
    case "≤":
      return v <= x;
    case "<":
      return v < x;
    case "=":
      return v === x;
  }
}

export const ruleHolds = <K extends string>(r: Rule<K>, m: MeasureValues<K>, t: Thresholds): boolean => r.conditions.every((k) => holds(k, m, t));
