/**
 * Makes docs/report.png (the README's picture of `tcpwin analyze --html`): the bundled capture's
 * report opened in Debian's headless chromium, zoomed into 18 ms of the transfer, the first two
 * charts. `node --import tsx scripts/report-screenshot.ts` (needs /usr/bin/chromium).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { launchChromium } from "../test/support/chromium.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tcpwin-shot-"));
const html = join(dir, "report.html");
const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/entry.ts"), "analyze", "assets/rcvbuf-1024.pcap", "--html", html], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
if (r.status !== 0) throw new Error(`tcpwin analyze --html: exit ${r.status}`);
const b = await launchChromium();
try {
  const page = await b.context.newPage();
  await page.setViewportSize({ width: 900, height: 900 });
  await page.goto(`file://${html}`);
  await page.waitForFunction(() => (globalThis as unknown as { tcpwin?: { ready: boolean } }).tcpwin?.ready === true);
  await page.evaluate(() => {
    const u = (globalThis as unknown as { tcpwin: { charts: { setScale(k: string, l: { min: number; max: number }): void }[] } }).tcpwin.charts[0]!;
    u.setScale("x", { min: 0.1, max: 0.118 });
  });
  const host = (await page.locator(".charts").first().boundingBox())!;
  const second = (await page.locator(".chart").nth(1).boundingBox())!;
  const out = join(root, "docs/report.png");
  await page.screenshot({ path: out, fullPage: true, clip: { x: host.x, y: host.y, width: host.width, height: second.y + second.height - host.y } });
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await b.close();
  rmSync(dir, { recursive: true, force: true });
}
