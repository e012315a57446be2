/**
 * @module lab/link/children
 * What the lab's runs do with the processes they start inside a link's namespaces: quote their
 * command lines, collect their output, wait until a server listens.
 */
import type { ChildProcess } from "node:child_process";
import { TcpwinError } from "../../errors.js";
import type { LabLink } from "./link.js";
import { netnsHasTcpListener, pidInNetns } from "./session.js";

/** One argument for `sh -c`, quoted only when it needs to be. */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** Everything the child prints, and its status, when it exits. */
export function collect(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((r) => child.once("exit", (code) => r({ code, stdout, stderr })));
}

/** Resolves once `child` (started in side B) has a listening TCP socket; rejects if it exits first or `ms` pass. */
export async function waitListener(link: LabLink, child: ChildProcess, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new TcpwinError("server_exited", `${what} exited with status ${child.exitCode} before listening`);
    if (child.pid !== undefined && pidInNetns(child.pid, link.nsOf("b")) && netnsHasTcpListener(child.pid)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new TcpwinError("server_timeout", `${what} did not listen within ${ms} ms`);
}
