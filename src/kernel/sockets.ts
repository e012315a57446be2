/**
 * @module kernel/sockets
 * The live socket source: sock_diag dump + optional socket → process mapping, with tcpwin's
 * filters. States and ports are filtered by the kernel; addresses here; `pid` through the
 * inode set of that one process, checked before a socket is decoded.
 *
 * Owner lookup happens only when asked (`owners: true` or `pid`). For `pid`, that process's fds
 * are read first (we need its inodes to filter); otherwise /proc is walked after the dump, so a
 * socket that closed in between just has no owner, and one whose process could not be read is
 * marked `owner_unknown`.
 */
import { streamTcpSocketsThreaded } from "./sock-diag-thread.js";
import { dumpTcpSockets, streamTcpSockets, type DumpFilter } from "./sock-diag.js";
import { commOf, mapSocketInodes, ownerLookup, type InodeOwners, type OwnerLookup } from "./proc-fd.js";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parseIp } from "../capture/ip-text.js";
import { AF_INET6, formatIPv6, type DiagDecodeError, type DiagMsgView, type DiagSocket } from "./netlink.js";
import { TcpwinError } from "../errors.js";

/** An address (and/or port) to match one end of a socket against. */
export interface EndpointMatch {
  /** Canonical text of an IPv4 or IPv6 address (as formatIPv6 writes it), or undefined = any. */
  addr?: string;
  /** Prefix length for a network match ("10.0.0.0/8"); undefined = exact address. */
  prefix?: number;
  port?: number;
}

export interface SocketQuery {
  /** idiag_states mask. */
  states?: number;
  /** Either end's port. */
  port?: number;
  src?: EndpointMatch;
  dst?: EndpointMatch;
  /** Only sockets held by this process (walks only its fds). */
  pid?: number;
  /** Find the owning process of every socket (walks all of /proc). */
  owners?: boolean;
  families?: readonly number[];
  procRoot?: string;
}

export interface LiveSocket extends DiagSocket {
  /** Set by kernel/owner-cache: the owner has not been looked for yet (first seen between walks). */
  ownerPending?: boolean;
  pid?: number;
  /** Further processes holding the same socket. */
  pids?: number[];
  comm?: string;
}

export interface OwnerStats {
  processes: number;
  unreadable: number;
  unreadablePids: number[];
}

export interface SocketList {
  sockets: LiveSocket[];
  errors: DiagDecodeError[];
  duplicates: number;
  /** Present when owners were looked up. */
  owners?: OwnerStats;
}

export class ProcessNotReadableError extends TcpwinError {
  override readonly name = "ProcessNotReadableError";
  constructor(
    readonly pid: number,
    readonly reason: "EACCES" | "ENOENT",
  ) {
    super(
      reason === "ENOENT" ? "no_such_process" : "process_not_readable",
      reason === "ENOENT"
        ? `--pid ${pid}: no such process`
        : `--pid ${pid}: cannot read /proc/${pid}/fd (EACCES): its sockets are hidden from this user; run as root or as the process's owner`,
    );
  }
}

/** List TCP sockets matching the query. */
export function listTcpSockets(q: SocketQuery = {}): SocketList {
  const procRoot = q.procRoot ?? "/proc";
  const { filter, pidOwners: pre } = dumpFilterOf(q, procRoot);
  const dump = dumpTcpSockets(filter);
  let sockets = dump.sockets as LiveSocket[];
  if (q.src?.addr !== undefined || q.dst?.addr !== undefined) {
    const src = q.src;
    const dst = q.dst;
    sockets = sockets.filter((s) => (src?.addr === undefined || addrMatches(s.src, s.family, src)) && (dst?.addr === undefined || addrMatches(s.dst, s.family, dst)));
  }
  const out: SocketList = { sockets, errors: dump.errors, duplicates: dump.duplicates };
  if (q.owners || q.pid !== undefined) {
    const map = pre ?? mapSocketInodes({ procRoot });
    attachOwners(sockets, map, procRoot);
    out.owners = { processes: map.processes, unreadable: map.unreadable, unreadablePids: map.unreadablePids };
  }
  return out;
}

/**
 * The streaming form of listTcpSockets for big outputs: `onView` sees each matching socket through
 * a reused view (valid during the call only) plus the owner map when owners were asked for. Here
 * /proc is walked *before* the dump (a socket opened in between has no owner).
 */
export function streamTcpSocketsQuery(
  q: SocketQuery,
  onView: (v: DiagMsgView, owners: OwnerLookup | undefined) => void,
  /** Hand whole reply batches to another thread (only when no address filter applies here). */
  offload?: (buf: Uint8Array, n: number) => boolean,
  /** Receive on a worker thread (kernel/sock-diag-thread) when no owner, pid or address filter applies. */
  threadedRecv = false,
): { errors: DiagDecodeError[]; duplicates: number; owners?: OwnerStats; threaded?: boolean } {
  const procRoot = q.procRoot ?? "/proc";
  const { filter, pidOwners } = dumpFilterOf(q, procRoot);
  const map = pidOwners ?? (q.owners ? mapSocketInodes({ procRoot }) : undefined);
  const lookup = map ? ownerLookup(map, procRoot) : undefined;
  const src = q.src?.addr !== undefined ? q.src : undefined;
  const dst = q.dst?.addr !== undefined ? q.dst : undefined;
  const threaded = threadedRecv && !src && !dst && !map;
  const r = threaded
    ? streamTcpSocketsThreaded(filter, (v) => onView(v, undefined))
    : streamTcpSockets(
        filter,
        (v) => {
          if (src && !addrMatches(v.src, v.family, src)) return;
          if (dst && !addrMatches(v.dst, v.family, dst)) return;
          onView(v, lookup);
        },
        src || dst || map ? undefined : offload,
      );
  const out: { errors: DiagDecodeError[]; duplicates: number; owners?: OwnerStats; threaded?: boolean } = { errors: r.errors, duplicates: r.duplicates };
  if (threaded) out.threaded = true;
  if (map) out.owners = { processes: map.processes, unreadable: map.unreadable, unreadablePids: map.unreadablePids };
  return out;
}

/**
 * The kernel-side DumpFilter for a query (states, ports, families, and `pid` as an inode set).
 * For `pid`, that process's fds are read here, first, because its inodes are the filter; the
 * map is returned so callers reuse it as the owner map. Throws when the process cannot be read.
 */
function dumpFilterOf(q: SocketQuery, procRoot: string): { filter: DumpFilter; pidOwners: InodeOwners | undefined } {
  let pidOwners: InodeOwners | undefined;
  let want: ((inode: number) => boolean) | undefined;
  if (q.pid !== undefined) {
    pidOwners = mapSocketInodes({ pids: [q.pid], procRoot });
    if (pidOwners.unreadable > 0) throw new ProcessNotReadableError(q.pid, "EACCES");
    if (pidOwners.processes === 0) throw new ProcessNotReadableError(q.pid, "ENOENT");
    const owned = pidOwners.owner;
    want = (inode) => inode !== 0 && owned.has(inode);
  }
  const filter: DumpFilter = { want };
  if (q.states !== undefined) filter.states = q.states;
  if (q.port !== undefined) filter.port = q.port;
  if (q.src?.port !== undefined) filter.sport = q.src.port;
  if (q.dst?.port !== undefined) filter.dport = q.dst.port;
  if (q.families) filter.families = q.families;
  return { filter, pidOwners };
}

/**
 * Set pid/pids/comm on each socket whose inode a process holds. A socket that vanished between
 * the dump and the walk (or whose process did) just gets no owner; inode 0 never has one.
 */
export function attachOwners(sockets: LiveSocket[], map: InodeOwners, procRoot = "/proc"): void {
  for (const s of sockets) {
    if (s.inode === 0) continue; // TIME-WAIT, NEW-SYN-RECV, orphans: no process holds them
    const pid = map.owner.get(s.inode);
    if (pid === undefined) continue;
    s.pid = pid;
    const more = map.shared.get(s.inode);
    if (more) s.pids = [pid, ...more];
    const comm = commOf(pid, procRoot);
    if (comm !== undefined) s.comm = comm;
  }
}

/** Does `addr` (as the dump formats it) fall within the match? IPv4 also matches ::ffff:a.b.c.d. */
export function addrMatches(addr: string, family: number, m: EndpointMatch): boolean {
  if (m.addr === undefined) return true;
  let a = addr;
  if (family === AF_INET6 && a.startsWith("::ffff:") && a.includes(".")) a = a.slice(7);
  if (m.prefix === undefined) return a === m.addr;
  const ab = addrBytes(a);
  const mb = addrBytes(m.addr);
  if (!ab || !mb || ab.length !== mb.length) return false;
  let bits = m.prefix;
  for (let i = 0; i < ab.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ab[i]! & mask) !== (mb[i]! & mask)) return false;
  }
  return true;
}

/** Bytes of an IPv4 or IPv6 literal; undefined when it is neither (capture/ip-text's parser). */
export const addrBytes = parseIp;

/** Canonical text (as the dump formats it) of an address literal; undefined when invalid. */
export function canonicalAddr(text: string): string | undefined {
  const b = addrBytes(text);
  if (!b) return undefined;
  if (b.length === 4) return b.join(".");
  const dv = new DataView(new Uint8Array(b).buffer);
  // Same formatter as the dump, so string equality is address equality.
  return formatV6(dv);
}

function formatV6(dv: DataView): string {
  const s = formatIPv6(dv, 0);
  return s.startsWith("::ffff:") && s.includes(".") ? s.slice(7) : s;
}

/** Sockets in use (TCP, /proc/net/sockstat) from which the receiving thread pays for its start-up. */
const THREAD_AFTER_SOCKETS = 20_000;

/** "TCP: inuse N ..." of /proc/net/sockstat (this network namespace); 0 when unreadable. */
export function tcpSocketsInUse(): number {
  try {
    const m = /^TCP: inuse (\d+)/m.exec(readFileSync("/proc/net/sockstat", "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * streamTcpSocketsQuery with the receiving thread chosen for the caller: `parallel` true = receive on
 * a worker thread (kernel/sock-diag-thread), false = never; unset = when a second CPU exists and at
 * least `workerAfterSockets` (default 20 000) TCP sockets are in use. A second CPU, not "an idle
 * CPU": the thread mostly runs the kernel's dump, work done anyway, so it does not lose on a busy
 * machine (100 k sockets, one of 2 cores kept busy: 686 ms with it, 718 ms without; idle 513 / 547).
 * The thread is used only when no owner lookup, pid or address filter needs the sockets decoded here.
 */
export function streamTcpSocketsAuto(
  q: SocketQuery,
  onView: (v: DiagMsgView, owners: OwnerLookup | undefined) => void,
  opts: { parallel?: boolean; workerAfterSockets?: number } = {},
): { errors: DiagDecodeError[]; duplicates: number; owners?: OwnerStats; threaded?: boolean } {
  const threaded = opts.parallel ?? (availableParallelism() >= 2 && tcpSocketsInUse() >= (opts.workerAfterSockets ?? THREAD_AFTER_SOCKETS));
  return streamTcpSocketsQuery(q, onView, undefined, threaded);
}
