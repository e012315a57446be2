/**
 * @module diagnose/types
 * What a verdict carries: the kind, the sentence a person reads, and every number behind it with
 * the inputs it was computed from (measures, the rule and threshold that decided, the model
 * cross-check's inputs, the fix's inputs), so each figure can be traced back to the evidence.
 */
import type { Endpoint } from "../tcp/evidence.js";
import type { VerdictKind } from "./kinds.js";
import type { ExchangeLink } from "./rocketmq-link.js";
import type { DirectionKey, Measures } from "./measures.js";

export interface ModelCheck {
  /** Window the model was run with, and which evidence it came from. */
  window_bytes: number;
  window_source: "advertised_median" | "in_flight_median" | "in_flight_max";
  rtt_ms: number;
  rtt_source: "ack_rtt_median" | "handshake";
  segment_bytes: number;
  size_bytes: number;
  /** The model's time (predictTransfer: round trips at min(cwnd, window), until the last byte is acknowledged). */
  predicted_ms: number;
  round_trips: number;
  /** Measured: first to last data segment. */
  actual_ms: number;
  /** actual / predicted. */
  ratio: number;
  /** Within the policy's agreement factor (model_agreement_factor): consistent with the claim. */
  agrees: boolean;
  /**
   * How close, in words: "agrees" within model_close_factor, "roughly_agrees" within
   * model_agreement_factor, else "disagrees" (agreementText writes it for people).
   */
  agreement: "agrees" | "roughly_agrees" | "disagrees";
  /** The window's throughput ceiling, window / RTT, bytes/s. */
  window_cap_bytes_per_sec: number;
}

export interface Fix {
  /** Who changes something. */
  side: "receiver" | "sender" | "network" | "receiving_application" | "sending_application";
  endpoint: Endpoint | null;
  /** The socket option or knob, when there is one. */
  setting: string | null;
  /** The value to set it to (≥), when the policy can compute one. */
  value: number | null;
  /** The window that value yields, and the model's time at it. */
  window_bytes: number | null;
  predicted_ms: number | null;
  deadline_ms: number | null;
  /** Deadline given and no window/buffer can meet it. */
  infeasible_reason: string | null;
  /** A RocketMQ config line, when the port says RocketMQ (or as an example). */
  rocketmq: string | null;
  /** The kernel rules the buffer value assumes. */
  kernel_family: string | null;
  text: string;
}

export interface OtherDirection {
  direction: DirectionKey;
  sender: Endpoint;
  bytes: number;
  kind: VerdictKind;
  rule: string;
}

/** Measure names are the policy's: capture `Measures` keys for analyze, `LiveMeasures` keys for watch. */
export interface ConditionResult {
  measure: string;
  value: number | null;
  op: string;
  threshold_name: string | null;
  threshold: number;
  holds: boolean;
}

export interface VerdictRule {
  id: string;
  /** The rule's deciding measure (its cost for a limit rule, else its first condition) … */
  measure: string;
  value: number | null;
  threshold_name: string | null;
  threshold: number | null;
  op: string;
  /** … and every condition it checked, with the values compared. */
  conditions: ConditionResult[];
}

/** The runner-up limit, when it held a material share too. */
export interface Secondary {
  kind: VerdictKind;
  measure: string;
  share: number;
  label: string;
}

/** Which number would have to move how far to change the verdict's kind. */
export interface Margin {
  measure: string;
  value: number;
  threshold: number;
  /** |value − threshold| / threshold (for the lead: (first − second) / first). */
  relative: number;
  text: string;
}

export interface Verdict {
  kind: VerdictKind;
  /** The judged (dominant data) direction; null when no data moved. */
  direction: DirectionKey | null;
  sender: Endpoint | null;
  receiver: Endpoint | null;
  /** Headline: "receiver window limited". */
  title: string;
  /** The claim with its numbers, one paragraph. */
  claim: string;
  rule: VerdictRule;
  /** The runner-up limit (≥ secondary_share of busy time), or null. */
  secondary: Secondary | null;
  /** 0..1: how far the deciding numbers are from their thresholds, times the capture's quality. */
  confidence: number;
  margin: Margin | null;
  measures: Measures | null;
  model: ModelCheck | null;
  fix: Fix | null;
  other: OtherDirection | null;
  /** The application layer linked to the TCP verdict (RocketMQ's slow exchange, its window, the setting), or null. */
  app: ExchangeLink | null;
  notes: string[];
  /** 0 (healthy) … 1: how much of the transfer the limit held; ordering uses bytes × badness. */
  badness: number;
}

export interface DiagnoseOptions {
  /** The time the user wants the transfer to take (--deadline), seconds. */
  deadlineSec?: number | undefined;
  /** The receiver's kernel, for SO_RCVBUF → window rules; default: current (6.10+) rules. */
  kernel?: { major: number; minor: number } | undefined;
  /** Override thresholds (tests, tuning). */
  thresholds?: Partial<Record<string, number>> | undefined;
  /**
   * What the capture file says it dropped while capturing (tcp/ AnalysisResult.capture: pcapng
   * isb_ifdrop + isb_osdrop, or the epb_dropcount sum; `dropped` null when the file does not say).
   */
  capture?: { dropped: number | null; source: string | null } | undefined;
}
