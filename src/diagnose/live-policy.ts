/**
 * @module diagnose/live-policy
 * The live policy (`tcpwin watch`): the same engine, thresholds and rule shapes as capture
 * analysis (diagnose/policy), on what one interval of a socket's tcp_info says. The kernel's
 * chrono accounting (tcp_chrono_start/stop, net/ipv4/tcp_output.c) splits the time a socket has
 * data to send into busy (sending), rwnd-limited (the peer's window full) and sndbuf-limited (no
 * room in our send buffer); `busy_time` includes the other two. Every share here is of the
 * interval, so the limits compete on one base: the receiver's window, the send buffer, the time
 * spent sending (the congestion window's when there was loss or a queue), and the time with
 * nothing to send (the application).
 */
import { cond as c, type Policy, type Rule } from "./policy.js";

export interface LiveMeasures {
  interval_s: number;
  /** Bytes acknowledged / received in the interval. */
  bytes_acked: number;
  bytes_received: number;
  /** busy / interval. */
  busy_share: number;
  /** rwnd_limited / interval, sndbuf_limited / interval. */
  rwnd_share: number | null;
  sndbuf_share: number | null;
  /** (busy − rwnd_limited − sndbuf_limited) / interval: time the congestion window (or nothing) paced. */
  sending_share: number;
  /** 1 − busy / interval while data was acknowledged: nothing to send (the application). */
  app_share: number | null;
  /** Retransmitted / sent segments. */
  loss_rate: number | null;
  retrans_segs: number;
  /** The peer's window in segments (snd_wnd / snd_mss); our own for the receiving end. */
  window_segments: number | null;
  rcv_window_segments: number | null;
  /** snd_wnd: 0 is a closed window (the peer's application is not reading). */
  snd_wnd: number | null;
  /** (snd_wnd / RTT) / the rate while busy: near 1 when the window paced the sender. */
  window_bound_ratio: number | null;
  /** srtt − min_rtt, ms, and that against min_rtt: a standing queue (a bottleneck). */
  rtt_queue_ms: number | null;
  rtt_queue_ratio: number | null;
  /** 1 when only receiving (nothing acknowledged, data received). */
  receiving_only: number;
}

/** Decide outright, in order (a closed window; a tiny window the sender filled or ran at; the receiving end). */
const GATES: readonly Rule<keyof LiveMeasures>[] = [
  { id: "zero_window", kind: "receiver_window_limited", conditions: [c("snd_wnd", "=", 0), c("busy_share", "≥", "secondary_share")], cost: "rwnd_share" },
  {
    id: "tiny_window",
    kind: "receiver_window_limited",
    conditions: [c("window_segments", "≤", "tiny_window_segments"), c("rwnd_share", "≥", "live_tiny_window_share")],
    cost: "rwnd_share",
  },
  {
    id: "tiny_window_rate",
    kind: "receiver_window_limited",
    conditions: [c("window_segments", "≤", "tiny_window_segments"), c("window_bound_ratio", "≤", "live_window_rate_factor")],
    cost: "rwnd_share",
  },
  {
    id: "receiving_small_window",
    kind: "receiver_window_limited",
    conditions: [c("receiving_only", "=", 1), c("rcv_window_segments", "≤", "tiny_window_segments")],
    cost: null,
  },
  { id: "receiving", kind: "healthy", conditions: [c("receiving_only", "=", 1)], cost: null },
];

/** Candidates, ranked by cost (a share of the interval). */
const LIMITS: readonly Rule<keyof LiveMeasures>[] = [
  {
    id: "rwnd_share",
    kind: "receiver_window_limited",
    conditions: [c("rwnd_share", "≥", "material_share"), c("window_bound_ratio", "≤", "window_bound_factor")],
    cost: "rwnd_share",
  },
  { id: "sndbuf_share", kind: "sender_buffer_limited", conditions: [c("sndbuf_share", "≥", "material_share")], cost: "sndbuf_share" },
  { id: "loss", kind: "loss_limited", conditions: [c("loss_rate", "≥", "loss_rate"), c("sending_share", "≥", "material_share")], cost: "sending_share" },
  {
    id: "bottleneck",
    kind: "congestion_limited",
    conditions: [c("sending_share", "≥", "material_share"), c("rtt_queue_ms", "≥", "queue_ms"), c("rtt_queue_ratio", "≥", "queue_ratio"), c("loss_rate", "<", "loss_rate")],
    cost: "sending_share",
  },
  {
    id: "cwnd_retrans",
    kind: "congestion_limited",
    conditions: [c("sending_share", "≥", "material_share"), c("retrans_segs", "≥", "cwnd_min_congestion_signals"), c("loss_rate", "<", "loss_rate")],
    cost: "sending_share",
  },
  { id: "app_share", kind: "application_limited", conditions: [c("app_share", "≥", "material_share")], cost: "app_share" },
];

const NONE: Rule<keyof LiveMeasures> = { id: "no_limit", kind: "healthy", conditions: [], cost: null };

export const LIVE_POLICY: Policy<keyof LiveMeasures> = {
  gates: GATES,
  limits: LIMITS,
  none: NONE,
  shares: [
    { measure: "rwnd_share", kind: "receiver_window_limited", label: "the receiver's window" },
    { measure: "sndbuf_share", kind: "sender_buffer_limited", label: "the send buffer" },
    { measure: "sending_share", kind: "congestion_limited", label: "the congestion window" },
    { measure: "app_share", kind: "application_limited", label: "the application" },
  ],
};
