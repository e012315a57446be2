/**
 * @module tcp/series
 * Time series of a connection for charts (report/html): per *sending* direction, what tcptrace's
 * time-sequence graph and Wireshark's window graphs plot — data segments (seq range), the peer's
 * ACK line, the advertised-window edge (ack + window), bytes in flight, the receiver's window (as
 * advertised, and with the inferred scale when the handshake is missing), RTT samples, bytes sent
 * and acknowledged — plus the flagged events.
 *
 * Collected only when asked (`analyzeCapture(f, { series: new SeriesCollector() })`): the collector
 * rides on TcpAnalyzer's per-segment result (`onResult`), so a plain analysis pays nothing.
 *
 * Bounded: per direction a reservoir of at most SERIES_COLUMNS time buckets of equal width. Each
 * bucket keeps min and max of every value (per pixel column, so a chart drawn from it shows the
 * same extremes the raw points would) and sums/counts. Buckets start 1 µs wide; when a packet falls
 * past the last bucket the width doubles and neighbours merge, so a finished direction holds
 * between SERIES_COLUMNS/2 and SERIES_COLUMNS buckets over its duration (fewer when it had fewer
 * packets: the reservoir starts at 4 buckets and doubles while the direction has at least one
 * packet per 16 buckets, else it merges; and all directions together hold at most
 * SERIES_BUDGET_BUCKETS, ≈ 80 MB, after which they merge instead of growing).
 *
 * Flagged events (retransmissions, zero windows, window full, …) are never merged away: each bucket
 * counts them, and each is also kept as a marker (time, kind, seq) up to SERIES_EVENT_CAP per
 * direction — past it markers are counted in `eventsDropped`, the bucket counts still hold them.
 * A bucket is 160 bytes (20 doubles); conversations beyond `maxConnections` (default 10 000) get
 * no series (`skippedConnections` says how many). No allocation per packet: reservoirs and marker
 * arrays grow by doubling.
 *
 * Sequence numbers are relative to the direction's first seq (its ISN when the SYN was seen, so
 * data starts at 1 as in Wireshark) and unwrapped (no 2^32 wrap in a long transfer).
 */
import { TCP_ACK, TCP_RST, TCP_SYN } from "../capture/packet.js";
import { RETRANSMISSION_FAMILY, TcpFlag } from "./flags.js";
import type { SegmentResult } from "./segment-result.js";

/** Most buckets per direction (a chart ~2000–4000 pixels wide at most). */
export const SERIES_COLUMNS = 4096;
/** Most event markers kept per direction (past it, bucket counts still hold every event). */
export const SERIES_EVENT_CAP = 20_000;
/** All directions' buckets together, at most (then reservoirs merge instead of growing). */
export const SERIES_BUDGET_BUCKETS = 1 << 19;
const START_COLUMNS = 4;
/** A reservoir doubles while it has at least one packet per this many buckets. */
const SPARSE = 16;
const START_WIDTH_NS = 1000;

/** Values kept per bucket: offsets into the bucket's stride. */
const F = {
  dataLo: 0,
  dataHi: 1,
  ackLo: 2,
  ackHi: 3,
  edgeLo: 4,
  edgeHi: 5,
  rwndLo: 6,
  rwndHi: 7,
  rwndInfLo: 8,
  rwndInfHi: 9,
  bifLo: 10,
  bifHi: 11,
  rttLo: 12,
  rttHi: 13,
  sent: 14,
  acked: 15,
  retrans: 16,
  zeroWindow: 17,
  windowFull: 18,
  packets: 19,
} as const;
const STRIDE = 20;
/** The first 14 are min/max pairs (even: min, odd: max), NaN when the bucket has none. */
const PAIRS = 14;

/** Marker kinds, in the order of SeriesEventKinds. */
export const SeriesEvent = {
  retransmission: 0,
  fast_retransmission: 1,
  spurious_retransmission: 2,
  zero_window: 3,
  window_full: 4,
  /** Window full judged with the inferred scale (Wireshark cannot flag it without the handshake). */
  window_full_inferred: 5,
  lost_segment: 6,
  out_of_order: 7,
  zero_window_probe: 8,
} as const;
export type SeriesEventKind = keyof typeof SeriesEvent;
export const SERIES_EVENT_KINDS = Object.keys(SeriesEvent) as SeriesEventKind[];

/** One direction's series, as plain data (times ns relative to the analysis' time base). */
export interface DirectionSeries {
  /** Time of bucket 0's start, and the width of every bucket, ns. */
  startNs: number;
  widthNs: number;
  /** Buckets in use (index of the last non-empty one + 1). */
  columns: number;
  /** Per bucket min/max (NaN where none): relative seq of data segments (start, end). */
  dataLo: Float64Array;
  dataHi: Float64Array;
  /** The peer's ACK (relative to this direction's seq), and ack + its window (the edge). */
  ackLo: Float64Array;
  ackHi: Float64Array;
  edgeLo: Float64Array;
  edgeHi: Float64Array;
  /** The peer's window, bytes: scaled when the scale is known, else raw; and with the inferred scale. */
  rwndLo: Float64Array;
  rwndHi: Float64Array;
  rwndInfLo: Float64Array;
  rwndInfHi: Float64Array;
  /** Bytes in flight (Wireshark's), and ack_rtt samples in ns. */
  bifLo: Float64Array;
  bifHi: Float64Array;
  rttLo: Float64Array;
  rttHi: Float64Array;
  /** Payload bytes sent (retransmissions too), and bytes newly acknowledged, per bucket. */
  sent: Float64Array;
  acked: Float64Array;
  /** Events per bucket: retransmission family, the peer's zero windows, window full (either kind). */
  retrans: Float64Array;
  zeroWindow: Float64Array;
  windowFull: Float64Array;
  /** Markers: time ns, SeriesEvent kind, relative seq (data events) or ack (zero window). */
  events: { tNs: Float64Array; kind: Uint8Array; seq: Float64Array; count: number };
  /** Markers past SERIES_EVENT_CAP, by kind name (bucket counts still include them). */
  eventsDropped: Partial<Record<SeriesEventKind, number>>;
  /** Segments this direction sent. */
  packets: number;
}

export interface ConnectionSeries {
  stream: number;
  /** Series by conversation direction (0 = sender of the first packet). */
  dirs: [DirectionSeries | null, DirectionSeries | null];
  /** Direction of the first pure SYN (the client), or -1 when no SYN was seen (then 0 is the client). */
  synDir: number;
}

/** One sending direction: the reservoir and the markers. */
/** Buckets left to hand out, shared by a collector's directions. */
interface Budget {
  left: number;
}

class DirectionBuilder {
  b = new Float64Array(START_COLUMNS * STRIDE);
  cap = START_COLUMNS;
  used = 0;
  startNs = NaN;
  widthNs = START_WIDTH_NS;
  packets = 0;
  /** Unwrapping: the raw seq last used as the reference and its relative value. */
  hasBase = false;
  refRaw = 0;
  refRel = 0;
  highAckRel = NaN;
  evT = new Float64Array(64);
  evK = new Uint8Array(64);
  evS = new Float64Array(64);
  evN = 0;
  dropped = new Uint32Array(SERIES_EVENT_KINDS.length);

  constructor(private readonly budget: Budget) {
    budget.left -= START_COLUMNS;
    this.clear(0, this.cap);
  }

  private clear(from: number, to: number): void {
    const b = this.b;
    for (let i = from; i < to; i++) {
      const o = i * STRIDE;
      for (let k = 0; k < PAIRS; k++) b[o + k] = NaN;
      for (let k = PAIRS; k < STRIDE; k++) b[o + k] = 0;
    }
  }

  /** Relative, unwrapped sequence number of raw int32 `x` (moves the reference forward). */
  rel(x: number): number {
    if (!this.hasBase) {
      this.hasBase = true;
      this.refRaw = x;
      this.refRel = 0;
      return 0;
    }
    const r = this.refRel + ((x - this.refRaw) | 0);
    if (r > this.refRel) {
      this.refRaw = x;
      this.refRel = r;
    }
    return r;
  }

  /** Bucket offset for time `t` (grows or merges the reservoir as needed). */
  at(t: number): number {
    if (Number.isNaN(this.startNs)) this.startNs = t;
    let i = Math.floor((t - this.startNs) / this.widthNs);
    if (i < 0) i = 0; // out-of-order capture times: into the first bucket
    while (i >= this.cap) {
      // Grow while not sparse, under the cap and the budget; else merge.
      if (this.cap < SERIES_COLUMNS && this.packets * SPARSE >= this.cap && this.budget.left >= this.cap) this.grow();
      else {
        this.merge();
        i = Math.floor((t - this.startNs) / this.widthNs);
      }
    }
    if (i >= this.used) this.used = i + 1;
    return i * STRIDE;
  }

  private grow(): void {
    const n = Math.min(SERIES_COLUMNS, this.cap * 2);
    this.budget.left -= n - this.cap;
    const nb = new Float64Array(n * STRIDE);
    nb.set(this.b);
    this.b = nb;
    const old = this.cap;
    this.cap = n;
    this.clear(old, n);
  }

  /** Double the width: bucket j takes buckets 2j and 2j+1. */
  private merge(): void {
    const b = this.b;
    const half = this.cap >> 1;
    for (let j = 0; j < half; j++) {
      const d = j * STRIDE;
      const a = 2 * j * STRIDE;
      const c = a + STRIDE;
      for (let k = 0; k < PAIRS; k += 2) {
        b[d + k] = minN(b[a + k]!, b[c + k]!);
        b[d + k + 1] = maxN(b[a + k + 1]!, b[c + k + 1]!);
      }
      for (let k = PAIRS; k < STRIDE; k++) b[d + k] = b[a + k]! + b[c + k]!;
    }
    this.clear(half, this.cap);
    this.widthNs *= 2;
    this.used = Math.ceil(this.used / 2);
  }

  /** Widen the min/max pair at `k` (its min; max at k + 1) to take [lo, hi]. */
  span(o: number, k: number, lo: number, hi: number): void {
    const b = this.b;
    if (!(lo >= b[o + k]!)) b[o + k] = lo; // NaN compares false: the first value lands
    if (!(hi <= b[o + k + 1]!)) b[o + k + 1] = hi;
  }

  event(t: number, kind: number, seq: number): void {
    if (this.evN >= SERIES_EVENT_CAP) {
      this.dropped[kind]!++;
      return;
    }
    if (this.evN === this.evT.length) {
      const n = Math.min(SERIES_EVENT_CAP, this.evN * 2);
      const t2 = new Float64Array(n);
      t2.set(this.evT);
      const k2 = new Uint8Array(n);
      k2.set(this.evK);
      const s2 = new Float64Array(n);
      s2.set(this.evS);
      this.evT = t2;
      this.evK = k2;
      this.evS = s2;
    }
    this.evT[this.evN] = t;
    this.evK[this.evN] = kind;
    this.evS[this.evN] = seq;
    this.evN++;
  }

  finish(): DirectionSeries {
    const n = this.used;
    const col = (k: number) => {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = this.b[i * STRIDE + k]!;
      return out;
    };
    const dropped: Partial<Record<SeriesEventKind, number>> = {};
    SERIES_EVENT_KINDS.forEach((name, k) => {
      if (this.dropped[k]! > 0) dropped[name] = this.dropped[k]!;
    });
    return {
      startNs: Number.isNaN(this.startNs) ? 0 : this.startNs,
      widthNs: this.widthNs,
      columns: n,
      dataLo: col(F.dataLo),
      dataHi: col(F.dataHi),
      ackLo: col(F.ackLo),
      ackHi: col(F.ackHi),
      edgeLo: col(F.edgeLo),
      edgeHi: col(F.edgeHi),
      rwndLo: col(F.rwndLo),
      rwndHi: col(F.rwndHi),
      rwndInfLo: col(F.rwndInfLo),
      rwndInfHi: col(F.rwndInfHi),
      bifLo: col(F.bifLo),
      bifHi: col(F.bifHi),
      rttLo: col(F.rttLo),
      rttHi: col(F.rttHi),
      sent: col(F.sent),
      acked: col(F.acked),
      retrans: col(F.retrans),
      zeroWindow: col(F.zeroWindow),
      windowFull: col(F.windowFull),
      events: { tNs: this.evT.slice(0, this.evN), kind: this.evK.slice(0, this.evN), seq: this.evS.slice(0, this.evN), count: this.evN },
      eventsDropped: dropped,
      packets: this.packets,
    };
  }
}

const minN = (a: number, b: number) => (a <= b || Number.isNaN(b) ? a : b);
const maxN = (a: number, b: number) => (a >= b || Number.isNaN(b) ? a : b);

class ConnectionBuilder {
  readonly dirs: [DirectionBuilder, DirectionBuilder];
  synDir = -1;
  constructor(
    readonly stream: number,
    budget: Budget,
  ) {
    this.dirs = [new DirectionBuilder(budget), new DirectionBuilder(budget)];
  }
}

export interface SeriesCollectorOptions {
  /** Only these tcp.stream numbers (default: every reported connection, up to maxConnections). */
  streams?: readonly number[] | undefined;
  /** Connections that get a series at most (default 10 000); later ones are counted, not kept. */
  maxConnections?: number | undefined;
}

/**
 * Collects ConnectionSeries from TcpAnalyzer's per-segment results: pass it as
 * `analyzeCapture(f, { series })` (or call `onResult` from your own TcpAnalyzer `onResult`).
 */
export class SeriesCollector {
  private readonly byStream = new Map<number, ConnectionBuilder>();
  private readonly only: Set<number> | null;
  private readonly maxConnections: number;
  /** Connections not kept because of maxConnections. */
  skippedConnections = 0;
  private readonly skipped = new Set<number>();
  private readonly budget: Budget = { left: SERIES_BUDGET_BUCKETS };
  /** The last connection fed (consecutive segments mostly belong to one). */
  private last: ConnectionBuilder | null = null;

  constructor(opts: SeriesCollectorOptions = {}) {
    this.only = opts.streams ? new Set(opts.streams) : null;
    this.maxConnections = opts.maxConnections ?? 10_000;
  }

  /** Feed one analysed segment (TcpAnalyzer's reused result; nothing of it is kept). */
  onResult(r: SegmentResult): void {
    let c = this.last !== null && this.last.stream === r.stream ? this.last : this.byStream.get(r.stream);
    if (c === undefined) {
      if (this.only !== null && !this.only.has(r.stream)) return;
      if (this.byStream.size >= this.maxConnections) {
        if (!this.skipped.has(r.stream)) {
          this.skipped.add(r.stream);
          this.skippedConnections++;
        }
        return;
      }
      c = new ConnectionBuilder(r.stream, this.budget);
      this.byStream.set(r.stream, c);
    }
    this.last = c;
    const flags = r.flags;
    const t = r.tNs;
    const fl = r.analysisFlags;
    if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && c.synDir < 0) c.synDir = r.dir;
    // This packet as data of its sender.
    const s = c.dirs[r.dir]!;
    s.packets++;
    const o = s.at(t);
    const b = s.b;
    b[o + F.packets]!++;
    if (r.seglen > 0 || flags & TCP_SYN) {
      const start = s.rel(r.seq);
      if (r.seglen > 0) {
        s.span(o, F.dataLo, start, start + r.seglen);
        b[o + F.sent]! += r.seglen;
        if (r.bytesInFlight > 0) s.span(o, F.bifLo, r.bytesInFlight, r.bytesInFlight);
        if (fl & RETRANSMISSION_FAMILY) {
          b[o + F.retrans]!++;
          s.event(t, fl & TcpFlag.spurious_retransmission ? SeriesEvent.spurious_retransmission : fl & TcpFlag.fast_retransmission ? SeriesEvent.fast_retransmission : SeriesEvent.retransmission, start);
        }
        if (fl & TcpFlag.window_full || r.windowFullInferred) {
          b[o + F.windowFull]!++;
          s.event(t, fl & TcpFlag.window_full ? SeriesEvent.window_full : SeriesEvent.window_full_inferred, start + r.seglen);
        }
        if (fl & TcpFlag.lost_segment) s.event(t, SeriesEvent.lost_segment, start);
        if (fl & TcpFlag.out_of_order) s.event(t, SeriesEvent.out_of_order, start);
        if (fl & TcpFlag.zero_window_probe) s.event(t, SeriesEvent.zero_window_probe, start);
      }
    }
    // This packet as the receiver's ACK and window, for the peer's sender.
    if (flags & TCP_ACK && (flags & TCP_RST) === 0) {
      const p = c.dirs[1 - r.dir]!;
      const po = p.at(t);
      const pb = p.b;
      const ack = p.rel(r.ack);
      p.span(po, F.ackLo, ack, ack);
      if (!(ack <= p.highAckRel)) {
        if (p.highAckRel === p.highAckRel) pb[po + F.acked]! += ack - p.highAckRel;
        p.highAckRel = ack;
      }
      if ((flags & TCP_SYN) === 0) {
        const win = r.windowSize;
        p.span(po, F.rwndLo, win, win);
        const inferred = r.windowInferred;
        if (inferred >= 0) p.span(po, F.rwndInfLo, inferred, inferred);
        p.span(po, F.edgeLo, ack + (inferred >= 0 ? inferred : win), ack + (inferred >= 0 ? inferred : win));
        if (fl & TcpFlag.zero_window) {
          pb[po + F.zeroWindow]!++;
          p.event(t, SeriesEvent.zero_window, ack);
        }
      }
      if (r.ackRttNs > 0) p.span(po, F.rttLo, r.ackRttNs, r.ackRttNs);
    }
  }

  /** Connections with a series so far. */
  get size(): number {
    return this.byStream.size;
  }

  /** The series of one stream (built now from the reservoir), or null. */
  get(stream: number): ConnectionSeries | null {
    const c = this.byStream.get(stream);
    if (!c) return null;
    const d = (x: DirectionBuilder) => (x.packets > 0 || x.used > 0 ? x.finish() : null);
    return { stream, dirs: [d(c.dirs[0]), d(c.dirs[1])], synDir: c.synDir };
  }
}
