/**
 * @module cli/main
 * The `tcpwin` command line: parse, call the library, print. Exit codes: 0 ok, 1 the job failed
 * (unreadable input, a finding that fails a check), 2 bad usage (unknown command/option, bad value).
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { TcpwinError, UsageError } from "../errors.js";
import { registerCommands } from "./commands/index.js";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** The program with every command, or with only the command `argv` names (see commands/index). */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command("tcpwin")
    .description("Why is this TCP request slow? Evidence from captures, live sockets and a reproduction lab.")
    .version(packageVersion(), "-V, --version")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`tcpwin: ${str.replace(/^error: /, "")}`) });
  await registerCommands(program, argv);
  program.commands.forEach((c) => propagate(c));
  return program;
}

/** Subcommands inherit exitOverride and the one-line error format, named by their full path ("tcpwin lab link"). */
function propagate(cmd: Command, prefix = "tcpwin"): void {
  const path = `${prefix} ${cmd.name()}`;
  cmd.exitOverride().configureOutput({ outputError: (str, write) => write(`${path}: ${str.replace(/^error: /, "")}`) });
  cmd.commands.forEach((c) => propagate(c, path));
}

/** `tcpwin ... | head` closes the pipe early: that is the reader's choice, not an error. */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(EXIT_OK);
    throw e;
  });
}

export async function run(argv: string[]): Promise<number> {
  quietOnClosedPipe(process.stdout);
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return EXIT_OK;
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`tcpwin: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof TcpwinError) {
      process.stderr.write(`tcpwin: ${e.message}\n`);
      return EXIT_FAILURE;
    }
    process.stderr.write(`tcpwin: internal error: ${e instanceof Error ? (process.env.TCPWIN_DEBUG ? e.stack : e.message) : String(e)}\n`);
    return EXIT_FAILURE;
  }
}
