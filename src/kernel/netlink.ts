/**
 * @module kernel/netlink
 * NETLINK_SOCK_DIAG for TCP, pure: encode the inet_diag_req_v2 request, decode the replies from a
 * byte buffer. No I/O here, so recorded replies (test/fixtures/netlink/) test it on any machine.
 * Wire format: include/uapi/linux/netlink.h, inet_diag.h, sock_diag.h (host byte order except
 * ports and addresses, which are network order); shared/reference/linux-tcp-internals.md §1.
 *
 * Invariants:
 * - `decodeDiagBatch` never throws on bad bytes: a malformed message becomes a DiagDecodeError
 *   carrying its byte offset in the dump stream, and what was readable is kept.
 * - Per socket it allocates only the result object (and its address strings, tcp_info and skmem
 *   objects, which are part of the result). The attribute walk reads through one DataView.
 * - Messages whose inode the caller's `want` rejects are skipped before anything is decoded.
 */
import { decodeTcpInfoAt, TCP_INFO_MIN_LEN, type TcpInfo } from "./tcp-info.js";
import { ipv6Text } from "../capture/ip-text.js";

export const NETLINK_SOCK_DIAG = 4;
export const SOCK_DIAG_BY_FAMILY = 20;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_DUMP = 0x300;
export const NLMSG_HDRLEN = 16;
export const INET_DIAG_REQ_V2_LEN = 56;
export const INET_DIAG_MSG_LEN = 72;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO_TCP = 6;

/** inet_diag attribute types (enum in include/uapi/linux/inet_diag.h). */
export const INET_DIAG = {
  MEMINFO: 1,
  INFO: 2,
  VEGASINFO: 3,
  CONG: 4,
  TOS: 5,
  TCLASS: 6,
  SKMEMINFO: 7,
  SHUTDOWN: 8,
} as const;

/** The extensions tcpwin asks for: INFO, SKMEMINFO, CONG, SHUTDOWN, and MEMINFO (old kernels). */
export const DEFAULT_EXT =
  (1 << (INET_DIAG.MEMINFO - 1)) | (1 << (INET_DIAG.INFO - 1)) | (1 << (INET_DIAG.CONG - 1)) | (1 << (INET_DIAG.SKMEMINFO - 1)) | (1 << (INET_DIAG.SHUTDOWN - 1));

/** TCP states by number, named as ss prints them: uapi/tcp-states (re-exported for older callers). */
export { TCP_STATE_NAMES, type TcpStateName } from "../uapi/tcp-states.js";
import { TCP_STATE_NAMES, type TcpStateName, formatEndpoint as endpointText } from "../uapi/tcp-states.js";

/** Every state but NEW_SYN_RECV (12), which ss hides unless asked: the idiag_states mask of ss -a. */
export const ALL_STATES_MASK = 0xfff & ~1;
/**
 * tcpwin's default: every state but TIME-WAIT (and NEW-SYN-RECV). TIME-WAIT entries carry no
 * tcp_info and no buffers, and a busy host has tens of thousands of them; `--state time-wait` asks.
 */
export const DEFAULT_STATES_MASK = ALL_STATES_MASK & ~(1 << 6);

/** Accepts ss's names and the kernel's (established, time_wait, listen, ...), case-insensitive. */
export function stateFromName(name: string): number | undefined {
  const n = name.trim().toUpperCase().replace(/_/g, "-");
  const alias: Record<string, string> = { ESTABLISHED: "ESTAB", LISTENING: "LISTEN", CLOSE: "UNCONN", CLOSED: "UNCONN", "SYN-RECEIVED": "SYN-RECV" };
  const idx = TCP_STATE_NAMES.indexOf((alias[n] ?? n) as TcpStateName);
  return idx > 0 ? idx : undefined;
}

/** sk_meminfo (INET_DIAG_SKMEMINFO, enum SK_MEMINFO_*): present keys = what the kernel sent. */
export interface SkMemInfo {
  rmem_alloc: number;
  /** sk_rcvbuf: ss "rb", the effective SO_RCVBUF (already doubled). */
  rcvbuf: number;
  wmem_alloc?: number;
  /** sk_sndbuf: ss "tb". */
  sndbuf?: number;
  fwd_alloc?: number;
  wmem_queued?: number;
  optmem?: number;
  backlog?: number;
  drops?: number;
}

/** One socket from the dump: inet_diag_msg plus the attributes that came with it. */
export interface DiagSocket {
  family: number;
  state: number;
  timer: number;
  retrans: number;
  sport: number;
  dport: number;
  src: string;
  dst: string;
  ifindex: number;
  /** sock cookie (c[0] | c[1] << 32), unique per socket while it lives; dedupe key. */
  cookie: number;
  expires: number;
  rqueue: number;
  wqueue: number;
  uid: number;
  inode: number;
  info?: TcpInfo;
  skmem?: SkMemInfo;
  /** INET_DIAG_MEMINFO: rmem_alloc, wmem_queued, fwd_alloc, wmem_alloc (kernels before SKMEMINFO). */
  meminfo?: { rmem: number; wmem: number; fmem: number; tmem: number };
  cong?: string;
  /** bit0: no more receives (SHUT_RD), bit1: no more sends (SHUT_WR). */
  shutdown?: number;
}

export type DiagErrorCode =
  | "truncated_message"
  | "bad_message_length"
  | "short_inet_diag_msg"
  | "bad_attribute"
  | "short_tcp_info"
  | "short_skmeminfo"
  | "netlink_error"
  | "dump_done_error"
  | "unexpected_message";

/** A problem in the reply, at a byte offset of the dump stream (all recv()s concatenated). */
export interface DiagDecodeError {
  code: DiagErrorCode;
  offset: number;
  /** Message type, for netlink_error/unexpected_message. */
  type?: number;
  /** Positive errno from NLMSG_ERROR or a negative NLMSG_DONE status. */
  errno?: number;
  need?: number;
  have?: number;
}

/** Progress of one dump across recv() calls. */
export class DumpState {
  /** NLMSG_DONE or NLMSG_ERROR seen: stop reading. */
  done = false;
  /** errno of a failed dump (NLMSG_ERROR, or NLMSG_DONE carrying -errno); 0 when it ended well. */
  errno = 0;
  /** Bytes of the dump stream already decoded (offset base for errors). */
  streamOffset = 0;
  messages = 0;
  sockets = 0;
  /** Skipped because `want` rejected their inode. */
  skipped = 0;
  errors: DiagDecodeError[] = [];
}

/**
 * Build the 72-byte SOCK_DIAG_BY_FAMILY dump request. Non-zero sport/dport are matched by the
 * kernel in the dump (inet_diag_dump_icsk), so a port filter costs nothing in userspace.
 */
export function encodeInetDiagReq(opts: { family: number; states: number; ext?: number; sport?: number; dport?: number; seq?: number }): Uint8Array {
  const b = new Uint8Array(NLMSG_HDRLEN + INET_DIAG_REQ_V2_LEN);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, b.length, true);
  dv.setUint16(4, SOCK_DIAG_BY_FAMILY, true);
  dv.setUint16(6, NLM_F_REQUEST | NLM_F_DUMP, true);
  dv.setUint32(8, opts.seq ?? 1, true);
  dv.setUint32(12, 0, true);
  const r = NLMSG_HDRLEN;
  b[r] = opts.family;
  b[r + 1] = IPPROTO_TCP;
  b[r + 2] = (opts.ext ?? DEFAULT_EXT) & 0xff;
  dv.setUint32(r + 4, opts.states >>> 0, true);
  dv.setUint16(r + 8, opts.sport ?? 0, false);
  dv.setUint16(r + 10, opts.dport ?? 0, false);
  // cookie = INET_DIAG_NOCOOKIE: not asking for one particular socket.
  dv.setUint32(r + 8 + 40, 0xffffffff, true);
  dv.setUint32(r + 8 + 44, 0xffffffff, true);
  return b;
}

/** IPv6 text as inet_ntop writes it, ::ffff:a.b.c.d included: capture/ip-text, the one formatter. */
export function formatIPv6(dv: DataView, off: number): string {
  return ipv6Text(dv, off);
}

/** "addr:port" as ss prints it: IPv6 in brackets (uapi/tcp-states, the one formatter). */
export const formatEndpoint = endpointText;

/**
 * Decode the netlink messages in `buf[0, len)` (one recv()), calling `onSocket` for each socket
 * whose inode `want` accepts (all when `want` is undefined). Updates `state` (done, errno, errors).
 * Messages of other sequence numbers are decoded too: one socket serves one dump at a time.
 */
export function decodeDiagBatch(
  buf: Uint8Array,
  len: number,
  state: DumpState,
  onSocket: (s: DiagSocket) => void,
  want?: (inode: number) => boolean,
): void {
  walkBatch(buf, len, state, (dv, body, bodyLen, base) => decodeInetDiagMsg(dv, body, bodyLen, state, base, onSocket, want));
}

/**
 * The zero-copy form: `onView` gets one reused DiagMsgView bound to each socket message whose
 * inode `want` accepts; it is valid only until `onView` returns (the next message rebinds it).
 */
export function viewDiagBatch(
  buf: Uint8Array,
  len: number,
  state: DumpState,
  view: DiagMsgView,
  onView: (v: DiagMsgView) => void,
  want?: (inode: number) => boolean,
): void {
  walkBatch(buf, len, state, (dv, body, bodyLen, base) => {
    if (bodyLen >= INET_DIAG_MSG_LEN && want !== undefined && !want(dv.getUint32(body + 68, true))) {
      state.skipped++;
      return;
    }
    if (!view.bind(dv, body, bodyLen, state, base)) return;
    state.sockets++;
    onView(view);
  });
}

/**
 * Follow a batch's message framing only (DONE, ERROR, truncation, stream offset) without decoding
 * sockets: for a batch another thread decodes.
 */
export function scanDiagBatch(buf: Uint8Array, len: number, state: DumpState): void {
  walkBatch(buf, len, state, () => {});
}

function walkBatch(buf: Uint8Array, len: number, state: DumpState, onMsg: (dv: DataView, body: number, bodyLen: number, base: number) => void): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, Math.min(len, buf.byteLength));
  const end = Math.min(len, buf.byteLength);
  let o = 0;
  while (o < end && !state.done) {
    const base = state.streamOffset + o;
    if (end - o < NLMSG_HDRLEN) {
      state.errors.push({ code: "truncated_message", offset: base, need: NLMSG_HDRLEN, have: end - o });
      break;
    }
    const mlen = dv.getUint32(o, true);
    const type = dv.getUint16(o + 4, true);
    if (mlen < NLMSG_HDRLEN) {
      state.errors.push({ code: "bad_message_length", offset: base, need: NLMSG_HDRLEN, have: mlen });
      break;
    }
    if (mlen > end - o) {
      state.errors.push({ code: "truncated_message", offset: base, need: mlen, have: end - o });
      break;
    }
    state.messages++;
    const body = o + NLMSG_HDRLEN;
    const bodyLen = mlen - NLMSG_HDRLEN;
    if (type === SOCK_DIAG_BY_FAMILY) {
      onMsg(dv, body, bodyLen, base);
    } else if (type === NLMSG_DONE) {
      state.done = true;
      // The dump's status: 0, or -errno (-ENOENT when the kernel has no handler for the protocol).
      const status = bodyLen >= 4 ? dv.getInt32(body, true) : 0;
      if (status < 0) {
        state.errno = -status;
        state.errors.push({ code: "dump_done_error", offset: base, errno: -status });
      }
    } else if (type === NLMSG_ERROR) {
      state.done = true;
      const err = bodyLen >= 4 ? dv.getInt32(body, true) : -5; // EIO when the kernel sent no code
      // error 0 is an ACK, which a dump does not ask for; treat it as the end.
      if (err < 0) {
        state.errno = -err;
        state.errors.push({ code: "netlink_error", offset: base, type, errno: -err });
      }
    } else if (type !== NLMSG_NOOP) {
      state.errors.push({ code: "unexpected_message", offset: base, type });
    }
    o += (mlen + 3) & ~3;
  }
  state.streamOffset += end;
}

let decodeView: DiagMsgViewImpl | undefined;

function decodeInetDiagMsg(
  dv: DataView,
  o: number,
  len: number,
  state: DumpState,
  base: number,
  onSocket: (s: DiagSocket) => void,
  want: ((inode: number) => boolean) | undefined,
): void {
  if (len >= INET_DIAG_MSG_LEN && want !== undefined && !want(dv.getUint32(o + 68, true))) {
    state.skipped++;
    return;
  }
  const v = (decodeView ??= new DiagMsgViewImpl());
  if (!v.bind(dv, o, len, state, base)) return;
  const s: DiagSocket = {
    family: v.family,
    state: v.state,
    timer: v.timer,
    retrans: v.retrans,
    sport: v.sport,
    dport: v.dport,
    src: v.src,
    dst: v.dst,
    ifindex: v.ifindex,
    cookie: v.cookie,
    expires: v.expires,
    rqueue: v.rqueue,
    wqueue: v.wqueue,
    uid: v.uid,
    inode: v.inode,
  };
  if (v.infoLen > 0) s.info = decodeTcpInfoAt(dv, v.infoAt, v.infoLen);
  if (v.skmemLen > 0) s.skmem = skmem(dv, v.skmemAt, v.skmemLen);
  else if (v.memAt >= 0) {
    // Kernels before 3.6 have no SKMEMINFO: keep the older MEMINFO.
    const m = v.memAt;
    s.meminfo = { rmem: dv.getUint32(m, true), wmem: dv.getUint32(m + 4, true), fmem: dv.getUint32(m + 8, true), tmem: dv.getUint32(m + 12, true) };
  }
  if (v.congAt >= 0) s.cong = v.cong!;
  if (v.shutdown >= 0) s.shutdown = v.shutdown;
  state.sockets++;
  onSocket(s);
}

/**
 * A re-bindable view of one inet_diag_msg and the positions of its attributes (STYLE §2).
 * `bind` checks every length once and records problems in the DumpState; afterwards the getters
 * read without checks. Offsets are into `dv` (the whole recv buffer).
 */
export interface DiagMsgView {
  readonly dv: DataView;
  /** Offset of the inet_diag_msg body. */
  readonly o: number;
  readonly family: number;
  readonly state: number;
  readonly timer: number;
  readonly retrans: number;
  readonly sport: number;
  readonly dport: number;
  readonly src: string;
  readonly dst: string;
  readonly ifindex: number;
  readonly cookie: number;
  readonly expires: number;
  readonly rqueue: number;
  readonly wqueue: number;
  readonly uid: number;
  readonly inode: number;
  /** tcp_info payload offset and length (0 = not sent / too short). */
  readonly infoAt: number;
  readonly infoLen: number;
  readonly skmemAt: number;
  /** SKMEMINFO payload length in bytes (0 = absent). */
  readonly skmemLen: number;
  readonly memAt: number;
  readonly congAt: number;
  readonly cong: string | undefined;
  /** SHUTDOWN byte, -1 when absent. */
  readonly shutdown: number;
  bind(dv: DataView, o: number, len: number, state: DumpState, base: number): boolean;
}

export class DiagMsgViewImpl implements DiagMsgView {
  dv: DataView = new DataView(new ArrayBuffer(0));
  o = 0;
  infoAt = 0;
  infoLen = 0;
  skmemAt = 0;
  skmemLen = 0;
  memAt = -1;
  congAt = -1;
  congLen = 0;
  shutdown = -1;

  bind(dv: DataView, o: number, len: number, state: DumpState, base: number): boolean {
    if (len < INET_DIAG_MSG_LEN) {
      state.errors.push({ code: "short_inet_diag_msg", offset: base + NLMSG_HDRLEN, need: INET_DIAG_MSG_LEN, have: len });
      return false;
    }
    this.dv = dv;
    this.o = o;
    this.infoAt = 0;
    this.infoLen = 0;
    this.skmemAt = 0;
    this.skmemLen = 0;
    this.memAt = -1;
    this.congAt = -1;
    this.congLen = 0;
    this.shutdown = -1;
    // Attributes: rtattr {u16 len (incl. header, excl. padding), u16 type}, 4-byte aligned.
    const end = o + len;
    let a = o + INET_DIAG_MSG_LEN;
    while (a + 4 <= end) {
      const alen = dv.getUint16(a, true);
      const atype = dv.getUint16(a + 2, true) & 0x3fff;
      if (alen < 4 || a + alen > end) {
        state.errors.push({ code: "bad_attribute", offset: base + NLMSG_HDRLEN + (a - o), type: atype, need: alen, have: end - a });
        break;
      }
      const p = a + 4;
      const plen = alen - 4;
      switch (atype) {
        case INET_DIAG.INFO:
          if (plen >= TCP_INFO_MIN_LEN) {
            this.infoAt = p;
            this.infoLen = plen;
          } else if (plen > 0) state.errors.push({ code: "short_tcp_info", offset: base + NLMSG_HDRLEN + (p - o), need: TCP_INFO_MIN_LEN, have: plen });
          break;
        case INET_DIAG.SKMEMINFO:
          if (plen >= 8) {
            this.skmemAt = p;
            this.skmemLen = plen & ~3;
          } else state.errors.push({ code: "short_skmeminfo", offset: base + NLMSG_HDRLEN + (p - o), need: 8, have: plen });
          break;
        case INET_DIAG.MEMINFO:
          if (plen >= 16) this.memAt = p;
          break;
        case INET_DIAG.CONG:
          this.congAt = p;
          this.congLen = plen;
          break;
        case INET_DIAG.SHUTDOWN:
          if (plen >= 1) this.shutdown = dv.getUint8(p);
          break;
        default:
          break; // INET_DIAG_PAD, CGROUP_ID, SOCKOPT, ... not needed here.
      }
      a += (alen + 3) & ~3;
    }
    return true;
  }

  get family(): number {
    return this.dv.getUint8(this.o);
  }
  get state(): number {
    return this.dv.getUint8(this.o + 1);
  }
  get timer(): number {
    return this.dv.getUint8(this.o + 2);
  }
  get retrans(): number {
    return this.dv.getUint8(this.o + 3);
  }
  get sport(): number {
    return this.dv.getUint16(this.o + 4, false);
  }
  get dport(): number {
    return this.dv.getUint16(this.o + 6, false);
  }
  get src(): string {
    return this.family === AF_INET6 ? formatIPv6(this.dv, this.o + 8) : ipv4(this.dv, this.o + 8);
  }
  get dst(): string {
    return this.family === AF_INET6 ? formatIPv6(this.dv, this.o + 24) : ipv4(this.dv, this.o + 24);
  }
  get ifindex(): number {
    return this.dv.getUint32(this.o + 40, true);
  }
  get cookie(): number {
    return this.dv.getUint32(this.o + 44, true) + this.dv.getUint32(this.o + 48, true) * 4294967296;
  }
  get expires(): number {
    return this.dv.getUint32(this.o + 52, true);
  }
  get rqueue(): number {
    return this.dv.getUint32(this.o + 56, true);
  }
  get wqueue(): number {
    return this.dv.getUint32(this.o + 60, true);
  }
  get uid(): number {
    return this.dv.getUint32(this.o + 64, true);
  }
  get inode(): number {
    return this.dv.getUint32(this.o + 68, true);
  }
  get cong(): string | undefined {
    return this.congAt < 0 ? undefined : cstring(this.dv, this.congAt, this.congLen);
  }
  /** sk_meminfo word `i` (SK_MEMINFO_*), or undefined when the kernel sent fewer. */
  skmemWord(i: number): number | undefined {
    return i * 4 + 4 <= this.skmemLen ? this.dv.getUint32(this.skmemAt + i * 4, true) : undefined;
  }
}

// A host has few distinct addresses: intern their text so 100 k sockets share a handful of strings.
const v4Cache = new Map<number, string>();
function ipv4(dv: DataView, o: number): string {
  const key = dv.getUint32(o, false);
  let s = v4Cache.get(key);
  if (s === undefined) {
    s = `${key >>> 24}.${(key >>> 16) & 0xff}.${(key >>> 8) & 0xff}.${key & 0xff}`;
    if (v4Cache.size < 65536) v4Cache.set(key, s);
  }
  return s;
}

function skmem(dv: DataView, p: number, plen: number): SkMemInfo {
  const n = plen >>> 2;
  const m: SkMemInfo = { rmem_alloc: dv.getUint32(p, true), rcvbuf: dv.getUint32(p + 4, true) };
  if (n > 2) m.wmem_alloc = dv.getUint32(p + 8, true);
  if (n > 3) m.sndbuf = dv.getUint32(p + 12, true);
  if (n > 4) m.fwd_alloc = dv.getUint32(p + 16, true);
  if (n > 5) m.wmem_queued = dv.getUint32(p + 20, true);
  if (n > 6) m.optmem = dv.getUint32(p + 24, true);
  if (n > 7) m.backlog = dv.getUint32(p + 28, true);
  if (n > 8) m.drops = dv.getUint32(p + 32, true);
  return m;
}

// Congestion-control names are few: intern them so 100 k sockets share a handful of strings.
const congCache = new Map<number, string>();
function cstring(dv: DataView, p: number, plen: number): string {
  let key = 0;
  let n = 0;
  while (n < plen && dv.getUint8(p + n) !== 0) {
    key = (key * 31 + dv.getUint8(p + n)) | 0;
    n++;
  }
  key = (key * 31 + n) | 0;
  const hit = congCache.get(key);
  if (hit !== undefined && hit.length === n) {
    let same = true;
    for (let i = 0; i < n && same; i++) same = hit.charCodeAt(i) === dv.getUint8(p + i);
    if (same) return hit;
  }
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(dv.getUint8(p + i));
  if (hit === undefined) congCache.set(key, s);
  return s;
}
