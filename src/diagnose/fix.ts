/**
 * @module diagnose/fix
 * The fix in plain words: which side, which setting, what value. Values come from the model's
 * inverse (requiredForDeadline: smallest window, then smallest SO_RCVBUF whose steady window
 * reaches it under the receiver's kernel rules) for the deadline the user gives; without a
 * deadline the fix names the setting and says how to get a value. RocketMQ's config key is named
 * when the port is a RocketMQ port (9876 name server, 10911/10909 broker), else given as "e.g.".
 */
import { kernelFamily, requiredForDeadline, formatBytes, formatRate, type DeadlineAnswer, type KernelFamily } from "../model/index.js";
import type { Endpoint } from "../tcp/evidence.js";
import type { VerdictKind } from "./kinds.js";
import type { Measures } from "./measures.js";
import type { DiagnoseOptions, Fix } from "./types.js";
import { durationText, endpointText } from "./text.js";

/** RocketMQ remoting ports (name server, broker, broker VIP channel). */
const ROCKETMQ_PORTS: Record<number, string> = { 9876: "name server", 10911: "broker", 10909: "broker (VIP channel)" };

/** Current kernels' rules unless told otherwise: the receiver's kernel is not in a capture. */
const DEFAULT_KERNEL = { major: 6, minor: 10 };

export interface FixContext {
  kind: VerdictKind;
  m: Measures;
  sender: Endpoint;
  receiver: Endpoint;
  /** The receiver is the connection's server (accepted the SYN). */
  receiverIsServer: boolean;
  /** The blame is zero windows (the reader stopped), not the buffer size. */
  zeroWindow: boolean;
  opts: DiagnoseOptions;
}

const ep = endpointText;

function rocketmqKey(side: Endpoint, other: Endpoint, isServer: boolean, what: "Rcv" | "Snd"): { key: string; known: boolean; role: string | null } {
  const role = ROCKETMQ_PORTS[side.port] ?? null;
  if (role && isServer) return { key: `serverSocket${what}BufSize`, known: true, role };
  if (ROCKETMQ_PORTS[other.port] && !isServer) return { key: `clientSocket${what}BufSize`, known: true, role: "client" };
  return { key: isServer ? `serverSocket${what}BufSize` : `clientSocket${what}BufSize`, known: false, role: null };
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
      const rq = rocketmqKey(receiver, sender, c.receiverIsServer, "Rcv");
      const f = blank("receiver", receiver, "");
      f.setting = "SO_RCVBUF";
      f.kernel_family = family;
      if (need && deadline !== undefined) {
        if (!fillDeadline(f, need, deadline, "receive window", m, deadlineText)) return f;
        f.value = need.requiredRcvbuf ?? null;
        const rqLine = f.value !== null ? `${rq.key}=${f.value}` : null;
        f.rocketmq = rqLine;
        f.text =
          `Raise the receiver's SO_RCVBUF on ${ep(receiver)} to ≥ ${f.value ?? "?"} (set before listen()/connect(); ` +
          `a window ≥ ${f.window_bytes} B on Linux ${family} rules → model ${durationText(f.predicted_ms ?? NaN)} ≤ ${deadlineText}), ` +
          `or stop setting it so autotuning can grow the window.` +
          (need.requiredRcvbufExceedsRmemMax ? ` It exceeds the default net.core.rmem_max: raise that too.` : "") +
          (rqLine ? ` RocketMQ ${rq.known ? `(${rq.role} on port ${receiver.port})` : "e.g."}: ${rqLine} in its config file (the file beats -D).` : "");
        return f;
      }
      f.rocketmq = `${rq.key}=0`;
      f.text =
        `Raise the receiver's SO_RCVBUF on ${ep(receiver)}, or stop setting it so autotuning can grow the window ` +
        `(each doubling of the window halves the time while the window is the limit); ` +
        `give --deadline <time> for the value that meets a time. ` +
        `RocketMQ ${rq.known ? `(${rq.role} on port ${receiver.port})` : "e.g."}: remove ${rq.key} from its config file or set it to 0 (the file beats -D).`;
      return f;
    }

    case "sender_buffer_limited": {
      const rq = rocketmqKey(sender, receiver, !c.receiverIsServer, "Snd");
      const f = blank("sender", sender, "");
      f.setting = "SO_SNDBUF";
      f.kernel_family = family;
      if (need && deadline !== undefined) {
        if (!fillDeadline(f, need, deadline, "send buffer", m, deadlineText)) return f;
        // The kernel doubles SO_SNDBUF; the second half roughly covers per-segment overhead, so a
        // request equal to the window in flight is the approximate minimum.
        f.value = f.window_bytes;
        f.rocketmq = f.value !== null ? `${rq.key}=${f.value}` : null;
        f.text =
          `Raise the sender's SO_SNDBUF on ${ep(sender)} to ≈ ≥ ${f.value} (≥ ${f.window_bytes} B in flight → model ${durationText(f.predicted_ms ?? NaN)} ≤ ${deadlineText}; ` +
          `the kernel doubles the request to cover overhead), or stop setting it so autotuning (net.ipv4.tcp_wmem) can grow it.` +
          (f.rocketmq ? ` RocketMQ ${rq.known ? `(${rq.role})` : "e.g."}: ${f.rocketmq}.` : "");
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
