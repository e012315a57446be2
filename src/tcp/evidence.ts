/**
 * @module tcp/evidence
 * The per-connection summary tcp/ produces and diagnose/ + report/ consume: the contract between
 * analysis (what happened) and policy (what it means). Plain data, JSON-ready; every number a
 * verdict shows must be traceable to a field here.
 *
 * Direction naming: the client is the side that sent the first SYN (or, without a handshake,
 * the side that sent the first packet); `c2s` is data from client to server, `s2c` the reverse.
 */

export interface Endpoint {
  addr: string; // "10.0.0.1" or "fd00::1"
  port: number;
}

export interface Stats {
  min: number;
  median: number;
  max: number;
  /** 95th percentile where it is meaningful (RTT); else omitted. */
  p95?: number;
  count: number;
}

/** How the window scale of one direction is known. */
export interface WindowScaleInfo {
  /** The shift applied to this direction's advertised windows; -1 unknown, -2 not used (both SYNs lacked it). */
  shift: number;
  source: "handshake" | "inferred" | "unknown" | "not_used";
  /** For inferred: 0..1, and the reason in words. */
  confidence?: number;
  reason?: string;
}

/** Time shares while the sender had data outstanding (sum ≈ 1). */
export interface LimitShares {
  /** Seconds the sender had unacknowledged data or data to send. */
  busy_s: number;
  /** In flight within one MSS of the receiver's advertised window, or zero window. */
  rwnd: number;
  /** Congestion window / loss recovery (window open, in flight below it, retransmitting or ramping). */
  cwnd: number;
  /** Application: window open, nothing more sent. */
  app: number;
  /**
   * The part of `app` spent with nothing outstanding before more data came, seconds per gap
   * length: index i sums gaps of [16·2^i, 16·2^(i+1)) µs. Absent when there was no such gap.
   */
  app_idle_gaps_s?: number[];
  /** The part of `app` spent idle while the peer was sending (waiting for its reply), seconds. */
  app_peer_wait_s?: number;
}

/** One direction of data (from `sender` to the other side). */
export interface DirectionEvidence {
  sender: Endpoint;
  receiver: Endpoint;
  packets: number;
  /** Payload bytes, counting retransmissions once (highest seq − first seq). */
  bytes: number;
  /** Payload bytes including retransmissions. */
  bytes_sent: number;
  /** First and last data segment times, seconds relative to the capture's first packet. */
  first_data_s: number | null;
  last_data_s: number | null;
  /** MSS announced by the sender's SYN, and the largest segment seen. */
  mss_syn: number | null;
  max_segment: number;
  /** Window the *receiver* advertised to this sender, scaled bytes (or raw when the scale is unknown). */
  rwnd_adv: Stats | null;
  /** Bytes in flight of this direction (Wireshark's tcp.analysis.bytes_in_flight). */
  bytes_in_flight: Stats | null;
  /**
   * RTT samples of this direction's data (Wireshark's ack_rtt), ms — except those in
   * `rtt_on_reply_ms`; null when there are none (diagnose/ then uses the handshake's RTT).
   */
  rtt_ms: Stats | null;
  /**
   * The ack_rtt samples left out of `rtt_ms` because their ACK rode on the start of the peer's own
   * data (its response, or its next request: it had nothing outstanding): each is the RTT plus the
   * peer's think time, so not a round trip. `count` is how many were excluded.
   */
  rtt_on_reply_ms: Stats | null;
  /** Count per analysis flag raised on this sender's packets: "retransmission", "window_full", ... */
  flags: Record<string, number>;
  /** Window scale applied to the receiver's advertisements toward this sender. */
  rwnd_scale: WindowScaleInfo;
  limits: LimitShares | null;
  /** Zero-window time the receiver imposed, seconds. */
  zero_window_s: number;
  /** Share of busy time with the advertised window ≤ 2 × MSS (the incident's signature). */
  small_window_share: number;
}

export interface ConnectionEvidence {
  /** Wireshark's tcp.stream. */
  stream: number;
  client: Endpoint;
  server: Endpoint;
  /** Seconds relative to the capture's first packet. */
  start_s: number;
  end_s: number;
  duration_s: number;
  handshake_seen: boolean;
  /** initial RTT from the handshake (Wireshark tcp.analysis.initial_rtt), ms. */
  irtt_ms: number | null;
  /** "SYN", "ESTABLISHED", "FIN", "RST" as last seen. */
  state: string;
  c2s: DirectionEvidence;
  s2c: DirectionEvidence;
  /**
   * The application layer: each protocol's `StreamHandler.result()` (tcp/stream) keyed by its
   * factory's name ("rocketmq"). Absent when no protocol followed the connection or none had results.
   */
  app?: Record<string, unknown>;
}
