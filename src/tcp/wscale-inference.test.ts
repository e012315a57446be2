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
