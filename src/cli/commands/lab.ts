/**
 * @module cli/commands/lab
 * `tcpwin lab serve | send | link | validate`: the reproduction lab. Thin: parse, call src/lab,
 * print. Exit codes: 0 ok; 1 failure (transfer failed, a validation cell out of tolerance, no
 * root for `lab link`); 2 usage; `lab link` exits with the client command's status.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { UsageError } from "../../errors.js";
import { formatBytes, formatMs, formatRate, parseInteger, parseSize } from "../../model/index.js";
import { BulkServer } from "../../lab/bulk/server.js";
import { sendTransfer, type TransferResult } from "../../lab/bulk/sender.js";
import type { ServerReport } from "../../lab/bulk/protocol.js";
import type { SocketTuning, TuningReport } from "../../lab/tuned-socket.js";
import { LabLink, type LinkOptions } from "../../lab/link/link.js";
import { guardLink, runSession } from "../../lab/link/session.js";
import { latenessWarning, summarizeLateness } from "../../lab/link/lateness.js";
import {
  FULL_GRID,
  gridCells,
  INCIDENT_BYTES,
  iperf3RttCheck,
  QUICK_CELLS,
  runValidate,
  type CellResult,
  type GridCell,
  type RttCheck,
} from "../../lab/validate.js";
import { bandwidthArg, durationArg, intArg, mssArg, sizeArg } from "../options.js";
import { registerBrokerCommand, registerNamesrv } from "./lab-rocketmq.js";
import { registerIncident } from "./lab-incident.js";
import { style } from "../style.js";

const DEFAULT_PORT = 5202;

const bufArg = (t: string): number | "default" => {
  if (/^(default|auto|none)$/i.test(t)) return "default";
  try {
    return parseSize(t, "buffer");
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^buffer /, ""));
  }
};

const lossArg = (t: string): number => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(t);
  const v = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(v >= 0 && v < 1)) throw new InvalidArgumentError(`expected a drop probability such as 0.01 or 1% (0 ≤ p < 1), got ${JSON.stringify(t)}`);
  return v;
};

interface TuningOpts {
  rcvbuf?: number | "default";
  sndbuf?: number | "default";
  mss?: number;
  force?: boolean;
}

function tuningFrom(o: TuningOpts): SocketTuning {
  return {
    rcvbuf: o.rcvbuf === "default" ? undefined : o.rcvbuf,
    sndbuf: o.sndbuf === "default" ? undefined : o.sndbuf,
    mss: o.mss,
    force: o.force,
  };
}

function addTuning(cmd: Command, who: string): Command {
  return cmd
    .addOption(new Option("--rcvbuf <bytes>", `SO_RCVBUF on the ${who} before the handshake ('default' = none)`).argParser(bufArg))
    .addOption(new Option("--sndbuf <bytes>", `SO_SNDBUF on the ${who} before the handshake`).argParser(bufArg))
    .addOption(new Option("--mss <bytes>", "TCP_MAXSEG before the handshake (clamps the MSS option)").argParser(mssArg))
    .option("--force", "SO_RCVBUFFORCE/SO_SNDBUFFORCE: go past rmem_max/wmem_max (needs CAP_NET_ADMIN)");
}

function tuningLine(label: string, r: TuningReport): string {
  const one = (name: string, req: number | null, eff: number, effName: string) => `${name} ${req === null ? "default" : req} → ${effName} ${eff}`;
  return (
    `${label}: ${one("SO_RCVBUF", r.requested.rcvbuf, r.effective.rcvbuf, "rb")}, ` +
    `${one("SO_SNDBUF", r.requested.sndbuf, r.effective.sndbuf, "tb")}, ` +
    `TCP_MAXSEG ${r.requested.mss ?? "default"} → ${r.effective.mss}`
  );
}

export function registerLab(program: Command): void {
  const lab = program
    .command("lab")
    .summary("reproduce window-limited transfers: bulk client/server, link emulator, model validation")
    .description(
      "The reproduction lab. `serve`/`send` move bytes with socket options set before the handshake and" +
        " report the kernel's view and the model's prediction; `link` emulates a link (RTT, MTU, rate, loss)" +
        " between two network namespaces; `validate` runs the model against measurements over a grid.",
    );
  registerServe(lab);
  registerSend(lab);
  registerLink(lab);
  registerValidate(lab);
  registerNamesrv(lab);
  registerBrokerCommand(lab);
  registerIncident(lab);
}

// --- serve ------------------------------------------------------------------------------
function registerServe(lab: Command): void {
  const cmd = lab
    .command("serve")
    .summary("receive bulk transfers (like iperf3 -s), with the listener tuned before listen()")
    .option("--host <addr>", "address to listen on", "0.0.0.0")
    .addOption(new Option("--port <n>", "TCP port").argParser(intArg(0, 65535)).default(DEFAULT_PORT))
    .addOption(new Option("--count <n>", "exit after n transfers (default: serve until stopped)").argParser(intArg(1, 1_000_000)))
    .addOption(new Option("--busy-poll <time>", "spin reading for up to this long after data before sleeping: removes the reader's wake-up latency from every round trip (costs a CPU while data flows)").argParser(durationArg).default(0))
    .option("--json", "one JSON object per transfer (NDJSON) on stdout");
  addTuning(cmd, "listener (accepted sockets inherit it)");
  cmd.addHelpText(
    "after",
    `
Examples:
  # the incident's name server: serverSocketRcvBufSize=1024
  $ tcpwin lab serve --rcvbuf 1024
  # MSS 574 without touching the link, one transfer, machine-readable
  $ tcpwin lab serve --rcvbuf 1024 --mss 574 --count 1 --json
`,
  );
  cmd.action(async (o: TuningOpts & { host: string; port: number; count?: number; busyPoll: number; json?: boolean }) => {
    const server = new BulkServer(
      { host: o.host, port: o.port, tuning: tuningFrom(o), maxTransfers: o.count, busyPollMs: o.busyPoll * 1000 },
      {
        onTransfer: (r) => process.stdout.write(o.json ? JSON.stringify(r) + "\n" : serverLine(r) + "\n"),
        onBadClient: (peer, msg) => process.stderr.write(`tcpwin lab serve: ${peer}: ${msg}\n`),
      },
    );
    const { port, listener } = await server.start();
    process.stderr.write(`listening on ${o.host}:${port}\n${tuningLine("listener", listener)}\n`);
    const stop = () => server.close();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    await server.whenFinished();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  });
}

function serverLine(r: ServerReport & { peer: string; index: number }): string {
  return (
    `#${r.index + 1} from ${r.peer}: ${r.bytes} B in ${formatMs(r.elapsed_ms)} = ${formatRate(r.bytes / Math.max(r.elapsed_ms / 1000, 1e-9))}; ` +
    `rb ${r.rb} tb ${r.tb}, rcv_mss ${r.rcv_mss ?? "?"}, rcv_wscale ${r.rcv_wscale ?? "?"}, rcv_wnd ${r.rcv_wnd ?? "unknown"}`
  );
}

// --- send -------------------------------------------------------------------------------
function parseTarget(t: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(t) ?? /^([^:]+)(?::(\d+))?$/.exec(t);
  if (!m) throw new UsageError(`HOST:PORT ${JSON.stringify(t)}: expected e.g. 10.77.0.2:5202 or [::1]:5202`);
  const port = m[2] !== undefined ? parseInteger(m[2], "port", 1, 65535) : DEFAULT_PORT;
  return { host: m[1]!, port };
}

function registerSend(lab: Command): void {
  const cmd = lab
    .command("send")
    .summary("send N bytes to a `lab serve` (like iperf3 -c) and compare with the model")
    .argument("<host:port>", `where \`tcpwin lab serve\` listens (port default ${DEFAULT_PORT})`)
    .addOption(new Option("--size <bytes>", "bytes per transfer: 2079208, 2MB, 1.98MiB").argParser(sizeArg).default(2_000_000, "2MB"))
    .addOption(new Option("--repeat <n>", "number of transfers (a new connection each)").argParser(intArg(1, 100_000)).default(1))
    .addOption(new Option("--interval <time>", "pause between transfers").argParser(durationArg).default(0))
    .addOption(new Option("--rtt <time>", "the path's RTT for the model (default: the kernel's min_rtt)").argParser(durationArg))
    .addOption(new Option("--timeout <time>", "give up on a transfer after this long").argParser(durationArg).default(120, "120s"))
    .option("--json", "one JSON object per transfer (NDJSON) on stdout");
  addTuning(cmd, "client");
  cmd.addHelpText(
    "after",
    `
Examples:
  # the incident's transfer to a name server with SO_RCVBUF=1024
  $ tcpwin lab send 10.77.0.2:${DEFAULT_PORT} --size 2079208
  # through the emulated link, five times, JSON for scripts
  $ tcpwin lab link --rtt 1.66ms --mtu 614 --no-timestamps \\
      --server 'tcpwin lab serve --rcvbuf 1024' \\
      --client 'tcpwin lab send $TCPWIN_LAB_B --size 2079208 --rtt 1.66ms --repeat 5 --json'
`,
  );
  cmd.action(async (target: string, o: TuningOpts & { size: number; repeat: number; interval: number; rtt?: number; timeout: number; json?: boolean }) => {
    const { host, port } = parseTarget(target);
    const st = style(process.stdout);
    const results: TransferResult[] = [];
    for (let i = 0; i < o.repeat; i++) {
      if (i > 0 && o.interval > 0) await new Promise((r) => setTimeout(r, o.interval * 1000));
      const r = await sendTransfer({
        host,
        port,
        size: o.size,
        tuning: tuningFrom(o),
        index: i,
        timeoutMs: o.timeout * 1000,
        rttMs: o.rtt !== undefined ? o.rtt * 1000 : undefined,
      });
      results.push(r);
      if (o.json) process.stdout.write(JSON.stringify(r) + "\n");
      else process.stdout.write(renderTransfer(r, i === 0, st));
    }
    if (!o.json && results.length > 1) {
      const ms = results.map((r) => r.elapsed_ms).sort((a, b) => a - b);
      const med = ms[Math.floor(ms.length / 2)]!;
      process.stdout.write(`${results.length} transfers: min ${formatMs(ms[0]!)}, median ${formatMs(med)}, max ${formatMs(ms[ms.length - 1]!)}; predicted ${formatMs(results[0]!.predicted_ms)}\n`);
    }
  });
}

function renderTransfer(r: TransferResult, first: boolean, st: ReturnType<typeof style>): string {
  const k = r.kernel;
  const lines: string[] = [];
  if (first) {
    lines.push(st.dim(tuningLine("client  ", r.client)));
    lines.push(st.dim(tuningLine("receiver", r.server.listener) + ` (kernel ${r.server.kernel})`));
  }
  const ratio = r.measured_over_predicted;
  const ratioText = `×${ratio.toFixed(2)}`;
  lines.push(
    `${st.bold(`#${r.index + 1}`)} ${r.bytes} B (${formatBytes(r.bytes)}) in ${st.bold(formatMs(r.elapsed_ms))} = ${formatRate(r.rate_bytes_per_sec)}; ` +
      `model ${formatMs(r.predicted_ms)} (${Math.abs(ratio - 1) <= 0.1 ? st.green(ratioText) : st.yellow(ratioText)}, window ${r.model.window_bytes} B, bound by ${r.model.bottleneck})`,
  );
  const pct = (x: number | null) => (x === null ? "unknown" : `${Math.round(x * 100)}%`);
  lines.push(
    `   kernel: snd_mss ${k.snd_mss}, min_rtt ${k.min_rtt_us === null ? "unknown" : `${(k.min_rtt_us / 1000).toFixed(3)} ms`}, ` +
      `snd_wnd ${k.snd_wnd ?? "unknown"}, cwnd ${k.snd_cwnd}, rwnd_limited ${pct(k.rwnd_limited_share)}, sndbuf_limited ${pct(k.sndbuf_limited_share)}, ` +
      `retrans ${k.total_retrans}; rb/tb ${k.rb}/${k.tb}, receiver rb/tb ${r.server.rb}/${r.server.tb}, receiver rcv_wnd ${r.server.rcv_wnd ?? "unknown"}`,
  );
  return lines.join("\n") + "\n";
}

// --- link -------------------------------------------------------------------------------
interface LinkCliOpts {
  rtt: number;
  mtu: number;
  rate?: number;
  queue?: number;
  loss: number;
  seed: number;
  timestamps: boolean;
  pcap?: string;
  pcapSide: "a" | "b";
  server?: string;
  client?: string;
  serverWait: number;
  report?: string;
  spinUs: number;
  cpu?: number;
  rawDelay?: boolean;
}

function registerLink(lab: Command): void {
  lab
    .command("link")
    .summary("emulate a link (RTT, MTU, rate, loss) between two network namespaces and run commands across it")
    .description(
      "Creates namespaces A (10.77.0.1) and B (10.77.0.2), each with a TUN device, joined by a userspace " +
        "forwarder that delays (half the RTT each way), rate-limits, drops (seeded) and captures. The hosts' own " +
        "round trip through the link (measured at start with 50 pings, ~15 µs on a 2-vCPU VM) is taken off the " +
        "delay, so the endpoints' best RTT is --rtt (--raw-delay: add exactly --rtt). Runs " +
        "--server in B, waits for its listener, runs --client in A with TCPWIN_LAB_A / TCPWIN_LAB_B set, " +
        "stops the server and exits with the client's status. Everything it creates is removed on exit, " +
        "error, SIGINT and SIGTERM; leftovers of killed runs are removed at the next start. Needs root. " +
        "Without --client: keeps the link up until interrupted (enter a side with `ip netns exec NS sh`).",
    )
    .requiredOption("--rtt <time>", "round-trip time the endpoints see: 1.66ms, 500us", durationArg)
    .option("--raw-delay", "add exactly --rtt in the forwarder, without taking off the hosts' own round trip")
    .addOption(new Option("--mtu <bytes>", "MTU of both TUN devices (614 gives MSS 574)").argParser(intArg(576, 65535)).default(1500))
    .addOption(new Option("--rate <rate>", "link rate: 1Gbit, 100Mbps (default: unlimited)").argParser(bandwidthArg))
    .addOption(new Option("--queue <bytes>", "rate limiter queue before tail drop (default 1000 × MTU)").argParser(sizeArg))
    .addOption(new Option("--loss <p>", "drop probability per packet: 0.01 or 1%").argParser(lossArg).default(0))
    .addOption(new Option("--seed <n>", "seed of the drop decisions").argParser(intArg(0, 2 ** 32 - 1)).default(1))
    .option("--no-timestamps", "net.ipv4.tcp_timestamps=0 inside both namespaces")
    .option("--pcap <file>", "write every packet that crosses (pcap, ns timestamps, raw IP)")
    .addOption(new Option("--pcap-side <side>", "capture as seen at side a's or b's interface").choices(["a", "b"]).default("a"))
    .option("--server <cmd>", "shell command run in side B (a server)")
    .option("--client <cmd>", "shell command run in side A after the server listens")
    .addOption(new Option("--server-wait <time>", "longest wait for the server's TCP listener").argParser(durationArg).default(5, "5s"))
    .option("--report <file>", "write the link's settings, per-direction counters and release lateness as JSON")
    .addOption(new Option("--spin-us <us>", "busy-wait this long before each release (timing precision vs CPU)").argParser(intArg(0, 5000)).default(200))
    .addOption(new Option("--cpu <n>", "pin the forwarding thread to this CPU (pin your commands there too, e.g. with taskset)").argParser(intArg(0, 4095)))
    .addHelpText(
      "after",
      `
Examples:
  # the incident: 1.66 ms, MSS 574, name server with SO_RCVBUF=1024
  $ sudo tcpwin lab link --rtt 1.66ms --mtu 614 --no-timestamps --pcap incident.pcap \\
      --server 'tcpwin lab serve --rcvbuf 1024' --client 'tcpwin lab send $TCPWIN_LAB_B --size 2079208'
  # any program works: iperf3 across a 5 ms, 100 Mbit/s, 0.1 % loss link
  $ sudo tcpwin lab link --rtt 5ms --rate 100Mbit --loss 0.1% \\
      --server 'iperf3 -s -1' --client 'iperf3 -c $TCPWIN_LAB_B -J'
`,
    )
    .action(async (o: LinkCliOpts) => {
      const opts: LinkOptions = {
        rttMs: o.rtt * 1000,
        mtu: o.mtu,
        rateBps: o.rate,
        queueBytes: o.queue,
        loss: o.loss,
        seed: o.seed,
        timestamps: o.timestamps,
        pcapPath: o.pcap,
        pcapSide: o.pcapSide,
        spinUs: o.spinUs,
        cpu: o.cpu,
        compensate: o.rawDelay !== true,
        onSignal: (sig) => process.stderr.write(`tcpwin lab link: ${sig} during set-up: link removed\n`),
      };
      const link = await LabLink.create(opts);
      const unguard = guardLink(link, (sig) => process.stderr.write(`tcpwin lab link: ${sig}: link removed\n`));
      try {
        const i = link.info;
        process.stderr.write(
          `link ${i.ns_a} (${i.addr_a}) ⇄ ${i.ns_b} (${i.addr_b}): RTT ${formatMs(i.rtt_ms)}` +
            (i.host_rtt_ms !== null ? ` (hosts ${formatMs(i.host_rtt_ms)} + forwarder 2 × ${formatMs(i.delay_ms)})` : "") +
            `, MTU ${i.mtu}` +
            `${i.rate_bps ? `, rate ${formatRate(i.rate_bps / 8)}` : ""}${i.loss ? `, loss ${i.loss * 100}% (seed ${i.seed})` : ""}` +
            `${i.timestamps ? "" : ", TCP timestamps off"}${o.pcap ? `, capture → ${o.pcap} (side ${o.pcapSide})` : ""}\n`,
        );
        if (!o.client) process.stderr.write(`no --client: link up until Ctrl-C; e.g. ip netns exec ${i.ns_a} ping ${i.addr_b}\n`);
        const res = await runSession(link, {
          server: o.server,
          client: o.client,
          serverWaitMs: o.serverWait * 1000,
          onServerReady: (ok) => {
            if (!ok) process.stderr.write(`tcpwin lab link: no TCP listener in side B after ${o.serverWait}s; starting the client anyway\n`);
          },
        });
        const stats = link.stats();
        link.close();
        const lateness = stats ? summarizeLateness(stats, link.info.rtt_ms) : null;
        const warning = lateness ? latenessWarning(lateness, link.info.rtt_ms) : null;
        if (o.report) {
          const doc = { link: link.info, stats, lateness: lateness && { ...lateness, warning }, client_status: res.clientStatus, server_status: res.serverStatus };
          writeFileSync(o.report, JSON.stringify(doc, null, 2) + "\n");
        }
        if (stats) {
          const d = (x: typeof stats.a_to_b) =>
            `${x.packets_out} pkts ${formatBytes(x.bytes_out)}, dropped ${x.drops_loss} (loss) + ${x.drops_queue} (queue), late mean ${x.late_mean_us} µs max ${x.late_max_us} µs`;
          process.stderr.write(`link A→B: ${d(stats.a_to_b)}\nlink B→A: ${d(stats.b_to_a)}\n`);
        }
        if (warning) process.stderr.write(`${warning}\n`);
        process.exitCode = res.clientStatus;
      } finally {
        link.close();
        unguard();
      }
    });
}

// --- validate ---------------------------------------------------------------------------
function listArg<T>(parse: (s: string) => T) {
  return (t: string): T[] => t.split(",").map((x) => parse(x.trim()));
}

function registerValidate(lab: Command): void {
  lab
    .command("validate")
    .summary("the model against measurements: SO_RCVBUF × RTT × MSS grid through `lab link`")
    .description(
      "For each cell, builds a link with that RTT and MTU = MSS + 40 (timestamps off unless --timestamps), " +
        "runs `tcpwin lab serve --rcvbuf X` in side B and `tcpwin lab send` in side A, and compares the time with the model. " +
        "Window-limited cells must be within --tolerance of the model plus the time the link measured delivering packets " +
        "(\"link busy\": both endpoints' TCP stacks run inside its TUN writes, serially, on one machine). Also checks the " +
        "emulator's RTT as tcp_info min_rtt sees it (window-limited cells with ≤ 4 segments in flight) and as iperf3 -J " +
        "mean_rtt reports it (20 Mbit/s, receiver ACKing at once). Exit 1 if a check fails. Needs root.",
    )
    .option("--quick", "a 4-cell subset at 1.66 ms (CI)")
    .addOption(new Option("--size <bytes>", "bytes per transfer").argParser(sizeArg).default(INCIDENT_BYTES))
    .addOption(new Option("--rcvbuf <list>", "receiver SO_RCVBUF values, 'default' for none").argParser(listArg(bufArg)))
    .addOption(new Option("--rtt <list>", "RTTs: 0.5ms,1.66ms,5ms").argParser(listArg((s) => durationArg(s) * 1000)))
    .addOption(new Option("--mss <list>", "segment sizes: 574,1448").argParser(listArg((s) => mssArg(s))))
    .option("--timestamps", "TCP timestamps on (segments carry MSS − 12)")
    .addOption(new Option("--tolerance <fraction>", "allowed |measured/predicted − 1| for window-limited cells").argParser(lossArg).default(0.1))
    .addOption(new Option("--rtt-tolerance <fraction>", "allowed emulator RTT error").argParser(lossArg).default(0.05))
    .option("--no-iperf3", "skip the iperf3 RTT check")
    .option("--realtime", "run lab serve/send SCHED_FIFO (chrt -f 5) against other load on the machine")
    .addOption(new Option("--busy-poll <time>", "lab serve --busy-poll: the receiver spins instead of sleeping (best on an otherwise idle machine)").argParser(durationArg).default(0))
    .addOption(new Option("--cpu <n>", "pin the forwarder, lab serve and lab send to this CPU (-1: no pinning; default: the last CPU)").argParser(intArg(-1, 4095)))
    .option("--json", "one JSON document: cells (one object per cell) and rtt_checks")
    .option("-q, --quiet", "no progress line on stderr (shown only when stderr is a terminal)")
    .addHelpText(
      "after",
      `
Examples:
  $ sudo tcpwin lab validate --quick
  $ sudo tcpwin lab validate --json > validate.json
  # just the incident's cell
  $ sudo tcpwin lab validate --rcvbuf 1024 --rtt 1.66ms --mss 574 --no-iperf3
`,
    )
    .action(
      async (o: {
        quick?: boolean;
        size: number;
        rcvbuf?: (number | "default")[];
        rtt?: number[];
        mss?: number[];
        timestamps?: boolean;
        tolerance: number;
        rttTolerance: number;
        iperf3: boolean;
        realtime?: boolean;
        busyPoll: number;
        cpu?: number;
        json?: boolean;
        quiet?: boolean;
      }) => {
        let cells: GridCell[];
        if (o.quick && !o.rcvbuf && !o.rtt && !o.mss) cells = QUICK_CELLS;
        else {
          cells = gridCells({
            rcvbuf: o.rcvbuf ? o.rcvbuf.map((x) => (x === "default" ? null : x)) : FULL_GRID.rcvbuf,
            rttMs: o.rtt ?? (o.quick ? [1.66] : FULL_GRID.rttMs),
            mss: o.mss ?? FULL_GRID.mss,
          });
        }
        const st = style(process.stdout);
        const selfCommand = [process.execPath, ...process.execArgv, process.argv[1]!];
        let active: LabLink | undefined;
        const guard = (l: LabLink) => {
          active = l;
          return guardLink(l, (sig) => process.stderr.write(`tcpwin lab validate: ${sig}: link removed\n`));
        };
        if (!o.json) process.stdout.write(validateHeader());
        const results = await runValidate(
          {
            cells,
            size: o.size,
            timestamps: o.timestamps ?? false,
            tolerance: o.tolerance,
            selfCommand,
            realtimeApps: o.realtime === true,
            busyPollMs: o.busyPoll * 1000,
            cpu: o.cpu ?? availableParallelism() - 1,
            onProgress: (l) => !o.quiet && process.stderr.isTTY && process.stderr.write(`\x1b[K${l}\r`),
            onCell: (r) => {
              if (!o.json) process.stdout.write(validateRow(r, o.rttTolerance, st));
            },
          },
          guard,
        );
        const rttChecks: RttCheck[] = [];
        if (o.iperf3) {
          const rtts = [...new Set(cells.map((c) => c.rttMs))];
          for (const rtt of rtts) {
            const c = await iperf3RttCheck(rtt, o.rttTolerance, undefined, guard, o.cpu ?? availableParallelism() - 1);
            rttChecks.push(c);
          }
        }
        void active;
        const failedCells = results.filter((r) => r.pass === false || r.failure);
        // min_rtt is held where a sample is the link's round trip and not also a burst's serial
        // delivery: window-limited cells with at most 4 segments in flight (CellResult.rtt_held).
        const rttHeld = results.filter((r) => r.rtt_held);
        const rttFails = rttHeld.filter((r) => Math.abs(r.rtt_error!) > o.rttTolerance);
        const iperfFails = rttChecks.filter((c) => c.pass === false);
        const ok = failedCells.length === 0 && rttFails.length === 0 && iperfFails.length === 0;
        if (o.json) {
          process.stdout.write(JSON.stringify({ ok, tolerance: o.tolerance, rtt_tolerance: o.rttTolerance, size: o.size, cells: results, rtt_checks: rttChecks }, null, 2) + "\n");
        } else {
          for (const c of rttChecks) {
            process.stdout.write(
              c.failure
                ? `iperf3 RTT check at ${c.rtt_ms} ms: ${c.failure}\n`
                : `iperf3 (20 Mbit/s, receiver quickack) through the link at ${c.rtt_ms} ms: mean_rtt ${c.mean_rtt_ms!.toFixed(3)} ms (${pctSigned(c.error!)}), min_rtt ${c.min_rtt_ms?.toFixed(3) ?? "?"} ms ${c.pass ? st.green("ok") : st.red("OUT")}\n`,
            );
          }
          const wl = results.filter((r) => r.window_limited);
          process.stdout.write(
            `${wl.length} window-limited cells, ${wl.filter((r) => r.pass).length} within ±${o.tolerance * 100}% of model + link busy; ` +
              `emulator RTT (min_rtt) within ±${o.rttTolerance * 100}% in ${rttHeld.length - rttFails.length}/${rttHeld.length} cells with ≤ 4 segments in flight` +
              ` → ${ok ? st.green("PASS") : st.red("FAIL")}\n`,
          );
        }
        if (!ok) process.exitCode = 1;
      },
    );
}

function pctSigned(x: number): string {
  return `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
}

function validateHeader(): string {
  return (
    `${"SO_RCVBUF".padStart(9)} ${"RTT ms".padStart(6)} ${"MSS".padStart(5)} ${"window".padStart(7)} ${"snd_wnd".padStart(7)} ${"measured".padStart(10)} ` +
    `${"model".padStart(10)} ${"error".padStart(7)} ${"link busy".padStart(9)} ${"model+link".padStart(10)} ${"error".padStart(7)} ${"min_rtt".padStart(8)}  bound\n`
  );
}

function validateRow(r: CellResult, rttTol: number, st: ReturnType<typeof style>): string {
  const rb = (r.rcvbuf === null ? "default" : String(r.rcvbuf)).padStart(9);
  if (r.failure) return `${rb} ${String(r.rtt_ms).padStart(6)} ${String(r.mss).padStart(5)}  ${st.red(`failed: ${r.failure}`)}\n`;
  const err = r.error === null ? "?" : pctSigned(r.error);
  const errK = r.error_link === null ? "?" : pctSigned(r.error_link);
  // The held basis is model + link busy (see lab/validate): colour that one, dim the other.
  const errCol = r.pass === null ? st.dim(errK.padStart(7)) : r.pass ? st.green(errK.padStart(7)) : st.red(errK.padStart(7));
  const rtt = r.min_rtt_ms === null ? "?" : r.min_rtt_ms.toFixed(3);
  const rttCol = !r.rtt_held ? st.dim(rtt.padStart(8)) : Math.abs(r.rtt_error!) > rttTol ? st.red(rtt.padStart(8)) : st.green(rtt.padStart(8));
  return (
    `${rb} ${String(r.rtt_ms).padStart(6)} ${String(r.mss).padStart(5)} ${String(r.model_window ?? "?").padStart(7)} ${String(r.snd_wnd ?? "?").padStart(7)} ` +
    `${formatMs(r.measured_ms!).padStart(10)} ${formatMs(r.predicted_ms!).padStart(10)} ${st.dim(err.padStart(7))} ` +
    `${(r.link_busy_ms === null ? "?" : formatMs(r.link_busy_ms)).padStart(9)} ${(r.predicted_link_ms === null ? "?" : formatMs(r.predicted_link_ms)).padStart(10)} ${errCol} ${rttCol}  ` +
    `${r.bottleneck}${r.window_limited ? "" : st.dim(" (not held to tolerance)")}\n`
  );
}

