import { test } from "node:test";
import assert from "node:assert/strict";
import { predictTransfer } from "./transfer.js";
import { requiredForDeadline } from "./inverse.js";
import { rcvbufToWindow } from "./linux-window.js";
import { runModel } from "./model.js";

const INCIDENT = { sizeBytes: 2079208, rttSec: 0.00166, segment: 574, windowBytes: 1148 };

test("the incident: 2079208 / 1148 × 1.66 ms = 3006.5 ms; whole rounds 1812 × 1.66 = 3007.9 ms", () => {
  const p = predictTransfer(INCIDENT);
  assert.equal(p.simpleMs.toFixed(1), "3006.5");
  assert.equal(p.roundTrips, 1812);
  assert.equal(p.ceilMs.toFixed(1), "3007.9");
  assert.equal(p.predictedMs.toFixed(1), "3007.9"); // window ≤ initial cwnd: no slow start
  assert.equal(p.bottleneck, "window");
  assert.equal(p.slowStartRounds, 0);
});

test("slow start dominates a short transfer through a big window", () => {
  const p = predictTransfer({ sizeBytes: 100_000, rttSec: 0.01, segment: 1448, windowBytes: 4 << 20 });
  // cwnd 14480, 28960, 57920 → 101360 ≥ 100000 after 3 rounds
  assert.equal(p.roundTrips, 3);
  assert.equal(p.slowStartRounds, 3);
  assert.equal(p.bottleneck, "slow_start");
  assert.ok(Math.abs(p.predictedMs - 30) < 1e-9);
});

test("a bandwidth cap stretches rounds and becomes the bottleneck", () => {
  const p = predictTransfer({ sizeBytes: 100e6, rttSec: 0.001, segment: 1448, windowBytes: 4 << 20, bandwidthBps: 1e9 });
  assert.equal(p.bottleneck, "bandwidth");
  // 100 MB at 125 MB/s ≈ 800 ms plus a few slow-start rounds
  assert.ok(p.predictedMs > 800 && p.predictedMs < 820, String(p.predictedMs));
});

test("deadline: 3 s needs 3 segments of 574, because 2 give 3007.9 ms", () => {
  const kernel = { mss: 574, family: "6.10+" as const };
  const d = requiredForDeadline({ sizeBytes: 2079208, rttSec: 0.00166, segment: 574, deadlineSec: 3, kernel });
  assert.equal(d.feasible, true);
  assert.equal(d.requiredWindowBytes, 1722);
  assert.ok(d.predictedMsAtRequired! <= 3000);
  const req = d.requiredRcvbuf!;
  assert.ok(rcvbufToWindow({ ...kernel, requested: req }).windowSteady >= 1722);
  assert.ok(rcvbufToWindow({ ...kernel, requested: req - 1 }).windowSteady < 1722, "smallest such request");
});

test("deadline shorter than one RTT is infeasible, with a reason", () => {
  const d = requiredForDeadline({ sizeBytes: 1000, rttSec: 0.01, segment: 1448, deadlineSec: 0.005, kernel: { mss: 1448, family: "6.10+" } });
  assert.equal(d.feasible, false);
  assert.match(d.reason!, /RTT/);
});

test("runModel with --rcvbuf reports both windows and predicts with the steady one", () => {
  const r = runModel({ sizeBytes: 2079208, rttSec: 0.00166, mss: 574, rcvbuf: 1024, kernel: { major: 6, minor: 18 }, deadlineSec: 3 });
  assert.equal(r.window_syn, 1148);
  assert.equal(r.window_steady, 574);
  assert.equal(r.window_bytes, 574);
  assert.equal(r.window_source, "steady");
  assert.equal(r.rcvbuf_effective, 2304);
  assert.equal(r.required_window_bytes, 1722);
  assert.equal(typeof r.required_rcvbuf, "number");
  assert.equal(r.deadline_met, false);
});

test("a growing receive window (autotuning) bounds the rounds while it is below cwnd", () => {
  // rwnd 8192, 16384, … stays below cwnd 14480, 28960, …: 8192 × (2^k − 1) ≥ 1 MB after k = 8 rounds.
  const p = predictTransfer({ sizeBytes: 1 << 20, rttSec: 0.01, segment: 1448, windowBytes: 8 << 20, initialWindowBytes: 8192 });
  assert.equal(p.roundTrips, 8);
  assert.equal(p.windowGrowthRounds, 8);
  assert.equal(p.slowStartRounds, 0);
  assert.equal(p.bottleneck, "slow_start");
  assert.ok(Math.abs(p.predictedMs - 80) < 1e-9);
  // The same transfer with the whole window from the start is bound by cwnd alone: 14480 × (2^k − 1) ≥ 1 MB → k = 7.
  const q = predictTransfer({ sizeBytes: 1 << 20, rttSec: 0.01, segment: 1448, windowBytes: 8 << 20 });
  assert.equal(q.roundTrips, 7);
  assert.equal(q.windowGrowthRounds, 0);
  assert.throws(() => predictTransfer({ sizeBytes: 1, rttSec: 0.01, segment: 1448, windowBytes: 1448, initialWindowBytes: 0 }), RangeError);
});

test("runModel, kernel default buffer: the window starts at the SYN-ACK's and grows; cwnd is the smaller limit here", () => {
  const r = runModel({ sizeBytes: 2079208, rttSec: 0.00166, mss: 1448, rcvbuf: null, kernel: { major: 6, minor: 18 } });
  // tcp_rmem[1] 131072 × 128/256 = 65536 → rounded down to 45 × 1448.
  assert.equal(r.window_initial, 65160);
  assert.equal(r.window_bytes, 16777216);
  // cwnd 14480 · 2^k stays below the receive window 65160 · 2^k: 8 slow-start rounds, as without growth.
  assert.equal(r.round_trips, 8);
  assert.equal(r.slow_start_rounds, 8);
  assert.equal(r.window_growth_rounds, 0);
  assert.ok(r.explanation.some((l) => /starts at the SYN-ACK's 65160 B/.test(l)), r.explanation.join("\n"));
});

test("runModel predicts with the segment the sender really sends (half a tiny SYN-ACK window)", () => {
  const r = runModel({ sizeBytes: 2079208, rttSec: 0.00166, mss: 1448, rcvbuf: 1024, kernel: { major: 6, minor: 18 } });
  assert.equal(r.window_bytes, 576);
  assert.equal(r.segment_bytes, 576);
  assert.ok(r.explanation.some((l) => l.includes("(1 × 576)")), r.explanation.join("\n"));
  assert.equal(r.round_trips, Math.ceil(2079208 / 576));
});
