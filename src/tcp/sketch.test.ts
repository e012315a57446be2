import { test } from "node:test";
import assert from "node:assert/strict";
import { Sketch } from "./sketch.js";

test("exact min/max/count, quantiles representative after decimation, memory bounded", () => {
  const s = new Sketch();
  for (let i = 1; i <= 1_000_000; i++) s.add(i);
  const st = s.toStats(1, true)!;
  assert.equal(st.min, 1);
  assert.equal(st.max, 1_000_000);
  assert.equal(st.count, 1_000_000);
  assert.ok(Math.abs(st.median - 500_000) < 10_000, String(st.median));
  assert.ok(Math.abs(st.p95! - 950_000) < 10_000, String(st.p95));
  assert.equal(new Sketch().toStats(), null);
});
