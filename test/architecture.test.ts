/**
 * The house rules of DESIGN.md, checked on every import in src/: dependencies point one way
 * (cli → lab/report/diagnose → protocols → tcp/kernel → capture/model/uapi), model/, diagnose/ and
 * uapi/ do no I/O, only kernel/ loads the FFI, and report/ renders what it is given: no file,
 * socket, thread or process module, and nothing from kernel/ but types (erased at compile time,
 * verbatimModuleSyntax), so no report/ module can reach /proc, netlink or pidfd. protocols/ sits one
 * floor above tcp/: it implements tcp/stream's interfaces and reads its reassembled streams; tcp/
 * never imports a protocol.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));
const RANK: Record<string, number> = { cli: 5, lab: 4, report: 4, diagnose: 4, protocols: 3, tcp: 2, kernel: 2, capture: 1, model: 1, uapi: 1 };

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

const IMPORT = /^\s*(?:import|export)\s[^"']*?from\s*["']([^"']+)["']|^\s*import\s*\(?\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;
/** `import type …` / `export type …`: erased, so it cannot load anything. */
const TYPE_ONLY = /^\s*(?:import|export)\s+type\s/;
/** Node modules that do I/O: report/ may use none of them. */
const IO_MODULES = /^node:(?:fs|fs\/promises|net|dgram|http|https|http2|worker_threads|child_process|cluster|os|readline|tls|dns)$/;

function layerOf(file: string): string {
  return relative(SRC, file).split("/")[0]!.replace(/\.ts$/, "");
}

test("imports point one way and I/O stays where it belongs", () => {
  const problems: string[] = [];
  for (const f of files(SRC)) {
    const from = layerOf(f);
    const text = readFileSync(f, "utf8");
    for (const m of text.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      const typeOnly = TYPE_ONLY.test(m[0]);
      const where = `${relative(SRC, f)} imports ${spec}`;
      if (spec === "koffi" && from !== "kernel") problems.push(`${where}: only src/kernel may load the FFI`);
      if ((from === "model" || from === "diagnose" || from === "uapi") && (spec.startsWith("node:") || spec === "koffi")) problems.push(`${where}: ${from}/ does no I/O`);
      if (from === "report" && !typeOnly && IO_MODULES.test(spec)) problems.push(`${where}: report/ renders data it is given and does no I/O`);
      if (!spec.startsWith(".")) continue;
      const to = layerOf(resolve(dirname(f), spec));
      if (from === "diagnose" && (to === "kernel" || to === "capture")) problems.push(`${where}: diagnose/ is pure policy`);
      if (from === "report" && to === "kernel" && !typeOnly) problems.push(`${where}: report/ may take kernel/ types, never its code (collection lives in kernel/)`);
      if (from === "uapi" && to !== "uapi") problems.push(`${where}: uapi/ is the bottom: pure data, imports nothing`);
      const rf = RANK[from], rt = RANK[to];
      if (rf !== undefined && rt !== undefined && to !== from && (rt > rf || SIDEWAYS_FORBIDDEN.has(`${from}>${to}`))) {
        problems.push(`${where}: ${from}/ may not depend on ${to}/`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
