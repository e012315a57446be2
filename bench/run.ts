/**
 * `npm run bench`: imports every bench/*.ts except itself and awaits its run(), in name order.
 * `npm run bench -- sockets` runs only the files whose name contains "sockets".
 */
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const dir = fileURLToPath(new URL("./", import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.endsWith(".test.ts"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
for (const f of files) {
  const mod = (await import(pathToFileURL(dir + f).href)) as { run?: () => Promise<void> };
  if (typeof mod.run !== "function") continue;
  process.stdout.write(`\n=== bench/${f} ===\n`);
  await mod.run();
}
