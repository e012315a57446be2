/**
 * @module diagnose/engine
 * How a policy (diagnose/policy) decides, whatever it reads: capture evidence (`Measures`) or a
 * live socket's interval (`LiveMeasures`). The first gate that holds decides outright; otherwise
 * every limit rule that holds competes and the one whose cost is largest names the kind; a `late`
 * gate overrides a ranking that named another kind; nothing holding → the policy's `none`.
 * Then: the runner-up share (`secondary`), the number nearest to changing the kind (`margin`),
 * a confidence from that distance, and every condition with the values compared (`rule`).
 */
import { holds, ruleHolds, thresholdValue, THRESHOLDS, type MeasureValues, type Policy, type Rule, type Thresholds } from "./policy.js";
import type { Margin, Secondary, VerdictRule } from "./types.js";

export function thresholdsWith(over?: Partial<Record<string, number>>): Thresholds {
  const t: Thresholds = { ...THRESHOLDS };
  if (over) for (const [k, v] of Object.entries(over)) if (k in t && typeof v === "number") (t as Record<string, number>)[k] = v;
  return t;
}

/** A measure as a number for ranking: unknown counts as 0. */
export function num<K extends string>(m: MeasureValues<K>, k: K): number {
  const v = m[k];
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

/** The largest share of busy time, whichever limit it stands for. */
export function topShare<K extends string>(p: Policy<K>, m: MeasureValues<K>): { measure: K; value: number } | null {
  let top: { measure: K; value: number } | null = null;
  for (const s of p.shares) if (top === null || num(m, s.measure) > top.value) top = { measure: s.measure, value: num(m, s.measure) };
  return top;
}

/** The costliest limit rule that holds, or null. */
function bestLimit<K extends string>(p: Policy<K>, m: MeasureValues<K>, t: Thresholds): Rule<K> | null {
  let best: Rule<K> | null = null;
  for (const r of p.limits) if (ruleHolds(r, m, t) && (best === null || num(m, r.cost!) > num(m, best.cost!))) best = r;
  return best;
}

/**
 * The deciding rule. A limit names the verdict only when it cost the most time: when the largest
 * share of busy time is one no rule holds for (a congestion window growing in slow start, with no
 * loss and no queue), nothing cost more than the transfer's own round trips and the verdict is
 * the policy's `none`, however material the runner-up (window autotuning catching up 28 % of a
 * default-buffer transfer at 5 ms).
 */
export function classify<K extends string>(p: Policy<K>, m: MeasureValues<K>, t: Thresholds): Rule<K> {
  for (const r of p.gates) if (!r.late && ruleHolds(r, m, t)) return r;
  let best = bestLimit(p, m, t);
  const top = topShare(p, m);
  if (best && top && p.shares.some((s) => s.measure === best!.cost) && num(m, best.cost!) < top.value) best = null;
  for (const r of p.gates) if (r.late && best?.kind !== r.kind && ruleHolds(r, m, t)) return r;
  return best ?? p.none;
}

/**
 * The runner-up share of busy time, of another kind than the verdict's, when ≥ secondary_share.
 * A share several limit rules can cost (capture's cwnd_share: loss, send buffer, bottleneck,
 * congestion) is named by the first of them whose other conditions hold.
 */
export function secondaryOf<K extends string>(p: Policy<K>, rule: Rule<K>, m: MeasureValues<K>, t: Thresholds): Secondary | null {
  if (rule.kind === "inconclusive" || rule.kind === "healthy") return null; // healthy lists every share in its claim
  let out: Secondary | null = null;
  for (const s of p.shares) {
    if (s.measure === rule.cost) continue;
    const share = num(m, s.measure);
    if (share < t.secondary_share || (out !== null && share <= out.share)) continue;
    const named = p.limits.find((r) => r.cost === s.measure && r.conditions.every((k) => k.measure === s.measure || holds(k, m, t)));
    const kind = named?.kind ?? s.kind;
    if (kind === rule.kind && !s.distinct) continue;
    out = { kind, measure: s.measure, share: round3(share), label: s.label };
  }
  return out;
}

const rel = (v: number, x: number) => (x === 0 ? (v === 0 ? 0 : 1) : Math.abs(v - x) / Math.abs(x));
export const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function fmt(x: number): string {
  return Math.abs(x) >= 100 ? String(Math.round(x)) : String(Math.round(x * 1000) / 1000);
}

/**
 * The number nearest to changing the kind: for the deciding rule, its condition nearest its
 * threshold and its lead over the next limit that held; for `none`, the failing condition of
 * any limit rule nearest to holding (the other conditions of that rule holding). Gates decide
 * outright: no margin.
 */
export function marginOf<K extends string>(p: Policy<K>, rule: Rule<K>, m: MeasureValues<K>, t: Thresholds): Margin | null {
  let best: Margin | null = null;
  const consider = (mg: Margin) => {
    if (best === null || mg.relative < best.relative) best = mg;
  };
  const condMargin = (r: Rule<K>) => {
    for (const k of r.conditions) {
      const v = m[k.measure];
      if (typeof v !== "number" || !Number.isFinite(v) || k.op === "=") continue;
      const x = thresholdValue(k, t);
      consider({ measure: k.measure, value: round3(v), threshold: x, relative: round3(rel(v, x)), text: `${k.measure} ${fmt(v)} against ${k.op} ${fmt(x)} (${r.id})` });
    }
  };
  if (rule === p.none) {
    for (const r of p.limits) {
      const failing = r.conditions.filter((k) => !holds(k, m, t));
      if (failing.length === 1) condMargin({ ...r, conditions: failing });
    }
    // A limit that held but cost less than the largest share: how far ahead that share was.
    const held = bestLimit(p, m, t);
    const top = topShare(p, m);
    if (held && top && top.value > 0) {
      const v = num(m, held.cost!);
      consider({ measure: "lead", value: round3(top.value), threshold: round3(v), relative: round3((top.value - v) / top.value), text: `${top.measure} ${fmt(top.value)} (no limit rule held for it) leads ${held.cost} ${fmt(v)} (${held.id})` });
    }
    return best;
  }
  if (p.gates.indexOf(rule) >= 0) return null;
  condMargin(rule);
  if (rule.cost) {
    const mine = num(m, rule.cost);
    let second = 0;
    for (const r of p.limits) if (r !== rule && r.kind !== rule.kind && ruleHolds(r, m, t)) second = Math.max(second, num(m, r.cost!));
    if (second > 0 && mine > 0) {
      consider({ measure: "lead", value: round3(mine), threshold: round3(second), relative: round3((mine - second) / mine), text: `${rule.cost} ${fmt(mine)} leads the next limit by ${fmt(mine - second)}` });
    }
  }
  return best;
}

/** 0.5 at a threshold, 1 at half a threshold away or more (or decided by a gate); times `quality` (0..1). */
export function confidenceOf(margin: Margin | null, quality = 1): number {
  const c = (margin === null ? 1 : 0.5 + Math.min(0.5, margin.relative)) * Math.max(0, Math.min(1, quality));
  return Math.round(c * 100) / 100;
}

/** The rule as JSON: its deciding measure and every condition with the value compared. */
export function ruleOf<K extends string>(r: Rule<K>, m: MeasureValues<K>, t: Thresholds): VerdictRule {
  const conditions = r.conditions.map((k) => {
    const v = m[k.measure];
    return {
      measure: k.measure,
      value: typeof v === "number" ? v : null,
      op: k.op,
      threshold_name: typeof k.threshold === "string" ? k.threshold : null,
      threshold: thresholdValue(k, t),
      holds: holds(k, m, t),
    };
  });
  const lead = conditions.find((k) => k.measure === r.cost) ?? conditions[0];
  const cost = r.cost ? m[r.cost] : null;
  return {
    id: r.id,
    measure: r.cost ?? lead?.measure ?? "bytes",
    value: lead ? lead.value : typeof cost === "number" ? cost : null,
    threshold_name: lead ? lead.threshold_name : null,
    threshold: lead ? lead.threshold : null,
    op: lead ? lead.op : "≥",
    conditions,
  };
}
