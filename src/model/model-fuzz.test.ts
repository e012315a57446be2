/**
 * Fuzz over the model's inputs, bounded in time: random sizes up to 2^53 − 1 (what parseSize
 * lets through), RTTs, windows, MSS, bandwidths, SO_RCVBUF requests and kernels. Every call must
 * return at once with finite, non-negative numbers, and the time must not fall as the size grows.
 * The per-round loop this replaced took hours at 1e15 bytes through a 1000-byte window.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mulberry32 } from "./prng.js";
import { predictTransfer } from "./transfer.js";
import { runInverse, runModel, type ModelRequest } from "./model.js";
import { MAX_SIZE_BYTES } from "./units.js";

const BUDGET_MS = 2000;
/**
 * The slowest single call allowed. Warm calls take well under 5 ms (the inverse's SO_RCVBUF searches
 * are the dearest part); the first ones, before the JIT, up to ~60–100 ms here, more on a loaded
 * machine. A model that loops per round trip takes hours at these sizes — and hangs the process,
 * which only a child's timeout can bound: test/cli/model.test.ts runs the CLI that way.
 */
const CALL_MS = 500;

function logUniform(rnd: () => number, lo: number, hi: number): number {
  return Math.exp(Math.log(lo) + rnd() * (Math.log(hi) - Math.log(lo)));
}
/** A log-uniform integer in [lo, hi] (lo may be 0). */
const logInt = (rnd: () => number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(logUniform(rnd, lo + 1, hi + 1)) - 1));

const KERNELS = [{ major: 3, minor: 10 }, { major: 5, minor: 15 }, { major: 6, minor: 8 }, { major: 6, minor: 18 }];

function randomRequest(rnd: () => number): Omit<ModelRequest, "sizeBytes"> {
  const mss = logInt(rnd, 88, 65535);
  const req: Omit<ModelRequest, "sizeBytes"> = {
    rttSec: logUniform(rnd, 1e-6, 10),
    mss,
    kernel: KERNELS[Math.floor(rnd() * KERNELS.length)]!,
    timestamps: rnd() < 0.3,
  };
  const pick = rnd();
  if (pick < 0.4) req.windowBytes = logInt(rnd, 1, 2 ** 40);
  else if (pick < 0.8) req.rcvbuf = logInt(rnd, 0, 2 ** 31);
  else req.rcvbuf = null; // autotuning
  if (rnd() < 0.5) req.bandwidthBps = logUniform(rnd, 1e3, 4e11);
  if (rnd() < 0.3) req.rmemMax = logInt(rnd, 4096, 2 ** 31);
  if (rnd() < 0.3) req.deadlineSec = logUniform(rnd, 1e-4, 1e6);
  return req;
}

function finiteNonNegative(obj: Record<string, unknown>, what: string): void {
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === "number") assert.ok(Number.isFinite(v) && v >= 0, `${k} = ${v}, ${what}`);
  }
}

test("model fuzz: every call is fast, finite, non-negative and monotone in size (2 s budget)", () => {
  const seed = Number(process.env.TCPWIN_FUZZ_SEED ?? 0x5eed_0009);
  const rnd = mulberry32(seed);
  const t0 = performance.now();
  let configs = 0;
  let calls = 0;
  let slowest = 0;
  while (performance.now() - t0 < BUDGET_MS) {
    const base = randomRequest(rnd);
    // A handful of sizes per configuration, sorted, from nothing to the largest parseSize allows.
    const sizes = Array.from({ length: 6 }, () => (rnd() < 0.1 ? Math.floor(rnd() * 100) : logInt(rnd, 1, MAX_SIZE_BYTES)));
    sizes.push(MAX_SIZE_BYTES);
    sizes.sort((a, b) => a - b);
    let prevMs = -1;
    let prevRounds = -1;
    for (const sizeBytes of sizes) {
      const what = `seed ${seed}, config ${configs}: ${JSON.stringify({ ...base, sizeBytes })}`;
      if (base.timestamps && base.mss <= 88 + 12) base.timestamps = false; // the CLI refuses these
      const c0 = performance.now();
      const r = runModel({ ...base, sizeBytes });
      const took = performance.now() - c0;
      slowest = Math.max(slowest, took);
      assert.ok(took < CALL_MS, `runModel took ${took.toFixed(1)} ms: ${what}`);
      calls++;
      const { explanation, ...numbers } = r;
      finiteNonNegative(numbers, what);
      assert.ok(explanation.every((l) => !/NaN|undefined/.test(l)), `explanation: ${explanation.join(" | ")}, ${what}`);
      assert.ok(r.predicted_ms >= prevMs, `time fell from ${prevMs} to ${r.predicted_ms} ms as the size grew: ${what}`);
      assert.ok(r.round_trips >= prevRounds, `round trips fell: ${what}`);
      assert.ok(Number.isSafeInteger(r.round_trips), what);
      // Never faster than the steady rate allows (predicted_ms is rounded to 0.001 ms, throughput to 1 B/s).
      const floorMs = (sizeBytes / (r.throughput_bytes_per_sec + 0.5)) * 1000;
      assert.ok(r.predicted_ms * (1 + 1e-9) + 0.0005 >= floorMs, `faster than the steady rate (${floorMs} ms): ${what}`);
      prevMs = r.predicted_ms;
      prevRounds = r.round_trips;
    }
    if (base.deadlineSec !== undefined) {
      const c0 = performance.now();
      const inv = runInverse({ ...base, deadlineSec: base.deadlineSec, sizeBytes: sizes[3]! });
      const took = performance.now() - c0;
      slowest = Math.max(slowest, took);
      assert.ok(took < CALL_MS, `runInverse took ${took.toFixed(1)} ms`);
      const { explanation, required_rcvbuf_by_family, ...numbers } = inv;
      finiteNonNegative(numbers, `inverse, seed ${seed}, config ${configs}`);
      if (inv.deadline_feasible) assert.ok(inv.predicted_ms_at_required! <= inv.deadline_ms + 1e-3);
      void explanation;
      void required_rcvbuf_by_family;
      calls++;
    }
    configs++;
  }
  assert.ok(configs > 50, `only ${configs} configurations in ${BUDGET_MS} ms`);
  console.log(`# ${configs} configurations, ${calls} calls in ${BUDGET_MS} ms; slowest call ${slowest.toFixed(2)} ms (seed ${seed})`);
});

test("predictTransfer fuzz: monotone in size and in the window, at sizes up to 2^53 − 1", () => {
  const rnd = mulberry32(0x5eed_0010);
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 500) {
    const segment = logInt(rnd, 48, 65535);
    const input = {
      rttSec: logUniform(rnd, 1e-6, 10),
      segment,
      windowBytes: logInt(rnd, 1, 2 ** 40),
      ...(rnd() < 0.5 ? { bandwidthBps: logUniform(rnd, 1e3, 4e11) } : {}),
      ...(rnd() < 0.3 ? { initialWindowBytes: logInt(rnd, 1, 2 ** 32) } : {}),
    };
    const a = logInt(rnd, 0, MAX_SIZE_BYTES);
    const b = Math.min(MAX_SIZE_BYTES, a + logInt(rnd, 1, MAX_SIZE_BYTES));
    const pa = predictTransfer({ ...input, sizeBytes: a });
    const pb = predictTransfer({ ...input, sizeBytes: b });
    const what = JSON.stringify({ ...input, a, b });
    assert.ok(pb.predictedMs >= pa.predictedMs, `size: ${pa.predictedMs} → ${pb.predictedMs}, ${what}`);
    assert.ok(pb.roundTrips >= pa.roundTrips, what);
    for (const p of [pa, pb]) for (const [k, v] of Object.entries(p)) if (typeof v === "number") assert.ok(Number.isFinite(v) && v >= 0, `${k} = ${v}, ${what}`);
    // A wider window never costs more than one round trip more. (Not never more at all: under a
    // bandwidth cap the last, partial round lasts a whole RTT however few bytes it has left, and a
    // wider window can leave fewer — the per-round loop did the same. The inverse's binary search
    // still returns a window that meets the deadline, perhaps a segment or so above the smallest.)
    if (input.initialWindowBytes === undefined) {
      const wider = predictTransfer({ ...input, sizeBytes: b, windowBytes: input.windowBytes * 2 });
      assert.ok(wider.predictedMs <= pb.predictedMs * (1 + 1e-12) + input.rttSec * 1000, `window: ${pb.predictedMs} → ${wider.predictedMs}, ${what}`);
      if (input.bandwidthBps === undefined) assert.ok(wider.predictedMs <= pb.predictedMs * (1 + 1e-12), `window, no cap: ${pb.predictedMs} → ${wider.predictedMs}, ${what}`);
    }
    n++;
  }
  assert.ok(n > 1000, `only ${n} cases`);
});
