/**
 * @module kernel/sock-destroy
 * The kernel's socket-destroy notifications: a NETLINK_SOCK_DIAG socket bound to the multicast
 * groups SKNLGRP_INET_TCP_DESTROY and SKNLGRP_INET6_TCP_DESTROY (include/uapi/linux/sock_diag.h),
 * what `ss -E` listens to. When a full TCP socket is freed (__sk_free → sock_diag_broadcast_destroy),
 * the kernel multicasts one SOCK_DIAG_BY_FAMILY message for it: inet_diag_msg with family, ports,
 * addresses, state and cookie (inode and uid are 0: the socket is detached), and INET_DIAG_INFO,
 * its final tcp_info (inet_diag_handler_get_info, net/ipv4/inet_diag.c). So a connection that lived
 * 50 ms between two scrapes still hands over its busy / rwnd- / sndbuf-limited time.
 *
 * Privilege: none. netlink_bind() lets a non-root socket join groups only when the family's kernel
 * socket was created with NL_CFG_F_NONROOT_RECV (else CAP_NET_ADMIN), and sock_diag's is
 * (diag_net_init, net/core/sock_diag.c); sock_diag_bind() only loads the inet_diag module. Only
 * SOCK_DESTROY (killing a socket) asks for CAP_NET_ADMIN. Refusals still happen (a seccomp or LSM
 * policy, a kernel without CONFIG_INET_DIAG_DESTROY-era groups): `openSockDestroy` returns the errno
 * instead of throwing, so the caller can say so and poll.
 *
 * The socket is non-blocking; `drain` reads what is queued. A full receive queue drops messages
 * and the next recv() fails with ENOBUFS: counted in `lost`, never thrown. Messages are decoded by
 * kernel/netlink (never throws on bad bytes).
 */
import { bind, close, errno, recv, setsockopt, socket } from "./libc.js";
import { decodeDiagBatch, DumpState, NETLINK_SOCK_DIAG, type DiagDecodeError, type DiagSocket } from "./netlink.js";
import { AF_NETLINK, EAGAIN, EINTR, MSG_DONTWAIT, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_RAW } from "./uapi.js";

/** enum sknetlink_groups (include/uapi/linux/sock_diag.h). */
export const SKNLGRP_INET_TCP_DESTROY = 1;
export const SKNLGRP_INET6_TCP_DESTROY = 3;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const ENOBUFS = 105;
/** Receive queue asked for: ~10 k destroy messages (~400 B each) between two drains. */
const RCVBUF_BYTES = 4 << 20;
const RECV_BYTES = 256 << 10;

export type SockDestroyOpen = { ok: true; listener: SockDestroyListener } | { ok: false; errno: number; syscall: string };

export interface DrainResult {
  /** Destroy messages decoded. */
  events: number;
  /** Times the kernel dropped messages because the queue was full (ENOBUFS). */
  overflows: number;
  errors: DiagDecodeError[];
}

/** Join both TCP destroy groups; an errno (EPERM, EINVAL, ...) instead of a throw when refused. */
export function openSockDestroy(): SockDestroyOpen {
  const fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG) as number;
  if (fd < 0) return { ok: false, errno: errno(), syscall: "socket" };
  const v = Buffer.alloc(4);
  v.writeInt32LE(RCVBUF_BYTES, 0);
  // SO_RCVBUFFORCE passes net.core.rmem_max when privileged; else SO_RCVBUF, capped at rmem_max.
  if ((setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, v, 4) as number) < 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, v, 4);
  const addr = Buffer.alloc(12);
  addr.writeUInt16LE(AF_NETLINK, 0);
  addr.writeUInt32LE(0, 4); // nl_pid 0: the kernel assigns one
  addr.writeUInt32LE((1 << (SKNLGRP_INET_TCP_DESTROY - 1)) | (1 << (SKNLGRP_INET6_TCP_DESTROY - 1)), 8);
  if ((bind(fd, addr, addr.length) as number) < 0) {
    const e = errno();
    close(fd);
    return { ok: false, errno: e, syscall: "bind" };
  }
  return { ok: true, listener: new SockDestroyListener(fd) };
}

export class SockDestroyListener {
  private fd: number;
  private readonly buf = Buffer.allocUnsafe(RECV_BYTES);
  events = 0;
  overflows = 0;

  constructor(fd: number) {
    this.fd = fd;
  }

  /** Decode every queued destroy message (without blocking) and hand each socket to `onSocket`. */
  drain(onSocket: (s: DiagSocket) => void): DrainResult {
    const out: DrainResult = { events: 0, overflows: 0, errors: [] };
    if (this.fd < 0) return out;
    for (;;) {
      const n = Number(recv(this.fd, this.buf, RECV_BYTES, MSG_DONTWAIT));
      if (n < 0) {
        const e = errno();
        if (e === EINTR) continue;
        if (e === ENOBUFS) {
          out.overflows++;
          continue; // the queue was reset; what follows is new
        }
        if (e !== EAGAIN) out.errors.push({ code: "netlink_error", offset: 0, errno: e });
        break;
      }
      if (n === 0) break;
      const state = new DumpState();
      decodeDiagBatch(this.buf, n, state, (s) => {
        out.events++;
        onSocket(s);
      });
      out.errors.push(...state.errors);
    }
    this.events += out.events;
    this.overflows += out.overflows;
    return out;
  }

  /** Idempotent. */
  close(): void {
    if (this.fd >= 0) close(this.fd);
    this.fd = -1;
  }
}
