/**
 * @module diagnose/rocketmq-link
 * The verdict that links the two layers: a RocketMQ exchange that was slow (timed out, or took
 * most of its timeout) on a connection whose verdict blames a TCP limit is named — code, name,
 * opaque, size — with the receiver and its window, the arithmetic (window per round trip → the
 * request's time, against the timeout) and the RocketMQ setting that changes it. The incident's
 * author searched the capture for exactly this by hand: REGISTER_BROKER, opaque 849859871,
 * 2 079 208 bytes, answered after 3.18 s against a 3 s timeout, the name server's window two
 * segments because its config file said serverSocketRcvBufSize=1024.
 *
 * Pure: reads the protocol's evidence structurally (protocols/rocketmq's RocketmqResult has these
 * fields), so diagnose/ does not depend on how the decoder builds it.
 */
import { formatBytes, predictTransfer, requiredForDeadline, type KernelFamily } from "../model/index.js";
import type { Endpoint } from "../tcp/evidence.js";
import type { VerdictKind } from "./kinds.js";
import type { Measures } from "./measures.js";
import { durationText, endpointText } from "./text.js";

/** What is read of one exchange (protocols/rocketmq RocketmqExchange). */
export interface RocketmqExchangeLike {
  /** 0: the client sent the request (c2s), 1: the server did. */
  dir: 0 | 1;
  opaque: number;
  code: number | null;
  name: string | null;
  oneway: boolean;
  version_name: string | null;
  request_bytes: number | null;
  request_first_ns: number | null;
  request_acked_ns: number | null;
  response_code: number | null;
  response_name: string | null;
  response_remark: string | null;
  response_last_ns: number | null;
  latency_us: number | null;
  timeout_ms: number;
  timed_out: boolean | null;
  implied_timeout_ms?: number | undefined;
  timeout_note?: string | undefined;
}

export interface RocketmqResultLike {
  exchanges: readonly RocketmqExchangeLike[];
  closes: readonly { dir: 0 | 1; how: "fin" | "rst"; ts_ns: number }[];
  timeout_ms: number;
}

/** A later connection of the same client to the same server (the broker's next period). */
export interface LaterConnection {
  stream: number;
  start_s: number;
  handshake_seen: boolean;
}

export interface ExchangeLink {
  protocol: "rocketmq";
  exchanges: number;
  timed_out: number;
  /** The exchange the verdict is about (the slowest slow request in the judged direction), or null. */
  exchange: {
    code: number | null;
    name: string | null;
    opaque: number;
    version_name: string | null;
    request_bytes: number;
    /** Request first byte → response last byte; null: no response seen. */
    latency_ms: number | null;
    /** Request first byte → its last byte acknowledged; null: not acknowledged in the capture. */
    acked_ms: number | null;
    timeout_ms: number;
    timed_out: boolean | null;
    response_code: number | null;
    response_name: string | null;
  } | null;
  /** The request's time by the model at the window the verdict blames and the connection's RTT. */
  model: { window_bytes: number; rtt_ms: number; segment_bytes: number; predicted_ms: number; over_timeout: boolean; formula: string } | null;
  /** RocketMQ's setting to change, and the value the model says meets the timeout. */
  setting: { key: string; where: string; value: number | null; text: string } | null;
  /**
   * The requester gave up (clientCloseSocketIfTimeout): its close (FIN/RST, when the capture has
   * it; a FIN waits behind the request's queued bytes) and the next period's new connection.
   */
  closed_after_timeout: { how: "fin" | "rst" | null; after_ms: number | null; reconnect_stream: number | null; reconnect_after_ms: number | null } | null;
  /** The sentences, in order, as the text output prints them. */
  text: string[];
}

/** Codes a name server answers (the receiver of these requests is a name server). */
const NAMESRV_CODES = new Set([100, 101, 102, 103, 104, 105, 106, 206, 216, 217, 219, 318, 319, 322]);

/** An exchange is slow when it timed out or took at least this share of its timeout. */
const SLOW_SHARE = 0.5;
/** A close this long before the timeout is not the timeout's (timers and clocks differ a little). */
const CLOSE_SLACK_MS = 50;

export interface LinkInput {
  kind: VerdictKind;
  direction: "c2s" | "s2c" | null;
  sender: Endpoint | null;
  receiver: Endpoint | null;
  measures: Measures | null;
  app: RocketmqResultLike;
  server: Endpoint;
  kernelFamily: KernelFamily;
  later: LaterConnection | null;
}

function roleOf(code: number | null, server: Endpoint, receiverIsServer: boolean): string {
  if (!receiverIsServer) return "the client";
  if (server.port === 9876 || (code !== null && NAMESRV_CODES.has(code))) return "the name server";
  if (server.port === 10911 || server.port === 10909) return "the broker";
  return "the server";
}

const latencyMs = (e: RocketmqExchangeLike): number | null => (e.latency_us !== null ? e.latency_us / 1000 : null);

/** How long the exchange had been waiting when the capture last saw it, ms (latency, or until the close/end). */
function waitedMs(e: RocketmqExchangeLike, closeNs: number | null): number {
  const l = latencyMs(e);
  if (l !== null) return l;
  if (e.request_first_ns === null || closeNs === null) return 0;
  return (closeNs - e.request_first_ns) / 1e6;
}

function exchangeName(e: { code: number | null; name: string | null; opaque: number }): string {
  return `${e.name ?? "request"}${e.code !== null ? ` (code ${e.code})` : ""}, opaque ${e.opaque}`;
}

export function linkRocketmq(x: LinkInput): ExchangeLink {
  const { app } = x;
  const dir = x.direction === "s2c" ? 1 : 0;
  const lastClose = app.closes.length > 0 ? app.closes[app.closes.length - 1]!.ts_ns : null;
  const requests = app.exchanges.filter((e) => e.code !== null && !e.oneway);
  const out: ExchangeLink = {
    protocol: "rocketmq",
    exchanges: requests.length,
    timed_out: requests.filter((e) => e.timed_out === true).length,
    exchange: null,
    model: null,
    setting: null,
    closed_after_timeout: null,
    text: [],
  };
  // The slowest slow request the judged direction sent.
  let pick: RocketmqExchangeLike | null = null;
  for (const e of requests) {
    if (e.dir !== dir || e.request_bytes === null) continue;
    const slow = e.timed_out === true || waitedMs(e, lastClose) >= SLOW_SHARE * e.timeout_ms;
    if (slow && (pick === null || waitedMs(e, lastClose) > waitedMs(pick, lastClose))) pick = e;
  }
  if (pick === null) {
    if (out.timed_out > 0) out.text.push(`${out.timed_out} of ${out.exchanges} RocketMQ requests timed out, none of them in the direction judged here.`);
    return out;
  }
  const e = pick;
  const size = e.request_bytes!;
  const lat = latencyMs(e);
  const acked = e.request_acked_ns !== null && e.request_first_ns !== null ? (e.request_acked_ns - e.request_first_ns) / 1e6 : null;
  out.exchange = {
    code: e.code,
    name: e.name,
    opaque: e.opaque,
    version_name: e.version_name,
    request_bytes: size,
    latency_ms: lat,
    acked_ms: acked,
    timeout_ms: e.timeout_ms,
    timed_out: e.timed_out,
    response_code: e.response_code,
    response_name: e.response_name,
  };

  const timeoutText = durationText(e.timeout_ms);
  const when =
    lat !== null
      ? `answered after ${durationText(lat)}${e.timed_out ? ` — past the ${timeoutText} timeout, so the sender had already given up` : ` (timeout ${timeoutText})`}`
      : e.timed_out
        ? `no response within the ${timeoutText} timeout`
        : `no response seen (timeout ${timeoutText})`;
  const ackText = acked !== null ? `; its last byte was acknowledged ${durationText(acked)} after its first` : "";
  out.text.push(`RocketMQ ${exchangeName(e)}: a ${formatBytes(size)} request (${size} B)${e.version_name ? ` from ${e.version_name}` : ""}, ${when}${ackText}.`);
  if (e.timeout_note) out.text.push(e.timeout_note);

  // A requester that gave up closes the channel (clientCloseSocketIfTimeout, default since 4.9.1);
  // its FIN follows whatever of the request was still queued, so it may come long after the
  // timeout, or not at all within the capture. The next period connects anew.
  if (e.timed_out && e.request_first_ns !== null) {
    const from = e.request_first_ns + (e.timeout_ms - CLOSE_SLACK_MS) * 1e6;
    const c = app.closes.find((k) => k.dir === e.dir && k.ts_ns >= from) ?? null;
    const laterNs = x.later ? x.later.start_s * 1e9 : null;
    const reconnect = laterNs !== null && laterNs > e.request_first_ns ? x.later : null;
    if (c || reconnect) {
      out.closed_after_timeout = {
        how: c?.how ?? null,
        after_ms: c ? (c.ts_ns - e.request_first_ns) / 1e6 : null,
        reconnect_stream: reconnect?.stream ?? null,
        reconnect_after_ms: reconnect ? (laterNs! - e.request_first_ns) / 1e6 : null,
      };
      const who = x.sender ? endpointText(x.sender) : "the requester";
      const k = out.closed_after_timeout;
      const parts: string[] = [];
      if (k.how !== null && k.after_ms !== null) {
        parts.push(
          `${who} closed the connection (${k.how.toUpperCase()} ${durationText(k.after_ms)} after the request began${k.how === "fin" ? ", behind the request bytes still queued" : ""})`,
        );
      }
      if (k.reconnect_stream !== null && k.reconnect_after_ms !== null) {
        parts.push(`${parts.length ? "and " : `${who} `}connected again ${durationText(k.reconnect_after_ms)} after it (tcp.stream ${k.reconnect_stream}${reconnect!.handshake_seen ? ", a new SYN" : ""}): the next period's attempt`);
      }
      out.text.push(`Past the timeout RocketMQ gives up and closes the channel (clientCloseSocketIfTimeout): ${parts.join(" ")}.`);
    }
  }

  const m = x.measures;
  if (x.kind !== "receiver_window_limited" || !m || !x.receiver || m.rtt_ms === null || m.segment <= 0) {
    if (x.kind !== "healthy" && x.kind !== "inconclusive") out.text.push(`The connection's verdict (${x.kind.replace(/_/g, " ")}) is what held this request.`);
    return out;
  }
  const window = m.rwnd_median_bytes !== null && m.rwnd_median_bytes > 0 ? m.rwnd_median_bytes : m.flight_max_bytes;
  if (window === null || window <= 0) return out;
  const rttSec = m.rtt_ms / 1000;
  const rttText = m.rtt_ms >= 10 ? m.rtt_ms.toFixed(1) : m.rtt_ms.toFixed(2);
  const p = predictTransfer({ sizeBytes: size, rttSec, segment: m.segment, windowBytes: window });
  const rounds = Math.ceil(size / window);
  const over = p.predictedMs > e.timeout_ms;
  out.model = {
    window_bytes: window,
    rtt_ms: m.rtt_ms,
    segment_bytes: m.segment,
    predicted_ms: Math.round(p.predictedMs * 1000) / 1000,
    over_timeout: over,
    formula: `${size} B ÷ ${window} B per round trip = ${rounds} round trips × ${rttText} ms = ${durationText(rounds * m.rtt_ms)}`,
  };
  const segs = window / m.segment;
  const segText = Number.isInteger(segs) ? (segs === 1 ? ` (one segment of ${m.segment} B)` : ` (${segs} segments of ${m.segment} B)`) : "";
  const receiverIsServer = x.direction === "c2s";
  const role = roleOf(e.code, x.server, receiverIsServer);
  out.text.push(
    `The request was held by the receiver's window: ${role} ${endpointText(x.receiver)} advertised ${window} B${segText}. ` +
      `At RTT ${rttText} ms: ${out.model.formula}; the model says ${durationText(p.predictedMs)}` +
      (over ? `, over the ${timeoutText} timeout — this request cannot succeed at that window.` : ` against the ${timeoutText} timeout.`),
  );

  // The setting: RocketMQ's own key, in the config file, which beats the -D property.
  const key = receiverIsServer ? "serverSocketRcvBufSize" : "clientSocketRcvBufSize";
  const need = requiredForDeadline({ sizeBytes: size, rttSec, segment: m.segment, deadlineSec: e.timeout_ms / 1000 / 2, kernel: { mss: m.segment, family: x.kernelFamily } });
  const value = need.feasible && need.requiredRcvbuf !== undefined ? need.requiredRcvbuf : null;
  const where = receiverIsServer ? `${role}'s config file (its -c properties file)` : "the client's config";
  const sys = "-Dcom.rocketmq.remoting.socket.rcvbuf.size";
  out.setting = {
    key,
    where,
    value,
    text:
      `Fix ${role}: set ${key}=${value ?? "a larger value"} in ${where}` +
      (value !== null ? `: the model then gives ${durationText(need.predictedMsAtRequired ?? NaN)}, within half the ${timeoutText} timeout (Linux ${x.kernelFamily} rules)` : "") +
      `; or remove the key (RocketMQ ≥ 4.9.3 then leaves the buffer to the kernel's autotuning). ` +
      `The file's value wins over ${sys}: raising only the -D property changes nothing.`,
  };
  out.text.push(out.setting.text);
  return out;
}
