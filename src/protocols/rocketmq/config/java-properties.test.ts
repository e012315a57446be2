/**
 * java.util.Properties.load semantics, case by case from the JDK's Properties javadoc (load(Reader))
 * and LineReader's corner cases. Each expectation is what Java 8–21 returns for the same text.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeLatin1, parseJavaProperties } from "./java-properties.js";

const obj = (text: string) => Object.fromEntries([...parseJavaProperties(text).map].map(([k, e]) => [k, e.value]));

test("the javadoc's three Truth = Beauty lines: =, : and whitespace separators", () => {
  assert.deepEqual(obj("Truth = Beauty\n"), { Truth: "Beauty" });
  assert.deepEqual(obj(" Truth:Beauty"), { Truth: "Beauty" });
  assert.deepEqual(obj("Truth                    :Beauty"), { Truth: "Beauty" });
  assert.deepEqual(obj("Truth Beauty"), { Truth: "Beauty" });
  assert.deepEqual(obj("Truth\tBeauty"), { Truth: "Beauty" });
});

test("the javadoc's fruits: continuation lines lose their leading whitespace", () => {
  const text = "fruits                           apple, banana, pear, \\\n                                 cantaloupe, watermelon, \\\n                                 kiwi, mango\n";
  const p = parseJavaProperties(text);
  assert.equal(p.map.get("fruits")!.value, "apple, banana, pear, cantaloupe, watermelon, kiwi, mango");
  assert.equal(p.map.get("fruits")!.line, 1);
  assert.equal(p.map.get("fruits")!.lines, 3);
});

test("the javadoc's cheeses: a key alone has the empty value", () => {
  assert.deepEqual(obj("cheeses\n"), { cheeses: "" });
  assert.deepEqual(obj("cheeses="), { cheeses: "" });
  assert.deepEqual(obj("cheeses   "), { cheeses: "" });
});

test("escaped separators and spaces belong to the key (\\:\\= is the key \":=\")", () => {
  assert.deepEqual(obj("\\:\\= = x"), { ":=": "x" });
  assert.deepEqual(obj("key\\ with\\ spaces = v"), { "key with spaces": "v" });
  assert.deepEqual(obj("a\\=b=c"), { "a=b": "c" });
  assert.deepEqual(obj("a\\\\=b"), { "a\\": "b" });
});

test("after the separator: whitespace and one more = or : are skipped, a second one is value", () => {
  assert.deepEqual(obj("k = = v"), { k: "= v" });
  assert.deepEqual(obj("k:=v"), { k: "=v" });
  assert.deepEqual(obj("k  =v"), { k: "v" });
  assert.deepEqual(obj("k  :  v"), { k: "v" });
});

test("trailing whitespace of a value is kept (the RocketMQ trap) — leading is not", () => {
  assert.deepEqual(obj("serverSocketRcvBufSize=1024 \n"), { serverSocketRcvBufSize: "1024 " });
  assert.deepEqual(obj("serverSocketRcvBufSize=   1024\t\n"), { serverSocketRcvBufSize: "1024\t" });
  // # is a comment only at the start of a line: the value is "1024 # small".
  assert.deepEqual(obj("serverSocketRcvBufSize=1024 # small"), { serverSocketRcvBufSize: "1024 # small" });
});

test("comments: # and ! at the start (after whitespace), never continued by a trailing backslash", () => {
  assert.deepEqual(obj("# c\n! d\n   # e\nk=v"), { k: "v" });
  assert.deepEqual(obj("# comment \\\nk=v\n"), { k: "v" });
  // Inside a continued line # is ordinary.
  assert.deepEqual(obj("a=b\\\n  #c\n"), { a: "b#c" });
});

test("line terminators: \\n, \\r, \\r\\n; blank lines are ignored", () => {
  assert.deepEqual(obj("a=1\rb=2\r\nc=3\n\n\n  \nd=4"), { a: "1", b: "2", c: "3", d: "4" });
  assert.deepEqual(obj("a=x\\\r\n   y"), { a: "xy" });
  assert.deepEqual(obj("a=x\\\r   y"), { a: "xy" });
  const p = parseJavaProperties("a=1\r\n\r\nb=2\rc=3\n");
  assert.deepEqual(p.entries.map((e) => [e.key, e.line]), [["a", 1], ["b", 3], ["c", 4]]);
});

test("backslash parity: an even run does not continue; a dangling one at end of input is dropped", () => {
  assert.deepEqual(obj("a=b\\\\\nc=d"), { a: "b\\", c: "d" });
  assert.deepEqual(obj("a=b\\"), { a: "b" });
  // A continuation onto an empty line ends the value there.
  assert.deepEqual(obj("a=b\\\n\nc=d"), { a: "b", c: "d" });
});

test("escapes: \\t \\n \\r \\f, \\uXXXX, any other \\c is c", () => {
  assert.deepEqual(obj("k=\\t\\n\\r\\f"), { k: "\t\n\r\f" });
  assert.deepEqual(obj("k=\\u0041\\u00e9\\u00E9"), { k: "Aéé" });
  assert.deepEqual(obj("k=\\q\\#\\!\\ x"), { k: "q#! x" });
  assert.deepEqual(obj("\\u006b=v"), { k: "v" });
});

test("a malformed \\u: an error with its line and column, entries before it kept", () => {
  for (const [text, line, column] of [
    ["a=1\nb=2\nk=\\u12", 3, 3],
    ["a=1\nk=x\\uGGGG\n", 2, 4],
    ["\\uzz=1", 1, 1],
    ["a=1\nk=long \\\n  \\u00q1", 3, 3],
  ] as const) {
    const p = parseJavaProperties(text);
    assert.ok(p.error, text);
    assert.equal(p.error.code, "malformed_unicode_escape");
    assert.equal(p.error.line, line, text);
    assert.equal(p.error.column, column, text);
    assert.match(p.error.message, new RegExp(`^line ${line}, column ${column}: malformed \\\\uxxxx`));
  }
  assert.equal(parseJavaProperties("a=1\nb=2\nk=\\u12").map.get("b")!.value, "2");
});

test("a key given twice: the last value wins, both occurrences are listed", () => {
  const p = parseJavaProperties("k=1\nk=2\n");
  assert.equal(p.map.get("k")!.value, "2");
  assert.equal(p.map.get("k")!.line, 2);
  assert.equal(p.entries.length, 2);
});

test("ISO-8859-1 decoding, as Properties.load(InputStream) reads a file", () => {
  assert.equal(decodeLatin1(Uint8Array.from([0x6b, 0x3d, 0xe9, 0xff])), "k=éÿ");
  assert.deepEqual(obj(decodeLatin1(Buffer.from("k=\u00e9", "latin1"))), { k: "é" });
});

test("fuzz: random text never throws and every entry's line lies in the text", () => {
  let seed = 7;
  const r = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const alphabet = ["a", "=", ":", " ", "\t", "\f", "\\", "\n", "\r", "#", "!", "u", "0", "F", "é"];
  for (let i = 0; i < 3000; i++) {
    let t = "";
    for (let j = Math.floor(r() * 60); j > 0; j--) t += alphabet[Math.floor(r() * alphabet.length)];
    const p = parseJavaProperties(t);
    const lines = t.split(/\r\n|\r|\n/).length;
    for (const e of p.entries) assert.ok(e.line >= 1 && e.line + e.lines - 1 <= lines, JSON.stringify(t));
    if (p.error) assert.ok(p.error.line >= 1 && p.error.line <= lines, JSON.stringify(t));
  }
});
