/**
 * @module kernel/libc
 * The one place that loads koffi and declares libc functions. Everything else in tcpwin reaches
 * the kernel through the typed wrappers in src/kernel/. Calls that can fail return -1 and leave
 * errno set; `check()` turns that into a SyscallError naming the call and the errno.
 * Add a binding here (append, keep the groups) rather than loading libc elsewhere.
 */
import koffi from "koffi";
import { constants as osConstants } from "node:os";
import { TcpwinError } from "../errors.js";

export const lib = koffi.load("libc.so.6");

// --- errno -----------------------------------------------------------------------------
const errnoLocation = lib.func("int *__errno_location()");
export function errno(): number {
  return koffi.decode(errnoLocation(), "int") as number;
}
const strerrorFn = lib.func("const char *strerror(int errnum)");
export function strerror(e: number): string {
  return strerrorFn(e) as string;
}
const ERRNO_NAMES = new Map<number, string>(Object.entries(osConstants.errno).map(([k, v]) => [v, k]));
export function errnoName(e: number): string {
  return ERRNO_NAMES.get(e) ?? `errno ${e}`;
}

export class SyscallError extends TcpwinError {
  override readonly name = "SyscallError";
  constructor(
    readonly syscall: string,
    readonly errno: number,
    detail?: string,
  ) {
    super(errnoName(errno), `${syscall}${detail ? ` (${detail})` : ""}: ${errnoName(errno)} ${strerror(errno)}`);
  }
}

/** Throw a SyscallError when a libc call returned a negative value. */
export function check(ret: number, syscall: string, detail?: string): number {
  if (ret < 0) throw new SyscallError(syscall, errno(), detail);
  return ret;
}

// --- sockets ---------------------------------------------------------------------------
export const socket = lib.func("int socket(int domain, int type, int protocol)");
export const close = lib.func("int close(int fd)");
export const bind = lib.func("int bind(int fd, const void *addr, uint32_t addrlen)");
export const listen = lib.func("int listen(int fd, int backlog)");
export const connect = lib.func("int connect(int fd, const void *addr, uint32_t addrlen)");
export const accept4 = lib.func("int accept4(int fd, _Out_ void *addr, _Inout_ uint32_t *addrlen, int flags)");
export const setsockopt = lib.func("int setsockopt(int fd, int level, int name, const void *val, uint32_t len)");
export const getsockopt = lib.func("int getsockopt(int fd, int level, int name, _Out_ void *val, _Inout_ uint32_t *len)");
export const getsockname = lib.func("int getsockname(int fd, _Out_ void *addr, _Inout_ uint32_t *addrlen)");
export const sendto = lib.func("intptr_t sendto(int fd, const void *buf, uintptr_t len, int flags, const void *addr, uint32_t addrlen)");
export const recv = lib.func("intptr_t recv(int fd, _Out_ void *buf, uintptr_t len, int flags)");
export const fcntl = lib.func("int fcntl(int fd, int cmd, int arg)");

// --- files, ioctl, namespaces, raw syscalls --------------------------------------------
export const open = lib.func("int open(const char *path, int flags, int mode)");
export const read = lib.func("intptr_t read(int fd, _Out_ void *buf, uintptr_t count)");
export const write = lib.func("intptr_t write(int fd, const void *buf, uintptr_t count)");
export const ioctl = lib.func("int ioctl(int fd, unsigned long req, void *arg)");
export const setns = lib.func("int setns(int fd, int nstype)");
export const unshare = lib.func("int unshare(int flags)");
export const syscall3 = lib.func("long syscall(long number, long a, long b, long c)");
export const getpid = lib.func("int getpid()");

// --- lab: readiness with a nanosecond timeout, timer slack (appended for src/lab) -------
/** ppoll(fds, nfds, tmo_p, sigmask): `fds` is a Buffer of struct pollfd {int fd; short events; short revents}. */
export const ppoll = lib.func("int ppoll(void *fds, unsigned long nfds, const void *tmo, const void *sigmask)");
export const prctl = lib.func("int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)");
export const gettid = lib.func("int gettid()");
/** sched_setscheduler(tid, policy, &param): param is a Buffer holding struct sched_param {int prio}. */
export const sched_setscheduler = lib.func("int sched_setscheduler(int pid, int policy, const void *param)");
/** sched_setaffinity(tid, cpusetsize, mask): mask is a Buffer holding a cpu_set_t bitmask. */
export const sched_setaffinity = lib.func("int sched_setaffinity(int pid, uintptr_t cpusetsize, const void *mask)");
