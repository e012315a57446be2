/**
 * @module kernel/sockopt
 * Typed setsockopt/getsockopt on raw file descriptors (Node's `net` exposes neither SO_RCVBUF
 * before the handshake nor TCP_MAXSEG / TCP_INFO). Constants are the Linux x86-64 / generic ABI
 * values from include/uapi/asm-generic/socket.h, include/uapi/linux/in.h and
 * include/uapi/linux/tcp.h. Failures throw SyscallError naming the option and the value.
 *
 * Invariant: no per-call allocation for the int paths beyond one 4-byte scratch buffer shared
 * by this module (calls are synchronous, so sharing is safe on one thread).
 */
import { check, getsockopt, setsockopt } from "./libc.js";

/** Socket levels and options (Linux numbering). */
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
export const SO_RCVTIMEO = 20;
export const SO_SNDTIMEO = 21;
export const SO_REUSEPORT = 15;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;

export const IPPROTO_IP = 0;
export const IPPROTO_TCP = 6;
export const IPPROTO_IPV6 = 41;

export const TCP_NODELAY = 1;
export const TCP_MAXSEG = 2;
export const TCP_CORK = 3;
export const TCP_INFO = 11;
export const TCP_QUICKACK = 12;
export const TCP_CONGESTION = 13;
export const TCP_WINDOW_CLAMP = 10;
export const TCP_USER_TIMEOUT = 18;
export const TCP_NOTSENT_LOWAT = 25;

/** Names for error messages ("setsockopt(SOL_SOCKET, SO_RCVBUF, 1024)"). */
const LEVEL_NAMES: Record<number, string> = { [SOL_SOCKET]: "SOL_SOCKET", [IPPROTO_TCP]: "IPPROTO_TCP", [IPPROTO_IP]: "IPPROTO_IP", [IPPROTO_IPV6]: "IPPROTO_IPV6" };
const SOCKET_OPT_NAMES: Record<number, string> = {
  [SO_REUSEADDR]: "SO_REUSEADDR",
  [SO_TYPE]: "SO_TYPE",
  [SO_ERROR]: "SO_ERROR",
  [SO_SNDBUF]: "SO_SNDBUF",
  [SO_RCVBUF]: "SO_RCVBUF",
  [SO_KEEPALIVE]: "SO_KEEPALIVE",
  [SO_REUSEPORT]: "SO_REUSEPORT",
  [SO_SNDBUFFORCE]: "SO_SNDBUFFORCE",
  [SO_RCVBUFFORCE]: "SO_RCVBUFFORCE",
};
const TCP_OPT_NAMES: Record<number, string> = {
  [TCP_NODELAY]: "TCP_NODELAY",
  [TCP_MAXSEG]: "TCP_MAXSEG",
  [TCP_CORK]: "TCP_CORK",
  [TCP_INFO]: "TCP_INFO",
  [TCP_QUICKACK]: "TCP_QUICKACK",
  [TCP_CONGESTION]: "TCP_CONGESTION",
  [TCP_WINDOW_CLAMP]: "TCP_WINDOW_CLAMP",
  [TCP_USER_TIMEOUT]: "TCP_USER_TIMEOUT",
  [TCP_NOTSENT_LOWAT]: "TCP_NOTSENT_LOWAT",
};

/** "SOL_SOCKET, SO_RCVBUF" for messages; numbers when unknown. */
export function optName(level: number, name: number): string {
  const table = level === SOL_SOCKET ? SOCKET_OPT_NAMES : level === IPPROTO_TCP ? TCP_OPT_NAMES : {};
  return `${LEVEL_NAMES[level] ?? `level ${level}`}, ${table[name] ?? `option ${name}`}`;
}

const intBuf = Buffer.alloc(4);
const lenBox: [number] = [4];

/** setsockopt(fd, level, name, &int, 4). */
export function setIntOpt(fd: number, level: number, name: number, value: number): void {
  intBuf.writeInt32LE(value | 0, 0);
  check(setsockopt(fd, level, name, intBuf, 4) as number, "setsockopt", `${optName(level, name)}, ${value}`);
}

/** getsockopt(fd, level, name) as a 32-bit int. */
export function getIntOpt(fd: number, level: number, name: number): number {
  lenBox[0] = 4;
  intBuf.writeInt32LE(0, 0);
  check(getsockopt(fd, level, name, intBuf, lenBox) as number, "getsockopt", optName(level, name));
  return intBuf.readInt32LE(0);
}

/** Room for struct tcp_info of any kernel up to 6.18 (280 B) with headroom for later ones. */
export const TCP_INFO_MAX = 512;

/**
 * getsockopt(fd, IPPROTO_TCP, TCP_INFO): the kernel's struct tcp_info, truncated to the length the
 * kernel wrote (its own sizeof). Decode with decodeTcpInfo (kernel/tcp-info). Pass `into` to reuse
 * a buffer (≥ TCP_INFO_MAX); the returned view aliases it.
 */
export function getTcpInfoRaw(fd: number, into?: Uint8Array): Uint8Array {
  const buf = into ?? new Uint8Array(TCP_INFO_MAX);
  const len: [number] = [buf.length];
  check(getsockopt(fd, IPPROTO_TCP, TCP_INFO, buf, len) as number, "getsockopt", optName(IPPROTO_TCP, TCP_INFO));
  return buf.subarray(0, len[0]);
}

/** The effective socket buffers as the kernel keeps them (already doubled): ss's rb / tb. */
export function getSocketBuffers(fd: number): { rcvbuf: number; sndbuf: number } {
  return { rcvbuf: getIntOpt(fd, SOL_SOCKET, SO_RCVBUF), sndbuf: getIntOpt(fd, SOL_SOCKET, SO_SNDBUF) };
}
