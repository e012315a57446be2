import { test } from "node:test";
import assert from "node:assert/strict";
import { latenessWarning, summarizeLateness, LATENESS_WARN_FLOOR_US, LATENESS_WARN_SHARE } from "./lateness.js";
import type { ForwarderStats } from "./forwarder.js";
import type { DirectionStats } from "./forwarder-types.js";

function dir(packets: number, mean: number, max: number): DirectionStats {
  return { packets_in: packets, bytes_in: packets * 1500, packets_out: packets, bytes_out: packets * 1500, drops_loss: 0, drops_queue: 0, late_mean_us: mean, late_max_us: max, read_errors: 0, write_errors: 0, deliver_us: 0 };
}
const stats = (ab: DirectionStats, ba: DirectionStats): ForwarderStats => ({ a_to_b: ab, b_to_a: ba });

test("the incident: flat out at 5 ms, 0.93 + 1.43 ms late — warns, says the RTT was ~2.36 ms (47 %) larger and what to do", () => {
  const l = summarizeLateness(stats(dir(293901, 927.5, 17877.3), dir(32691, 1429, 20557.3)), 5);
  assert.deepEqual(l.a_to_b, { packets: 293901, mean_us: 927.5, max_us: 17877.3 });
  assert.equal(l.rtt_excess_ms, 2.357);
  assert.equal(l.share_of_rtt, 0.471);
  assert.equal(l.warn, true);
  const w = latenessWarning(l, 5)!;
  assert.match(w, /mean 928 µs A→B, 1\.43 ms B→A \(max 20\.6 ms\)/);
  assert.match(w, /larger than --rtt 5\.00 ms by about 2\.36 ms \(47 %\)/);
  assert.match(w, /--rate/);
  assert.match(w, /--cpu/);
});

test("an idle forwarder (a few µs late) does not warn, at 5 ms nor at 0.1 ms where 2 + 2 µs is 4 %", () => {
  for (const rtt of [5, 1, 0.1]) {
    const l = summarizeLateness(stats(dir(200, 2.1, 41.2), dir(200, 2.3, 99.5)), rtt);
    assert.equal(l.warn, false, `rtt ${rtt}`);
    assert.equal(latenessWarning(l, rtt), null);
  }
});

test("the decision: past 5 % of the RTT and past the µs floor, on the sum of both directions' means", () => {
  assert.equal(LATENESS_WARN_SHARE, 0.05);
  // 1 ms: 5 % is 50 µs. 24 + 25 = 49 µs: no; 26 + 25 = 51 µs: yes; one direction alone counts too.
  assert.equal(summarizeLateness(stats(dir(10, 24, 30), dir(10, 25, 30)), 1).warn, false);
  assert.equal(summarizeLateness(stats(dir(10, 26, 30), dir(10, 25, 30)), 1).warn, true);
  assert.equal(summarizeLateness(stats(dir(10, 60, 90), dir(0, 0, 0)), 1).warn, true);
  // 0.1 ms: 5 % is 5 µs, but the floor holds below LATENESS_WARN_FLOOR_US.
  assert.equal(summarizeLateness(stats(dir(10, 4, 9), dir(10, 4, 9)), 0.1).warn, false);
  assert.equal(summarizeLateness(stats(dir(10, LATENESS_WARN_FLOOR_US / 2 + 1, 9), dir(10, LATENESS_WARN_FLOOR_US / 2, 9)), 0.1).warn, true);
  // A large max alone (one stall) does not: the mean is what every round trip carried.
  assert.equal(summarizeLateness(stats(dir(1000, 3, 40_000), dir(1000, 3, 50)), 1).warn, false);
});

test("--rtt 0: no share of an RTT to be off by, no warning; nothing delivered: zeros, no warning", () => {
  const l0 = summarizeLateness(stats(dir(10, 500, 900), dir(10, 500, 900)), 0);
  assert.equal(l0.share_of_rtt, null);
  assert.equal(l0.warn, false);
  assert.equal(latenessWarning(l0, 0), null);
  const none = summarizeLateness(stats(dir(0, 0, 0), dir(0, 0, 0)), 1);
  assert.deepEqual([none.rtt_excess_ms, none.share_of_rtt, none.warn], [0, 0, false]);
});
