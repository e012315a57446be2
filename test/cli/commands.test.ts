/**
 * The program itself: no command is a usage error (help, exit 2), every command's help ends with
 * its exit statuses from the one table (cli/exit-codes), the light command list (cli/commands)
 * says what each module registers, and the built `bin/tcpwin.js` (per-command bundles) behaves as
 * the source does.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import type { Command } from "commander";
import { COMMANDS, commandOf } from "../../src/cli/commands/index.js";
import { DESCRIBED_COMMANDS, exitStatusHelp } from "../../src/cli/exit-codes.js";
import { buildProgram, loadCommand, type Register } from "../../src/cli/main.js";
import { ROOT, runCli } from "./run-cli.js";

async function allLoaded(): Promise<Record<string, Register>> {
  const loaded: Record<string, Register> = {};
  for (const c of COMMANDS) loaded[c.name] = await loadCommand(c.name);
  return loaded;
}

/** Everything `cmd --help` prints, help texts added with addHelpText included. */
function helpOf(cmd: Command): string {
  let out = "";
  cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  cmd.outputHelp();
  return out;
}

function walk(cmd: Command, path: string[] = []): [string, Command][] {
  return cmd.commands.filter((c) => c.name() !== "help").flatMap((c) => [[[...path, c.name()].join(" "), c] as [string, Command], ...walk(c, [...path, c.name()])]);
}

test("tcpwin with no arguments: the help on stderr, exit 2", () => {
  const r = runCli([]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^Usage: tcpwin \[options\] \[command\]/);
  for (const c of COMMANDS) assert.match(r.stderr, new RegExp(`\\n  ${c.name}\\b`), c.name);
  assert.match(r.stderr, /Exit status:\n  0  done\n  1  .*\n  2  bad usage/);
});

test("a command that needs a subcommand, without one: help, exit 2; --help and help: exit 0", () => {
  const lab = runCli(["lab"]);
  assert.equal(lab.status, 2);
  assert.match(lab.stderr, /^Usage: tcpwin lab/);
  for (const args of [["--help"], ["help"], ["lab", "--help"], ["help", "analyze"], ["-V"]]) {
    const r = runCli(args);
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
  }
  const unknown = runCli(["anlyze", "x.pcap"]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command 'anlyze'\n\(Did you mean analyze\?\)/);
});

test("every command's --help ends with its exit statuses, from cli/exit-codes", async () => {
  const program = buildProgram(await allLoaded());
  const commands = walk(program);
  assert.ok(commands.length >= COMMANDS.length + 4, commands.map(([p]) => p).join(", "));
  assert.ok(helpOf(program).endsWith(exitStatusHelp("", true) + "\n"), helpOf(program));
  for (const [path, cmd] of commands) {
    const help = helpOf(cmd);
    const section = exitStatusHelp(path, cmd.commands.length > 0);
    assert.ok(help.endsWith(section + "\n"), `${path} --help does not end with its exit statuses:\n${help}`);
    assert.equal(help.match(/Exit status/g)?.length, 1, `${path}: one exit-status list`);
    assert.doesNotMatch(help, /\n\n\nExit status/, `${path}: one blank line before the list`);
  }
  // The table describes real commands only.
  const paths = new Set(commands.map(([p]) => p));
  for (const p of DESCRIBED_COMMANDS) assert.ok(paths.has(p), `cli/exit-codes describes "${p}", which is no command`);
  // Specific statuses are where they belong.
  assert.match(exitStatusHelp("analyze"), /1 {2}the capture could not be read/);
  assert.match(exitStatusHelp("lab link"), /N +with --client: the client command's own status/);
  assert.match(exitStatusHelp("trace"), /N +with a command: the command's own status/);
});

test("analyze --help from the command line lists the exit statuses", () => {
  const r = runCli(["analyze", "--help"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\nExit status:\n  0  analysed[^\n]*\n  1  the capture could not be read[\s\S]*\n  2  bad usage/);
});

test("cli/commands metadata is what each module registers; the listing is the same without loading them", async () => {
  const loaded = await allLoaded();
  const full = buildProgram(loaded);
  const help = full.createHelp();
  for (const meta of COMMANDS) {
    const cmd = full.commands.find((c) => c.name() === meta.name);
    assert.ok(cmd, `${meta.module} registers no command ${meta.name}`);
    assert.equal(cmd.summary(), meta.summary, `${meta.name}: summary`);
    assert.equal(help.subcommandTerm(cmd), meta.term, `${meta.name}: term`);
  }
  assert.deepEqual(full.commands.map((c) => c.name()), COMMANDS.map((c) => c.name));
  const light = buildProgram({});
  assert.equal(light.helpInformation(), full.helpInformation());
  // Only the named command is real: a stand-in has no options.
  const one = buildProgram({ model: loaded.model! });
  assert.ok(one.commands.find((c) => c.name() === "model")!.options.length > 3);
  assert.equal(one.commands.find((c) => c.name() === "analyze")!.options.length, 0);
});

test("commandOf: the first word that is not an option, or the one after help", () => {
  const argv = (...a: string[]) => ["node", "tcpwin", ...a];
  assert.equal(commandOf(argv("analyze", "x.pcap")), "analyze");
  assert.equal(commandOf(argv("--help", "model")), "model");
  assert.equal(commandOf(argv("help", "lab")), "lab");
  assert.equal(commandOf(argv("lab", "link", "--rtt", "1ms")), "lab");
  for (const none of [argv(), argv("--help"), argv("help"), argv("-V"), argv("anlyze"), argv("help", "nope")]) assert.equal(commandOf(none), undefined, none.join(" "));
});

// The installed entry: bin/tcpwin.js runs dist/bundle/<command>.cjs (npm run build). Skipped when the
// build is missing or older than src/, since it would test stale code.
const BIN = join(ROOT, "bin/tcpwin.js");
const BUNDLES = join(ROOT, "dist/bundle");
function newestSource(dir: string): number {
  let t = 0;
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newestSource(p) : s.mtimeMs);
  }
  return t;
}
const bundleSkip = !existsSync(join(BUNDLES, "no-command.cjs"))
  ? "dist/bundle/ not built (npm run build)"
  : statSync(join(BUNDLES, "no-command.cjs")).mtimeMs < newestSource(join(ROOT, "src"))
    ? "dist/bundle/ is older than src/ (npm run build)"
    : false;

function runBin(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("bin/tcpwin.js (built bundles) answers as the source does", { skip: bundleSkip }, () => {
  for (const c of COMMANDS) {
    assert.ok(existsSync(join(BUNDLES, `${c.name}.cjs`)), `dist/bundle/${c.name}.cjs`);
    assert.ok(existsSync(join(BUNDLES, `${c.name}.cjs.cache`)), `dist/bundle/${c.name}.cjs.cache (V8 code cache)`);
  }
  const cases = [
    ["model", "--size", "2079208", "--rtt", "1.66ms", "--mss", "574", "--rcvbuf", "1024", "--kernel", "6.18", "--json"],
    ["analyze", "assets/rcvbuf-1024.pcap", "--json", "--deadline", "4ms"],
    ["demo"],
    ["trace", "--help"],
    ["lab", "link", "--help"],
    [],
    ["--help"],
    ["model", "--rtt", "0"],
  ];
  for (const args of cases) {
    const bin = runBin(args);
    const src = runCli(args);
    assert.deepEqual(bin, { status: src.status, stdout: src.stdout, stderr: src.stderr }, args.join(" "));
  }
  // sockets reads the kernel: its JSON parses.
  const s = runBin(["sockets", "--json", "--state", "listen"]);
  assert.equal(s.status, 0, s.stderr);
  assert.ok(Array.isArray(JSON.parse(s.stdout)));
});

// bin/tcpwin.js run as the command (its #!/bin/sh line): node starts without NODE_EXTRA_CA_CERTS,
// and every process tcpwin starts gets it back (here trace's command, under strace).
const straceSkip = spawnSync("sh", ["-c", "command -v strace"]).status === 0 ? false : "needs strace (trace runs the command under it)";
test("bin/tcpwin.js as a command: same answers, and the user's NODE_EXTRA_CA_CERTS reaches its children", { skip: bundleSkip || straceSkip }, () => {
  const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, NODE_EXTRA_CA_CERTS: "/nonexistent/ca.pem" };
  const direct = spawnSync(BIN, ["model", "--size", "2MB", "--rtt", "1ms", "--mss", "1448", "--rcvbuf", "4096", "--json"], { cwd: ROOT, encoding: "utf8", timeout: 60_000, env });
  const viaNode = runBin(["model", "--size", "2MB", "--rtt", "1ms", "--mss", "1448", "--rcvbuf", "4096", "--json"]);
  assert.equal(direct.status, 0, direct.stderr);
  // With the variable in node's own environment, a missing file would be warned about at start-up.
  assert.equal(direct.stderr, "");
  assert.equal(direct.stdout, viaNode.stdout);
  const t = spawnSync(BIN, ["trace", "--", "sh", "-c", 'echo "ca=$NODE_EXTRA_CA_CERTS saved=${TCPWIN_NODE_EXTRA_CA_CERTS-unset}"'], { cwd: ROOT, encoding: "utf8", timeout: 60_000, env });
  assert.match(t.stdout + t.stderr, /ca=\/nonexistent\/ca\.pem saved=unset/);
});

// A code cache V8 rejects (another node, other flags, or damaged) or none at all: the bundle compiles without it.
test("bin/tcpwin.js: a bundle whose code cache is damaged or missing runs the same", { skip: bundleSkip }, () => {
  const tmp = mkdtempSync(join(tmpdir(), "tcpwin-bin-"));
  try {
    mkdirSync(join(tmp, "bin"));
    mkdirSync(join(tmp, "dist/bundle"), { recursive: true });
    for (const f of ["bin/tcpwin.js", "bin/package.json", "package.json", "dist/bundle/model.cjs"]) copyFileSync(join(ROOT, f), join(tmp, f));
    const args = ["model", "--size", "2079208", "--rtt", "1.66ms", "--mss", "574", "--rcvbuf", "1024", "--json"];
    const want = runBin(args);
    const run = () => spawnSync(process.execPath, [join(tmp, "bin/tcpwin.js"), ...args], { encoding: "utf8", timeout: 60_000 });
    const none = run();
    assert.deepEqual([none.status, none.stdout, none.stderr], [want.status, want.stdout, want.stderr]);
    writeFileSync(join(tmp, "dist/bundle/model.cjs.cache"), Buffer.alloc(4096, 0x5a));
    const bad = run();
    assert.deepEqual([bad.status, bad.stdout, bad.stderr], [want.status, want.stdout, want.stderr]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
