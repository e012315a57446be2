#!/bin/sh
":" //; if [ -n "${NODE_EXTRA_CA_CERTS+x}" ]; then export TCPWIN_NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"; unset NODE_EXTRA_CA_CERTS; fi; exec node "$0" "$@"
"use strict";
// Entry point of the `tcpwin` command. The file is both a shell script and CommonJS (bin/package.json):
//
// - Run as the command (its #! line): two lines of sh start node on this same file, without
//   NODE_EXTRA_CA_CERTS. Node parses every certificate of that file at start-up, before any script,
//   whether or not the process makes a TLS connection (tcpwin makes none): 40 ms of the 98 ms of
//   `node -e 0` on a machine that sets it to the system bundle. The value travels as
//   TCPWIN_NODE_EXTRA_CA_CERTS and is put back below, before anything runs, so every process tcpwin
//   starts (trace's command, the lab's tools) sees the user's environment unchanged. sh + exec costs
//   ~1 ms; no second node start.
// - Run as `node bin/tcpwin.js`: the JS below only (the shell line is a string and a comment).
//
// The command argv names runs from its single-file bundle (dist/bundle/<command>.cjs, made by
// scripts/bundle.mjs), compiled with V8's code cache (<command>.cjs.cache, written by the build
// after a warm-up run): no parsing and no compiling of the functions a run needs, ~60 M instructions
// of the ~230 M tcpwin adds to node's start on `analyze` of the bundled capture. A cache V8 rejects
// (another node version or V8 flags) is ignored: the bundle compiles as without it. Without
// bundles, dist/cli/main.js (ES modules, slower to load).
const { existsSync, readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const savedCa = process.env.TCPWIN_NODE_EXTRA_CA_CERTS;
if (savedCa !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = savedCa;
  delete process.env.TCPWIN_NODE_EXTRA_CA_CERTS;
}

const dist = join(__dirname, "..", "dist");

/** The command argv names (as cli/commands commandOf: first word that is no option, or the one after `help`). */
function commandWord(argv) {
  const words = argv.slice(2).filter((a) => !a.startsWith("-"));
  const word = words[0] === "help" ? words[1] : words[0];
  return word !== undefined && /^[a-z]+$/.test(word) ? word : undefined;
}

/** The bundle's exports, compiled with its code cache when V8 accepts it. */
function loadBundle(file) {
  const vm = require("node:vm");
  const { createRequire } = require("node:module");
  const { dirname } = require("node:path");
  const source = readFileSync(file, "utf8");
  let cachedData;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    cachedData = undefined; // not built: compile as usual
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, dirname(file));
  return { exports: mod.exports, script };
}

/**
 * The build's warm-up (scripts/bundle.mjs): TCPWIN_WRITE_CODE_CACHE is a JSON list of argument lists
 * of one command; run each, then write that bundle's code cache with every function they compiled.
 */
async function writeCodeCache(runs) {
  const file = join(dist, "bundle", `${commandWord(["", "", ...runs[0]]) ?? "no-command"}.cjs`);
  const { exports, script } = loadBundle(file);
  for (const args of runs) {
    try {
      await exports.run([process.argv[0], __filename, ...args]);
    } catch {
      // a warm-up that cannot run here (no kernel interface, no tool) still compiled what it reached
    }
  }
  writeFileSync(`${file}.cache`, script.createCachedData());
  process.exit(0);
}

async function main() {
  if (process.env.TCPWIN_WRITE_CODE_CACHE) return writeCodeCache(JSON.parse(process.env.TCPWIN_WRITE_CODE_CACHE));
  const bundles = join(dist, "bundle");
  const word = commandWord(process.argv);
  let file = word === undefined ? undefined : join(bundles, `${word}.cjs`);
  if (file === undefined || !existsSync(file)) file = join(bundles, "no-command.cjs");
  if (existsSync(file)) {
    process.exitCode = await loadBundle(file).exports.run(process.argv);
    return;
  }
  const main = join(dist, "cli", "main.js");
  if (!existsSync(main)) {
    process.stderr.write("tcpwin: not built yet: run `npm install` (or `npm run build`) in the project folder first\n");
    process.exitCode = 2;
    return;
  }
  const { pathToFileURL } = require("node:url");
  const { run } = await import(pathToFileURL(main).href);
  process.exitCode = await run(process.argv);
}

main().catch((e) => {
  process.stderr.write(`tcpwin: internal error: ${e && e.stack ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
