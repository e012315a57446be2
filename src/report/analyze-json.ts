/**
 * @module report/analyze-json
 * `tcpwin analyze --json`: one object, `{ source, packets, tcp_packets, capture, connections: [ { stream,
 * client, server, …evidence…, verdict: { kind, … } } ], warnings: [...], error }`. Connection
 * objects are the tcp/ evidence as is (so field names match the contract and the docs) plus the
 * verdict; order is the ranking (most important first). Issues keep their byte offsets.
 */
import type { CaptureDrops } from "../capture/reader-types.js";
import type { Diagnosed, Verdict } from "../diagnose/index.js";
import type { ConnectionEvidence } from "../tcp/evidence.js";
import type { AnalysisIssue, AnalyzeReportInput } from "./analyze-types.js";

export interface AnalyzeJsonIssue {
  code: string | null;
  message: string;
  offset: number | null;
  frame: number | null;
}

/**
 * The evidence as is, except the application layer: each protocol's exchanges under its own key
 * (`rocketmq: [ { code, name, opaque, version, request_bytes, response_code, latency_us,
 * timed_out, … } ]`, and `rocketmq_errors` when frames did not decode), then the verdict.
 */
export type ConnectionJson = ConnectionEvidence & { rocketmq?: unknown[]; rocketmq_errors?: unknown[]; verdict: Verdict };

export interface AnalyzeJson {
  source: string;
  packets: number;
  tcp_packets: number;
  /** Connections after filters, before --top. */
  connections_total: number;
  deadline_ms: number | null;
  /** The capture's own drop counters (pcapng ISB / epb_dropcount), or null when the analysis did not say. */
  capture: CaptureDrops | null;
  connections: ConnectionJson[];
  warnings: AnalyzeJsonIssue[];
  error: AnalyzeJsonIssue | null;
}

export function issueJson(w: AnalysisIssue): AnalyzeJsonIssue {
  return { code: w.code ?? null, message: w.message, offset: w.fileOffset ?? null, frame: w.frame ?? null };
}

export function connectionJson(d: Diagnosed): ConnectionJson {
  const { app, ...evidence } = d.evidence;
  const out: ConnectionJson = { ...evidence, verdict: d.verdict };
  // RocketMQ's exchanges under their own key; any other protocol's result stays under `app`.
  const { rocketmq, ...others } = app ?? {};
  const rq = rocketmq as { exchanges?: unknown[]; errors?: unknown[] } | undefined;
  if (rq?.exchanges) {
    out.rocketmq = rq.exchanges;
    if (rq.errors && rq.errors.length > 0) out.rocketmq_errors = rq.errors;
  }
  if (Object.keys(others).length > 0) out.app = others;
  // Keep the verdict last, where a reader looks for it.
  const { verdict, ...rest } = out;
  return { ...rest, verdict };
}

export function analyzeJson(input: AnalyzeReportInput): AnalyzeJson {
  const r = input.result;
  return {
    source: input.source,
    packets: r.packets,
    tcp_packets: r.tcpPackets,
    connections_total: input.total,
    deadline_ms: input.deadlineSec !== undefined ? input.deadlineSec * 1000 : null,
    capture: r.capture ?? null,
    connections: input.shown.map(connectionJson),
    warnings: r.warnings.map(issueJson),
    error: r.error ? issueJson(r.error) : null,
  };
}

/** JSON.stringify that writes non-finite numbers (a ratio over zero time) as null, never as invalid JSON. */
export function renderAnalyzeJson(input: AnalyzeReportInput): string {
  return JSON.stringify(analyzeJson(input), (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n";
}
