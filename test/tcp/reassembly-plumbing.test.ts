/**
 * The `protocols` option end to end on a written pcap (test/support/tcp-script): analyzeCapture
 * hands the payload to the factories' handlers and puts their results in `ConnectionEvidence.app`;
 * a reader thread started beforehand (`decoded`) is closed, the file read in this thread instead
 * (the ring carries no payload); `analyze --json`'s connection objects carry `app` as is.
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
