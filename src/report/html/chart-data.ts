/**
 * @module report/html/chart-data
 * tcp/series' buckets → the compact JSON the page's charts read: one time axis per direction
 * (bucket centres in seconds, only buckets that hold something), value arrays aligned with it
 * (null where a bucket has none), markers, and per-bucket event counts. Numbers are rounded to what
 * a chart can show (µs, whole bytes, µs of RTT) to keep the file small.
 */
import { SERIES_EVENT_KINDS, type DirectionSeries } from "../../tcp/series.js";

export interface DirectionChartData {
  label: string;
  /** Seconds since the capture's first packet (bucket centres). */
  t: number[];
  /** Bucket width, seconds (the resolution: one chart column at full zoom-out). */
  widthS: number;
  dataLo: (number | null)[];
  dataHi: (number | null)[];
  ackHi: (number | null)[];
  /** The window edge's highest, the window's lowest per bucket (what the charts draw). */
  edgeHi: (number | null)[];
  rwndLo: (number | null)[];
  /** Absent when no window had an inferred scale. */
  rwndInfLo?: (number | null)[];
  bifLo: (number | null)[];
  bifHi: (number | null)[];
  /** ms. */
  rttLo: (number | null)[];
  rttHi: (number | null)[];
  /** Throughput: its own time axis (window centres, s), Mbit/s over each `rateWindowS` window. */
  rateT: number[];
  sentMbps: number[];
  ackedMbps: number[];
  rateWindowS: number;
  /** Events per bucket, only buckets with some: [bucket time s, count, …] (retransmission family, zero window, window full). */
  retrans: number[];
  zeroWindow: number[];
  windowFull: number[];
  /** Markers: time s, kind index into `kinds`, relative seq. */
  evT: number[];
  evK: number[];
  evS: number[];
  kinds: readonly string[];
  eventsDropped: Record<string, number>;
}

/** Throughput windows across a direction's whole duration, at most; and data segments per window, about. */
const RATE_POINTS = 300;
const RATE_PACKETS = 8;
const r6 = (x: number) => Math.round(x * 1e6) / 1e6;
const r3 = (x: number) => Math.round(x * 1e3) / 1e3;

/**
 * The same series with every `f` buckets merged into one (min of the mins, max of the maxes, sums
 * of the sums): fewer columns, the same extremes and totals.
 */
export function coarsen(d: DirectionSeries, f: number): DirectionSeries {
  if (f <= 1) return d;
  const n = Math.ceil(d.columns / f);
  const merge = (a: Float64Array, how: "min" | "max" | "sum") => {
    const out = new Float64Array(n).fill(how === "sum" ? 0 : NaN);
    for (let i = 0; i < d.columns; i++) {
      const j = Math.floor(i / f);
      const v = a[i]!;
      if (how === "sum") out[j]! += v;
      else if (v === v && (out[j] !== out[j] || (how === "min" ? v < out[j]! : v > out[j]!))) out[j] = v;
    }
    return out;
  };
  return {
    ...d,
    widthNs: d.widthNs * f,
    columns: n,
    dataLo: merge(d.dataLo, "min"),
    dataHi: merge(d.dataHi, "max"),
    ackLo: merge(d.ackLo, "min"),
    ackHi: merge(d.ackHi, "max"),
    edgeLo: merge(d.edgeLo, "min"),
    edgeHi: merge(d.edgeHi, "max"),
    rwndLo: merge(d.rwndLo, "min"),
    rwndHi: merge(d.rwndHi, "max"),
    rwndInfLo: merge(d.rwndInfLo, "min"),
    rwndInfHi: merge(d.rwndInfHi, "max"),
    bifLo: merge(d.bifLo, "min"),
    bifHi: merge(d.bifHi, "max"),
    rttLo: merge(d.rttLo, "min"),
    rttHi: merge(d.rttHi, "max"),
    sent: merge(d.sent, "sum"),
    acked: merge(d.acked, "sum"),
    retrans: merge(d.retrans, "sum"),
    zeroWindow: merge(d.zeroWindow, "sum"),
    windowFull: merge(d.windowFull, "sum"),
  };
}

/** At most `maxColumns` columns (buckets merged evenly when the series has more). */
export function directionChartData(series: DirectionSeries, label: string, maxColumns = Infinity): DirectionChartData | null {
  const d = coarsen(series, Math.ceil(series.columns / maxColumns));
  const keep: number[] = [];
  for (let i = 0; i < d.columns; i++) {
    if (d.dataHi[i] === d.dataHi[i] || d.ackHi[i] === d.ackHi[i] || d.bifHi[i] === d.bifHi[i] || d.rttHi[i] === d.rttHi[i]) keep.push(i);
  }
  let hasData = false;
  for (const i of keep) if (d.dataHi[i] === d.dataHi[i]) hasData = true;
  if (!hasData) return null;
  const num = (a: Float64Array, f: (x: number) => number = Math.round) => keep.map((i) => (a[i] === a[i] ? f(a[i]!) : null));
  const widthS = d.widthNs / 1e9;
  // Rates over consecutive windows of k buckets, on their own time axis (the charts sync by time,
  // not by index): at most RATE_POINTS windows, each holding ~RATE_PACKETS data segments on average
  // (a window narrower than the packet spacing only flickers between 0 and one packet's worth).
  const k = Math.max(1, Math.ceil(d.columns / RATE_POINTS), Math.ceil((RATE_PACKETS * d.columns) / Math.max(1, d.packets)));
  const windows = Math.ceil(d.columns / k);
  const rateT: number[] = [];
  const sentMbps: number[] = [];
  const ackedMbps: number[] = [];
  for (let w = 0; w < windows; w++) {
    const from = w * k;
    const to = Math.min(d.columns, from + k);
    let sent = 0;
    let acked = 0;
    for (let i = from; i < to; i++) {
      sent += d.sent[i]!;
      acked += d.acked[i]!;
    }
    const span = (to - from) * widthS;
    rateT.push(r6((d.startNs + ((from + to) / 2) * d.widthNs) / 1e9));
    sentMbps.push(r3((sent * 8) / span / 1e6));
    ackedMbps.push(r3((acked * 8) / span / 1e6));
  }
  const counts = (a: Float64Array) => {
    const out: number[] = [];
    for (let i = 0; i < d.columns; i++) if (a[i]! > 0) out.push(r6((d.startNs + (i + 0.5) * d.widthNs) / 1e9), a[i]!);
    return out;
  };
  const hasInf = keep.some((i) => d.rwndInfHi[i] === d.rwndInfHi[i]);
  const out: DirectionChartData = {
    label,
    t: keep.map((i) => r6((d.startNs + (i + 0.5) * d.widthNs) / 1e9)),
    widthS,
    dataLo: num(d.dataLo),
    dataHi: num(d.dataHi),
    ackHi: num(d.ackHi),
    edgeHi: num(d.edgeHi),
    rwndLo: num(d.rwndLo),
    bifLo: num(d.bifLo),
    bifHi: num(d.bifHi),
    rttLo: num(d.rttLo, (x) => r3(x / 1e6)),
    rttHi: num(d.rttHi, (x) => r3(x / 1e6)),
    rateT,
    sentMbps,
    ackedMbps,
    rateWindowS: k * widthS,
    retrans: counts(d.retrans),
    zeroWindow: counts(d.zeroWindow),
    windowFull: counts(d.windowFull),
    evT: Array.from(d.events.tNs, (t) => r6(t / 1e9)),
    evK: Array.from(d.events.kind),
    evS: Array.from(d.events.seq, Math.round),
    kinds: SERIES_EVENT_KINDS,
    eventsDropped: { ...d.eventsDropped } as Record<string, number>,
  };
  if (hasInf) out.rwndInfLo = num(d.rwndInfLo);
  return out;
}
