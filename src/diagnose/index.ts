/**
 * @module diagnose
 * Pure policy: connection evidence (tcp/evidence) → verdicts with their numbers, a model
 * cross-check and the fix. No I/O; imports only model/ and tcp/ types.
 */
export * from "./kinds.js";
export * from "./measures.js";
export * from "./policy.js";
export * from "./engine.js";
export * from "./types.js";
export * from "./cross-check.js";
export * from "./fix.js";
export * from "./verdict.js";
export * from "./rank.js";
export * from "./text.js";

import type { ConnectionEvidence } from "../tcp/evidence.js";
import type { DiagnoseOptions } from "./types.js";
import { diagnoseConnection } from "./verdict.js";
import { rankConnections, type Diagnosed } from "./rank.js";

/** Every connection diagnosed, most important first. */
export function diagnoseAll(connections: readonly ConnectionEvidence[], opts: DiagnoseOptions = {}): Diagnosed[] {
  return rankConnections(connections.map((evidence) => ({ evidence, verdict: diagnoseConnection(evidence, opts) })));
}
