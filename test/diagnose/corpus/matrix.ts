/**
 * @module test/diagnose/corpus/matrix
 * A confusion matrix over corpus runs: rows the truth, columns the kind tcpwin said, one count
 * per judged capture (a `cut` variant counts on its own). Also each case's kinds across runs,
 * so a case that flips between runs shows even when most runs are right.
 */
import type { CaseRun } from "./run-case.js";

export interface Tally {
  matrix: Map<string, Map<string, number>>;
  /**
   * case id (+ variant) → "said|truth" → count. A run's truth is its case's, unless the kernel's
   * own count overrode it (cases.ts `kernelRetransmitted`), so a case is stable when every run
   * with the same truth said the same kind.
   */
  perCase: Map<string, Map<string, number>>;
  right: number;
  total: number;
  errors: string[];
}

export function tally(runs: readonly CaseRun[]): Tally {
  const t: Tally = { matrix: new Map(), perCase: new Map(), right: 0, total: 0, errors: [] };
  const bump = (m: Map<string, Map<string, number>>, a: string, b: string) => {
    const row = m.get(a) ?? new Map<string, number>();
    row.set(b, (row.get(b) ?? 0) + 1);
    m.set(a, row);
  };
  for (const r of runs) {
    if (r.error) t.errors.push(`${r.id}: ${r.error}`);
    for (const j of r.judged) {
      const key = j.variant === "full" ? r.id : `${r.id} (cut)`;
      bump(t.matrix, r.truth, j.kind);
      bump(t.perCase, key, `${j.kind}|${r.truth}`);
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

/** Cases that were wrong, or said different kinds for runs of one truth, one line each; empty when none. */
export function unstable(t: Tally): string[] {
  const out: string[] = [];
  for (const [id, said] of t.perCase) {
    const pairs = [...said].map(([k, n]) => ({ kind: k.split("|")[0]!, truth: k.split("|")[1]!, n }));
    const wrong = pairs.some((p) => p.kind !== p.truth);
    const truths = new Set(pairs.map((p) => p.truth));
    if (!wrong && truths.size === pairs.length) continue;
    out.push(`${id}: ${pairs.map((p) => `${p.kind} ×${p.n}${p.kind === p.truth ? "" : ` (truth ${p.truth})`}`).join(", ")}`);
  }
  return out;
}

/** Cases whose truth the kernel's count changed in some runs, for the report. */
export function overridden(t: Tally): string[] {
  const out: string[] = [];
  for (const [id, said] of t.perCase) {
    const truths = new Set([...said.keys()].map((k) => k.split("|")[1]));
    if (truths.size > 1) out.push(`${id}: ${[...said].map(([k, n]) => `truth ${k.split("|")[1]} ×${n}`).join(", ")}`);
  }
  return out;
}
