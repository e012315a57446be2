/**
 * kernel/netlink and kernel/tcp-info on recorded replies (test/fixtures/netlink/, recorded on
 * 6.18 by record.ts) and variants cut from them: tcp_info of 104/192/232/240/280 bytes, truncated
 * messages at every length, NLMSG_ERROR (EINVAL recorded, EPERM forged), NLMSG_DONE -ENOENT
 * (recorded), a bad attribute, random corruption; and the /proc owner walk on a built tree where
 * sockets and processes vanished.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, mkdirSync, symlinkSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeDiagBatch, DumpState, encodeInetDiagReq, formatIPv6, type DiagSocket } from "../../src/kernel/netlink.js";
import { decodeTcpInfo, decodeTcpInfoChecked, TCP_INFO_LATER_FIELDS } from "../../src/kernel/tcp-info.js";
import { mapSocketInodes } from "../../src/kernel/proc-fd.js";
import { attachOwners, addrMatches, canonicalAddr, type LiveSocket } from "../../src/kernel/sockets.js";
import { concat, messages, withInfoLength } from "./helpers/forge.js";

const FIX = new URL("../fixtures/netlink/", import.meta.url);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(name, FIX)));
const meta = JSON.parse(readFileSync(new URL("meta.json", FIX), "utf8")) as { ports: Record<string, number> };

function decodeAll(b: Uint8Array): { sockets: DiagSocket[]; state: DumpState } {
  const state = new DumpState();
  const sockets: DiagSocket[] = [];
  decodeDiagBatch(b, b.length, state, (s) => sockets.push(s));
  return { sockets, state };
}

test("recorded IPv4 dump: the SO_RCVBUF=1024 listener and its accepted socket, 280-byte tcp_info", () => {
  const { sockets, state } = decodeAll(fixture("dump-v4-port-a.bin"));
  assert.equal(state.done, true);
  assert.equal(state.errno, 0);
  assert.deepEqual(state.errors, []);
  assert.equal(sockets.length, 2);
  const lis = sockets.find((s) => s.state === 10)!;
  const acc = sockets.find((s) => s.state === 1)!;
  assert.equal(lis.sport, meta.ports.a);
  assert.equal(lis.src, "127.0.0.1");
  assert.equal(lis.dst, "0.0.0.0");
  assert.equal(lis.skmem?.rcvbuf, 2304, "SO_RCVBUF 1024 → rb 2304");
  assert.equal(acc.skmem?.rcvbuf, 2304, "inherited");
  assert.equal(acc.info?.length, 280);
  assert.equal(acc.info?.rcv_wscale, 0, "a locked small buffer announces wscale 0");
  assert.equal(acc.info?.snd_mss, 562, "MSS 574 minus 12 bytes of timestamps");
  assert.ok(acc.inode > 0 && acc.cookie > 0);
  assert.equal(typeof acc.cong, "string");
  assert.equal(acc.shutdown, 0);
});

test("tcp_info of 104, 192, 232, 240 and 280 bytes: later fields absent, never 0", () => {
  const msgs = messages(fixture("dump-v4-port-a.bin"));
  const full = decodeAll(fixture("dump-v4-port-a.bin")).sockets.find((s) => s.state === 1)!.info!;
  for (const n of [104, 120, 136, 160, 168, 192, 200, 224, 232, 240, 248, 280]) {
    const { sockets, state } = decodeAll(concat(msgs.map((m) => withInfoLength(m, n))));
    assert.deepEqual(state.errors, [], `len ${n}`);
    const i = sockets.find((s) => s.state === 1)!.info!;
    assert.equal(i.length, n);
    assert.equal(i.snd_mss, full.snd_mss);
    for (const [name, off, size] of TCP_INFO_LATER_FIELDS) {
      if (off + size <= n) assert.equal(i[name], full[name], `len ${n}: ${name} present`);
      else assert.equal(i[name], undefined, `len ${n}: ${name} must be absent`);
    }
    assert.equal(JSON.stringify(i).includes('"rcv_wnd"'), n >= 236, `len ${n}: JSON omits rcv_wnd`);
  }
  // 192 = 4.10: busy/rwnd/sndbuf_limited there, snd_wnd (5.4) not.
  const i192 = decodeAll(concat(msgs.map((m) => withInfoLength(m, 192)))).sockets.find((s) => s.state === 1)!.info!;
  assert.notEqual(i192.rwnd_limited, undefined);
  assert.equal(i192.snd_wnd, undefined);
});

test("decodeTcpInfo: a buffer shorter than 104 bytes is an error value, never a crash", () => {
  for (let n = 0; n < 104; n += 13) {
    const r = decodeTcpInfoChecked(new Uint8Array(n));
    assert.equal(r.ok, false);
    assert.throws(() => decodeTcpInfo(new Uint8Array(n)), RangeError);
  }
  const b = new Uint8Array(104);
  b[6] = 0x7a; // snd_wscale 10 (low nibble), rcv_wscale 7 (high nibble)
  const i = decodeTcpInfo(b);
  assert.equal(i.snd_wscale, 10);
  assert.equal(i.rcv_wscale, 7);
  assert.equal(i.pacing_rate, undefined);
});

test("a too short tcp_info attribute is reported with its offset and the socket kept", () => {
  const msgs = messages(fixture("dump-v4-port-a.bin"));
  const { sockets, state } = decodeAll(concat(msgs.map((m) => withInfoLength(m, 60))));
  assert.equal(sockets.length, 2);
  assert.ok(sockets.every((s) => s.info === undefined && s.skmem !== undefined));
  assert.equal(state.errors.filter((e) => e.code === "short_tcp_info").length, 2);
  for (const e of state.errors) assert.ok(e.offset > 0 && e.have === 60);
});

test("truncated at every length: no throw, what came before the cut is kept, the cut is named", () => {
  const b = fixture("dump-v4-port-a.bin");
  const firstLen = new DataView(b.buffer, b.byteOffset).getUint32(0, true);
  for (let n = 0; n < b.length; n++) {
    const { sockets, state } = decodeAll(b.subarray(0, n));
    if (n >= firstLen) assert.ok(sockets.length >= 1, `len ${n}: first socket kept`);
    if (n > 0 && !state.done) {
      const e = state.errors.at(-1);
      // Either the cut is at a message boundary (nothing to report) or it is named with an offset ≤ n.
      if (e) {
        assert.ok(e.code === "truncated_message", `len ${n}: ${e.code}`);
        assert.ok(e.offset <= n);
      }
    }
  }
});

test("NLMSG_ERROR: EINVAL as recorded, EPERM forged from it", () => {
  const einval = fixture("error-einval.bin");
  let r = decodeAll(einval);
  assert.equal(r.state.done, true);
  assert.equal(r.state.errno, 22);
  assert.equal(r.state.errors[0]?.code, "netlink_error");
  const eperm = einval.slice();
  new DataView(eperm.buffer).setInt32(16, -1, true);
  r = decodeAll(eperm);
  assert.equal(r.state.errno, 1);
});

test("NLMSG_DONE carrying -ENOENT (no diag handler for the protocol), as recorded", () => {
  const r = decodeAll(fixture("done-enoent.bin"));
  assert.equal(r.state.done, true);
  assert.equal(r.state.errno, 2);
  assert.equal(r.state.errors[0]?.code, "dump_done_error");
});

test("TIME-WAIT entry: inode 0, no tcp_info; IPv6 dump: ::1 addresses", () => {
  const tw = decodeAll(fixture("dump-v4-time-wait.bin")).sockets;
  assert.equal(tw.length, 1);
  assert.equal(tw[0]!.state, 6);
  assert.equal(tw[0]!.inode, 0);
  assert.equal(tw[0]!.info, undefined);
  assert.equal(tw[0]!.dport, meta.ports.d);
  const v6 = decodeAll(fixture("dump-v6-port-c.bin")).sockets;
  assert.ok(v6.length >= 2);
  for (const s of v6) {
    assert.equal(s.family, 10);
    assert.equal(s.src, "::1");
  }
});

test("a bad attribute length stops that socket's attribute walk, keeps the socket, names the offset", () => {
  const b = fixture("dump-v4-port-a.bin").slice();
  new DataView(b.buffer).setUint16(16 + 72, 2, true); // first attribute of the first message: len 2 < 4
  const { sockets, state } = decodeAll(b);
  assert.equal(sockets.length, 2);
  assert.equal(state.errors[0]?.code, "bad_attribute");
  assert.equal(state.errors[0]?.offset, 16 + 72);
});

test("random corruption of recorded replies: never throws, offsets stay inside the input", () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (const name of ["dump-v4-port-a.bin", "dump-v6-port-c.bin", "dump-v4-time-wait.bin"]) {
    const orig = fixture(name);
    for (let k = 0; k < 400; k++) {
      const b = orig.slice();
      const flips = 1 + Math.floor(rnd() * 8);
      for (let f = 0; f < flips; f++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const { state } = decodeAll(b);
      for (const e of state.errors) assert.ok(e.offset >= 0 && e.offset <= b.length, `${name}: offset ${e.offset}`);
    }
  }
});

test("request encoding: 72 bytes, dump flags, states, ports in network order, no cookie", () => {
  const r = encodeInetDiagReq({ family: 10, states: 1 << 10, sport: 9876, dport: 0x1234, seq: 7 });
  const dv = new DataView(r.buffer);
  assert.equal(r.length, 72);
  assert.equal(dv.getUint32(0, true), 72);
  assert.equal(dv.getUint16(4, true), 20);
  assert.equal(dv.getUint16(6, true), 0x301);
  assert.equal(dv.getUint32(8, true), 7);
  assert.equal(r[16], 10);
  assert.equal(r[17], 6);
  assert.equal(dv.getUint32(20, true), 1024);
  assert.equal(dv.getUint16(24, false), 9876);
  assert.equal(dv.getUint16(26, false), 0x1234);
  assert.equal(dv.getUint32(64, true), 0xffffffff);
});

test("IPv6 text as inet_ntop writes it", () => {
  const v6 = (hex: string) => formatIPv6(new DataView(new Uint8Array(Buffer.from(hex, "hex")).buffer), 0);
  assert.equal(v6("00000000000000000000000000000001"), "::1");
  assert.equal(v6("00000000000000000000000000000000"), "::");
  assert.equal(v6("20010db8000000000001000000000001"), "2001:db8::1:0:0:1");
  assert.equal(v6("fe800000000000000000000000000abc"), "fe80::abc");
  assert.equal(v6("00000000000000000000ffff7f000001"), "::ffff:127.0.0.1");
  assert.equal(v6("20010db8000100010001000100010001"), "2001:db8:1:1:1:1:1:1");
  assert.equal(canonicalAddr("2001:DB8:0:0:1::1"), "2001:db8::1:0:0:1");
  assert.equal(canonicalAddr("::ffff:10.0.0.1"), "10.0.0.1");
  assert.equal(canonicalAddr("300.1.1.1"), undefined);
  assert.ok(addrMatches("::ffff:10.1.2.3", 10, { addr: "10.0.0.0", prefix: 8 }));
  assert.ok(!addrMatches("11.1.2.3", 2, { addr: "10.0.0.0", prefix: 8 }));
});

test("sockets that vanish between the dump and the /proc walk get no owner; unreadable processes are counted", () => {
  const { sockets } = decodeAll(fixture("dump-v4-port-a.bin"));
  const [lis, acc] = [sockets.find((s) => s.state === 10)!, sockets.find((s) => s.state === 1)!];
  const root = mkdtempSync(join(tmpdir(), "tcpwin-t-proc-"));
  try {
    // pid 100 holds the listener (fd 3) and a pipe; the accepted socket's holder is gone.
    mkdirSync(join(root, "100", "fd"), { recursive: true });
    writeFileSync(join(root, "100", "comm"), "nameserver\n");
    symlinkSync(`socket:[${lis.inode}]`, join(root, "100", "fd", "3"));
    symlinkSync("pipe:[777]", join(root, "100", "fd", "4"));
    symlinkSync(`socket:[${lis.inode}]`, join(root, "100", "fd", "5")); // dup in the same process
    // pid 200 exited between readdir(/proc) and readdir(fd): only its directory is left.
    mkdirSync(join(root, "200"));
    // pid 300 shares the listener (fork).
    mkdirSync(join(root, "300", "fd"), { recursive: true });
    symlinkSync(`socket:[${lis.inode}]`, join(root, "300", "fd", "7"));
    mkdirSync(join(root, "self"));
    const map = mapSocketInodes({ procRoot: root });
    assert.equal(map.processes, 2);
    assert.equal(map.unreadable, 0);
    assert.equal(map.socketFds, 3);
    const list = [lis, acc].map((s) => ({ ...s })) as LiveSocket[];
    attachOwners(list, map, root);
    assert.equal(list[0]!.pid, 100);
    assert.deepEqual(list[0]!.pids, [100, 300]);
    assert.equal(list[0]!.comm, "nameserver");
    assert.equal(list[1]!.pid, undefined, "the accepted socket's owner vanished");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
