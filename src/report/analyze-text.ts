/**
 * @module report/analyze-text
 * `tcpwin analyze` for people: per connection a compact two-column summary (client → server and
 * server → client side by side: bytes, rate, MSS, window scale, advertised window, in flight,
 * RTT, flags, limit shares) and the verdict with its model cross-check and fix. Unknown numbers
 * print as "-", never as 0. Colour comes in as functions (cli/style decides whether it is on).
 */
import { agreementText, durationText, percentText, VERDICT_TITLES, type Diagnosed, type RocketmqResultLike } from "../diagnose/index.js";
import { formatBytes, formatRate } from "../model/index.js";
import type { ConnectionEvidence, DirectionEvidence, Endpoint, Stats, WindowScaleInfo } from "../tcp/evidence.js";
import { NO_PAINT, type AnalyzePaint, type AnalyzeReportInput } from "./analyze-types.js";

const ep = (e: Endpoint) => (e.addr.includes(":") ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`);
const LABEL = 27;
const COL = 42;

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
}

function statsText(s: Stats | null, unit: string, withP95 = false): string {
  if (!s || s.count === 0) return "-";
  const parts = [num(s.min), num(s.median)];
  if (withP95 && s.p95 !== undefined) parts.push(num(s.p95));
  parts.push(num(s.max));
  return `${parts.join(" / ")} ${unit}`;
}

function scaleText(w: WindowScaleInfo): string {
  switch (w.source) {
    case "handshake":
      return `${w.shift} (handshake)`;
    case "not_used":
      return "not used";
    case "unknown":
      return "unknown (raw)";
    case "inferred":
      return `${w.shift} inferred${w.confidence !== undefined ? ` ${percentText(w.confidence)}` : ""}`;
  }
}

function flagsText(d: DirectionEvidence): string {
  const entries = Object.entries(d.flags).filter(([, n]) => n > 0);
  if (!entries.length) return "-";
  return entries
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
}

function rateText(d: DirectionEvidence): string {
  if (d.bytes === 0) return "0 B";
  const span = d.first_data_s !== null && d.last_data_s !== null ? d.last_data_s - d.first_data_s : 0;
  const b = d.bytes >= 10 * 1024 ? formatBytes(d.bytes) : `${d.bytes} B`;
  return span > 0 ? `${b}, ${formatRate(d.bytes / span)}` : b;
}

function limitsText(d: DirectionEvidence): string {
  const l = d.limits;
  if (!l) return "-";
  return `rwnd ${percentText(l.rwnd)}, cwnd ${percentText(l.cwnd)}, app ${percentText(l.app)} (${durationText(l.busy_s * 1000)})`;
}

/** Split a long text into lines of at most `width` characters at spaces. */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

function row(label: string, a: string, b: string): string {
  const left = a.length >= COL - 1 ? `${a}  ` : a.padEnd(COL);
  return `  ${label.padEnd(LABEL)}${left}${b}`;
}

function block(_p: AnalyzePaint, label: string, text: string, colour: (s: string) => string = (s) => s): string[] {
  const lines = wrap(text, 96);
  return lines.map((l, i) => `  ${(i === 0 ? label : "").padEnd(LABEL)}${colour(l)}`);
}

/** A title other than its kind's qualifies the verdict ("too little captured"): not green. */
function qualified(v: Diagnosed["verdict"]): boolean {
  return v.title !== VERDICT_TITLES[v.kind];
}

function verdictColour(p: AnalyzePaint, v: Diagnosed["verdict"]): (s: string) => string {
  const kind = v.kind;
  return kind === "healthy" && !qualified(v) ? p.green : kind === "application_limited" || kind === "healthy" || kind === "inconclusive" || kind === "sender_limited" ? p.yellow : p.red;
}

export function renderConnection(d: Diagnosed, p: AnalyzePaint = NO_PAINT): string[] {
  const c: ConnectionEvidence = d.evidence;
  const v = d.verdict;
  const out: string[] = [];
  out.push(
    `${p.bold(`stream ${c.stream}`)}  ${ep(c.client)} → ${ep(c.server)}  ${durationText(c.duration_s * 1000)}, ` +
      `${c.c2s.packets + c.s2c.packets} packets, ${c.state}${c.handshake_seen ? "" : ", handshake not captured"}`,
  );
  const colour = verdictColour(p, v);
  const verdictLine = `  ${"verdict".padEnd(LABEL)}${p.bold(colour(v.title.toUpperCase()))} ${p.dim(`(${v.kind}; rule ${ruleText(d)}; confidence ${v.confidence.toFixed(2)})`)}`;
  if (v.rule.id === "no_data") {
    out.push(verdictLine, ...block(p, "", v.claim));
    return out;
  }
  out.push(p.dim(row("", "client → server", "server → client")));
  out.push(row("payload", rateText(c.c2s), rateText(c.s2c)));
  out.push(row("packets", String(c.c2s.packets), String(c.s2c.packets)));
  out.push(row("MSS (SYN) / largest", `${c.c2s.mss_syn ?? "-"} / ${c.c2s.max_segment}`, `${c.s2c.mss_syn ?? "-"} / ${c.s2c.max_segment}`));
  out.push(row("peer's window scale", scaleText(c.c2s.rwnd_scale), scaleText(c.s2c.rwnd_scale)));
  out.push(row("peer's window min/med/max", statsText(c.c2s.rwnd_adv, "B"), statsText(c.s2c.rwnd_adv, "B")));
  out.push(row("in flight min/med/max", statsText(c.c2s.bytes_in_flight, "B"), statsText(c.s2c.bytes_in_flight, "B")));
  out.push(row("RTT min/med/p95/max", statsText(c.c2s.rtt_ms, "ms", true), statsText(c.s2c.rtt_ms, "ms", true)));
  // ACKs that rode on the peer's reply waited for it: RTT + the peer's time, shown apart, not in RTT.
  const onReply = (x: DirectionEvidence) => (x.rtt_on_reply_ms ? `${x.rtt_on_reply_ms.count} × ${statsText(x.rtt_on_reply_ms, "ms")}` : "-");
  if (c.c2s.rtt_on_reply_ms || c.s2c.rtt_on_reply_ms) out.push(row("ACK on reply (RTT+wait)", onReply(c.c2s), onReply(c.s2c)));
  out.push(row("flags", flagsText(c.c2s), flagsText(c.s2c)));
  out.push(row("limited by (busy time)", limitsText(c.c2s), limitsText(c.s2c)));
  const zw = (x: DirectionEvidence) => (x.zero_window_s > 0 ? durationText(x.zero_window_s * 1000) : "-");
  if (c.c2s.zero_window_s > 0 || c.s2c.zero_window_s > 0) out.push(row("zero window", zw(c.c2s), zw(c.s2c)));
  out.push(`  ${"handshake RTT".padEnd(LABEL)}${c.irtt_ms !== null ? `${num(c.irtt_ms)} ms` : "-"}`);

  out.push(verdictLine);
  out.push(...block(p, "", v.claim));
  if (v.model) {
    const m = v.model;
    // For a verdict that does not blame the window, the model says what the window alone allowed.
    const blames = v.kind !== "healthy" && v.kind !== "application_limited";
    out.push(
      ...block(
        p,
        "model",
        `at window ${m.window_bytes} B (${m.window_source.replace(/_/g, " ")}) and RTT ${num(m.rtt_ms)} ms the model ` +
          `${blames ? "says" : "says the window alone allows"} ${durationText(m.predicted_ms)} (${m.round_trips} round trips); ` +
          `it took ${durationText(m.actual_ms)}` +
          (blames ? ` (×${m.ratio}, ${agreementText(m)})` : ""),
      ),
    );
  }
  if (v.app) for (const t of v.app.text) out.push(...block(p, v.app.protocol, t, v.app.setting?.text === t ? p.cyan : (s) => s));
  // The protocol's own setting says what the TCP fix would, in the words its operators use.
  if (v.fix && !v.app?.setting) out.push(...block(p, "fix", v.fix.text, p.cyan));
  for (const n of v.notes) out.push(...block(p, "note", n, p.dim));
  const rq = c.app?.["rocketmq"] as RocketmqResultLike | undefined;
  if (rq && rq.exchanges.length > 0) out.push(...exchangeTable(rq, p));
  return out;
}

/** Rows the exchange table shows before "… N more". */
export const EXCHANGE_ROWS = 12;

/** RocketMQ's exchanges on the connection, in capture order: the slow and timed-out ones coloured. */
function exchangeTable(rq: RocketmqResultLike, p: AnalyzePaint): string[] {
  const head = `${"opaque".padStart(11)}  ${"request".padEnd(30)} ${"bytes".padStart(9)}  ${"response".padEnd(22)} ${"latency".padStart(10)}  `;
  const out = [`  ${"rocketmq exchanges".padEnd(LABEL)}${p.dim(head.trimEnd())}`];
  const list = rq.exchanges;
  for (const e of list.slice(0, EXCHANGE_ROWS)) {
    const dir = e.dir === 0 ? "→" : "←";
    const req = e.code !== null ? `${dir} ${e.code} ${e.name ?? ""}`.slice(0, 30) : `${dir} (request not captured)`;
    const resp = e.oneway ? "oneway" : e.response_code !== null ? `${e.response_code} ${e.response_name ?? ""}`.slice(0, 22) : "-";
    const lat = e.latency_us !== null ? durationText(e.latency_us / 1000) : "-";
    const verdict = e.oneway ? "" : e.timed_out === true ? `timed out (> ${durationText(e.timeout_ms)})` : e.timed_out === null ? "no response in the capture" : "";
    const line = `${String(e.opaque).padStart(11)}  ${req.padEnd(30)} ${String(e.request_bytes ?? "-").padStart(9)}  ${resp.padEnd(22)} ${lat.padStart(10)}  ${verdict}`;
    out.push(`  ${"".padEnd(LABEL)}${e.timed_out === true ? p.red(line.trimEnd()) : line.trimEnd()}`);
  }
  if (list.length > EXCHANGE_ROWS) out.push(`  ${"".padEnd(LABEL)}${p.dim(`… ${list.length - EXCHANGE_ROWS} more (--json lists all; --code N / --opaque N pick some)`)}`);
  return out;
}

function ruleText(d: Diagnosed): string {
  const r = d.verdict.rule;
  // The condition the rule leads with, named by its own measure (tiny_window's cost is rwnd_share,
  // but the number it compared is rwnd_max_segments), and the rule's id first when it is not that
  // measure's name ("bottleneck: cwnd_share 0.950 ≥ 0.25").
  const k = r.conditions.find((c) => c.measure === r.measure) ?? r.conditions[0];
  if (!k || k.value === null) return r.id;
  return `${r.id === k.measure ? "" : `${r.id}: `}${k.measure} ${num(k.value)} ${k.op} ${k.threshold}`;
}

export function renderAnalyzeText(input: AnalyzeReportInput, p: AnalyzePaint = NO_PAINT): string {
  const { result, shown, total } = input;
  const out: string[] = [];
  out.push(
    `${p.bold("tcpwin analyze")}  ${input.source === "-" ? "stdin" : input.source}: ${result.packets} packets, ` +
      `${result.tcpPackets} TCP, ${total} connection${total === 1 ? "" : "s"}` +
      (shown.length < total ? ` (showing ${shown.length}, most important first; --all for every one)` : ""),
  );
  if (input.deadlineSec !== undefined) out.push(`  deadline ${durationText(input.deadlineSec * 1000)}: fixes aim to meet it`);
  out.push("");
  for (const d of shown) {
    out.push(...renderConnection(d, p), "");
  }
  if (total === 0) out.push("  no TCP connections" + (result.packets > 0 ? " matched" : "") + "", "");
  if (shown.length > 1 || total > shown.length) {
    out.push(p.bold("summary"));
    for (const d of shown) {
      const v = d.verdict;
      out.push(
        `  ${String(d.evidence.stream).padStart(5)}  ${`${ep(d.evidence.client)} → ${ep(d.evidence.server)}`.padEnd(48)} ` +
          `${formatBytes(d.evidence.c2s.bytes + d.evidence.s2c.bytes).padStart(10)}  ${verdictColour(p, v)(qualified(v) ? `${v.kind} (${v.title})` : v.kind)}`,
      );
    }
    out.push("");
  }
  return out.join("\n").replace(/\n+$/, "") + "\n";
}
