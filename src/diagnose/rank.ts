/**
 * @module diagnose/rank
 * Which connections matter most: payload bytes × badness (how much of the transfer a limit held),
 * so a big window-limited transfer comes before a big healthy one and before a small slow one.
 * Ties (e.g. every healthy connection scores 0) fall back to bytes, then stream number, so the
 * order is total and stable.
 */
import type { ConnectionEvidence } from "../tcp/evidence.js";
import type { Verdict } from "./types.js";

export interface Diagnosed {
  evidence: ConnectionEvidence;
  verdict: Verdict;
}

export function totalBytes(c: ConnectionEvidence): number {
  return c.c2s.bytes + c.s2c.bytes;
}

export function importance(d: Diagnosed): number {
  return totalBytes(d.evidence) * d.verdict.badness;
}

/** Most important first; returns a new array. */
export function rankConnections(list: readonly Diagnosed[]): Diagnosed[] {
  return [...list].sort(
    (a, b) => importance(b) - importance(a) || totalBytes(b.evidence) - totalBytes(a.evidence) || a.evidence.stream - b.evidence.stream,
  );
}
