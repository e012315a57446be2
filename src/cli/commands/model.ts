/**
 * @module cli/commands/model
 * `tcpwin model`: the transfer-time model, forward and inverse.
 */
import { Command, Option } from "commander";
import { UsageError } from "../../errors.js";
import { parseKernelVersion, parseSize, runInverse, runModel, type InverseResult, type ModelResult } from "../../model/index.js";
import { bandwidthArg, mssArg, positiveDurationArg, sizeArg } from "../options.js";
import { readMachineNet } from "../machine.js";
import { style } from "../style.js";

interface ModelOpts {
  size?: number;
  rtt?: number;
  mss?: number;
  window?: number;
  rcvbuf?: string;
  bandwidth?: number;
  kernel?: string;
  timestamps?: boolean;
  deadline?: number;
  rmemMax?: number;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  # the incident: 2 MB at 1.66 ms RTT through a 1148-byte window
  $ tcpwin model --size 2079208 --rtt 1.66ms --window 1148 --mss 574
  # what SO_RCVBUF=1024 (serverSocketRcvBufSize=1024) does on a 6.18 kernel
  $ tcpwin model --size 2079208 --rtt 1.66ms --mss 574 --rcvbuf 1024 --kernel 6.18
  # the buffer that gets 2 MB through within RocketMQ's 3 s timeout
  $ tcpwin model --size 2MB --rtt 1.66ms --mss 574 --rcvbuf 1024 --deadline 3s --json
  # the inverse question alone: what window and SO_RCVBUF (per kernel family) meet 3 s
  $ tcpwin model --size 2079208 --rtt 1.66ms --mss 574 --deadline 3s
`;

export function registerModel(program: Command): void {
  program
    .command("model")
    .summary("how long N bytes take over TCP, and what buffer a deadline needs")
    .description(
      "Transfer-time model: predicted time, window used, round trips and the dominant bound (window," +
        " bandwidth, slow start). With --rcvbuf, applies Linux's SO_RCVBUF → window rules for the kernel" +
        " version; with --deadline, answers the inverse question (smallest window and SO_RCVBUF) —" +
        " alone when neither --window nor --rcvbuf is given. Sizes up to 2^53 − 1 bytes (≈ 9 PB); the" +
        " cost is the same whatever the size.",
    )
    .addOption(new Option("--size <bytes>", "bytes to move: 2079208, 2MB, 1.98MiB, 1TB, 1e15").argParser(sizeArg))
    .addOption(new Option("--rtt <time>", "round-trip time: 1.66ms, 1660us").argParser(positiveDurationArg("a round-trip time")))
    .addOption(new Option("--mss <bytes>", "maximum segment size").argParser(mssArg))
    .addOption(new Option("--window <bytes>", "advertised receive window in bytes").argParser(sizeArg).conflicts("rcvbuf"))
    .addOption(new Option("--rcvbuf <bytes>", "value passed to setsockopt(SO_RCVBUF), or 'default' for none"))
    .addOption(new Option("--bandwidth <rate>", "link rate cap: 1Gbit, 100Mbps, 125MB/s").argParser(bandwidthArg))
    .addOption(new Option("--kernel <version>", "Linux version whose buffer→window rules apply (default: this machine's)"))
    .addOption(new Option("--timestamps", "TCP timestamps on: each segment carries MSS − 12 bytes"))
    .addOption(new Option("--deadline <time>", "inverse question: what meets this time").argParser(positiveDurationArg("a deadline")))
    .addOption(new Option("--rmem-max <bytes>", "net.core.rmem_max (default: this machine's)").argParser(sizeArg))
    .option("--json", "print one JSON object")
    .addHelpText("after", EXAMPLES)
    .action((opts: ModelOpts, cmd: Command) => {
      const result = modelFromOptions(opts);
      if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
      else process.stdout.write("question" in result ? renderInverse(result) : renderModel(result));
      void cmd;
    });
}

function modelFromOptions(opts: ModelOpts): ModelResult | InverseResult {
  const missing = (["size", "rtt", "mss"] as const).filter((k) => opts[k] === undefined).map((k) => `--${k}`);
  // Without a current window the deadline's question (what window, what SO_RCVBUF) still has an answer.
  const inverseOnly = opts.window === undefined && opts.rcvbuf === undefined && opts.deadline !== undefined;
  if (opts.window === undefined && opts.rcvbuf === undefined && !inverseOnly) missing.push("--window or --rcvbuf (or --deadline alone for the inverse question)");
  if (missing.length) throw new UsageError(`model: missing ${missing.join(", ")} (see tcpwin model --help)`);
  if (opts.timestamps && opts.mss! <= 12 + 76) throw new UsageError(`--mss ${opts.mss} is too small with --timestamps`);
  if (opts.window === 0) throw new UsageError("--window 0: a zero window never moves data");

  const machine = readMachineNet();
  let kernelText = opts.kernel ?? machine.kernelRelease;
  const kernel = parseKernelVersion(kernelText);
  if (!kernel) throw new UsageError(`--kernel ${JSON.stringify(kernelText)}: expected a version such as 6.18 or 5.10`, "--kernel", kernelText);
  kernelText = `${kernel.major}.${kernel.minor}`;

  if (inverseOnly) {
    return runInverse({
      sizeBytes: opts.size!,
      rttSec: opts.rtt!,
      mss: opts.mss!,
      deadlineSec: opts.deadline!,
      bandwidthBps: opts.bandwidth,
      kernel,
      kernelSource: opts.kernel ? "from --kernel" : "this machine",
      timestamps: opts.timestamps ?? false,
      rmemMax: opts.rmemMax ?? machine.rmemMax,
      tcpRmem: machine.tcpRmem,
    });
  }

  let rcvbuf: number | null | undefined;
  if (opts.rcvbuf !== undefined) {
    rcvbuf = /^(default|auto|none)$/i.test(opts.rcvbuf) ? null : parseSize(opts.rcvbuf, "--rcvbuf");
  }
  return runModel({
    sizeBytes: opts.size!,
    rttSec: opts.rtt!,
    mss: opts.mss!,
    windowBytes: opts.window,
    rcvbuf,
    bandwidthBps: opts.bandwidth,
    kernel,
    kernelSource: opts.kernel ? "from --kernel" : "this machine",
    timestamps: opts.timestamps ?? false,
    deadlineSec: opts.deadline,
    rmemMax: opts.rmemMax ?? machine.rmemMax,
    tcpRmem: machine.tcpRmem,
  });
}

export function renderModel(r: ModelResult): string {
  const s = style();
  const out: string[] = [];
  out.push(`${s.bold("tcpwin model")}  ${r.size_bytes} B at RTT ${r.rtt_ms} ms, MSS ${r.mss}${r.timestamps ? ` (timestamps: ${r.segment_bytes} B/segment)` : ""}`);
  if (r.window_syn !== undefined) {
    out.push(`  SYN-ACK window ${s.bold(String(r.window_syn))} B, steady window ${s.bold(String(r.window_steady))} B, wscale ${r.wscale}, sk_rcvbuf (ss rb) ${r.rcvbuf_effective}`);
  }
  out.push("");
  for (const line of r.explanation) {
    out.push(line.startsWith("warning:") ? s.yellow(line) : line.startsWith("predicted:") ? s.bold(line) : line);
  }
  if (r.deadline_ms !== undefined && r.required_window_bytes !== undefined) {
    const verdict = r.deadline_met ? s.green("deadline met") : s.red("deadline missed");
    out.push("", `${verdict}: ${r.predicted_ms.toFixed(1)} ms vs ${r.deadline_ms} ms`);
  }
  return out.join("\n") + "\n";
}

export function renderInverse(r: InverseResult): string {
  const s = style();
  const out: string[] = [];
  out.push(
    `${s.bold("tcpwin model")}  ${r.size_bytes} B at RTT ${r.rtt_ms} ms, MSS ${r.mss}${r.timestamps ? ` (timestamps: ${r.segment_bytes} B/segment)` : ""}` +
      ` within ${r.deadline_ms} ms — what window and SO_RCVBUF meet it`,
  );
  out.push("");
  for (const line of r.explanation) out.push(line.startsWith("smallest window:") || line.startsWith("RocketMQ:") ? s.bold(line) : line);
  if (!r.deadline_feasible) out.push("", s.red("no window meets the deadline"));
  return out.join("\n") + "\n";
}
