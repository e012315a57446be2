/**
 * The `protocols` option end to end on a written pcap (test/support/tcp-script): analyzeCapture
 * hands the payload to the factories' handlers and puts their results in `ConnectionEvidence.app`;
 * the reader thread carries the payload (DecodedRing payload mode: through more payload than its
 * ring holds, so it wraps and waits, with segments held out of order) and gives the same results as
 * reading in this thread; a reader thread started without payload is closed and the file read
 * here; `analyze --json`'s connection objects carry `app` as is.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DecodedRing } from "../../src/capture/decoded-ring.js";
import { connectionJson } from "../../src/report/analyze-json.js";
import { analyzeCapture, StreamClaim, type StreamFactory, type StreamHandler } from "../../src/tcp/index.js";
import type { Verdict } from "../../src/diagnose/index.js";
import { PcapWriter } from "../../src/capture/pcap-writer.js";
import { eth, ipv4, tcp } from "../fixtures/capture/builders.js";
import { TcpScript } from "../support/tcp-script.js";

const dir = mkdtempSync(join(tmpdir(), "tcpwin-plumb-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** tcp-script fills payload byte i of every packet with (i * 7) & 255. */
const scripted = (lens: number[]) => lens.flatMap((n) => Array.from({ length: n }, (_, i) => (i * 7) & 255));

class Collect implements StreamHandler {
  bytes: number[][] = [[], []];
  acks: number[] = [];
  closes: string[] = [];
  onData(d: 0 | 1, b: Uint8Array): StreamClaim {
    this.bytes[d]!.push(...b);
    return StreamClaim.claimed;
  }
  onGap(): void {
    throw new Error("no gap in this capture");
  }
  onAck(d: 0 | 1, off: number): void {
    if (d === 0) this.acks.push(off);
  }
  onClose(d: 0 | 1, how: string): void {
    this.closes.push(`${d} ${how}`);
  }
  result(): unknown {
    return { c2s: this.bytes[0]!.length, s2c: this.bytes[1]!.length, acks: this.acks, closes: this.closes };
  }
}

function capture(): string {
  const s = new TcpScript();
  s.handshake();
  s.data(0, 1000).data(0, 500);
  s.ack(1);
  s.data(1, 300);
  s.ack(0);
  s.fin(0).fin(1).ack(0);
  const file = join(dir, "plumb.pcap");
  s.write(file);
  return file;
}

test("analyzeCapture({ protocols }): payload in order to the handler, results in evidence.app, JSON passes it through", () => {
  const file = capture();
  let handler: Collect | null = null;
  const f: StreamFactory = { name: "collect", accept: () => (handler = new Collect()) };
  const r = analyzeCapture(file, { protocols: [f] });
  assert.equal(r.connections.length, 1);
  assert.deepEqual(handler!.bytes[0], scripted([1000, 500]));
  assert.deepEqual(handler!.bytes[1], scripted([300]));
  const app = r.connections[0]!.app;
  assert.deepEqual(app, { collect: { c2s: 1500, s2c: 300, acks: [1500], closes: ["0 fin", "1 fin", "0 end"] } });
  const json = JSON.parse(JSON.stringify(connectionJson({ evidence: r.connections[0]!, verdict: { kind: "healthy" } as unknown as Verdict })));
  assert.deepEqual(json.app, app);
  // Without protocols there is no app key at all.
  assert.equal("app" in analyzeCapture(file).connections[0]!, false);
});

test("analyzeCapture({ protocols, decoded }): the reader thread is closed and the file read here, with payload", () => {
  const file = capture();
  let handler: Collect | null = null;
  const ring = new DecodedRing(file);
  const r = analyzeCapture(file, { decoded: ring, protocols: [{ name: "collect", accept: () => (handler = new Collect()) }] });
  assert.equal(r.packets, 11);
  assert.deepEqual(handler!.bytes[0], scripted([1000, 500]));
});

test("a protocol that throws is a warning with its place, not a crash; the TCP evidence is all there", () => {
  const file = capture();
  const thrower: StreamFactory = {
    name: "broken",
    accept: () => ({
      onData: (_d, _b, off) => {
        if (off > 0) throw new TypeError("cannot read properties of undefined");
        return StreamClaim.claimed;
      },
      onGap() {},
      onAck() {},
      onClose() {},
      result: () => null,
    }),
  };
  const r = analyzeCapture(file, { protocols: [thrower] });
  assert.equal(r.connections.length, 1);
  assert.equal(r.connections[0]!.c2s.bytes, 1500);
  const w = r.warnings.filter((x) => x.code === "protocol_failed");
  assert.equal(w.length, 1);
  assert.equal(w[0]!.message, "the broken decoder failed on a connection and stopped following it (first: stream 0, onData at c2s byte 1000: cannot read properties of undefined); the TCP analysis is complete");
});

test("the reader thread carries the payload: 72 MB of jumbo segments (the payload ring wraps and waits), some out of order, byte for byte as read in this thread", () => {
  const file = join(dir, "jumbo.pcap");
  const w = new PcapWriter(file, { linkType: 1, snaplen: 65535 });
  const SEG = 9000;
  const N = 8000;
  const pat = (i: number) => (i * 13 + (i >>> 9)) & 255;
  const seg = (k: number) => {
    const p = new Uint8Array(SEG);
    for (let i = 0; i < SEG; i++) p[i] = pat(k * SEG + i);
    return eth(0x0800, ipv4(tcp({ sport: 40000, dport: 7777, seq: 1001 + k * SEG, ack: 5001, flags: 0x18, payload: p }), { src: "10.0.0.1", dst: "10.0.0.2" }));
  };
  let t = 0;
  const put = (f: Uint8Array) => w.write(1_700_000_000 + Math.floor(t / 1e6), (t++ % 1e6) * 1000, f);
  put(eth(0x0800, ipv4(tcp({ sport: 40000, dport: 7777, seq: 1000, flags: 0x02 }), { src: "10.0.0.1", dst: "10.0.0.2" })));
  put(eth(0x0800, ipv4(tcp({ sport: 7777, dport: 40000, seq: 5000, ack: 1001, flags: 0x12 }), { src: "10.0.0.2", dst: "10.0.0.1" })));
  for (let k = 0; k < N; k++) {
    // Every 100th segment comes after the next one (held, so copied out of the ring).
    if (k % 100 === 50) {
      put(seg(k + 1));
      put(seg(k));
      k++;
    } else put(seg(k));
    if (k % 4 === 3) put(eth(0x0800, ipv4(tcp({ sport: 7777, dport: 40000, seq: 5001, ack: 1001 + (k + 1) * SEG, flags: 0x10 }), { src: "10.0.0.2", dst: "10.0.0.1" })));
  }
  w.close();
  const check = (): StreamFactory => ({
    name: "check",
    accept: () => {
      let next = 0;
      let bad = 0;
      let held = 0;
      return {
        onData: (_d, b, off) => {
          // A slow consumer now and then: the reader thread runs ahead until the payload ring's bound.
          if (off % (SEG * 500) === 0) for (const t0 = Date.now(); Date.now() - t0 < 40; );
          if (off !== next) bad++;
          for (let i = 0; i < b.length; i++) if (b[i] !== pat(off + i)) bad++;
          next = off + b.length;
          return StreamClaim.claimed;
        },
        onGap: () => void held++,
        onAck() {},
        onClose() {},
        result: () => ({ next, bad, gaps: held }),
      };
    },
  });
  const viaRing = analyzeCapture(file, { protocols: [check()], readWorker: true });
  const here = analyzeCapture(file, { protocols: [check()], readWorker: false });
  assert.deepEqual(viaRing.connections[0]!.app, { check: { next: N * SEG, bad: 0, gaps: 0 } });
  assert.deepEqual(viaRing.connections, here.connections);
});
