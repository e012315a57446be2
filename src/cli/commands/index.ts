/**
 * @module cli/commands
 * The list of subcommands, as light metadata: name, how the help lists it, and which module
 * registers it. Nothing here imports a command: cli/main imports only the module of the command
 * argv names (and the build bundles each command on its own, scripts/build.mjs), every other
 * command is listed in help from this table alone.
 *
 * Why: importing every command module costs ~70 ms at start-up (koffi for the socket commands,
 * the lab, the analysis engine), paid by every run. A test (test/cli/commands.test.ts) checks
 * that each entry's `term` and `summary` are what its module registers.
 */

export interface CommandMeta {
  /** The word after `tcpwin`. */
  readonly name: string;
  /** How `tcpwin --help` lists it (commander's subcommand term: name, [options], arguments). */
  readonly term: string;
  readonly summary: string;
  /** Its module in this folder, without extension, and the register function it exports. */
  readonly module: string;
  readonly register: string;
}

export const COMMANDS: readonly CommandMeta[] = [
  { name: "model", term: "model [options]", summary: "how long N bytes take over TCP, and what buffer a deadline needs", module: "model", register: "registerModel" },
  { name: "demo", term: "demo [options]", summary: "run the main job on the bundled example (what `npm start` does)", module: "demo", register: "registerDemo" },
  { name: "analyze", term: "analyze [options] <file>", summary: "analyse a pcap/pcapng capture: per-connection evidence and a verdict", module: "analyze", register: "registerAnalyze" },
  { name: "sockets", term: "sockets [options]", summary: "live TCP sockets: buffers, windows, time limited by the peer's window (sock_diag)", module: "sockets", register: "registerSockets" },
  { name: "watch", term: "watch [options]", summary: "sample live connections: rate, time limited by the peer's window or our buffer, verdict", module: "watch", register: "registerWatch" },
  { name: "exporter", term: "exporter [options]", summary: "Prometheus endpoint: per process and port, time limited by the peer's window or our buffer", module: "exporter", register: "registerExporter" },
  { name: "trace", term: "trace [options] [command...]", summary: "who set that buffer: setsockopt/getsockopt of SO_RCVBUF, SO_SNDBUF, TCP_MAXSEG... (strace)", module: "trace", register: "registerTrace" },
  { name: "rocketmq", term: "rocketmq", summary: "RocketMQ: effective socket buffers of a name server or broker (config file, -D, version) and lint", module: "rocketmq", register: "registerRocketmq" },
  { name: "lab", term: "lab", summary: "reproduce window-limited transfers: bulk client/server, link emulator, model validation", module: "lab", register: "registerLab" },
];

/**
 * The command `argv` (process.argv: node, script, args...) runs, when it is one of COMMANDS:
 * the first word that is not an option (the program's own options are flags only: -V, -h), or
 * the word after `help`. Undefined for no command, an unknown one, or `help` alone.
 */
export function commandOf(argv: readonly string[]): string | undefined {
  const words = argv.slice(2).filter((a) => !a.startsWith("-"));
  const word = words[0] === "help" ? words[1] : words[0];
  return COMMANDS.some((c) => c.name === word) ? word : undefined;
}
