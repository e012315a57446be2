/**
 * The reader-thread path of analyzeCapture (capture/decoded-ring + decode-worker) gives exactly
 * what the in-thread path gives: evidence, per-packet fields, counts, warnings, errors — on a
 * made-up capture that mixes IPv4 and IPv6 connections, SACK blocks, window scaling, non-TCP
 * records, enough segments to wrap the shared ring several times (and make the worker wait for
 * room), and garbage at the end; on the bundled real capture; and on a file that cannot be opened.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cat, eth, ipv4, ipv6, opt, pcapFile, tcp, type Rec } from "../../test/fixtures/capture/builders.js";
import { SLOTS } from "../capture/decoded-ring.js";
import { analyzeCapture, type AnalyzeOptions } from "./analyze-capture.js";

const ACK = 0x10;
const SYN = 0x02;
const FIN = 0x01;

/** Both paths, with the per-packet fields collected, for deepEqual. */
function both(path: string, opts: AnalyzeOptions = {}) {
  const run = (readWorker: boolean) => {
    const packets: object[] = [];
    const r = analyzeCapture(path, { ...opts, readWorker, onPacket: (f) => packets.push({ ...f }) });
    return { ...r, packets: r.packets, lines: packets };
  };
  return { inThread: run(false), worker: run(true) };
}

function mixedCapture(): Uint8Array {
  const recs: Rec[] = [];
  let us = 0;
  const push = (data: Uint8Array) => {
    us += 97;
    recs.push({ tsSec: 1_700_000_000 + Math.floor(us / 1e6), tsFrac: us % 1e6, data });
  };
  // Something that is not IP first: the time base is still the first record's.
  push(eth(0x0806, new Uint8Array(28)));
  const v4 = (p: Uint8Array, fromA: boolean) => eth(0x0800, ipv4(p, fromA ? { src: "10.0.0.1", dst: "10.0.0.2" } : { src: "10.0.0.2", dst: "10.0.0.1" }));
  const v6 = (p: Uint8Array, fromA: boolean) => eth(0x86dd, ipv6(p, fromA ? { src: "fd00::1", dst: "fd00::2" } : { src: "fd00::2", dst: "fd00::1" }));
  const wraps = [v4, v6] as const;
  for (let c = 0; c < 2; c++) {
    const w = wraps[c]!;
    const sport = 40000 + c;
    const a = 1000 + c * 7777;
    const b = 5000;
    push(w(tcp({ sport, dport: 9876, seq: a - 1, flags: SYN, win: 65535, options: cat(opt.mss(1460), opt.ws(7), opt.sackPerm()) }), true));
    push(w(tcp({ sport: 9876, dport: sport, seq: b - 1, ack: a, flags: SYN | ACK, win: 65535, options: cat(opt.mss(1460), opt.ws(5), opt.sackPerm()) }), false));
  }
  // Interleaved bulk data both connections, a loss and SACKed duplicate ACKs now and then, a UDP
  // packet here and there: about 3 × SLOTS segments.
  const seqs = [1000, 1000 + 7777];
  for (let i = 0; i < (3 * SLOTS) / 2; i++) {
    for (let c = 0; c < 2; c++) {
      const w = wraps[c]!;
      const sport = 40000 + c;
      const lost = i % 500 === 250;
      const s = seqs[c]!;
      if (!lost) push(w(tcp({ sport, dport: 9876, seq: s, ack: 5000, flags: ACK, win: 500, payload: 100 }), true));
      seqs[c] = (s + 100) >>> 0;
      if (i % 500 > 250 && i % 500 < 254) {
        push(w(tcp({ sport: 9876, dport: sport, seq: 5000, ack: s - 100 * (i % 500 - 250), flags: ACK, win: 40, options: cat(opt.nop(), opt.nop(), opt.sack(s, s + 100)) }), false));
      } else if (i % 4 === 0) push(w(tcp({ sport: 9876, dport: sport, seq: 5000, ack: s + 100, flags: ACK, win: 40 }), false));
    }
    if (i % 1000 === 0) push(eth(0x0800, ipv4(new Uint8Array(16), { proto: 17 })));
  }
  for (let c = 0; c < 2; c++) push(wraps[c]!(tcp({ sport: 40000 + c, dport: 9876, seq: seqs[c]!, ack: 5000, flags: FIN | ACK, win: 500 }), true));
  // Garbage after the last record: a warning or an error with its offset, the same either way.
  return cat(pcapFile(recs), new Uint8Array(40).fill(0xee));
}

test("reader thread: same results as reading in this thread", () => {
  const dir = mkdtempSync(join(tmpdir(), "tcpwin-ring-"));
  try {
    const f = join(dir, "mixed.pcap");
    writeFileSync(f, mixedCapture());
    const { inThread, worker } = both(f);
    assert.ok(inThread.tcpPackets > 2 * SLOTS, `${inThread.tcpPackets} segments wrap the ring`);
    assert.ok(inThread.skipped.notIp === 1 && inThread.skipped.notTcp > 0);
    assert.equal(inThread.connections.length, 2);
    assert.deepEqual(worker, inThread);
    // Filters go through the same selector.
    const filtered = both(f, { port: 40001 });
    assert.equal(filtered.inThread.connections.length, 1);
    assert.deepEqual(filtered.worker, filtered.inThread);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("reader thread: the bundled real capture", () => {
  const f = fileURLToPath(new URL("../../assets/rcvbuf-1024.pcap", import.meta.url));
  const { inThread, worker } = both(f);
  assert.ok(inThread.tcpPackets > 100);
  assert.deepEqual(worker, inThread);
});

test("reader thread: a file that cannot be opened throws the same error", () => {
  const missing = join(tmpdir(), `tcpwin-no-such-${process.pid}.pcap`);
  assert.throws(() => analyzeCapture(missing, { readWorker: false }), (e: Error) => e.name === "CaptureIoError" && /cannot open capture/.test(e.message));
  assert.throws(() => analyzeCapture(missing, { readWorker: true }), (e: Error) => e.name === "CaptureIoError" && /cannot open capture/.test(e.message));
});
