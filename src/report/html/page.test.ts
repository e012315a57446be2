import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { diagnoseAll } from "../../diagnose/index.js";
import { analyzeCapture } from "../../tcp/analyze-capture.js";
import { SeriesCollector } from "../../tcp/series.js";
import { renderConnection } from "../analyze-text.js";
import type { AnalyzeReportInput } from "../analyze-types.js";
import { directionChartData } from "./chart-data.js";
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
  assert.deepEqual(a.spans[0], { code: 103, name: "REGISTER_BROKER", opaque: 7, startS: 0.5, ackedS: 3.5, responseS: 3.6, timedOut: false });
  assert.deepEqual(a.spans[1], { code: 322, name: null, opaque: 8, startS: 2, ackedS: null, responseS: 2.5, timedOut: true });
  const many = exchangeSpans({ app: { rocketmq: Array.from({ length: MAX_SPANS + 10 }, (_, i) => ({ code: 1, opaque: i, request_start: i })) } });
  assert.equal(many.total, MAX_SPANS + 10);
  assert.equal(many.spans.length, MAX_SPANS);
});
