import { test } from "node:test";
import assert from "node:assert/strict";
import { LimitTracker } from "./limits.js";

const MS = 1e6;

test("time is charged to what held the sender back during each interval", () => {
  const l = new LimitTracker();
  l.advance(0);
  l.classify(1148, 1148, 0, 574, false); // window full: rwnd
  l.advance(10 * MS);
  l.classify(1000, 60000, 0, 1000, false); // window open, full segments out: cwnd
  l.advance(15 * MS);
  l.classify(0, 60000, 0, 1000, false); // nothing outstanding: app, once more data follows
  l.advance(20 * MS);
  l.onNewData();
  l.classify(0, 0, 0, 1000, false); // zero window
  l.advance(25 * MS);
  const { limits, smallShare } = l.shares(0);
  assert.ok(limits);
  assert.equal(limits.busy_s, 0.025);
  assert.equal(limits.rwnd, 15 / 25);
  assert.equal(limits.cwnd, 5 / 25);
  assert.equal(limits.app, 5 / 25);
  assert.equal(smallShare, 15 / 25); // 1148 ≤ 2 × 574, and the zero window
  assert.equal(l.zeroWindowNs, 5 * MS);
});

test("idle time after the last data is not charged; unknown scale is evaluated per candidate", () => {
  const l = new LimitTracker();
  l.advance(0);
  l.classify(5000, 40, -1, 1000, false); // raw 40: rwnd-limited only for shifts ≤ 7
  l.advance(10 * MS);
  l.classify(0, 40, -1, 1000, false);
  l.advance(1000 * MS); // trailing idle, never followed by data
  assert.equal(l.shares(7).limits!.rwnd, 1);
  assert.equal(l.shares(8).limits!.cwnd, 1);
  assert.equal(l.shares(8).limits!.busy_s, 0.01);
});
