/**
 * @module cli/commands/analyze-run
 * The run behind `tcpwin analyze` (cli/commands/analyze defines its options and imports this
 * module only when the command runs): analyse, diagnose, render, report warnings and errors.
 */
import { statSync, writeFileSync } from "node:fs";
import type { DecodedRing } from "../../capture/decoded-ring.js";
import { TcpwinError, UsageError } from "../../errors.js";
import { diagnoseAll, type DiagnoseOptions, type Diagnosed } from "../../diagnose/index.js";
import { parseKernelVersion } from "../../model/index.js";
import { analyzeCapture, SeriesCollector } from "../../tcp/index.js";
import { DEFAULT_CHARTED, renderAnalyzeHtml } from "../../report/html/index.js";
import { htmlAssets } from "../html-assets.js";
import { renderAnalyzeJson } from "../../report/analyze-json.js";
import { renderAnalyzeText } from "../../report/analyze-text.js";
import { issueText } from "../../report/analyze-types.js";
import { PacketLineWriter } from "../../report/packet-lines.js";
import { style } from "../style.js";
import { DEFAULT_TIMEOUT_S, DEFAULT_TOP, type AnalyzeOpts } from "./analyze.js";
import { rocketmqFactory, type RocketmqResult } from "../../protocols/rocketmq/exchange-tracker.js";
import type { ConnectionEvidence } from "../../tcp/evidence.js";

/** Below this file size a progress line would only flicker. */
const PROGRESS_MIN_BYTES = 64 * 1024 * 1024;

/** The input could not be read to the end; what was read has been printed. */
export class CaptureUnreadableError extends TcpwinError {
  override readonly name = "CaptureUnreadableError";
  constructor(message: string) {
    super("capture_unreadable", message);
  }
}

function diagnoseOptions(opts: AnalyzeOpts): DiagnoseOptions {
  let kernel: DiagnoseOptions["kernel"];
  if (opts.kernel !== undefined) {
    kernel = parseKernelVersion(opts.kernel);
    if (!kernel) throw new UsageError(`--kernel ${JSON.stringify(opts.kernel)}: expected a version such as 6.18 or 5.10`, "--kernel", opts.kernel);
  }
  if (opts.deadline !== undefined && !(opts.deadline > 0)) throw new UsageError("--deadline must be more than 0", "--deadline", String(opts.deadline));
  return { deadlineSec: opts.deadline, kernel };
}

/** Connections the filters keep (tcp/ filters too; this keeps the report honest if it did not). */
function keep(d: Diagnosed, opts: AnalyzeOpts): boolean {
  const c = d.evidence;
  if (opts.stream !== undefined && c.stream !== opts.stream) return false;
  if (opts.port !== undefined && c.client.port !== opts.port && c.server.port !== opts.port) return false;
  if (opts.host !== undefined && c.client.addr !== opts.host && c.server.addr !== opts.host) return false;
  return true;
}

/** Stdin has no size: its progress (bytes read) starts once the work has taken this long. */
const PROGRESS_STDIN_AFTER_MS = 1000;
/**
 * `--code` / `--opaque`: the connections with a matching RocketMQ exchange, each keeping only the
 * matching exchanges (so the linked verdict names one of them); everything when neither is given.
 */
export function selectExchanges(connections: readonly ConnectionEvidence[], opts: Pick<AnalyzeOpts, "code" | "opaque">): ConnectionEvidence[] {
  if (opts.code === undefined && opts.opaque === undefined) return [...connections];
  // Java's opaque is an int: a value given as unsigned 32-bit names the same request.
  const opaque = opts.opaque !== undefined ? opts.opaque | 0 : undefined;
  const out: ConnectionEvidence[] = [];
  for (const c of connections) {
    const rq = c.app?.["rocketmq"] as RocketmqResult | undefined;
    if (!rq) continue;
    const exchanges = rq.exchanges.filter((e) => (opts.code === undefined || e.code === opts.code) && (opaque === undefined || e.opaque === opaque));
    if (exchanges.length > 0) out.push({ ...c, app: { ...c.app, rocketmq: { ...rq, exchanges } } });
  }
  return out;
}

function progressReporter(file: string): ((read: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  if (file === "-") {
    const start = Date.now();
    let last = 0;
    return (read) => {
      const now = Date.now();
      if (now - start < PROGRESS_STDIN_AFTER_MS || now - last < 200) return;
      last = now;
      process.stderr.write(`\ranalysing stdin: ${(read / 1e6).toFixed(0)} MB read`);
    };
  }
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    return undefined; // analyzeCapture reports the open error
  }
  if (size < PROGRESS_MIN_BYTES) return undefined;
  let last = 0;
  return (read, total) => {
    const now = Date.now();
    if (now - last < 200) return;
    last = now;
    const t = total > 0 ? total : size;
    process.stderr.write(`\ranalysing ${file}: ${Math.floor((100 * read) / t)} % (${(read / 1e6).toFixed(0)} / ${(t / 1e6).toFixed(0)} MB)`);
  };
}

/** `label` is how the input is named in the output (default: the path as given). */
/** `decoded`: a reader thread already started on `file` (see capture/decoded-ring), or null. */
export function runAnalyze(file: string, opts: AnalyzeOpts, write: (s: string) => void, label = file, decoded: DecodedRing | null = null): void {
  const dopts = diagnoseOptions(opts);
  const progress = opts.quiet ? undefined : progressReporter(file);
  const lines = opts.packets ? new PacketLineWriter(write) : null;
  const series = opts.html !== undefined ? new SeriesCollector({ streams: opts.stream !== undefined ? [opts.stream] : undefined }) : undefined;
  if (opts.timeout !== undefined && !(opts.timeout > 0)) throw new UsageError("--timeout must be more than 0", "--timeout", String(opts.timeout));
  if ((opts.code !== undefined || opts.opaque !== undefined) && opts.decode === false) {
    throw new UsageError("--code and --opaque select RocketMQ exchanges: they need decoding (drop --no-decode)", "--no-decode");
  }
  const protocols = opts.decode === false ? undefined : [rocketmqFactory({ timeoutMs: (opts.timeout ?? DEFAULT_TIMEOUT_S) * 1000 })];
  const result = analyzeCapture(file, {
    stream: opts.stream,
    port: opts.port,
    host: opts.host,
    onPacket: lines ? (fields: object) => lines.push(fields) : undefined,
    onProgress: progress,
    decoded,
    series,
    protocols,
  });
  const connections = selectExchanges(result.connections, opts);
  if (progress) process.stderr.write("\r\x1b[K");

  if (lines) {
    lines.flush();
  } else {
    const all = diagnoseAll(connections, { ...dopts, capture: result.capture }).filter((d) => keep(d, opts));
    const top = opts.all ? all.length : (opts.top ?? (opts.json ? all.length : DEFAULT_TOP));
    const input = { source: label, result, shown: all.slice(0, top), total: all.length, deadlineSec: opts.deadline };
    write(opts.json ? renderAnalyzeJson(input) : renderAnalyzeText(input, style(process.stdout)));
    if (series && opts.html !== undefined) writeHtml(opts.html, input, series, opts);
  }

  const s = style(process.stderr);
  for (const w of result.warnings) process.stderr.write(s.yellow(`tcpwin analyze: warning: ${issueText(w)}`) + "\n");
  if (result.error) {
    throw new CaptureUnreadableError(
      `${label === "-" ? "stdin" : label}: ${issueText(result.error)} (analysed ${result.packets} packets read before it)`,
    );
  }
}

/** The HTML report: the connections shown, charts for --stream or the first DEFAULT_CHARTED of them. */
function writeHtml(path: string, input: Parameters<typeof renderAnalyzeHtml>[0], series: SeriesCollector, opts: AnalyzeOpts): void {
  const streams = opts.stream !== undefined ? [opts.stream] : input.shown.slice(0, DEFAULT_CHARTED).map((d) => d.evidence.stream);
  const html = renderAnalyzeHtml(input, { series: (s) => series.get(s), streams }, htmlAssets());
  try {
    writeFileSync(path, html);
  } catch (e) {
    throw new TcpwinError("html_write_failed", `--html ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!opts.quiet && process.stderr.isTTY) process.stderr.write(`tcpwin analyze: wrote ${path} (${Math.round(html.length / 1024)} kB)\n`);
}
