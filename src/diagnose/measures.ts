/**
 * @module diagnose/measures
 * The handful of numbers policy compares against thresholds, derived from one direction's
 * evidence. Each is a plain ratio or count with its unit in its name; null means the evidence
 * did not carry what it needs (e.g. no limit attribution), never 0 standing in for "unknown".
 */
import type { ConnectionEvidence, DirectionEvidence } from "../tcp/evidence.js";

export type DirectionKey = "c2s" | "s2c";

export interface Measures {
  /** Payload bytes of the direction (retransmissions counted once). */
  bytes: number;
  bytes_sent: number;
  /**
   * Payload in captured packets / payload by sequence numbers, at most 1 (null without payload).
   * Low when the capture missed most of the direction's packets (a capture filter, drops): the
   * time between the packets it has then says nothing about what held the sender.
   */
  captured_share: number | null;
  data_segments: number;
  /** Bytes per data segment: the largest segment seen, else the SYN's MSS. */
  segment: number;
  mss: number | null;
  /** First → last data segment, seconds (0 for a single segment). */
  transfer_s: number | null;
  throughput_bytes_per_sec: number | null;
  /** RTT used for the cap and the model, and where it came from. */
  rtt_ms: number | null;
  rtt_source: "ack_rtt_median" | "handshake" | null;
  /** The advertised window as bytes (null when the scale is unknown: raw values are not bytes). */
  rwnd_median_bytes: number | null;
  rwnd_min_bytes: number | null;
  rwnd_max_bytes: number | null;
  rwnd_scale_source: string;
  /** Largest advertised window in segments (null when the scale is unknown). */
  rwnd_max_segments: number | null;
  /** Segments that filled the receiver's window (window_full, plus the inferred kind without a handshake). */
  window_full_count: number;
  flight_median_bytes: number | null;
  flight_max_bytes: number | null;
  rwnd_share: number | null;
  cwnd_share: number | null;
  app_share: number | null;
  busy_s: number | null;
  small_window_share: number | null;
  zero_window_s: number;
  zero_window_share: number | null;
  retransmitted_bytes: number;
  loss_rate: number | null;
  /** Retransmissions of any kind plus duplicate ACKs the receiver sent: signs of congestion. */
  congestion_signals: number;
  /** Max in flight / median advertised window. */
  flight_to_window: number | null;
  /**
   * (Median in flight + one segment) / max in flight, at most 1. In flight moves in whole
   * segments (each ACK frees one or, delayed, two and the sender refills them), so a flat flight
   * of k segments is sampled at k−1 and k: median/max alone cannot exceed (k−1)/k and a flat
   * 3–4-segment flight would read 0.70. One segment of slack is that granularity, nothing more.
   */
  flight_plateau: number | null;
  /** Smallest ACK RTT sample, ms, and how far the median sits above it (a standing queue). */
  rtt_min_ms: number | null;
  rtt_queue_ms: number | null;
  /**
   * rtt_queue_ms / rtt_min_ms: the standing queue against the path's own RTT. A bottleneck link
   * queues a large part of an RTT or more (the corpus: 1.2× at 20 Mbit/5 ms, 2.5× at 100 Mbit/
   * 1.66 ms); slow start's own bursts through an unlimited path, about a quarter (0.27 at 5 ms).
   */
  rtt_queue_ratio: number | null;
  /** Round trips the transfer lasted (transfer_s / RTT). */
  round_trips: number | null;
  /**
   * Counterfactuals: what a limit allows against what was achieved. window_bound_ratio is
   * (median advertised window / RTT) / throughput — near 1 when the window is what paced the
   * sender, ≫ 1 when the window could have carried far more. flight_bound_ratio is the same for
   * the largest flight (a send-buffer plateau).
   */
  window_bound_ratio: number | null;
  flight_bound_ratio: number | null;
  /**
   * The application's share split by what the sender waited for (shares of busy time):
   * app_own_share — idle gaps ≥ 1 ms with nothing from the peer (the application had nothing to
   * send); sender_share — idle gaps under 1 ms (a sender that could not keep up: CPU,
   * scheduling); peer_wait_share — idle while the peer was sending (its response time). Time
   * after a short segment with data outstanding is split between the first two in proportion.
   */
  app_own_share: number | null;
  sender_share: number | null;
  peer_wait_share: number | null;
}

/** Idle gaps shorter than this are the sender's own pace (CPU, scheduling), not its application. */
export const SENDER_GAP_US = 1000;

const RETRANS_FLAGS = ["retransmission", "fast_retransmission", "spurious_retransmission"] as const;

export function flagCount(d: DirectionEvidence, name: string): number {
  return d.flags[name] ?? 0;
}

export function measure(conn: ConnectionEvidence, key: DirectionKey): Measures {
  const d = conn[key];
  const peer = key === "c2s" ? conn.s2c : conn.c2s;
  const segment = d.max_segment > 0 ? d.max_segment : (d.mss_syn ?? 0);
  const transfer_s = d.first_data_s !== null && d.last_data_s !== null ? Math.max(0, d.last_data_s - d.first_data_s) : null;
  const rttFromAck = d.rtt_ms && d.rtt_ms.count > 0 ? d.rtt_ms.median : null;
  const rtt_ms = rttFromAck ?? conn.irtt_ms ?? null;
  const rtt_source = rttFromAck !== null ? "ack_rtt_median" : conn.irtt_ms !== null ? "handshake" : null;
  const scaleKnown = d.rwnd_scale.source !== "unknown";
  const rw = d.rwnd_adv && scaleKnown ? d.rwnd_adv : null;
  const busy = d.limits?.busy_s ?? null;
  const zeroBase = busy !== null && busy > 0 ? busy : transfer_s !== null && transfer_s > 0 ? transfer_s : null;
  const retransmitted_bytes = Math.max(0, d.bytes_sent - d.bytes);
  const retransSegments = RETRANS_FLAGS.reduce((n, f) => n + flagCount(d, f), 0);
  const fl = d.bytes_in_flight;
  return {
    bytes: d.bytes,
    bytes_sent: d.bytes_sent,
    captured_share: d.bytes > 0 ? Math.min(1, d.bytes_sent / d.bytes) : null,
    data_segments: segment > 0 ? Math.ceil(d.bytes / segment) : 0,
    segment,
    mss: d.mss_syn,
    transfer_s,
    throughput_bytes_per_sec: transfer_s !== null && transfer_s > 0 ? d.bytes / transfer_s : null,
    rtt_ms,
    rtt_source,
    rwnd_median_bytes: rw ? rw.median : null,
    rwnd_min_bytes: rw ? rw.min : null,
    rwnd_max_bytes: rw ? rw.max : null,
    rwnd_scale_source: d.rwnd_scale.source,
    // In wire segments: a capture of GRO/TSO-merged segments (largest ≫ the SYN's MSS) would count a 16-MSS window as 2.
    rwnd_max_segments: rw && segment > 0 ? rw.max / (d.mss_syn && d.mss_syn < segment ? d.mss_syn : segment) : null,
    window_full_count: flagCount(d, "window_full") + flagCount(d, "window_full_inferred"),
    flight_median_bytes: fl ? fl.median : null,
    flight_max_bytes: fl ? fl.max : null,
    rwnd_share: d.limits ? d.limits.rwnd : null,
    cwnd_share: d.limits ? d.limits.cwnd : null,
    app_share: d.limits ? d.limits.app : null,
    busy_s: busy,
    small_window_share: d.limits || d.small_window_share > 0 ? d.small_window_share : null,
    zero_window_s: d.zero_window_s,
    zero_window_share: zeroBase !== null ? Math.min(1, d.zero_window_s / zeroBase) : null,
    retransmitted_bytes,
    loss_rate: d.bytes_sent > 0 ? retransmitted_bytes / d.bytes_sent : null,
    congestion_signals: retransSegments + flagCount(peer, "duplicate_ack"),
    flight_to_window: fl && rw && rw.median > 0 ? fl.max / rw.median : null,
    flight_plateau: fl && fl.max > 0 ? Math.min(1, (fl.median + segment) / fl.max) : null,
    ...rttMeasures(d, rtt_ms, transfer_s),
    ...bounds(rw ? rw.median : fl ? fl.max : null, fl ? fl.max : null, rtt_ms, transfer_s !== null && transfer_s > 0 ? d.bytes / transfer_s : null),
    ...appSplit(d),
  };
}

function rttMeasures(d: DirectionEvidence, rtt_ms: number | null, transfer_s: number | null) {
  const r = d.rtt_ms && d.rtt_ms.count > 0 ? d.rtt_ms : null;
  return {
    rtt_min_ms: r ? r.min : null,
    rtt_queue_ms: r ? Math.max(0, r.median - r.min) : null,
    rtt_queue_ratio: r && r.min > 0 ? Math.max(0, r.median - r.min) / r.min : null,
    round_trips: rtt_ms !== null && rtt_ms > 0 && transfer_s !== null ? (transfer_s * 1000) / rtt_ms : null,
  };
}

function bounds(window: number | null, flight: number | null, rtt_ms: number | null, rate: number | null) {
  const ratio = (w: number | null) => (w !== null && w > 0 && rtt_ms !== null && rtt_ms > 0 && rate !== null && rate > 0 ? w / (rtt_ms / 1000) / rate : null);
  return { window_bound_ratio: ratio(window), flight_bound_ratio: ratio(flight) };
}

function appSplit(d: DirectionEvidence) {
  const l = d.limits;
  if (!l || !(l.busy_s > 0)) return { app_own_share: null, sender_share: null, peer_wait_share: null };
  const busy = l.busy_s;
  const peer = (l.app_peer_wait_s ?? 0) / busy;
  let short = 0;
  let long = 0;
  (l.app_idle_gaps_s ?? []).forEach((s, i) => {
    if (16 * 2 ** (i + 1) <= SENDER_GAP_US) short += s / busy;
    else long += s / busy;
  });
  const rest = Math.max(0, l.app - peer - short - long);
  const idle = short + long;
  const toSender = idle > 0 ? rest * (short / idle) : rest / 2;
  return { app_own_share: long + (rest - toSender), sender_share: short + toSender, peer_wait_share: peer };
}

/** The direction that carried more payload (client → server on a tie). */
export function dominantDirection(conn: ConnectionEvidence): DirectionKey {
  return conn.s2c.bytes > conn.c2s.bytes ? "s2c" : "c2s";
}
