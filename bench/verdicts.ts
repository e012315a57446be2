/**
 * `npm run bench -- verdicts`: the verdict corpus (test/diagnose/corpus/cases.ts) run
 * VERDICT_RUNS times (default 5) on an idle machine and as many again with one CPU kept busy by
 * another process; prints the confusion matrix, every case that was wrong or changed kind between
 * runs, and each miss's numbers. Target: every judged capture its case's kind, no case unstable.
 * Needs root, ping, iperf3, tcpdump, ethtool, python3 (skipped with the reason otherwise).
 * VERDICT_CASES=a,b narrows to cases whose id contains one of them.
 */
import { CASES } from "../test/diagnose/corpus/cases.js";
import { busyCpu, runCase, type CaseRun } from "../test/diagnose/corpus/run-case.js";
import { overridden, renderMatrix, tally, unstable } from "../test/diagnose/corpus/matrix.js";
import { skipUnless } from "../test/support/tools.js";

export async function run(): Promise<void> {
  const skip = skipUnless("root", "ping", "iperf3", "tcpdump", "ethtool", "python3", "ip");
  if (skip) {
    console.log(`verdict corpus skipped: ${skip}`);
    return;
  }
  const runs = Number(process.env.VERDICT_RUNS ?? 5);
  const only = (process.env.VERDICT_CASES ?? "").split(",").filter(Boolean);
  const cases = CASES.filter((c) => only.length === 0 || only.some((o) => c.id.includes(o)));
  const all: CaseRun[] = [];
  const misses: string[] = [];
  const t0 = Date.now();
  for (const load of ["idle", "one CPU busy"] as const) {
    for (let i = 0; i < runs; i++) {
      const busy = load === "idle" ? null : busyCpu();
      try {
        for (const c of cases) {
          const r = await runCase(c);
          all.push(r);
          const bad = r.judged.filter((j) => j.kind !== r.truth);
          for (const j of bad) misses.push(`[${load} #${i + 1}] ${c.id} ${j.variant} (truth ${r.truth}): ${j.summary}`);
          if (r.error) misses.push(`[${load} #${i + 1}] ${c.id}: could not be made: ${r.error}`);
        }
      } finally {
        busy?.stop();
      }
      const t = tally(all);
      console.log(`${load} run ${i + 1}/${runs}: ${t.right}/${t.total} right so far (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  }
  const t = tally(all);
  console.log(`\n${cases.length} cases × ${runs} runs idle + ${runs} with one CPU busy: ${t.right}/${t.total} judged captures right (${((100 * t.right) / Math.max(1, t.total)).toFixed(1)} %), ${t.errors.length} runs could not be made\n`);
  console.log(renderMatrix(t));
  const u = unstable(t);
  console.log(u.length === 0 ? "\nno case wrong or unstable" : `\nwrong or unstable:\n  ${u.join("\n  ")}`);
  const o = overridden(t);
  if (o.length > 0) console.log(`\ntruth set by the sender's kernel (iperf3's retransmit count) in some runs:\n  ${o.join("\n  ")}`);
  if (misses.length > 0) console.log(`\nmisses:\n  ${misses.join("\n  ")}`);
  // The corpus is where checks that are too load-sensitive for CI still fail: a miss fails the bench.
  if (misses.length > 0 || u.length > 0) process.exitCode = 1;
}
