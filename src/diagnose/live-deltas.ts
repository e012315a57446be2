/**
 * @module diagnose/live-deltas
 * Two samples of the same sockets → per-connection deltas (bytes, busy / rwnd- / sndbuf-limited
 * time, retransmissions) and a verdict (diagnose/live-verdict). What `tcpwin watch` prints and what
 * the exporter counts. Pure: the samples come from kernel/sampler.
 *
 * Connections are matched by sock cookie, so a reused port is a new connection. A counter the
 * kernel does not report (older kernel) gives no delta: undefined, never 0. Counters are taken as
 * growing; a smaller value (never seen from one socket, but cheap to guard) counts as 0.
 */
import { formatEndpoint } from "../uapi/tcp-states.js";
import { liveVerdict, type LiveVerdict } from "./live-verdict.js";
import type { PeerHere } from "./live-flags.js";

/** The tcp_info counters the deltas read (kernel/tcp-info TcpInfo has them all). */
export interface SampledCounters {
  bytes_acked?: number | undefined;
  bytes_received?: number | undefined;
  busy_time?: number | undefined;
  rwnd_limited?: number | undefined;
  sndbuf_limited?: number | undefined;
  total_retrans: number;
  data_segs_out?: number | undefined;
  snd_wnd?: number | undefined;
  rcv_wnd?: number | undefined;
  snd_mss: number;
  rcv_mss: number;
  rtt: number;
  min_rtt?: number | undefined;
  snd_cwnd: number;
  unacked: number;
  notsent_bytes?: number | undefined;
}

/** The parts of a live socket the deltas read (kernel/sockets LiveSocket has them all). */
export interface SampledSocket {
  cookie: number;
  family: number;
  state: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  rqueue: number;
  pid?: number | undefined;
  comm?: string | undefined;
  /** The owner has not been looked for yet (kernel/owner-cache): labels by process must wait. */
  ownerPending?: boolean | undefined;
  skmem?: { rcvbuf: number; sndbuf?: number | undefined; drops?: number | undefined } | undefined;
  info?: SampledCounters | undefined;
}

/** One dump of the matching sockets, by cookie, at a monotonic time. */
export interface Sample<S extends SampledSocket = SampledSocket> {
  /** Monotonic time of the dump, µs. */
  tUs: number;
  sockets: Map<number, S>;
}

export interface ConnectionDelta<S extends SampledSocket = SampledSocket> {
  socket: S;
  intervalUs: number;
  acked?: number | undefined;
  received?: number | undefined;
  busyUs?: number | undefined;
  /** busy / interval, at most 1. */
  busyShare?: number | undefined;
  rwndLimitedUs?: number | undefined;
  /** rwnd_limited / busy, at most 1 (undefined when not busy). */
  rwndShare?: number | undefined;
  sndbufLimitedUs?: number | undefined;
  sndbufShare?: number | undefined;
  retrans?: number | undefined;
  verdict: LiveVerdict | null;
}

export const counterDelta = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : Math.max(0, b - a));
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Deltas of the connections present in both samples (a new one gets its first delta next time). */
export function connectionDeltas<S extends SampledSocket>(prev: Sample<S>, cur: Sample<S>, sizeBytes?: number): ConnectionDelta<S>[] {
  const out: ConnectionDelta<S>[] = [];
  const intervalUs = cur.tUs - prev.tUs;
  let peers: Map<number, S> | undefined;
  for (const [cookie, s] of cur.sockets) {
    const p = prev.sockets.get(cookie);
    const i = s.info;
    const pi = p?.info;
    if (!p || !i || !pi) continue;
    const acked = counterDelta(pi.bytes_acked, i.bytes_acked);
    const received = counterDelta(pi.bytes_received, i.bytes_received);
    const busy = counterDelta(pi.busy_time, i.busy_time);
    const rwnd = counterDelta(pi.rwnd_limited, i.rwnd_limited);
    const sndbuf = counterDelta(pi.sndbuf_limited, i.sndbuf_limited);
    const retrans = counterDelta(pi.total_retrans, i.total_retrans);
    const d: ConnectionDelta<S> = { socket: s, intervalUs, acked, received, busyUs: busy, rwndLimitedUs: rwnd, sndbufLimitedUs: sndbuf, retrans, verdict: null };
    if (busy !== undefined && intervalUs > 0) d.busyShare = round3(Math.min(1, busy / intervalUs));
    if (rwnd !== undefined && busy) d.rwndShare = round3(Math.min(1, rwnd / busy));
    if (sndbuf !== undefined && busy) d.sndbufShare = round3(Math.min(1, sndbuf / busy));
    const v = liveVerdict(
      {
        intervalUs,
        bytesAcked: acked,
        bytesReceived: received,
        busyUs: busy,
        rwndLimitedUs: rwnd,
        sndbufLimitedUs: sndbuf,
        retransSegs: retrans,
        dataSegsOut: counterDelta(pi.data_segs_out, i.data_segs_out),
        sndWnd: i.snd_wnd,
        sndMss: i.snd_mss,
        rcvWnd: i.rcv_wnd,
        rcvMss: i.rcv_mss,
        rb: s.skmem?.rcvbuf,
        rttUs: i.rtt,
        minRttUs: i.min_rtt,
        cwnd: i.snd_cwnd,
        unacked: i.unacked,
        peer: formatEndpoint(s.family, s.dst, s.dport),
        // Only a zero window names the peer's socket; the endpoint map is built the first time one does.
        peerHere: i.snd_wnd === 0 ? peerHereOf((peers ??= peersHere([...cur.sockets.values()])), cookie) : undefined,
      },
      sizeBytes,
    );
    d.verdict = v ?? null;
    out.push(d);
  }
  return out;
}

function peerHereOf<S extends SampledSocket>(peers: Map<number, S>, cookie: number): PeerHere | undefined {
  const p = peers.get(cookie);
  return p === undefined ? undefined : peerHereFacts(p);
}

/**
 * The other end of each connection whose peer is a socket of this host too (loopback, or two
 * namespaces' worth seen from one), by cookie: a zero window can then name the socket that is not
 * being read.
 */
export function peersHere<S extends SampledSocket>(sockets: readonly S[]): Map<number, S> {
  const byLocal = new Map<string, S>();
  for (const s of sockets) if (s.state !== 10) byLocal.set(`${s.family} ${s.src} ${s.sport} ${s.dst} ${s.dport}`, s);
  const out = new Map<number, S>();
  for (const s of sockets) {
    const p = byLocal.get(`${s.family} ${s.dst} ${s.dport} ${s.src} ${s.sport}`);
    if (p !== undefined && p !== s) out.set(s.cookie, p);
  }
  return out;
}

export function peerHereFacts(p: SampledSocket): PeerHere {
  return {
    rqueue: p.rqueue,
    rb: p.skmem?.rcvbuf,
    drops: p.skmem?.drops,
    process: p.pid !== undefined ? `${p.pid}/${p.comm ?? "?"}` : undefined,
  };
}
