/**
 * @module lab/worker-entry
 * Start one of the lab's worker threads from the compiled .js next to the caller, or — when
 * running from source — load the .ts through tsx's API inside the worker (the tsx CLI registers
 * its loader for the main thread only).
 */
import { Worker } from "node:worker_threads";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** `rel` is relative to `base` (the caller's import.meta.url) and ends in ".js". */
export function startWorker(base: string, rel: string, workerData: unknown): Worker {
  const js = new URL(rel, base);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData });
  const ts = new URL(rel.replace(/\.js$/, ".ts"), base).href;
  const api = (import.meta as unknown as { resolve(s: string): string }).resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(ts)}, ${JSON.stringify(base)}))`;
  return new Worker(boot, { eval: true, workerData });
}
