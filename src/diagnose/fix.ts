/**
 * @module diagnose/fix
 * The fix in plain words: which side, which setting, what value. Values come from the model's
 * inverse (requiredForDeadline: smallest window, then smallest SO_RCVBUF whose steady window
 * reaches it under the receiver's kernel rules) for the deadline the user gives; without a
 * deadline the fix names the setting and says how to get a value; with the deadline already met
 * there is no fix (nothing needs fixing — the verdict's note says it was met). RocketMQ's config
 * key is named only when the connection is RocketMQ's: its server port is one of RocketMQ's
 * (9876 name server, 10911/10909/10912 broker) or the decoded protocol says so (`protocol`); on
 * any other port (iperf3's 5201, a web server) no RocketMQ line at all.
 * Rule `bottleneck` (a link that ran full with a standing queue) gets its own words: the path's
 * rate is the limit, not a TCP setting.
 */
import { kernelFamily, requiredForDeadline, formatBytes, formatRate, type DeadlineAnswer, type KernelFamily } from "../model/index.js";
import type { Endpoint } from "../tcp/evidence.js";
import type { VerdictKind } from "./kinds.js";
import type { Measures } from "./measures.js";
import type { DiagnoseOptions, Fix } from "./types.js";
import { pathRateEstimate } from "./claims.js";
import { durationText, endpointText } from "./text.js";

/** RocketMQ remoting ports (name server, broker, broker VIP channel, broker HA). */
export const ROCKETMQ_PORTS: Readonly<Record<number, string>> = { 9876: "name server", 10911: "broker", 10909: "broker (VIP channel)", 10912: "broker (HA)" };

/** Current kernels' rules unless told otherwise: the receiver's kernel is not in a capture. */
export const DEFAULT_KERNEL = { major: 6, minor: 10 };

export interface FixContext {
  kind: VerdictKind;
  m: Measures;
  sender: Endpoint;
  receiver: Endpoint;
  /** The receiver is the connection's server (accepted the SYN). */
  receiverIsServer: boolean;
  /** The blame is zero windows (the reader stopped), not the buffer size. */
  zeroWindow: boolean;
  /** The deciding rule's id (policy.ts), when its words differ from its kind's ("bottleneck"). */
  rule?: string | undefined;
  /**
   * The application protocol a decoder recognised on the connection ("rocketmq", …), when one
   * did: it names RocketMQ's config key whatever the port. Undefined/null: the ports decide.
   */
  protocol?: string | null | undefined;
  opts: DiagnoseOptions;
}

const ep = endpointText;

/**
 * RocketMQ's key for the buffer `side` sets, and who `side` is in RocketMQ's terms — or null when
 * nothing says the connection is RocketMQ's (neither the server's port nor the decoded protocol).
 * @param isServer `side` accepted the connection
 */
export function rocketmqKey(
  side: Endpoint,
  other: Endpoint,
  isServer: boolean,
  what: "Rcv" | "Snd",
  protocol?: string | null,
): { key: string; role: string } | null {
  const server = isServer ? side : other;
  const serverRole = ROCKETMQ_PORTS[server.port];
  if (serverRole === undefined && protocol?.toLowerCase() !== "rocketmq") return null;
  const key = `${isServer ? "server" : "client"}Socket${what}BufSize`;
  const role = isServer ? (serverRole ? `${serverRole} on port ${server.port}` : "server") : "client";
  return { key, role };
}

function blank(side: Fix["side"], endpoint: Endpoint | null, text: string): Fix {
  return {
    side,
    endpoint,
    setting: null,
    value: null,
    window_bytes: null,
    predicted_ms: null,
    deadline_ms: null,
    infeasible_reason: null,
    rocketmq: null,
    kernel_family: null,
    text,
  };
}

/**
 * The deadline part both buffer fixes share: deadline_ms, then either why no `what` meets it (the
 * text says so; returns false) or the window and predicted time at the required value.
 */
function fillDeadline(f: Fix, need: DeadlineAnswer, deadline: number, what: "receive window" | "send buffer", m: Measures, deadlineText: string): boolean {
  f.deadline_ms = deadline * 1000;
  if (!need.feasible) {
    f.infeasible_reason = need.reason ?? "no window meets it";
    f.text = `No ${what} gets ${formatBytes(m.bytes)} through in ${deadlineText} at RTT ${m.rtt_ms} ms: ${f.infeasible_reason}.`;
    return false;
  }
  f.window_bytes = need.requiredWindowBytes ?? null;
  f.predicted_ms = need.predictedMsAtRequired !== undefined ? Math.round(need.predictedMsAtRequired * 1000) / 1000 : null;
  return true;
}

export function makeFix(c: FixContext): Fix | null {
  const { kind, m, sender, receiver, opts } = c;
  const deadline = opts.deadlineSec;
  const kernel = opts.kernel ?? DEFAULT_KERNEL;
  const family: KernelFamily = kernelFamily(kernel);
  const rttSec = m.rtt_ms !== null ? m.rtt_ms / 1000 : null;
  const need =
    deadline !== undefined && rttSec !== null && m.segment > 0 && m.bytes > 0
      ? requiredForDeadline({ sizeBytes: m.bytes, rttSec, segment: m.segment, deadlineSec: deadline, kernel: { mss: m.segment, family } })
      : null;
  const deadlineText = deadline !== undefined ? durationText(deadline * 1000) : "";
  // Met already (as measured, first to last data segment — the verdict's note says so): nothing
  // to raise. The model's inverse would answer with about the window in use, i.e. the value set.
  if (deadline !== undefined && m.transfer_s !== null && m.transfer_s <= deadline) return null;

  switch (kind) {
    case "healthy":
    case "inconclusive":
      return null;

    case "sender_limited":
      return blank(
        "sending_application",
        sender,
        `The sending host ${ep(sender)} could not keep the window full: it paused between sends in gaps under 1 ms (CPU, scheduling, a busy event loop). ` +
          `Give it more CPU or make the writes larger; no socket buffer or network change helps.`,
      );

    case "receiver_window_limited": {
      if (c.zeroWindow) {
        const f = blank("receiving_application", receiver, "");
        f.text =
          `The application reading on ${ep(receiver)} fell behind: the window was closed (zero) for ` +
          `${durationText(m.zero_window_s * 1000)}. Make it read faster or sooner (a bigger SO_RCVBUF only absorbs bursts).`;
        return f;
      }
      const rq = rocketmqKey(receiver, sender, c.receiverIsServer, "Rcv", c.protocol);
      const f = blank("receiver", receiver, "");
      f.setting = "SO_RCVBUF";
      f.kernel_family = family;
      if (need && deadline !== undefined) {
        if (!fillDeadline(f, need, deadline, "receive window", m, deadlineText)) return f;
        f.value = need.requiredRcvbuf ?? null;
        const rqLine = rq && f.value !== null ? `${rq.key}=${f.value}` : null;
        f.rocketmq = rqLine;
        f.text =
          `Raise the receiver's SO_RCVBUF on ${ep(receiver)} to ≥ ${f.value ?? "?"} (set before listen()/connect(); ` +
          `a window ≥ ${f.window_bytes} B on Linux ${family} rules → model ${durationText(f.predicted_ms ?? NaN)} ≤ ${deadlineText}), ` +
          `or stop setting it so autotuning can grow the window.` +
          (need.requiredRcvbufExceedsRmemMax ? ` It exceeds the default net.core.rmem_max: raise that too.` : "") +
          (rq && rqLine ? ` RocketMQ (${rq.role}): ${rqLine} in its config file (the file beats -D).` : "");
        return f;
      }
      f.rocketmq = rq ? `${rq.key}=0` : null;
      f.text =
        `Raise the receiver's SO_RCVBUF on ${ep(receiver)}, or stop setting it so autotuning can grow the window ` +
        `(each doubling of the window halves the time while the window is the limit); ` +
        `give --deadline <time> for the value that meets a time.` +
        (rq ? ` RocketMQ (${rq.role}): remove ${rq.key} from its config file or set it to 0 (the file beats -D).` : "");
      return f;
    }

    case "sender_buffer_limited": {
      const rq = rocketmqKey(sender, receiver, !c.receiverIsServer, "Snd", c.protocol);
      const f = blank("sender", sender, "");
      f.setting = "SO_SNDBUF";
      f.kernel_family = family;
      if (need && deadline !== undefined) {
        if (!fillDeadline(f, need, deadline, "send buffer", m, deadlineText)) return f;
        // The kernel doubles SO_SNDBUF; the second half roughly covers per-segment overhead, so a
        // request equal to the window in flight is the approximate minimum.
        f.value = f.window_bytes;
        f.rocketmq = rq && f.value !== null ? `${rq.key}=${f.value}` : null;
        f.text =
          `Raise the sender's SO_SNDBUF on ${ep(sender)} to ≈ ≥ ${f.value} (≥ ${f.window_bytes} B in flight → model ${durationText(f.predicted_ms ?? NaN)} ≤ ${deadlineText}; ` +
          `the kernel doubles the request to cover overhead), or stop setting it so autotuning (net.ipv4.tcp_wmem) can grow it.` +
          (rq && f.rocketmq ? ` RocketMQ (${rq.role}): ${f.rocketmq} in its config file.` : "");
        return f;
      }
      f.text =
        `Raise the sender's SO_SNDBUF on ${ep(sender)}, or stop setting it so autotuning (net.ipv4.tcp_wmem) can grow it; ` +
        `in flight stayed at ${m.flight_max_bytes ?? "?"} B while the receiver offered ${m.rwnd_median_bytes ?? "?"} B. ` +
        `Give --deadline <time> for a value.`;
      return f;
    }

    case "congestion_limited":
    case "loss_limited": {
      if (c.rule === "bottleneck") return bottleneckFix(c, need?.requiredThroughputBytesPerSec ?? null, deadlineText);
      const f = blank("network", null, "");
      const lost = kind === "loss_limited" ? `${(100 * (m.loss_rate ?? 0)).toFixed(1)} % of the bytes were retransmitted; ` : "";
      f.text =
        `${lost}no socket buffer fixes this: the path between ${ep(sender)} and ${ep(receiver)} drops or queues packets. ` +
        `Look for drops (ss -ti retrans, nstat TcpExtTCPLostRetransmit, interface and switch counters) and competing traffic` +
        (kind === "congestion_limited" ? `; a different congestion control (net.ipv4.tcp_congestion_control=bbr) can help on lossy long paths` : "") +
        (need && deadline !== undefined ? `. The deadline needs ${formatRate(need.requiredThroughputBytesPerSec)} sustained.` : ".");
      if (deadline !== undefined) f.deadline_ms = deadline * 1000;
      return f;
    }

    case "application_limited": {
      const f = blank("sending_application", sender, "");
      f.text =
        `The sending application on ${ep(sender)} left the window open and sent nothing for ` +
        `${(100 * (m.app_share ?? 0)).toFixed(0)} % of the time: the time goes to it (producing data, request/response turns, ` +
        `small writes with Nagle), not to TCP.`;
      return f;
    }
  }
}

/**
 * A bottleneck link: no socket option raises its rate. The fix is the path's rate (a faster or
 * less shared link, shaping or policing removed); a window only sets how long its queue is.
 */
function bottleneckFix(c: FixContext, requiredRate: number | null, deadlineText: string): Fix {
  const { m, sender, receiver, opts } = c;
  const f = blank("network", null, "");
  const est = pathRateEstimate(m) ?? m.throughput_bytes_per_sec;
  const rateText = est !== null ? `, ≈ ${formatRate(est)},` : "";
  const queue = m.rtt_queue_ms !== null ? `its standing queue of ${durationText(m.rtt_queue_ms)}` : "its standing queue";
  f.text =
    `No TCP setting fixes this: the path's rate${rateText} between ${ep(sender)} and ${ep(receiver)} is the limit. ` +
    `A faster or less shared link is the fix (check the link's rate, shaping or policing on the path, and competing flows); ` +
    `a larger window or buffer only lengthens ${queue}, and a smaller one (or BBR, fq_codel) shortens it without raising the rate` +
    (requiredRate !== null
      ? `. The deadline ${deadlineText} needs ${formatRate(requiredRate)} sustained${est !== null && requiredRate > est ? `, more than this path gave` : ""}.`
      : ".");
  if (opts.deadlineSec !== undefined) f.deadline_ms = opts.deadlineSec * 1000;
  return f;
}
