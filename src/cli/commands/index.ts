/**
 * @module cli/commands
 * Every subcommand registers itself here; one line each in COMMANDS (name → its module's
 * register function, imported on demand).
 *
 * Why on demand: importing every command module costs ~70 ms at start-up (koffi for the socket
 * commands, the lab, the analysis engine settling its shapes), paid by every run. When argv names a
 * command, only that command's module is imported; `--help`, `help`, no command or an unknown one
 * (which needs every name for "did you mean") import them all.
 */
import type { Command } from "commander";

type Register = (program: Command) => void;

const COMMANDS: Record<string, () => Promise<Register>> = {
  model: async () => (await import("./model.js")).registerModel,
  demo: async () => (await import("./demo.js")).registerDemo,
  analyze: async () => (await import("./analyze.js")).registerAnalyze,
  sockets: async () => (await import("./sockets.js")).registerSockets,
  watch: async () => (await import("./watch.js")).registerWatch,
  trace: async () => (await import("./trace.js")).registerTrace,
  lab: async () => (await import("./lab.js")).registerLab,
};

/** `argv` as process.argv (node, script, args...); without it every command is registered. */
export async function registerCommands(program: Command, argv?: readonly string[]): Promise<void> {
  // The program's own options are flags only (-V, -h), so the first non-option word is the command.
  const first = argv?.slice(2).find((a) => !a.startsWith("-"));
  const only = first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS);
  const registers = await Promise.all(only.map((name) => COMMANDS[name]!()));
  for (const register of registers) register(program);
}
