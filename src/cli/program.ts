/**
 * @module cli/program
 * The `tcpwin` program: commander set up once (errors as one line naming the command, every
 * command's help ending with its exit statuses), the commands given registered, every other one
 * listed from its metadata; and the run: parse, map what was thrown to an exit status.
 * cli/main loads the command to register; the per-command bundles (scripts/build.mjs) import it.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { TcpwinError, UsageError } from "../errors.js";
import { COMMANDS } from "./commands/index.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitStatusHelp } from "./exit-codes.js";

/** What each command module exports: adds its command (with options and action) to the program. */
export type Register = (program: Command) => void;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/**
 * The program with the commands in `loaded` (name → its register function) registered for real and
 * the others as stand-ins that only list themselves in `tcpwin --help` (from cli/commands COMMANDS).
 */
export function buildProgram(loaded: Readonly<Record<string, Register>>): Command {
  const program = new Command("tcpwin")
    .description("Why is this TCP request slow? Evidence from captures, live sockets and a reproduction lab.")
    .version(packageVersion(), "-V, --version")
    .showSuggestionAfterError(true)
    // The program's own options (-V, --version) only before the command: `rocketmq config
    // --version 4.9.2` is the command's option, not the program's.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`tcpwin: ${str.replace(/^error: /, "")}`) });
  const terms = new Map<Command, string>();
  for (const meta of COMMANDS) {
    const register = loaded[meta.name];
    if (register) {
      register(program);
      continue;
    }
    const standIn = program.command(meta.name).summary(meta.summary).allowUnknownOption().allowExcessArguments();
    standIn.action(() => {
      throw new Error(`command ${meta.name} was not loaded`);
    });
    terms.set(standIn, meta.term);
  }
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd) ?? defaultTerm(cmd) });
  program.addHelpText("after", exitStatusHelp("", true));
  program.commands.forEach((c) => propagate(c));
  return program;
}

const defaultTerm = (cmd: Command): string => new Command().createHelp().subcommandTerm(cmd);

/**
 * Subcommands inherit exitOverride and the one-line error format, named by their full path
 * ("tcpwin lab link"), and their help ends with their exit statuses (cli/exit-codes).
 */
function propagate(cmd: Command, prefix = "tcpwin"): void {
  const path = `${prefix} ${cmd.name()}`;
  cmd.exitOverride().configureOutput({ outputError: (str, write) => write(`${path}: ${str.replace(/^error: /, "")}`) });
  // The commands' own after-texts (examples) end with a blank line already.
  const section = exitStatusHelp(path.slice("tcpwin ".length), cmd.commands.length > 0);
  cmd.addHelpText("after", (cmd as unknown as NodeJS.EventEmitter).listenerCount("afterHelp") > 0 ? section.replace(/^\n/, "") : section);
  cmd.commands.forEach((c) => propagate(c, path));
}

/** `tcpwin ... | head` closes the pipe early: that is the reader's choice, not an error. */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(EXIT_OK);
    throw e;
  });
}

/** Parses and runs `argv` (process.argv: node, script, args...); resolves to the exit status. */
export async function runProgram(argv: readonly string[], loaded: Readonly<Record<string, Register>>): Promise<number> {
  quietOnClosedPipe(process.stdout);
  const program = buildProgram(loaded);
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT_OK;
  } catch (e) {
    // --help, --version and `help` exit 0; everything else commander stops on is a usage error,
    // including no command at all (`tcpwin`, `tcpwin lab`: help on stderr).
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
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
