/**
 * @module protocols/rocketmq/config/java-properties
 * A `java.util.Properties.load` parser that reads a file the way RocketMQ's startups do, so what
 * tcpwin says the name server read is what the JVM read. Follows the JDK's `LineReader.readLine`
 * and `load0`/`loadConvert` step by step:
 *
 * - Natural lines end at `\n`, `\r` or `\r\n`. A logical line is one or more natural lines joined
 *   where a line ends in an odd number of backslashes; the backslash is dropped and the next line's
 *   leading whitespace (space, `\t`, `\f`) skipped. At end of input a dangling backslash is dropped.
 * - Leading whitespace of a logical line is skipped; blank lines are ignored; a line whose first
 *   non-whitespace character is `#` or `!` is a comment, and a comment never continues (the trailing
 *   backslash of a comment line joins nothing). Inside a continued line `#` is an ordinary character.
 * - The key ends at the first unescaped `=`, `:` or whitespace; then whitespace and at most one
 *   `=`/`:` (with whitespace around it) are skipped; the rest is the value. Trailing whitespace of
 *   the value is kept (that is RocketMQ's trailing-space trap: `1024 ` is not an int).
 * - Escapes in keys and values: `\t \n \r \f`, `\uXXXX` (exactly four hex digits, else
 *   IllegalArgumentException "Malformed \uxxxx encoding." — the JVM aborts the whole load), and any
 *   other `\c` is `c` (`\=`, `\:`, `\ `, `\#`, `\\`).
 * - A key given twice keeps its last value (Hashtable.put); every occurrence is kept for lint.
 *
 * `load(InputStream)` — what NamesrvStartup and BrokerStartup call — reads bytes as ISO-8859-1;
 * `load(Reader)` takes characters. The grammar is the same: `decodeLatin1` then `parseJavaProperties`
 * gives the InputStream reading. Pure: no I/O.
 */

/** One key=value as the JVM stored it, with where it came from. */
export interface PropertyEntry {
  key: string;
  value: string;
  /** 1-based natural line on which the logical line starts. */
  line: number;
  /** Natural lines the logical line spans (1 unless continued). */
  lines: number;
}

export interface PropertiesError {
  code: "malformed_unicode_escape";
  message: string;
  /** 1-based natural line of the escape. */
  line: number;
  /** 1-based column (in characters) of the backslash on that line. */
  column: number;
}

export interface ParsedProperties {
  /** Key → last entry for it (what Properties.getProperty returns). */
  map: Map<string, PropertyEntry>;
  /** Every entry in file order, duplicates included. */
  entries: PropertyEntry[];
  /**
   * Set when the JVM's load would throw: the entries before the bad line are kept here, but a
   * Java process reading this file fails (NamesrvStartup/BrokerStartup exit).
   */
  error?: PropertiesError;
}

const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0c;
const CR = 0x0d;
const LF = 0x0a;
const BS = 0x5c;

/** ISO-8859-1: each byte is one char, as Properties.load(InputStream) reads it. */
export function decodeLatin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

interface LogicalLine {
  /** Characters of the logical line (continuations joined, comment-free). */
  chars: string;
  /** For each char of `chars`: its natural line (1-based) and column (1-based). */
  lineOf: number[];
  colOf: number[];
  startLine: number;
  endLine: number;
}

/** LineReader.readLine over a whole string: the logical lines, in order. */
function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  let i = 0;
  let line = 1;
  let col = 1;
  const n = text.length;
  while (i < n) {
    let buf = "";
    const lineOf: number[] = [];
    const colOf: number[] = [];
    let skipWhiteSpace = true;
    let isCommentLine = false;
    let isNewLine = true;
    let appendedLineBegin = false;
    let precedingBackslash = false;
    let skipLF = false;
    let startLine = line;
    let done = false;
    while (i < n) {
      const c = text.charCodeAt(i);
      const cLine = line;
      const cCol = col;
      i++;
      if (c === LF || (c === CR && text.charCodeAt(i) !== LF)) {
        line++;
        col = 1;
      } else if (c !== CR) col++;
      if (skipLF) {
        skipLF = false;
        if (c === LF) continue;
      }
      if (skipWhiteSpace) {
        if (isWs(c)) continue;
        if (!appendedLineBegin && (c === CR || c === LF)) continue;
        skipWhiteSpace = false;
        appendedLineBegin = false;
      }
      if (isNewLine) {
        isNewLine = false;
        startLine = cLine;
        if (c === 0x23 || c === 0x21) {
          isCommentLine = true;
          continue;
        }
      }
      if (c !== LF && c !== CR) {
        if (!isCommentLine) {
          buf += text[i - 1];
          lineOf.push(cLine);
          colOf.push(cCol);
        }
        precedingBackslash = c === BS ? !precedingBackslash : false;
        continue;
      }
      // End of a natural line.
      if (isCommentLine || buf.length === 0) {
        isCommentLine = false;
        isNewLine = true;
        skipWhiteSpace = true;
        precedingBackslash = false;
        buf = "";
        lineOf.length = 0;
        colOf.length = 0;
        continue;
      }
      if (precedingBackslash) {
        buf = buf.slice(0, -1);
        lineOf.pop();
        colOf.pop();
        skipWhiteSpace = true;
        appendedLineBegin = true;
        precedingBackslash = false;
        if (c === CR) skipLF = true;
        continue;
      }
      out.push({ chars: buf, lineOf: lineOf.slice(), colOf: colOf.slice(), startLine, endLine: cLine });
      done = true;
      break;
    }
    if (!done && buf.length > 0 && !isCommentLine) {
      // End of input inside a line; a dangling continuation backslash is dropped.
      if (precedingBackslash) {
        buf = buf.slice(0, -1);
        lineOf.pop();
        colOf.pop();
      }
      out.push({ chars: buf, lineOf, colOf, startLine, endLine: line });
    }
  }
  return out;
}

const hexVal = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x61 + 10 : c >= 0x41 && c <= 0x46 ? c - 0x41 + 10 : -1;

/** loadConvert: escapes → characters; a malformed `\u` returns the offending index. */
function convert(l: LogicalLine, from: number, to: number): { ok: true; text: string } | { ok: false; at: number } {
  let out = "";
  const s = l.chars;
  let k = from;
  while (k < to) {
    const at = k;
    const ch = s[k++]!;
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    if (k >= to) break; // cannot happen: a trailing backslash continued the line
    const e = s[k++]!;
    if (e === "u") {
      // JDK 9+ checks the length first (JDK 8 read past the end); either way it is malformed.
      if (k + 4 > to) return { ok: false, at };
      let v = 0;
      for (let j = 0; j < 4; j++) {
        const h = hexVal(s.charCodeAt(k++));
        if (h < 0) return { ok: false, at };
        v = (v << 4) + h;
      }
      out += String.fromCharCode(v);
    } else out += e === "t" ? "\t" : e === "r" ? "\r" : e === "n" ? "\n" : e === "f" ? "\f" : e;
  }
  return { ok: true, text: out };
}

/** Properties.load over `text` (characters, as load(Reader) reads them). */
export function parseJavaProperties(text: string): ParsedProperties {
  const map = new Map<string, PropertyEntry>();
  const entries: PropertyEntry[] = [];
  for (const l of logicalLines(text)) {
    const s = l.chars;
    const limit = s.length;
    let keyLen = 0;
    let valueStart = limit;
    let hasSep = false;
    let precedingBackslash = false;
    while (keyLen < limit) {
      const c = s.charCodeAt(keyLen);
      if ((c === 0x3d || c === 0x3a) && !precedingBackslash) {
        valueStart = keyLen + 1;
        hasSep = true;
        break;
      } else if (isWs(c) && !precedingBackslash) {
        valueStart = keyLen + 1;
        break;
      }
      precedingBackslash = c === BS ? !precedingBackslash : false;
      keyLen++;
    }
    while (valueStart < limit) {
      const c = s.charCodeAt(valueStart);
      if (!isWs(c)) {
        if (!hasSep && (c === 0x3d || c === 0x3a)) hasSep = true;
        else break;
      }
      valueStart++;
    }
    const key = convert(l, 0, keyLen);
    const value = key.ok ? convert(l, valueStart, limit) : key;
    if (!key.ok || !value.ok) {
      const at = (!key.ok ? key : (value as { at: number })).at;
      const line = l.lineOf[at] ?? l.startLine;
      const column = l.colOf[at] ?? 1;
      return {
        map,
        entries,
        error: {
          code: "malformed_unicode_escape",
          message: `line ${line}, column ${column}: malformed \\uxxxx encoding (${JSON.stringify(s.slice(at, at + 6))}); Java's Properties.load throws IllegalArgumentException there, and the name server or broker exits at start-up`,
          line,
          column,
        },
      };
    }
    const entry: PropertyEntry = { key: key.text, value: value.text, line: l.startLine, lines: l.endLine - l.startLine + 1 };
    entries.push(entry);
    map.set(entry.key, entry);
  }
  return { map, entries };
}
