import { test } from "node:test";
import assert from "node:assert/strict";
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqSub } from "./seq.js";

test("sequence comparisons wrap at 2^32 like Wireshark's LT_SEQ/GT_SEQ", () => {
  assert.ok(seqLt(0xfffffff0, 0x10));
  assert.ok(seqGt(0x10, 0xfffffff0));
  assert.ok(seqLe(5, 5) && seqGe(5, 5) && !seqLt(5, 5) && !seqGt(5, 5));
  // int32 and uint32 spellings of the same bits compare the same
  assert.ok(seqLt(0xfffffff0 | 0, 0x10) && seqLt(0xfffffff0, 0x10 | 0));
  assert.equal(seqDiff(0x10, 0xfffffff0), 0x20);
  assert.equal(seqAdd(0xffffffff, 2), 1);
  assert.equal(seqSub(1, 2), 0xffffffff);
  assert.equal(seqSub(1 | 0, 0xffffffff | 0), 2);
});
