/**
 * The house rules of DESIGN.md, checked on every import in src/: dependencies point one way
 * (cli → lab/report/diagnose → protocols → tcp/kernel → capture/model), model/ and diagnose/ do no
 * I/O, and only kernel/ loads the FFI. protocols/ sits one floor above tcp/: it implements tcp/stream's
 * interfaces and reads its reassembled streams; tcp/ never imports a protocol.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));
const RANK: Record<string, number> = { cli: 5, lab: 4, report: 4, diagnose: 4, protocols: 3, tcp: 2, kernel: 2, capture: 1, model: 1 };

/** Same-rank imports that would still break a rule: pure policy reaching for I/O, analysis reaching for the OS. */
const SIDEWAYS_FORBIDDEN = new Set(["diagnose>lab", "diagnose>report", "tcp>kernel", "kernel>tcp", "capture>model", "model>capture"]);

function files(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) files(p, out);
    else if (n.endsWith(".ts") && !n.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const IMPORT = /^\s*(?:import|export)\s[^"']*?from\s*["']([^"']+)["']|^\s*import\s*\(?\s*["']([^"']+)["']/gm;

function layerOf(file: string): string {
  return relative(SRC, file).split("/")[0]!.replace(/\.ts$/, "");
}

test("imports point one way and I/O stays where it belongs", () => {
  const problems: string[] = [];
  for (const f of files(SRC)) {
    const from = layerOf(f);
    const text = readFileSync(f, "utf8");
    for (const m of text.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      const where = `${relative(SRC, f)} imports ${spec}`;
      if (spec === "koffi" && from !== "kernel") problems.push(`${where}: only src/kernel may load the FFI`);
      if ((from === "model" || from === "diagnose") && (spec.startsWith("node:") || spec === "koffi")) problems.push(`${where}: ${from}/ does no I/O`);
      if (!spec.startsWith(".")) continue;
      const to = layerOf(resolve(dirname(f), spec));
      if (from === "diagnose" && (to === "kernel" || to === "capture")) problems.push(`${where}: diagnose/ is pure policy`);
      const rf = RANK[from], rt = RANK[to];
      if (rf !== undefined && rt !== undefined && to !== from && (rt > rf || SIDEWAYS_FORBIDDEN.has(`${from}>${to}`))) {
        problems.push(`${where}: ${from}/ may not depend on ${to}/`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
