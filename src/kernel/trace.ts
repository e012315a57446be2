/**
 * @module kernel/trace
 * Run a program under strace, or attach strace to a running process, and feed its output to
 * kernel/strace as it comes. strace writes its trace to fd 3 (a pipe we read) with
 * `-o /dev/fd/3`, so the program's own stdout/stderr stay the user's. Children and threads are
 * followed (-f). strace's own complaints (missing, attach refused) become clear errors.
 */
import { spawn, spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { constants as osConstants, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { StraceParser, STRACE_SYSCALLS, type SockoptEvent, type TraceLimits } from "./strace.js";
import { TcpwinError } from "../errors.js";

export class TraceError extends TcpwinError {
  override readonly name = "TraceError";
}

export interface TraceTarget {
  /** Run this program (argv[0] looked up in PATH). */
  command?: string[];
  /** Or attach to this process (all its threads; children it forks later are followed). */
  pid?: number;
  /** Stop attaching after this many seconds (pid mode); default until Ctrl-C or exit. */
  durationSec?: number;
  strace?: string;
  /** Called as each traced option call is parsed. */
  onEvent?: (e: SockoptEvent) => void;
}

export interface TraceResult {
  events: SockoptEvent[];
  unparsed: string[];
  lines: number;
  /**
   * Command mode: the program's exit status as a shell gives it (strace exits with it; a program
   * killed by signal n gives 128 + n). Null in pid mode.
   */
  exitCode: number | null;
  /** Command mode: the signal that ended the program, or null. */
  exitSignal: NodeJS.Signals | null;
  /** Pid mode: the process attached to (its calls before that moment were not seen); else null. */
  attachedPid: number | null;
  straceVersion?: string;
}

/** net.core.rmem_max / wmem_max, the caps setsockopt applies. */
export function readTraceLimits(): TraceLimits {
  const read = (p: string, d: number) => {
    try {
      return Number(readFileSync(p, "utf8").trim()) || d;
    } catch {
      return d;
    }
  };
  return { rmemMax: read("/proc/sys/net/core/rmem_max", 4194304), wmemMax: read("/proc/sys/net/core/wmem_max", 4194304) };
}

function tgidOf(tid: number): number {
  try {
    const m = /^Tgid:\s+(\d+)$/m.exec(readFileSync(`/proc/${tid}/status`, "utf8"));
    return m ? Number(m[1]) : tid;
  } catch {
    return tid; // gone already: a thread id is the best name left
  }
}

/** `strace -V` first line, or a TraceError saying how to install it. */
export function straceVersion(bin = "strace"): string {
  const r = spawnSync(bin, ["-V"], { encoding: "utf8" });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new TraceError("strace_missing", `${bin} is not installed: tcpwin trace runs the program under strace (Debian/Ubuntu: apt-get install strace)`);
  }
  if (r.status !== 0) throw new TraceError("strace_failed", `${bin} -V failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.split("\n")[0]!.trim();
}

/** Trace until the program exits (command) or the duration ends / SIGINT (pid). */
export async function traceSockopts(t: TraceTarget): Promise<TraceResult> {
  const bin = t.strace ?? "strace";
  const version = straceVersion(bin);
  if (t.pid !== undefined) {
    try {
      process.kill(t.pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ESRCH") throw new TraceError("no_such_process", `--pid ${t.pid}: no such process`);
    }
  }
  const parser = new StraceParser(readTraceLimits(), tgidOf);
  // strace writes the trace into a FIFO we read as it comes (node's stdio "pipes" are socketpairs,
  // which strace cannot fopen through /dev/fd).
  const dir = mkdtempSync(join(tmpdir(), "tcpwin-trace-"));
  const fifo = join(dir, "trace");
  const mk = spawnSync("mkfifo", ["-m", "600", fifo]);
  if (mk.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new TraceError("trace_setup", `mkfifo ${fifo} failed: ${String(mk.stderr).trim()}`);
  }
  try {
    return await runStrace(bin, version, fifo, parser, t);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runStrace(bin: string, version: string, fifo: string, parser: StraceParser, t: TraceTarget): Promise<TraceResult> {
  const args = ["-f", "-qq", "-yy", "-ttt", "-e", `trace=${STRACE_SYSCALLS}`, "-e", "signal=none", "-o", fifo];
  if (t.pid !== undefined) args.push("-p", String(t.pid));
  else if (t.command && t.command.length) args.push("--", ...t.command);
  else throw new TraceError("usage", "trace: give a command (tcpwin trace -- CMD ARGS) or --pid N");

  // stdin/stdout are the program's; stderr is shared between strace and the program: forward it,
  // keeping strace's own lines to explain a failure.
  const child = spawn(bin, args, { stdio: ["inherit", "inherit", "pipe"] });
  const straceErr: string[] = [];
  createInterface({ input: child.stdio[2]! }).on("line", (l) => {
    if (/^strace: /.test(l)) straceErr.push(l);
    else process.stderr.write(l + "\n");
  });
  const traceIn = createReadStream(fifo);
  const traceDone = new Promise<void>((resolve) => {
    traceIn.once("close", () => resolve());
    traceIn.once("error", () => resolve());
  });
  createInterface({ input: traceIn }).on("line", (l) => {
    const n = parser.events.length;
    parser.feed(l);
    if (t.onEvent) for (let i = n; i < parser.events.length; i++) t.onEvent(parser.events[i]!);
  });

  let timer: NodeJS.Timeout | undefined;
  // Ctrl-C: the terminal sends SIGINT to strace and the program too; strace detaches (pid mode) or
  // passes it on. We only make sure strace ends, and report what was seen.
  const onSig = () => {
    if (t.pid !== undefined) child.kill("SIGINT");
  };
  process.on("SIGINT", onSig);
  process.on("SIGTERM", onSig);
  if (t.pid !== undefined && t.durationSec !== undefined) timer = setTimeout(() => child.kill("SIGINT"), t.durationSec * 1000);

  // strace exits with the program's status, and kills itself with the program's fatal signal.
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once("error", (e) => reject(new TraceError("strace_failed", `cannot run ${bin}: ${e.message}`)));
    child.once("close", (c, sig) => resolve({ code: c, signal: sig }));
  });
  // strace never opened the FIFO (it failed first): unblock our open by opening it ourselves.
  if (!traceIn.readableEnded && parser.lines === 0) {
    const w = createReadStream(fifo, { flags: "r+" });
    w.destroy();
  }
  await Promise.race([traceDone, new Promise((r) => setTimeout(r, 2000))]);
  if (timer) clearTimeout(timer);
  process.removeListener("SIGINT", onSig);
  process.removeListener("SIGTERM", onSig);
  parser.finish();

  const attachErr = straceErr.find((l) => /attach|ptrace|Operation not permitted|EPERM/.test(l));
  if (attachErr && parser.lines === 0) {
    throw new TraceError(
      "attach_not_permitted",
      `strace could not attach${t.pid !== undefined ? ` to pid ${t.pid}` : ""}: ${attachErr.replace(/^strace: /, "")}. ` +
        `Attaching needs root or the same user with ptrace allowed (kernel.yama.ptrace_scope = 0); in a container, CAP_SYS_PTRACE.`,
    );
  }
  const fatal = straceErr.find((l) => /Cannot stat|No such file|can't|Can't|exec/.test(l));
  if (fatal && parser.lines === 0) throw new TraceError("strace_failed", `strace: ${fatal.replace(/^strace: /, "")}`);
  return {
    events: parser.events,
    unparsed: parser.unparsed,
    lines: parser.lines,
    exitCode: t.pid !== undefined ? null : (code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1)),
    exitSignal: t.pid !== undefined ? null : signal,
    attachedPid: t.pid ?? null,
    straceVersion: version,
  };
}
