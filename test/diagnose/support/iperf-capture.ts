/**
 * Real traffic for verdict tests: two network namespaces of the test's own (unique names
 * `tcpwin-t-<pid>-<n>-a/b`) joined by a veth pair with offloads off (MSS-sized packets, real
 * checksums), an iperf3 transfer between them, and tcpdump capturing on the sender's side.
 * Everything is removed in `finally`, and again on process exit should a test die midway.
 * Needs root, iproute2, ethtool, tcpdump, iperf3; `canRun()` says why not when it cannot.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface IperfCaptureOptions {
  /** Bytes to send (iperf3 -n), e.g. "300K". */
  bytes: string;
  /** iperf3 -w: sets SO_SNDBUF and SO_RCVBUF on both ends; undefined = kernel defaults. */
  window?: string;
  mtu?: number;
  timestamps?: boolean;
}

const live = new Set<string>();
let hooked = false;
let counter = 0;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.error?.message}`);
}

function delNs(ns: string): void {
  spawnSync("ip", ["netns", "del", ns], { timeout: 10_000 });
  live.delete(ns);
}

/** Null when the test can run here; else the reason to skip. */
export function canRun(): string | null {
  if (process.getuid?.() !== 0) return "needs root (network namespaces)";
  for (const tool of ["ip", "tcpdump", "iperf3", "ethtool"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} not installed`;
  }
  return null;
}

function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() > until) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

function exited(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once("exit", () => resolve())));
}

/** Runs one iperf3 transfer 10.0.0.1 → 10.0.0.2:5201 and returns the capture's bytes (pcap). */
export async function iperfCapture(o: IperfCaptureOptions): Promise<Buffer> {
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const ns of [...live]) delNs(ns);
    });
  }
  const base = `tcpwin-t-${process.pid}-${counter++}`;
  const a = `${base}-a`;
  const b = `${base}-b`;
  const dir = mkdtempSync(join(tmpdir(), "tcpwin-verdict-"));
  const procs: ChildProcess[] = [];
  try {
    for (const ns of [a, b]) {
      sh("ip", ["netns", "add", ns]);
      live.add(ns);
    }
    sh("ip", ["link", "add", "veth-a", "netns", a, "type", "veth", "peer", "name", "veth-b", "netns", b]);
    for (const [ns, dev, addr] of [
      [a, "veth-a", "10.0.0.1/24"],
      [b, "veth-b", "10.0.0.2/24"],
    ] as const) {
      sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
      sh("ip", ["-n", ns, "link", "set", dev, "mtu", String(o.mtu ?? 1500), "up"]);
      sh("ip", ["-n", ns, "addr", "add", addr, "dev", dev]);
      spawnSync("ip", ["netns", "exec", ns, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off", "tx", "off", "rx", "off"], { timeout: 10_000 });
      if (o.timestamps === false) sh("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv4.tcp_timestamps=0"]);
    }
    const pcap = join(dir, "cap.pcap");
    const dumpErr: string[] = [];
    const dump = spawn("ip", ["netns", "exec", a, "tcpdump", "-i", "veth-a", "-B", "32768", "--immediate-mode", "-U", "-n", "-Z", "root", "-w", pcap, "tcp"], { stdio: ["ignore", "ignore", "pipe"] });
    procs.push(dump);
    dump.stderr!.on("data", (d: Buffer) => dumpErr.push(d.toString()));
    const server = spawn("ip", ["netns", "exec", b, "iperf3", "-s", "-1", "-B", "10.0.0.2"], { stdio: "ignore" });
    procs.push(server);
    await waitFor(() => dumpErr.join("").includes("listening on"), 10_000, "tcpdump");
    await waitFor(() => spawnSync("ip", ["netns", "exec", b, "ss", "-Hltn", "sport", "= :5201"], { encoding: "utf8" }).stdout.includes("5201"), 10_000, "iperf3 server");
    const args = ["netns", "exec", a, "iperf3", "-c", "10.0.0.2", "-B", "10.0.0.1", "-n", o.bytes];
    if (o.window) args.push("-w", o.window);
    const client = spawnSync("ip", args, { encoding: "utf8", timeout: 60_000 });
    if (client.status !== 0) throw new Error(`iperf3 client failed: ${client.stdout}${client.stderr}`);
    await exited(server);
    await new Promise((r) => setTimeout(r, 200));
    dump.kill("SIGINT");
    await exited(dump);
    if (!existsSync(pcap)) throw new Error(`tcpdump wrote nothing: ${dumpErr.join("")}`);
    return readFileSync(pcap);
  } finally {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    for (const ns of [a, b]) delNs(ns);
    rmSync(dir, { recursive: true, force: true });
  }
}
