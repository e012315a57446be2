/**
 * Random segments (few tuples so conversations interleave; random flags, sequence numbers near
 * and far, windows, options, SACK blocks, timestamps that go backwards): the analysis never
 * throws, and the evidence it returns is finite and within its documented ranges.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TcpPacket } from "../capture/packet.js";
import { TcpAnalyzer, packetFields } from "./index.js";

test("random segment streams: no throw, sane evidence", () => {
  let rng = 0x9e3779b9;
  const rand = () => (rng = (Math.imul(rng ^ (rng >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0);
  const deadline = Date.now() + 1500;
  let rounds = 0;
  while (Date.now() < deadline) {
    rounds++;
    let fields = 0;
    const an = new TcpAnalyzer({
      // Sweep often with tiny idle limits, so dropping and re-creating conversations is fuzzed too.
      ...(rounds % 2 === 0 ? { sweepEvery: 97, closedIdleS: 0.0001, synIdleS: 0.0001 } : {}),
      onResult: (r) => {
        const f = packetFields(r);
        assert.ok(Number.isFinite(f["tcp.window_size"]) && f["tcp.seq_raw"] >= 0 && f["tcp.seq_raw"] < 2 ** 32);
        fields++;
      },
    });
    const p = new TcpPacket();
    const seqs = [rand(), rand(), rand(), rand()];
    let ns = 0;
    for (let i = 0; i < 3000; i++) {
      const side = rand() % 4;
      p.frame = i + 1;
      ns += (rand() % 100) * 1000 - (rand() % 20 === 0 ? 5_000_000 : 0);
      p.tsSec = 1_700_000_000 + Math.floor(ns / 1e9);
      p.tsNsec = ((ns % 1e9) + 1e9) % 1e9;
      p.ipVersion = rand() % 10 === 0 ? 6 : 4;
      p.srcV4 = side & 1 ? 1 : 2;
      p.dstV4 = side & 1 ? 2 : 1;
      p.src6[15] = p.srcV4;
      p.dst6[15] = p.dstV4;
      p.srcPort = side & 1 ? 80 : 1000 + (side >> 1);
      p.dstPort = side & 1 ? 1000 + (side >> 1) : 80;
      const k = rand() % 8;
      const len = k < 3 ? 0 : k === 3 ? 1 : rand() % 1500;
      seqs[side] = rand() % 16 === 0 ? rand() : (seqs[side]! + (rand() % 8 === 0 ? -len : len)) >>> 0;
      p.seq = seqs[side]!;
      p.ack = rand() % 8 === 0 ? rand() : seqs[side ^ 1]!;
      p.flags = rand() % 6 === 0 ? rand() & 0x1ff : 0x10 | (rand() % 10 === 0 ? rand() & 7 : 0);
      p.windowRaw = rand() % 5 === 0 ? 0 : rand() & 0xffff;
      p.payloadLen = len;
      p.optWscale = rand() % 10 === 0 ? rand() % 20 : -1;
      p.optMss = rand() % 10 === 0 ? rand() & 0xffff : -1;
      p.sackCount = rand() % 5 === 0 ? rand() % 5 : 0;
      for (let j = 0; j < p.sackCount; j++) {
        p.sackLeft[j] = rand();
        p.sackRight[j] = rand();
      }
      an.onSegment(p);
    }
    assert.equal(fields, 3000);
    for (const c of an.finish()) {
      for (const d of [c.c2s, c.s2c]) {
        assert.ok(d.bytes >= 0 && d.bytes < 2 ** 32 && d.bytes_sent >= 0);
        if (d.limits) {
          const sum = d.limits.rwnd + d.limits.cwnd + d.limits.app;
          assert.ok(Math.abs(sum - 1) < 1e-9 && d.limits.busy_s >= 0, JSON.stringify(d.limits));
        }
        assert.ok(d.small_window_share >= 0 && d.small_window_share <= 1 + 1e-9);
        assert.ok(d.zero_window_s >= 0 && Number.isFinite(d.zero_window_s));
        for (const st of [d.rwnd_adv, d.bytes_in_flight, d.rtt_ms]) if (st) assert.ok(st.min <= st.median && st.median <= st.max);
        assert.ok(d.rwnd_scale.shift >= -2 && d.rwnd_scale.shift <= 14);
      }
      JSON.stringify(c);
    }
  }
  assert.ok(rounds >= 1);
});
