/**
 * @module report/json-digits
 * Decimal digits straight into a byte buffer, as JSON writes numbers: integers in [0, 2^53) without
 * String(), and ~0ULL (2^64 − 1, "unlimited" max_pacing_rate) from a constant. Pure.
 */
const enc = new TextEncoder();
const MAX_SAFE = 2 ** 53;
/** 2^64 − 1 as a double (what tcp-info's u64 read gives for ~0ULL) and its JSON text. */
const U64_MAX = 4294967295 + 4294967295 * 4294967296;
const U64_MAX_TEXT = enc.encode(String(U64_MAX));

/** A number as JSON writes it, at p (24 bytes of room); integers in [0, 2^53) without String(). */
export function writeUint(buf: Uint8Array, p: number, n: number): number {
  if (n >= 0 && n < 4294967296 && n === Math.floor(n)) return writeU32(buf, p, n);
  if (n === U64_MAX) {
    // ~0ULL ("unlimited" max_pacing_rate): common, and String() of it is slow.
    for (let i = 0; i < U64_MAX_TEXT.length; i++) buf[p++] = U64_MAX_TEXT[i]!;
    return p;
  }
  if (n >= MAX_SAFE || n !== Math.floor(n) || n < 0) {
    const t = String(n);
    for (let i = 0; i < t.length; i++) buf[p++] = t.charCodeAt(i);
    return p;
  }
  // 2^32 ≤ n < 2^53: high and low halves in base 1e9.
  const hi = Math.floor(n / 1e9);
  const lo = n - hi * 1e9;
  p = writeU32(buf, p, hi);
  for (let d = 8, x = lo; d >= 0; d--, x = Math.floor(x / 10)) buf[p + d] = 48 + (x % 10);
  return p + 9;
}

/** Two ASCII digits per entry: "00".."99". */
const DIGITS2 = (() => {
  const t = new Uint8Array(200);
  for (let i = 0; i < 100; i++) {
    t[i * 2] = 48 + Math.floor(i / 10);
    t[i * 2 + 1] = 48 + (i % 10);
  }
  return t;
})();

/** Write a u32 in decimal at p; returns the new position. */
export function writeU32(buf: Uint8Array, p: number, n: number): number {
  if (n < 10) {
    buf[p] = 48 + n;
    return p + 1;
  }
  if (n < 100) {
    buf[p] = DIGITS2[n * 2]!;
    buf[p + 1] = DIGITS2[n * 2 + 1]!;
    return p + 2;
  }
  const len = n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
  let e = p + len;
  let x = n;
  while (x >= 100) {
    const q = Math.floor(x / 100);
    const r = (x - q * 100) * 2;
    buf[--e] = DIGITS2[r + 1]!;
    buf[--e] = DIGITS2[r]!;
    x = q;
  }
  if (x >= 10) {
    buf[--e] = DIGITS2[x * 2 + 1]!;
    buf[--e] = DIGITS2[x * 2]!;
  } else buf[--e] = 48 + x;
  return p + len;
}

