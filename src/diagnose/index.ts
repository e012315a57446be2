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
export * from "./rocketmq-link.js";

import type { ConnectionEvidence } from "../tcp/evidence.js";
import type { DiagnoseOptions } from "./types.js";
import type { LaterConnection } from "./rocketmq-link.js";
import { diagnoseConnection } from "./verdict.js";
import { rankConnections, type Diagnosed } from "./rank.js";

/** Every connection diagnosed, most important first. */
export function diagnoseAll(connections: readonly ConnectionEvidence[], opts: DiagnoseOptions = {}): Diagnosed[] {
  const later = laterConnections(connections);
  return rankConnections(connections.map((evidence) => ({ evidence, verdict: diagnoseConnection(evidence, opts, { later: later(evidence) }) })));
}

/**
 * For each connection, the first one after it from the same client address to the same server
 * (a reconnect: RocketMQ's next period). Indexed once, only when a connection asks.
 */
export function laterConnections(all: readonly ConnectionEvidence[]): (c: ConnectionEvidence) => LaterConnection | null {
  let byPair: Map<string, ConnectionEvidence[]> | null = null;
  const keyOf = (c: ConnectionEvidence) => `${c.client.addr} ${c.server.addr} ${c.server.port}`;
  return (c) => {
    if (!c.app) return null; // only the protocol layer reads it
    if (byPair === null) {
      byPair = new Map();
      for (const o of all) {
        const k = keyOf(o);
        const list = byPair.get(k);
        if (list) list.push(o);
        else byPair.set(k, [o]);
      }
      for (const list of byPair.values()) list.sort((a, b) => a.start_s - b.start_s);
    }
    const next = byPair.get(keyOf(c))?.find((o) => o.start_s > c.start_s) ?? null;
    return next ? { stream: next.stream, start_s: next.start_s, handshake_seen: next.handshake_seen } : null;
  };
}
