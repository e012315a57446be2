import { test } from "node:test";
import assert from "node:assert/strict";
import { ScaleInference } from "./wscale-inference.js";

test("a sender that keeps filling raw << 7 gives shift 7 with high confidence", () => {
  const s = new ScaleInference();
  for (let i = 0; i < 20; i++) s.sample(40 * 128, 40, 1448); // exactly the window
  for (let i = 0; i < 20; i++) s.sample(30 * 128 - 500, 40, 1448); // below it
  const v = s.verdict()!;
  assert.equal(v.shift, 7);
  assert.ok(v.confidence >= 0.9, v.reason);
});

test("in flight that never fills the window only bounds the scale from below", () => {
  const s = new ScaleInference();
  s.sample(5000, 1000, 1448); // needs at least shift 3
  const v = s.verdict()!;
  assert.equal(v.shift, 3);
  assert.ok(v.confidence < 0.9);
  assert.match(v.reason, /at least 3/);
});

test("exact powers of two are not rounded up; no samples, no verdict", () => {
  const s = new ScaleInference();
  s.sample(4096, 1024, 536);
  assert.equal(s.shift, 2);
  assert.equal(new ScaleInference().verdict(), null);
  const t = new ScaleInference();
  t.sample(1 << 30, 1, 1000); // would need shift 30: not a window-limited sender
  assert.equal(t.verdict(), null);
  assert.equal(t.impossible, 1);
});

test("one sample measured from a stale ACK (the capture lost the newer one) does not raise the bound", () => {
  const s = new ScaleInference();
  for (let i = 0; i < 300; i++) s.sample(i % 3 === 0 ? 29200 : 20000, 29200, 1448); // fills an unscaled window
  s.sample(29200 + 2896, 29200, 1448); // two segments beyond it: the ACK that allowed them was not captured
  const v = s.verdict()!;
  assert.equal(v.shift, 0, v.reason);
  assert.ok(v.confidence >= 0.8, v.reason);
  // More than 1 % of the samples (4 of 304) are no longer an accident.
  for (let i = 0; i < 3; i++) s.sample(29200 + 1448, 29200, 1448);
  assert.equal(s.shift, 1);
});

test("a burst of samples from stale ACKs (up to 1 %) is left out; more than that raises the bound", () => {
  const s = new ScaleInference();
  for (let i = 0; i < 1500; i++) s.sample(60 * 1448, 1000, 1448); // needs shift 7
  for (let i = 0; i < 15; i++) s.sample(120 * 1448, 1000, 1448); // needs shift 8: tcpdump lost the ACKs in between
  assert.equal(s.shift, 7);
  for (let i = 0; i < 5; i++) s.sample(120 * 1448, 1000, 1448); // 20 of 1520: the sender really had that much out
  assert.equal(s.shift, 8);
});
