/**
 * @module report/incident-text
 * `tcpwin lab incident` for people: both runs side by side (config, what RocketMQ made of it,
 * the window on the wire, timed out or not, measured vs the model), then the failing run's linked
 * verdict as `analyze` prints it, and why this machine takes longer than the incident did.
 */
import { durationText } from "../diagnose/index.js";
import type { IncidentResult, IncidentRun } from "../lab/incident.js";
import { NO_PAINT, type AnalyzePaint } from "./analyze-types.js";

const LABEL = 26;
const COL = 40;

function row(label: string, cells: string[]): string {
  return `  ${label.padEnd(LABEL)}${cells.map((c) => (c.length >= COL - 1 ? `${c}  ` : c.padEnd(COL))).join("")}`.trimEnd();
}

function wrap(text: string, width: number, indent: string): string[] {
  const out: string[] = [];
  let line = "";
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(indent + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(indent + line);
  return out;
}

const rcvbufText = (r: IncidentRun) => {
  const x = r.rcvbuf;
  return `${x.value ?? "-"} (${x.source})${x.applied === null ? ", no setsockopt" : ""}`;
};

export function renderIncidentText(res: IncidentResult, p: AnalyzePaint = NO_PAINT): string {
  const out: string[] = [];
  out.push(`${p.bold("tcpwin lab incident")}  RocketMQ broker → name server over lab link: RTT ${res.rtt_ms} ms, MTU ${res.mtu}, invokeSync timeout ${durationText(res.timeout_ms)}; Linux ${res.kernel}`);
  out.push("");
  out.push(p.dim(row("", res.runs.map((r) => r.label))));
  out.push(row("config file (-c)", res.runs.map((r) => r.config_file.trim().split("\n").filter((l) => !l.startsWith("listenPort")).join(", ") || "(no buffer key)")));
  out.push(row("-D", res.runs.map((r) => r.jvm.replace("-Dcom.rocketmq.remoting.socket.", "-D…"))));
  out.push(row("serverSocketRcvBufSize", res.runs.map(rcvbufText)));
  out.push(row("window on the wire", res.runs.map((r) => (r.window_bytes !== null ? `${r.window_bytes} B median${r.window_scale ? ` (scale ${r.window_scale})` : ""}` : "-"))));
  out.push(row("request", res.runs.map((r) => `${r.registrations[0]?.frame_bytes ?? "-"} B, opaque ${r.registrations[0]?.opaque ?? "-"}`)));
  out.push(
    row(
      "registration",
      res.runs.map((r) => {
        const t = r.timed_out ? p.red(`TIMED OUT after ${durationText(r.elapsed_ms)}`) : p.green(`answered in ${durationText(r.elapsed_ms)}`);
        return t;
      }),
    ),
  );
  out.push(row("model (window, RTT)", res.runs.map((r) => (r.predicted_ms !== null ? durationText(r.predicted_ms) : "-"))));
  out.push(row("verdict", res.runs.map((r) => r.verdict?.title ?? "-")));
  if (res.runs[0]!.registrations.length > 1) {
    out.push(row("periods", [res.runs[0]!.registrations.map((g) => (g.timed_out ? "timed out" : "ok") + (g.new_connection ? " (new connection)" : "")).join("; ")]));
  }
  const broken = res.runs[0]!;
  const v = broken.verdict;
  out.push("");
  if (v) {
    out.push(p.bold(`the capture of the first run, as \`tcpwin analyze\` reads it (tcp.stream ${broken.stream}):`));
    out.push(...wrap(`${v.title.toUpperCase()}: ${v.claim}`, 100, "  "));
    for (const t of v.app?.text ?? []) out.push(...wrap(t, 100, "  "));
  } else out.push(p.yellow("the first run's registration was not found in its capture"));
  if (res.why_longer.length > 0) {
    out.push("", p.bold("why this machine takes longer than the incident did:"));
    for (const t of res.why_longer) out.push(...wrap(t, 100, "  "));
  }
  const fixed = res.runs[1];
  if (fixed) {
    out.push("", p.bold("after the fix:"));
    out.push(
      ...wrap(
        `${fixed.config_file.trim().split("\n").filter((l) => !l.startsWith("listenPort")).join(", ") || "no serverSocketRcvBufSize key"} → the registration ` +
          (fixed.timed_out ? `still timed out after ${durationText(fixed.elapsed_ms)}.` : `was answered in ${durationText(fixed.elapsed_ms)} (model ${fixed.predicted_ms !== null ? durationText(fixed.predicted_ms) : "-"}).`),
        100,
        "  ",
      ),
    );
  }
  if (res.pcap) out.push("", `capture of both runs: ${res.pcap} (tcpwin analyze ${res.pcap} --code 103)`);
  return out.join("\n") + "\n";
}
