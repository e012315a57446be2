/**
 * @module report/html/page
 * `tcpwin analyze --html`: one self-contained HTML page — no network fetch of any kind (the chart
 * library's JS and CSS come in as text and are inlined; no fonts, images or links to load). It
 * holds what the text output says (the header, per connection the same summary and verdict as
 * report/analyze-text renderConnection, the ranked summary, warnings) and, for the charted
 * connections, the interactive charts (report/html/client) over tcp/series data.
 *
 * Pure: takes the analysis and the diagnosed list (AnalyzeReportInput, as the text and JSON
 * renderers), a lookup of series by stream, and the library text; returns the page. `lab incident`
 * calls it with its own analysis.
 */
import { VERDICT_TITLES, type Diagnosed } from "../../diagnose/index.js";
import { formatBytes } from "../../model/index.js";
import { SERIES_COLUMNS, type ConnectionSeries } from "../../tcp/series.js";
import { renderConnection } from "../analyze-text.js";
import { issueText, NO_PAINT, type AnalyzeReportInput } from "../analyze-types.js";
import { directionChartData, type DirectionChartData } from "./chart-data.js";
import { CLIENT_JS } from "./client.js";
import { exchangeSpans, type ExchangeSpan } from "./exchanges.js";
import { PAGE_CSS } from "./style.js";

/** The chart library, as text (cli/ reads it from the uplot package: report/ reads no files). */
export interface HtmlAssets {
  uplotJs: string;
  uplotCss: string;
}

export interface HtmlCharts {
  /** Series of a stream (tcp/series SeriesCollector.get), or null when none was kept. */
  series: (stream: number) => ConnectionSeries | null;
  /** Streams to chart, in the order shown; default: the first DEFAULT_CHARTED shown connections. */
  streams?: readonly number[] | undefined;
}

/** A direction is charted when its payload is at least this share of the larger direction's. */
export const MIN_CHARTED_SHARE = 0.05;

/** Connections charted when the caller does not say which. */
export const DEFAULT_CHARTED = 3;

interface ConnectionChartData {
  stream: number;
  startS: number;
  endS: number;
  dirs: DirectionChartData[];
  spans: ExchangeSpan[];
  spansTotal: number;
}

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]!);
/** Text inside <script>: no "</script" (or "<!--") can end or change the element. */
const scriptText = (s: string) => s.replace(/<(\/script|!--)/gi, "<\\$1");
/** JSON inside <script type="application/json">: `<` escaped so no tag can close it. */
const jsonText = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? null : x)).replace(/</g, "\\u003c");

const epText = (e: { addr: string; port: number }) => (e.addr.includes(":") ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`);

/** The page's chart data stays under this many bytes of JSON (the file under 5 MB with the library). */
export const MAX_DATA_BYTES = 4_000_000;

function chartData(d: Diagnosed, s: ConnectionSeries, maxColumns: number): ConnectionChartData {
  const c = d.evidence;
  // The evidence's client is the SYN's sender, else direction 0: the same rule as tcp/evidence-builder.
  const client = s.synDir >= 0 ? s.synDir : 0;
  const dirs: DirectionChartData[] = [];
  const names = [`${epText(c.client)} → ${epText(c.server)} (client → server)`, `${epText(c.server)} → ${epText(c.client)} (server → client)`];
  // A direction that carried a small fraction of the other's payload (the ACK side of a bulk
  // transfer, a short reply) is left out: its charts would be empty lines.
  const bytes = [c.c2s.bytes, c.s2c.bytes];
  const most = Math.max(bytes[0]!, bytes[1]!);
  for (const [k, dir] of [client, 1 - client].entries()) {
    const ds = s.dirs[dir];
    if (!ds || bytes[k]! < most * MIN_CHARTED_SHARE) continue;
    const data = directionChartData(ds, names[k]!, maxColumns);
    if (data) dirs.push(data);
  }
  const { spans, total } = exchangeSpans(c);
  return { stream: c.stream, startS: c.start_s, endS: c.end_s > c.start_s ? c.end_s : c.start_s + 1e-3, dirs, spans, spansTotal: total };
}

function verdictClass(d: Diagnosed): string {
  const v = d.verdict;
  if (v.kind === "healthy" && v.title === VERDICT_TITLES[v.kind]) return "ok";
  return v.kind === "application_limited" || v.kind === "healthy" || v.kind === "inconclusive" || v.kind === "sender_limited" ? "warn" : "bad";
}

/** The whole page. */
export function renderAnalyzeHtml(input: AnalyzeReportInput, charts: HtmlCharts, assets: HtmlAssets): string {
  const { result, shown, total } = input;
  const source = input.source === "-" ? "stdin" : input.source;
  const wanted = charts.streams ?? shown.slice(0, DEFAULT_CHARTED).map((d) => d.evidence.stream);
  const picked: [Diagnosed, ConnectionSeries][] = [];
  for (const stream of wanted) {
    const d = shown.find((x) => x.evidence.stream === stream);
    const s = d ? charts.series(stream) : null;
    if (d && s) picked.push([d, s]);
  }
  // Full resolution, then half the columns at a time until the data fits MAX_DATA_BYTES (markers
  // stay whole: at most SERIES_EVENT_CAP per direction).
  let charted = new Map<number, ConnectionChartData>();
  let dataJson = "";
  for (let maxColumns = SERIES_COLUMNS; ; maxColumns >>= 1) {
    charted = new Map(picked.map(([d, s]) => [d.evidence.stream, chartData(d, s, maxColumns)]));
    dataJson = jsonText({ connections: [...charted.values()] });
    if (dataJson.length <= MAX_DATA_BYTES || maxColumns <= 256) break;
  }

  const out: string[] = [];
  out.push(
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Offline by construction: nothing may be fetched, and the page says so to the browser too.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>tcpwin analyze — ${escapeHtml(source)}</title>`,
    `<style>${assets.uplotCss}\n${PAGE_CSS}</style>`,
    "</head><body>",
    "<header>",
    `<h1>tcpwin analyze <span class="src">${escapeHtml(source)}</span></h1>`,
    `<p>${result.packets} packets, ${result.tcpPackets} TCP, ${total} connection${total === 1 ? "" : "s"}` +
      (shown.length < total ? ` (showing ${shown.length}, most important first)` : "") +
      (input.deadlineSec !== undefined ? `; deadline ${input.deadlineSec * 1000} ms: fixes aim to meet it` : "") +
      "</p>",
    "</header>",
  );
  if (result.warnings.length || result.error) {
    out.push('<section class="warnings"><h2>warnings</h2><ul>');
    for (const w of result.warnings) out.push(`<li>${escapeHtml(issueText(w))}</li>`);
    if (result.error) out.push(`<li class="bad">could not read to the end: ${escapeHtml(issueText(result.error))} (what was read is analysed)</li>`);
    out.push("</ul></section>");
  }
  if (shown.length) {
    out.push('<section class="summary"><h2>summary</h2><table><thead><tr><th>stream</th><th>client → server</th><th>bytes</th><th>verdict</th><th></th></tr></thead><tbody>');
    for (const d of shown) {
      const c = d.evidence;
      const v = d.verdict;
      const kind = v.title !== VERDICT_TITLES[v.kind] ? `${v.kind} (${v.title})` : v.kind;
      out.push(
        `<tr><td><a href="#stream-${c.stream}">${c.stream}</a></td><td>${escapeHtml(`${epText(c.client)} → ${epText(c.server)}`)}</td>` +
          `<td class="num">${escapeHtml(formatBytes(c.c2s.bytes + c.s2c.bytes))}</td><td class="${verdictClass(d)}">${escapeHtml(kind)}</td>` +
          `<td>${charted.has(c.stream) ? "charts" : ""}</td></tr>`,
      );
    }
    out.push("</tbody></table></section>");
  } else out.push(`<p>no TCP connections${result.packets > 0 ? " matched" : ""}</p>`);

  for (const d of shown) {
    const c = d.evidence;
    const cd = charted.get(c.stream);
    out.push(`<section class="conn" id="stream-${c.stream}">`);
    out.push(`<h2 class="${verdictClass(d)}">stream ${c.stream}: ${escapeHtml(d.verdict.title)}</h2>`);
    out.push(`<pre>${escapeHtml(renderConnection(d, NO_PAINT).join("\n"))}</pre>`);
    if (cd) {
      if (cd.spansTotal > cd.spans.length) out.push(`<p class="note">${cd.spansTotal} exchanges; the first ${cd.spans.length} are drawn</p>`);
      out.push(`<div class="charts" id="charts-${c.stream}"></div>`);
    } else if (wanted.includes(c.stream)) {
      out.push('<p class="note">no time series kept for this connection</p>');
    }
    out.push("</section>");
  }
  out.push(
    '<footer>Drag across a chart to zoom its connection\'s charts together; double-click to zoom out. Made by tcpwin; charts by uPlot (MIT), inlined: this file loads nothing.</footer>',
    `<script>${scriptText(assets.uplotJs)}</script>`,
    `<script type="application/json" id="tcpwin-data">${dataJson}</script>`,
    `<script>${scriptText(CLIENT_JS)}</script>`,
    "</body></html>",
  );
  return out.join("\n") + "\n";
}
