import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TcpPacket } from "../capture/packet.js";
import { TcpScript } from "../../test/support/tcp-script.js";
import { analyzeCapture, TcpAnalyzer, type PacketFields } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "tcpwin-an-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

function seg(p: Partial<TcpPacket>): TcpPacket {
  const s = new TcpPacket();
  Object.assign(s, { tsSec: 1_700_000_000, optMss: -1, optWscale: -1, ...p });
  return s;
}

test("streams are numbered by first appearance; a new SYN with another ISN on the same tuple is a new stream", () => {
  const an = new TcpAnalyzer();
  const a = { srcV4: 0x0a000001, dstV4: 0x0a000002, srcPort: 1000, dstPort: 80 };
  const b = { srcV4: 0x0a000002, dstV4: 0x0a000001, srcPort: 80, dstPort: 1000 };
  const other = { srcV4: 0x0a000003, dstV4: 0x0a000002, srcPort: 1000, dstPort: 80 };
  an.onSegment(seg({ ...a, frame: 1, seq: 100, flags: 2, windowRaw: 100 }));
  an.onSegment(seg({ ...other, frame: 2, seq: 5, flags: 2, windowRaw: 100 }));
  an.onSegment(seg({ ...b, frame: 3, seq: 900, ack: 101, flags: 0x12, windowRaw: 100 }));
  an.onSegment(seg({ ...a, frame: 4, seq: 100, flags: 2, windowRaw: 100 })); // same ISN: retransmitted SYN
  an.onSegment(seg({ ...a, frame: 5, seq: 777, flags: 2, windowRaw: 100 })); // new ISN: new stream
  const ev = an.finish();
  assert.deepEqual(
    ev.map((c) => [c.stream, c.client.addr, c.client.port, c.server.port]),
    [
      [0, "10.0.0.1", 1000, 80],
      [1, "10.0.0.3", 1000, 80],
      [2, "10.0.0.1", 1000, 80],
    ],
  );
  assert.equal(ev[0]!.c2s.packets, 2);
  assert.equal(ev[0]!.s2c.packets, 1);
});

test("IPv6 conversations are told apart by all 16 address bytes", () => {
  const an = new TcpAnalyzer();
  const src6 = new Uint8Array(16);
  src6[0] = 0xfd;
  src6[15] = 1;
  const dst6 = new Uint8Array(16);
  dst6[0] = 0xfd;
  dst6[15] = 2;
  for (let i = 0; i < 3; i++) {
    const p = seg({ ipVersion: 6, srcPort: 5000, dstPort: 443, frame: i + 1, seq: 1, flags: 0x10, windowRaw: 10 });
    p.src6.set(src6);
    p.dst6.set(dst6);
    p.src6[8] = i; // differs only in the middle
    an.onSegment(p);
  }
  const ev = an.finish();
  assert.equal(ev.length, 3);
  assert.equal(ev[0]!.client.addr, "fd00::1");
  assert.equal(ev[1]!.client.addr, "fd00::100:0:0:1");
});

test("analyzeCapture: tshark field names, present only when meaningful; filters; evidence of a handshake", () => {
  const s = new TcpScript().handshake({ ws0: 7, ws1: 2, win1: 1000 });
  s.data(0, 1000).ack(1).data(0, 1000).ack(1);
  const file = join(dir, "hs.pcap");
  s.write(file);
  const pk: PacketFields[] = [];
  const r = analyzeCapture(file, { onPacket: (p) => pk.push(p) });
  assert.equal(r.packets, 7);
  assert.equal(r.tcpPackets, 7);
  assert.equal(r.error, null);
  assert.equal(pk[0]!["tcp.window_size_scalefactor"], undefined, "SYN: no scale factor field");
  assert.equal(pk[3]!["tcp.window_size_scalefactor"], 128);
  assert.equal(pk[4]!["tcp.window_size"], 65535 * 4);
  assert.equal(pk[3]!["tcp.analysis.bytes_in_flight"], 1000);
  assert.equal(typeof pk[4]!["tcp.analysis.ack_rtt"], "number");
  assert.equal(pk[3]!["tcp.seq_raw"], 1001);
  const c = r.connections[0]!;
  assert.equal(c.handshake_seen, true);
  assert.ok(Math.abs(c.irtt_ms! - 0.2) < 1e-9);
  assert.deepEqual(c.c2s.rwnd_scale, { shift: 2, source: "handshake" });
  assert.deepEqual(c.s2c.rwnd_scale, { shift: 7, source: "handshake" });
  assert.equal(c.c2s.bytes, 2000);
  assert.equal(c.c2s.mss_syn, 1460);

  assert.equal(analyzeCapture(file, { port: 9876 }).connections.length, 1);
  assert.equal(analyzeCapture(file, { port: 1 }).connections.length, 0);
  assert.equal(analyzeCapture(file, { host: "10.9.0.2" }).connections.length, 1);
  let n = 0;
  assert.equal(analyzeCapture(file, { stream: 1, onPacket: () => n++ }).connections.length, 0);
  assert.equal(n, 0);
});

test("unreadable input: the error comes back with what was read", () => {
  const bad = join(dir, "bad.pcap");
  writeFileSync(bad, Buffer.from("this is not a capture at all"));
  const r = analyzeCapture(bad);
  assert.ok(r.error);
  assert.match(r.error.message, /magic/);
  assert.equal(r.packets, 0);
  assert.deepEqual(r.connections, []);
});

test("finished conversations give up their state but keep their evidence (memory follows live connections)", () => {
  const run = (closedIdleS: number) => {
    const an = new TcpAnalyzer({ closedIdleS, synIdleS: closedIdleS });
    const p = new TcpPacket();
    Object.assign(p, { optMss: -1, optWscale: -1, ipVersion: 4 });
    let frame = 0;
    let t = 0;
    const send = (i: number, fromClient: boolean, seq: number, ack: number, flags: number, len: number) => {
      t += 50_000; // 50 µs
      Object.assign(p, {
        frame: ++frame,
        tsSec: 1_700_000_000 + Math.floor(t / 1e9),
        tsNsec: t % 1e9,
        srcV4: fromClient ? 0x0a000000 + (i >> 12) : 0x0a630001,
        dstV4: fromClient ? 0x0a630001 : 0x0a000000 + (i >> 12),
        srcPort: fromClient ? 1024 + (i & 4095) : 80,
        dstPort: fromClient ? 80 : 1024 + (i & 4095),
        seq,
        ack,
        flags,
        windowRaw: 1000,
        payloadLen: len,
      });
      an.onSegment(p);
    };
    const N = 20000;
    for (let i = 0; i < N; i++) {
      send(i, true, 100, 0, 2, 0);
      if (i % 10 === 9) continue; // unanswered SYN
      send(i, false, 900, 101, 0x12, 0);
      send(i, true, 101, 901, 0x18, 300);
      send(i, false, 901, 401, 0x11, 0);
      send(i, true, 401, 902, 0x11, 0);
      send(i, false, 902, 402, 0x10, 0);
    }
    return { ev: an.finish(), live: an.liveConversations, streams: an.streams };
  };
  const kept = run(1e9);
  const dropped = run(0.5);
  assert.equal(kept.streams, 20000);
  assert.equal(dropped.streams, 20000);
  assert.equal(kept.live, 20000);
  // One sweep per 65536 segments: by the last one, everything closed ≥ 0.5 s earlier was dropped.
  assert.ok(dropped.live < 12000, `still holding ${dropped.live} conversations`);
  assert.deepEqual(dropped.ev, kept.ev);
});
