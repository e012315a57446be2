/**
 * @module cli/commands/trace
 * `tcpwin trace -- CMD ARGS` / `tcpwin trace --pid N`: who set that buffer. Runs the program under
 * strace (or attaches), and reports every setsockopt/getsockopt of SO_RCVBUF, SO_SNDBUF,
 * SO_RCVBUFFORCE, SO_SNDBUFFORCE, TCP_MAXSEG and TCP_WINDOW_CLAMP: thread, socket (with its
 * addresses once known), value asked, value the kernel keeps. Live lines go to stderr (stdout is
 * the program's); the report goes to stdout at the end, or to --output FILE.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import { traceSockopts, type TraceResult } from "../../kernel/trace.js";
import { describeSocket, type SockoptEvent } from "../../kernel/strace.js";
import { UsageError } from "../../errors.js";
import { durationArg, pidArg } from "../options.js";
import { style, type Style } from "../style.js";

interface TraceOpts {
  pid?: number;
  duration?: number;
  json?: boolean;
  output?: string;
  quiet?: boolean;
}

const EXAMPLES = `
Examples:
  # who sets the name server's receive buffer, from start-up
  $ tcpwin trace -- sh bin/mqnamesrv
  # attach to a running broker for 30 s (root, or ptrace rights over it)
  $ tcpwin trace --pid 4242 --duration 30s
  # machine-readable report in a file (stdout stays the program's)
  $ tcpwin trace --json --output trace.json -- python3 server.py
`;

export function registerTrace(program: Command): void {
  program
    .command("trace")
    .summary("who set that buffer: setsockopt/getsockopt of SO_RCVBUF, SO_SNDBUF, TCP_MAXSEG... (strace)")
    .description(
      "Run a program under strace (or attach to one with --pid) and report every setsockopt/getsockopt " +
        "of SO_RCVBUF, SO_SNDBUF, SO_RCVBUFFORCE, SO_SNDBUFFORCE, TCP_MAXSEG and TCP_WINDOW_CLAMP: which " +
        "thread, which socket (its addresses once it binds, listens, connects or is accepted), the value " +
        "asked for and what the kernel keeps. Threads and children are followed. Needs strace.",
    )
    .argument("[command...]", "the program and its arguments, after --")
    .addOption(new Option("--pid <pid>", "attach to this running process instead").argParser(pidArg))
    .addOption(new Option("--duration <time>", "with --pid: detach after this long (default: Ctrl-C)").argParser(durationArg))
    .option("--json", "the report as JSON")
    .option("--output <file>", "write the report to this file instead of stdout")
    .option("-q, --quiet", "no live lines on stderr")
    .addHelpText("after", EXAMPLES)
    .action(async (command: string[], opts: TraceOpts) => {
      if (opts.pid !== undefined && command.length) throw new UsageError("trace: give either --pid N or a command after --, not both");
      if (opts.pid === undefined && !command.length) throw new UsageError("trace: give a command (tcpwin trace -- CMD ARGS) or --pid N");
      if (opts.duration !== undefined && opts.pid === undefined) throw new UsageError("--duration only applies to --pid (a command is traced until it exits)");
      const st = style(process.stderr);
      const comms = new Map<number, string>();
      const result = await traceSockopts({
        ...(command.length ? { command } : {}),
        ...(opts.pid !== undefined ? { pid: opts.pid } : {}),
        ...(opts.duration !== undefined ? { durationSec: opts.duration } : {}),
        onEvent: (e) => {
          const c = commOf(e.tid);
          if (c !== undefined) comms.set(e.tid, c);
          if (!opts.quiet) process.stderr.write(st.dim("tcpwin trace: ") + eventLine(e, comms) + "\n");
        },
      });
      const target = opts.pid !== undefined ? `pid ${opts.pid}` : command.join(" ");
      const text = opts.json ? JSON.stringify(traceJson(target, result, comms), null, 2) + "\n" : renderTrace(target, result, comms, opts.output ? noStyle : style());
      if (opts.output) writeFileSync(opts.output, text);
      else process.stdout.write(text);
      // The traced program's status is ours, as `lab link` passes its client's through.
      if (result.exitCode !== null) process.exitCode = result.exitCode;
    });
}

function commOf(tid: number): string | undefined {
  try {
    return readFileSync(`/proc/${tid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

const id = (s: string) => s;
const noStyle: Style = { enabled: false, bold: id, dim: id, red: id, green: id, yellow: id, cyan: id };

function clock(t: number): string {
  return new Date(t * 1000).toISOString().slice(11, 23);
}

function eventLine(e: SockoptEvent, comms: Map<number, string>): string {
  const who = `${e.pid}${e.tid !== e.pid ? `/${e.tid}` : ""}${comms.has(e.tid) ? ` ${comms.get(e.tid)}` : ""}`;
  const what = e.call === "setsockopt" ? `setsockopt(${e.option}, ${e.value ?? "?"})` : `getsockopt(${e.option}) → ${e.value ?? "?"}`;
  const res = e.ok ? (e.call === "setsockopt" && e.effective !== undefined ? ` → kernel keeps ${e.effective}` : "") : ` FAILED ${e.result}`;
  return `${clock(e.time)} ${who} fd ${e.fd}: ${what}${res} on ${describeSocket(e.socketAtCall)}`;
}

/** Why the moment of the call matters (reference §4: set before listen()/connect()). */
function timingNote(e: SockoptEvent): string | undefined {
  if (e.call !== "setsockopt" || !e.ok) return undefined;
  const role = e.socketAtCall.role;
  if (e.option === "SO_RCVBUF" || e.option === "SO_RCVBUFFORCE") {
    if (role === "listening" || (role !== "accepted" && role !== "connected" && e.socket.role === "listening")) {
      return "on a listener: every accepted socket inherits this buffer, and its window scale follows from it";
    }
    if (role === "accepted" || role === "connected") return "after the handshake: the window scale is already fixed, a small buffer now can stall the connection";
  }
  if (e.option === "TCP_MAXSEG" && (role === "accepted" || role === "connected")) return "after the handshake: the MSS was already announced";
  return undefined;
}

function traceJson(target: string, r: TraceResult, comms: Map<number, string>): unknown {
  return {
    target,
    exit_code: r.exitCode,
    exit_signal: r.exitSignal,
    attached_pid: r.attachedPid,
    strace: r.straceVersion,
    events: r.events.map((e) => {
      const o: Record<string, unknown> = {
        time: new Date(e.time * 1000).toISOString(),
        pid: e.pid,
        tid: e.tid,
      };
      if (comms.has(e.tid)) o.comm = comms.get(e.tid);
      Object.assign(o, { call: e.call, fd: e.fd, level: e.level, option: e.option });
      if (e.value !== undefined) o.value = e.value;
      o.result = e.result;
      if (e.effective !== undefined) o.effective = e.effective;
      if (e.effectiveNote !== undefined) o.effective_note = e.effectiveNote;
      const note = timingNote(e);
      if (note) o.note = note;
      o.socket = { ...e.socket, text: describeSocket(e.socket) };
      o.socket_at_call = { ...e.socketAtCall, text: describeSocket(e.socketAtCall) };
      return o;
    }),
    unparsed_lines: r.unparsed.length,
    ...(r.attachedPid !== null ? { note: beforeAttachText(r.attachedPid) } : {}),
  };
}

/** What attaching cannot see, and where to read the buffers the sockets have now. */
function beforeAttachText(pid: number): string {
  return `calls made before strace attached cannot be seen; the buffers pid ${pid}'s sockets have now: tcpwin sockets --pid ${pid} --getsockopt`;
}

export function renderTrace(target: string, r: TraceResult, comms: Map<number, string>, st: Style): string {
  const out: string[] = [];
  const sets = r.events.filter((e) => e.call === "setsockopt");
  const status = r.exitCode === null ? "" : r.exitSignal ? ` (killed by ${r.exitSignal}: exit ${r.exitCode})` : ` (exit ${r.exitCode})`;
  out.push(st.bold(`tcpwin trace: ${target}${status} — ${sets.length} setsockopt, ${r.events.length - sets.length} getsockopt of buffer/MSS options`));
  if (r.events.length === 0) {
    // Attached to a running process, only calls made while attached are seen: no conclusion about defaults.
    if (r.attachedPid !== null) {
      out.push(`No SO_RCVBUF/SO_SNDBUF/TCP_MAXSEG/TCP_WINDOW_CLAMP call while attached. Calls made before strace attached cannot be seen, so this says nothing about the sockets opened earlier: read their options with tcpwin sockets --pid ${r.attachedPid} --getsockopt.`);
    } else {
      out.push("No SO_RCVBUF/SO_SNDBUF/TCP_MAXSEG/TCP_WINDOW_CLAMP call was made: the sockets use the kernel defaults (autotuning).");
    }
  } else if (r.attachedPid !== null) {
    out.push(st.dim(`Only calls made while attached are listed: ${beforeAttachText(r.attachedPid)}.`));
  }
  for (const e of r.events) {
    const who = `pid ${e.pid}${e.tid !== e.pid ? ` thread ${e.tid}` : ""}${comms.has(e.tid) ? ` (${comms.get(e.tid)})` : ""}`;
    const head =
      e.call === "setsockopt"
        ? `${st.bold(`setsockopt ${e.option} = ${e.value ?? "?"}`)}${e.ok ? (e.effective !== undefined ? ` → kernel keeps ${st.bold(String(e.effective))}` : "") : " " + st.red(`failed: ${e.result}`)}`
        : `getsockopt ${e.option} → ${e.value ?? "?"}${e.ok ? "" : " " + st.red(`failed: ${e.result}`)}`;
    out.push(`${clock(e.time)}  ${head}`);
    out.push(`    by ${who}, fd ${e.fd}: ${describeSocket(e.socket)}`);
    if (describeSocket(e.socketAtCall) !== describeSocket(e.socket)) out.push(st.dim(`    at the call: ${describeSocket(e.socketAtCall)}`));
    if (e.effectiveNote) out.push(st.dim(`    ${e.effectiveNote}`));
    const note = timingNote(e);
    if (note) out.push(st.yellow(`    ${note}`));
  }
  if (r.unparsed.length) out.push(st.dim(`(${r.unparsed.length} strace line(s) not understood were skipped)`));
  return out.join("\n") + "\n";
}
