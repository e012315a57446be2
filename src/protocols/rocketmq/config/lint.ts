/**
 * @module protocols/rocketmq/config/lint
 * What each resolved RocketMQ buffer setting does on Linux (src/model's SO_RCVBUF → window rules)
 * and the findings worth a person's attention: a window too small for a body within the timeout,
 * a file value RocketMQ silently ignored, a file overriding a -D, duplicate or misspelt keys, a -D
 * that stops the JVM. Pure: the machine's facts (kernel, rmem_max) come in as input.
 */
import { predictTransfer, rcvbufToWindow, requiredForDeadline, type KernelFamily } from "../../../model/index.js";
import type { ParsedProperties } from "./java-properties.js";
import { SOCKET_BUFFER_SETTINGS, type ResolvedSetting, type SocketBufferSetting } from "./resolve.js";

/** SOCK_MIN_SNDBUF = 2 × (2048 + SKB_DATA_ALIGN(sizeof(struct sk_buff))) on x86-64 (net/core/sock.c). */
export const SOCK_MIN_SNDBUF = 4608;
/** Default net.core.wmem_max. */
export const DEFAULT_WMEM_MAX = 212_992;
const DEFAULT_TCP_WMEM: readonly [number, number, number] = [4096, 16384, 4194304];

export interface LintInput {
  mss: number;
  timestamps?: boolean;
  family: KernelFamily;
  rmemMax?: number | undefined;
  wmemMax?: number | undefined;
  tcpRmem?: readonly [number, number, number] | undefined;
  tcpWmem?: readonly [number, number, number] | undefined;
  rttSec?: number | undefined;
  bandwidthBps?: number | undefined;
  bodyBytes?: number | undefined;
  timeoutMs: number;
}

export interface KernelView {
  /** sk_rcvbuf / sk_sndbuf (what `ss -m` shows as rb / tb). */
  skBuf: number;
  locked: boolean;
  /** Receive side only. */
  windowSyn?: number;
  windowSteady?: number;
  wscale?: number;
  /** The cap on the request: rmem_max / wmem_max was lower. */
  exceedsMax: boolean;
  steps: string[];
}

export interface TransferLint {
  body_bytes: number;
  rtt_ms: number;
  /** Model's time for the body through this buffer; for a send buffer, a lower bound. */
  predicted_ms: number;
  bound: "model" | "lower_bound";
  timeout_ms: number;
  over_timeout: boolean;
  /** Smallest request meeting the timeout on this kernel (receive side), when one exists. */
  required_value?: number;
}

export type FindingCode =
  | "over_timeout"
  | "file_value_ignored"
  | "file_overrides_jvm"
  | "jvm_value_breaks_startup"
  | "duplicate_key"
  | "misspelt_key"
  | "exceeds_max"
  | "kernel_autotuning"
  | "malformed_file";

export interface Finding {
  code: FindingCode;
  severity: "error" | "warning" | "info";
  setting?: SocketBufferSetting;
  message: string;
}

export interface SettingReport {
  setting: ResolvedSetting;
  kernel?: KernelView;
  transfer?: TransferLint;
}

/** 2079208 → "2 079 208" (groups of three, as the incident report writes sizes). */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, " ");
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

export function kernelView(s: ResolvedSetting, k: LintInput): KernelView | undefined {
  if (s.value === null) return undefined;
  const requested = s.applied ?? undefined;
  if (s.kind === "rcvbuf") {
    const w = rcvbufToWindow({ requested, mss: k.mss, timestamps: k.timestamps ?? false, family: k.family, rmemMax: k.rmemMax, tcpRmem: k.tcpRmem });
    return {
      skBuf: w.rcvbufEffective,
      locked: w.locked,
      windowSyn: w.windowSyn,
      windowSteady: w.windowSteady,
      wscale: w.wscale,
      exceedsMax: w.exceedsRmemMax,
      steps: w.steps,
    };
  }
  const wmemMax = k.wmemMax ?? DEFAULT_WMEM_MAX;
  const tcpWmem = k.tcpWmem ?? DEFAULT_TCP_WMEM;
  if (requested === undefined) {
    return {
      skBuf: tcpWmem[1],
      locked: false,
      exceedsMax: false,
      steps: [`no SO_SNDBUF → sk_sndbuf starts at tcp_wmem[1] = ${tcpWmem[1]}, autotuning up to tcp_wmem[2] = ${tcpWmem[2]}`],
    };
  }
  const sk = Math.max(2 * Math.min(requested, wmemMax), SOCK_MIN_SNDBUF);
  return {
    skBuf: sk,
    locked: true,
    exceedsMax: requested > wmemMax,
    steps: [
      `SO_SNDBUF ${requested} → sk_sndbuf = max(2 × min(${requested}, wmem_max ${wmemMax}), ${SOCK_MIN_SNDBUF}) = ${sk}; ` +
        `unacknowledged plus unsent bytes (counted with their overhead) stay below it`,
    ],
  };
}

function transferLint(s: ResolvedSetting, v: KernelView, k: LintInput): TransferLint | undefined {
  if (k.rttSec === undefined || k.bodyBytes === undefined) return undefined;
  const rttMs = k.rttSec * 1000;
  const segment = (k.timestamps ? k.mss - 12 : k.mss);
  if (s.kind === "rcvbuf") {
    const w = rcvbufToWindow({ requested: s.applied ?? undefined, mss: k.mss, timestamps: k.timestamps ?? false, family: k.family, rmemMax: k.rmemMax, tcpRmem: k.tcpRmem });
    const p = predictTransfer({
      sizeBytes: k.bodyBytes,
      rttSec: k.rttSec,
      segment: w.sendSegment,
      windowBytes: w.windowSteady,
      bandwidthBps: k.bandwidthBps,
      initialWindowBytes: w.locked ? undefined : w.windowSyn,
    });
    const t: TransferLint = { body_bytes: k.bodyBytes, rtt_ms: rttMs, predicted_ms: round1(p.predictedMs), bound: "model", timeout_ms: k.timeoutMs, over_timeout: p.predictedMs > k.timeoutMs };
    if (t.over_timeout) {
      const d = requiredForDeadline({
        sizeBytes: k.bodyBytes,
        rttSec: k.rttSec,
        segment,
        deadlineSec: k.timeoutMs / 1000,
        bandwidthBps: k.bandwidthBps,
        kernel: { mss: k.mss, timestamps: k.timestamps ?? false, family: k.family, rmemMax: k.rmemMax, tcpRmem: k.tcpRmem },
      });
      if (d.requiredRcvbuf !== undefined) t.required_value = d.requiredRcvbuf;
    }
    return t;
  }
  // A send buffer caps bytes in flight below sk_sndbuf, so a body needs at least size / sk_sndbuf round trips.
  const lower = Math.max((k.bodyBytes / v.skBuf) * rttMs, k.bandwidthBps ? ((k.bodyBytes * 8) / k.bandwidthBps) * 1000 : 0);
  return { body_bytes: k.bodyBytes, rtt_ms: rttMs, predicted_ms: round1(lower), bound: "lower_bound", timeout_ms: k.timeoutMs, over_timeout: lower > k.timeoutMs };
}

/**
 * The buffers a REGISTER_BROKER body crosses: the broker's client send buffer, then the name
 * server's server receive buffer (reference §4 "Registration path"). --body-size is checked there.
 */
export function onRegistrationPath(s: ResolvedSetting): boolean {
  return s.role === "namesrv" ? s.name === "serverSocketRcvBufSize" : s.name === "clientSocketSndBufSize";
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function lintSettings(
  settings: Record<SocketBufferSetting, ResolvedSetting>,
  k: LintInput,
  file?: ParsedProperties,
): { reports: Record<SocketBufferSetting, SettingReport>; findings: Finding[] } {
  const findings: Finding[] = [];
  const reports = {} as Record<SocketBufferSetting, SettingReport>;
  if (file?.error) findings.push({ code: "malformed_file", severity: "error", message: file.error.message });
  for (const name of SOCKET_BUFFER_SETTINGS) {
    const s = settings[name];
    const r: SettingReport = { setting: s };
    reports[name] = r;
    if (s.jvmFails) {
      findings.push({
        code: "jvm_value_breaks_startup",
        severity: "error",
        setting: name,
        message: `-D${s.jvmProperty}=${JSON.stringify(s.jvmFails.raw)}: Integer.parseInt rejects it (${s.jvmFails.reason}); NettySystemConfig's static initializer throws and the JVM does not start`,
      });
      continue;
    }
    if (s.ignoredFileValue) {
      const i = s.ignoredFileValue;
      findings.push({
        code: "file_value_ignored",
        severity: "error",
        setting: name,
        message:
          `${name}=${JSON.stringify(i.raw)} (line ${i.line}): Integer.parseInt rejects it (${i.reason}) and RocketMQ ignores it without a word; ` +
          `${s.value} ${s.source === "jvm" ? `from -D${s.jvmProperty}` : `(version default: ${s.defaultReason})`} applies instead`,
      });
    }
    if (s.overriddenJvm !== undefined) {
      findings.push({
        code: "file_overrides_jvm",
        severity: "warning",
        setting: name,
        message: `${name}=${s.value} in the config file (line ${s.fileEntry!.line}) overrides -D${s.jvmProperty}=${s.overriddenJvm}: the file wins; change the file, not the -D`,
      });
    }
    const v = kernelView(s, k);
    if (!v) continue;
    r.kernel = v;
    if (v.exceedsMax) {
      findings.push({
        code: "exceeds_max",
        severity: "warning",
        setting: name,
        message: `${name}=${s.applied} exceeds net.core.${s.kind === "rcvbuf" ? "rmem_max" : "wmem_max"}: the kernel silently caps it (sk ${s.kind === "rcvbuf" ? "rcvbuf" : "sndbuf"} ${v.skBuf})`,
      });
    }
    const t = onRegistrationPath(s) ? transferLint(s, v, k) : undefined;
    if (t) {
      r.transfer = t;
      if (t.over_timeout) {
        const win = s.kind === "rcvbuf" ? `this window (${v.windowSteady} B steady, ${v.windowSyn} B in the SYN-ACK)` : `this send buffer (sk_sndbuf ${v.skBuf} B)`;
        findings.push({
          code: "over_timeout",
          severity: "error",
          setting: name,
          message:
            `at ${t.rtt_ms} ms RTT a ${groupDigits(t.body_bytes)}-byte body needs ${t.bound === "model" ? "≈" : "≥"} ${seconds(t.predicted_ms)} with ${win}: ` +
            `over the ${t.timeout_ms} ms timeout` +
            (t.required_value !== undefined ? `; ${name}=${t.required_value} or more meets it on this kernel (${k.family})` : ""),
        });
      }
    }
  }
  if (file) {
    const seen = new Map<string, number[]>();
    for (const e of file.entries) seen.set(e.key, [...(seen.get(e.key) ?? []), e.line]);
    for (const name of SOCKET_BUFFER_SETTINGS) {
      const lines = seen.get(name);
      if (lines && lines.length > 1) {
        findings.push({ code: "duplicate_key", severity: "warning", setting: name, message: `${name} is set on lines ${lines.join(", ")}: Java keeps the last one (line ${lines.at(-1)})` });
      }
    }
    for (const e of file.entries) {
      const near = SOCKET_BUFFER_SETTINGS.find((n) => n !== e.key && n.toLowerCase() === e.key.trim().toLowerCase());
      if (near) {
        findings.push({
          code: "misspelt_key",
          severity: "warning",
          setting: near,
          message: `line ${e.line}: key ${JSON.stringify(e.key)} is not ${near} (keys are case- and space-sensitive): RocketMQ does not read it`,
        });
      }
    }
  }
  for (const name of SOCKET_BUFFER_SETTINGS) {
    const s = settings[name];
    if (s.value !== null && s.applied === null) {
      findings.push({ code: "kernel_autotuning", severity: "info", setting: name, message: `${name}=${s.value}: no setsockopt, the kernel sizes this buffer (autotuning)` });
    }
  }
  return { reports, findings };
}
