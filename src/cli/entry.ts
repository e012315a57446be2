/**
 * @module cli/entry
 * Process entry for running the CLI from source (`node --import tsx src/cli/entry.ts ...`), as
 * tests do so they never depend on a stale dist/. bin/tcpwin.js is the installed entry.
 */
import { run } from "./main.js";

process.exitCode = await run(process.argv);
