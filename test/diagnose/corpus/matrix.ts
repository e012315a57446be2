/**
 * @module test/diagnose/corpus/matrix
 * A confusion matrix over corpus runs: rows the truth, columns the kind tcpwin said, one count
 * per judged capture (a `cut` variant counts on its own). Also each case's kinds across runs,
 * so a case that flips between runs shows even when most runs are right.
 */
import type { CaseRun } from "./run-case.js";

export interface Tally {
  matrix: Map<string, Map<string, number>>;
  /** case id (+ variant) → kind → count */
  perCase: Map<string, Map<string, number>>;
  truthOf: Map<string, string>;
  right: number;
  total: number;
  errors: string[];
}

export function tally(runs: readonly CaseRun[]): Tally {
  const t: Tally = { matrix: new Map(), perCase: new Map(), truthOf: new Map(), right: 0, total: 0, errors: [] };
  const bump = (m: Map<string, Map<string, number>>, a: string, b: string) => {
    const row = m.get(a) ?? new Map<string, number>();
    row.set(b, (row.get(b) ?? 0) + 1);
    m.set(a, row);
  };
  for (const r of runs) {
    if (r.error) t.errors.push(`${r.id}: ${r.error}`);
    for (const j of r.judged) {
      const key = j.variant === "full" ? r.id : `${r.id} (cut)`;
      t.truthOf.set(key, r.truth);
      bump(t.matrix, r.truth, j.kind);
      bump(t.perCase, key, j.kind);
      t.total++;
      if (j.kind === r.truth) t.right++;
    }
  }
  return t;
}

const SHORT: Record<string, string> = {
  receiver_window_limited: "rwnd",
  sender_buffer_limited: "sndbuf",
  congestion_limited: "cwnd",
  loss_limited: "loss",
  application_limited: "app",
  sender_limited: "sender",
  healthy: "healthy",
  inconclusive: "inconcl",
};

/** The matrix as a Markdown table (it goes into the README as printed). */
export function renderMatrix(t: Tally): string {
  const kinds = Object.keys(SHORT);
  const rows = kinds.filter((k) => t.matrix.has(k));
  const head = `| truth \\ said | ${kinds.map((k) => SHORT[k]).join(" | ")} |`;
  const rule = `|---|${kinds.map(() => "---:").join("|")}|`;
  const body = rows.map((r) => `| ${r} | ${kinds.map((k) => t.matrix.get(r)!.get(k) ?? "·").join(" | ")} |`);
  return [head, rule, ...body].join("\n");
}

/** Cases that were wrong or changed kind between runs, one line each; empty when none. */
export function unstable(t: Tally): string[] {
  const out: string[] = [];
  for (const [id, kinds] of t.perCase) {
    const truth = t.truthOf.get(id)!;
    if (kinds.size === 1 && kinds.has(truth)) continue;
    out.push(`${id} (truth ${truth}): ${[...kinds].map(([k, n]) => `${k} ×${n}`).join(", ")}`);
  }
  return out;
}
