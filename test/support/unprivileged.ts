/**
 * Tests that run tcpwin as user nobody need that user to be able to read the checkout: a clone
 * inside a private directory (mktemp -d is 0700) is unreadable to it, and the run would fail for a
 * reason that has nothing to do with tcpwin. This says why such a test must skip, or false.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function nobodySkipReason(): string | false {
  if (process.getuid?.() !== 0) return "needs root to switch to nobody";
  if (spawnSync("setpriv", ["--version"], { stdio: "ignore", timeout: 60_000, killSignal: "SIGKILL" }).error) return "setpriv missing";
  const probe = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "--import", "tsx", "-e", "0"], { cwd: ROOT, stdio: "ignore", timeout: 60_000, killSignal: "SIGKILL" });
  if (probe.status !== 0) return `user nobody cannot read the checkout at ${ROOT} (a parent directory is private)`;
  return false;
}
