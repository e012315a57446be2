/**
 * @module model/model
 * One call that answers `tcpwin model`: given what the user knows (size, RTT, MSS, a window or
 * the SO_RCVBUF that yields it, a bandwidth, a deadline), the prediction and the arithmetic
 * behind it. Everything the machine would tell (kernel version, rmem_max) comes in as input.
 */
import { kernelFamily, rcvbufToWindow, type KernelFamily, type KernelVersion, type RcvbufWindow } from "./linux-window.js";
import { predictTransfer, type Bottleneck } from "./transfer.js";
import { KERNEL_FAMILIES, requiredForDeadline, type DeadlineAnswer } from "./inverse.js";
import { formatBytes, formatMs, formatRate } from "./units.js";

export interface ModelRequest {
  sizeBytes: number;
  rttSec: number;
  mss: number;
  /** Advertised receive window in bytes (exclusive with rcvbuf). */
  windowBytes?: number | undefined;
  /** SO_RCVBUF request; null = kernel default (no setsockopt, autotuning). */
  rcvbuf?: number | null | undefined;
  bandwidthBps?: number | undefined;
  kernel: KernelVersion;
  /** Where the kernel version came from, for the explanation ("this machine", "--kernel"). */
  kernelSource?: string;
  timestamps?: boolean;
  deadlineSec?: number | undefined;
  rmemMax?: number | undefined;
  tcpRmem?: readonly [number, number, number] | undefined;
}

export interface ModelResult {
  predicted_ms: number;
  /** The incident's rule, size / window × RTT. */
  simple_ms: number;
  /** ceil(size / window) × RTT. */
  ceil_ms: number;
  window_bytes: number;
  /** Which window the prediction used: "given", "steady" (from --rcvbuf). */
  window_source: "given" | "steady";
  /** Autotuning: the receive window of the first round (the SYN-ACK's), doubling per round up to window_bytes. */
  window_initial?: number;
  round_trips: number;
  slow_start_rounds: number;
  /** Rounds bound by the autotuned receive window still growing. */
  window_growth_rounds: number;
  bottleneck: Bottleneck;
  throughput_bytes_per_sec: number;
  size_bytes: number;
  rtt_ms: number;
  mss: number;
  segment_bytes: number;
  timestamps: boolean;
  bandwidth_bps?: number;
  kernel: string;
  kernel_family: KernelFamily;
  rcvbuf_requested?: number | null;
  rcvbuf_effective?: number;
  rcvbuf_locked?: boolean;
  rmem_max?: number;
  exceeds_rmem_max?: boolean;
  window_syn?: number;
  window_steady?: number;
  wscale?: number;
  deadline_ms?: number;
  deadline_met?: boolean;
  deadline_feasible?: boolean;
  required_window_bytes?: number | null;
  required_rcvbuf?: number | null;
  /** RocketMQ's serverSocketRcvBufSize / clientSocketRcvBufSize is passed to SO_RCVBUF as is. */
  required_rocketmq_socket_rcvbuf_size?: number | null;
  required_rcvbuf_exceeds_rmem_max?: boolean;
  /** The smallest SO_RCVBUF for that window under each kernel family's rules (null: none up to 1 GiB). */
  required_rcvbuf_by_family?: Record<KernelFamily, number | null>;
  required_throughput_bytes_per_sec?: number;
  /** The deadline's bandwidth-delay product: required throughput × RTT, bytes. */
  required_bdp_bytes?: number;
  bdp_bytes?: number;
  /** Lines a person can check by hand. */
  explanation: string[];
}

/** The inverse question alone: no current window, only what a deadline needs. */
export interface InverseRequest {
  sizeBytes: number;
  rttSec: number;
  mss: number;
  deadlineSec: number;
  bandwidthBps?: number | undefined;
  kernel: KernelVersion;
  kernelSource?: string;
  timestamps?: boolean;
  rmemMax?: number | undefined;
  tcpRmem?: readonly [number, number, number] | undefined;
}

export interface InverseResult {
  question: "inverse";
  size_bytes: number;
  rtt_ms: number;
  mss: number;
  segment_bytes: number;
  timestamps: boolean;
  bandwidth_bps?: number;
  deadline_ms: number;
  deadline_feasible: boolean;
  /** Why no window meets the deadline, when none does. */
  infeasible_reason?: string;
  /** Smallest window (whole segments) meeting the deadline. */
  required_window_bytes: number | null;
  required_window_segments: number | null;
  /** The model's time at that window. */
  predicted_ms_at_required: number | null;
  /** Smallest SO_RCVBUF on `kernel` (its family's rules). */
  kernel: string;
  kernel_family: KernelFamily;
  required_rcvbuf: number | null;
  /** RocketMQ's serverSocketRcvBufSize / clientSocketRcvBufSize is passed to SO_RCVBUF as is. */
  required_rocketmq_socket_rcvbuf_size: number | null;
  rmem_max?: number;
  required_rcvbuf_exceeds_rmem_max: boolean;
  required_rcvbuf_by_family: Record<KernelFamily, number | null>;
  required_throughput_bytes_per_sec: number;
  /** Required throughput × RTT: the bytes in flight a steady transfer needs. */
  required_bdp_bytes: number;
  /** Bandwidth × RTT when --bandwidth is given. */
  bdp_bytes?: number;
  explanation: string[];
}

/** `tcpwin model --deadline` without --window/--rcvbuf: the smallest window and SO_RCVBUF that meet it. */
export function runInverse(req: InverseRequest): InverseResult {
  const family = kernelFamily(req.kernel);
  const timestamps = req.timestamps ?? false;
  const segment = timestamps ? req.mss - 12 : req.mss;
  const kernelText = `${req.kernel.major}.${req.kernel.minor}`;
  const d = requiredForDeadline({
    sizeBytes: req.sizeBytes,
    rttSec: req.rttSec,
    segment,
    deadlineSec: req.deadlineSec,
    bandwidthBps: req.bandwidthBps,
    kernel: { mss: req.mss, timestamps, family, rmemMax: req.rmemMax, tcpRmem: req.tcpRmem },
    allFamilies: true,
  });
  const deadlineMs = req.deadlineSec * 1000;
  const byFamily = d.requiredRcvbufByFamily ?? { "pre-6.6": null, "6.6-6.9": null, "6.10+": null };
  const result: InverseResult = {
    question: "inverse",
    size_bytes: req.sizeBytes,
    rtt_ms: round3(req.rttSec * 1000),
    mss: req.mss,
    segment_bytes: segment,
    timestamps,
    ...(req.bandwidthBps !== undefined ? { bandwidth_bps: req.bandwidthBps } : {}),
    deadline_ms: round3(deadlineMs),
    deadline_feasible: d.feasible,
    ...(d.reason !== undefined ? { infeasible_reason: d.reason } : {}),
    required_window_bytes: d.requiredWindowBytes ?? null,
    required_window_segments: d.requiredWindowBytes !== undefined ? d.requiredWindowBytes / segment : null,
    predicted_ms_at_required: d.predictedMsAtRequired !== undefined ? round3(d.predictedMsAtRequired) : null,
    kernel: kernelText,
    kernel_family: family,
    required_rcvbuf: d.requiredRcvbuf ?? null,
    required_rocketmq_socket_rcvbuf_size: d.requiredRcvbuf ?? null,
    ...(req.rmemMax !== undefined ? { rmem_max: req.rmemMax } : {}),
    required_rcvbuf_exceeds_rmem_max: d.requiredRcvbufExceedsRmemMax ?? false,
    required_rcvbuf_by_family: byFamily,
    required_throughput_bytes_per_sec: Math.round(d.requiredThroughputBytesPerSec),
    required_bdp_bytes: round3(d.requiredBdpBytes),
    ...(d.bdpBytes !== undefined ? { bdp_bytes: d.bdpBytes } : {}),
    explanation: [],
  };

  const e = result.explanation;
  const rttMs = req.rttSec * 1000;
  e.push(
    `deadline ${formatMs(deadlineMs)} for ${req.sizeBytes} B: ≥ ${formatRate(d.requiredThroughputBytesPerSec)} sustained; ` +
      `× RTT ${rttMs} ms = ${trimBytes(d.requiredBdpBytes)} B in flight (the deadline's bandwidth-delay product)`,
  );
  if (!d.feasible) {
    e.push(`no receive window meets it: ${d.reason}`);
    if (d.bdpBytes !== undefined) e.push(`bandwidth-delay product of the link: ${d.bdpBytes} B (${formatBytes(d.bdpBytes)})`);
    return result;
  }
  const w = d.requiredWindowBytes!;
  const less =
    w > segment
      ? predictTransfer({ sizeBytes: req.sizeBytes, rttSec: req.rttSec, segment, windowBytes: w - segment, bandwidthBps: req.bandwidthBps }).predictedMs
      : undefined;
  e.push(
    `smallest window: ${w} B (${w / segment} × ${segment}) → ${formatMs(d.predictedMsAtRequired!)}` +
      (less !== undefined ? `; one segment less (${w - segment} B) → ${formatMs(less)}` : "") +
      ` (whole round trips, slow start from 10 × ${segment})`,
  );
  e.push(`smallest SO_RCVBUF whose steady window is ≥ ${w} B, per kernel family:`);
  for (const f of KERNEL_FAMILIES) {
    const v = byFamily[f];
    const mark = f === family ? `   ← Linux ${kernelText}${req.kernelSource ? ` (${req.kernelSource})` : ""}` : "";
    e.push(`  ${f.padEnd(8)} ${v === null ? "none up to 1 GiB" : `${v} (${formatBytes(v)})`}${mark}`);
  }
  if (d.requiredRcvbuf !== undefined) {
    e.push(
      `RocketMQ: serverSocketRcvBufSize=${d.requiredRcvbuf} (clientSocketRcvBufSize for the client side) on ${kernelText}` +
        (d.requiredRcvbufExceedsRmemMax ? ` — above rmem_max ${req.rmemMax}: raise net.core.rmem_max too` : ""),
    );
  }
  if (d.bdpBytes !== undefined) e.push(`bandwidth-delay product of the link: ${d.bdpBytes} B (${formatBytes(d.bdpBytes)})`);
  return result;
}

function trimBytes(x: number): string {
  return Number.isInteger(x) ? String(x) : x >= 1e6 ? x.toFixed(0) : x.toFixed(1);
}

export function runModel(req: ModelRequest): ModelResult {
  const family = kernelFamily(req.kernel);
  const timestamps = req.timestamps ?? false;
  const segment = timestamps ? req.mss - 12 : req.mss;
  const kernelText = `${req.kernel.major}.${req.kernel.minor}`;
  const explanation: string[] = [];

  let win: RcvbufWindow | undefined;
  let windowBytes: number;
  let initialWindow: number | undefined;
  // Bytes per segment the sender actually sends: the receiver's MSS, or half a tiny SYN-ACK window.
  let sendSegment = segment;
  if (req.rcvbuf !== undefined) {
    win = rcvbufToWindow({
      requested: req.rcvbuf ?? undefined,
      mss: req.mss,
      timestamps,
      family,
      rmemMax: req.rmemMax,
      tcpRmem: req.tcpRmem,
    });
    windowBytes = win.windowSteady;
    sendSegment = win.sendSegment;
    explanation.push(`Linux ${kernelText} (${family} rules${req.kernelSource ? `, ${req.kernelSource}` : ""}):`);
    for (const s of win.steps) explanation.push(`  ${s}`);
    if (win.locked) {
      explanation.push(`  window scale ${win.wscale}; predicting with the steady window ${windowBytes} B (SYN-ACK shows ${win.windowSyn} B)`);
    } else {
      // Autotuning: the first round is offered the SYN-ACK's window; it grows while the reader keeps up.
      initialWindow = win.windowSyn;
      explanation.push(
        `  window scale ${win.wscale}; the receive window starts at the SYN-ACK's ${win.windowSyn} B and roughly doubles per round trip ` +
          `while the reader keeps up (tcp_rcv_space_adjust), up to ${windowBytes} B`,
      );
    }
  } else if (req.windowBytes !== undefined) {
    windowBytes = req.windowBytes;
  } else {
    throw new RangeError("runModel needs windowBytes or rcvbuf");
  }

  const p = predictTransfer({
    sizeBytes: req.sizeBytes,
    rttSec: req.rttSec,
    segment: sendSegment,
    windowBytes,
    bandwidthBps: req.bandwidthBps,
    initialWindowBytes: initialWindow,
  });
  const rttMs = req.rttSec * 1000;
  const segs = windowBytes / sendSegment;
  const segText = Number.isInteger(segs) ? ` (${segs} × ${sendSegment})` : "";
  // The incident's rule (size / window × RTT) is about a fixed window; an autotuned one is not fixed.
  if (initialWindow === undefined) {
    explanation.push(
      `size / window × RTT = ${req.sizeBytes} / ${windowBytes}${segText} × ${rttMs} ms = ${p.simpleMs.toFixed(1)} ms`,
    );
    explanation.push(
      `whole round trips: ceil(${req.sizeBytes} / ${windowBytes}) = ${Math.ceil(req.sizeBytes / windowBytes)} × ${rttMs} ms = ${p.ceilMs.toFixed(1)} ms` +
        (Math.abs(p.ceilMs - p.simpleMs) / Math.max(p.simpleMs, 1e-9) > 0.001 || p.ceilMs - p.simpleMs >= 0.5
          ? ` (rounding adds ${(p.ceilMs - p.simpleMs).toFixed(1)} ms)`
          : ""),
    );
  }
  if (p.slowStartRounds > 0) {
    explanation.push(
      `slow start: cwnd starts at 10 × ${sendSegment} = ${p.initialCwndBytes} B and doubles per round; ${p.slowStartRounds} round(s) bound by it before the window is reached`,
    );
  }
  if (p.windowGrowthRounds > 0) {
    explanation.push(`receive-window growth: ${p.windowGrowthRounds} round(s) bound by the autotuned window still growing`);
  }
  if (req.bandwidthBps !== undefined) {
    explanation.push(
      `bandwidth cap ${formatRate(req.bandwidthBps / 8)}: window/RTT = ${formatRate(windowBytes / Math.max(req.rttSec, 1e-12))}` +
        (p.bottleneck === "bandwidth" ? " exceeds it, so the link sets the pace" : ", below the link rate"),
    );
  }
  explanation.push(
    `predicted: ${formatMs(p.predictedMs)} over ${p.roundTrips} round trips, bound by ${p.bottleneck}; ` +
      `steady throughput ${formatRate(p.throughputBytesPerSec)}`,
  );

  const result: ModelResult = {
    predicted_ms: round3(p.predictedMs),
    simple_ms: round3(p.simpleMs),
    ceil_ms: round3(p.ceilMs),
    window_bytes: windowBytes,
    window_source: win ? "steady" : "given",
    ...(initialWindow !== undefined ? { window_initial: initialWindow } : {}),
    round_trips: p.roundTrips,
    slow_start_rounds: p.slowStartRounds,
    window_growth_rounds: p.windowGrowthRounds,
    bottleneck: p.bottleneck,
    throughput_bytes_per_sec: Math.round(p.throughputBytesPerSec),
    size_bytes: req.sizeBytes,
    rtt_ms: round3(rttMs),
    mss: req.mss,
    segment_bytes: sendSegment,
    timestamps,
    kernel: kernelText,
    kernel_family: family,
    explanation,
  };
  if (req.bandwidthBps !== undefined) result.bandwidth_bps = req.bandwidthBps;
  if (win) {
    result.rcvbuf_requested = win.requested ?? null;
    result.rcvbuf_effective = win.rcvbufEffective;
    result.rcvbuf_locked = win.locked;
    result.rmem_max = win.rmemMax;
    result.exceeds_rmem_max = win.exceedsRmemMax;
    result.window_syn = win.windowSyn;
    result.window_steady = win.windowSteady;
    result.wscale = win.wscale;
    if (win.exceedsRmemMax) {
      explanation.push(
        `warning: SO_RCVBUF ${win.requested} exceeds net.core.rmem_max ${win.rmemMax}; the kernel silently used ${win.rmemMax} (raise rmem_max or use SO_RCVBUFFORCE)`,
      );
    }
  }

  if (req.deadlineSec !== undefined) addDeadline(result, req, segment, family);
  return result;
}

function addDeadline(result: ModelResult, req: ModelRequest, segment: number, family: KernelFamily): void {
  const d: DeadlineAnswer = requiredForDeadline({
    sizeBytes: req.sizeBytes,
    rttSec: req.rttSec,
    segment,
    deadlineSec: req.deadlineSec!,
    bandwidthBps: req.bandwidthBps,
    kernel: { mss: req.mss, timestamps: req.timestamps ?? false, family, rmemMax: req.rmemMax, tcpRmem: req.tcpRmem },
    allFamilies: true,
  });
  const deadlineMs = req.deadlineSec! * 1000;
  result.deadline_ms = round3(deadlineMs);
  result.deadline_met = result.predicted_ms <= deadlineMs;
  result.deadline_feasible = d.feasible;
  result.required_window_bytes = d.requiredWindowBytes ?? null;
  result.required_rcvbuf = d.requiredRcvbuf ?? null;
  result.required_rocketmq_socket_rcvbuf_size = d.requiredRcvbuf ?? null;
  result.required_rcvbuf_exceeds_rmem_max = d.requiredRcvbufExceedsRmemMax ?? false;
  if (d.requiredRcvbufByFamily) result.required_rcvbuf_by_family = d.requiredRcvbufByFamily;
  result.required_throughput_bytes_per_sec = Math.round(d.requiredThroughputBytesPerSec);
  result.required_bdp_bytes = round3(d.requiredBdpBytes);
  if (d.bdpBytes !== undefined) result.bdp_bytes = d.bdpBytes;

  const e = result.explanation;
  e.push(`deadline ${formatMs(deadlineMs)}: ${result.deadline_met ? "met" : "MISSED"} at the current window (${formatMs(result.predicted_ms)})`);
  if (!d.feasible) {
    e.push(`no receive window meets it: ${d.reason}`);
    return;
  }
  const w = d.requiredWindowBytes!;
  e.push(
    `needs a window ≥ ${w} B (${w / segment} × ${segment}) → ${formatMs(d.predictedMsAtRequired!)}; ` +
      `i.e. ≥ ${formatRate(d.requiredThroughputBytesPerSec)} sustained`,
  );
  if (d.requiredRcvbuf !== undefined) {
    e.push(
      `smallest SO_RCVBUF giving that steady window on ${family}: ${d.requiredRcvbuf} (${formatBytes(d.requiredRcvbuf)}); ` +
        `RocketMQ: serverSocketRcvBufSize=${d.requiredRcvbuf}` +
        (d.requiredRcvbufExceedsRmemMax ? ` — above rmem_max ${req.rmemMax}: raise net.core.rmem_max too` : ""),
    );
  }
  if (d.bdpBytes !== undefined) e.push(`bandwidth-delay product for reference: ${d.bdpBytes} B (${formatBytes(d.bdpBytes)})`);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
