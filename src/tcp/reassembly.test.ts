/**
 * Stream reassembly (tcp/reassembly + tcp/stream-assembler), tables of segments → what a handler
 * sees, as gopacket's tcpassembly tests do. Segments go straight into a StreamAssembler; the last
 * tests go through the TcpAnalyzer and analyzeCapture.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TcpPacket } from "../capture/packet.js";
import { TcpAnalyzer } from "./analyzer.js";
import { MAX_HELD_BYTES } from "./reassembly.js";
import { StreamAssembler } from "./stream-assembler.js";
import { StreamClaim, UNDECIDED_MAX_BYTES, type StreamDir, type StreamFactory, type StreamHandler, type StreamInfo } from "./stream.js";

type Ev =
  | { k: "data"; dir: StreamDir; off: number; bytes: number[]; ts: number; frame: number }
  | { k: "gap"; dir: StreamDir; at: number; n: number }
  | { k: "ack"; dir: StreamDir; off: number }
  | { k: "close"; dir: StreamDir; how: string };

/** Records every call; answers `claim` (or what `decide` says) to onData. */
class Recorder implements StreamHandler {
  events: Ev[] = [];
  constructor(private readonly decide: (dir: StreamDir, bytes: Uint8Array, off: number) => StreamClaim = () => StreamClaim.claimed) {}
  onData(dir: StreamDir, bytes: Uint8Array, off: number, ts: number, frame: number): StreamClaim {
    this.events.push({ k: "data", dir, off, bytes: [...bytes], ts, frame });
    return this.decide(dir, bytes, off);
  }
  onGap(dir: StreamDir, at: number, n: number): void {
    this.events.push({ k: "gap", dir, at, n });
  }
  onAck(dir: StreamDir, off: number): void {
    this.events.push({ k: "ack", dir, off });
  }
  onClose(dir: StreamDir, how: string): void {
    this.events.push({ k: "close", dir, how });
  }
  result(): unknown {
    return { events: this.events.length };
  }
  /** One direction's stream as delivered: bytes, with -1 for each byte reported as a gap; offsets checked contiguous. */
  stream(dir: StreamDir): number[] {
    const out: number[] = [];
    for (const e of this.events) {
      if (e.k === "data" && e.dir === dir) {
        assert.equal(e.off, out.length, "data continues where the stream left off");
        out.push(...e.bytes);
      } else if (e.k === "gap" && e.dir === dir) {
        assert.equal(e.at, out.length, "gap starts where the stream left off");
        assert.ok(e.n > 0, "gaps are not empty");
        for (let i = 0; i < e.n; i++) out.push(-1);
      }
    }
    return out;
  }
  kinds(): string[] {
    return this.events.map((e) => (e.k === "data" ? `data ${e.dir} ${e.off}+${e.bytes.length}` : e.k === "gap" ? `gap ${e.dir} ${e.at}+${e.n}` : e.k === "ack" ? `ack ${e.dir} ${e.off}` : `close ${e.dir} ${e.how}`));
  }
}

/** Byte i of the test stream of direction `dir`. */
const pat = (dir: number, i: number) => (i * 31 + dir * 101 + (i >>> 8)) & 255;
const range = (dir: number, from: number, to: number) => Array.from({ length: to - from }, (_, i) => pat(dir, from + i));

/** Feeds segments: `send(dir, off, len)` sends stream bytes [off, off + len) at seq isn + 1 + off. */
class Feeder {
  frame = 0;
  ts = 0;
  readonly sa: StreamAssembler;
  constructor(
    readonly h: StreamHandler,
    readonly isn: [number, number] = [1000, 50000],
  ) {
    this.sa = new StreamAssembler([h], ["test"]);
  }
  seq(dir: number, off: number): number {
    return (this.isn[dir]! + 1 + off) >>> 0;
  }
  raw(dir: StreamDir, seq: number, flags: number, payload: number[], o: { ack?: number; cap?: number; pad?: number } = {}): boolean {
    // The payload sits at an offset inside a bigger buffer, as in a captured frame.
    const pad = o.pad ?? 54;
    const buf = new Uint8Array(pad + payload.length + 7).fill(0xee);
    buf.set(payload, pad);
    const r = this.sa.segment(dir, seq, o.ack ?? 0, o.ack === undefined ? flags : flags | TCP_ACK, buf, pad, payload.length, o.cap ?? payload.length, ++this.ts, ++this.frame);
    buf.fill(0x55); // what the handler keeps must not be a view of this
    return r;
  }
  send(dir: StreamDir, off: number, len: number, o: { ack?: number; cap?: number; flags?: number } = {}): boolean {
    return this.raw(dir, this.seq(dir, off), TCP_PSH | (o.flags ?? 0), range(dir, off, off + len), o);
  }
  handshake(): void {
    this.raw(0, this.isn[0], TCP_SYN, []);
    this.raw(1, this.isn[1], TCP_SYN | TCP_ACK, [], { ack: this.seq(0, 0) });
    this.raw(0, this.seq(0, 0), 0, [], { ack: this.seq(1, 0) });
  }
  /** An ACK from `dir` acknowledging the peer's stream up to `off`. */
  ackOf(dir: StreamDir, off: number): void {
    this.raw(dir, this.seq(dir, 0), 0, [], { ack: this.seq(1 - dir, off) });
  }
}

test("in order: every byte once, offsets from ISN + 1, ACK advances reported to a claimed handler", () => {
  const h = new Recorder();
  const f = new Feeder(h);
  f.handshake();
  f.send(0, 0, 100);
  f.send(0, 100, 50);
  f.ackOf(1, 150);
  f.send(1, 0, 20, { ack: f.seq(0, 150) });
  f.ackOf(0, 20);
  assert.deepEqual(h.kinds(), ["data 0 0+100", "data 0 100+50", "ack 0 150", "data 1 0+20", "ack 1 20"]);
  assert.deepEqual(h.stream(0), range(0, 0, 150));
  assert.deepEqual(h.stream(1), range(1, 0, 20));
  const first = h.events[0]!;
  assert.ok(first.k === "data" && first.frame === 4 && first.ts === 4, "frame and time of the carrying packet");
});

test("retransmissions are trimmed: full duplicates deliver nothing, partial overlaps only the new bytes", () => {
  const h = new Recorder();
  const f = new Feeder(h);
  f.handshake();
  f.send(0, 0, 100);
  f.send(0, 0, 100); // full retransmission
  f.send(0, 50, 100); // overlaps 50 delivered bytes
  f.send(0, 10, 20); // inside delivered data
  f.send(0, 150, 10);
  assert.deepEqual(h.kinds(), ["data 0 0+100", "data 0 100+50", "data 0 150+10"]);
  assert.deepEqual(h.stream(0), range(0, 0, 160));
});

test("out of order: held (copied) until the hole fills, then delivered in order with overlaps trimmed", () => {
  const h = new Recorder();
  const f = new Feeder(h);
  f.handshake();
  f.send(0, 0, 100);
  f.send(0, 300, 100);
  f.send(0, 200, 150); // overlaps the held one
  f.send(0, 200, 150); // held twice
  assert.deepEqual(h.kinds(), ["data 0 0+100"]);
  assert.equal(f.sa.halves[0].heldChunks, 3);
  f.send(0, 100, 120); // fills the hole and overlaps the first held
  assert.deepEqual(h.stream(0), range(0, 0, 400));
  assert.equal(f.sa.halves[0].heldChunks, 0);
  assert.equal(f.sa.halves[0].heldBytes, 0);
  assert.deepEqual(h.kinds().filter((k) => k.startsWith("gap")), []);
});

test("a hole that never fills: reported at the end, when the peer acknowledges beyond it, or when the held data hits its bound", () => {
  // End of capture.
  let h = new Recorder();
  let f = new Feeder(h);
  f.handshake();
  f.send(0, 0, 100);
  f.send(0, 200, 100);
  f.sa.end(99);
  assert.deepEqual(h.kinds(), ["data 0 0+100", "gap 0 100+100", "data 0 200+100", "close 0 end"]);

  // The receiver acknowledged bytes the capture never showed.
  h = new Recorder();
  f = new Feeder(h);
  f.handshake();
  f.send(0, 0, 100);
  f.send(0, 200, 100);
  f.ackOf(1, 350); // 300..350 not even held
  assert.deepEqual(h.kinds(), ["data 0 0+100", "gap 0 100+100", "data 0 200+100", "gap 0 300+50", "ack 0 350"]);
  f.send(0, 350, 10);
  assert.deepEqual(h.stream(0).slice(350), range(0, 350, 360));

  // Bounded memory: past MAX_HELD_BYTES the first hole is given up.
  h = new Recorder();
  f = new Feeder(h);
  f.handshake();
  f.send(0, 0, 10);
  const seg = 1448;
  let off = 10 + 5000;
  while (f.sa.halves[0].heldBytes + seg <= MAX_HELD_BYTES) {
    f.send(0, off, seg);
    off += seg;
  }
  assert.deepEqual(h.kinds(), ["data 0 0+10"], "still waiting at the bound");
  f.send(0, off, seg);
  off += seg;
  const s = h.stream(0);
  assert.equal(s.length, off);
  assert.deepEqual(s.slice(0, 10), range(0, 0, 10));
  assert.ok(s.slice(10, 5010).every((b) => b === -1));
  assert.deepEqual(s.slice(5010), range(0, 5010, off));
  assert.ok(f.sa.halves[0].heldBytes === 0);
});

test("sequence numbers wrapping at 2^32, in order and out of order", () => {
  const h = new Recorder();
  const f = new Feeder(h, [0xffffff00, 0xfffffff0]);
  f.handshake();
  for (let off = 0; off < 1000; off += 100) f.send(0, off, 100); // wraps at offset 255
  f.send(0, 1200, 100); // held across the wrap of the other side? no: ahead of a hole
  f.send(0, 1000, 200);
  f.send(1, 5, 30); // side 1 wraps at offset 15: out of order first
  f.send(1, 0, 5);
  f.ackOf(1, 1300);
  assert.deepEqual(h.stream(0), range(0, 0, 1300));
  assert.deepEqual(h.stream(1), range(1, 0, 35));
  assert.ok(h.kinds().includes("ack 0 1300"));
});

test("no handshake: offsets count from the first byte seen; older retransmitted bytes are dropped", () => {
  const h = new Recorder();
  const f = new Feeder(h, [7_000_000, 9_000_000]);
  f.send(0, 5000, 100); // offset 0 is here
  f.send(0, 4900, 250); // 100 bytes from before the start, 100 delivered, 50 new
  f.send(1, 0, 10, { ack: f.seq(0, 5150) });
  const d = h.events.filter((e) => e.k === "data" && e.dir === 0);
  assert.deepEqual(d.map((e) => e.k === "data" && e.off), [0, 100]);
  assert.deepEqual(h.stream(0), range(0, 5000, 5150));
  assert.deepEqual(h.stream(1), range(1, 0, 10));
  assert.ok(h.kinds().includes("ack 0 150"));
});

test("undecided: at most UNDECIDED_MAX_BYTES per direction, then released by the assembler", () => {
  const h = new Recorder(() => StreamClaim.undecided);
  const f = new Feeder(h);
  f.handshake();
  let off = 0;
  let wants = true;
  while (off < 3 * UNDECIDED_MAX_BYTES) {
    wants = f.send(0, off, 1000);
    off += 1000;
  }
  assert.equal(wants, false, "the assembler says the flow is done");
  assert.equal(f.sa.claim(0), StreamClaim.released);
  assert.equal(h.stream(0).length, UNDECIDED_MAX_BYTES, "exactly the cap, the last chunk cut");
  assert.deepEqual(h.stream(0), range(0, 0, UNDECIDED_MAX_BYTES));

  // A handler that claims on the chunk cut at the cap gets the rest of it too.
  const g = new Recorder((_d, _b, o) => (o + _b.length >= UNDECIDED_MAX_BYTES ? StreamClaim.claimed : StreamClaim.undecided));
  const f2 = new Feeder(g);
  f2.handshake();
  for (let o = 0; o < 3 * 1000 * 2; o += 1000) f2.send(0, o, 1000);
  assert.equal(f2.sa.claim(0), StreamClaim.claimed);
  assert.deepEqual(g.stream(0), range(0, 0, 6000));
});

test("a released flow gets nothing more (no data, gaps, ACKs or close)", () => {
  const h = new Recorder(() => StreamClaim.released);
  const f = new Feeder(h);
  f.handshake();
  assert.equal(f.send(0, 0, 10), false);
  f.send(0, 10, 10);
  f.send(0, 100, 10);
  f.ackOf(1, 200);
  f.raw(1, f.seq(1, 0), TCP_FIN, [], { ack: f.seq(0, 200) });
  f.sa.end(1);
  assert.deepEqual(h.kinds(), ["data 0 0+10"]);
});

test("snaplen: the part of a segment not captured is a gap, in order or held", () => {
  const h = new Recorder();
  const f = new Feeder(h);
  f.handshake();
  f.raw(0, f.seq(0, 0), TCP_PSH, range(0, 0, 1000), { cap: 74 });
  f.raw(0, f.seq(0, 2000), TCP_PSH, range(0, 2000, 3000), { cap: 74 }); // out of order, truncated
  f.raw(0, f.seq(0, 1000), TCP_PSH, range(0, 1000, 2000), { cap: 74 });
  f.send(0, 3000, 10);
  assert.deepEqual(h.kinds(), ["data 0 0+74", "gap 0 74+926", "data 0 1000+74", "gap 0 1074+926", "data 0 2000+74", "gap 0 2074+926", "data 0 3000+10"]);
  const s = h.stream(0);
  assert.deepEqual(s.slice(2000, 2074), range(0, 2000, 2074));
  // A full retransmission of a truncated segment cannot bring back what was reported missing.
  f.send(0, 0, 1000);
  assert.equal(h.stream(0).length, 3010);
});

test("FIN reported after the bytes before it; RST ends both directions; end closes once", () => {
  const h = new Recorder();
  const f = new Feeder(h);
  f.handshake();
  f.send(0, 100, 50, { flags: TCP_FIN }); // FIN ahead of a hole
  assert.deepEqual(h.kinds(), []);
  f.send(0, 0, 100);
  f.send(1, 0, 10);
  f.send(1, 20, 10); // hole in side 1
  f.raw(1, f.seq(1, 30), TCP_RST, []);
  f.sa.end(5);
  f.sa.end(6);
  assert.deepEqual(h.kinds(), ["data 0 0+100", "data 0 100+50", "close 0 fin", "data 1 0+10", "gap 1 10+10", "data 1 20+10", "close 1 rst", "close 0 end"]);
});

test("through the TcpAnalyzer: factories asked once per selected connection; results in evidence.app; released flows leave the per-packet path", () => {
  const infos: StreamInfo[] = [];
  const handlers: Recorder[] = [];
  const factory: StreamFactory = {
    name: "test",
    accept(info) {
      infos.push(info);
      if (info.server.port === 7) return null;
      const r = new Recorder((_d, b) => (info.server.port === 9 ? StreamClaim.released : StreamClaim.claimed));
      handlers.push(r);
      return r;
    },
  };
  const an = new TcpAnalyzer({ protocols: [factory], select: (c) => c.portB !== 8 });
  const p = new TcpPacket();
  const buf = new Uint8Array(2000);
  for (let i = 0; i < buf.length; i++) buf[i] = pat(0, i);
  let frame = 0;
  const send = (port: number, fromClient: boolean, seq: number, ack: number, flags: number, payOff: number, len: number) => {
    p.frame = ++frame;
    p.tsSec = 1_700_000_000;
    p.tsNsec = frame * 1000;
    p.srcV4 = fromClient ? 0x0a000001 : 0x0a000002;
    p.dstV4 = fromClient ? 0x0a000002 : 0x0a000001;
    p.srcPort = fromClient ? 40000 : port;
    p.dstPort = fromClient ? port : 40000;
    p.seq = seq >>> 0;
    p.ack = ack >>> 0;
    p.flags = flags;
    p.windowRaw = 1000;
    p.bytes = buf;
    p.payloadOffset = payOff;
    p.payloadLen = len;
    p.payloadCaptured = len;
    an.onSegment(p);
  };
  for (const port of [6, 7, 8, 9]) {
    send(port, true, 99, 0, TCP_SYN, 0, 0);
    send(port, false, 499, 100, TCP_SYN | TCP_ACK, 0, 0);
    send(port, true, 100, 500, TCP_ACK, 0, 0);
    send(port, true, 100, 500, TCP_ACK | TCP_PSH, 0, 700);
    send(port, true, 800, 500, TCP_ACK | TCP_PSH, 700, 700);
    send(port, false, 500, 1500, TCP_ACK, 0, 0);
    send(port, true, 1500, 500, TCP_ACK | TCP_FIN, 0, 0);
  }
  const ev = an.finish();
  assert.deepEqual(infos.map((i) => [i.stream, i.client.addr, i.client.port, i.server.addr, i.server.port, i.handshakeSeen]), [
    [0, "10.0.0.1", 40000, "10.0.0.2", 6, true],
    [1, "10.0.0.1", 40000, "10.0.0.2", 7, true],
    [3, "10.0.0.1", 40000, "10.0.0.2", 9, true],
  ]);
  assert.equal(handlers.length, 2);
  assert.deepEqual(handlers[0]!.stream(0), [...buf.subarray(0, 1400)]);
  assert.deepEqual(handlers[0]!.kinds(), ["data 0 0+700", "data 0 700+700", "ack 0 1400", "close 0 fin", "close 0 end"]);
  assert.deepEqual(handlers[1]!.kinds(), ["data 0 0+700"], "released on its first bytes");
  assert.deepEqual(ev.map((e) => [e.stream, e.app]), [
    [0, { test: { events: 5 } }],
    [1, undefined],
    [3, { test: { events: 1 } }],
  ]);
  assert.equal(JSON.parse(JSON.stringify(ev[0]!)).app.test.events, 5);
  const convs = an["conversations"] as { streams: unknown }[];
  assert.equal(convs[3]!.streams, null, "a released flow is off the per-packet path");
});

test("handler sees RST ends of connections ending mid-stream", () => {
  const h = new Recorder();
  const f = new Feeder(h);
  f.send(0, 0, 10);
  f.raw(1, f.seq(1, 0), TCP_RST | TCP_ACK, [], { ack: f.seq(0, 10) });
  assert.deepEqual(h.kinds(), ["data 0 0+10", "close 1 rst"]);
});
