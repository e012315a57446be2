/**
 * @module bench/html
 * `tcpwin analyze --html` on ≥ 1 M real packets (bench/make-capture.ts): the whole process with the
 * report against the same process with `--json` alone (interleaved, medians of BENCH_REPEAT, 5),
 * the report's size, and how long Debian's headless chromium takes to open it until every chart is
 * drawn (window.tcpwin.ready; median of 3 fresh pages).
 *
 * Targets (issue 11): the report builds in under 2× the time of `analyze --json`; the file is
 * under 5 MB; it loads in under 3 s. Uses the built CLI (`npm run build` first), else tsx.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromiumSkipReason, launchChromium } from "../test/support/chromium.js";
import { BENCH_OUT, makeBigCapture } from "./make-capture.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 5));
const fmt = (x: number, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

function cli(): { cmd: string; pre: string[]; label: string } {
  if (existsSync(join(root, "dist/bundle/analyze.js"))) return { cmd: process.execPath, pre: [join(root, "bin/tcpwin.js")], label: "built CLI" };
  return { cmd: process.execPath, pre: ["--import", "tsx", join(root, "src/cli/entry.ts")], label: "tsx (not built: slower start)" };
}

function timed(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8", cwd: root });
  if (r.status !== 0) throw new Error(`${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<void> {
  const file = await makeBigCapture();
  mkdirSync(BENCH_OUT, { recursive: true });
  const html = join(BENCH_OUT, "report-1m.html");
  const { cmd, pre, label } = cli();
  const json: number[] = [];
  const withHtml: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    json.push(timed(cmd, [...pre, "analyze", "--json", file]));
    withHtml.push(timed(cmd, [...pre, "analyze", "--json", "--html", html, file]));
  }
  const [a, b] = [median(json), median(withHtml)];
  const size = statSync(html).size;
  console.log(`capture: ${file} (${label}; medians of ${REPEAT} interleaved runs)`);
  console.log(`  tcpwin analyze --json F                    ${fmt(a).padStart(7)} ms`);
  console.log(`  tcpwin analyze --json --html R F           ${fmt(b).padStart(7)} ms  (${fmt(b / a, 2)}×; target < 2×: ${b / a < 2 ? "met" : "NOT met"})`);
  console.log(`  report size ${fmt(size / 1e6, 2)} MB (target < 5 MB: ${size < 5e6 ? "met" : "NOT met"})`);
  const why = chromiumSkipReason();
  if (why) {
    console.log(`  browser load: skipped (${why})`);
    return;
  }
  const browser = await launchChromium();
  try {
    const loads: number[] = [];
    for (let i = 0; i < 3; i++) {
      const page = await browser.context.newPage();
      const t0 = Date.now();
      await page.goto(`file://${html}`);
      await page.waitForFunction(() => (globalThis as unknown as { tcpwin?: { ready: boolean } }).tcpwin?.ready === true, null, { timeout: 60_000 });
      loads.push(Date.now() - t0);
      await page.close();
    }
    const l = median(loads);
    console.log(`  chromium (headless) load until every chart is drawn: ${fmt(l)} ms (median of 3; target < 3 s: ${l < 3000 ? "met" : "NOT met"})`);
  } finally {
    await browser.close();
  }
}
