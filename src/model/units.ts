/**
 * @module model/units
 * Quantities as people type them (`2MB`, `1.98MiB`, `1.66ms`, `1660us`, `1Gbit`) and back.
 * Decimal prefixes are powers of 1000, binary ones (Ki, Mi, Gi) powers of 1024, as in iperf3 and
 * the SI/IEC rules. Durations must carry a unit: a bare `1.66` is ambiguous (ms? s?) and is refused.
 */
import { UsageError } from "../errors.js";

const SIZE_UNITS: Record<string, number> = {
  "": 1, b: 1, byte: 1, bytes: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  ki: 1024, kib: 1024, mi: 1024 ** 2, mib: 1024 ** 2, gi: 1024 ** 3, gib: 1024 ** 3, ti: 1024 ** 4, tib: 1024 ** 4,
};

/**
 * The largest size the model's arithmetic holds exactly: byte counts are doubles, whose integers
 * are exact up to 2^53 − 1 (Number.MAX_SAFE_INTEGER ≈ 9.007 PB, 8 PiB). Past it `size − sent`
 * and `ceil(size / window)` round, so a larger size is refused rather than answered wrongly.
 */
export const MAX_SIZE_BYTES = Number.MAX_SAFE_INTEGER;

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9, us: 1e-6, "µs": 1e-6, "μs": 1e-6, ms: 1e-3, s: 1, sec: 1, m: 60, min: 60, h: 3600,
};

/** Bits per second per unit; byte units (`MB/s`, `MBps`) are multiplied by 8. */
const RATE_UNITS: Record<string, number> = {
  bit: 1, bps: 1, "bit/s": 1,
  kbit: 1e3, kbps: 1e3, "kbit/s": 1e3, mbit: 1e6, mbps: 1e6, "mbit/s": 1e6,
  gbit: 1e9, gbps: 1e9, "gbit/s": 1e9, tbit: 1e12, "tbit/s": 1e12,
  "b/s": 8, "kb/s": 8e3, "mb/s": 8e6, "gb/s": 8e9,
  "kib/s": 8 * 1024, "mib/s": 8 * 1024 ** 2, "gib/s": 8 * 1024 ** 3,
};

const NUMBER_UNIT = /^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([a-zµμ/]*)\s*$/i;

function split(option: string, text: string, expected: string): { n: number; unit: string } {
  const m = NUMBER_UNIT.exec(text);
  if (!m) throw new UsageError(`${option} ${JSON.stringify(text)}: not a quantity (expected ${expected})`, option, text);
  const n = Number(m[1]);
  if (!Number.isFinite(n)) throw new UsageError(`${option} ${JSON.stringify(text)}: not a finite number`, option, text);
  return { n, unit: m[2] ?? "" };
}

function lookup(table: Record<string, number>, unit: string): number | undefined {
  // Case matters only for b/B in rates (bits vs bytes); the tables spell byte units "b/s" after
  // the caller folded "B" to bytes, so a plain lowercase lookup is safe for sizes and durations.
  return table[unit.toLowerCase()];
}

/** Bytes, an integer in [0, 2^53 − 1] (`2MB` = 2 000 000, `1.98MiB` = 2 076 180, `1TiB` = 2^40). */
export function parseSize(text: string, option = "--size"): number {
  const { n, unit } = split(option, text, "bytes such as 2079208, 2MB or 1.98MiB");
  const mult = lookup(SIZE_UNITS, unit);
  if (mult === undefined) throw new UsageError(`${option} ${JSON.stringify(text)}: unknown size unit "${unit}" (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`, option, text);
  if (n < 0) throw new UsageError(`${option} ${JSON.stringify(text)}: a size cannot be negative`, option, text);
  const bytes = Math.round(n * mult);
  if (!(bytes <= MAX_SIZE_BYTES)) {
    throw new UsageError(
      `${option} ${JSON.stringify(text)}: ${bytes.toExponential(3)} bytes is past the largest size the model computes exactly, ` +
        `${MAX_SIZE_BYTES} B (2^53 − 1, about 9 PB)`,
      option,
      text,
    );
  }
  return bytes;
}

/** Seconds (`1.66ms` = 0.00166). A unit is required. */
export function parseDuration(text: string, option = "--rtt"): number {
  const { n, unit } = split(option, text, "a duration such as 1.66ms, 1660us or 3s");
  if (unit === "") {
    if (n === 0) return 0;
    throw new UsageError(`${option} ${JSON.stringify(text)}: give a unit (ns, us, ms, s), e.g. ${n}ms`, option, text);
  }
  const mult = lookup(DURATION_UNITS, unit);
  if (mult === undefined) throw new UsageError(`${option} ${JSON.stringify(text)}: unknown time unit "${unit}" (use ns, us, ms, s, min)`, option, text);
  if (n < 0) throw new UsageError(`${option} ${JSON.stringify(text)}: a duration cannot be negative`, option, text);
  // Divide for sub-second units so 1.66ms is exactly 0.00166, not 0.0016600000000000002.
  return mult < 1 ? n / Math.round(1 / mult) : n * mult;
}

/**
 * Bits per second. `1Gbit`, `100Mbps`, `10Mbit/s` are bits; `125MB/s`, `125MBps` are bytes
 * (capital B, as iperf3 and tc write them).
 */
export function parseBandwidth(text: string, option = "--bandwidth"): number {
  const { n, unit } = split(option, text, "a rate such as 1Gbit, 100Mbps or 125MB/s");
  let key = unit;
  // "MBps"/"MB/s" (capital B) are bytes per second; "Mbps"/"Mbit" bits.
  const bytes = /B(ps|\/s)$/.test(unit);
  if (bytes) key = unit.replace(/B(ps|\/s)$/, "b/s");
  const mult = lookup(RATE_UNITS, key);
  if (mult === undefined || unit === "") throw new UsageError(`${option} ${JSON.stringify(text)}: unknown rate unit "${unit}" (use bit, Kbit, Mbit, Gbit, Mbps, MB/s)`, option, text);
  if (n <= 0) throw new UsageError(`${option} ${JSON.stringify(text)}: a rate must be positive`, option, text);
  return n * mult;
}

/** An integer within [min, max], for counts such as the MSS. */
export function parseInteger(text: string, option: string, min: number, max: number): number {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) throw new UsageError(`${option} ${JSON.stringify(text)}: not an integer`, option, text);
  const n = Number(t);
  if (n < min || n > max) throw new UsageError(`${option} ${n}: out of range (${min}..${max})`, option, text);
  return n;
}

/** `2079208 B (1.98 MiB)`-style text, short: `1.98 MiB`, `574 B`. */
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs < 1024) return `${bytes} B`;
  if (abs < 1024 ** 2) return `${trim(bytes / 1024)} KiB`;
  if (abs < 1024 ** 3) return `${trim(bytes / 1024 ** 2)} MiB`;
  if (abs < 1024 ** 4) return `${trim(bytes / 1024 ** 3)} GiB`;
  return `${trim(bytes / 1024 ** 4)} TiB`;
}

/** Milliseconds with sensible precision: `3006.5 ms`, `0.42 ms`, `12.3 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "∞";
  if (ms >= 100_000) return `${trim(ms / 1000)} s`;
  if (ms >= 100) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(3)} ms`;
}

/** Bytes per second as MB/s (decimal, as throughput is usually quoted) and bits. */
export function formatRate(bytesPerSec: number): string {
  if (bytesPerSec >= 1e6) return `${trim(bytesPerSec / 1e6)} MB/s (${trim((bytesPerSec * 8) / 1e6)} Mbit/s)`;
  if (bytesPerSec >= 1e3) return `${trim(bytesPerSec / 1e3)} kB/s (${trim((bytesPerSec * 8) / 1e3)} kbit/s)`;
  return `${Math.round(bytesPerSec)} B/s`;
}

function trim(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
