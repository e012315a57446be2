/**
 * @module kernel/sock-diag
 * The live sock_diag client: one NETLINK_SOCK_DIAG socket, one dump request per family (AF_INET,
 * then AF_INET6, as ss does), state and port filters applied by the kernel, replies decoded by
 * kernel/netlink as they arrive. Any user may call it: the kernel shows every socket of this
 * network namespace with full tcp_info and skmem (only MARK/MD5SIG need CAP_NET_ADMIN).
 *
 * Dumps are not atomic (a socket can move between hash buckets while the kernel walks them), so
 * results are deduplicated by sock cookie. The recv buffer (1 MiB) is allocated once per process
 * and reused by every dump; calls are synchronous (blocking recv), so sharing is safe.
 */
import { check, close, errno, recv, sendto, socket, SyscallError } from "./libc.js";
import {
  AF_INET,
  AF_INET6,
  DEFAULT_STATES_MASK,
  decodeDiagBatch,
  DEFAULT_EXT,
  DiagMsgViewImpl,
  DumpState,
  encodeInetDiagReq,
  NETLINK_SOCK_DIAG,
  scanDiagBatch,
  viewDiagBatch,
  type DiagMsgView,
  type DiagDecodeError,
  type DiagSocket,
} from "./netlink.js";
import { TcpwinError } from "../errors.js";
import { AF_NETLINK, EINTR, SOCK_CLOEXEC, SOCK_RAW } from "./uapi.js";

const RECV_BUF_BYTES = 1 << 20; // = RECV_BATCH_MAX

let recvBuf: Buffer | undefined;
/** sockaddr_nl { nl_family = AF_NETLINK, nl_pad, nl_pid = 0 (the kernel), nl_groups = 0 }. */
const KERNEL_ADDR = (() => {
  const b = Buffer.alloc(12);
  b.writeUInt16LE(AF_NETLINK, 0);
  return b;
})();

export interface DumpFilter {
  /** idiag_states mask (1 << state); default: every state but TIME-WAIT and NEW-SYN-RECV. */
  states?: number;
  /** Match either end's port: two requests per family (sport, then dport), merged by cookie. */
  port?: number;
  /** Local port, matched by the kernel. */
  sport?: number;
  /** Peer port, matched by the kernel. */
  dport?: number;
  /** Which families to dump; default both. */
  families?: readonly number[];
  /** idiag_ext bits; default INFO, SKMEMINFO, CONG, SHUTDOWN, MEMINFO. */
  ext?: number;
  /** Keep only sockets whose inode this accepts (decided before decoding the rest). */
  want?: (inode: number) => boolean;
  /** Sees every reply batch as received (for recording fixtures); the view is reused after. */
  onRaw?: (bytes: Uint8Array) => void;
}

export interface DumpResult {
  sockets: DiagSocket[];
  /** Problems in the replies, with stream offsets; what could be read is in `sockets`. */
  errors: DiagDecodeError[];
  /** Sockets seen twice in one dump (or in both port requests) and dropped. */
  duplicates: number;
  messages: number;
  bytes: number;
}

/** The kernel refused the dump (NLMSG_ERROR) or ended it with an error (NLMSG_DONE -errno). */
export class SockDiagError extends TcpwinError {
  override readonly name = "SockDiagError";
  constructor(
    readonly errno: number,
    readonly family: number,
    message: string,
  ) {
    super("sock_diag", message);
  }
}

/**
 * Dump TCP sockets with their tcp_info and buffers. Throws SockDiagError when the kernel rejects a
 * request (EPERM, EINVAL; ENOENT = no TCP diag handler, module tcp_diag missing) and SyscallError
 * when the netlink socket cannot be used; malformed replies are reported in `errors`.
 */
export function dumpTcpSockets(filter: DumpFilter = {}): DumpResult {
  const out: DiagSocket[] = [];
  const seen = new Set<number>();
  let duplicates = 0;
  const onSocket = (s: DiagSocket): void => {
    if (seen.has(s.cookie)) {
      duplicates++;
      return;
    }
    seen.add(s.cookie);
    out.push(s);
  };
  const r = runDump(filter, (buf, n, state) => decodeDiagBatch(buf, n, state, onSocket, filter.want));
  return { sockets: out, errors: r.errors, duplicates, messages: r.messages, bytes: r.bytes };
}

/**
 * The streaming form for large outputs: `onView` sees each socket through one reused view of the
 * recv buffer (valid only during the call); nothing is allocated per socket. Same filters, same
 * dedupe by cookie, same errors as dumpTcpSockets.
 */
export function streamTcpSockets(
  filter: DumpFilter,
  onView: (v: DiagMsgView) => void,
  /** Return true to take a whole batch elsewhere (another thread); its framing is still followed here. */
  offload?: (buf: Uint8Array, n: number) => boolean,
): Omit<DumpResult, "sockets"> {
  const view = new DiagMsgViewImpl();
  const d = dedupeByCookie(onView);
  const r = runDump(filter, (buf, n, state) => {
    if (offload !== undefined && filter.want === undefined && offload(buf, n)) scanDiagBatch(buf, n, state);
    else viewDiagBatch(buf, n, state, view, d.each, filter.want);
  });
  return { errors: r.errors, duplicates: d.duplicates(), messages: r.messages, bytes: r.bytes };
}

/**
 * Drop sockets seen before in this dump (by cookie), without a heap number per socket: the low 32
 * bits (as int32, a small integer) map to the high 32; the rare sockets whose low halves collide
 * are kept as full cookies.
 */
export function dedupeByCookie(onView: (v: DiagMsgView) => void): { each: (v: DiagMsgView) => void; duplicates: () => number } {
  const seenLo = new Map<number, number>();
  const seenFull = new Set<number>();
  let duplicates = 0;
  const each = (v: DiagMsgView): void => {
    const lo = v.dv.getInt32(v.o + 44, true);
    const hi = v.dv.getInt32(v.o + 48, true);
    const prevHi = seenLo.get(lo);
    if (prevHi === undefined) seenLo.set(lo, hi);
    else {
      const c = v.cookie;
      if (prevHi === hi || seenFull.has(c)) {
        duplicates++;
        return;
      }
      seenFull.add(c);
    }
    onView(v);
  };
  return { each, duplicates: () => duplicates };
}

/**
 * The raw form for another thread (kernel/sock-diag-thread): every reply batch as received, with
 * its offset in the reply stream, framing followed here (NLMSG_DONE, errors); nothing decoded.
 * `filter.want` and `filter.onRaw` do not apply. Throws like dumpTcpSockets.
 */
export function dumpRawBatches(filter: DumpFilter, onBatch: (buf: Uint8Array, n: number, streamOffset: number) => void): { messages: number; bytes: number } {
  const r = runDump(filter, (buf, n, state) => {
    const at = state.streamOffset;
    scanDiagBatch(buf, n, state);
    onBatch(buf, n, at);
  });
  return { messages: r.messages, bytes: r.bytes };
}

/** Size of the buffer each reply batch is received into (the most one batch can hold). */
export const RECV_BATCH_MAX = 1 << 20;

/** Send one request per family (and per port side), feed every reply batch to `handle`. */
function runDump(filter: DumpFilter, handle: (buf: Buffer, n: number, state: DumpState) => void): { errors: DiagDecodeError[]; messages: number; bytes: number } {
  const states = filter.states ?? DEFAULT_STATES_MASK;
  const ext = filter.ext ?? DEFAULT_EXT;
  const families = filter.families ?? [AF_INET, AF_INET6];
  const requests: { sport: number; dport: number }[] =
    filter.port !== undefined
      ? [
          { sport: filter.port, dport: filter.dport ?? 0 },
          { sport: filter.sport ?? 0, dport: filter.port },
        ]
      : [{ sport: filter.sport ?? 0, dport: filter.dport ?? 0 }];
  const fd = check(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG) as number, "socket", "AF_NETLINK, NETLINK_SOCK_DIAG");
  const errors: DiagDecodeError[] = [];
  let messages = 0;
  let bytes = 0;
  try {
    recvBuf ??= Buffer.allocUnsafe(RECV_BUF_BYTES);
    const buf = recvBuf;
    let seq = 1;
    for (const family of families) {
      for (const r of requests) {
        const req = encodeInetDiagReq({ family, states, ext, sport: r.sport, dport: r.dport, seq: seq++ });
        check(Number(sendto(fd, req, req.length, 0, KERNEL_ADDR, KERNEL_ADDR.length)), "sendto", "SOCK_DIAG_BY_FAMILY");
        const state = new DumpState();
        state.streamOffset = bytes;
        while (!state.done) {
          const n = Number(recv(fd, buf, RECV_BUF_BYTES, 0));
          if (n < 0) {
            const e = errno();
            if (e === EINTR) continue;
            throw new SyscallError("recv", e, "sock_diag dump");
          }
          if (n === 0) break;
          filter.onRaw?.(buf.subarray(0, n));
          handle(buf, n, state);
          // A truncated or garbled batch leaves the stream unsynchronised: stop this dump.
          if (state.errors.some((e) => e.code === "truncated_message" || e.code === "bad_message_length")) break;
        }
        bytes = state.streamOffset;
        messages += state.messages;
        if (state.errno !== 0) {
          throw new SockDiagError(state.errno, family, dumpErrorMessage(state.errno, family));
        }
        errors.push(...state.errors);
      }
    }
  } finally {
    close(fd);
  }
  return { errors, messages, bytes };
}

function dumpErrorMessage(e: number, family: number): string {
  const fam = family === AF_INET6 ? "AF_INET6" : "AF_INET";
  if (e === 2) return `sock_diag: the kernel has no TCP diag handler for ${fam} (ENOENT; is the tcp_diag module loaded? try: modprobe tcp_diag)`;
  if (e === 1 || e === 13) return `sock_diag: the kernel refused the ${fam} TCP dump (${e === 1 ? "EPERM" : "EACCES"}); a security module may block NETLINK_SOCK_DIAG`;
  if (e === 22) return `sock_diag: the kernel rejected the ${fam} TCP dump request as invalid (EINVAL)`;
  return `sock_diag: ${fam} TCP dump failed with errno ${e}`;
}
