/**
 * @module test/support/tools
 * Why a test cannot run here, as the `skip` reason node:test prints: a missing external tool, no
 * root, not Linux. Every test that spawns a tool names it here, so a machine without it reports
 * "# SKIP needs ping installed" instead of failing with `ping: not found` (or worse, hanging).
 *
 * Also the limits every child a test starts runs under: `SYNC` for spawnSync/execFileSync (a
 * timeout, and SIGKILL when it passes — SIGTERM can be ignored), and `NET_TEST_TIMEOUT_MS` for
 * node:test's per-test `timeout` of network tests.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Whether `cmd` is an executable in one of PATH's directories (what spawn would find). */
export function onPath(cmd: string, path = process.env.PATH ?? ""): boolean {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      /* not in this one */
    }
  }
  return false;
}

export type Need = string | "root" | "linux";

/**
 * The skip reason for a test that needs `needs` (tool names, or "root", "linux"), or false when
 * everything is there. E.g. `skipUnless("root", "tshark", "iperf3")` → "needs root" /
 * "needs tshark and iperf3 installed".
 */
export function skipUnless(...needs: Need[]): string | false {
  if (needs.includes("linux") && process.platform !== "linux") return "needs Linux";
  if (needs.includes("root") && process.getuid?.() !== 0) return "needs root";
  const missing = needs.filter((n) => n !== "root" && n !== "linux" && !onPath(n));
  if (missing.length === 0) return false;
  return `needs ${missing.join(" and ")} installed`;
}

/** Per-test timeout of a network/lab test, ms: generous for a loaded 2-core machine, never for ever. */
export const NET_TEST_TIMEOUT_MS = 180_000;

/** Options for spawnSync/execFileSync of a child that must not outlive `ms`. */
export function sync(ms: number): { timeout: number; killSignal: "SIGKILL" } {
  return { timeout: ms, killSignal: "SIGKILL" };
}
