/**
 * @module cli/exit-codes
 * The one list of tcpwin's exit statuses: the codes main.ts returns and the "Exit status" section
 * every command's --help ends with (added by cli/program for each command, so no command can miss it).
 */

export const EXIT_OK = 0;
/** The job failed: unreadable input, a failed system call, a check that did not pass. */
export const EXIT_FAILURE = 1;
/** Bad usage: no or unknown command, unknown option, missing or bad value. */
export const EXIT_USAGE = 2;

interface CommandExits {
  /** What 0 means here, when more than "done". */
  ok?: string;
  /** What 1 means here. */
  failure: string;
  /** Statuses only this command returns: [status, meaning]. */
  more?: [string, string][];
}

const SIGNALED: [string, string] = ["129/130/143", "stopped by SIGHUP/SIGINT/SIGTERM (after removing what it created)"];

/** Keyed by the command's path under `tcpwin` ("" is tcpwin itself, "lab link" a subcommand). */
const BY_COMMAND: Record<string, CommandExits> = {
  "": { failure: "the command failed (its message says why)" },
  analyze: {
    ok: "analysed (whatever the verdicts say)",
    failure: "the capture could not be read, or not to its end: what was read is printed first, then the error with its byte offset; or the --html report could not be written",
  },
  demo: { failure: "the bundled capture could not be read" },
  model: { failure: "the model could not be computed (its message says why)" },
  sockets: { failure: "the kernel could not be asked (sock_diag, /proc, pidfd_getfd: the message names the call)" },
  watch: { failure: "the kernel could not be asked (sock_diag, /proc: the message names the call)" },
  exporter: {
    ok: "served until --duration ended or SIGINT/SIGTERM",
    failure: "the HTTP server could not start (the message says why); an address in use is bad usage (2)",
  },
  trace: {
    ok: "with --pid: traced until the duration ended or the process exited",
    failure: "strace could not run or attach",
    more: [["N", "with a command: the command's own status (128 + signal number when a signal killed it)"]],
  },
  lab: { failure: "the lab job failed (its message says why)" },
  rocketmq: { failure: "the command failed (its message says why)" },
  "rocketmq config": {
    ok: "resolved (whatever the findings say)",
    failure: "the command failed (its message says why)",
  },
  "lab serve": { ok: "served --count transfers, or stopped by SIGINT/SIGTERM", failure: "the server could not listen" },
  "lab send": { failure: "the transfer failed (refused, reset, timed out)" },
  "lab link": {
    ok: "without --client: the link was up until interrupted",
    failure: "the link could not be set up (needs root, ip, ping) or a command could not start",
    more: [["N", "with --client: the client command's own status"], SIGNALED],
  },
  "lab namesrv": { ok: "served until SIGINT/SIGTERM", failure: "the name server could not start: unreadable or malformed config, a -D the JVM would reject, a port in use" },
  "lab broker": { failure: "a registration timed out or failed (or the config could not be read)" },
  "lab incident": {
    ok: "the story held: the configured run timed out and the fixed run was answered in time",
    failure: "it did not (a run that should time out did not, or the fix did not help), or the link could not be set up (needs root)",
    more: [SIGNALED],
  },
  "lab validate": { failure: "a cell or an RTT check is out of tolerance, or the link could not be set up" },
};

/**
 * The "Exit status" section of `path`'s help ("analyze", "lab link"; "" for tcpwin itself), lines
 * wrapped at 80 columns. `parent`: the command has subcommands (naming none is a usage error).
 */
export function exitStatusHelp(path: string, parent = false): string {
  const e = BY_COMMAND[path] ?? BY_COMMAND[path.split(" ")[0]!] ?? BY_COMMAND[""]!;
  const usage = parent ? "bad usage: no or unknown command, unknown option, bad value" : "bad usage: unknown option, missing or bad value (the message names it)";
  const rows: [string, string][] = [[String(EXIT_OK), e.ok ?? "done"], [String(EXIT_FAILURE), e.failure], [String(EXIT_USAGE), usage], ...(e.more ?? [])];
  const w = Math.max(...rows.map(([c]) => c.length));
  const lines = rows.flatMap(([c, m]) => wrap(m, 80 - w - 4).map((l, i) => `  ${(i === 0 ? c : "").padEnd(w)}  ${l}`));
  return `\nExit status:\n${lines.join("\n")}`;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...out, line];
}

/** Every path the table describes (for the test that each is a real command). */
export const DESCRIBED_COMMANDS: readonly string[] = Object.keys(BY_COMMAND).filter((k) => k !== "");
