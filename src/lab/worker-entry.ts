/**
 * @module lab/worker-entry
 * Start one of the lab's worker threads from the compiled .js next to the caller, or — when
 * running from source — load the .ts through tsx's API inside the worker (the tsx CLI registers
 * its loader for the main thread only).
 */
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** `rel` is relative to `base` (the caller's import.meta.url) and ends in ".js". */
export function startWorker(base: string, rel: string, workerData: unknown): Worker {
  const js = new URL(rel, base);
  // A large young generation: the data paths allocate little (FFI call boxing), so with 64 MB a
  // scavenge — a pause of 1–2 ms that stalls every packet in flight — comes seldom, not every few
  // hundred round trips.
  // --min-semi-space-size is read when an isolate's heap is set up, so it applies to the worker
  // started next (the flag is process-wide; the main thread's heap is already sized).
  setFlagsFromString("--min-semi-space-size=16");
  const resourceLimits = { maxYoungGenerationSizeMb: 64 };
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData, resourceLimits });
  const ts = new URL(rel.replace(/\.js$/, ".ts"), base).href;
  const api = (import.meta as unknown as { resolve(s: string): string }).resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(ts)}, ${JSON.stringify(base)}))`;
  return new Worker(boot, { eval: true, workerData, resourceLimits });
}
