/**
 * @module test/support/netns
 * Two network namespaces joined by a veth pair, made and removed by the test (or benchmark) that
 * uses them: unique names per process (`tcpwin-t-<pid>-<n>-a/b`), IPv4 + IPv6 on both ends,
 * optional MTU, offloads off on both ends (tso/gso/gro so a capture shows MSS-sized segments, not
 * 64 KB super-packets; tx/rx checksum so checksums on the wire are real). Traffic never leaves the
 * two namespaces.
 *
 * Cleanup: `close()` kills every process the pair started and deletes both namespaces; the same
 * happens on process exit and on SIGINT/SIGTERM/SIGHUP, should a test die midway.
 *
 * `pair.capture()` runs tcpdump on A's side (several at once are fine), `pair.iperf()` one iperf3
 * transfer from A to B; `captureIperf()` does both for the common case. tcpdump runs in immediate
 * mode: otherwise packets wait in the kernel ring until a block times out, and a SIGINT soon after
 * the transfer can leave them uncounted ("0 packets captured, 1123 packets received by filter" —
 * seen here on a busy machine).
 *
 * Used by test/tcp/*, test/capture/conformance.test.ts, test/diagnose/verdict-captures.test.ts and
 * bench/make-capture.ts.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";

let counter = 0;
const live = new Set<string>();
/** Every process any pair started and that has not exited yet; killed on close and at exit. */
const children = new Set<ChildProcess>();
let hooked = false;

function delNs(name: string): void {
  try {
    execFileSync("ip", ["netns", "del", name], { stdio: "ignore", timeout: 10_000, killSignal: "SIGKILL" });
  } catch {
    // already gone
  }
  live.delete(name);
}

function killAll(procs: Iterable<ChildProcess>): void {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    killAll(children);
    for (const n of [...live]) delNs(n);
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      killAll(children);
      for (const n of [...live]) delNs(n);
      process.kill(process.pid, sig);
    });
  }
}

function has(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore", timeout: 60_000, killSignal: "SIGKILL" });
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function waitFor(child: ChildProcess, stream: "stdout" | "stderr", pattern: RegExp, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const done = () => {
      clearTimeout(timer);
      child[stream]!.off("data", onData);
      child.off("exit", onExit);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: timed out waiting for ${pattern} (got: ${buf.slice(-300)})`));
    }, ms);
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (pattern.test(buf)) {
        done();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`${what}: exited (${code}) before ${pattern}: ${buf.slice(-300)}`));
    };
    child[stream]!.on("data", onData);
    child.once("exit", onExit);
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

/** A running tcpdump. */
export interface Capture {
  file: string;
  /** What tcpdump printed so far (after `stop()`: its "N packets captured" summary). */
  log(): string;
  /** Waits `settleMs` so the last packets reach the socket, then SIGINTs tcpdump and waits for it. */
  stop(settleMs?: number): Promise<void>;
}

export interface IperfOptions {
  /** Default 5201. */
  port?: number;
  /** Client timeout; default 120 s. */
  timeoutMs?: number;
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
  /** Starts `cmd` in `ns` (stdout/stderr piped); killed by `close()` if still running. */
  spawn(ns: string, cmd: string, args: string[]): ChildProcess;
  /**
   * tcpdump in A writing `file`; `args` e.g. ["-i", "veth-a", "-s", "96"] (interface, snaplen,
   * filter…). Resolves once it listens.
   */
  capture(file: string, args: string[]): Promise<Capture>;
  /**
   * One iperf3 transfer from A to `server` (B's v4 or v6 address), `args` e.g. ["-n", "2M"];
   * returns the client's stdout when the server has exited. Throws with iperf3's output on failure.
   */
  iperf(server: string, args: string[], opts?: IperfOptions): Promise<string>;
  /** Kills the pair's processes and deletes both namespaces. Idempotent. */
  close(): void;
}

export function createVethPair(opts: { mtu?: number } = {}): VethPair {
  hookExit();
  const id = `${process.pid}-${counter++}`;
  const nsA = `tcpwin-t-${id}-a`;
  const nsB = `tcpwin-t-${id}-b`;
  const procs = new Set<ChildProcess>();
  const run = (args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"], timeout: 20_000, killSignal: "SIGKILL" });
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
      // Some offloads are fixed on veth; these are switchable, and tso/gso/gro are the ones that matter.
      spawnSync("ip", ["netns", "exec", ns, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off", "tx", "off", "rx", "off"], { stdio: "ignore", timeout: 10_000, killSignal: "SIGKILL" });
    }
    const exec = (ns: string, cmd: string, args: string[]) => execFileSync("ip", ["netns", "exec", ns, cmd, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000, killSignal: "SIGKILL" });
    const spawnIn = (ns: string, cmd: string, args: string[]): ChildProcess => {
      const p = spawn("ip", ["netns", "exec", ns, cmd, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      procs.add(p);
      children.add(p);
      p.once("exit", () => {
        procs.delete(p);
        children.delete(p);
      });
      return p;
    };
    const waitForListener = async (ns: string, port: number, ms: number): Promise<void> => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        if (exec(ns, "ss", ["-Hltn", `sport = :${port}`]).trim() !== "") return;
        await sleep(20);
      }
      throw new Error(`nothing listening on port ${port} in ${ns} after ${ms} ms`);
    };
    const pair: VethPair = {
      nsA,
      nsB,
      ipA,
      ipB,
      ip6A,
      ip6B,
      devA: "veth-a",
      devB: "veth-b",
      exec,
      spawn: spawnIn,
      capture: async (file, args) => {
        // -B 65536 (KiB): room for a burst at veth speed; -Z root: write `file` wherever the test put it.
        const dump = spawnIn(nsA, "tcpdump", ["-U", "--immediate-mode", "-n", "-Z", "root", "-B", "65536", "-w", file, ...args]);
        let log = "";
        dump.stderr!.on("data", (d: Buffer) => (log += d.toString()));
        await waitFor(dump, "stderr", /listening on/, 10_000, `tcpdump ${args.join(" ")}`);
        return {
          file,
          log: () => log.trim(),
          stop: async (settleMs = 300) => {
            await sleep(settleMs);
            dump.kill("SIGINT");
            await exited(dump);
          },
        };
      },
      iperf: async (server, args, o = {}) => {
        const port = String(o.port ?? 5201);
        const s = spawnIn(nsB, "iperf3", ["-s", "-1", "-B", server, "-p", port]);
        // Nobody reads the server's report: drain it so a long run cannot fill the pipe and stall it.
        s.stdout!.resume();
        s.stderr!.resume();
        // iperf3 buffers its "listening" line when stdout is a pipe: ask the kernel instead.
        await waitForListener(nsB, o.port ?? 5201, 10_000);
        const r = spawnSync("ip", ["netns", "exec", nsA, "iperf3", "-c", server, "-p", port, ...args], { encoding: "utf8", timeout: o.timeoutMs ?? 120_000, killSignal: "SIGKILL" });
        if (r.status !== 0) throw new Error(`iperf3 -c ${server} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout || r.error?.message}`);
        await exited(s);
        return r.stdout;
      },
      close: () => {
        killAll(procs);
        delNs(nsA);
        delNs(nsB);
      },
    };
    return pair;
  } catch (e) {
    killAll(procs);
    delNs(nsA);
    delNs(nsB);
    throw e;
  }
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
  const cap = await pair.capture(file, ["-i", pair.devA, "-s", "128", "tcp"]);
  if (ipv6) await sleep(50); // let the v6 neighbour machinery settle (nodad addresses are usable at once)
  const out = await pair.iperf(ipv6 ? pair.ip6B : pair.ipB, ["-J", ...iperfArgs], { port });
  await cap.stop(200);
  return { file, iperf: JSON.parse(out), tcpdumpLog: cap.log() };
}
