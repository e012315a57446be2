/**
 * @module cli/commands
 * Every subcommand registers itself here; one line each.
 */
import type { Command } from "commander";
import { registerModel } from "./model.js";
import { registerDemo } from "./demo.js";
import { registerAnalyze } from "./analyze.js";
import { registerSockets } from "./sockets.js";
import { registerWatch } from "./watch.js";
import { registerTrace } from "./trace.js";
import { registerLab } from "./lab.js";

export function registerCommands(program: Command): void {
  registerModel(program);
  registerDemo(program);
  registerAnalyze(program);
  registerSockets(program);
  registerWatch(program);
  registerTrace(program);
  registerLab(program);
}
