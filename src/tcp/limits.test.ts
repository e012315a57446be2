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

test("a scale that becomes unknown starts every candidate from what the known one accumulated", () => {
  const l = new LimitTracker();
  l.advance(0);
  l.classify(1000, 1500, 0, 1000, false); // known scale: rwnd (1500 − 1000 < mss), window ≤ 2 MSS
  l.advance(10 * MS);
  l.classify(0, 30000, 0, 1000, false); // nothing outstanding, window open: idle
  l.advance(12 * MS);
  l.onNewData(); // the 2 ms idle gap is the application's
  l.classify(5000, 40, -1, 1000, true); // unknown now: rwnd for shifts ≤ 7, app (short segment) above
  l.advance(16 * MS);
  for (const [shift, rwnd, app] of [
    [0, 14, 2],
    [7, 14, 2],
    [8, 10, 6],
    [14, 10, 6],
  ] as const) {
    const { limits, smallShare } = l.shares(shift);
    assert.equal(limits!.busy_s, 0.016, `shift ${shift}`);
    assert.equal(limits!.rwnd, rwnd / 16, `shift ${shift}`);
    assert.equal(limits!.app, app / 16, `shift ${shift}`);
    assert.equal(smallShare, (shift <= 5 ? 14 : 10) / 16, `shift ${shift}`); // 40 << shift ≤ 2 MSS up to shift 5
  }
});
