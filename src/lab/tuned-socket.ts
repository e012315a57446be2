/**
 * @module lab/tuned-socket
 * TCP sockets whose SO_RCVBUF, SO_SNDBUF and TCP_MAXSEG are set before the handshake — what Node's
 * `net` cannot do — then handed to Node as ordinary net.Server / net.Socket objects.
 *
 * Why before the handshake: the window scale and the SYN's MSS option are fixed when the SYN is
 * sent/answered (tcp_select_initial_window); an accepted socket inherits the listener's
 * sk_rcvbuf, lock flags and user_mss. Setting SO_RCVBUF later (as Node users can through
 * libuv's setRecvBufferSize on UDP only) leaves wscale at its default and misbehaves
 * (reference linux-tcp-internals.md §4).
 *
 * Client connect: the fd is non-blocking; connect() returns EINPROGRESS and completion is
 * awaited with ppoll(POLLOUT) in short slices that yield to the event loop, then SO_ERROR tells
 * the outcome (the portable non-blocking connect idiom, connect(2) "EINPROGRESS").
 */
import net from "node:net";
import { lookup } from "node:dns/promises";
import { bind, check, close, connect, errno, errnoName, getsockname, listen, ppoll, socket, strerror } from "../kernel/libc.js";
import {
  getIntOpt,
  setIntOpt,
  IPPROTO_TCP,
  SO_ERROR,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_REUSEADDR,
  SO_SNDBUF,
  SO_SNDBUFFORCE,
  SOL_SOCKET,
  TCP_MAXSEG,
} from "../kernel/sockopt.js";
import { TcpwinError } from "../errors.js";
import { AF_INET, AF_INET6, EINPROGRESS, POLLOUT, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_STREAM } from "../kernel/uapi.js";


export interface SocketTuning {
  /** setsockopt(SO_RCVBUF) value; undefined = leave the kernel default (autotuning). */
  rcvbuf?: number | undefined;
  sndbuf?: number | undefined;
  /** TCP_MAXSEG (user_mss): clamps the MSS option this side announces. */
  mss?: number | undefined;
  /** Use SO_RCVBUFFORCE / SO_SNDBUFFORCE (CAP_NET_ADMIN) to go past rmem_max / wmem_max. */
  force?: boolean | undefined;
}

/** What was asked for and what the kernel made of it (rb/tb as ss shows them, already doubled). */
export interface TuningReport {
  requested: { rcvbuf: number | null; sndbuf: number | null; mss: number | null };
  effective: { rcvbuf: number; sndbuf: number; mss: number };
}

export class ConnectError extends TcpwinError {
  override readonly name = "ConnectError";
}

async function resolve(host: string): Promise<{ family: 4 | 6; address: string }> {
  const kind = net.isIP(host);
  if (kind === 4 || kind === 6) return { family: kind, address: host };
  try {
    const r = await lookup(host);
    return { family: r.family === 6 ? 6 : 4, address: r.address };
  } catch (e) {
    throw new ConnectError("resolve_failed", `cannot resolve ${JSON.stringify(host)}: ${(e as Error).message}`, { cause: e });
  }
}

/** struct sockaddr_in / sockaddr_in6 for (address, port). */
export function sockaddr(family: 4 | 6, address: string, port: number): Buffer {
  if (family === 4) {
    const b = Buffer.alloc(16);
    b.writeUInt16LE(AF_INET, 0);
    b.writeUInt16BE(port, 2);
    const parts = address.split(".").map(Number);
    for (let i = 0; i < 4; i++) b[4 + i] = parts[i]!;
    return b;
  }
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  const groups = expandIpv6(address);
  for (let i = 0; i < 8; i++) b.writeUInt16BE(groups[i]!, 8 + 2 * i);
  return b;
}

function expandIpv6(addr: string): number[] {
  const zone = addr.indexOf("%");
  if (zone >= 0) addr = addr.slice(0, zone);
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
  if (v4) {
    const p = v4[1]!.split(".").map(Number);
    tail = [(p[0]! << 8) | p[1]!, (p[2]! << 8) | p[3]!];
    addr = addr.slice(0, -v4[1]!.length) + "0:0";
  }
  const [head, rest] = addr.split("::") as [string, string | undefined];
  const h = head ? head.split(":").map((x) => parseInt(x, 16)) : [];
  const r = rest !== undefined && rest !== "" ? rest.split(":").map((x) => parseInt(x, 16)) : [];
  const fill = rest !== undefined ? new Array<number>(8 - h.length - r.length).fill(0) : [];
  const g = [...h, ...fill, ...r];
  if (tail.length) g.splice(6, 2, ...tail);
  return g;
}

function applyTuning(fd: number, t: SocketTuning): void {
  if (t.rcvbuf !== undefined) setIntOpt(fd, SOL_SOCKET, t.force ? SO_RCVBUFFORCE : SO_RCVBUF, t.rcvbuf);
  if (t.sndbuf !== undefined) setIntOpt(fd, SOL_SOCKET, t.force ? SO_SNDBUFFORCE : SO_SNDBUF, t.sndbuf);
  if (t.mss !== undefined) setIntOpt(fd, IPPROTO_TCP, TCP_MAXSEG, t.mss);
}

/** Read back the effective values from an fd (for a connected socket: the negotiated MSS). */
export function tuningReport(fd: number, t: SocketTuning): TuningReport {
  return {
    requested: { rcvbuf: t.rcvbuf ?? null, sndbuf: t.sndbuf ?? null, mss: t.mss ?? null },
    effective: {
      rcvbuf: getIntOpt(fd, SOL_SOCKET, SO_RCVBUF),
      sndbuf: getIntOpt(fd, SOL_SOCKET, SO_SNDBUF),
      mss: getIntOpt(fd, IPPROTO_TCP, TCP_MAXSEG),
    },
  };
}

/** The fd behind a Node socket (libuv handle), or -1. */
export function socketFd(s: net.Socket | net.Server): number {
  const h = (s as unknown as { _handle?: { fd?: number } })._handle;
  return typeof h?.fd === "number" ? h.fd : -1;
}

export interface TunedListener {
  server: net.Server;
  fd: number;
  port: number;
  report: TuningReport;
}

export interface TunedListenFd {
  fd: number;
  port: number;
  report: TuningReport;
}

/**
 * A listening socket configured before listen(), as a raw non-blocking fd (the bulk receiver
 * accepts on it from a worker thread). The caller owns and closes the fd.
 */
export async function listenTunedFd(host: string, port: number, tuning: SocketTuning, backlog = 128): Promise<TunedListenFd> {
  const { family, address } = await resolve(host);
  const fd = check(socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number, "socket");
  try {
    setIntOpt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    applyTuning(fd, tuning);
    const sa = sockaddr(family, address, port);
    check(bind(fd, sa, sa.length) as number, "bind", `${address} port ${port}`);
    check(listen(fd, backlog) as number, "listen");
    return { fd, port: localPort(fd), report: tuningReport(fd, tuning) };
  } catch (e) {
    close(fd);
    throw e;
  }
}

/**
 * A listening socket configured before listen(), wrapped in an ordinary net.Server. Accepted
 * sockets inherit SO_RCVBUF / SO_SNDBUF / TCP_MAXSEG. `host` "0.0.0.0" / "::" for all addresses.
 */
export async function listenTuned(host: string, port: number, tuning: SocketTuning, backlog = 128): Promise<TunedListener> {
  const l = await listenTunedFd(host, port, tuning, backlog);
  try {
    const server = new net.Server();
    await new Promise<void>((res, rej) => {
      server.once("error", rej);
      server.listen({ fd: l.fd }, () => {
        server.off("error", rej);
        res();
      });
    });
    return { server, fd: l.fd, port: l.port, report: l.report };
  } catch (e) {
    close(l.fd);
    throw e;
  }
}

function localPort(fd: number): number {
  const sa = Buffer.alloc(28);
  const len: [number] = [28];
  check(getsockname(fd, sa, len) as number, "getsockname");
  return sa.readUInt16BE(2);
}

export interface TunedFd {
  fd: number;
  report: TuningReport;
  /** Time connect() took until the handshake completed, ms. */
  connectMs: number;
  address: string;
  family: 4 | 6;
}

/**
 * A client socket configured before connect() and connected; returned as a raw non-blocking fd
 * (the bulk sender drives it with send(2) directly). The caller owns and closes the fd.
 */
export async function connectTunedFd(host: string, port: number, tuning: SocketTuning, timeoutMs = 10_000): Promise<TunedFd> {
  const { family, address } = await resolve(host);
  const fd = check(socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number, "socket");
  try {
    applyTuning(fd, tuning);
    const sa = sockaddr(family, address, port);
    const t0 = performance.now();
    const r = connect(fd, sa, sa.length) as number;
    if (r < 0) {
      const err = errno();
      if (err !== EINPROGRESS) throw new ConnectError(errnoName(err), `connect to ${address} port ${port}: ${errnoName(err)} ${strerror(err)}`);
      await waitWritable(fd, timeoutMs, `${address} port ${port}`);
    }
    const soError = getIntOpt(fd, SOL_SOCKET, SO_ERROR);
    if (soError !== 0) throw new ConnectError(errnoName(soError), `connect to ${address} port ${port}: ${errnoName(soError)} ${strerror(soError)}`);
    return { fd, report: tuningReport(fd, tuning), connectMs: performance.now() - t0, address, family };
  } catch (e) {
    close(fd);
    throw e;
  }
}

export interface TunedConnection extends TunedFd {
  socket: net.Socket;
}

/** A client socket configured before connect(), connected, and wrapped in an ordinary net.Socket. */
export async function connectTuned(host: string, port: number, tuning: SocketTuning, timeoutMs = 10_000): Promise<TunedConnection> {
  const c = await connectTunedFd(host, port, tuning, timeoutMs);
  return { ...c, socket: new net.Socket({ fd: c.fd, readable: true, writable: true }) };
}

/** ppoll(POLLOUT) in ≤ 2 ms slices, yielding to the event loop between slices. */
async function waitWritable(fd: number, timeoutMs: number, what: string): Promise<void> {
  const pfd = Buffer.alloc(8);
  pfd.writeInt32LE(fd, 0);
  pfd.writeInt16LE(POLLOUT, 4);
  const ts = Buffer.alloc(16);
  ts.writeInt32LE(2_000_000, 8);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    pfd.writeInt16LE(0, 6);
    const n = ppoll(pfd, 1, ts, null) as number;
    if (n > 0) return;
    if (performance.now() > deadline) throw new ConnectError("ETIMEDOUT", `connect to ${what}: no answer within ${timeoutMs} ms`);
    await new Promise((r) => setImmediate(r));
  }
}
