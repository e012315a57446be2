/**
 * Socket options set before the handshake, checked against the kernel (tcp_info) and against ss.
 * Loopback only; no root needed.
 */
import { test } from "node:test";
import { NET_TEST_TIMEOUT_MS, skipUnless } from "../support/tools.js";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import type net from "node:net";
import { connectTuned, listenTuned, socketFd, sockaddr } from "../../src/lab/tuned-socket.js";
import { getTcpInfoRaw } from "../../src/kernel/sockopt.js";
import { decodeTcpInfo } from "../../src/kernel/tcp-info.js";

function ssLine(port: number): string {
  return execFileSync("ss", ["-tnmi", "state", "established", `( sport = :${port} )`], { encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL" });
}

test("listener tuned before listen(): accepted sockets inherit SO_RCVBUF and TCP_MAXSEG; wscale 0; Node reads and writes them", { skip: skipUnless("linux", "ss"), timeout: NET_TEST_TIMEOUT_MS }, async () => {
  const l = await listenTuned("127.0.0.1", 0, { rcvbuf: 1024, mss: 574 });
  try {
    assert.deepEqual(l.report.requested, { rcvbuf: 1024, sndbuf: null, mss: 574 });
    assert.equal(l.report.effective.rcvbuf, 2304, "SO_RCVBUF 1024 → sk_rcvbuf 2304 (doubled, floored)");
    const accepted = new Promise<net.Socket>((r) => l.server.once("connection", r));
    const c = await connectTuned("127.0.0.1", l.port, {});
    const s = await accepted;
    const ti = decodeTcpInfo(getTcpInfoRaw(socketFd(s)));
    assert.equal(ti.rcv_wscale, 0, "a locked 2304-byte buffer announces window scale 0");
    const ss = ssLine(l.port);
    assert.match(ss, /rb2304\b/, `ss shows the accepted socket's rb: ${ss}`);
    assert.match(ss, /mss:5\d\d\b/);
    // The client's MSS option was clamped by the server's TCP_MAXSEG: snd_mss ≤ 574.
    const ci = decodeTcpInfo(getTcpInfoRaw(c.fd));
    assert.ok(ci.snd_mss <= 574 && ci.snd_mss >= 562, `client snd_mss ${ci.snd_mss}`);
    // Ordinary Node sockets from here on: an echo.
    s.on("data", (d) => s.write(d));
    const payload = Buffer.alloc(100_000, 7);
    let got = 0;
    const echoed = new Promise<void>((r) => c.socket.on("data", (d: Buffer) => ((got += d.length) >= payload.length ? r() : undefined)));
    c.socket.write(payload);
    await echoed;
    assert.equal(got, payload.length);
    c.socket.destroy();
    s.destroy();
  } finally {
    l.server.close();
  }
});

test("client tuned before connect(): its SYN announces the small buffer's window scale", { skip: skipUnless("linux"), timeout: NET_TEST_TIMEOUT_MS }, async () => {
  const l = await listenTuned("127.0.0.1", 0, {});
  try {
    const plain = await connectTuned("127.0.0.1", l.port, {});
    const small = await connectTuned("127.0.0.1", l.port, { rcvbuf: 4096, sndbuf: 8192 });
    assert.deepEqual(small.report.effective.rcvbuf, 8192);
    assert.deepEqual(small.report.effective.sndbuf, 16384);
    const wPlain = decodeTcpInfo(getTcpInfoRaw(plain.fd)).rcv_wscale;
    const wSmall = decodeTcpInfo(getTcpInfoRaw(small.fd)).rcv_wscale;
    assert.ok(wPlain > 0, `default client wscale ${wPlain}`);
    assert.equal(wSmall, 0, "SO_RCVBUF 4096 before connect → wscale 0");
    plain.socket.destroy();
    small.socket.destroy();
  } finally {
    l.server.close();
  }
});

test("connect errors say where and why", { timeout: NET_TEST_TIMEOUT_MS }, async () => {
  const l = await listenTuned("127.0.0.1", 0, {});
  const port = l.port;
  await new Promise<void>((r) => l.server.close(() => r()));
  await assert.rejects(connectTuned("127.0.0.1", port, {}), (e: Error & { code?: string }) => e.code === "ECONNREFUSED" && e.message.includes(`127.0.0.1 port ${port}`));
  await assert.rejects(connectTuned("127.0.0.1", 1, { mss: 5 }), (e: Error) => /TCP_MAXSEG, 5/.test(e.message));
});

test("sockaddr encodes IPv4 and IPv6 as the kernel expects", () => {
  assert.equal(sockaddr(4, "10.77.0.2", 5202).toString("hex"), "020014520a4d00020000000000000000");
  const v6 = sockaddr(6, "::1", 80);
  assert.equal(v6.length, 28);
  assert.equal(v6.readUInt16BE(2), 80);
  assert.equal(v6.toString("hex", 8, 24), "00000000000000000000000000000001");
  assert.equal(sockaddr(6, "fe80::1:2", 1).toString("hex", 8, 24), "fe800000000000000000000000010002");
});
