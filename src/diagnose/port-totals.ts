/**
 * @module diagnose/port-totals
 * What the exporter counts, per process and port: the kernel's per-connection time counters
 * (busy, rwnd-limited, sndbuf-limited) and bytes, summed over every connection the key ever had —
 * open ones as they grow, closed ones up to their last value — so the sums only grow, also when
 * connections close. Pure: fed by samples (kernel/sampler) and destroy notifications
 * (kernel/sock-destroy); report/exposition renders the snapshot.
 *
 * Keys, bounded on purpose (labels Prometheus must store):
 *  - role "server": the local port is one this host listens on; port = that local port.
 *  - role "client": anything else; port = the peer's port (a client's local port is ephemeral
 *    and would make a series per connection).
 *  - process = the owner's comm, "unknown" when no process could be read (or a connection was
 *    born and closed between two samples, when only its destroy notification is seen).
 * At most `maxKeys` keys; connections of any further key are folded into one overflow key
 * (process "_other", role "_other", port 0) and counted in `overflowConnections`.
 *
 * Closed connections: a cookie that leaves the dump is kept `graceUs` waiting for its destroy
 * notification (which carries the final tcp_info: final − last seen is added); without
 * notifications (refused, or turned off) it is dropped at once and the time between its last
 * sample and its close is lost — the polling fallback's known blind spot. A notification for a
 * cookie never sampled adds the whole connection's counters.
 */
import { formatEndpoint, TCP_LISTEN } from "../uapi/tcp-states.js";
import { connectionDeltas, counterDelta, type Sample, type SampledCounters, type SampledSocket } from "./live-deltas.js";
import type { VerdictKind } from "./kinds.js";

/** tcp_info counters summed per key (names as the kernel's; report/exposition derives metrics). */
export const ACCOUNTED_COUNTERS = ["busy_time", "rwnd_limited", "sndbuf_limited", "bytes_acked", "bytes_received"] as const;
export type AccountedCounter = (typeof ACCOUNTED_COUNTERS)[number];

export type Role = "server" | "client" | "_other";
export interface PortKey {
  process: string;
  role: Role;
  port: number;
}
/** What limited a closed connection most (≥ 10 % of its busy time), or none. */
export type CloseLimit = "rwnd" | "sndbuf" | "none";
export const CLOSE_LIMITS: readonly CloseLimit[] = ["rwnd", "sndbuf", "none"];

export interface KeyTotals {
  key: PortKey;
  /** keyId(key), kept so per-socket loops build no strings. */
  id: string;
  /** Sums of ACCOUNTED_COUNTERS over all connections, in the kernel's units (µs, bytes). */
  sums: Record<AccountedCounter, number>;
  closed: Record<CloseLimit, number>;
}

export interface KeyGauges {
  key: PortKey;
  connections: number;
  rcvbufMin?: number | undefined;
  sndbufMin?: number | undefined;
  /** Smallest snd_wnd (the peer's advertised window) among the key's connections. */
  peerWindowMin?: number | undefined;
  /** Open connections by the verdict of their last interval ("none": idle or first seen). */
  byVerdict: Map<VerdictKind | "none", number>;
}

export interface TopConnection {
  key: PortKey;
  local: string;
  peer: string;
  rwndShare: number;
  sndbufShare: number;
  busyShare: number;
  peerWindow?: number | undefined;
}

export interface TotalsSnapshot {
  totals: KeyTotals[];
  gauges: KeyGauges[];
  top: TopConnection[];
  overflowConnections: number;
  maxKeys: number;
  /** Connections tracked (open, or closed and waiting for a notification). */
  tracked: number;
}

export interface PortTotalsOptions {
  maxKeys?: number;
  topN?: number;
  /** How long a vanished cookie waits for its destroy notification (µs). */
  graceUs?: number;
  /** The host's ephemeral port range (net.ipv4.ip_local_port_range): tells a client's end apart when no listener says. */
  ephemeralPorts?: readonly [number, number];
}

interface Conn {
  key: KeyTotals;
  last: Record<AccountedCounter, number | undefined>;
  /** Monotonic µs it left the dump; -1 while present. */
  goneAtUs: number;
}

const OVERFLOW: PortKey = { process: "_other", role: "_other", port: 0 };
const keyId = (k: PortKey) => `${k.process}\u0000${k.role}\u0000${k.port}`;

/** Only sockets that carry data are accounted; listeners name the server ports. */
const isConnection = (s: SampledSocket) => s.state !== TCP_LISTEN && s.dport !== 0;

export class PortTotals {
  readonly maxKeys: number;
  readonly topN: number;
  readonly graceUs: number;
  private readonly keys = new Map<string, KeyTotals>();
  private readonly conns = new Map<number, Conn>();
  /** Listening port → the listener's process (any address, any family), as of any sample so far. */
  private readonly listeners = new Map<number, string | undefined>();
  private readonly ephemeral: readonly [number, number];
  private prev: Sample | undefined;
  /** Cookies closed without their notification (grace over, or polling), and when: a late one is ignored. */
  private readonly closedUnnotified = new Map<number, number>();
  private gauges: KeyGauges[] = [];
  private top: TopConnection[] = [];
  overflowConnections = 0;

  constructor(opts: PortTotalsOptions = {}) {
    this.maxKeys = opts.maxKeys ?? 500;
    this.topN = opts.topN ?? 10;
    this.graceUs = opts.graceUs ?? 5_000_000;
    this.ephemeral = opts.ephemeralPorts ?? [32768, 60999];
  }

  /**
   * The key a socket belongs to: server when its local port is (or was) a listener's, client when
   * the peer's is; failing both (a listener born and gone between samples, seen only through its
   * connections' destroy notifications), the end in the ephemeral range is the client's.
   */
  keyOf(s: SampledSocket): PortKey {
    const server = this.listeners.has(s.sport) ? true : this.listeners.has(s.dport) ? false : this.isEphemeral(s.dport) && !this.isEphemeral(s.sport);
    if (server) return { process: s.comm ?? this.listeners.get(s.sport) ?? "unknown", role: "server", port: s.sport };
    return { process: s.comm ?? "unknown", role: "client", port: s.dport };
  }

  private isEphemeral(port: number): boolean {
    return port >= this.ephemeral[0] && port <= this.ephemeral[1];
  }

  private totalsFor(k: PortKey): KeyTotals {
    const id = keyId(k);
    let t = this.keys.get(id);
    if (t) return t;
    if (this.keys.size >= this.maxKeys) {
      this.overflowConnections++;
      const oid = keyId(OVERFLOW);
      t = this.keys.get(oid);
      if (t) return t;
      k = OVERFLOW;
    }
    t = { key: k, id: keyId(k), sums: { busy_time: 0, rwnd_limited: 0, sndbuf_limited: 0, bytes_acked: 0, bytes_received: 0 }, closed: { rwnd: 0, sndbuf: 0, none: 0 } };
    this.keys.set(keyId(k), t);
    return t;
  }

  /**
   * Add `info`'s growth since `last` (all of it when never seen) to the key; `last` is updated in
   * place (no object per connection per sample) and returned.
   */
  private account(t: KeyTotals, last: Record<AccountedCounter, number | undefined> | undefined, info: SampledCounters | undefined): Record<AccountedCounter, number | undefined> {
    const now = last ?? ({ busy_time: undefined, rwnd_limited: undefined, sndbuf_limited: undefined, bytes_acked: undefined, bytes_received: undefined } as Record<AccountedCounter, number | undefined>);
    if (info === undefined) return now;
    for (const c of ACCOUNTED_COUNTERS) {
      const v = info[c];
      if (v === undefined) continue;
      const was = last === undefined ? undefined : last[c];
      t.sums[c] += was === undefined ? v : counterDelta(was, v)!;
      now[c] = v;
    }
    return now;
  }

  /**
   * A dump taken at `sample.tUs`. `notified`: destroy notifications are being received (a vanished
   * cookie waits for its own); false = polling, a vanished cookie is done.
   */
  observe(sample: Sample, notified: boolean): void {
    // Listeners are remembered (a port set: at most 65 536), the latest owner winning.
    for (const s of sample.sockets.values()) if (s.state === TCP_LISTEN && (s.comm !== undefined || !this.listeners.has(s.sport))) this.listeners.set(s.sport, s.comm);
    for (const [cookie, s] of sample.sockets) {
      if (!isConnection(s)) continue;
      let c = this.conns.get(cookie);
      if (!c) {
        // Its process is not known yet (first seen between two /proc walks): key it next time.
        if (s.ownerPending) continue;
        const key = this.totalsFor(this.keyOf(s));
        c = { key, last: this.account(key, undefined, s.info), goneAtUs: -1 };
        this.conns.set(cookie, c);
      } else {
        this.account(c.key, c.last, s.info);
        c.goneAtUs = -1;
      }
    }
    for (const [cookie, c] of this.conns) {
      if (sample.sockets.has(cookie)) continue;
      if (!notified) {
        this.closeOf(c, undefined);
        this.conns.delete(cookie);
      } else if (c.goneAtUs < 0) c.goneAtUs = sample.tUs;
      else if (sample.tUs - c.goneAtUs > this.graceUs) {
        this.closeOf(c, undefined);
        this.conns.delete(cookie);
        this.closedUnnotified.set(cookie, sample.tUs);
      }
    }
    // Remembered for 10 graces (a notification later than that is lost to a starved exporter anyway).
    for (const [cookie, at] of this.closedUnnotified) if (sample.tUs - at > 10 * this.graceUs) this.closedUnnotified.delete(cookie);
    this.summarise(sample);
    this.prev = sample;
  }

  /** A destroy notification: the socket's final counters (its dump entry, inode 0). */
  destroyed(s: SampledSocket): void {
    if (!isConnection(s)) return;
    if (this.closedUnnotified.delete(s.cookie)) return; // already closed with its last sampled values
    const c = this.conns.get(s.cookie);
    if (c) {
      this.account(c.key, c.last, s.info);
      this.closeOf(c, s.info);
      this.conns.delete(s.cookie);
      return;
    }
    const t = this.totalsFor(this.keyOf(s));
    const last = this.account(t, undefined, s.info);
    this.closeOf({ key: t, last, goneAtUs: -1 }, s.info);
  }

  private closeOf(c: Conn, final: SampledCounters | undefined): void {
    const busy = final?.busy_time ?? c.last.busy_time ?? 0;
    const rwnd = final?.rwnd_limited ?? c.last.rwnd_limited ?? 0;
    const sndbuf = final?.sndbuf_limited ?? c.last.sndbuf_limited ?? 0;
    const limit: CloseLimit = busy > 0 && rwnd >= 0.1 * busy && rwnd >= sndbuf ? "rwnd" : busy > 0 && sndbuf >= 0.1 * busy ? "sndbuf" : "none";
    c.key.closed[limit]++;
  }

  /** Gauges and the top connections of the latest sample (verdicts over the last interval). */
  private summarise(cur: Sample): void {
    const g = new Map<string, KeyGauges>();
    const verdicts = new Map<number, VerdictKind>();
    const top: TopConnection[] = [];
    if (this.prev) {
      // Verdicts only for connections that moved since the last sample (most of a big host's are idle).
      const prevMoved = new Map<number, SampledSocket>();
      const curMoved = new Map<number, SampledSocket>();
      for (const [cookie, s] of cur.sockets) {
        const p = this.prev.sockets.get(cookie);
        const i = s.info;
        const pi = p?.info;
        if (!p || !i || !pi || (i.busy_time === pi.busy_time && i.bytes_acked === pi.bytes_acked && i.bytes_received === pi.bytes_received)) continue;
        prevMoved.set(cookie, p);
        curMoved.set(cookie, s);
      }
      for (const d of connectionDeltas({ tUs: this.prev.tUs, sockets: prevMoved }, { tUs: cur.tUs, sockets: curMoved })) {
        if (d.verdict) verdicts.set(d.socket.cookie, d.verdict.kind);
        const c = this.conns.get(d.socket.cookie);
        if (c && (d.rwndShare || d.sndbufShare))
          top.push({
            key: c.key.key,
            local: formatEndpoint(d.socket.family, d.socket.src, d.socket.sport),
            peer: formatEndpoint(d.socket.family, d.socket.dst, d.socket.dport),
            rwndShare: d.rwndShare ?? 0,
            sndbufShare: d.sndbufShare ?? 0,
            busyShare: d.busyShare ?? 0,
            peerWindow: d.socket.info?.snd_wnd,
          });
      }
    }
    for (const [cookie, s] of cur.sockets) {
      const c = this.conns.get(cookie);
      if (!c) continue;
      const id = c.key.id;
      let k = g.get(id);
      if (!k) g.set(id, (k = { key: c.key.key, connections: 0, byVerdict: new Map() }));
      k.connections++;
      const v = verdicts.get(cookie) ?? "none";
      k.byVerdict.set(v, (k.byVerdict.get(v) ?? 0) + 1);
      const rb = s.skmem?.rcvbuf;
      const tb = s.skmem?.sndbuf;
      const wnd = s.info?.snd_wnd;
      if (rb !== undefined) k.rcvbufMin = Math.min(k.rcvbufMin ?? rb, rb);
      if (tb !== undefined) k.sndbufMin = Math.min(k.sndbufMin ?? tb, tb);
      if (wnd !== undefined && s.state === 1) k.peerWindowMin = Math.min(k.peerWindowMin ?? wnd, wnd);
    }
    top.sort((a, b) => Math.max(b.rwndShare, b.sndbufShare) * b.busyShare - Math.max(a.rwndShare, a.sndbufShare) * a.busyShare);
    this.top = top.slice(0, this.topN);
    this.gauges = [...g.values()];
  }

  snapshot(): TotalsSnapshot {
    return { totals: [...this.keys.values()], gauges: this.gauges, top: this.top, overflowConnections: this.overflowConnections, maxKeys: this.maxKeys, tracked: this.conns.size };
  }
}
