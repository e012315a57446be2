/**
 * @module protocols/rocketmq/config/java-int
 * `Integer.parseInt(s)` as the JDK does it, because RocketMQ passes config values to it untrimmed
 * and swallows the NumberFormatException (MixAll.properties2Object): whatever this rejects, a name
 * server or broker silently ignores. Rules (java.lang.Integer.parseInt, radix 10): an optional
 * `+` or `-`, then at least one digit, nothing else — no whitespace, no `_`, no units, no `0x` —
 * and the value must fit in a signed 32-bit int. A digit is any character `Character.digit(c, 10)`
 * accepts: ASCII 0–9 and the other Unicode decimal digits (Nd) of the BMP, e.g. `١٠٢٤` is 1024.
 */

export type JavaIntResult = { ok: true; value: number } | { ok: false; reason: string };

const ND = /^\p{Nd}$/u;

/** Character.digit(c, 10) for one UTF-16 unit; -1 when not a decimal digit. */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  // Surrogates are never digits for charAt-based parsing.
  if (c < 0x80 || (c >= 0xd800 && c <= 0xdfff) || !ND.test(s[i]!)) return -1;
  // Unicode assigns every Nd set as ten consecutive code points 0..9: the value is the distance
  // from the set's zero, i.e. the run of Nd characters before it, modulo 10.
  let k = 0;
  while (c - k - 1 >= 0x80 && ND.test(String.fromCharCode(c - k - 1))) k++;
  return k % 10;
}

/** Why a value is not an int, in the words a person needs ("trailing space", "not a digit 'k'"). */
function describe(s: string, i: number): string {
  const ch = s[i]!;
  if (/\s/.test(ch)) {
    const where = i === s.length - 1 || /^\s+$/.test(s.slice(i)) ? "trailing" : i === 0 ? "leading" : "inner";
    return `${where} whitespace ${JSON.stringify(ch)} at offset ${i}`;
  }
  return `${JSON.stringify(ch)} at offset ${i} is not a digit`;
}

export function javaParseInt(s: string): JavaIntResult {
  if (s.length === 0) return { ok: false, reason: "empty value" };
  let i = 0;
  let neg = false;
  const first = s[0]!;
  if (first === "-" || first === "+") {
    neg = first === "-";
    i = 1;
    if (s.length === 1) return { ok: false, reason: `a lone ${JSON.stringify(first)}` };
  }
  let v = 0;
  for (; i < s.length; i++) {
    const d = digit(s, i);
    if (d < 0) return { ok: false, reason: describe(s, i) };
    v = v * 10 + d;
    if (v > 2147483648) return { ok: false, reason: "out of int range (-2147483648..2147483647)" };
  }
  if (!neg && v > 2147483647) return { ok: false, reason: "out of int range (-2147483648..2147483647)" };
  return { ok: true, value: neg ? -v || 0 : v };
}
