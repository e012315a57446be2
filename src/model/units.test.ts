import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBandwidth, parseDuration, parseInteger, parseSize } from "./units.js";
import { UsageError } from "../errors.js";

test("sizes: bytes, decimal and binary prefixes", () => {
  assert.equal(parseSize("2079208"), 2079208);
  assert.equal(parseSize("2MB"), 2_000_000);
  assert.equal(parseSize("2 mb"), 2_000_000);
  assert.equal(parseSize("1.98MiB"), Math.round(1.98 * 1048576));
  assert.equal(parseSize("4K"), 4000);
  assert.equal(parseSize("4KiB"), 4096);
  assert.equal(parseSize("574B"), 574);
  assert.equal(parseSize("0"), 0);
  assert.equal(parseSize("1TB"), 1e12);
  assert.equal(parseSize("1T"), 1e12);
  assert.equal(parseSize("1TiB"), 2 ** 40);
  assert.equal(parseSize("2Ti"), 2 ** 41);
  assert.equal(parseSize("1e15"), 1e15);
  assert.equal(parseSize(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
  assert.throws(() => parseSize("8192TiB"), /past the largest size/); // 2^53 = MAX_SAFE_INTEGER + 1
  assert.equal(parseSize("8191.99TiB"), Math.round(8191.99 * 2 ** 40));
});

test("sizes past 2^53 − 1 (what the arithmetic holds exactly) are refused, naming the option and value", () => {
  const past = (e: unknown) => e instanceof UsageError && e.option === "--size" && /past the largest size the model computes exactly, 9007199254740991 B/.test(e.message);
  assert.throws(() => parseSize("99999999999999999999999"), (e: unknown) => past(e) && /"99999999999999999999999"/.test((e as Error).message));
  assert.throws(() => parseSize("9007199254740993"), past);
  assert.throws(() => parseSize("10PB"), /unknown size unit "PB"/);
  assert.throws(() => parseSize("1e16"), past);
  assert.throws(() => parseSize("1e400"), /not a finite number/);
});

test("sizes: errors say what was wrong", () => {
  assert.throws(() => parseSize("-5"), (e: unknown) => e instanceof UsageError && /negative/.test(e.message));
  assert.throws(() => parseSize("2 parsecs"), /unknown size unit "parsecs"/);
  assert.throws(() => parseSize("lots"), /not a quantity/);
  assert.throws(() => parseSize(""), /not a quantity/);
});

test("durations need a unit", () => {
  assert.equal(parseDuration("1.66ms"), 0.00166);
  assert.equal(parseDuration("1660us"), 0.00166);
  assert.equal(parseDuration("1660µs"), 0.00166);
  assert.equal(parseDuration("3s"), 3);
  assert.equal(parseDuration("500ns"), 5e-7);
  assert.throws(() => parseDuration("2parsecs"), /unknown time unit "parsecs"/);
  assert.throws(() => parseDuration("1.66"), /give a unit/);
  assert.throws(() => parseDuration("-1ms"), /negative/);
});

test("rates: bits vs bytes", () => {
  assert.equal(parseBandwidth("1Gbit"), 1e9);
  assert.equal(parseBandwidth("100Mbps"), 1e8);
  assert.equal(parseBandwidth("10Mbit/s"), 1e7);
  assert.equal(parseBandwidth("125MB/s"), 1e9);
  assert.equal(parseBandwidth("125MBps"), 1e9);
  assert.throws(() => parseBandwidth("1Gfurlong"), /unknown rate unit/);
  assert.throws(() => parseBandwidth("0Mbit"), /positive/);
});

test("integers with ranges", () => {
  assert.equal(parseInteger("574", "--mss", 88, 65535), 574);
  assert.throws(() => parseInteger("57.4", "--mss", 88, 65535), /not an integer/);
  assert.throws(() => parseInteger("10", "--mss", 88, 65535), /out of range/);
});
