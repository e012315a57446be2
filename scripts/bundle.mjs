/**
 * Second step of `npm run build` (after tsc wrote dist/): one file per command, so a run loads one
 * script instead of 12–60 modules (and commander as plain CommonJS inside it, not through Node's
 * ESM→CJS bridge, ~13 ms alone), then V8's code cache of each, made by running it once.
 *
 *   dist/bundle/<command>.cjs        cli/program + that command (every other one listed from metadata)
 *   dist/bundle/no-command.cjs       cli/program alone: tcpwin, --help, --version, an unknown command
 *   dist/bundle/<command>.cjs.cache  V8's code cache of that bundle after a warm-up run (WARM_UP)
 *   dist/<dir>/<x>-worker.js         each worker thread's script, bundled in place of tsc's output
 *
 * Each command bundle exports run(argv), as dist/cli/main.js does; bin/tcpwin.js picks the one
 * argv names, compiles it with its cache (falls back to dist/cli/main.js without bundles). The
 * bundles are CommonJS: bin/tcpwin.js compiles them as a vm.Script, the one way Node 20 takes a code
 * cache for a file, and the ES module loader then never starts (~15 M instructions). koffi stays
 * outside (a native addon, loaded from node_modules as before). `import.meta.url` in each source
 * file is rewritten to the URL of that file's tsc output in dist/, so every path made from it
 * (package.json, assets/, the worker threads' scripts) is the same as in the unbundled build.
 *
 * Measured (callgrind instructions, whole process, NODE_EXTRA_CA_CERTS unset; node -e 0 = 89 M):
 * `analyze --json` of the bundled capture 321 M as an ES module bundle → 258 M with the code cache.
 * A V8 startup snapshot (node --build-snapshot) of the same bundle cut instructions as much but
 * read and deserialised a 5 MB blob per start: more page faults and system time, and slower in wall
 * time (median 135 ms against 126 ms), so it is not used.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

const root = fileURLToPath(new URL("../", import.meta.url));
const dist = join(root, "dist");
const outdir = join(dist, "bundle");
const { COMMANDS } = await import(pathToFileURL(join(dist, "cli/commands/index.js")).href);

/**
 * Each src/ file's import.meta.url as the URL of its compiled twin in dist/, relative to the bundle
 * in `outdir` (whose own URL is `base`: import.meta.url in an ES module, the banner's in CommonJS).
 */
const metaUrlAsInDist = (outdir, base = "import.meta.url") => ({
  name: "import-meta-url-as-in-dist",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, ({ path }) => {
      let source = readFileSync(path, "utf8");
      const rel = relative(join(root, "src"), path);
      if (!rel.startsWith("..") && source.includes("import.meta.url")) {
        const twin = relative(outdir, join(dist, rel.replace(/\.ts$/, ".js")));
        source = source.replaceAll("import.meta.url", `new URL(${JSON.stringify(twin)}, ${base}).href`);
      }
      return { contents: source, loader: "ts" };
    });
  },
});

const entries = [
  { name: "no-command", contents: `import { runProgram } from "./src/cli/program.ts";\nexport const run = (argv) => runProgram(argv, {});\n` },
  ...COMMANDS.map((c) => ({
    name: c.name,
    contents:
      `import { runProgram } from "./src/cli/program.ts";\nimport { ${c.register} } from "./src/cli/commands/${c.module}.ts";\n` +
      `export const run = (argv) => runProgram(argv, { ${JSON.stringify(c.name)}: ${c.register} });\n`,
  })),
];

/** The worker threads' scripts: bundled in place of their tsc output, so a thread loads one file too. */
const WORKERS = ["capture/decode-worker", "kernel/sock-diag-worker", "lab/bulk/receiver-worker", "lab/link/forwarder-worker"];

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  external: ["koffi"],
  sourcemap: true,
  logLevel: "warning",
};
/** Worker scripts: ES modules; commander is not in them, but a CommonJS dependency would need a require. */
const esm = {
  ...common,
  format: "esm",
  banner: { js: `import { createRequire as __tcpwinRequire } from "node:module";\nconst require = __tcpwinRequire(import.meta.url);` },
};
/** Command bundles: CommonJS run by bin/tcpwin.js (require, __filename given by it). */
const cjs = {
  ...common,
  format: "cjs",
  banner: { js: `const __tcpwinUrl = require("node:url").pathToFileURL(__filename).href;` },
  // worker-entry's import.meta.resolve is only reached when running from source (.ts).
  logOverride: { "empty-import-meta": "silent" },
};

/**
 * What each bundle runs once at build time before its code cache is written (stdout and stderr
 * discarded): the paths a real run takes, so their functions are in the cache. Commands that need a
 * tool, root or time (trace, lab, watch) only print their help.
 */
const capture = join(root, "assets/rcvbuf-1024.pcap");
const WARM_UP = {
  "no-command": [["--help"], ["--version"]],
  analyze: [["analyze", "--json", capture], ["analyze", capture], ["analyze", "--packets", capture]],
  demo: [["demo"]],
  model: [["model", "--size", "2079208", "--rtt", "1.66ms", "--mss", "574", "--rcvbuf", "1024"], ["model", "--size", "2MB", "--rtt", "1ms", "--mss", "1448", "--deadline", "3s", "--json"]],
  sockets: [["sockets", "--json"], ["sockets"]],
  watch: [["watch", "--help"]],
  trace: [["trace", "--help"]],
  lab: [["lab", "--help"]],
};

/** Run bin/tcpwin.js in its code-cache mode for one bundle; resolves to an error text or null. */
function writeCodeCache(name) {
  const runs = WARM_UP[name] ?? [[name, "--help"]];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, "bin/tcpwin.js")], {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, TCPWIN_WRITE_CODE_CACHE: JSON.stringify(runs), NO_COLOR: "1" },
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const cache = join(outdir, `${name}.cjs.cache`);
      resolve(code === 0 && existsSync(cache) ? null : `${name}: warm-up exited ${signal ?? code}: ${err.trim().slice(-300)}`);
    });
  });
}

rmSync(outdir, { recursive: true, force: true });
const t0 = performance.now();
await Promise.all([
  ...entries.map((e) =>
    esbuild.build({
      ...cjs,
      stdin: { contents: e.contents, resolveDir: root, sourcefile: `bundle-${e.name}.ts`, loader: "ts" },
      outfile: join(outdir, `${e.name}.cjs`),
      plugins: [metaUrlAsInDist(outdir, "__tcpwinUrl")],
    }),
  ),
  ...WORKERS.map((w) => {
    const outfile = join(dist, `${w}.js`);
    if (!existsSync(outfile)) throw new Error(`scripts/bundle.mjs: no ${outfile} (a worker renamed? update WORKERS)`);
    return esbuild.build({ ...esm, entryPoints: [join(root, "src", `${w}.ts`)], outfile, allowOverwrite: true, plugins: [metaUrlAsInDist(dirname(outfile))] });
  }),
]);
const t1 = performance.now();
// A missing cache only costs start-up time (the bundle compiles as without it): warn, do not fail.
const failed = (await Promise.all(entries.map((e) => writeCodeCache(e.name)))).filter((x) => x !== null);
for (const f of failed) process.stderr.write(`scripts/bundle.mjs: no code cache for ${f}\n`);
process.stdout.write(
  `bundled ${entries.length} commands into dist/bundle/ and ${WORKERS.length} worker scripts in place, in ${(t1 - t0).toFixed(0)} ms; ` +
    `code caches of ${entries.length - failed.length} in ${(performance.now() - t1).toFixed(0)} ms\n`,
);
