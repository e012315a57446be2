import { test } from "node:test";
import assert from "node:assert/strict";
import { KERNEL_FAMILIES, requiredForDeadline } from "./inverse.js";
import { rcvbufToWindow } from "./linux-window.js";
import { runInverse } from "./model.js";

test("the inverse alone: per family, the SO_RCVBUF found is the smallest whose steady window reaches the required one", () => {
  const r = runInverse({ sizeBytes: 2079208, rttSec: 0.00166, mss: 574, deadlineSec: 3, kernel: { major: 6, minor: 18 } });
  assert.equal(r.deadline_feasible, true);
  assert.equal(r.required_window_bytes, 1722);
  assert.equal(r.required_rcvbuf, r.required_rcvbuf_by_family["6.10+"]);
  for (const family of KERNEL_FAMILIES) {
    const req = r.required_rcvbuf_by_family[family]!;
    assert.ok(rcvbufToWindow({ requested: req, mss: 574, family }).windowSteady >= 1722, family);
    assert.ok(rcvbufToWindow({ requested: req - 1, mss: 574, family }).windowSteady < 1722, `${family}: ${req - 1} would do`);
  }
  // 2079208 / 3 s × 1.66 ms: the bytes a steady transfer keeps in flight; 2 × 574 = 1148 is just short of it.
  assert.ok(Math.abs(r.required_bdp_bytes - 1150.495) < 1e-3);
});

test("the inverse with the machine's own family only unless asked, and rmem_max flagged", () => {
  const base = { sizeBytes: 100e6, rttSec: 0.05, segment: 1448, deadlineSec: 2, kernel: { mss: 1448, family: "6.10+" as const, rmemMax: 212992 } };
  const d = requiredForDeadline(base);
  assert.equal(d.requiredRcvbufByFamily, undefined);
  assert.equal(d.requiredRcvbufExceedsRmemMax, true, `needs ${d.requiredRcvbuf} > rmem_max 212992`);
  const all = requiredForDeadline({ ...base, allFamilies: true });
  assert.equal(all.requiredRcvbufByFamily!["6.10+"], d.requiredRcvbuf);
});

test("an impossible deadline says which limit: TCP's largest window at this RTT", () => {
  const r = runInverse({ sizeBytes: 1e15, rttSec: 0.001, mss: 500, deadlineSec: 3, kernel: { major: 6, minor: 18 } });
  assert.equal(r.deadline_feasible, false);
  assert.equal(r.required_window_bytes, null);
  assert.match(r.infeasible_reason!, /TCP's largest window \(about 1 GiB: 2147484 × 500 B\) still needs 931323 round trips/);
});
