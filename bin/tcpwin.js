#!/usr/bin/env node
// Entry point of the `tcpwin` command: runs the compiled CLI (npm install / npm run build make dist/).
// The command argv names runs from its single-file bundle (dist/bundle/<command>.js, made by
// scripts/bundle.mjs): one module to load instead of dozens. Without bundles, dist/cli/main.js.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dist = new URL("../dist/", import.meta.url);
const main = new URL("cli/main.js", dist);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("tcpwin: not built yet: run `npm install` (or `npm run build`) in the project folder first\n");
  process.exit(2);
}
const { commandOf } = await import(new URL("cli/commands/index.js", dist).href);
const bundle = new URL(`bundle/${commandOf(process.argv) ?? "no-command"}.js`, dist);
const { run } = await import((existsSync(fileURLToPath(bundle)) ? bundle : main).href);
process.exitCode = await run(process.argv);
