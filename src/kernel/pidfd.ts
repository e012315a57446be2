/**
 * @module kernel/pidfd
 * Read another process's socket options without restarting it: pidfd_open(pid) (syscall 434)
 * then pidfd_getfd(pidfd, fd) (syscall 438, Linux 5.6+) gives us a duplicate of its socket, on
 * which getsockopt answers exactly what the owner would see (SO_RCVBUF, SO_SNDBUF, TCP_MAXSEG,
 * TCP_WINDOW_CLAMP, TCP_INFO). Needs PTRACE_MODE_ATTACH_REALCREDS over the target (root, or the
 * same user with ptrace_scope 0). The duplicate is closed at once; the owner's socket is not
 * touched (getsockopt has no side effects on these options).
 */
import { close, errno, syscall3, SyscallError } from "./libc.js";
import { getIntOpt, getTcpInfoRaw, IPPROTO_TCP, SO_RCVBUF, SO_SNDBUF, SOL_SOCKET, TCP_MAXSEG, TCP_WINDOW_CLAMP } from "./sockopt.js";
import { decodeTcpInfo, type TcpInfo } from "./tcp-info.js";
import { TcpwinError } from "../errors.js";

const SYS_pidfd_open = 434;
const SYS_pidfd_getfd = 438;

export class PidfdError extends TcpwinError {
  override readonly name = "PidfdError";
  constructor(
    readonly pid: number,
    readonly errno: number,
    message: string,
  ) {
    super("pidfd", message);
  }
}

/** A pidfd for `pid`; close it with closeFd. */
export function pidfdOpen(pid: number): number {
  const r = Number(syscall3(SYS_pidfd_open, pid, 0, 0));
  if (r < 0) {
    const e = errno();
    if (e === 3) throw new PidfdError(pid, e, `pidfd_open(${pid}): no such process`);
    if (e === 38) throw new PidfdError(pid, e, `pidfd_open: this kernel has no pidfd_open (Linux 5.3+ needed)`);
    throw new SyscallError("pidfd_open", e, String(pid));
  }
  return r;
}

/** Duplicate descriptor `targetFd` of the process behind `pidfd` into this process. */
export function pidfdGetfd(pidfd: number, pid: number, targetFd: number): number {
  const r = Number(syscall3(SYS_pidfd_getfd, pidfd, targetFd, 0));
  if (r < 0) {
    const e = errno();
    if (e === 1)
      throw new PidfdError(pid, e, `pidfd_getfd(${pid}, fd ${targetFd}): not permitted (EPERM): reading another process's sockets needs root or ptrace rights over it (see /proc/sys/kernel/yama/ptrace_scope)`);
    if (e === 38) throw new PidfdError(pid, e, `pidfd_getfd: this kernel has no pidfd_getfd (Linux 5.6+ needed)`);
    if (e === 9) throw new PidfdError(pid, e, `pidfd_getfd(${pid}, fd ${targetFd}): the descriptor was closed`);
    throw new SyscallError("pidfd_getfd", e, `${pid} fd ${targetFd}`);
  }
  return r;
}

export interface RemoteSockopts {
  fd: number;
  so_rcvbuf: number;
  so_sndbuf: number;
  tcp_maxseg: number;
  tcp_window_clamp: number;
  tcp_info?: TcpInfo;
}

/**
 * getsockopt on a duplicate of each of `fds` of `pid`. Per-descriptor failures (closed since we
 * listed it) are returned as `{ fd, error }`; a permission failure throws PidfdError for all.
 */
export function readRemoteSockopts(pid: number, fds: readonly number[]): (RemoteSockopts | { fd: number; error: string })[] {
  const pidfd = pidfdOpen(pid);
  const out: (RemoteSockopts | { fd: number; error: string })[] = [];
  const infoBuf = new Uint8Array(512);
  try {
    for (const fd of fds) {
      let dup: number;
      try {
        dup = pidfdGetfd(pidfd, pid, fd);
      } catch (e) {
        if (e instanceof PidfdError && e.errno === 9) {
          out.push({ fd, error: "closed" });
          continue;
        }
        throw e;
      }
      try {
        const r: RemoteSockopts = {
          fd,
          so_rcvbuf: getIntOpt(dup, SOL_SOCKET, SO_RCVBUF),
          so_sndbuf: getIntOpt(dup, SOL_SOCKET, SO_SNDBUF),
          tcp_maxseg: getIntOpt(dup, IPPROTO_TCP, TCP_MAXSEG),
          tcp_window_clamp: getIntOpt(dup, IPPROTO_TCP, TCP_WINDOW_CLAMP),
        };
        const raw = getTcpInfoRaw(dup, infoBuf);
        if (raw.length >= 104) r.tcp_info = decodeTcpInfo(raw);
        out.push(r);
      } catch (e) {
        out.push({ fd, error: e instanceof Error ? e.message : String(e) });
      } finally {
        close(dup);
      }
    }
  } finally {
    close(pidfd);
  }
  return out;
}

