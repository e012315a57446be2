/**
 * @module diagnose/verdict
 * Evidence of one connection → one verdict. Judges the dominant data direction (more payload),
 * runs the policy table on its measures, cross-checks with the model, names the fix, and
 * mentions the other direction when it carried data too. Pure: same evidence, same verdict.
 */
import { formatBytes, formatMs, formatRate, kernelFamily } from "../model/index.js";
import type { ConnectionEvidence, Endpoint } from "../tcp/evidence.js";
import type { VerdictKind } from "./kinds.js";
import { bottleneckClaim, smallWindowBound } from "./claims.js";
import { crossCheck } from "./cross-check.js";
import { durationText, endpointText, percentText } from "./text.js";
import { DEFAULT_KERNEL, makeFix } from "./fix.js";
import { linkRocketmq, type LaterConnection, type RocketmqResultLike } from "./rocketmq-link.js";
import { dominantDirection, measure, type DirectionKey, type Measures } from "./measures.js";
import { CAPTURE_POLICY, SHARES, type Rule } from "./policy.js";
import { classify, confidenceOf, marginOf, num as numOf, ruleOf, secondaryOf, thresholdsWith } from "./engine.js";
import type { DiagnoseOptions, Margin, ModelCheck, Verdict } from "./types.js";

export const VERDICT_TITLES: Record<VerdictKind, string> = {
  receiver_window_limited: "receiver window limited",
  sender_buffer_limited: "sender buffer limited",
  congestion_limited: "congestion limited",
  loss_limited: "loss limited",
  application_limited: "application limited",
  sender_limited: "sender could not keep up",
  healthy: "healthy",
  inconclusive: "inconclusive",
};

const RULE_TITLES: Record<string, string> = {
  sparse_capture: "too little captured",
  tiny_transfer: "too small to tell",
  no_data: "no data",
  bottleneck: "path rate limited: a bottleneck link",
  peer_response: "waiting on the peer's responses",
};

/** The verdict's title: the rule's where it says more than the kind. */
export function verdictTitle(kind: VerdictKind, ruleId: string): string {
  return RULE_TITLES[ruleId] ?? VERDICT_TITLES[kind];
}

const num = (m: Measures, k: keyof Measures): number => numOf(m, k);

/** The capture policy's verdict confidence: the engine's, times the share of the direction captured. */
function captureConfidence(rule: Rule, margin: Margin | null, m: Measures): number {
  if (rule.id === "no_data") return 1;
  return confidenceOf(margin, m.captured_share !== null && rule.kind !== "inconclusive" ? m.captured_share : 1);
}

const ep = endpointText;
const pct = percentText;
const bytesText = (n: number) => formatBytes(n);
const secText = (s: number) => durationText(s * 1000);

function badnessOf(kind: VerdictKind, m: Measures): number {
  const clamp = (x: number | null) => (x === null || !Number.isFinite(x) ? 0 : Math.max(0, Math.min(1, x)));
  switch (kind) {
    case "healthy":
    case "inconclusive":
      return 0;
    case "sender_limited":
      return Math.max(clamp(m.sender_share), 0.3);
    case "receiver_window_limited":
      return Math.max(clamp(m.rwnd_share), clamp(m.small_window_share), clamp(m.zero_window_share), 0.5);
    case "loss_limited":
      return Math.max(clamp((m.loss_rate ?? 0) * 10), 0.5);
    case "application_limited":
      return Math.max(clamp(m.app_share), 0.3);
    case "sender_buffer_limited":
    case "congestion_limited":
      return Math.max(clamp(m.cwnd_share), 0.4);
  }
}

function modelSentence(mc: ModelCheck | null, m: Measures): string {
  if (!m.transfer_s && m.transfer_s !== 0) return "";
  const took = `${bytesText(m.bytes)} took ${secText(m.transfer_s)}`;
  if (!mc) return `${took}.`;
  return `${took} (model: ${durationText(mc.predicted_ms)}).`;
}

function claimFor(kind: VerdictKind, ruleId: string, m: Measures, mc: ModelCheck | null, sender: Endpoint, receiver: Endpoint): string {
  const rttText = m.rtt_ms !== null ? `RTT ${formatMs(m.rtt_ms)}` : "an unknown RTT";
  const cap = mc ? `; at ${rttText} that caps throughput at ${formatRate(mc.window_cap_bytes_per_sec)}` : "";
  const model = modelSentence(mc, m);
  switch (kind) {
    case "receiver_window_limited": {
      if (ruleId === "zero_window") {
        return `${ep(receiver)} closed its window (zero window) for ${secText(m.zero_window_s)}, ${pct(m.zero_window_share ?? 0)} of the transfer: its application stopped reading. ${model}`;
      }
      const small = m.small_window_share ?? 0;
      const windowText =
        m.rwnd_median_bytes !== null
          ? small >= 0.5
            ? `advertised ≤ ${smallWindowBound(m)} for ${pct(small)} of the transfer (median ${m.rwnd_median_bytes} B)`
            : `advertised a window of median ${m.rwnd_median_bytes} B (min ${m.rwnd_min_bytes}, max ${m.rwnd_max_bytes})`
          : `advertised windows whose scale is unknown; the sender's largest flight was ${m.flight_max_bytes ?? "?"} B`;
      const filled = m.rwnd_share !== null ? `, and the sender had it full ${pct(m.rwnd_share)} of the time it had data to send` : "";
      return `${ep(receiver)} ${windowText}${filled}${cap}; ${model}`;
    }
    case "loss_limited":
      return `${ep(sender)} retransmitted ${m.retransmitted_bytes} of ${m.bytes_sent} bytes sent (${(100 * (m.loss_rate ?? 0)).toFixed(1)} %); loss recovery held the congestion window down${m.cwnd_share !== null ? ` (${pct(m.cwnd_share)} of busy time)` : ""}. ${model}`;
    case "congestion_limited":
      if (ruleId === "bottleneck") return bottleneckClaim(m, sender, receiver, model);
      return `${ep(sender)} kept in flight below the window ${ep(receiver)} offered (median in flight ${m.flight_median_bytes ?? "?"} B vs window ${m.rwnd_median_bytes ?? "?"} B) for ${pct(m.cwnd_share ?? 0)} of busy time, with ${m.congestion_signals} retransmission(s)/duplicate ACK(s): the congestion window set the pace. ${model}`;
    case "sender_buffer_limited":
      return `${ep(sender)} kept a flat ${m.flight_max_bytes} B in flight (median ${m.flight_median_bytes} B) while ${ep(receiver)} offered ${m.rwnd_median_bytes} B and nothing was lost: its send buffer, not the network, capped it${cap}; ${model}`;
    case "application_limited":
      if (ruleId === "peer_response")
        return `${ep(sender)} waited for ${ep(receiver)}'s replies for ${pct(m.peer_wait_share ?? 0)} of its busy time: that is the peer's response time (its application), not the sender's, and not TCP. ${model}`;
      return `${ep(sender)} had an open window and nothing to send for ${pct(m.app_own_share ?? m.app_share ?? 0)} of the time (idle gaps of 1 ms or more): the application, not TCP, set the pace. ${model}`;
    case "sender_limited":
      return `${ep(sender)} had the window open and paused in gaps under 1 ms for ${pct(m.sender_share ?? 0)} of its busy time: the sending host could not keep up (CPU, scheduling), not the network or the receiver. ${model}`;
    case "inconclusive":
    case "healthy": {
      if (ruleId === "no_data") return "no payload in either direction (handshake, keep-alives or teardown only).";
      if (ruleId === "sparse_capture")
        return `only ${bytesText(m.bytes_sent)} of the ${bytesText(m.bytes)} ${ep(sender)} sent are in the capture (${pct(m.captured_share ?? 0)}); the rest fell between captured packets (a capture filter, or drops): too little to tell what held it.`;
      if (ruleId === "tiny_transfer") return `${bytesText(m.bytes)} in ${m.data_segments} segment(s): too small for any window to limit it; its time is round trips and the application.`;
      const tput = m.throughput_bytes_per_sec !== null ? ` at ${formatRate(m.throughput_bytes_per_sec)}` : "";
      const shares = SHARES.filter((s) => m[s.measure] !== null)
        .map((s) => `${s.label} ${pct(num(m, s.measure))}`)
        .join(", ");
      return `no limit cost a material share of the time: ${bytesText(m.bytes)} moved${tput}${shares ? ` (busy time: ${shares})` : ""}${m.loss_rate ? `, ${(100 * m.loss_rate).toFixed(2)} % retransmitted` : ", nothing lost"}${mc ? `; the window allowed ${formatRate(mc.window_cap_bytes_per_sec)} at ${rttText}` : ""}.`;
    }
  }
}

/** One connection's verdict. */
/** What a verdict may know of the other connections: the next one of the same client to the same server. */
export interface DiagnoseContext {
  later?: LaterConnection | null;
}

/** The decoded RocketMQ exchanges of a connection (tcp/ evidence's `app.rocketmq`), or null. */
function rocketmqOf(conn: ConnectionEvidence): RocketmqResultLike | null {
  const r = conn.app?.["rocketmq"] as RocketmqResultLike | undefined;
  return r && Array.isArray(r.exchanges) && r.exchanges.length > 0 ? r : null;
}

export function diagnoseConnection(conn: ConnectionEvidence, opts: DiagnoseOptions = {}, ctx: DiagnoseContext = {}): Verdict {
  const t = thresholdsWith(opts.thresholds);
  const key: DirectionKey = dominantDirection(conn);
  const d = conn[key];
  const m = measure(conn, key);
  const rule = classify(CAPTURE_POLICY, m, t);
  const kind = rule.kind;
  const notes: string[] = [];

  if (rule.id === "no_data") {
    return {
      kind,
      direction: null,
      sender: null,
      receiver: null,
      title: verdictTitle(kind, rule.id),
      claim: claimFor(kind, rule.id, m, null, d.sender, d.receiver),
      rule: ruleOf(rule, m, t),
      secondary: null,
      confidence: 1,
      margin: null,
      measures: null,
      model: null,
      fix: null,
      other: null,
      app: null,
      notes: conn.handshake_seen ? [] : ["handshake not captured"],
      badness: 0,
    };
  }

  const mc = crossCheck(kind, m, t);
  const secondary = secondaryOf(CAPTURE_POLICY, rule, m, t);
  const margin = kind === "inconclusive" ? null : marginOf(CAPTURE_POLICY, rule, m, t);
  const confidence = captureConfidence(rule, margin, m);
  if (margin && margin.relative < t.close_margin) notes.push(`close call: ${margin.text}; a small change would give another verdict`);
  if (opts.deadlineSec !== undefined && m.transfer_s !== null) {
    const met = m.transfer_s <= opts.deadlineSec;
    notes.push(`deadline ${durationText(opts.deadlineSec * 1000)} ${met ? "met" : "missed"}: the data took ${secText(m.transfer_s)}${met ? "; nothing needs fixing to meet it" : ""}`);
  }
  if (mc && !mc.agrees && kind !== "healthy" && kind !== "application_limited" && kind !== "sender_limited" && kind !== "inconclusive") {
    notes.push(
      `the model and the capture disagree by ${mc.ratio.toFixed(1)}×: something besides the ${mc.window_source.replace(/_/g, " ")} window also held the transfer`,
    );
  }
  if (m.rtt_source === "handshake") notes.push("no ACK RTT sample: RTT taken from the handshake");
  if (m.rtt_source === null) notes.push("no RTT known: no model cross-check");
  if (m.rwnd_scale_source === "unknown") notes.push("handshake not captured and window scale unknown: advertised windows are raw values");
  if (m.rwnd_scale_source === "inferred") {
    const s = d.rwnd_scale;
    notes.push(`window scale ${s.shift} inferred${s.confidence !== undefined ? ` (confidence ${s.confidence.toFixed(2)})` : ""}${s.reason ? `: ${s.reason}` : ""}`);
  }

  if (kind === "receiver_window_limited" && m.app_share !== null && m.app_share >= t.material_share) {
    notes.push(
      `the sender also had nothing to send for ${pct(m.app_share)} of its busy time (its application, or its own small send buffer): fixing the window alone may not be enough`,
    );
  }

  const otherKey: DirectionKey = key === "c2s" ? "s2c" : "c2s";
  let other: Verdict["other"] = null;
  if (conn[otherKey].bytes > 0) {
    const om = measure(conn, otherKey);
    const or = classify(CAPTURE_POLICY, om, t);
    other = { direction: otherKey, sender: conn[otherKey].sender, bytes: om.bytes, kind: or.kind, rule: or.id };
    notes.push(
      `the other direction (${ep(conn[otherKey].sender)} → ${ep(conn[otherKey].receiver)}) carried ${bytesText(om.bytes)}` +
        (or.kind !== "healthy" ? ` and on its own is ${VERDICT_TITLES[or.kind]}` : ""),
    );
  }

  const rocketmq = rocketmqOf(conn);
  const fix = makeFix({
    kind,
    m,
    sender: d.sender,
    receiver: d.receiver,
    receiverIsServer: key === "c2s",
    zeroWindow: rule.id === "zero_window",
    rule: rule.id,
    protocol: rocketmq ? "rocketmq" : null,
    opts,
  });
  const app = rocketmq
    ? linkRocketmq({
        kind,
        direction: key,
        sender: d.sender,
        receiver: d.receiver,
        measures: m,
        app: rocketmq,
        server: conn.server,
        kernelFamily: kernelFamily(opts.kernel ?? DEFAULT_KERNEL),
        later: ctx.later ?? null,
      })
    : null;

  return {
    kind,
    direction: key,
    sender: d.sender,
    receiver: d.receiver,
    title: secondary ? `${verdictTitle(kind, rule.id)} (${pct(num(m, rule.cost ?? "bytes"))}), then ${secondary.label} (${pct(secondary.share)})` : verdictTitle(kind, rule.id),
    claim: claimFor(kind, rule.id, m, mc, d.sender, d.receiver).trim(),
    rule: ruleOf(rule, m, t),
    secondary,
    confidence,
    margin,
    measures: m,
    model: mc,
    fix,
    other,
    app,
    notes,
    badness: badnessOf(kind, m),
  };
}
