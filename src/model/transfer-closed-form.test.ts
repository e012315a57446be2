/**
 * The closed-form transfer model against the per-round loop it replaced (testing/transfer-rounds):
 * on ordinary inputs — up to a few hundred thousand rounds, where the loop still runs — the round
 * counts and the bottleneck are identical and the time agrees to float rounding.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { predictTransfer, type TransferInput } from "./transfer.js";
import { predictTransferByRounds } from "./testing/transfer-rounds.js";
import { mulberry32 } from "./prng.js";

/** A log-uniform integer in [lo, hi]: small and large values both get their share. */
function logInt(rnd: () => number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(Math.exp(Math.log(lo) + rnd() * (Math.log(hi) - Math.log(lo))))));
}

function randomInput(rnd: () => number): TransferInput {
  const segment = logInt(rnd, 48, 9000);
  // Windows from a fraction of a segment to a few MiB; sizes chosen so the loop stays < 1e5 rounds.
  const windowBytes = rnd() < 0.3 ? segment * logInt(rnd, 1, 64) : logInt(rnd, 1, 1 << 24);
  const sizeBytes = rnd() < 0.05 ? logInt(rnd, 1, 100) - 1 : logInt(rnd, 1, Math.min(windowBytes * 100_000, 2 ** 40));
  const input: TransferInput = { sizeBytes, rttSec: logInt(rnd, 1, 1_000_000) / 1e7, segment, windowBytes };
  if (rnd() < 0.5) input.bandwidthBps = logInt(rnd, 1, 100_000) * 1e5;
  if (rnd() < 0.4) input.initialWindowBytes = rnd() < 0.2 ? windowBytes * 4 : logInt(rnd, 1, windowBytes);
  return input;
}

test("closed form = the per-round loop on 20 000 random ordinary inputs", () => {
  const rnd = mulberry32(0x7c9_2025);
  let compared = 0;
  let nearTies = 0;
  for (let i = 0; i < 20_000; i++) {
    const input = randomInput(rnd);
    const want = predictTransferByRounds(input);
    const got = predictTransfer(input);
    const what = JSON.stringify(input);
    assert.equal(got.roundTrips, want.roundTrips, `round trips, ${what}`);
    assert.equal(got.slowStartRounds, want.slowStartRounds, `slow-start rounds, ${what}`);
    assert.equal(got.windowGrowthRounds, want.windowGrowthRounds, `growth rounds, ${what}`);
    // The loop adds one float per round; its error grows with the count (1e7 rounds of 1 ms sum to
    // 10000000.0016 ms), so the agreement asked for is relative, scaled by the rounds.
    const tol = Math.max(1e-9, want.roundTrips * 4e-16) * Math.max(want.predictedMs, 1e-9);
    assert.ok(Math.abs(got.predictedMs - want.predictedMs) <= tol, `time ${got.predictedMs} vs ${want.predictedMs}, ${what}`);
    // The bottleneck compares the ramp's price with half the total: equal kinds except on a float tie.
    if (want.totalSec > 0 && Math.abs(want.ssExtraSec - want.totalSec / 2) <= 1e-9 * want.totalSec) nearTies++;
    else assert.equal(got.bottleneck, want.bottleneck, `bottleneck, ${what}`);
    compared++;
  }
  assert.equal(compared, 20_000);
  assert.ok(nearTies < 20, `${nearTies} near ties`);
  console.log(`# ${compared} inputs compared, ${nearTies} bottleneck near-ties skipped`);
});

test("closed form = the loop on the hand-made edges: empty, one byte, exactly the ramp, one past it", () => {
  const base = { rttSec: 0.001, segment: 500, windowBytes: 1 << 20 };
  // The ramp from 5000 B reaches 1 MiB after 8 doublings (5000 · 2^8 = 1 280 000): 5000 · (2^8 − 1) = 1 275 000 B.
  for (const sizeBytes of [0, 1, 4999, 5000, 5001, 1_275_000, 1_275_001, 1_275_000 + (1 << 20), 1_275_001 + (1 << 20)]) {
    for (const extra of [{}, { bandwidthBps: 1e8 }, { initialWindowBytes: 1000 }, { initialWindowBytes: 1000, bandwidthBps: 1e7 }]) {
      const input = { ...base, sizeBytes, ...extra };
      const want = predictTransferByRounds(input);
      const got = predictTransfer(input);
      assert.equal(got.roundTrips, want.roundTrips, JSON.stringify(input));
      assert.equal(got.slowStartRounds, want.slowStartRounds, JSON.stringify(input));
      assert.equal(got.windowGrowthRounds, want.windowGrowthRounds, JSON.stringify(input));
      assert.equal(got.bottleneck, want.bottleneck, JSON.stringify(input));
      assert.ok(Math.abs(got.predictedMs - want.predictedMs) <= 1e-9 * Math.max(1, want.predictedMs), JSON.stringify(input));
    }
  }
});

test("any size costs the same: 2^53 − 1 bytes through a 1000-byte window, exact round count", () => {
  const t0 = performance.now();
  const p = predictTransfer({ sizeBytes: Number.MAX_SAFE_INTEGER, rttSec: 0.001, segment: 500, windowBytes: 1000 });
  assert.ok(performance.now() - t0 < 50);
  // Window 1000 ≤ IW 5000: no ramp, ceil((2^53 − 1) / 1000) whole windows of 1 ms.
  assert.equal(p.roundTrips, 9_007_199_254_741);
  assert.equal(p.predictedMs, 9_007_199_254_741);
  assert.equal(p.bottleneck, "window");
  assert.throws(() => predictTransfer({ sizeBytes: Infinity, rttSec: 0.001, segment: 500, windowBytes: 1000 }), RangeError);
  assert.throws(() => predictTransfer({ sizeBytes: 1, rttSec: NaN, segment: 500, windowBytes: 1000 }), RangeError);
});
