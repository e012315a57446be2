/**
 * @module report/analyze-types
 * What the `tcpwin analyze` renderers take: the analysis result (tcp/ analyzeCapture's shape,
 * kept structural so report/ does not depend on how tcp/ builds it) and the diagnosed, ranked
 * connections (diagnose/). Plus the colour functions, which cli/style provides.
 */
import type { Diagnosed } from "../diagnose/index.js";
import type { CaptureDrops } from "../capture/reader-types.js";
import type { ConnectionEvidence } from "../tcp/evidence.js";

/** A warning or the fatal error of a read: what, and where in the file. */
export interface AnalysisIssue {
  message: string;
  code?: string;
  /** Byte offset in the capture file. */
  fileOffset?: number;
  frame?: number;
}

export interface AnalysisLike {
  connections: readonly ConnectionEvidence[];
  /** Records read, and those that were TCP. */
  packets: number;
  tcpPackets: number;
  warnings: readonly AnalysisIssue[];
  /** Non-null: the input could not be read to the end (what was read is still analysed). */
  error: AnalysisIssue | null;
  /** What the file says it dropped while capturing (tcp/ AnalysisResult.capture). */
  capture?: CaptureDrops | undefined;
}

export interface AnalyzeReportInput {
  source: string;
  result: AnalysisLike;
  /** Ranked, most important first, already cut to what should be shown. */
  shown: readonly Diagnosed[];
  /** Connections after filtering, before --top. */
  total: number;
  /** The deadline the fix aims for, seconds. */
  deadlineSec?: number | undefined;
}

/** The colour functions a renderer needs (cli/style provides them; report does not import cli). */
export interface AnalyzePaint {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

export const NO_PAINT: AnalyzePaint = { bold: (s) => s, dim: (s) => s, red: (s) => s, green: (s) => s, yellow: (s) => s, cyan: (s) => s };

/** "offset 1234, frame 7: message". */
export function issueText(w: AnalysisIssue): string {
  const where = [w.fileOffset !== undefined ? `offset ${w.fileOffset}` : "", w.frame !== undefined ? `frame ${w.frame}` : ""].filter(Boolean).join(", ");
  return where ? `${where}: ${w.message}` : w.message;
}
