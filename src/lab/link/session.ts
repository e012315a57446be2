/**
 * @module lab/link/session
 * `tcpwin lab link --server CMD --client CMD`: start the server command in side B, wait until a
 * TCP listener exists in B's namespace (any program, iperf3 too: B starts empty, so any listener
 * is the server's), run the client command in side A, wait for it, stop the server, report the
 * client's exit status. Cleanup is guaranteed by `guardLink`: SIGINT/SIGTERM/SIGHUP and process
 * exit all run the link's synchronous close().
 */
import { readFileSync, readlinkSync, statSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import { TcpwinError } from "../../errors.js";
import { EXIT_BY_SIGNAL, GUARDED, type LabLink } from "./link.js";

/** Whether PID already runs inside the named namespace (`ip netns exec` has done its setns). */
export function pidInNetns(pid: number, ns: string): boolean {
  try {
    const link = readlinkSync(`/proc/${pid}/ns/net`);
    return link === `net:[${statSync(`/run/netns/${ns}`).ino}]`;
  } catch {
    return false;
  }
}

/** Whether any socket in LISTEN (state 0A) shows in /proc/PID/net/tcp{,6} — PID's namespace. */
export function netnsHasTcpListener(pid: number): boolean {
  for (const f of ["tcp", "tcp6"]) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${f}`, "utf8");
    } catch {
      continue;
    }
    const lines = text.split("\n");
    for (let i = 1; i < lines.length; i++) {
      const cols = lines[i]!.trim().split(/\s+/);
      if (cols[3] === "0A") return true;
    }
  }
  return false;
}

export interface SessionOptions {
  server?: string | undefined;
  client?: string | undefined;
  /** Longest wait for the server's listener before starting the client anyway, ms. */
  serverWaitMs?: number;
  stdio?: "inherit" | "pipe";
  onServerReady?: (listening: boolean) => void;
}

export interface SessionResult {
  clientStatus: number;
  clientSignal: string | null;
  serverStatus: number | null;
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
}

/** Run server (side B) then client (side A); resolves with the client's status. */
export async function runSession(link: LabLink, opts: SessionOptions): Promise<SessionResult> {
  let server: ChildProcess | undefined;
  let serverExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  if (opts.server) {
    server = link.spawnIn("b", opts.server, { stdio: opts.stdio ?? "inherit" });
    void exitOf(server).then((e) => (serverExit = e));
    const deadline = Date.now() + (opts.serverWaitMs ?? 5000);
    let listening = false;
    while (Date.now() < deadline) {
      if (serverExit) {
        throw new TcpwinError(
          "server_exited",
          `server command exited (${serverExit.signal ?? `status ${serverExit.code}`}) before the client started: ${JSON.stringify(opts.server)}`,
        );
      }
      if (server.pid !== undefined && pidInNetns(server.pid, link.nsOf("b")) && netnsHasTcpListener(server.pid)) {
        listening = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    opts.onServerReady?.(listening);
  }
  if (!opts.client) {
    // No client: keep the link up until the server ends (or a signal arrives).
    if (server) {
      const e = await exitOf(server);
      return { clientStatus: e.code ?? 1, clientSignal: null, serverStatus: e.code };
    }
    await new Promise<void>(() => {});
  }
  const client = link.spawnIn("a", opts.client!, { stdio: opts.stdio ?? "inherit" });
  const ce = await exitOf(client);
  let serverStatus: number | null = null;
  if (server) {
    if (!serverExit) await link.stopChild(server);
    serverStatus = server.exitCode;
  }
  const status = ce.code ?? (ce.signal ? 128 + (signalNumber(ce.signal) ?? 0) : 1);
  return { clientStatus: status, clientSignal: ce.signal, serverStatus };
}

function signalNumber(sig: NodeJS.Signals): number | undefined {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };
  return table[sig];
}


/**
 * Make sure `link` is torn down however the process ends. Returns a function that removes the
 * handlers (call it after a normal close). On a signal: close, one line on stderr, exit 128+n.
 */
export function guardLink(link: LabLink, onSignal?: (sig: string) => void): () => void {
  const handlers = new Map<string, () => void>();
  for (const sig of GUARDED) {
    const h = () => {
      link.close();
      onSignal?.(sig);
      process.exit(EXIT_BY_SIGNAL[sig]);
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
  const onExit = () => link.close();
  process.on("exit", onExit);
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
    process.off("exit", onExit);
  };
}
