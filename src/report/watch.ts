/**
 * @module report/watch
 * `tcpwin watch`: turn two samples of the same sockets into per-connection deltas and a verdict
 * (diagnose/live-verdict), and print them — a redrawn table on a TTY, JSON Lines otherwise.
 * Pure over the samples: the sampling loop lives in the CLI command. Connections are matched by
 * sock cookie, so a reused port is a new connection. A counter the kernel does not report (older
 * kernel) gives no delta: the key is omitted, never 0.
 */
import type { LiveSocket } from "../kernel/sockets.js";
import { formatEndpoint } from "../kernel/netlink.js";
import { liveVerdict, type LiveVerdict } from "../diagnose/live-verdict.js";
import { peerHereFacts, peersHere, stateName, type Paint } from "./sockets.js";

export interface Sample {
  /** Monotonic time of the dump, µs. */
  tUs: number;
  sockets: Map<number, LiveSocket>;
}

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

export function sampleOf(sockets: readonly LiveSocket[], tUs: number): Sample {
  const m = new Map<number, LiveSocket>();
  for (const s of sockets) m.set(s.cookie, s);
  return { tUs, sockets: m };
}

const delta = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : Math.max(0, b - a));
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Rows for the connections present in both samples (a new one gets its first row next time). */
export function watchRows(prev: Sample, cur: Sample, now: Date, sizeBytes?: number): WatchRow[] {
  const rows: WatchRow[] = [];
  const intervalUs = cur.tUs - prev.tUs;
  let peers: Map<number, LiveSocket> | undefined;
  for (const [cookie, s] of cur.sockets) {
    const p = prev.sockets.get(cookie);
    const i = s.info;
    const pi = p?.info;
    if (!p || !i || !pi) continue;
    const acked = delta(pi.bytes_acked, i.bytes_acked);
    const received = delta(pi.bytes_received, i.bytes_received);
    const busy = delta(pi.busy_time, i.busy_time);
    const rwnd = delta(pi.rwnd_limited, i.rwnd_limited);
    const sndbuf = delta(pi.sndbuf_limited, i.sndbuf_limited);
    const retrans = delta(pi.total_retrans, i.total_retrans);
    const peer = formatEndpoint(s.family, s.dst, s.dport);
    const row: WatchRow = {
      ts: now.toISOString(),
      interval_s: round3(intervalUs / 1e6),
      state: stateName(s.state),
      local: formatEndpoint(s.family, s.src, s.sport),
      peer,
    } as WatchRow;
    if (s.pid !== undefined) row.pid = s.pid;
    if (s.comm !== undefined) row.comm = s.comm;
    if (s.skmem) {
      row.rb = s.skmem.rcvbuf;
      if (s.skmem.sndbuf !== undefined) row.tb = s.skmem.sndbuf;
    }
    const perS = (x: number | undefined) => (x === undefined || intervalUs <= 0 ? undefined : Math.round(x / (intervalUs / 1e6)));
    set(row, "acked_per_s", perS(acked));
    set(row, "received_per_s", perS(received));
    set(row, "busy_us", busy);
    if (busy !== undefined && intervalUs > 0) row.busy_share = round3(Math.min(1, busy / intervalUs));
    set(row, "rwnd_limited_us", rwnd);
    if (rwnd !== undefined && busy) row.rwnd_share = round3(Math.min(1, rwnd / busy));
    set(row, "sndbuf_limited_us", sndbuf);
    if (sndbuf !== undefined && busy) row.sndbuf_share = round3(Math.min(1, sndbuf / busy));
    set(row, "retrans", retrans);
    set(row, "snd_wnd", i.snd_wnd);
    set(row, "rcv_wnd", i.rcv_wnd);
    row.snd_mss = i.snd_mss;
    row.rtt_us = i.rtt;
    row.snd_cwnd = i.snd_cwnd;
    row.unacked = i.unacked;
    set(row, "notsent_bytes", i.notsent_bytes);
    const v = liveVerdict(
      {
        intervalUs,
        bytesAcked: acked,
        bytesReceived: received,
        busyUs: busy,
        rwndLimitedUs: rwnd,
        sndbufLimitedUs: sndbuf,
        retransSegs: retrans,
        dataSegsOut: delta(pi.data_segs_out, i.data_segs_out),
        sndWnd: i.snd_wnd,
        sndMss: i.snd_mss,
        rcvWnd: i.rcv_wnd,
        rcvMss: i.rcv_mss,
        rb: s.skmem?.rcvbuf,
        rttUs: i.rtt,
        minRttUs: i.min_rtt,
        cwnd: i.snd_cwnd,
        unacked: i.unacked,
        peer,
        // Only a zero window names the peer's socket; the endpoint map is built the first time one does.
        peerHere: i.snd_wnd === 0 ? peerHere((peers ??= peersHere([...cur.sockets.values()])), cookie) : undefined,
      },
      sizeBytes,
    );
    row.verdict = v ?? null;
    rows.push(row);
  }
  return rows;
}

function peerHere(peers: Map<number, LiveSocket>, cookie: number) {
  const p = peers.get(cookie);
  return p === undefined ? undefined : peerHereFacts(p);
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
