/**
 * `tcpwin analyze --html` opened in Debian's headless chromium (playwright-core, never a downloaded
 * browser): the page loads nothing from anywhere (every request is recorded; only the file itself
 * may be read), logs no console error, draws every chart (coloured pixels in each plot area, read
 * back from the canvases), and a drag-zoom on one chart moves the x scale of every chart of that
 * connection. A screenshot is saved with the test output (tmp/test-out/html-report/report.png).
 *
 * Captures: the bundled window-limited transfer (assets/rcvbuf-1024.pcap: window-full markers, the
 * staircase against the window edge), and with root a fresh iperf3 -w 4K run through a veth pair.
 * Skips with the reason when chromium (or, for the second, root and the tools) is missing.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Page } from "playwright-core";
import { htmlAssets } from "../../src/cli/html-assets.js";
import { diagnoseAll } from "../../src/diagnose/index.js";
import { renderAnalyzeHtml } from "../../src/report/html/index.js";
import { analyzeCapture, SeriesCollector } from "../../src/tcp/index.js";
import { ROOT, runCli } from "../cli/run-cli.js";
import { chromiumSkipReason, launchChromium, type Chromium } from "../support/chromium.js";
import { captureIperf, createVethPair, netnsSkipReason } from "../support/netns.js";

const OUT = join(ROOT, "tmp/test-out/html-report");
const skip = chromiumSkipReason();
let browser: Chromium | null = null;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  if (!skip) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

interface Loaded {
  page: Page;
  errors: string[];
  requests: string[];
  loadMs: number;
}

async function open(file: string): Promise<Loaded> {
  const page = await browser!.context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => requests.push(r.url()));
  const t0 = Date.now();
  await page.goto(`file://${file}`);
  await page.waitForFunction(() => (globalThis as unknown as { tcpwin?: { ready: boolean } }).tcpwin?.ready === true, null, { timeout: 30_000 });
  return { page, errors, requests, loadMs: Date.now() - t0 };
}

/** Per chart: coloured (saturated) pixels inside its plot area — grid and axes are grey. */
function drawnPixels(page: Page): Promise<{ title: string; coloured: number }[]> {
  return page.evaluate(() => {
    const w = globalThis as unknown as { tcpwin: { charts: { ctx: { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } }; bbox: { left: number; top: number; width: number; height: number }; root: { querySelector(s: string): { textContent: string | null } | null } }[] } };
    return w.tcpwin.charts.map((u) => {
      const b = u.bbox;
      const img = u.ctx.getImageData(b.left, b.top, Math.max(1, b.width), Math.max(1, b.height)).data;
      let coloured = 0;
      for (let i = 0; i < img.length; i += 4) {
        const r = img[i]!, g = img[i + 1]!, bl = img[i + 2]!, a = img[i + 3]!;
        if (a > 100 && Math.max(r, g, bl) - Math.min(r, g, bl) > 60) coloured++;
      }
      return { title: u.root.querySelector(".u-title")?.textContent ?? "", coloured };
    });
  });
}

function xScales(page: Page, stream: number): Promise<[number, number][]> {
  return page.evaluate((s) => {
    const w = globalThis as unknown as { tcpwin: { groups: Record<number, { charts: { scales: { x: { min: number; max: number } } }[] }> } };
    return w.tcpwin.groups[s]!.charts.map((u) => [u.scales.x.min, u.scales.x.max] as [number, number]);
  }, stream);
}

async function checkReport(html: string, name: string, expectMarkers: boolean): Promise<void> {
  const size = statSync(html).size;
  assert.ok(size > 50_000 && size < 5e6, `size ${size}`);
  const text = readFileSync(html, "utf8");
  assert.doesNotMatch(text, /<(script|link|img)[^>]+(src|href)=/i, "nothing loaded from elsewhere");
  const { page, errors, requests } = await open(html);
  assert.deepEqual(errors, []);
  assert.deepEqual(requests.filter((u) => u !== `file://${html}`), [], "the page fetched something");
  const drawn = await drawnPixels(page);
  assert.ok(drawn.length >= 4, `${drawn.length} charts`);
  for (const d of drawn) assert.ok(d.coloured > 30, `chart "${d.title}" looks empty (${d.coloured} coloured pixels)`);
  if (expectMarkers) assert.match(await page.textContent("body") ?? "", /[1-9]\d* window full/);

  const stream = await page.evaluate(() => Number(Object.keys((globalThis as unknown as { tcpwin: { groups: object } }).tcpwin.groups)[0]));
  const before = await xScales(page, stream);
  assert.ok(before.every(([a, b]) => a === before[0]![0] && b === before[0]![1]), `one time axis at start: ${JSON.stringify(before)}`);
  // Drag across the middle third of the second chart (bytes in flight): a user's zoom.
  const over = page.locator(".chart .u-over").nth(1);
  await over.scrollIntoViewIfNeeded();
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width / 3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + (2 * box.width) / 3, box.y + box.height / 2, { steps: 8 });
  await page.mouse.up();
  const zoomed = await xScales(page, stream);
  const span = (s: [number, number]) => s[1] - s[0];
  assert.ok(span(zoomed[1]!) < span(before[1]!) * 0.5, `the dragged chart zoomed: ${JSON.stringify(zoomed[1])} vs ${JSON.stringify(before[1])}`);
  for (const [i, s] of zoomed.entries()) assert.deepEqual(s, zoomed[1], `chart ${i} follows the zoom`);
  // Zoomed in, the charts are still drawn.
  for (const d of await drawnPixels(page)) assert.ok(d.coloured > 0, `chart "${d.title}" empty after the zoom`);
  await page.dblclick(".chart .u-over >> nth=0");
  const reset = await xScales(page, stream);
  for (const s of reset) assert.ok(span(s) > span(zoomed[1]!) * 1.5, "double-click zooms out, all together");
  await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  await page.close();
}

test("the bundled window-limited capture: report loads offline, every chart drawn, zoom moves all", { skip: skip ?? false, timeout: 120_000 }, async () => {
  const html = join(OUT, "report.html");
  const r = runCli(["analyze", "assets/rcvbuf-1024.pcap", "--html", html]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /RECEIVER WINDOW LIMITED/);
  await checkReport(html, "report", true);
});

const netSkip = skip ?? netnsSkipReason(["ip", "ethtool", "iperf3", "tcpdump"]);
test("a fresh iperf3 -w 4K capture through a veth pair: the same checks", { skip: netSkip ?? false, timeout: 180_000 }, async () => {
  const pcap = join(OUT, "iperf-w4k.pcap");
  const pair = createVethPair();
  try {
    await captureIperf(pair, pcap, ["-w", "4K", "-n", "4M"]);
  } finally {
    pair.close();
  }
  const html = join(OUT, "iperf-w4k.html");
  const r = runCli(["analyze", pcap, "--html", html, "--top", "1"]);
  assert.equal(r.status, 0, r.stderr);
  await checkReport(html, "iperf-w4k", false);
});

test("RocketMQ exchanges in the evidence are drawn as spans on the time-sequence chart", { skip: skip ?? false, timeout: 60_000 }, async () => {
  // The exchange list protocols/rocketmq adds (evidence.app.rocketmq): here two exchanges laid over
  // the bundled transfer's real times, one answered, one that timed out.
  const series = new SeriesCollector();
  const result = analyzeCapture(join(ROOT, "assets/rcvbuf-1024.pcap"), { series, readWorker: false });
  const c = result.connections[0]!;
  const d0 = c.c2s.first_data_s!;
  const d1 = c.c2s.last_data_s!;
  const mid = (d0 + d1) / 2;
  const app = {
    rocketmq: {
      exchanges: [
        { code: 103, name: "REGISTER_BROKER", opaque: 1, request_first_s: d0, request_acked_s: mid, response_s: mid + 0.01 },
        { code: 322, name: "QUERY_DATA_VERSION", opaque: 2, request_first_s: mid + 0.02, request_acked_s: d1, timed_out: true },
      ],
    },
  };
  // Attached after diagnosis: diagnose/ and the text renderer read whole RocketmqExchange objects;
  // the page's spans read only the few fields given here.
  const shown = diagnoseAll([c], {}).map((d) => ({ ...d, evidence: { ...d.evidence, app: app as unknown as NonNullable<typeof c.app> } }));
  const html = join(OUT, "spans.html");
  writeFileSync(html, renderAnalyzeHtml({ source: "spans", result, shown, total: 1 }, { series: (s) => series.get(s) }, htmlAssets()));
  const { page, errors } = await open(html);
  assert.deepEqual(errors, []);
  assert.match((await page.textContent("body")) ?? "", /2 exchanges/);
  // Span fills in the lanes along the top of the first chart: teal (answered) and red (timed out).
  const lanes = await lanePixels(page);
  assert.ok(lanes.teal > 100, `answered span: ${lanes.teal} px`);
  assert.ok(lanes.red > 100, `timed-out span: ${lanes.red} px`);
  await page.close();
});

test("the real incident capture (assets/rocketmq-incident.pcap): its timed-out REGISTER_BROKER drawn over the whole timeout", { skip: skip ?? false, timeout: 60_000 }, async () => {
  const html = join(OUT, "incident.html");
  const r = runCli(["analyze", "assets/rocketmq-incident.pcap", "--html", html]);
  assert.equal(r.status, 0, r.stderr);
  const { page, errors } = await open(html);
  assert.deepEqual(errors, []);
  const lanes = await lanePixels(page);
  // 3 s of a 3.4 s connection: most of the plot's width, in the timed-out colour.
  const width = await page.evaluate(() => (globalThis as unknown as { tcpwin: { charts: { bbox: { width: number } }[] } }).tcpwin.charts[0]!.bbox.width);
  assert.ok(lanes.red > width * 0.7 * 5, `timed-out span: ${lanes.red} px over ${width} px`);
  await page.screenshot({ path: join(OUT, "incident.png"), fullPage: true });
  await page.close();
});

function lanePixels(page: Page): Promise<{ teal: number; red: number }> {
  return page.evaluate(() => {
    const u = (globalThis as unknown as { tcpwin: { charts: { ctx: { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } }; bbox: { left: number; top: number; width: number } }[] } }).tcpwin.charts[0]!;
    const img = u.ctx.getImageData(u.bbox.left, u.bbox.top, u.bbox.width, 60).data;
    let teal = 0;
    let red = 0;
    for (let i = 0; i < img.length; i += 4) {
      const [r, g, b, a] = [img[i]!, img[i + 1]!, img[i + 2]!, img[i + 3]!];
      if (a > 60 && r < 60 && g > 120 && b > 90 && b < 150) teal++;
      if (a > 60 && r > 180 && g < 80 && b < 80) red++;
    }
    return { teal, red };
  });
}
