/**
 * @module cli/main
 * The `tcpwin` command line: parse, call the library, print. Exit codes (cli/exit-codes): 0 ok,
 * 1 the job failed (unreadable input, a finding that fails a check), 2 bad usage (no or unknown
 * command, unknown option, bad value).
 *
 * Only the module of the command argv names is imported (cli/commands lists the others from
 * metadata). bin/tcpwin.js runs that command's bundle instead when the build made one
 * (dist/bundle/<command>.cjs with its V8 code cache, scripts/bundle.mjs): same program, one file to load.
 */
import { COMMANDS, commandOf } from "./commands/index.js";
import { runProgram, type Register } from "./program.js";

export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./exit-codes.js";
export { buildProgram, type Register } from "./program.js";

/** The register function of command `name` (one of cli/commands COMMANDS), its module imported now. */
export async function loadCommand(name: string): Promise<Register> {
  const meta = COMMANDS.find((c) => c.name === name);
  if (!meta) throw new Error(`no command ${name}`);
  const mod = (await import(`./commands/${meta.module}.js`)) as Record<string, unknown>;
  const register = mod[meta.register];
  if (typeof register !== "function") throw new Error(`cli/commands/${meta.module} does not export ${meta.register}`);
  return register as Register;
}

export async function run(argv: string[]): Promise<number> {
  const name = commandOf(argv);
  return runProgram(argv, name ? { [name]: await loadCommand(name) } : {});
}
