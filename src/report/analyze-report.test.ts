import { test } from "node:test";
import assert from "node:assert/strict";
import { diagnoseAll } from "../diagnose/index.js";
import { bulkHealthy, connection, incident, stats } from "../diagnose/testing/make-evidence.js";
import { renderAnalyzeJson } from "./analyze-json.js";
import { renderAnalyzeText } from "./analyze-text.js";
import type { AnalysisLike, AnalyzePaint } from "./analyze-types.js";
import { PacketLineWriter } from "./packet-lines.js";

const conns = [incident({ stream: 1 }), bulkHealthy({ stream: 0 }), connection({ stream: 2 })];
const result: AnalysisLike = {
  connections: conns,
  packets: 40000,
  tcpPackets: 39990,
  warnings: [{ code: "garbage_skipped", message: "skipped 12 bytes of garbage", fileOffset: 4096, frame: 7 }],
  error: null,
};

test("text: header, per-connection summary rows, verdict, model, fix; most important first", () => {
  const shown = diagnoseAll(conns, { deadlineSec: 3 });
  const t = renderAnalyzeText({ source: "x.pcap", result, shown, total: 3, deadlineSec: 3 });
  assert.match(t, /^tcpwin analyze {2}x\.pcap: 40000 packets, 39990 TCP, 3 connections\n/);
  for (const label of ["payload", "MSS (SYN) / largest", "peer's window scale", "peer's window min/med/max", "in flight min/med/max", "RTT min/med/p95/max", "flags", "limited by (busy time)", "handshake RTT", "verdict", "model", "fix"]) {
    assert.ok(t.includes(`  ${label}`), label);
  }
  assert.match(t, /RECEIVER WINDOW LIMITED \(receiver_window_limited; rule rwnd_share 0\.990 ≥ 0\.25; confidence 1\.00\)/);
  assert.match(t, /1148 \/ 1148 \/ 1148 B/);
  assert.match(t, /1\.60 \/ 1\.66 \/ 1\.80 \/ 1\.90 ms/);
  assert.match(t, /window_full 1800/);
  assert.match(t, /rwnd 99 %, cwnd 1 %, app 0 % \(3\.00 s\)/);
  assert.match(t, /serverSocketRcvBufSize=\d+/);
  // Ranking: stream 1 (2 MB, window-limited) before stream 0 (50 MB, healthy) before the idle one.
  const order = [...t.matchAll(/^stream (\d+) /gm)].map((m) => Number(m[1]));
  assert.deepEqual(order, [1, 0, 2]);
  assert.match(t, /^summary$/m);
  // No colour codes without a painter.
  assert.doesNotMatch(t, /\x1b\[/);
});

test("text: colour only through the painter passed in", () => {
  const shown = diagnoseAll(conns);
  const red: AnalyzePaint = { bold: (s) => `<b>${s}</b>`, dim: (s) => s, red: (s) => `<r>${s}</r>`, green: (s) => `<g>${s}</g>`, yellow: (s) => s, cyan: (s) => s };
  const t = renderAnalyzeText({ source: "x.pcap", result, shown, total: 3 }, red);
  assert.match(t, /<b><r>RECEIVER WINDOW LIMITED<\/r><\/b>/);
  assert.match(t, /<b><g>HEALTHY<\/g><\/b>/);
});

test("text: --top cut says how many are hidden", () => {
  const all = diagnoseAll(conns);
  const t = renderAnalyzeText({ source: "-", result, shown: all.slice(0, 1), total: 3 });
  assert.match(t, /stdin: .*3 connections \(showing 1, most important first; --all for every one\)/);
});

test("JSON: { connections: [ { stream, client, server, ..., verdict: { kind } } ], warnings with offsets }", () => {
  const shown = diagnoseAll(conns, { deadlineSec: 3 });
  const j = JSON.parse(renderAnalyzeJson({ source: "x.pcap", result, shown, total: 3, deadlineSec: 3 }));
  assert.equal(j.packets, 40000);
  assert.equal(j.tcp_packets, 39990);
  assert.equal(j.deadline_ms, 3000);
  assert.deepEqual(
    j.connections.map((c: { stream: number }) => c.stream),
    [1, 0, 2],
  );
  const c = j.connections[0];
  for (const k of ["stream", "client", "server", "start_s", "duration_s", "handshake_seen", "irtt_ms", "c2s", "s2c", "verdict"]) assert.ok(k in c, k);
  assert.equal(c.verdict.kind, "receiver_window_limited");
  assert.equal(c.verdict.model.window_bytes, 1148);
  assert.equal(c.verdict.fix.setting, "SO_RCVBUF");
  assert.equal(typeof c.verdict.fix.value, "number");
  assert.equal(c.c2s.rwnd_adv.median, 1148);
  assert.deepEqual(j.warnings, [{ code: "garbage_skipped", message: "skipped 12 bytes of garbage", offset: 4096, frame: 7 }]);
  assert.equal(j.error, null);
});

test("JSON: non-finite numbers become null, never invalid JSON", () => {
  const e = incident({ c2s: { first_data_s: 1, last_data_s: 1 } }); // zero transfer time
  const shown = diagnoseAll([e]);
  const text = renderAnalyzeJson({ source: "x", result: { ...result, connections: [e] }, shown, total: 1 });
  assert.doesNotMatch(text, /Infinity|NaN/);
  JSON.parse(text);
});

test("packet lines: one JSON object per line, batched, serialised at push time", () => {
  const chunks: string[] = [];
  const w = new PacketLineWriter((s) => chunks.push(s), 100);
  const reused: Record<string, unknown> = {};
  for (let i = 1; i <= 10; i++) {
    reused["frame.number"] = i;
    reused["tcp.analysis.window_full"] = i % 2 === 0 ? true : undefined;
    w.push(reused);
  }
  w.flush();
  assert.ok(chunks.length > 1 && chunks.length < 10, `batched into ${chunks.length} writes`);
  const lines = chunks.join("").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(lines.length, 10);
  assert.deepEqual(lines[1], { "frame.number": 2, "tcp.analysis.window_full": true });
  assert.deepEqual(lines[2], { "frame.number": 3 });
  assert.equal(w.lines, 10);
});

test("text: the model's word follows the policy's factors; a met deadline prints no fix; a bottleneck is the path's rate", () => {
  const predicted = diagnoseAll([incident()])[0]!.verdict.model!.predicted_ms / 1000;
  const textOf = (e: ReturnType<typeof incident>, deadlineSec?: number) =>
    renderAnalyzeText({ source: "x", result: { ...result, connections: [e] }, shown: diagnoseAll([e], { deadlineSec }), total: 1, deadlineSec });
  const at = (ratio: number) => textOf(incident({ c2s: { first_data_s: 0, last_data_s: ratio * predicted } }));
  assert.match(at(1.74), /\(×1\.74, roughly agrees\)/);
  assert.match(at(1.1), /\(×1\.1, agrees\)/);
  assert.match(at(2.6), /\(×2\.6, disagrees\)/);
  assert.doesNotMatch(at(1.74), /, agrees\)/);

  const met = textOf(incident(), 5);
  assert.doesNotMatch(met, /^ {2}fix /m);
  assert.doesNotMatch(met, /Raise the receiver's SO_RCVBUF/);
  assert.match(met, /note +deadline 5\.00 s met: the data took 3\.00 s; nothing needs fixing to meet it/);
  assert.match(textOf(incident(), 2), /^ {2}fix +Raise the receiver's SO_RCVBUF on 10\.0\.0\.2:9876 to ≥ \d+/m);

  const rate = 11.75e6;
  const bn = bulkHealthy({
    server: { addr: "10.0.0.2", port: 5201 },
    c2s: {
      bytes: 58_750_000,
      bytes_sent: 58_750_000,
      first_data_s: 0.01,
      last_data_s: 5.01,
      bytes_in_flight: stats(1448, Math.round(rate * 0.0127), 300_000),
      rtt_ms: stats(2.0, 12.7, 14, 5000, 13.5),
      limits: { busy_s: 5, rwnd: 0.02, cwnd: 0.95, app: 0.03 },
    },
  });
  const t = textOf(bn);
  assert.match(t, /PATH RATE LIMITED: A BOTTLENECK LINK \(congestion_limited; rule bottleneck: cwnd_share 0\.950 ≥ 0\.25; confidence \d\.\d\d\)/);
  assert.match(t, /the path's rate is the limit/);
  assert.match(t, /^ {2}fix +No TCP setting fixes this: the path's rate/m);
  assert.doesNotMatch(t, /RocketMQ|congestion window set the pace/);
  // A rule whose cost is not the number it compared prints that number under its own name
  // (tiny_window compared rwnd_max_segments; "rwnd_share 2 ≤ 2" was printed before).
  const tiny = textOf(incident({ c2s: { limits: { busy_s: 0.006, rwnd: 0.07, cwnd: 0.04, app: 0.89 }, small_window_share: 0.27 } }));
  assert.match(tiny, /; rule tiny_window: rwnd_max_segments 2 ≤ 2; confidence 1\.00\)/);
});
