/**
 * @module diagnose/live-verdict
 * `tcpwin watch`'s verdict: from the change of one connection's tcp_info over one interval, what
 * limits it right now — decided by the engine (diagnose/engine) on the live policy
 * (diagnose/live-policy) with the capture policy's thresholds, so a verdict carries the same
 * `rule` (every condition with its value), `secondary`, `confidence` and `margin`. Pure.
 */
import type { VerdictKind } from "./kinds.js";
import { peerHereText, type PeerHere } from "./live-flags.js";
import { predictTransfer } from "../model/index.js";
import { classify, confidenceOf, marginOf, ruleOf, secondaryOf, thresholdsWith } from "./engine.js";
import { LIVE_POLICY, type LiveMeasures } from "./live-policy.js";
import type { Margin, Secondary, VerdictRule } from "./types.js";

/** One connection's change between two samples; counters are deltas, the rest as last sampled. */
export interface LiveDelta {
  intervalUs: number;
  bytesAcked?: number | undefined;
  bytesReceived?: number | undefined;
  busyUs?: number | undefined;
  rwndLimitedUs?: number | undefined;
  sndbufLimitedUs?: number | undefined;
  /** Retransmitted segments (total_retrans delta). */
  retransSegs?: number | undefined;
  dataSegsOut?: number | undefined;
  sndWnd?: number | undefined;
  sndMss?: number | undefined;
  /** Our advertised window and the peer's segment size, for the receiving end. */
  rcvWnd?: number | undefined;
  rcvMss?: number | undefined;
  /** Our receive buffer (sk_rcvbuf, ss rb). */
  rb?: number | undefined;
  rttUs?: number | undefined;
  /** tcpi_min_rtt: with rttUs, a standing queue. */
  minRttUs?: number | undefined;
  cwnd?: number | undefined;
  unacked?: number | undefined;
  /** "addr:port" of the peer, for messages. */
  peer: string;
  /** The peer's socket when it is on this host (its unread Recv-Q tells a zero window's cause). */
  peerHere?: PeerHere | undefined;
}

export interface LiveVerdict {
  kind: VerdictKind;
  message: string;
  rule: VerdictRule;
  secondary: Secondary | null;
  confidence: number;
  margin: Margin | null;
  measures: LiveMeasures;
  inputs: Record<string, number | string>;
  /** With a size: how long it takes at the rate just measured, and what the window alone allows. */
  eta?: { size_bytes: number; at_rate_s?: number; window_model_s?: number };
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Within this relative difference two numbers are "≈"; further apart the sentence gives the ratio. */
const APPROX = 0.1;

/** "a ≈ bLabel b" when within APPROX of each other, else "a = 0.55 × bLabel b". */
export function compareText(a: number, aText: string, b: number, bLabel: string, bText: string): string {
  if (b > 0 && Math.abs(a / b - 1) <= APPROX) return `${aText} ≈ ${bLabel} ${bText}`;
  return `${aText} = ${b > 0 ? (a / b).toFixed(2) : "∞"} × ${bLabel} ${bText}`;
}


/** The interval's numbers the live policy compares (null where tcp_info did not carry the input). */
export function liveMeasures(d: LiveDelta): LiveMeasures {
  const busy = Math.min(d.busyUs ?? 0, d.intervalUs);
  const iv = d.intervalUs > 0 ? d.intervalUs : 1;
  const acked = d.bytesAcked ?? 0;
  const received = d.bytesReceived ?? 0;
  const rwnd = Math.min(d.rwndLimitedUs ?? 0, busy);
  const sndbuf = Math.min(d.sndbufLimitedUs ?? 0, busy - rwnd);
  const segs = d.dataSegsOut ?? 0;
  const busyRate = busy > 0 ? acked / (busy / 1e6) : 0;
  const windowRate = d.sndWnd && d.rttUs ? d.sndWnd / (d.rttUs / 1e6) : null;
  const queueUs = d.rttUs !== undefined && d.minRttUs !== undefined && d.minRttUs > 0 ? Math.max(0, d.rttUs - d.minRttUs) : null;
  return {
    interval_s: d.intervalUs / 1e6,
    bytes_acked: acked,
    bytes_received: received,
    busy_share: busy / iv,
    rwnd_share: d.busyUs !== undefined ? rwnd / iv : null,
    sndbuf_share: d.busyUs !== undefined ? sndbuf / iv : null,
    sending_share: Math.max(0, busy - rwnd - sndbuf) / iv,
    app_share: acked > 0 ? 1 - busy / iv : null,
    // Nothing sent and nothing retransmitted is no loss; retransmissions of an unknown count of segments, unknown.
    loss_rate: segs > 0 ? (d.retransSegs ?? 0) / segs : (d.retransSegs ?? 0) > 0 ? null : 0,
    retrans_segs: d.retransSegs ?? 0,
    window_segments: d.sndWnd !== undefined && d.sndMss ? d.sndWnd / d.sndMss : null,
    rcv_window_segments: d.rcvWnd !== undefined && d.rcvMss ? d.rcvWnd / d.rcvMss : null,
    snd_wnd: d.sndWnd ?? null,
    window_bound_ratio: windowRate !== null && busyRate > 0 ? windowRate / busyRate : null,
    rtt_queue_ms: queueUs !== null ? queueUs / 1000 : null,
    rtt_queue_ratio: queueUs !== null ? queueUs / d.minRttUs! : null,
    receiving_only: received > 0 && acked === 0 ? 1 : 0,
  };
}

/** The verdict for one interval, or undefined when nothing moved and nothing waited (idle). */
export function liveVerdict(d: LiveDelta, sizeBytes?: number, thresholds?: Partial<Record<string, number>>): LiveVerdict | undefined {
  const busy = d.busyUs ?? 0;
  const acked = d.bytesAcked ?? 0;
  const received = d.bytesReceived ?? 0;
  if (busy <= 0 && acked <= 0 && received <= 0) return undefined;
  const t = thresholdsWith(thresholds);
  const m = liveMeasures(d);
  const rule = classify(LIVE_POLICY, m, t);
  const margin = marginOf(LIVE_POLICY, rule, m, t);
  const secondary = secondaryOf(LIVE_POLICY, rule, m, t);
  const rate = d.intervalUs > 0 ? acked / (d.intervalUs / 1e6) : 0;
  const inputs: Record<string, number | string> = {
    interval_us: d.intervalUs,
    busy_us: busy,
    rwnd_limited_us: d.rwndLimitedUs ?? 0,
    sndbuf_limited_us: d.sndbufLimitedUs ?? 0,
    bytes_acked: acked,
    acked_per_s: Math.round(rate),
  };
  if (d.sndWnd !== undefined) inputs.snd_wnd = d.sndWnd;
  if (d.sndMss !== undefined) inputs.snd_mss = d.sndMss;
  if (d.rttUs !== undefined) inputs.rtt_us = d.rttUs;
  const windowRate = d.sndWnd && d.rttUs ? d.sndWnd / (d.rttUs / 1e6) : undefined;
  if (windowRate !== undefined) inputs.window_rate_per_s = Math.round(windowRate);
  const kind = rule.kind;
  let message = liveMessage(rule.id, d, m, windowRate);
  if (secondary) message += `; then ${secondary.label} (${pct(secondary.share)} of the interval)`;
  if (margin && margin.relative < t.close_margin) message += ` — close call: ${margin.text}`;
  const v: LiveVerdict = { kind, message, rule: ruleOf(rule, m, t), secondary, confidence: confidenceOf(margin), margin, measures: m, inputs };
  if (sizeBytes !== undefined && sizeBytes > 0) {
    // The direction that moves data: a receiving socket also sends a little (ACK-sized replies,
    // a control channel), and that idle direction's rate would give a meaningless ETA.
    const receiving = received > acked;
    inputs.eta_direction = receiving ? "receiving" : "sending";
    const r = receiving ? received / (d.intervalUs / 1e6) : rate;
    const wnd = receiving ? d.rcvWnd : d.sndWnd;
    const mss = receiving ? d.rcvMss : d.sndMss;
    const eta: LiveVerdict["eta"] = { size_bytes: sizeBytes };
    if (r > 0 && Number.isFinite(r)) eta.at_rate_s = sizeBytes / r;
    if (wnd && mss && d.rttUs) {
      eta.window_model_s = predictTransfer({ sizeBytes, rttSec: d.rttUs / 1e6, segment: mss, windowBytes: wnd }).predictedMs / 1000;
    }
    v.eta = eta;
  }
  return v;
}

function liveMessage(id: string, d: LiveDelta, m: LiveMeasures, windowRate: number | undefined): string {
  const rwnd = pct(m.rwnd_share ?? 0);
  switch (id) {
    case "zero_window":
      // Zero is not a small window: the receiver's buffer is full because its application does not read.
      return `peer ${d.peer} advertises a zero window: its application is not reading (receive buffer full); limited by it ${rwnd} of the interval${peerHereText(d.peerHere)}`;
    case "tiny_window":
    case "tiny_window_rate":
    case "rwnd_share": {
      const wnd = d.sndWnd !== undefined ? `${d.sndWnd} B` : "unknown";
      const small = d.sndWnd !== undefined && d.sndMss ? ` (${(d.sndWnd / d.sndMss).toFixed(1)} × MSS ${d.sndMss})` : "";
      // The rate while busy, as the rule compared it (idle time is not the window's).
      const busyRate = m.busy_share > 0 ? m.bytes_acked / (m.busy_share * m.interval_s) : 0;
      const bound = windowRate !== undefined && busyRate > 0 ? `; ${compareText(busyRate, `${Math.round(busyRate)} B/s while sending`, windowRate, "window/RTT", `${Math.round(windowRate)} B/s`)}` : "";
      return `peer ${d.peer} advertises a ${wnd} window${small}: limited by it ${rwnd} of the interval${bound}`;
    }
    case "receiving_small_window":
      return `we advertise only ${d.rcvWnd} B (${(d.rcvWnd! / d.rcvMss!).toFixed(1)} × MSS ${d.rcvMss})${d.rb !== undefined ? ` from rb ${d.rb}` : ""}: ${d.peer} can send at most that per round trip`;
    case "receiving":
      return `receiving from ${d.peer}`;
    case "sndbuf_share":
      return `our send buffer is full ${pct(m.sndbuf_share ?? 0)} of the interval sending to ${d.peer}: raise SO_SNDBUF (or stop setting it)`;
    case "loss":
      return `${d.retransSegs} of ${d.dataSegsOut} segments to ${d.peer} retransmitted (${((m.loss_rate ?? 0) * 100).toFixed(1)}%)`;
    case "bottleneck":
      return `the path's rate is the limit: RTT ${((d.rttUs ?? 0) / 1000).toFixed(2)} ms against a minimum of ${((d.minRttUs ?? 0) / 1000).toFixed(2)} ms (a standing queue of ${(m.rtt_queue_ms ?? 0).toFixed(2)} ms) while sending ${pct(m.sending_share)} of the interval to ${d.peer}`;
    case "cwnd_retrans":
      return `congestion window (${d.unacked ?? "?"}/${d.cwnd ?? "?"} segments in flight) after ${d.retransSegs} retransmission(s) to ${d.peer}`;
    case "app_share":
      return `data to ${d.peer} waited in no queue: the sender was busy only ${pct(m.busy_share)} of the interval (the application writes slower than TCP could send)`;
    default:
      return `no limit dominated: busy ${pct(m.busy_share)} of the interval, rwnd ${rwnd}, sndbuf ${pct(m.sndbuf_share ?? 0)} of it`;
  }
}
