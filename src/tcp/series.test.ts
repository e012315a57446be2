import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { TCP_ACK, TCP_SYN, TcpPacket } from "../capture/packet.js";
import { analyzeCapture } from "./analyze-capture.js";
import { TcpAnalyzer } from "./analyzer.js";
import { SERIES_COLUMNS, SERIES_EVENT_CAP, SeriesCollector, SeriesEvent, type DirectionSeries } from "./series.js";

const BUNDLED = fileURLToPath(new URL("../../assets/rcvbuf-1024.pcap", import.meta.url));

function extent(a: Float64Array, b: Float64Array = a): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < lo) lo = a[i]!;
    if (b[i]! > hi) hi = b[i]!;
  }
  return [lo, hi];
}
const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);

test("the bundled capture: series agree with the evidence (data end, window, window-full markers)", () => {
  const series = new SeriesCollector();
  const r = analyzeCapture(BUNDLED, { series, readWorker: false });
  const c = r.connections[0]!;
  const s = series.get(c.stream)!;
  assert.equal(s.synDir, 0);
  const d = s.dirs[0]!;
  assert.ok(d.columns > 0 && d.columns <= SERIES_COLUMNS);
  // The SYN's seq is 0: data runs from 1 to bytes + 1, as Wireshark's relative seq.
  assert.deepEqual(extent(d.dataLo, d.dataHi), [1, c.c2s.bytes + 1]);
  assert.deepEqual(extent(d.rwndLo, d.rwndHi), [c.c2s.rwnd_adv!.min, c.c2s.rwnd_adv!.max]);
  assert.equal(sum(d.windowFull), c.c2s.flags.window_full);
  assert.equal(d.events.count, c.c2s.flags.window_full);
  assert.ok([...d.events.kind].every((k) => k === SeriesEvent.window_full));
  assert.equal(d.packets, c.c2s.packets);
  // The edge is the peer's ack + window: never below the ACK line.
  for (let i = 0; i < d.columns; i++) if (d.edgeHi[i] === d.edgeHi[i]) assert.ok(d.edgeHi[i]! >= d.ackHi[i]!);
  // Bytes acknowledged after the SYN-ACK's ack: the data, and the FIN when it was acknowledged.
  assert.equal(sum(d.acked), c.c2s.bytes + (c.state === "FIN" ? 1 : 0));
});

test("no series without the option (and analysis results are the same with it)", () => {
  const a = analyzeCapture(BUNDLED, { readWorker: false });
  const b = analyzeCapture(BUNDLED, { readWorker: false, series: new SeriesCollector() });
  assert.deepEqual(a.connections, b.connections);
});

/** A long bulk transfer through the analyzer: every 97th segment retransmitted, windows varying. */
function longTransfer(segments: number, gapNs = 50_000): { d: DirectionSeries; raw: { retrans: number; seqEnd: number } } {
  const series = new SeriesCollector();
  const an = new TcpAnalyzer({ onResult: (r) => series.onResult(r) });
  const p = new TcpPacket();
  let ns = 0;
  let frame = 0;
  const send = (fromA: boolean, seq: number, ack: number, flags: number, win: number, len: number) => {
    ns += gapNs;
    p.frame = ++frame;
    p.tsSec = 1_700_000_000 + Math.floor(ns / 1e9);
    p.tsNsec = ns % 1e9;
    p.srcV4 = fromA ? 1 : 2;
    p.dstV4 = fromA ? 2 : 1;
    p.srcPort = fromA ? 1000 : 2000;
    p.dstPort = fromA ? 2000 : 1000;
    p.seq = seq >>> 0;
    p.ack = ack >>> 0;
    p.flags = flags;
    p.windowRaw = win;
    p.payloadLen = len;
    p.optWscale = flags & TCP_SYN ? 7 : -1;
    p.optMss = flags & TCP_SYN ? 1000 : -1;
    p.sackCount = 0;
    an.onSegment(p);
  };
  const isn = 0xfff00000; // wraps 2^32 early on: relative seq must not
  send(true, isn - 1, 0, TCP_SYN, 65535, 0);
  send(false, 5000, isn, TCP_SYN | TCP_ACK, 65535, 0);
  send(true, isn, 5001, TCP_ACK, 512, 0);
  let retrans = 0;
  for (let i = 0; i < segments; i++) {
    send(true, isn + i * 1000, 5001, TCP_ACK, 512, 1000);
    if (i % 97 === 96) {
      send(true, isn + (i - 3) * 1000, 5001, TCP_ACK, 512, 1000);
      retrans++;
    }
    if (i % 2 === 1) send(false, 5001, isn + (i + 1) * 1000, TCP_ACK, 100 + (i % 300), 0);
  }
  an.finish();
  const s = series.get(0)!;
  return { d: s.dirs[0]!, raw: { retrans, seqEnd: segments * 1000 + 1 } };
}

test("a long transfer: 2000–4096 columns, every retransmission kept, relative seq unwrapped", () => {
  const { d, raw } = longTransfer(200_000);
  assert.ok(d.columns >= SERIES_COLUMNS / 2 && d.columns <= SERIES_COLUMNS, `columns ${d.columns}`);
  assert.equal(sum(d.retrans), raw.retrans);
  assert.equal(d.events.count, raw.retrans);
  assert.ok([...d.events.kind].every((k) => k === SeriesEvent.retransmission || k === SeriesEvent.fast_retransmission || k === SeriesEvent.spurious_retransmission));
  assert.deepEqual(extent(d.dataLo, d.dataHi), [1, raw.seqEnd]);
  // The receiver's windows 100..399 << 7 survive the merging as extremes.
  assert.deepEqual(extent(d.rwndLo, d.rwndHi), [(100 + 1) << 7, (100 + 299) << 7]);
  // The last column ends at the last packet: the whole duration is covered.
  const last = d.startNs + d.columns * d.widthNs;
  assert.ok(last >= 200_000 * 1.5 * 50_000 * 0.99);
});

test("markers stop at SERIES_EVENT_CAP; bucket counts keep every event", () => {
  const { d, raw } = longTransfer(97 * (SERIES_EVENT_CAP + 500), 2_000);
  assert.equal(d.events.count, SERIES_EVENT_CAP);
  assert.equal(sum(d.retrans), raw.retrans);
  const dropped = Object.values(d.eventsDropped).reduce((a, b) => a + b, 0);
  assert.equal(d.events.count + dropped, raw.retrans);
});

test("no handshake in the capture: the window with the inferred scale is kept beside the raw one", (t) => {
  const editcap = spawnSync("editcap", ["-h"]);
  if (editcap.error) return t.skip("editcap missing (Debian wireshark-common / tshark)");
  const dir = mkdtempSync(join(tmpdir(), "tcpwin-series-"));
  try {
    const mid = join(dir, "mid.pcap");
    // Records 40..366: the transfer without its handshake (as the README's example).
    assert.equal(spawnSync("editcap", ["-r", BUNDLED, mid, "40-366"]).status, 0);
    const series = new SeriesCollector();
    const r = analyzeCapture(mid, { series, readWorker: false });
    const c = r.connections.find((x) => x.c2s.bytes > 50_000 || x.s2c.bytes > 50_000)!;
    const s = series.get(c.stream)!;
    const big = c.c2s.bytes > c.s2c.bytes ? c.c2s : c.s2c;
    assert.equal(big.rwnd_scale.source, "inferred");
    const d = s.dirs.find((x) => x !== null && sum(x.sent) > 50_000)!;
    const [lo, hi] = extent(d.rwndInfLo, d.rwndInfHi);
    assert.ok(Number.isFinite(lo) && hi === big.rwnd_adv!.max, `inferred window ${lo}..${hi} vs ${JSON.stringify(big.rwnd_adv)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("many connections: series for the first maxConnections only, the rest counted", () => {
  const series = new SeriesCollector({ maxConnections: 100 });
  const an = new TcpAnalyzer({ onResult: (r) => series.onResult(r) });
  const p = new TcpPacket();
  for (let i = 0; i < 300; i++) {
    p.frame = i + 1;
    p.tsSec = 1_700_000_000;
    p.tsNsec = i * 1000;
    p.srcV4 = 1;
    p.dstV4 = 2;
    p.srcPort = 10_000 + i;
    p.dstPort = 80;
    p.flags = TCP_SYN;
    p.seq = i;
    p.windowRaw = 1000;
    p.payloadLen = 0;
    an.onSegment(p);
  }
  assert.equal(series.size, 100);
  assert.equal(series.skippedConnections, 200);
  assert.ok(series.get(99) && !series.get(100));
});

test("fuzz: random segments (times going back, any seq, ack, flags, windows) never throw and stay bounded", () => {
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const series = new SeriesCollector();
  const an = new TcpAnalyzer({ onResult: (r) => series.onResult(r) });
  const p = new TcpPacket();
  let ns = 0;
  for (let i = 0; i < 200_000; i++) {
    ns += rnd() < 0.05 ? -Math.floor(rnd() * 1e6) : Math.floor(rnd() * 2e6);
    if (ns < 0) ns = 0;
    p.frame = i + 1;
    p.tsSec = 1_700_000_000 + Math.floor(ns / 1e9);
    p.tsNsec = ns % 1e9;
    const a = rnd() < 0.5;
    p.srcV4 = a ? 1 : 2;
    p.dstV4 = a ? 2 : 1;
    p.srcPort = a ? 1 + (i % 3) : 80;
    p.dstPort = a ? 80 : 1 + (i % 3);
    p.seq = Math.floor(rnd() * 2 ** 32);
    p.ack = Math.floor(rnd() * 2 ** 32);
    p.flags = Math.floor(rnd() * 64);
    p.windowRaw = Math.floor(rnd() * 65536);
    p.payloadLen = rnd() < 0.5 ? 0 : Math.floor(rnd() * 1500);
    p.optWscale = rnd() < 0.01 ? Math.floor(rnd() * 20) : -1;
    p.optMss = -1;
    p.sackCount = 0;
    an.onSegment(p);
  }
  an.finish();
  for (let s = 0; s < an.streams; s++) {
    const c = series.get(s);
    if (!c) continue;
    for (const d of c.dirs) {
      if (!d) continue;
      assert.ok(d.columns <= SERIES_COLUMNS);
      assert.ok(d.events.count <= SERIES_EVENT_CAP);
      for (const a of [d.dataLo, d.ackHi, d.rwndHi, d.bifHi, d.rttHi]) for (const v of a) assert.ok(Number.isNaN(v) || Number.isFinite(v));
    }
  }
});

test("zero windows: counted and marked in the series of the sender they stopped, at the ack", () => {
  const series = new SeriesCollector();
  const an = new TcpAnalyzer({ onResult: (r) => series.onResult(r) });
  const p = new TcpPacket();
  let ns = 0;
  const send = (fromA: boolean, seq: number, ack: number, flags: number, win: number, len: number) => {
    ns += 100_000;
    p.frame++;
    p.tsSec = 1_700_000_000 + Math.floor(ns / 1e9);
    p.tsNsec = ns % 1e9;
    p.srcV4 = fromA ? 1 : 2;
    p.dstV4 = fromA ? 2 : 1;
    p.srcPort = fromA ? 1000 : 2000;
    p.dstPort = fromA ? 2000 : 1000;
    p.seq = seq >>> 0;
    p.ack = ack >>> 0;
    p.flags = flags;
    p.windowRaw = win;
    p.payloadLen = len;
    p.optWscale = -1;
    p.optMss = flags & TCP_SYN ? 1000 : -1;
    p.sackCount = 0;
    an.onSegment(p);
  };
  send(true, 99, 0, TCP_SYN, 8000, 0);
  send(false, 499, 100, TCP_SYN | TCP_ACK, 8000, 0);
  send(true, 100, 500, TCP_ACK, 8000, 0);
  let zw = 0;
  for (let i = 0; i < 40; i++) {
    send(true, 100 + i * 1000, 500, TCP_ACK, 8000, 1000);
    const closed = i % 10 === 9;
    if (closed) zw++;
    send(false, 500, 100 + (i + 1) * 1000, TCP_ACK, closed ? 0 : 4000, 0);
  }
  const [e] = an.finish();
  const d = series.get(0)!.dirs[0]!;
  assert.equal(e!.s2c.flags.zero_window, zw);
  assert.equal(sum(d.zeroWindow), zw);
  const marks = [...d.events.kind].map((k, i) => [k, d.events.seq[i]!]).filter(([k]) => k === SeriesEvent.zero_window);
  assert.deepEqual(marks.map(([, s]) => s), [10_001, 20_001, 30_001, 40_001]);
});
