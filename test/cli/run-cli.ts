/**
 * Runs the tcpwin CLI from source in a child process, as a user would run it.
 */
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENTRY = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, ["--import", "tsx", ENTRY, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000, killSignal: "SIGKILL",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined },
    ...opts,
  });
  return { status: r.status, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
}
