import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { diagnoseAll } from "../../diagnose/index.js";
import { analyzeCapture } from "../../tcp/analyze-capture.js";
import { SERIES_COLUMNS, SERIES_EVENT_CAP, SeriesCollector, type ConnectionSeries, type DirectionSeries } from "../../tcp/series.js";
import { renderConnection } from "../analyze-text.js";
import type { AnalyzeReportInput } from "../analyze-types.js";
import { coarsen, directionChartData } from "./chart-data.js";
import { exchangeSpans, MAX_SPANS } from "./exchanges.js";
import { renderAnalyzeHtml } from "./page.js";

const BUNDLED = fileURLToPath(new URL("../../../assets/rcvbuf-1024.pcap", import.meta.url));
/** Stand-ins for the library text, with the sequences that must not end a script element. */
const ASSETS = { uplotJs: 'var uPlot = function () {}; var s = "</script><!--";', uplotCss: ".uplot{}" };

function bundled(): { input: AnalyzeReportInput; series: SeriesCollector } {
  const series = new SeriesCollector();
  const result = analyzeCapture(BUNDLED, { series, readWorker: false });
  const shown = diagnoseAll(result.connections, {});
  return { input: { source: "<b>odd & name</b>.pcap", result, shown, total: shown.length }, series };
}

function dataBlock(html: string): { connections: { stream: number; dirs: { label: string; t: number[]; dataHi: (number | null)[] }[] }[] } {
  const m = /<script type="application\/json" id="tcpwin-data">([^<]*)<\/script>/.exec(html);
  assert.ok(m, "data block");
  return JSON.parse(m[1]!);
}

test("the page: the text output's connection block, escaped; charts data for the connection; nothing external", () => {
  const { input, series } = bundled();
  const html = renderAnalyzeHtml(input, { series: (s) => series.get(s) }, ASSETS);
  assert.ok(html.startsWith("<!doctype html>"));
  assert.ok(html.includes("&lt;b&gt;odd &amp; name&lt;/b&gt;.pcap"));
  assert.ok(!html.includes("<b>odd"));
  // The same lines as `tcpwin analyze` prints for the connection (HTML-escaped).
  for (const line of renderConnection(input.shown[0]!)) {
    const esc = line.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
    assert.ok(html.includes(esc), line);
  }
  // The library text cannot close its script element early.
  assert.equal(html.match(/<\/script>/g)!.length, 3);
  assert.ok(html.includes('"<\\/script><\\!--"'));
  assert.doesNotMatch(html, /(src|href)="(?!#)/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  const data = dataBlock(html);
  assert.equal(data.connections.length, 1);
  const c = data.connections[0]!;
  assert.equal(c.stream, 0);
  // Only the client → server direction carried data worth charting (the reply is 3 bytes).
  assert.equal(c.dirs.length, 1);
  assert.match(c.dirs[0]!.label, /client → server/);
  assert.equal(Math.max(...c.dirs[0]!.dataHi.filter((x): x is number => x !== null)), input.shown[0]!.evidence.c2s.bytes + 1);
  assert.ok(html.includes('id="charts-0"'));
});

test("the page without series, or with streams that were not kept: text only, no chart host", () => {
  const { input } = bundled();
  const html = renderAnalyzeHtml(input, { series: () => null }, ASSETS);
  assert.equal(dataBlock(html).connections.length, 0);
  assert.ok(!html.includes('id="charts-'));
  assert.match(html, /no time series kept/);
});

test("throughput: windows of buckets on their own time axis, in Mbit/s", () => {
  const { input, series } = bundled();
  const d = series.get(0)!.dirs[0]!;
  const cd = directionChartData(d, "x")!;
  assert.equal(cd.rateT.length, cd.sentMbps.length);
  assert.ok(cd.rateT.length <= 300);
  assert.ok(cd.rateWindowS >= d.widthNs / 1e9);
  // Over the whole transfer the mean acknowledged rate is the payload over the data time.
  const c = input.shown[0]!.evidence.c2s;
  const mean = (c.bytes * 8) / (c.last_data_s! - c.first_data_s!) / 1e6;
  const sorted = [...cd.ackedMbps].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  assert.ok(Math.abs(median - mean) / mean < 0.35, `median ${median} vs mean ${mean} Mbit/s`);
});

test("exchange spans: the accepted shapes and units; absent or malformed gives none", () => {
  assert.deepEqual(exchangeSpans({}), { spans: [], total: 0 });
  assert.deepEqual(exchangeSpans({ app: { rocketmq: "nonsense" } }), { spans: [], total: 0 });
  assert.deepEqual(exchangeSpans(null), { spans: [], total: 0 });
  const a = exchangeSpans({
    app: {
      rocketmq: {
        exchanges: [
          { code: 103, name: "REGISTER_BROKER", opaque: 7, request_first_s: 0.5, request_acked_s: 3.5, response_s: 3.6 },
          { code: 322, opaque: 8, request_start_ns: 2e9, response_time_ns: 2.5e9, timed_out: true },
          { code: 1, opaque: 9 },
          "junk",
        ],
      },
    },
  });
  assert.equal(a.total, 2);
  assert.deepEqual(a.spans[0], { code: 103, name: "REGISTER_BROKER", opaque: 7, startS: 0.5, requestLastS: null, ackedS: 3.5, responseS: 3.6, timedOut: false, timeoutS: null });
  assert.deepEqual(a.spans[1], { code: 322, name: null, opaque: 8, startS: 2, requestLastS: null, ackedS: null, responseS: 2.5, timedOut: true, timeoutS: null });
  const many = exchangeSpans({ app: { rocketmq: Array.from({ length: MAX_SPANS + 10 }, (_, i) => ({ code: 1, opaque: i, request_start: i })) } });
  assert.equal(many.total, MAX_SPANS + 10);
  assert.equal(many.spans.length, MAX_SPANS);
});

test("coarsen: fewer columns, the same extremes and totals", () => {
  const { series } = bundled();
  const d = series.get(0)!.dirs[0]!;
  const c = coarsen(d, 7);
  assert.equal(c.columns, Math.ceil(d.columns / 7));
  assert.equal(c.widthNs, d.widthNs * 7);
  const vals = (a: Float64Array) => [...a].filter((x) => x === x);
  for (const k of ["dataLo", "ackLo", "edgeLo", "rwndLo", "bifLo", "rttLo"] as const) assert.equal(Math.min(...vals(c[k])), Math.min(...vals(d[k])), k);
  for (const k of ["dataHi", "ackHi", "edgeHi", "rwndHi", "bifHi", "rttHi"] as const) assert.equal(Math.max(...vals(c[k])), Math.max(...vals(d[k])), k);
  for (const k of ["sent", "acked", "windowFull"] as const) assert.equal(c[k].reduce((a, b) => a + b, 0), d[k].reduce((a, b) => a + b, 0), k);
});

test("worst case (3 connections × 2 directions × 4096 columns × 20 000 markers): the page stays under 5 MB", () => {
  const { input } = bundled();
  const n = SERIES_COLUMNS;
  const col = (f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
  const dir = (): DirectionSeries => ({
    startNs: 0,
    widthNs: 1e6,
    columns: n,
    dataLo: col((i) => 1_000_000_000 + i * 1_234_567),
    dataHi: col((i) => 1_000_000_000 + i * 1_234_567 + 65_000),
    ackLo: col((i) => 1_000_000_000 + i * 1_234_567 - 9_000),
    ackHi: col((i) => 1_000_000_000 + i * 1_234_567),
    edgeLo: col((i) => 1_000_000_000 + i * 1_234_567 + 60_000),
    edgeHi: col((i) => 1_000_000_000 + i * 1_234_567 + 65_000),
    rwndLo: col((i) => 6_000_000 + (i % 97)),
    rwndHi: col((i) => 6_500_000 + (i % 89)),
    rwndInfLo: col((i) => 6_000_000 + (i % 97)),
    rwndInfHi: col((i) => 6_500_000 + (i % 89)),
    bifLo: col((i) => 4_000_000 + (i % 13) * 1448),
    bifHi: col((i) => 5_000_000 + (i % 17) * 1448),
    rttLo: col((i) => 1_234_567 + i),
    rttHi: col((i) => 9_876_543 + i),
    sent: col(() => 1_448_000),
    acked: col(() => 1_448_000),
    retrans: col(() => 5),
    zeroWindow: col(() => 1),
    windowFull: col(() => 3),
    events: {
      tNs: Float64Array.from({ length: SERIES_EVENT_CAP }, (_, i) => i * 204_800.123),
      kind: Uint8Array.from({ length: SERIES_EVENT_CAP }, (_, i) => i % 5),
      seq: Float64Array.from({ length: SERIES_EVENT_CAP }, (_, i) => 1_000_000_000 + i * 251_111),
      count: SERIES_EVENT_CAP,
    },
    eventsDropped: { retransmission: 123_456 },
    packets: 3_000_000,
  });
  const base = input.shown[0]!;
  const shown = [0, 1, 2].map((stream) => ({ ...base, evidence: { ...base.evidence, stream, s2c: { ...base.evidence.s2c, bytes: base.evidence.c2s.bytes } } }));
  const all: ConnectionSeries[] = shown.map((d) => ({ stream: d.evidence.stream, dirs: [dir(), dir()], synDir: 0 }));
  const assets = { uplotJs: "x".repeat(51_081), uplotCss: "y".repeat(1_857) }; // uPlot 1.6's sizes
  const html = renderAnalyzeHtml({ ...input, shown, total: 3 }, { series: (s) => all[s] ?? null }, assets);
  assert.ok(html.length < 5e6, `${html.length} bytes`);
  const data = dataBlock(html);
  assert.equal(data.connections.length, 3);
  assert.ok(data.connections.every((c) => c.dirs.length === 2));
  // The markers were kept whole; the columns gave way.
  assert.ok(data.connections[0]!.dirs[0]!.t.length < n);
});
