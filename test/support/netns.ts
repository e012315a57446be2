/**
 * @module test/support/netns
 * Two network namespaces joined by a veth pair, made and removed by the test that uses them:
 * unique names (`tcpwin-t-<pid>-<n>`), offloads off on both ends (so a capture shows MSS-sized
 * segments, not 64 KB super-packets), optional MTU; removed in `close()`, on process exit and on
 * SIGINT/SIGTERM. Traffic never leaves the two namespaces.
 *
 * `captureIperf()` runs an iperf3 server in B and a client in A while tcpdump captures on A's end.
 * tcpdump runs in immediate mode: otherwise packets wait in the kernel ring until a block times
 * out, and a SIGINT soon after the transfer can leave them uncounted ("0 packets captured,
 * 1123 packets received by filter" — seen here on a busy machine).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";

let counter = 0;
const live = new Set<string>();
let hooked = false;

function delNs(name: string): void {
  try {
    execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
  } catch {
    // already gone
  }
  live.delete(name);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const n of [...live]) delNs(n);
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      for (const n of [...live]) delNs(n);
      process.kill(process.pid, sig);
    });
  }
}

function has(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Why namespace tests cannot run here, or null when they can. */
export function netnsSkipReason(tools: string[] = ["ip", "ethtool", "iperf3", "tcpdump", "tshark"]): string | null {
  if (process.platform !== "linux") return "needs Linux network namespaces";
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "needs root to create network namespaces";
  for (const t of tools) if (!has(t)) return `needs ${t} installed`;
  return null;
}

export interface VethPair {
  nsA: string;
  nsB: string;
  ipA: string;
  ipB: string;
  /** IPv6 addresses (fd00:199::1 / ::2, no DAD, usable at once). */
  ip6A: string;
  ip6B: string;
  /** Device names inside the namespaces. */
  devA: string;
  devB: string;
  exec(ns: string, cmd: string, args: string[]): string;
  spawn(ns: string, cmd: string, args: string[]): ChildProcess;
  close(): void;
}

export function createVethPair(opts: { mtu?: number } = {}): VethPair {
  hookExit();
  const id = `${process.pid}-${counter++}`;
  const nsA = `tcpwin-t-${id}-a`;
  const nsB = `tcpwin-t-${id}-b`;
  const run = (args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
  run(["netns", "add", nsA]);
  live.add(nsA);
  try {
    run(["netns", "add", nsB]);
    live.add(nsB);
    run(["link", "add", "veth-a", "netns", nsA, "type", "veth", "peer", "name", "veth-b", "netns", nsB]);
    const ipA = "10.199.0.1";
    const ipB = "10.199.0.2";
    const ip6A = "fd00:199::1";
    const ip6B = "fd00:199::2";
    for (const [ns, dev, ip, ip6] of [
      [nsA, "veth-a", ipA, ip6A],
      [nsB, "veth-b", ipB, ip6B],
    ] as const) {
      run(["-n", ns, "addr", "add", `${ip}/24`, "dev", dev]);
      run(["-n", ns, "addr", "add", `${ip6}/64`, "dev", dev, "nodad"]);
      if (opts.mtu) run(["-n", ns, "link", "set", dev, "mtu", String(opts.mtu)]);
      run(["-n", ns, "link", "set", dev, "up"]);
      run(["-n", ns, "link", "set", "lo", "up"]);
      try {
        execFileSync("ip", ["netns", "exec", ns, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off"], { stdio: "ignore" });
      } catch {
        // some offloads are fixed on veth; tso/gso/gro are the ones that matter and are switchable
      }
    }
    const pair: VethPair = {
      nsA,
      nsB,
      ipA,
      ipB,
      ip6A,
      ip6B,
      devA: "veth-a",
      devB: "veth-b",
      exec: (ns, cmd, args) => execFileSync("ip", ["netns", "exec", ns, cmd, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
      spawn: (ns, cmd, args) => spawn("ip", ["netns", "exec", ns, cmd, ...args], { stdio: ["ignore", "pipe", "pipe"] }),
      close: () => {
        delNs(nsA);
        delNs(nsB);
      },
    };
    return pair;
  } catch (e) {
    delNs(nsA);
    delNs(nsB);
    throw e;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function waitFor(child: ChildProcess, stream: "stdout" | "stderr", pattern: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} (got: ${buf.slice(-300)})`)), ms);
    child[stream]!.on("data", (d: Buffer) => {
      buf += d.toString();
      if (pattern.test(buf)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before ${pattern}: ${buf.slice(-300)}`));
    });
  });
}

async function waitForListener(pair: VethPair, ns: string, port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (pair.exec(ns, "ss", ["-Hltn", `sport = :${port}`]).trim() !== "") return;
    await sleep(20);
  }
  throw new Error(`nothing listening on port ${port} in ${ns} after ${ms} ms`);
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

export interface IperfCapture {
  file: string;
  /** iperf3 client JSON (sender side). */
  iperf: unknown;
  /** What tcpdump printed (its "N packets captured" summary), for failure messages. */
  tcpdumpLog: string;
}

/**
 * Run `iperf3 -c` from A to B with `iperfArgs` (e.g. ["-n", "2M", "-w", "4K"]) while tcpdump
 * writes `file` on A's device (snaplen 128: headers only).
 */
export async function captureIperf(pair: VethPair, file: string, iperfArgs: string[], port = 5201, ipv6 = false): Promise<IperfCapture> {
  const server = pair.spawn(pair.nsB, "iperf3", ["-s", "-1", "-p", String(port)]);
  const dump = pair.spawn(pair.nsA, "tcpdump", ["-i", pair.devA, "-s", "128", "-U", "--immediate-mode", "-n", "-Z", "root", "-w", file, "tcp"]);
  let log = "";
  dump.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  try {
    // iperf3 buffers its "listening" line when stdout is a pipe: ask the kernel instead.
    await Promise.all([waitForListener(pair, pair.nsB, port, 5000), waitFor(dump, "stderr", /listening on/, 5000)]);
    if (ipv6) await sleep(50); // let the v6 neighbour machinery settle (nodad addresses are usable at once)
    const out = pair.exec(pair.nsA, "iperf3", ["-c", ipv6 ? pair.ip6B : pair.ipB, "-p", String(port), "-J", ...iperfArgs]);
    await sleep(200);
    dump.kill("SIGINT");
    await exited(dump);
    await exited(server);
    return { file, iperf: JSON.parse(out), tcpdumpLog: log.trim() };
  } finally {
    if (dump.exitCode === null) dump.kill("SIGKILL");
    if (server.exitCode === null) server.kill("SIGKILL");
  }
}
