/**
 * @module cli/commands/analyze
 * `tcpwin analyze FILE|-`: capture → per-connection evidence (tcp/) → verdicts (diagnose/) →
 * text, `--json`, or `--packets` JSON Lines (report/), and with `--html FILE` an HTML report with charts. Exit codes: 0 analysed; 1 the input could
 * not be read (to the end) — what was read is printed first, then the error with its byte
 * offset; 2 usage. Progress goes to stderr only when it is a TTY and the file is big, never with --quiet.
 *
 * This file only defines the command line; the run (./analyze-run.js, which pulls in the analysis
 * engine) is imported when the command runs, so `tcpwin --help` and other commands do not pay for it.
 */
import { Command, Option } from "commander";
import { durationArg, intArg } from "../options.js";

export const DEFAULT_TOP = 10;

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
  html?: string;
  quiet?: boolean;
  /** RocketMQ's invokeSync timeout to judge exchanges by, seconds (default 3). */
  timeout?: number;
  code?: number;
  opaque?: number;
  /** false with --no-decode: TCP only, no application protocols. */
  decode?: boolean;
}

/** invokeSync's timeout in the incident (RocketMQ's broker registration): --timeout's default, seconds. */
export const DEFAULT_TIMEOUT_S = 3;

const EXAMPLES = `
Examples:
  # the bundled capture: a receiver that set SO_RCVBUF=1024 (what npm start shows)
  $ tcpwin analyze assets/rcvbuf-1024.pcap
  # what SO_RCVBUF gets 2 MB through in RocketMQ's 3 s timeout
  $ tcpwin analyze incident.pcapng --port 9876 --deadline 3s
  # the incident's own search: the broker's registration, by code or by opaque
  $ tcpwin analyze incident.pcapng --code 103
  $ tcpwin analyze incident.pcapng --opaque 849859871 --json
  # machines: one JSON object; every packet as JSON Lines with tshark's field names
  $ tcpwin analyze trace.pcap --json --all
  $ tcpwin analyze trace.pcap --packets --stream 3 | head
  # an HTML report to open in a browser (works offline: it loads nothing)
  $ tcpwin analyze trace.pcap --html report.html
  # from a pipe
  $ tcpdump -i eth0 -w - port 9876 | tcpwin analyze -
`;

export function registerAnalyze(program: Command): void {
  program
    .command("analyze")
    .summary("analyse a pcap/pcapng capture: per-connection evidence and a verdict")
    .description(
      "Reads a pcap or pcapng capture (a file, or - for stdin), follows every TCP connection with" +
        " Wireshark's sequence analysis, measures how long each sender was held by the receiver's window," +
        " the congestion window or the application, and gives each connection a verdict with the numbers" +
        " behind it, a model cross-check and the fix. Connections are listed most important first" +
        " (bytes × how much a limit held them).",
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
    .addOption(new Option("--html <file>", "also write a self-contained HTML report with interactive charts (time-sequence, in flight vs window, throughput, RTT) for --stream or the top 3 connections").conflicts("packets"))
    .option("-q, --quiet", "no progress on stderr (it is shown only when stderr is a terminal and the work is long)")
    .option("--kernel <version>", "the receiver's Linux version, for the SO_RCVBUF → window rules of the fix (default: 6.10+ rules)")
    .addOption(new Option("--timeout <time>", `RocketMQ: the invokeSync timeout exchanges are judged by (default ${DEFAULT_TIMEOUT_S}s, the incident's; 4.x brokers register with 6s, 5.x with 24s)`).argParser(durationArg))
    .addOption(new Option("--code <n>", "RocketMQ: only connections with a request of this code (103 = REGISTER_BROKER), and only those exchanges").argParser(intArg(-(2 ** 31), 2 ** 31 - 1)))
    .addOption(new Option("--opaque <n>", "RocketMQ: only the exchange with this opaque (request id)").argParser(intArg(-(2 ** 31), 2 ** 32 - 1)))
    .option("--no-decode", "TCP only: do not reassemble streams to decode application protocols (RocketMQ)")
    .addHelpText("after", EXAMPLES)
    .action(async (file: string, opts: AnalyzeOpts) => {
      exitQuietlyOnClosedPipe();
      // A big file is read on a worker thread: start it before loading the analysis engine (~35 ms
      // of imports and shape settling), so the worker's own start-up overlaps that.
      // Decoding application protocols reads payload: analyzeCapture then reads in this thread
      // (a reader thread carries payload only when TCPWIN_READ_WORKER=1 asks; see tcp/analyze-capture).
      const { startDecodedRing } = await import("../../capture/decoded-ring.js");
      const decoded = opts.decode === false ? startDecodedRing(file) : null;
      try {
        const { runAnalyze } = await import("./analyze-run.js");
        runAnalyze(file, opts, (s) => process.stdout.write(s), file, decoded);
      } finally {
        decoded?.close();
      }
    });
}

/** `tcpwin analyze --packets F | head` closes the pipe early: that is the reader's choice, not an error. */
export function exitQuietlyOnClosedPipe(): void {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
}
