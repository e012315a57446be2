/**
 * @module report/watch
 * `tcpwin watch` output: the per-connection deltas and verdicts (diagnose/live-deltas, over two
 * samples kernel/sampler took) as rows — a redrawn table on a TTY, JSON Lines otherwise. Pure:
 * renders what it is given. A counter the kernel does not report gives no key, never 0.
 */
import type { LiveSocket } from "../kernel/sockets.js";
import { formatEndpoint, stateName } from "../uapi/tcp-states.js";
import { connectionDeltas, type Sample } from "../diagnose/live-deltas.js";
import type { LiveVerdict } from "../diagnose/live-verdict.js";
import type { Paint } from "./sockets.js";

export type { Sample };

export interface WatchRow {
  ts: string;
  interval_s: number;
  state: string;
  local: string;
  peer: string;
  pid?: number;
  comm?: string;
  rb?: number;
  tb?: number;
  acked_per_s?: number;
  received_per_s?: number;
  busy_us?: number;
  busy_share?: number;
  rwnd_limited_us?: number;
  rwnd_share?: number;
  sndbuf_limited_us?: number;
  sndbuf_share?: number;
  retrans?: number;
  snd_wnd?: number;
  rcv_wnd?: number;
  snd_mss?: number;
  rtt_us?: number;
  snd_cwnd?: number;
  unacked?: number;
  notsent_bytes?: number;
  verdict: LiveVerdict | null;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Rows for the connections present in both samples (a new one gets its first row next time). */
export function watchRows(prev: Sample<LiveSocket>, cur: Sample<LiveSocket>, now: Date, sizeBytes?: number): WatchRow[] {
  const ts = now.toISOString();
  return connectionDeltas(prev, cur, sizeBytes).map((d) => {
    const s = d.socket;
    const i = s.info!;
    const intervalUs = d.intervalUs;
    const row: WatchRow = {
      ts,
      interval_s: round3(intervalUs / 1e6),
      state: stateName(s.state),
      local: formatEndpoint(s.family, s.src, s.sport),
      peer: formatEndpoint(s.family, s.dst, s.dport),
    } as WatchRow;
    if (s.pid !== undefined) row.pid = s.pid;
    if (s.comm !== undefined) row.comm = s.comm;
    if (s.skmem) {
      row.rb = s.skmem.rcvbuf;
      if (s.skmem.sndbuf !== undefined) row.tb = s.skmem.sndbuf;
    }
    const perS = (x: number | undefined) => (x === undefined || intervalUs <= 0 ? undefined : Math.round(x / (intervalUs / 1e6)));
    set(row, "acked_per_s", perS(d.acked));
    set(row, "received_per_s", perS(d.received));
    set(row, "busy_us", d.busyUs);
    set(row, "busy_share", d.busyShare);
    set(row, "rwnd_limited_us", d.rwndLimitedUs);
    set(row, "rwnd_share", d.rwndShare);
    set(row, "sndbuf_limited_us", d.sndbufLimitedUs);
    set(row, "sndbuf_share", d.sndbufShare);
    set(row, "retrans", d.retrans);
    set(row, "snd_wnd", i.snd_wnd);
    set(row, "rcv_wnd", i.rcv_wnd);
    row.snd_mss = i.snd_mss;
    row.rtt_us = i.rtt;
    row.snd_cwnd = i.snd_cwnd;
    row.unacked = i.unacked;
    set(row, "notsent_bytes", i.notsent_bytes);
    row.verdict = d.verdict;
    return row;
  });
}

function set<K extends keyof WatchRow>(row: WatchRow, k: K, v: WatchRow[K] | undefined): void {
  if (v !== undefined) row[k] = v;
}

// --- text ----------------------------------------------------------------------------------

function rateText(bps: number | undefined): string {
  if (bps === undefined) return "-";
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(1)}MB/s`;
  if (bps >= 1e3) return `${(bps / 1e3).toFixed(1)}kB/s`;
  return `${bps}B/s`;
}
const share = (x: number | undefined) => (x === undefined ? "-" : `${Math.round(x * 100)}%`);

/** The live table (one screen): one line per active connection, its verdict under it. */
export function renderWatchTable(rows: WatchRow[], header: string, st: Paint, showIdle: boolean): string {
  const head = ["Local", "Peer", "Process", "acked/s", "busy", "rwnd", "sndbuf", "retx", "snd_wnd", "MSS", "RTT", "cwnd"];
  const visible = rows.filter((r) => showIdle || r.verdict !== null);
  const body = visible.map((r) => [
    r.local,
    r.peer,
    r.pid !== undefined ? `${r.pid}/${r.comm ?? "?"}` : "",
    rateText(r.acked_per_s),
    share(r.busy_share),
    share(r.rwnd_share),
    share(r.sndbuf_share),
    r.retrans === undefined ? "-" : String(r.retrans),
    r.snd_wnd === undefined ? "-" : String(r.snd_wnd),
    String(r.snd_mss ?? "-"),
    r.rtt_us === undefined ? "-" : `${(r.rtt_us / 1000).toFixed(2)}ms`,
    String(r.snd_cwnd ?? "-"),
  ]);
  const w = head.map((h, k) => Math.max(h.length, ...body.map((b) => b[k]!.length)));
  const line = (c: string[]) => c.map((x, k) => (k >= 3 ? x.padStart(w[k]!) : x.padEnd(w[k]!))).join("  ").trimEnd();
  const out = [header, st.bold(line(head))];
  visible.forEach((r, k) => {
    out.push(line(body[k]!));
    const v = r.verdict;
    if (v) {
      const paint = v.kind === "healthy" ? st.green : v.kind === "application_limited" ? st.dim : st.yellow;
      let text = `    ${v.kind}: ${v.message}`;
      if (v.eta) {
        const parts: string[] = [];
        if (v.eta.at_rate_s !== undefined) parts.push(`${v.eta.at_rate_s.toFixed(2)} s at this rate`);
        if (v.eta.window_model_s !== undefined) parts.push(`${v.eta.window_model_s.toFixed(2)} s by the window model`);
        if (parts.length) text += ` — ${v.eta.size_bytes} B: ${parts.join(", ")}`;
      }
      out.push(paint(text));
    }
  });
  const idle = rows.length - visible.length;
  if (visible.length === 0) out.push(st.dim("no matching connection moved data in this interval"));
  if (idle > 0) out.push(st.dim(`${idle} idle connection(s) not shown (--all shows them)`));
  return out.join("\n") + "\n";
}
