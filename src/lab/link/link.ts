/**
 * @module lab/link/link
 * A link emulator on one machine (this kernel has no netem): network namespaces A and B, each with
 * a TUN device (A: 10.77.0.1, B: 10.77.0.2, /30 point-to-point), joined by the forwarding worker,
 * which delays (RTT split evenly across the two directions), rate-limits, drops (seeded) and
 * captures. The addresses exist only inside the two namespaces; the host has no device or route
 * for them.
 *
 * Resource names carry the owner's pid (`tcpwin-<pid>-<n>-a`, devices `tw<pid>.<n>a`), so a later
 * run can tell leftovers of a killed run (pid no longer alive) and remove them: `sweepLeftovers`.
 * TUN devices are non-persistent (they vanish with the fd), namespaces are removed explicitly,
 * processes started in them are killed by process group and then by namespace membership.
 * `close()` is synchronous and idempotent, so it can run from signal and 'exit' handlers. `create`
 * guards its own set-up that way (SIGINT/SIGTERM/SIGHUP at any moment remove what exists so far);
 * the caller's guard (session's `guardLink`) takes over from when it returns.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants } from "node:fs";
import { delimiter, join } from "node:path";
import { closeTun, openTun, type TunDevice } from "../../kernel/tun.js";
import {
  NetnsError,
  CAP_NET_ADMIN,
  CAP_SYS_ADMIN,
  createNetns,
  deleteNetns,
  hasCapability,
  ip,
  listNetns,
  netnsPids,
  pidAlive,
  sysctlInNetns,
} from "../../kernel/netns.js";
import { TcpwinError } from "../../errors.js";
import { Forwarder, type ForwarderStats } from "./forwarder.js";

export const LAB_ADDR_A = "10.77.0.1";
export const LAB_ADDR_B = "10.77.0.2";
const PREFIX_LEN = 30;

export class LabPermissionError extends TcpwinError {
  override readonly name = "LabPermissionError";
  constructor(detail: string) {
    super("needs_cap_net_admin", `lab link needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create network namespaces and TUN devices: ${detail}`);
  }
}

export interface LinkOptions {
  /** Round-trip time added by the link, ms (half each way). */
  rttMs: number;
  mtu?: number;
  /** Link rate, bit/s; undefined = unlimited. */
  rateBps?: number | undefined;
  /** Rate limiter queue before tail drop, bytes (default: 1000 MTU-sized packets). */
  queueBytes?: number | undefined;
  /** Per-packet drop probability 0..1. */
  loss?: number;
  seed?: number;
  /** TCP timestamps inside both namespaces (default on, as the kernel's default). */
  timestamps?: boolean;
  pcapPath?: string | undefined;
  pcapSide?: "a" | "b";
  /** Name prefix (tests use their own). Must match /^tcpwin(-[a-z]+)?$/ so sweeps find it. */
  prefix?: string;
  spinUs?: number;
  /** SCHED_FIFO priority of the forwarding thread (default 10; 0 = normal scheduling). */
  realtime?: number;
  /** Pin the forwarding thread to this CPU (undefined = no pinning). */
  cpu?: number | undefined;
  /**
   * Called (after everything created so far is removed) when SIGINT, SIGTERM or SIGHUP arrives
   * during `create`, before the process exits 128+n — e.g. to say so on stderr.
   */
  onSignal?: (sig: string) => void;
  /**
   * Subtract the hosts' own round trip through the link (measured at start, see `calibrate`) from
   * the delay, so the endpoints see `rttMs` (default true). False: the forwarder adds exactly rttMs.
   */
  compensate?: boolean;
}

export interface LinkInfo {
  ns_a: string;
  ns_b: string;
  dev_a: string;
  dev_b: string;
  addr_a: string;
  addr_b: string;
  rtt_ms: number;
  mtu: number;
  rate_bps: number | null;
  loss: number;
  seed: number;
  timestamps: boolean;
  /**
   * The round trip the two hosts' stacks and the forwarder's TUN reads and writes take with no
   * delay (minimum of 50 pings at start), ms; null when not measured (--raw-delay, or --rtt 0).
   */
  host_rtt_ms: number | null;
  /** The delay the forwarder adds in each direction, ms: (rtt_ms − host_rtt_ms) / 2. */
  delay_ms: number;
}

/** The signals a link is torn down on (during set-up: `create`; after: session's `guardLink`), and the exit status each gives. */
export const GUARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export const EXIT_BY_SIGNAL: Record<(typeof GUARDED)[number], number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

let linkCounter = 0;
const NAME_RE = /^tcpwin(?:-[a-z]+)?-(\d+)-\d+-[ab]$/;

/** Remove namespaces (and the processes inside them) left by runs whose pid is dead. */
export function sweepLeftovers(): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = listNetns();
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = NAME_RE.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    deleteNetns(name);
    removed.push(name);
  }
  return removed;
}

/** Whether `cmd` is an executable file in one of PATH's directories (what `ip netns exec` will exec). */
export function onPath(cmd: string, path = process.env.PATH ?? ""): boolean {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), fsConstants.X_OK);
      return true;
    } catch {
      /* not here */
    }
  }
  return false;
}

/** Longest the calibration ping may take (50 pings 2 ms apart, -W 1: ~1.1 s when nothing answers). */
const CALIBRATION_TIMEOUT_MS = 10_000;

export function checkLabPrivileges(): void {
  const missing = [
    hasCapability(CAP_NET_ADMIN) ? "" : "CAP_NET_ADMIN",
    hasCapability(CAP_SYS_ADMIN) ? "" : "CAP_SYS_ADMIN",
  ].filter(Boolean);
  if (missing.length) throw new LabPermissionError(`this process lacks ${missing.join(" and ")} (run as root, e.g. with sudo)`);
}

export class LabLink {
  readonly info: LinkInfo;
  private tunA: TunDevice | undefined;
  private tunB: TunDevice | undefined;
  private forwarder: Forwarder | undefined;
  private readonly children = new Set<ChildProcess>();
  private closed = false;
  /** The signal whose handler closed the link, if one did. */
  private closedBy: string | undefined;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  private nsCreated: string[] = [];
  /** Statistics at close time (the worker's shared memory is gone after). */
  private finalStats: ForwarderStats | undefined;

  private constructor(info: LinkInfo) {
    this.info = info;
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
  }

  /**
   * Build the link. On any failure everything created so far is removed before the throw; so it is
   * on SIGINT, SIGTERM or SIGHUP at any moment of the set-up (see `guardSetUp`).
   */
  static async create(opts: LinkOptions): Promise<LabLink> {
    let link: LabLink | undefined;
    const release = LabLink.guardSetUp(() => link, opts.onSignal);
    try {
      checkLabPrivileges();
      // The hosts' own round trip is measured with ping before any traffic: without it, fail before
      // anything is created rather than silently add the full --rtt (and say how to go without).
      if (opts.compensate !== false && opts.rttMs > 0) {
        const needed = ["ping", ...(opts.cpu !== undefined && opts.cpu >= 0 ? ["taskset"] : [])];
        const missing = needed.filter((c) => !onPath(c));
        if (missing.length) {
          throw new TcpwinError(
            "needs_ping",
            `lab link measures the hosts' own round trip at start with ${needed.join(" and ")}, but ${missing.join(" and ")} is not on PATH: install it (ping: iputils-ping), or pass --raw-delay to add exactly --rtt without that measurement`,
          );
        }
      }
      sweepLeftovers();
      const prefix = opts.prefix ?? "tcpwin";
      if (!/^tcpwin(-[a-z]+)?$/.test(prefix)) throw new TcpwinError("bad_prefix", `link name prefix ${JSON.stringify(prefix)}: must be tcpwin or tcpwin-<letters>`);
      const n = linkCounter++;
      const mtu = opts.mtu ?? 1500;
      const info: LinkInfo = {
        ns_a: `${prefix}-${process.pid}-${n}-a`,
        ns_b: `${prefix}-${process.pid}-${n}-b`,
        dev_a: `tw${process.pid}.${n}a`,
        dev_b: `tw${process.pid}.${n}b`,
        addr_a: LAB_ADDR_A,
        addr_b: LAB_ADDR_B,
        rtt_ms: opts.rttMs,
        mtu,
        rate_bps: opts.rateBps ?? null,
        loss: opts.loss ?? 0,
        seed: opts.seed ?? 1,
        timestamps: opts.timestamps ?? true,
        host_rtt_ms: null,
        delay_ms: opts.rttMs / 2,
      };
      link = new LabLink(info);
      await link.build(opts);
      return link;
    } catch (e) {
      link?.close();
      // Ctrl-C at a terminal also killed the `ip` call running then: this process has the same
      // signal pending, and its handler (which exits 128+n) runs once the event loop turns — give
      // it that turn rather than report "ip …: killed by SIGINT" as a failure of the link.
      if (e instanceof NetnsError && e.signal && (GUARDED as readonly string[]).includes(e.signal)) {
        await new Promise((r) => setTimeout(r, 100));
        // Still here: others listen for that signal, and the process is theirs to end.
        if (link?.closedBy) link.throwIfClosed();
      }
      throw e;
    } finally {
      release();
    }
  }

  private async build(opts: LinkOptions): Promise<void> {
    const i = this.info;
    for (const [ns, devName, addr, peer] of [
      [i.ns_a, i.dev_a, i.addr_a, i.addr_b],
      [i.ns_b, i.dev_b, i.addr_b, i.addr_a],
    ] as const) {
      // Recorded first: an `ip` call killed half-way (Ctrl-C reaches it too) may have made the name.
      this.nsCreated.push(ns);
      createNetns(ns);
      // IPv6 off inside before any device is up: no router solicitations or MLD reports crossing the link.
      sysctlInNetns(ns, "net.ipv6.conf.all.disable_ipv6", 1);
      sysctlInNetns(ns, "net.ipv6.conf.default.disable_ipv6", 1);
      let dev: TunDevice;
      try {
        dev = openTun(devName);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "EPERM" || code === "EACCES") throw new LabPermissionError(`opening a TUN device: ${(e as Error).message}`);
        throw e;
      }
      if (ns === i.ns_a) this.tunA = dev;
      else this.tunB = dev;
      // Move first, address after: the address never exists in the host namespace.
      ip(["link", "set", "dev", dev.name, "netns", ns]);
      ip(["-n", ns, "addr", "add", `${addr}/${PREFIX_LEN}`, "dev", dev.name]);
      ip(["-n", ns, "link", "set", "dev", dev.name, "mtu", String(i.mtu), "up"]);
      if (!i.timestamps) sysctlInNetns(ns, "net.ipv4.tcp_timestamps", 0);
    }
    const calibrate = opts.compensate !== false && i.rtt_ms > 0;
    // The handle is kept before the worker is up, so that close() during its start stops it.
    this.forwarder = Forwarder.spawn({
      fdA: this.tunA!.fd,
      fdB: this.tunB!.fd,
      delayAtoBMs: calibrate ? 0 : i.rtt_ms / 2,
      delayBtoAMs: calibrate ? 0 : i.rtt_ms / 2,
      capture: !calibrate,
      rateBps: opts.rateBps ?? 0,
      queueBytes: opts.queueBytes ?? 1000 * i.mtu,
      loss: i.loss,
      seed: i.seed,
      mtu: i.mtu,
      pcapPath: opts.pcapPath ?? null,
      pcapSide: opts.pcapSide ?? "a",
      spinUs: opts.spinUs ?? 200,
      realtime: opts.realtime ?? 10,
      cpu: opts.cpu ?? -1,
    });
    await Promise.race([this.forwarder.ready, this.closedPromise]);
    this.throwIfClosed();
    if (calibrate) await this.calibrate(opts.cpu);
    this.throwIfClosed();
  }

  /** close() ran during the set-up (a signal): stop building. */
  private throwIfClosed(): void {
    if (this.closed) throw new TcpwinError("interrupted", `lab link set-up interrupted${this.closedBy ? ` by ${this.closedBy}` : ""}; what it had created is removed`);
  }

  /**
   * A TUN link on one machine costs the endpoints more than a wire: each packet is read and written
   * by this process, and each side's stack runs around it (15 µs per round trip on a 2-vCPU VM with
   * everything on one CPU, 30–60 µs across CPUs, against 3–10 µs through a veth pair). The kernel counts that in every RTT sample, so a link
   * that only added rtt_ms would show 0.5 ms as ~0.54 ms to tcp_info and iperf3. Measure it once —
   * the least of 50 pings through the link with no delay, neither captured nor counted — and add
   * only the rest, so the endpoints' best RTT is the one asked for. `create` has checked that ping
   * exists; a ping that gives no round trip (or runs past CALIBRATION_TIMEOUT_MS, killed) is an
   * error naming what it printed — a link whose delay is unknown would mislead every measurement.
   */
  private async calibrate(cpu: number | undefined): Promise<void> {
    const i = this.info;
    const fwd = this.forwarder!;
    // On the forwarder's CPU when it is pinned: where the endpoints run changes the cost (wake-ups
    // across CPUs are inter-processor interrupts), and pinned links pin their endpoints there too.
    const pin = cpu !== undefined && cpu >= 0 ? ["taskset", "-c", String(cpu)] : [];
    const ping = this.spawnArgv("a", [...pin, "ping", "-n", "-q", "-c", "50", "-i", "0.002", "-W", "1", i.addr_b], { stdio: "pipe" });
    let out = "";
    ping.stdout!.on("data", (d: Buffer) => (out += d));
    ping.stderr!.on("data", (d: Buffer) => (out += d));
    let spawnError: Error | undefined;
    ping.once("error", (e) => (spawnError = e));
    const timer = setTimeout(() => killGroup(ping, "SIGKILL"), CALIBRATION_TIMEOUT_MS);
    const status = await new Promise<string>((r) => ping.once("close", (code, sig) => r(sig ?? `status ${code}`)));
    clearTimeout(timer);
    this.throwIfClosed();
    const m = /= ([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(out);
    const host = m ? Number(m[1]) : NaN;
    if (!(Number.isFinite(host) && host > 0)) {
      const said = (spawnError?.message ?? out).trim().split("\n").slice(-2).join(" / ");
      throw new TcpwinError(
        "calibration_failed",
        `lab link: measuring the hosts' own round trip (ping ${i.addr_b} from ${i.ns_a}) gave no round trip (${status}${said ? `: ${said}` : ""}); pass --raw-delay to add exactly --rtt without it`,
      );
    }
    i.host_rtt_ms = Math.round(host * 1000) / 1000;
    i.delay_ms = Math.max(0, i.rtt_ms - i.host_rtt_ms) / 2;
    fwd.setDelays(i.delay_ms, i.delay_ms);
    fwd.resetStats();
    fwd.setCapture(true);
  }

  /**
   * SIGINT/SIGTERM/SIGHUP during `LabLink.create`: remove what the set-up has created so far (the
   * link `current()` returns, if any: namespaces, TUN fds, the forwarder worker, the calibration
   * ping) and, when no one else listens for that signal — so its default action would have ended the
   * process — exit 128+n as that default would. With other listeners the process is theirs to end;
   * the set-up then stops at its next step with an "interrupted" error. Also closes the link if the
   * process exits during the set-up. Returns the function that removes these handlers.
   *
   * The set-up's `ip` calls are synchronous, so a signal that arrives during them is handled when the
   * set-up next waits (for the forwarder's start or the ping), by when all they made is recorded; a
   * Ctrl-C that also killed the `ip` call running then is handled in `create`'s catch. The caller
   * installs its own guard (`guardLink`) in the microtask `create` resolves in, before any signal
   * can be dispatched, so there is no moment without one.
   */
  private static guardSetUp(current: () => LabLink | undefined, onSignal?: (sig: string) => void): () => void {
    const handlers = new Map<string, () => void>();
    for (const sig of GUARDED) {
      const h = () => {
        const link = current();
        if (link) {
          link.closedBy = sig;
          link.close();
        }
        onSignal?.(sig);
        if (process.listenerCount(sig) === 1) process.exit(EXIT_BY_SIGNAL[sig]);
      };
      handlers.set(sig, h);
      process.on(sig, h);
    }
    const onExit = () => current()?.close();
    process.on("exit", onExit);
    return () => {
      for (const [sig, h] of handlers) process.off(sig, h);
      process.off("exit", onExit);
    };
  }

  nsOf(side: "a" | "b"): string {
    return side === "a" ? this.info.ns_a : this.info.ns_b;
  }

  /** Environment for commands run on either side. */
  env(): Record<string, string> {
    return {
      TCPWIN_LAB_A: this.info.addr_a,
      TCPWIN_LAB_B: this.info.addr_b,
      TCPWIN_LAB_RTT_MS: String(this.info.rtt_ms),
      TCPWIN_LAB_MTU: String(this.info.mtu),
    };
  }

  /**
   * Run a shell command inside a side's namespace, in its own process group (so stopping it stops
   * everything it started). stdio defaults to inherit.
   */
  spawnIn(side: "a" | "b", command: string, opts: { stdio?: "inherit" | "pipe" | "ignore"; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    return this.spawnTracked(side, ["sh", "-c", command], opts.stdio ?? "inherit", opts.env);
  }

  /** argv form of spawnIn (no shell). */
  spawnArgv(side: "a" | "b", argv: readonly string[], opts: { stdio?: "inherit" | "pipe" | "ignore"; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    return this.spawnTracked(side, argv, opts.stdio ?? "pipe", opts.env);
  }

  /** `ip netns exec <ns> ...argv` in its own process group, with the link's env, tracked until it exits. */
  private spawnTracked(side: "a" | "b", argv: readonly string[], stdio: "inherit" | "pipe" | "ignore", env: NodeJS.ProcessEnv | undefined): ChildProcess {
    if (this.closed) throw new TcpwinError("link_closed", "lab link is closed");
    const child = spawn("ip", ["netns", "exec", this.nsOf(side), ...argv], {
      detached: true,
      stdio,
      env: { ...process.env, ...(env ?? {}), ...this.env() },
    });
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  /** SIGTERM a child's process group, then SIGKILL after graceMs if it has not exited. */
  async stopChild(child: ChildProcess, graceMs = 1500): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    killGroup(child, "SIGTERM");
    const t = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
    await exited;
    clearTimeout(t);
  }

  stats(): ForwarderStats | undefined {
    return this.forwarder ? this.forwarder.snapshot() : this.finalStats;
  }

  get forwarderError(): Error | undefined {
    return this.forwarder?.error;
  }

  /** Remove everything: children, forwarder, TUN fds, namespaces. Synchronous, idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.resolveClosed();
    for (const c of this.children) killGroup(c, "SIGKILL");
    this.children.clear();
    if (this.forwarder) {
      this.finalStats = this.forwarder.snapshot();
      this.forwarder.stopSync();
      this.forwarder = undefined;
    }
    if (this.tunA) closeTun(this.tunA);
    if (this.tunB) closeTun(this.tunB);
    for (const ns of this.nsCreated) {
      try {
        deleteNetns(ns);
      } catch {
        /* best effort: the next start sweeps it */
      }
    }
    this.nsCreated = [];
  }

  /** Pids of processes still inside this link's namespaces (tests check it is empty after close). */
  pidsInside(): number[] {
    return [...netnsPids(this.info.ns_a), ...netnsPids(this.info.ns_b)];
  }
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {
      /* gone */
    }
  }
}
