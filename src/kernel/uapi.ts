/**
 * @module kernel/uapi
 * The Linux (x86-64 and arm64) userspace ABI numbers tcpwin passes to libc: socket families and
 * types, fcntl/open flags, send/recv flags, poll events, errno values. Named as in the kernel's
 * uapi and glibc headers; one place, so every caller uses the same value. No FFI here.
 */

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;

export const SOCK_STREAM = 1;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

export const O_RDWR = 0o2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const F_GETFL = 3;
export const F_SETFL = 4;

export const MSG_DONTWAIT = 0x40;
export const MSG_NOSIGNAL = 0x4000;

export const POLLIN = 1;
export const POLLOUT = 4;

export const EINTR = 4;
export const EAGAIN = 11;
export const EINPROGRESS = 115;
