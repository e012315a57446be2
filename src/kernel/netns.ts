/**
 * @module kernel/netns
 * Named network namespaces the way iproute2 keeps them (/run/netns/NAME bind mounts), driven
 * through `ip` so that `ip netns exec`, `ip netns pids` and a person's own `ip netns list` all
 * see the same thing. Also: the capability check the lab needs, and process liveness for
 * finding leftovers of killed runs.
 *
 * Deleting a namespace unmounts its name; the namespace itself (and the devices in it) go away
 * once no process is left inside, so `deleteNetns` kills those processes first.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { TcpwinError } from "../errors.js";

export class NetnsError extends TcpwinError {
  override readonly name = "NetnsError";
  /**
   * The signal that ended the `ip` call, other than our own time-out SIGKILL: a Ctrl-C at a
   * terminal reaches the whole foreground process group, so the `ip` call running at that moment
   * dies of the same SIGINT this process is about to handle.
   */
  signal: NodeJS.Signals | undefined;
}

/**
 * Longest any one `ip` call may take: a stuck one (seen with the machine's netns lock contended by
 * other runs) must end in an error naming it, not hold lab link's set-up or exit handler for ever.
 */
const IP_TIMEOUT_MS = 30_000;
const IP_LIMITS = { timeout: IP_TIMEOUT_MS, killSignal: "SIGKILL" } as const;

/** Run `ip ARGS…`, throwing NetnsError with ip's own message on failure. */
export function ip(args: readonly string[]): string {
  const r = spawnSync("ip", args, { encoding: "utf8", ...IP_LIMITS });
  if (r.signal === "SIGKILL") throw new NetnsError("ip_failed", `ip ${args.join(" ")}: no answer after ${IP_TIMEOUT_MS / 1000} s, killed`);
  if (r.error) throw new NetnsError("ip_failed", `ip ${args.join(" ")}: ${r.error.message} (is iproute2 installed?)`, { cause: r.error });
  if (r.signal) {
    const e = new NetnsError("ip_failed", `ip ${args.join(" ")}: killed by ${r.signal}`);
    e.signal = r.signal;
    throw e;
  }
  if (r.status !== 0) throw new NetnsError("ip_failed", `ip ${args.join(" ")}: ${(r.stderr || r.stdout).trim() || `exit ${r.status}`}`);
  return r.stdout;
}

export function createNetns(name: string): void {
  ip(["netns", "add", name]);
  ip(["-n", name, "link", "set", "lo", "up"]);
}

export function listNetns(): string[] {
  const out = ip(["netns", "list"]);
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((n) => n.length > 0);
}

/** Pids of processes whose network namespace is NAME. */
export function netnsPids(name: string): number[] {
  try {
    return ip(["netns", "pids", name])
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}

/** SIGKILL every process inside NAME, then remove the name. Never throws for "already gone". */
export function deleteNetns(name: string): void {
  for (const pid of netnsPids(name)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  const r = spawnSync("ip", ["netns", "del", name], { encoding: "utf8", ...IP_LIMITS });
  if (r.status !== 0 && !/No such file|not found|Invalid/.test(r.stderr)) {
    throw new NetnsError("ip_failed", `ip netns del ${name}: ${r.stderr.trim()}`);
  }
}

/** `sysctl -w KEY=VALUE` inside NAME (net.* sysctls are per namespace). */
export function sysctlInNetns(name: string, key: string, value: string | number): void {
  ip(["netns", "exec", name, "sysctl", "-q", "-w", `${key}=${value}`]);
}

export function readSysctlInNetns(name: string, key: string): string {
  return execFileSync("ip", ["netns", "exec", name, "sysctl", "-n", key], { encoding: "utf8", ...IP_LIMITS }).trim();
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Capability bits from include/uapi/linux/capability.h. */
export const CAP_NET_ADMIN = 12;
export const CAP_SYS_ADMIN = 21;

/** Whether this process holds capability `bit` in its effective set (/proc/self/status CapEff). */
export function hasCapability(bit: number): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (!m) return false;
    return ((BigInt(`0x${m[1]}`) >> BigInt(bit)) & 1n) === 1n;
  } catch {
    return false;
  }
}
