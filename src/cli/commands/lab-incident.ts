/**
 * @module cli/commands/lab-incident
 * `tcpwin lab incident`: the RocketMQ incident reproduced, analysed, fixed and repeated
 * (lab/incident). Exit 0 when the story held (the configured run timed out, the fixed one did
 * not), 1 when it did not or the lab could not run (cli/exit-codes), 2 usage.
 */
import { Command, Option } from "commander";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkLabPrivileges } from "../../lab/link/link.js";
import { guardLink } from "../../lab/link/session.js";
import { INCIDENT, runIncident, type IncidentResult } from "../../lab/incident.js";
import { renderIncidentText } from "../../report/incident-text.js";
import { durationArg, intArg, sizeArg } from "../options.js";
import { style } from "../style.js";

export function registerIncident(lab: Command): void {
  lab
    .command("incident")
    .summary("the RocketMQ incident end to end: a 1 KB receive buffer in the name server's config file times out a 2 MB registration; fixed, it succeeds")
    .description(
      "Over `lab link` (RTT 1.66 ms, MTU 614) tcpwin's name server runs with serverSocketRcvBufSize=1024 in its" +
        " config file while its -D says 1048576 (the file wins); tcpwin's broker registers a ≈ 2 079 208-byte topic" +
        " table with a 3000 ms invokeSync timeout, twice (the second attempt on a new connection, as after" +
        " clientCloseSocketIfTimeout). The capture is analysed and the linked verdict printed; then the config file" +
        " gets the value that verdict names and the run is repeated. Needs root (network namespaces, TUN).",
    )
    .addOption(new Option("--rtt <time>", "the link's round-trip time").argParser(durationArg).default(INCIDENT.rttMs / 1000, `${INCIDENT.rttMs}ms`))
    .addOption(new Option("--mtu <bytes>", "the link's MTU (MSS = MTU − 40)").argParser(intArg(576, 9000)).default(INCIDENT.mtu))
    .addOption(new Option("--body-size <bytes>", "the REGISTER_BROKER body").argParser(sizeArg).default(INCIDENT.bodyBytes))
    .addOption(new Option("--timeout <time>", "registerBrokerTimeoutMills (invokeSync)").argParser(durationArg).default(INCIDENT.timeoutMs / 1000, `${INCIDENT.timeoutMs}ms`))
    .addOption(new Option("--rcvbuf <bytes>", "serverSocketRcvBufSize in the name server's config file").argParser(intArg(1, 2 ** 31 - 1)).default(INCIDENT.fileRcvbuf))
    .addOption(
      new Option("--apply <where>", "where the name server sets its buffers: on the listener before the SYN (what the incident's capture shows: a 1148-byte SYN-ACK window) or on each accepted socket after the handshake (Netty's childOption as written: window scale 10, zero windows)")
        .choices(["listener", "accepted"])
        .default("listener"),
    )
    .addOption(new Option("--attempts <n>", "registrations in the failing run (each period)").argParser(intArg(1, 10)).default(2))
    .option("--pcap <file>", "keep the capture of both runs (one file)")
    .option("--html <file>", "also write the HTML report of both runs' capture (charts, the exchanges as spans)")
    .option("--quiet", "no progress lines on stderr")
    .option("--json", "one JSON object: runs: [ { label, timed_out, elapsed_ms, predicted_ms, verdict, … } ]")
    .action(async (o: { rtt: number; mtu: number; bodySize: number; timeout: number; rcvbuf: number; apply: "accepted" | "listener"; attempts: number; pcap?: string; html?: string; json?: boolean; quiet?: boolean }) => {
      checkLabPrivileges();
      // The report is made from the capture: keep it (in a temporary folder) when only --html asks.
      const tmp = o.html !== undefined && o.pcap === undefined ? mkdtempSync(join(tmpdir(), "tcpwin-incident-html-")) : null;
      const pcap = o.pcap ?? (tmp ? join(tmp, "incident.pcap") : undefined);
      const progress = process.stderr.isTTY && !o.quiet ? (l: string) => process.stderr.write(`\r\x1b[K${l}`) : undefined;
      const res: IncidentResult = await runIncident({
        selfCommand: [process.execPath, ...process.execArgv, process.argv[1]!],
        rttMs: o.rtt * 1000,
        mtu: o.mtu,
        bodyBytes: o.bodySize,
        timeoutMs: Math.round(o.timeout * 1000),
        fileRcvbuf: o.rcvbuf,
        apply: o.apply,
        attempts: o.attempts,
        pcapPath: pcap,
        onProgress: progress,
        guard: (l) => guardLink(l, (sig) => process.stderr.write(`\ntcpwin lab incident: ${sig}: link removed\n`)),
      });
      if (progress) process.stderr.write("\r\x1b[K");
      try {
        if (o.html !== undefined && pcap !== undefined) {
          const { runAnalyze } = await import("./analyze-run.js");
          runAnalyze(pcap, { html: o.html, quiet: true, timeout: o.timeout, all: true }, () => {}, o.pcap ?? "lab incident capture");
        }
      } finally {
        if (tmp) rmSync(tmp, { recursive: true, force: true });
      }
      if (!o.pcap) res.pcap = null;
      const held = res.runs[0]!.timed_out && !res.runs[1]!.timed_out;
      if (o.json) process.stdout.write(JSON.stringify(res, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n");
      else process.stdout.write(renderIncidentText(res, style(process.stdout)));
      process.exitCode = held ? 0 : 1;
    });
}
