/**
 * @module diagnose/live-verdict
 * Policy for `tcpwin watch`: from the change of one connection's tcp_info over one interval, what
 * limits it right now. Pure; speaks the same verdict kinds as capture analysis (diagnose/kinds).
 *
 * The kernel's chrono accounting (tcp_chrono_start/stop, net/ipv4/tcp_output.c) splits the time a
 * socket has data to send into busy (sending), rwnd-limited (peer's window full) and
 * sndbuf-limited (our send buffer empty of room) — `busy_time` includes the other two. We use the
 * deltas of those counters, in µs, exactly as the kernel measured them; shares are of busy time.
 */
import type { VerdictKind } from "./kinds.js";
import { peerHereText, type PeerHere } from "./live-flags.js";
import { predictTransfer } from "../model/index.js";

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
  inputs: Record<string, number | string>;
  /** With a size: how long it takes at the rate just measured, and what the window alone allows. */
  eta?: { size_bytes: number; at_rate_s?: number; window_model_s?: number };
}

/** Thresholds, as data (STYLE: severity is policy, not code). */
export const LIVE_POLICY = {
  /** A share of busy time ≥ this names the limit. */
  limitedShare: 0.5,
  /** Busy less than this share of the interval while data moved: the application is not writing. */
  appLimitedBusyShare: 0.5,
  /** Retransmitted / sent segments at or above this: loss. */
  lossShare: 0.01,
  /** With a peer window ≤ 2 × MSS, this much rwnd-limited time already names it. */
  tinyWindowShare: 0.2,
  /** Throughput at or above this share of snd_wnd / RTT: the window is the bound. */
  windowRateShare: 0.7,
} as const;

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Within this relative difference two numbers are "≈"; further apart the sentence gives the ratio. */
const APPROX = 0.1;

/** "a ≈ bLabel b" when within APPROX of each other, else "a = 0.55 × bLabel b". */
export function compareText(a: number, aText: string, b: number, bLabel: string, bText: string): string {
  if (b > 0 && Math.abs(a / b - 1) <= APPROX) return `${aText} ≈ ${bLabel} ${bText}`;
  return `${aText} = ${b > 0 ? (a / b).toFixed(2) : "∞"} × ${bLabel} ${bText}`;
}


/** The verdict for one interval, or undefined when nothing moved and nothing waited (idle). */
export function liveVerdict(d: LiveDelta, sizeBytes?: number): LiveVerdict | undefined {
  const busy = d.busyUs ?? 0;
  const acked = d.bytesAcked ?? 0;
  const received = d.bytesReceived ?? 0;
  if (busy <= 0 && acked <= 0 && received <= 0) return undefined;
  const rwndShare = busy > 0 ? (d.rwndLimitedUs ?? 0) / busy : 0;
  const sndbufShare = busy > 0 ? (d.sndbufLimitedUs ?? 0) / busy : 0;
  const busyShare = d.intervalUs > 0 ? busy / d.intervalUs : 0;
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

  let kind: VerdictKind;
  let message: string;
  const segs = d.dataSegsOut ?? 0;
  const lossShare = segs > 0 ? (d.retransSegs ?? 0) / segs : 0;
  // The window bound: at most snd_wnd bytes per RTT. Throughput near it while busy is window-bound
  // even when the kernel's rwnd_limited share is modest (loopback ACKs return almost at once).
  const windowRate = d.sndWnd && d.rttUs ? d.sndWnd / (d.rttUs / 1e6) : undefined;
  const tinyWindow = d.sndWnd !== undefined && d.sndMss !== undefined && d.sndMss > 0 && d.sndWnd <= 2 * d.sndMss;
  const atWindowRate = windowRate !== undefined && rate > 0 && rate >= LIVE_POLICY.windowRateShare * windowRate;
  if (windowRate !== undefined) inputs.window_rate_per_s = Math.round(windowRate);
  if (busy > 0 && (rwndShare >= LIVE_POLICY.limitedShare || (tinyWindow && (rwndShare >= LIVE_POLICY.tinyWindowShare || atWindowRate)))) {
    kind = "receiver_window_limited";
    const bound = atWindowRate && windowRate !== undefined ? `; ${compareText(rate, `${Math.round(rate)} B/s`, windowRate, "window/RTT", `${Math.round(windowRate)} B/s`)}` : "";
    if (d.sndWnd === 0) {
      // Zero is not a small window: the receiver's buffer is full because its application does not read.
      message = `peer ${d.peer} advertises a zero window: its application is not reading (receive buffer full); limited by it ${pct(rwndShare)} of the time sending${peerHereText(d.peerHere)}`;
    } else {
      const wnd = d.sndWnd !== undefined ? `${d.sndWnd} B` : "unknown";
      const small = d.sndWnd !== undefined && d.sndMss ? ` (${(d.sndWnd / d.sndMss).toFixed(1)} × MSS ${d.sndMss})` : "";
      message = `peer ${d.peer} advertises a ${wnd} window${small}: limited by it ${pct(rwndShare)} of the time sending${bound}`;
    }
  } else if (busy > 0 && sndbufShare >= LIVE_POLICY.limitedShare) {
    kind = "sender_buffer_limited";
    message = `our send buffer is full ${pct(sndbufShare)} of the time sending to ${d.peer}: raise SO_SNDBUF (or stop setting it)`;
  } else if (lossShare >= LIVE_POLICY.lossShare) {
    kind = "loss_limited";
    inputs.retrans_segs = d.retransSegs ?? 0;
    message = `${d.retransSegs} of ${segs} segments to ${d.peer} retransmitted (${(lossShare * 100).toFixed(1)}%)`;
  } else if (acked > 0 && busyShare < LIVE_POLICY.appLimitedBusyShare) {
    kind = "application_limited";
    message = `data to ${d.peer} waited in no queue: the sender was busy only ${pct(busyShare)} of the interval (the application writes slower than TCP could send)`;
  } else if (d.cwnd !== undefined && d.unacked !== undefined && d.cwnd > 0 && d.unacked >= d.cwnd) {
    kind = "congestion_limited";
    message = `congestion window full (${d.unacked}/${d.cwnd} segments in flight) to ${d.peer}`;
  } else if (received > 0 && acked === 0 && d.rcvWnd !== undefined && d.rcvMss && d.rcvWnd <= 2 * d.rcvMss) {
    // The receiving end of a small-window transfer: this side's buffer is the cause.
    kind = "receiver_window_limited";
    inputs.rcv_wnd = d.rcvWnd;
    inputs.rcv_mss = d.rcvMss;
    if (d.rb !== undefined) inputs.rb = d.rb;
    message = `we advertise only ${d.rcvWnd} B (${(d.rcvWnd / d.rcvMss).toFixed(1)} × MSS ${d.rcvMss})${d.rb !== undefined ? ` from rb ${d.rb}` : ""}: ${d.peer} can send at most that per round trip`;
  } else if (received > 0 && acked === 0) {
    // Only receiving: the sender's side is where limits show.
    kind = "healthy";
    message = `receiving from ${d.peer}`;
  } else {
    kind = "healthy";
    message = `no limit dominated: busy ${pct(busyShare)} of the interval, rwnd ${pct(rwndShare)}, sndbuf ${pct(sndbufShare)} of it`;
  }
  const v: LiveVerdict = { kind, message, inputs };
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
