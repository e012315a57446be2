/**
 * @module protocols/rocketmq/json
 * JSON as RocketMQ's fastjson writes it. Standard JSON goes through `JSON.parse`; only when that
 * fails does a small recursive-descent parser run, which also accepts fastjson's unquoted map keys
 * (`{"brokerAddrs":{0:"127.0.0.1:10911"}}`: a `HashMap<Long,String>` is written with bare integer
 * keys, and every RocketMQ client reads them) and reports where a real syntax error is, as a byte
 * offset into the UTF-8 text. Depth is bounded so hostile input cannot overflow the stack.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
export type ParsedJson = { ok: true; value: JsonValue } | { ok: false; offset: number; message: string };

const MAX_DEPTH = 64;
const UTF8 = new TextDecoder("utf-8", { fatal: false });
const LATIN1 = new TextDecoder("latin1");

/** Parse bytes of JSON; `offset` in an error counts bytes from the start of `bytes`. */
export function parseJsonBytes(bytes: Uint8Array): ParsedJson {
  const r = parseJsonText(UTF8.decode(bytes));
  if (r.ok) return r;
  // The error should name a byte of the frame. JSON's structure is ASCII, so parsing the bytes as
  // Latin-1 (one char per byte) fails at the same place, and its offset counts bytes exactly even
  // when invalid UTF-8 was replaced by U+FFFD in the first pass.
  const b = parseJsonText(LATIN1.decode(bytes));
  return b.ok ? { ok: false, offset: Math.min(r.offset, bytes.length), message: r.message } : { ok: false, offset: b.offset, message: b.message };
}

export function parseJsonText(text: string): ParsedJson {
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch {
    const p = new Lenient(text);
    try {
      p.ws();
      const v = p.value(0);
      p.ws();
      if (p.i < text.length) return p.fail("trailing characters after the JSON value");
      return { ok: true, value: v };
    } catch (e) {
      if (e instanceof JsonSyntax) return { ok: false, offset: e.offset, message: e.message };
      throw e;
    }
  }
}

class JsonSyntax extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

class Lenient {
  i = 0;
  constructor(readonly s: string) {}
  fail(message: string): never {
    throw new JsonSyntax(message, Math.min(this.i, this.s.length));
  }
  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }
  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const c = this.s.charCodeAt(this.i);
    if (c === 0x7b) return this.object(depth);
    if (c === 0x5b) return this.array(depth);
    if (c === 0x22) return this.string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.s.startsWith("true", this.i)) return (this.i += 4), true;
    if (this.s.startsWith("false", this.i)) return (this.i += 5), false;
    if (this.s.startsWith("null", this.i)) return (this.i += 4), null;
    if (this.i >= this.s.length) this.fail("unexpected end of JSON");
    return this.fail(`unexpected character ${JSON.stringify(this.s[this.i])}`);
  }
  object(depth: number): JsonValue {
    const out: Record<string, JsonValue> = {};
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x7d) return this.i++, out;
    for (;;) {
      this.ws();
      const key = this.s.charCodeAt(this.i) === 0x22 ? this.string() : this.bareKey();
      this.ws();
      if (this.s.charCodeAt(this.i) !== 0x3a) this.fail("expected ':' after an object key");
      this.i++;
      this.ws();
      out[key] = this.value(depth + 1);
      this.ws();
      const c = this.s.charCodeAt(this.i);
      if (c === 0x2c) { this.i++; continue; }
      if (c === 0x7d) return this.i++, out;
      this.fail("expected ',' or '}' in an object");
    }
  }
  /** fastjson's unquoted keys: integers (Map<Long,…>) and identifiers. */
  bareKey(): string {
    const start = this.i;
    while (this.i < this.s.length && /[A-Za-z0-9_$\-]/.test(this.s[this.i]!)) this.i++;
    if (this.i === start) this.fail("expected an object key");
    return this.s.slice(start, this.i);
  }
  array(depth: number): JsonValue {
    const out: JsonValue[] = [];
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x5d) return this.i++, out;
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s.charCodeAt(this.i);
      if (c === 0x2c) { this.i++; continue; }
      if (c === 0x5d) return this.i++, out;
      this.fail("expected ',' or ']' in an array");
    }
  }
  string(): string {
    const start = this.i;
    this.i++;
    for (;;) {
      if (this.i >= this.s.length) { this.i = start; this.fail("unterminated string"); }
      const c = this.s.charCodeAt(this.i);
      if (c === 0x22) break;
      if (c === 0x5c) this.i++;
      this.i++;
    }
    this.i++;
    try {
      return JSON.parse(this.s.slice(start, this.i)) as string;
    } catch {
      this.i = start;
      return this.fail("bad escape in a string");
    }
  }
  number(): number {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 64));
    if (!m) this.fail("bad number");
    this.i += m![0].length;
    return Number(m![0]);
  }
}

/**
 * Serialize as fastjson does for RocketMQ's maps keyed by integers: keys listed in `bareKeys` paths
 * are not quoted. Used for TopicRouteData's `brokerAddrs` ({0:"ip:port"}), which is what a real
 * name server sends (captured: deepflow rocketmq-get-routeinfo-by-topic.pcap).
 */
export function stringifyWithBareIntKeys(value: unknown, bareKeyParents: ReadonlySet<string>, parentKey = ""): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => stringifyWithBareIntKeys(v, bareKeyParents, parentKey)).join(",")}]`;
  const bare = bareKeyParents.has(parentKey);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    const key = bare && /^-?\d+$/.test(k) ? k : JSON.stringify(k);
    parts.push(`${key}:${stringifyWithBareIntKeys(v, bareKeyParents, k)}`);
  }
  return `{${parts.join(",")}}`;
}
