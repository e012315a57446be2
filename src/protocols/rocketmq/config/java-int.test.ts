import { test } from "node:test";
import assert from "node:assert/strict";
import { javaParseInt } from "./java-int.js";

test("Integer.parseInt: what Java accepts", () => {
  for (const [s, v] of [["1024", 1024], ["+1024", 1024], ["-1", -1], ["0", 0], ["-0", 0], ["007", 7], ["2147483647", 2147483647], ["-2147483648", -2147483648], ["١٠٢٤", 1024], ["１０２４", 1024]] as const) {
    const r = javaParseInt(s);
    assert.deepEqual(r, { ok: true, value: v }, s);
  }
});

test("Integer.parseInt: what Java rejects, and why in words", () => {
  for (const [s, why] of [
    ["1024 ", /trailing whitespace " "/],
    ["1024\t", /trailing whitespace/],
    [" 1024", /leading whitespace/],
    ["10 24", /inner whitespace/],
    ["", /empty/],
    ["+", /lone/],
    ["2147483648", /out of int range/],
    ["-2147483649", /out of int range/],
    ["0x400", /"x" at offset 1/],
    ["1_024", /"_"/],
    ["64k", /"k" at offset 2/],
    ["1024 # small", /inner whitespace/],
    ["1e3", /"e"/],
  ] as const) {
    const r = javaParseInt(s);
    assert.equal(r.ok, false, s);
    if (!r.ok) assert.match(r.reason, why, s);
  }
});
