/**
 * @module test/support/tshark-compare
 * Runs tshark on a capture, runs our analysis on the same file, and compares every packet field
 * by field. tshark is the oracle: we print exactly the keys tshark prints (see tcp/packet-fields).
 *
 * `tshark -T fields` prints FT_NONE expert fields (the flags) as "1", times with 9 decimals,
 * and an empty column when a field is absent; we compare numbers numerically (times within 1 ns).
 *
 * Agreement is counted over the packets where either side has the field — a flag set by tshark
 * or by us, a number either prints — not over all packets: a flag tshark sets on 150 packets of
 * 10 000 could otherwise differ on 6 of them (4 %) and still pass "99.9 %". Packets where neither
 * side has it are agreement that says nothing, and are left out (`total` is that union).
 */
import { execFileSync } from "node:child_process";
import { analyzeCapture } from "../../src/tcp/index.js";
import type { PacketFields } from "../../src/tcp/index.js";

export const NUMBER_FIELDS = [
  "tcp.stream",
  "tcp.len",
  "tcp.seq_raw",
  "tcp.ack_raw",
  "tcp.window_size_value",
  "tcp.window_size",
  "tcp.window_size_scalefactor",
  "tcp.analysis.bytes_in_flight",
  "tcp.analysis.acks_frame",
  "tcp.analysis.ack_rtt",
  "tcp.analysis.initial_rtt",
  "tcp.analysis.duplicate_ack_num",
] as const;

export const FLAG_FIELDS = [
  "tcp.analysis.zero_window",
  "tcp.analysis.zero_window_probe",
  "tcp.analysis.zero_window_probe_ack",
  "tcp.analysis.window_update",
  "tcp.analysis.window_full",
  "tcp.analysis.duplicate_ack",
  "tcp.analysis.lost_segment",
  "tcp.analysis.ack_lost_segment",
  "tcp.analysis.keep_alive",
  "tcp.analysis.keep_alive_ack",
  "tcp.analysis.retransmission",
  "tcp.analysis.fast_retransmission",
  "tcp.analysis.spurious_retransmission",
  "tcp.analysis.out_of_order",
  "tcp.analysis.reused_ports",
] as const;

const TIME_FIELDS = new Set(["tcp.analysis.ack_rtt", "tcp.analysis.initial_rtt"]);
export const ALL_FIELDS: readonly string[] = [...NUMBER_FIELDS, ...FLAG_FIELDS];

export type Row = Record<string, string>;

/** tshark's per-packet values (TCP packets only), keyed by frame number. */
export function tsharkRows(file: string): Map<number, Row> {
  const args = ["-r", file, "-n", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f", "-e", "frame.number"];
  for (const f of ALL_FIELDS) args.push("-e", f);
  const out = execFileSync("tshark", args, { encoding: "utf8", maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"], timeout: 120_000, killSignal: "SIGKILL" });
  const rows = new Map<number, Row>();
  for (const line of out.split("\n")) {
    if (!line) continue;
    const cols = line.split("\t");
    const frame = Number(cols[0]);
    if (cols[1] === "" || cols[1] === undefined) continue; // not TCP
    const row: Row = {};
    ALL_FIELDS.forEach((f, i) => (row[f] = cols[i + 1] ?? ""));
    rows.set(frame, row);
  }
  return rows;
}

/** One packet object (`--packets` line or onPacket value) in tshark's textual form. */
export function toRow(p: Record<string, unknown>): Row {
  const row: Row = {};
  for (const f of ALL_FIELDS) {
    const v = p[f];
    row[f] = v === undefined ? "" : v === true ? "1" : String(v);
  }
  return row;
}

/** Our values in tshark's textual form, keyed by frame number. */
export function ourRows(file: string): { rows: Map<number, Row>; fields: Map<number, PacketFields> } {
  const rows = new Map<number, Row>();
  const fields = new Map<number, PacketFields>();
  analyzeCapture(file, {
    onPacket: (p) => {
      rows.set(p["frame.number"], toRow(p as unknown as Record<string, unknown>));
      fields.set(p["frame.number"], p);
    },
  });
  return { rows, fields };
}

function same(field: string, a: string, b: string): boolean {
  if (a === b) return true;
  if (a === "" || b === "") return false;
  if (TIME_FIELDS.has(field)) return Math.abs(Number(a) - Number(b)) < 1.5e-9;
  return Number(a) === Number(b);
}

export interface FieldReport {
  field: string;
  kind: "flag" | "number";
  /** Packets of `total` where both sides have the field with the same value. */
  agree: number;
  /** Packets where tshark or we (or both) have the field: the union agreement is counted over. */
  total: number;
  /** agree / total; 1 when neither side ever has the field. */
  share: number;
  /** Up to 20 differing frames: frame, tshark's value, ours. */
  diffs: { frame: number; tshark: string; ours: string }[];
  /** How many tshark set (non-empty), for "the test could fail" sanity. */
  present: number;
  /** How many we set (non-empty; "<missing>" rows of frames we did not see count as set). */
  ours: number;
}

export interface Comparison {
  packets: number;
  missing: number[];
  extra: number[];
  fields: FieldReport[];
}

/** Compare tshark with our rows: from analyzeCapture, or given (e.g. parsed `--packets` output). */
export function compareWithTshark(file: string, given?: Map<number, Row>): Comparison {
  const ref = tsharkRows(file);
  const rows = given ?? ourRows(file).rows;
  const missing: number[] = [];
  const extra: number[] = [];
  for (const k of ref.keys()) if (!rows.has(k)) missing.push(k);
  for (const k of rows.keys()) if (!ref.has(k)) extra.push(k);
  const fields: FieldReport[] = [];
  const flags = new Set<string>(FLAG_FIELDS);
  for (const f of ALL_FIELDS) {
    let agree = 0;
    let present = 0;
    let oursSet = 0;
    let union = 0;
    const diffs: FieldReport["diffs"] = [];
    for (const [frame, t] of ref) {
      const o = rows.get(frame);
      const tv = t[f] ?? "";
      const ov = o ? (o[f] ?? "") : "<missing>";
      if (tv !== "") present++;
      if (ov !== "") oursSet++;
      if (tv === "" && ov === "") continue; // neither has it: says nothing either way
      union++;
      if (same(f, tv, ov)) agree++;
      else if (diffs.length < 20) diffs.push({ frame, tshark: tv, ours: ov });
    }
    fields.push({ field: f, kind: flags.has(f) ? "flag" : "number", agree, total: union, share: union ? agree / union : 1, diffs, present, ours: oursSet });
  }
  return { packets: ref.size, missing, extra, fields };
}

/** One line per field: union, agreement, both counts — what a run prints so the figures are on record. */
export function summary(c: Comparison): string[] {
  return c.fields.map((f) => `${f.field}: ${f.agree}/${f.total} (${(100 * f.share).toFixed(3)} %; tshark ${f.present}, ours ${f.ours})`);
}

/** Human-readable summary of the fields below `min` agreement (or all, with verbose). */
export function describe(c: Comparison, min = 1, verbose = false): string {
  const lines: string[] = [`${c.packets} TCP packets; missing in ours: ${c.missing.length}; extra: ${c.extra.length}`];
  for (const f of c.fields) {
    if (!verbose && f.share >= min) continue;
    lines.push(`  ${f.field}: ${f.agree} of the ${f.total} packets where either side ${f.kind === "flag" ? "sets it" : "has a value"} agree (${(100 * f.share).toFixed(3)} %); tshark ${f.present}, ours ${f.ours}`);
    for (const d of f.diffs) lines.push(`    frame ${d.frame}: tshark ${JSON.stringify(d.tshark)} ours ${JSON.stringify(d.ours)}`);
  }
  return lines.join("\n");
}
