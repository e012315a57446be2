/**
 * The verdict corpus's quick subset in CI: one run of each kind (cases marked `quick` in
 * corpus/cases.ts), each judged capture — and its handshake-cut variant — must get its case's
 * kind. The full corpus (every case, 5 runs idle + 5 with a CPU busy, confusion matrix) is
 * `npm run bench -- verdicts`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CASES } from "./corpus/cases.js";
import { runCase } from "./corpus/run-case.js";
import { NET_TEST_TIMEOUT_MS, skipUnless } from "../support/tools.js";

const skip = skipUnless("root", "ping", "iperf3", "tcpdump", "ethtool", "python3", "ip");

for (const c of CASES.filter((x) => x.quick)) {
  test(`corpus ${c.id}: ${c.truth} (${c.why})`, { skip, timeout: NET_TEST_TIMEOUT_MS }, async () => {
    const r = await runCase(c);
    assert.equal(r.error, null, `the case could not be made: ${r.error}`);
    assert.ok(r.judged.length === (c.cut ? 2 : 1));
    for (const j of r.judged) assert.equal(j.kind, r.truth, `${j.variant}: ${j.summary}${r.truth !== c.truth ? ` (truth ${r.truth}: the kernel retransmitted ${r.kernel_retransmitted})` : ""}`);
  });
}
