/**
 * @module cli/commands/analyze
 * `tcpwin analyze FILE|-`: capture → per-connection evidence (tcp/) → verdicts (diagnose/) →
 * text, `--json`, or `--packets` JSON Lines (report/). Exit codes: 0 analysed; 1 the input could
 * not be read (to the end) — what was read is printed first, then the error with its byte
 * offset; 2 usage. Progress goes to stderr only when it is a TTY and the file is big.
 */
import { statSync } from "node:fs";
import { Command, Option } from "commander";
import { TcpwinError, UsageError } from "../../errors.js";
import { diagnoseAll, type DiagnoseOptions, type Diagnosed } from "../../diagnose/index.js";
import { parseKernelVersion } from "../../model/index.js";
import { analyzeCapture } from "../../tcp/index.js";
import { renderAnalyzeJson } from "../../report/analyze-json.js";
import { renderAnalyzeText } from "../../report/analyze-text.js";
import { issueText } from "../../report/analyze-types.js";
import { PacketLineWriter } from "../../report/packet-lines.js";
import { durationArg, intArg } from "../options.js";
import { style } from "../style.js";

/** Below this file size a progress line would only flicker. */
const PROGRESS_MIN_BYTES = 64 * 1024 * 1024;
const DEFAULT_TOP = 10;

export interface AnalyzeOpts {
  json?: boolean;
  packets?: boolean;
  stream?: number;
  port?: number;
  host?: string;
  top?: number;
  all?: boolean;
  deadline?: number;
  kernel?: string;
}

/** The input could not be read to the end; what was read has been printed. */
export class CaptureUnreadableError extends TcpwinError {
  override readonly name = "CaptureUnreadableError";
  constructor(message: string) {
    super("capture_unreadable", message);
  }
}

const EXAMPLES = `
Examples:
  # the bundled capture: a receiver that set SO_RCVBUF=1024 (what npm start shows)
  $ tcpwin analyze assets/rcvbuf-1024.pcap
  # what SO_RCVBUF gets 2 MB through in RocketMQ's 3 s timeout
  $ tcpwin analyze incident.pcapng --port 9876 --deadline 3s
  # machines: one JSON object; every packet as JSON Lines with tshark's field names
  $ tcpwin analyze trace.pcap --json --all
  $ tcpwin analyze trace.pcap --packets --stream 3 | head
  # from a pipe
  $ tcpdump -i eth0 -w - port 9876 | tcpwin analyze -

Exit status: 0 analysed, 1 unreadable or partly unreadable input (what was read is still
printed, then the error with its byte offset), 2 bad usage.
`;

export function registerAnalyze(program: Command): void {
  program
    .command("analyze")
    .summary("analyse a pcap/pcapng capture: per-connection evidence and a verdict")
    .description(
      "Reads a pcap or pcapng capture (a file, or - for stdin), follows every TCP connection with\n" +
        "Wireshark's sequence analysis, measures how long each sender was held by the receiver's window,\n" +
        "the congestion window or the application, and gives each connection a verdict with the numbers\n" +
        "behind it, a model cross-check and the fix. Connections are listed most important first\n" +
        "(bytes × how much a limit held them).",
    )
    .argument("<file>", "capture file (pcap or pcapng), or - for stdin")
    .option("--json", "print one JSON object: { connections: [ { stream, client, server, ..., verdict } ], warnings }")
    .addOption(new Option("--packets", "print one JSON object per TCP packet (JSON Lines, tshark field names)").conflicts("json"))
    .addOption(new Option("--stream <n>", "only this tcp.stream").argParser(intArg(0, 2 ** 31)))
    .addOption(new Option("--port <n>", "only connections with this port on either side").argParser(intArg(0, 65535)))
    .option("--host <addr>", "only connections with this address on either side")
    .addOption(new Option("--top <n>", `show the N most important connections (default ${DEFAULT_TOP}; JSON: all)`).argParser(intArg(1, 2 ** 31)).conflicts("all"))
    .option("--all", "show every connection")
    .addOption(new Option("--deadline <time>", "the time the transfer should take: the fix names the buffer that meets it").argParser(durationArg))
    .option("--kernel <version>", "the receiver's Linux version, for the SO_RCVBUF → window rules of the fix (default: 6.10+ rules)")
    .addHelpText("after", EXAMPLES)
    .action((file: string, opts: AnalyzeOpts) => {
      exitQuietlyOnClosedPipe();
      runAnalyze(file, opts, (s) => process.stdout.write(s));
    });
}

/** `tcpwin analyze --packets F | head` closes the pipe early: that is the reader's choice, not an error. */
export function exitQuietlyOnClosedPipe(): void {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
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

function progressReporter(file: string): ((read: number, total: number) => void) | undefined {
  if (file === "-" || !process.stderr.isTTY) return undefined;
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
export function runAnalyze(file: string, opts: AnalyzeOpts, write: (s: string) => void, label = file): void {
  const dopts = diagnoseOptions(opts);
  const progress = progressReporter(file);
  const lines = opts.packets ? new PacketLineWriter(write) : null;
  const result = analyzeCapture(file, {
    stream: opts.stream,
    port: opts.port,
    host: opts.host,
    onPacket: lines ? (fields: object) => lines.push(fields) : undefined,
    onProgress: progress,
  });
  if (progress) process.stderr.write("\r\x1b[K");

  if (lines) {
    lines.flush();
  } else {
    const all = diagnoseAll(result.connections, dopts).filter((d) => keep(d, opts));
    const top = opts.all ? all.length : (opts.top ?? (opts.json ? all.length : DEFAULT_TOP));
    const input = { source: label, result, shown: all.slice(0, top), total: all.length, deadlineSec: opts.deadline };
    write(opts.json ? renderAnalyzeJson(input) : renderAnalyzeText(input, style(process.stdout)));
  }

  const s = style(process.stderr);
  for (const w of result.warnings) process.stderr.write(s.yellow(`tcpwin analyze: warning: ${issueText(w)}`) + "\n");
  if (result.error) {
    throw new CaptureUnreadableError(
      `${label === "-" ? "stdin" : label}: ${issueText(result.error)} (analysed ${result.packets} packets read before it)`,
    );
  }
}
