#!/usr/bin/env node
// Entry point of the `tcpwin` command: runs the compiled CLI (npm install / npm run build make dist/).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("tcpwin: not built yet: run `npm install` (or `npm run build`) in the project folder first\n");
  process.exit(2);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv);
