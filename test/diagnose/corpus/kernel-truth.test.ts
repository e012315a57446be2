import { test } from "node:test";
import assert from "node:assert/strict";
import { truthsFor } from "./kernel-truth.js";
test("a run's retransmissions pick its truth, both kinds near an edge", () => {
  assert.deepEqual(truthsFor("healthy", null), ["healthy"]);
  assert.deepEqual(truthsFor("healthy", 0), ["healthy"]);
  assert.deepEqual(truthsFor("healthy", 0.0009), ["healthy", "congestion_limited"]);
  assert.deepEqual(truthsFor("healthy", 0.0011), ["congestion_limited", "healthy"]);
  assert.deepEqual(truthsFor("healthy", 0.004), ["congestion_limited"]);
  assert.deepEqual(truthsFor("healthy", 0.009), ["congestion_limited", "loss_limited"]);
  assert.deepEqual(truthsFor("healthy", 0.013), ["loss_limited"]);
  assert.deepEqual(truthsFor("healthy", 0.011), ["loss_limited", "congestion_limited"]);
});
