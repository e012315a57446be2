/**
 * @module kernel/strace
 * Parse `strace -f -ttt -yy` output (Debian strace 5.x/6.x) into the socket-option story of a
 * program: every setsockopt/getsockopt of SO_RCVBUF, SO_SNDBUF, SO_RCVBUFFORCE, SO_SNDBUFFORCE,
 * TCP_MAXSEG and TCP_WINDOW_CLAMP — which thread, which socket (its addresses once it binds,
 * listens, connects or is accepted), the value asked for and the value the kernel made of it.
 *
 * Pure: text in, records out. Robust on purpose: `<unfinished ...>` / `<... resumed>` pairs are
 * joined per thread, lines it does not understand are counted (not fatal), quoted strings and
 * nested {…}[…](…)<…> in arguments are split correctly. With -f every line starts with the
 * thread id; `tgidOf` (optional) maps it to the process, whose fd table the threads share.
 */
import { effectiveRcvbuf, SOCK_MIN_RCVBUF } from "../model/index.js";

/** SOCK_MIN_SNDBUF = 2 × (2048 + SKB_DATA_ALIGN(sizeof(struct sk_buff))) on x86-64. */
export const SOCK_MIN_SNDBUF = 4608;

export const TRACED_OPTIONS = ["SO_RCVBUF", "SO_SNDBUF", "SO_RCVBUFFORCE", "SO_SNDBUFFORCE", "TCP_MAXSEG", "TCP_WINDOW_CLAMP"] as const;
export type TracedOption = (typeof TRACED_OPTIONS)[number];

/** The strace filter that sees everything the parser uses. */
export const STRACE_SYSCALLS = "socket,bind,listen,connect,accept,accept4,setsockopt,getsockopt,close";

export interface SocketIdentity {
  /** "TCP" or "TCPv6" as strace -yy names it. */
  proto: string;
  inode?: number;
  local?: string;
  peer?: string;
  /** What the socket did last: created, bound, listening, connecting, connected, accepted. */
  role: "created" | "bound" | "listening" | "connected" | "accepted";
  /** For an accepted socket: the listener it came from (it inherits its buffers). */
  acceptedFrom?: string;
}

export interface SockoptEvent {
  /** Seconds since the epoch, as strace -ttt prints. */
  time: number;
  tid: number;
  pid: number;
  call: "setsockopt" | "getsockopt";
  fd: number;
  level: string;
  option: TracedOption;
  /** setsockopt: the value asked for; getsockopt: the value read. */
  value?: number;
  /** 0, or "-1 EPERM (Operation not permitted)". */
  result: string;
  ok: boolean;
  /** setsockopt: what the kernel keeps (computed by its rule, see effectiveValue). */
  effective?: number;
  effectiveNote?: string;
  /** The socket as it was at the call, and (filled at the end) as it ended up. */
  socketAtCall: SocketIdentity;
  socket: SocketIdentity;
}

export interface TraceLimits {
  rmemMax: number;
  wmemMax: number;
}

/** What the kernel stores for a setsockopt value (net/core/sock.c, net/ipv4/tcp.c). */
export function effectiveValue(option: TracedOption, value: number, lim: TraceLimits): { value: number; note: string } | undefined {
  switch (option) {
    case "SO_RCVBUF": {
      const v = effectiveRcvbuf(value, lim.rmemMax);
      return { value: v, note: `sk_rcvbuf = max(2 × min(${value}, rmem_max ${lim.rmemMax}), ${SOCK_MIN_RCVBUF}); autotuning off${value > lim.rmemMax ? " (capped by rmem_max)" : ""}` };
    }
    case "SO_RCVBUFFORCE": {
      const v = Math.max(2 * Math.max(value, 0), SOCK_MIN_RCVBUF);
      return { value: v, note: `sk_rcvbuf = max(2 × ${value}, ${SOCK_MIN_RCVBUF}), rmem_max not applied; autotuning off` };
    }
    case "SO_SNDBUF": {
      const v = Math.max(2 * Math.min(Math.max(value, 0), lim.wmemMax), SOCK_MIN_SNDBUF);
      return { value: v, note: `sk_sndbuf = max(2 × min(${value}, wmem_max ${lim.wmemMax}), ${SOCK_MIN_SNDBUF}); autotuning off${value > lim.wmemMax ? " (capped by wmem_max)" : ""}` };
    }
    case "SO_SNDBUFFORCE": {
      const v = Math.max(2 * Math.max(value, 0), SOCK_MIN_SNDBUF);
      return { value: v, note: `sk_sndbuf = max(2 × ${value}, ${SOCK_MIN_SNDBUF}), wmem_max not applied` };
    }
    case "TCP_MAXSEG":
      return { value, note: `user_mss ${value}: the MSS announced and used is at most this (minus 12 with timestamps)` };
    case "TCP_WINDOW_CLAMP":
      return value === 0
        ? { value: 0, note: "0 resets the clamp (only on a closed socket)" }
        : { value: Math.max(value, SOCK_MIN_RCVBUF / 2), note: `window_clamp = max(${value}, ${SOCK_MIN_RCVBUF / 2})` };
  }
}

/** Split a syscall's argument list at top-level commas. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === '"') quote = false;
      continue;
    }
    if (c === '"') quote = true;
    else if (c === "(" || c === "[" || c === "{" || c === "<") depth++;
    else if (c === ")" || c === "]" || c === "}" || c === ">") depth = Math.max(0, depth - 1);
    else if (c === "," && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = s.slice(start).trim();
  if (last !== "" || out.length) out.push(last);
  return out;
}

/** `3<TCP:[521725]>`, `5<TCP:[127.0.0.1:9876->127.0.0.1:5555]>`, `4<TCPv6:[[::1]:80]>` → parts. */
export function parseFdToken(tok: string): { fd: number; proto?: string; inode?: number; local?: string; peer?: string } | undefined {
  const m = /^(-?\d+)(?:<(\w+):\[(.*)\]>)?$/.exec(tok.trim());
  if (!m) return undefined;
  const fd = Number(m[1]);
  if (m[2] === undefined) return { fd };
  const inner = m[3]!;
  if (/^\d+$/.test(inner)) return { fd, proto: m[2], inode: Number(inner) };
  const [local, peer] = inner.split("->");
  const r: { fd: number; proto?: string; local?: string; peer?: string } = { fd, proto: m[2] };
  if (local) r.local = local;
  if (peer) r.peer = peer;
  return r;
}

/** `{sa_family=AF_INET, sin_port=htons(9876), sin_addr=inet_addr("127.0.0.1")}` → "127.0.0.1:9876". */
export function parseSockaddr(arg: string): string | undefined {
  const port = /sin6?_port=htons\((\d+)\)/.exec(arg)?.[1];
  const v4 = /sin_addr=inet_addr\("([^"]+)"\)/.exec(arg)?.[1];
  const v6 = /inet_pton\(AF_INET6, "([^"]+)"/.exec(arg)?.[1];
  if (port === undefined || (v4 === undefined && v6 === undefined)) return undefined;
  return v6 !== undefined ? `[${v6}]:${port}` : `${v4}:${port}`;
}

const LINE = /^(\d+)\s+(\d+(?:\.\d+)?)\s+(.*)$/;
const CALL = /^(\w+)\((.*)\)\s+=\s+(.+)$/;
const UNFINISHED = " <unfinished ...>";
const RESUMED = /^<\.\.\. (\w+) resumed>\s?(.*)$/;

/** Incremental parser: feed lines as strace writes them, then `finish()`. */
export class StraceParser {
  readonly events: SockoptEvent[] = [];
  /** Lines that looked like syscalls but could not be read (kept for the report). */
  readonly unparsed: string[] = [];
  lines = 0;
  private readonly pending = new Map<number, string>();
  private readonly sockets = new Map<string, SocketIdentity>();
  private readonly lastGet = new Map<string, Map<string, number>>();

  constructor(
    private readonly limits: TraceLimits,
    private readonly tgidOf: (tid: number) => number = (t) => t,
  ) {}

  feed(line: string): void {
    this.lines++;
    const m = LINE.exec(line);
    if (!m) {
      if (line.trim() !== "") this.unparsed.push(line);
      return;
    }
    const tid = Number(m[1]);
    const time = Number(m[2]);
    let rest = m[3]!;
    if (rest.startsWith("+++") || rest.startsWith("---")) return; // exits, signals
    if (rest.endsWith(UNFINISHED)) {
      this.pending.set(tid, rest.slice(0, -UNFINISHED.length));
      return;
    }
    const res = RESUMED.exec(rest);
    if (res) {
      const head = this.pending.get(tid);
      this.pending.delete(tid);
      if (head === undefined) {
        this.unparsed.push(line);
        return;
      }
      // "accept4(3<...>, " + "{...}, [16], 0) = 5<...>"
      rest = head.endsWith(" ") || head.endsWith("(") ? head + res[2]! : `${head} ${res[2]!}`;
    }
    const c = CALL.exec(rest);
    if (!c) {
      this.unparsed.push(line);
      return;
    }
    this.call(tid, time, c[1]!, splitArgs(c[2]!), c[3]!.trim());
  }

  private key(pid: number, fd: number): string {
    return `${pid}:${fd}`;
  }

  /** The socket behind a decorated fd argument, updated with what the decoration shows now. */
  private sock(pid: number, tok: ReturnType<typeof parseFdToken>): SocketIdentity | undefined {
    if (!tok || tok.proto === undefined || !tok.proto.startsWith("TCP")) return undefined;
    const k = this.key(pid, tok.fd);
    let s = this.sockets.get(k);
    if (!s) {
      s = { proto: tok.proto, role: "created" };
      this.sockets.set(k, s);
    }
    if (tok.inode !== undefined) s.inode = tok.inode;
    if (tok.local !== undefined) s.local = tok.local;
    if (tok.peer !== undefined) {
      s.peer = tok.peer;
      if (s.role !== "accepted") s.role = "connected";
    }
    return s;
  }

  private call(tid: number, time: number, name: string, args: string[], ret: string): void {
    const pid = this.tgidOf(tid);
    const ok = !ret.startsWith("-1") && !ret.startsWith("?");
    switch (name) {
      case "socket": {
        const tok = parseFdToken(ret);
        if (tok && tok.proto?.startsWith("TCP")) this.sockets.set(this.key(pid, tok.fd), { proto: tok.proto, role: "created", ...(tok.inode !== undefined ? { inode: tok.inode } : {}) });
        return;
      }
      case "bind": {
        const s = this.sock(pid, parseFdToken(args[0] ?? ""));
        const addr = parseSockaddr(args[1] ?? "");
        if (s && ok) {
          if (addr && s.local === undefined) s.local = addr;
          if (s.role === "created") s.role = "bound";
        }
        return;
      }
      case "listen": {
        const s = this.sock(pid, parseFdToken(args[0] ?? ""));
        if (s && ok) s.role = "listening";
        return;
      }
      case "connect": {
        const s = this.sock(pid, parseFdToken(args[0] ?? ""));
        const addr = parseSockaddr(args[1] ?? "");
        // EINPROGRESS is a connect under way (non-blocking): the peer is known either way.
        if (s && (ok || ret.includes("EINPROGRESS"))) {
          if (addr && s.peer === undefined) s.peer = addr;
          s.role = "connected";
        }
        return;
      }
      case "accept":
      case "accept4": {
        const lis = this.sock(pid, parseFdToken(args[0] ?? ""));
        const tok = parseFdToken(ret);
        if (!tok || tok.fd < 0 || tok.proto === undefined) return;
        const s: SocketIdentity = { proto: tok.proto, role: "accepted" };
        if (tok.local) s.local = tok.local;
        if (tok.peer) s.peer = tok.peer;
        else {
          const addr = parseSockaddr(args[1] ?? "");
          if (addr) s.peer = addr;
        }
        if (lis?.local) s.acceptedFrom = lis.local;
        this.sockets.set(this.key(pid, tok.fd), s);
        return;
      }
      case "close": {
        const tok = parseFdToken(args[0] ?? "");
        // A closed fd number gets reused: forget it, events keep their own reference.
        if (tok && ok) this.sockets.delete(this.key(pid, tok.fd));
        return;
      }
      case "setsockopt":
      case "getsockopt":
        this.sockopt(tid, pid, time, name, args, ret, ok);
        return;
      default:
        return;
    }
  }

  private sockopt(tid: number, pid: number, time: number, name: "setsockopt" | "getsockopt", args: string[], ret: string, ok: boolean): void {
    const option = args[2] as TracedOption;
    if (!(TRACED_OPTIONS as readonly string[]).includes(option)) return;
    const tok = parseFdToken(args[0] ?? "");
    if (!tok) {
      this.unparsed.push(`${name}(${args.join(", ")}) = ${ret}`);
      return;
    }
    const s = this.sock(pid, tok) ?? { proto: tok.proto ?? "?", role: "created" as const };
    const vm = /^\[(-?\d+)\]$/.exec(args[3] ?? "");
    const value = vm ? Number(vm[1]) : undefined;
    const e: SockoptEvent = {
      time,
      tid,
      pid,
      call: name,
      fd: tok.fd,
      level: args[1] ?? "?",
      option,
      result: ret,
      ok,
      socketAtCall: { ...s },
      socket: s,
    };
    if (value !== undefined) e.value = value;
    const k = this.key(pid, tok.fd);
    if (name === "setsockopt" && ok && value !== undefined) {
      const eff = effectiveValue(option, value, this.limits);
      if (eff) {
        e.effective = eff.value;
        e.effectiveNote = eff.note;
      }
    }
    if (name === "getsockopt" && ok && value !== undefined) {
      let g = this.lastGet.get(k);
      if (!g) this.lastGet.set(k, (g = new Map()));
      g.set(option, value);
      // A read-back right after a set confirms (or corrects) the computed value.
      for (let i = this.events.length - 1; i >= 0; i--) {
        const p = this.events[i]!;
        if (p.pid === pid && p.fd === tok.fd && p.option === option && p.call === "setsockopt") {
          if (p.socket === s && p.ok) {
            p.effectiveNote = `${p.effectiveNote ?? ""}${p.effective !== undefined && p.effective !== value ? `; the program read back ${value}` : "; read back by the program: same"}`;
            p.effective = value;
          }
          break;
        }
      }
    }
    this.events.push(e);
  }

  /** Lines cut off at the end (a thread still inside a call) become unparsed. */
  finish(): void {
    for (const [tid, head] of this.pending) this.unparsed.push(`${tid} ${head} <unfinished at end of trace>`);
    this.pending.clear();
  }
}

/** Human text for a socket identity: "listener 127.0.0.1:9876", "127.0.0.1:9876 → 10.0.0.7:5555". */
export function describeSocket(s: SocketIdentity): string {
  const v = s.proto === "TCPv6" ? "TCPv6" : "TCP";
  switch (s.role) {
    case "listening":
      return `${v} listener ${s.local ?? "?"}`;
    case "accepted":
      return `${v} ${s.local ?? "?"} ← ${s.peer ?? "?"} (accepted${s.acceptedFrom ? ` from listener ${s.acceptedFrom}` : ""})`;
    case "connected":
      return `${v} ${s.local ?? "(local port not seen)"} → ${s.peer ?? "?"}`;
    case "bound":
      return `${v} bound ${s.local ?? "?"}`;
    default:
      return `${v} socket${s.inode !== undefined ? ` inode ${s.inode}` : ""} (not yet bound or connected)`;
  }
}
