/**
 * @module kernel/slim-sample
 * A dump for the exporter: per socket only what diagnose/port-totals and the live verdict read
 * (ports, addresses, cookie, inode, rb/tb, and 16 of tcp_info's ~90 fields), read straight from the
 * netlink reply through the reused view (kernel/sock-diag streamTcpSockets) at the offsets of the
 * one tcp_info table — no full TcpInfo object per socket. A field the kernel did not send is
 * absent, as in the full decode.
 */
import { streamTcpSockets, type DumpFilter } from "./sock-diag.js";
import type { DiagDecodeError, DiagMsgView } from "./netlink.js";
import { tcpInfoField } from "../uapi/tcp-info-fields.js";

/** The tcp_info fields a slim socket carries (SampledCounters of diagnose/live-deltas). */
export const SLIM_FIELDS = [
  "busy_time",
  "rwnd_limited",
  "sndbuf_limited",
  "bytes_acked",
  "bytes_received",
  "total_retrans",
  "data_segs_out",
  "snd_wnd",
  "rcv_wnd",
  "snd_mss",
  "rcv_mss",
  "rtt",
  "min_rtt",
  "snd_cwnd",
  "unacked",
  "notsent_bytes",
] as const;
type SlimField = (typeof SLIM_FIELDS)[number];
export type SlimInfo = { [K in SlimField]?: number } & { total_retrans: number; snd_mss: number; rcv_mss: number; rtt: number; snd_cwnd: number; unacked: number };

export interface SlimSocket {
  cookie: number;
  family: number;
  state: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  rqueue: number;
  inode: number;
  uid: number;
  skmem?: { rcvbuf: number; sndbuf?: number; drops?: number };
  info?: SlimInfo;
  pid?: number;
  pids?: number[];
  comm?: string;
  ownerPending?: boolean;
}

const LAYOUT = SLIM_FIELDS.map((name) => {
  const f = tcpInfoField(name);
  return { name, offset: f.offset, size: f.size, end: f.offset + f.size };
});

function slimInfo(v: DiagMsgView): SlimInfo | undefined {
  const il = v.infoLen;
  if (il === 0) return undefined;
  const dv = v.dv;
  const ia = v.infoAt;
  const out = {} as Record<string, number>;
  for (const f of LAYOUT) {
    if (f.end > il) continue;
    const o = ia + f.offset;
    out[f.name] = f.size === 8 ? dv.getUint32(o, true) + dv.getUint32(o + 4, true) * 4294967296 : f.size === 4 ? dv.getUint32(o, true) : f.size === 2 ? dv.getUint16(o, true) : dv.getUint8(o);
  }
  return out as SlimInfo;
}

/** The slim socket of the message `v` is bound to (pure: recorded replies test it). */
export function slimSocketOf(v: DiagMsgView): SlimSocket {
  const s: SlimSocket = { cookie: v.cookie, family: v.family, state: v.state, src: v.src, dst: v.dst, sport: v.sport, dport: v.dport, rqueue: v.rqueue, inode: v.inode, uid: v.uid };
  const nSk = v.skmemLen >>> 2;
  if (nSk > 1) {
    const sk: { rcvbuf: number; sndbuf?: number; drops?: number } = { rcvbuf: v.dv.getUint32(v.skmemAt + 4, true) };
    if (nSk > 3) sk.sndbuf = v.dv.getUint32(v.skmemAt + 12, true);
    if (nSk > 8) sk.drops = v.dv.getUint32(v.skmemAt + 32, true);
    s.skmem = sk;
  }
  const i = slimInfo(v);
  if (i) s.info = i;
  return s;
}

/** One dump of slim sockets (deduplicated by cookie, errors as the full dump reports them). */
export function dumpSlimSockets(filter: DumpFilter): { sockets: SlimSocket[]; errors: DiagDecodeError[] } {
  const sockets: SlimSocket[] = [];
  const r = streamTcpSockets(filter, (v) => sockets.push(slimSocketOf(v)));
  return { sockets, errors: r.errors };
}
