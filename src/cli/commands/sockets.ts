/**
 * @module cli/commands/sockets
 * `tcpwin sockets`: live TCP sockets of this host through sock_diag — like `ss -tinmp`, but with
 * the numbers of this job (effective buffers, windows, time limited by the peer's window or our
 * send buffer) and flags on the ones that explain a slow transfer.
 */
import { writeSync } from "node:fs";
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import { UsageError } from "../../errors.js";
import { listTcpSockets, canonicalAddr, type EndpointMatch, type OwnerStats, type SocketQuery } from "../../kernel/sockets.js";
import { stateFromName, TCP_STATE_NAMES, type DiagDecodeError } from "../../kernel/netlink.js";
import { renderSocketsText } from "../../report/sockets.js";
import { writeSocketsJson } from "./sockets-json-run.js";
import type { MachineLimits } from "../../diagnose/live-flags.js";
import { kernelFamily, parseKernelVersion, DEFAULT_RMEM_MAX, DEFAULT_TCP_RMEM } from "../../model/index.js";
import { readMachineNet } from "../machine.js";
import { bandwidthArg, pidArg } from "../options.js";
import { style } from "../style.js";

export interface SocketsOpts {
  pid?: number;
  port?: number;
  src?: EndpointMatch;
  dst?: EndpointMatch;
  state?: number;
  listening?: boolean;
  processes?: boolean;
  getsockopt?: boolean;
  bandwidth?: number;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  # every TCP socket, with the owning process (walks /proc: slower)
  $ tcpwin sockets -p
  # the name server's listener and its connections: is a small SO_RCVBUF inherited?
  $ tcpwin sockets --port 9876
  # one process's sockets, and its exact socket options read through pidfd_getfd (root)
  $ tcpwin sockets --pid 4242 --getsockopt
  # connections to a peer, as JSON (tcp_info names without tcpi_, rtt and *_limited in µs)
  $ tcpwin sockets --dst 10.0.0.7:9876 --json
`;

export const portArg = (t: string): number => {
  if (!/^\d+$/.test(t.trim()) || Number(t) < 1 || Number(t) > 65535) throw new InvalidArgumentError(`${JSON.stringify(t)} is not a port (1..65535)`);
  return Number(t);
};

export { pidArg } from "../options.js";

/** HOST, HOST:PORT, [V6]:PORT, V6, :PORT, NET/PREFIX. IP literals only (no DNS: it would hang). */
export const endpointArg = (t: string): EndpointMatch => {
  const text = t.trim();
  let host = text;
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2] !== undefined) port = portArg(bracket[2]);
  } else if (/^[^:]*:\d+$/.test(text)) {
    const k = text.lastIndexOf(":");
    host = text.slice(0, k);
    port = portArg(text.slice(k + 1));
  }
  const m: EndpointMatch = {};
  if (port !== undefined) m.port = port;
  if (host === "" || host === "*") return m;
  let prefix: number | undefined;
  const slash = host.indexOf("/");
  if (slash >= 0) {
    prefix = Number(host.slice(slash + 1));
    host = host.slice(0, slash);
  }
  const addr = canonicalAddr(host);
  if (addr === undefined) throw new InvalidArgumentError(`${JSON.stringify(t)}: expected an IP address, ADDR:PORT, [IPv6]:PORT, :PORT or NET/PREFIX`);
  const maxPrefix = addr.includes(":") ? 128 : 32;
  if (prefix !== undefined && (!Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix)) throw new InvalidArgumentError(`${JSON.stringify(t)}: prefix must be 0..${maxPrefix}`);
  m.addr = addr;
  if (prefix !== undefined) m.prefix = prefix;
  return m;
};

/** "estab,listen,time-wait" → idiag_states mask. */
export const statesArg = (t: string): number => {
  let mask = 0;
  for (const part of t.split(",")) {
    if (part.trim() === "all") {
      mask |= 0xfff & ~1;
      continue;
    }
    const n = stateFromName(part);
    if (n === undefined) throw new InvalidArgumentError(`unknown state ${JSON.stringify(part)} (one of: ${TCP_STATE_NAMES.slice(1).join(", ").toLowerCase()}, all)`);
    mask |= 1 << n;
  }
  return mask;
};

function readTriple(path: string): [number, number, number] | undefined {
  try {
    const v = readFileSync(path, "utf8").trim().split(/\s+/).map(Number);
    return v.length === 3 && v.every(Number.isFinite) ? [v[0]!, v[1]!, v[2]!] : undefined;
  } catch {
    return undefined;
  }
}

/** This machine's buffer sysctls and kernel family, for the flags. */
export function machineLimits(bandwidthBps = 1e9): MachineLimits {
  const net = readMachineNet();
  const v = parseKernelVersion(net.kernelRelease) ?? { major: 6, minor: 10 };
  return {
    family: kernelFamily(v),
    rmemMax: net.rmemMax ?? DEFAULT_RMEM_MAX,
    tcpRmem: net.tcpRmem ?? DEFAULT_TCP_RMEM,
    tcpWmem: readTriple("/proc/sys/net/ipv4/tcp_wmem") ?? [4096, 16384, 4194304],
    bandwidthBps,
  };
}

export function queryFromOptions(opts: SocketsOpts): SocketQuery {
  const q: SocketQuery = {};
  if (opts.listening) {
    if (opts.state !== undefined && opts.state !== 1 << 10) throw new UsageError("--listening and --state: give one of them");
    q.states = 1 << 10;
  } else if (opts.state !== undefined) q.states = opts.state;
  if (opts.port !== undefined) q.port = opts.port;
  if (opts.src) q.src = opts.src;
  if (opts.dst) q.dst = opts.dst;
  if (opts.pid !== undefined) q.pid = opts.pid;
  if (opts.processes) q.owners = true;
  return q;
}

export function registerSockets(program: Command): void {
  program
    .command("sockets")
    .summary("live TCP sockets: buffers, windows, time limited by the peer's window (sock_diag)")
    .description(
      "List TCP sockets of this host through NETLINK_SOCK_DIAG (no root, no restart): effective " +
        "SO_RCVBUF/SO_SNDBUF (rb/tb), MSS, RTT, cwnd, snd_wnd/rcv_wnd, window scale, and how long each " +
        "connection was limited by the peer's receive window or its own send buffer. Flags a peer " +
        "window ≤ 2 × MSS, buffers below the bandwidth-delay product, and listeners whose small " +
        "buffer every accepted socket inherits. A tcp_info field this kernel does not report is '-'.",
    )
    .addOption(new Option("--pid <pid>", "only sockets held by this process").argParser(pidArg))
    .addOption(new Option("--port <port>", "local or peer port (filtered by the kernel)").argParser(portArg))
    .addOption(new Option("--src <addr[:port]>", "local address and/or port: 10.0.0.1, :9876, [::1]:80, 10.0.0.0/8").argParser(endpointArg))
    .addOption(new Option("--dst <addr[:port]>", "peer address and/or port").argParser(endpointArg))
    .addOption(new Option("--state <states>", "comma-separated: estab, listen, time-wait, close-wait, syn-sent, ... or all (default: all but time-wait)").argParser(statesArg))
    .option("--listening", "only listening sockets")
    .option("-p, --processes", "show the owning process of each socket (reads /proc/*/fd)")
    .option("--getsockopt", "with --pid: read each socket's options from inside the process (pidfd_getfd; root or ptrace rights)")
    .addOption(new Option("--bandwidth <rate>", "link rate for the bandwidth-delay-product check").default(1e9, "1Gbit").argParser(bandwidthArg))
    .option("--json", "JSON array, one object per socket")
    .addHelpText("after", EXAMPLES)
    .action(async (opts: SocketsOpts) => {
      await runSockets(opts);
    });
}

export async function runSockets(opts: SocketsOpts): Promise<void> {
  if (opts.getsockopt && opts.pid === undefined) throw new UsageError("--getsockopt needs --pid N (the process whose sockets to read)");
  const q = queryFromOptions(opts);
  const machine = machineLimits(opts.bandwidth);
  if (opts.json && !opts.getsockopt) {
    // Streamed from the reply bytes: 100 k sockets are ~160 MB of JSON.
    // TCPWIN_JSON_WORKER=0 / =1: never / always receive on a worker thread (default: big dump, 2+ CPUs).
    const env = process.env.TCPWIN_JSON_WORKER;
    const r = await writeSocketsJson(q, machine, writeBytes, env === "0" ? { parallel: false } : env === "1" ? { parallel: true } : {});
    report(r.owners, r.errors, true);
    return;
  }
  const list = listTcpSockets(q);
  if (opts.getsockopt) {
    // Imported only here: pidfd and sockopt bindings are not needed by any other path.
    const [{ readSocketOptions }, { renderSockoptText }] = await Promise.all([import("../../kernel/socket-options.js"), import("../../report/sockets-sockopt.js")]);
    const rows = readSocketOptions(opts.pid!, list.sockets);
    if (opts.json) writeOut(JSON.stringify(rows, null, 2) + "\n");
    else writeOut(renderSockoptText(opts.pid!, rows, style()));
    return;
  }
  writeOut(renderSocketsText({ sockets: list.sockets, owners: list.owners, machine, decodeErrors: list.errors.length }, style()));
  report(undefined, list.errors, false);
}

function report(owners: OwnerStats | undefined, errors: DiagDecodeError[], json: boolean): void {
  if (json && owners && owners.unreadable > 0) {
    process.stderr.write(`tcpwin sockets: ${owners.unreadable} of ${owners.processes} process(es) could not be read (no permission): their sockets carry "owner_unknown": true\n`);
  }
  for (const e of errors) process.stderr.write(`tcpwin sockets: kernel reply: ${e.code} at byte ${e.offset} of the dump${e.need !== undefined ? ` (need ${e.need}, have ${e.have})` : ""}\n`);
}

function writeBytes(chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) {
    try {
      off += writeSync(1, chunk, off, chunk.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") continue;
      if (code === "EPIPE") process.exit(0);
      throw e;
    }
  }
}

function writeOut(s: string): void {
  writeBytes(Buffer.from(s, "utf8"));
}
