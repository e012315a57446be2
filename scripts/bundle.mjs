/**
 * Second step of `npm run build` (after tsc wrote dist/): one file per command, so a run loads one
 * module instead of 12–60 (and commander as plain CommonJS inside it, not through Node's ESM→CJS
 * bridge, ~13 ms alone). Whole processes on the 2-vCPU VM, hyperfine means, `node -e 0` = 80 ms
 * here: `model` 108 → 80 ms, `analyze` on the bundled capture 157 → 112 ms, `sockets --json`
 * (a few sockets) 124 → 116 ms.
 *
 *   dist/bundle/<command>.js   cli/program + that command (every other one listed from metadata)
 *   dist/bundle/no-command.js  cli/program alone: tcpwin, --help, --version, an unknown command
 *   dist/<dir>/<x>-worker.js   each worker thread's script, bundled in place of tsc's output
 *
 * Each command bundle exports run(argv), as dist/cli/main.js does; bin/tcpwin.js picks the one
 * argv names and falls back to dist/cli/main.js. koffi stays outside (a native addon, loaded from
 * node_modules as before). `import.meta.url` in each source file is rewritten to the URL of that
 * file's tsc output in dist/, so every path made from it (package.json, assets/, the worker
 * threads' scripts) is the same as in the unbundled build.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

const root = fileURLToPath(new URL("../", import.meta.url));
const dist = join(root, "dist");
const outdir = join(dist, "bundle");
const { COMMANDS } = await import(pathToFileURL(join(dist, "cli/commands/index.js")).href);

/** Each src/ file's import.meta.url as the URL of its compiled twin in dist/, relative to the bundle in `outdir`. */
const metaUrlAsInDist = (outdir) => ({
  name: "import-meta-url-as-in-dist",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, ({ path }) => {
      let source = readFileSync(path, "utf8");
      const rel = relative(join(root, "src"), path);
      if (!rel.startsWith("..") && source.includes("import.meta.url")) {
        const twin = relative(outdir, join(dist, rel.replace(/\.ts$/, ".js")));
        source = source.replaceAll("import.meta.url", `new URL(${JSON.stringify(twin)}, import.meta.url).href`);
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
  format: "esm",
  target: "node20",
  external: ["koffi"],
  // commander is CommonJS: its require() of Node's modules needs a require in an ES module.
  banner: { js: `import { createRequire as __tcpwinRequire } from "node:module";\nconst require = __tcpwinRequire(import.meta.url);` },
  sourcemap: true,
  logLevel: "warning",
};

rmSync(outdir, { recursive: true, force: true });
const t0 = performance.now();
await Promise.all([
  ...entries.map((e) =>
    esbuild.build({
      ...common,
      stdin: { contents: e.contents, resolveDir: root, sourcefile: `bundle-${e.name}.ts`, loader: "ts" },
      outfile: join(outdir, `${e.name}.js`),
      plugins: [metaUrlAsInDist(outdir)],
    }),
  ),
  ...WORKERS.map((w) => {
    const outfile = join(dist, `${w}.js`);
    if (!existsSync(outfile)) throw new Error(`scripts/bundle.mjs: no ${outfile} (a worker renamed? update WORKERS)`);
    return esbuild.build({ ...common, entryPoints: [join(root, "src", `${w}.ts`)], outfile, allowOverwrite: true, plugins: [metaUrlAsInDist(dirname(outfile))] });
  }),
]);
process.stdout.write(`bundled ${entries.length} commands into dist/bundle/ and ${WORKERS.length} worker scripts in place, in ${(performance.now() - t0).toFixed(0)} ms\n`);
