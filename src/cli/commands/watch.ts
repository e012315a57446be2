/**
 * @module cli/commands/watch
 * `tcpwin watch`: sample matching connections every --interval (sock_diag, like `tcpwin sockets`)
 * and show, per connection and interval, bytes acked per second, the share of time limited by
 * the peer's window / our send buffer, retransmissions, and a verdict as it happens. A redrawn
 * table on a TTY, JSON Lines otherwise (or with --json). Stops after --duration or on Ctrl-C.
 */
import { Command, Option } from "commander";
import { SocketSampler, sampleEvery } from "../../kernel/sampler.js";
import { OwnerCache } from "../../kernel/owner-cache.js";
import { watchRows, renderWatchTable } from "../../report/watch.js";
import { durationArg, sizeArg } from "../options.js";
import { style } from "../style.js";
import { UsageError } from "../../errors.js";
import { endpointArg, pidArg, portArg, queryFromOptions, statesArg, type SocketsOpts } from "./sockets.js";

interface WatchOpts extends SocketsOpts {
  interval: number;
  duration?: number;
  size?: number;
  all?: boolean;
}

const EXAMPLES = `
Examples:
  # what limits the transfers to the name server, every second, until Ctrl-C
  $ tcpwin watch --dst 10.0.0.7:9876
  # one process's connections for 30 s, and how long 2 MB would take at each one's rate
  $ tcpwin watch --pid 4242 --duration 30s --size 2MB
  # machine-readable: one JSON object per connection per interval
  $ tcpwin watch --port 9876 --interval 200ms --json | jq -c 'select(.verdict.kind != "healthy")'
`;

export function registerWatch(program: Command): void {
  program
    .command("watch")
    .summary("sample live connections: rate, time limited by the peer's window or our buffer, verdict")
    .description(
      "Every --interval, read the matching TCP connections' tcp_info through sock_diag and report the " +
        "change: bytes acked per second, busy time and the share of it limited by the peer's receive " +
        "window (rwnd_limited) or our send buffer (sndbuf_limited), retransmissions, and a verdict " +
        "(receiver_window_limited, sender_buffer_limited, loss_limited, application_limited, " +
        "congestion_limited, healthy). Idle connections get no verdict.",
    )
    .addOption(new Option("--pid <pid>", "only connections held by this process").argParser(pidArg))
    .addOption(new Option("--port <port>", "local or peer port").argParser(portArg))
    .addOption(new Option("--src <addr[:port]>", "local address and/or port").argParser(endpointArg))
    .addOption(new Option("--dst <addr[:port]>", "peer address and/or port").argParser(endpointArg))
    .addOption(new Option("--state <states>", "states to sample (default: estab,close-wait,fin-wait-1,fin-wait-2,syn-sent,syn-recv,last-ack,closing)").argParser(statesArg))
    .option("-p, --processes", "show the owning process (reads /proc/*/fd every interval)")
    .addOption(new Option("--interval <time>", "time between samples").default(1, "1s").argParser(durationArg))
    .addOption(new Option("--duration <time>", "stop after this long (default: until Ctrl-C)").argParser(durationArg))
    .addOption(new Option("--size <bytes>", "also say how long this many bytes would take at each connection's rate").argParser(sizeArg))
    .option("--all", "table: show idle connections too")
    .option("--json", "JSON Lines even on a terminal")
    .addHelpText("after", EXAMPLES)
    .action(async (opts: WatchOpts) => {
      await runWatch(opts);
    });
}

/** Connected states: ESTAB, SYN-SENT, SYN-RECV, FIN-WAIT-1/2, CLOSE-WAIT, LAST-ACK, CLOSING. */
const CONNECTED = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 9) | (1 << 11);

export async function runWatch(opts: WatchOpts): Promise<void> {
  if (!(opts.interval >= 0.01)) throw new UsageError("--interval must be at least 10ms", "--interval");
  const q = queryFromOptions(opts);
  if (q.states === undefined) q.states = CONNECTED;
  const json = opts.json === true || process.stdout.isTTY !== true;
  const st = style();
  // -p: owners through the inode cache, so /proc is walked only when a socket it has not placed
  // appears (a connection keeps its process), not at every interval.
  const sampler = q.owners && q.pid === undefined ? new SocketSampler({ ...q, owners: false }, undefined, new OwnerCache(q.procRoot ?? "/proc", 0)) : new SocketSampler(q);
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once("SIGINT", onSig);
  process.once("SIGTERM", onSig);
  // `tcpwin watch | head`: a closed pipe ends the watch quietly.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
  });
  const t0 = Date.now();
  const endAt = opts.duration !== undefined ? t0 + opts.duration * 1000 : Infinity;
  try {
    await sampleEvery(sampler, { intervalS: opts.interval, durationS: opts.duration, signal: ac.signal }, (prev, cur) => {
      const rows = watchRows(prev, cur, new Date(), opts.size);
      if (json) {
        if (rows.length) process.stdout.write(rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
      } else {
        const header = st.bold(`tcpwin watch — every ${opts.interval}s, ${new Date().toISOString()}${opts.duration ? `, ${Math.max(0, Math.round((endAt - Date.now()) / 1000))}s left` : ", Ctrl-C to stop"}`);
        process.stdout.write("\x1b[H\x1b[2J" + renderWatchTable(rows, header, st, opts.all === true));
      }
    });
  } finally {
    process.removeListener("SIGINT", onSig);
    process.removeListener("SIGTERM", onSig);
  }
}
