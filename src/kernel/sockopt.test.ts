import { test } from "node:test";
import assert from "node:assert/strict";
import * as libc from "./libc.js";
import { SyscallError } from "./libc.js";
import { getIntOpt, getSocketBuffers, getTcpInfoRaw, IPPROTO_TCP, setIntOpt, SO_RCVBUF, SO_SNDBUF, SOL_SOCKET, TCP_MAXSEG } from "./sockopt.js";

const AF_INET = 2;
const SOCK_STREAM = 1;

test("SO_RCVBUF is doubled and floored at SOCK_MIN_RCVBUF (2304)", () => {
  const fd = libc.socket(AF_INET, SOCK_STREAM, 0) as number;
  try {
    setIntOpt(fd, SOL_SOCKET, SO_RCVBUF, 1024);
    assert.equal(getIntOpt(fd, SOL_SOCKET, SO_RCVBUF), 2304);
    setIntOpt(fd, SOL_SOCKET, SO_RCVBUF, 16384);
    assert.equal(getIntOpt(fd, SOL_SOCKET, SO_RCVBUF), 32768);
    setIntOpt(fd, SOL_SOCKET, SO_SNDBUF, 8192);
    assert.deepEqual(getSocketBuffers(fd), { rcvbuf: 32768, sndbuf: 16384 });
  } finally {
    libc.close(fd);
  }
});

test("TCP_MAXSEG round-trips before connect; an out-of-range value names the option", () => {
  const fd = libc.socket(AF_INET, SOCK_STREAM, 0) as number;
  try {
    setIntOpt(fd, IPPROTO_TCP, TCP_MAXSEG, 574);
    assert.equal(getIntOpt(fd, IPPROTO_TCP, TCP_MAXSEG), 574);
    assert.throws(
      () => setIntOpt(fd, IPPROTO_TCP, TCP_MAXSEG, 5),
      (e: unknown) => e instanceof SyscallError && /TCP_MAXSEG, 5/.test(e.message) && e.code === "EINVAL",
    );
  } finally {
    libc.close(fd);
  }
});

test("TCP_INFO returns the kernel's struct (state CLOSE = 7 on a fresh socket)", () => {
  const fd = libc.socket(AF_INET, SOCK_STREAM, 0) as number;
  try {
    const raw = getTcpInfoRaw(fd);
    assert.ok(raw.length >= 104, `tcp_info length ${raw.length}`);
    assert.equal(raw[0], 7);
  } finally {
    libc.close(fd);
  }
});

test("getsockopt on a closed fd throws EBADF", () => {
  assert.throws(() => getIntOpt(999_999, SOL_SOCKET, SO_RCVBUF), (e: unknown) => e instanceof SyscallError && e.code === "EBADF");
});
