/**
 * @module report/exposition
 * The exporter's Prometheus text exposition (prom-client), rendered from what it is given: the
 * per-port totals and gauges of diagnose/port-totals and the exporter's own state. Pure: no I/O,
 * every value is read from the snapshot at render time.
 *
 * Names follow Prometheus' naming guide: `tcpwin_` prefix, base units, `_total` on counters. The
 * per-connection counters are derived from the tcp_info table (uapi/tcp-info-fields): a field in
 * µs becomes `…_seconds_total` (÷ 1e6), one in bytes `…_bytes_total`, with the field's own doc as
 * help — so a metric means exactly what the kernel's field means.
 */
import { Counter, Gauge, Registry } from "prom-client";
import { tcpInfoField, type TcpInfoUnit } from "../uapi/tcp-info-fields.js";
import { ACCOUNTED_COUNTERS, CLOSE_LIMITS, type AccountedCounter, type PortKey, type TotalsSnapshot } from "../diagnose/port-totals.js";

/** How the exporter gets closed connections, and what that cost. */
export interface ExporterState {
  /** 1 = destroy notifications received, 0 = refused or turned off (polling). */
  destroySubscribed: boolean;
  /** errno text of the refusal, when refused ("" otherwise). */
  destroyRefusal: string;
  destroyEvents: number;
  destroyOverflows: number;
  scrapes: number;
  /** Samples taken (dumps): at most one per --min-interval, however many scrapes. */
  samples: number;
  scrapeErrors: number;
  /** Seconds the last sample (dump + /proc walk + accounting) took. */
  lastSampleSeconds: number;
  /** Sockets in the last dump. */
  sockets: number;
  /** Processes whose fds could not be read in the last sample. */
  unreadableProcesses: number;
}

const METRIC_BASE: Record<AccountedCounter, string> = {
  busy_time: "busy",
  rwnd_limited: "rwnd_limited",
  sndbuf_limited: "sndbuf_limited",
  bytes_acked: "acked",
  bytes_received: "received",
};

/** A tcp_info unit as a Prometheus base-unit suffix and scale. */
/** (A divisor, not a factor: 9092000 / 1e6 prints 9.092, 9092000 * 1e-6 prints 9.091999999999999.) */
function unitOf(u: TcpInfoUnit): { suffix: string; divisor: number } {
  if (u === "us") return { suffix: "_seconds", divisor: 1e6 };
  if (u === "ms") return { suffix: "_seconds", divisor: 1e3 };
  if (u === "bytes") return { suffix: "_bytes", divisor: 1 };
  throw new Error(`no Prometheus unit for tcp_info unit ${u}`);
}

/** The counters derived from the tcp_info table: name, help, scale, per accounted field. */
export const TCP_INFO_COUNTERS = ACCOUNTED_COUNTERS.map((field) => {
  const f = tcpInfoField(field);
  const u = unitOf(f.unit);
  return { field, name: `tcpwin_${METRIC_BASE[field]}${u.suffix}_total`, divisor: u.divisor, help: `Sum over the port's connections (open and closed) of tcp_info ${f.name}: ${f.doc}.` };
});

const KEY_LABELS = ["process", "role", "port"] as const;
const labelsOf = (k: PortKey) => ({ process: k.process, role: k.role, port: String(k.port) });

/** A registry whose every collect() reads `snap()` and `state()` at scrape time. */
export function exporterRegistry(snap: () => TotalsSnapshot, state: () => ExporterState): Registry {
  const r = new Registry();
  for (const c of TCP_INFO_COUNTERS) {
    new Counter({
      name: c.name,
      help: c.help,
      labelNames: KEY_LABELS,
      registers: [r],
      collect() {
        this.reset();
        for (const t of snap().totals) this.inc(labelsOf(t.key), t.sums[c.field] / c.divisor);
      },
    });
  }
  new Counter({
    name: "tcpwin_closed_connections_total",
    help: "Connections closed, by what limited them most over their life (rwnd or sndbuf: at least 10 % of busy time; none).",
    labelNames: [...KEY_LABELS, "limit"],
    registers: [r],
    collect() {
      this.reset();
      for (const t of snap().totals) for (const l of CLOSE_LIMITS) this.inc({ ...labelsOf(t.key), limit: l }, t.closed[l]);
    },
  });
  const gauge = (name: string, help: string, pick: (g: TotalsSnapshot["gauges"][number]) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: KEY_LABELS,
      registers: [r],
      collect() {
        this.reset();
        for (const g of snap().gauges) {
          const v = pick(g);
          if (v !== undefined) this.set(labelsOf(g.key), v);
        }
      },
    });
  gauge("tcpwin_receive_buffer_min_bytes", "Smallest rb (sk_rcvbuf, the effective SO_RCVBUF) among the port's open connections.", (g) => g.rcvbufMin);
  gauge("tcpwin_send_buffer_min_bytes", "Smallest tb (sk_sndbuf, the effective SO_SNDBUF) among the port's open connections.", (g) => g.sndbufMin);
  gauge("tcpwin_peer_window_min_bytes", "Smallest window the peers advertise (tcp_info snd_wnd) among the port's established connections.", (g) => g.peerWindowMin);
  new Gauge({
    name: "tcpwin_connections",
    help: "Open connections, by the verdict of their last sampled interval (none: idle or first seen).",
    labelNames: [...KEY_LABELS, "verdict"],
    registers: [r],
    collect() {
      this.reset();
      for (const g of snap().gauges) for (const [v, n] of g.byVerdict) this.set({ ...labelsOf(g.key), verdict: v }, n);
    },
  });
  const TOP = [...KEY_LABELS, "local", "peer"] as const;
  const topGauge = (name: string, help: string, pick: (t: TotalsSnapshot["top"][number]) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: TOP,
      registers: [r],
      collect() {
        this.reset();
        for (const t of snap().top) {
          const v = pick(t);
          if (v !== undefined) this.set({ ...labelsOf(t.key), local: t.local, peer: t.peer }, v);
        }
      },
    });
  topGauge("tcpwin_top_connection_rwnd_limited_ratio", "The most limited connections (at most --top): share of busy time limited by the peer's window in the last interval.", (t) => t.rwndShare);
  topGauge("tcpwin_top_connection_sndbuf_limited_ratio", "The most limited connections: share of busy time limited by our send buffer in the last interval.", (t) => t.sndbufShare);
  topGauge("tcpwin_top_connection_peer_window_bytes", "The most limited connections: the window the peer advertises now (snd_wnd).", (t) => t.peerWindow);
  const single = (name: string, help: string, value: () => number, kind: "gauge" | "counter" = "gauge") => {
    const Cls = kind === "gauge" ? Gauge : Counter;
    new Cls({
      name,
      help,
      registers: [r],
      collect(this: Gauge | Counter) {
        this.reset();
        if (this instanceof Gauge) this.set(value());
        else this.inc(value());
      },
    });
  };
  single("tcpwin_series_limit", "Most (process, role, port) keys kept; connections of further keys are folded into process=\"_other\".", () => snap().maxKeys);
  single("tcpwin_series_overflow_connections_total", "Connections folded into the overflow key because the key limit was reached.", () => snap().overflowConnections, "counter");
  single("tcpwin_tracked_connections", "Connections the exporter follows (open, or closed and waiting for their destroy notification).", () => snap().tracked);
  new Gauge({
    name: "tcpwin_destroy_notifications_subscribed",
    help: "1 when the kernel's socket-destroy notifications (sock_diag SKNLGRP_INET*_TCP_DESTROY) are received; 0 = refused (refusal: the failing call and errno) or off, and closed connections are then seen by polling only.",
    labelNames: ["refusal"],
    registers: [r],
    collect() {
      this.reset();
      const st = state();
      this.set({ refusal: st.destroyRefusal }, st.destroySubscribed ? 1 : 0);
    },
  });
  single("tcpwin_destroy_notifications_total", "Socket-destroy notifications received.", () => state().destroyEvents, "counter");
  single("tcpwin_destroy_notification_overflows_total", "Times the kernel dropped destroy notifications because the exporter's queue was full (ENOBUFS).", () => state().destroyOverflows, "counter");
  single("tcpwin_scrapes_total", "Scrapes served (a scrape within the minimum interval reuses the last sample).", () => state().scrapes, "counter");
  single("tcpwin_samples_total", "Samples taken (sock_diag dump + /proc walk): at most one per minimum interval, however many scrapes.", () => state().samples, "counter");
  single("tcpwin_scrape_errors_total", "Samples that failed (the last good values are served).", () => state().scrapeErrors, "counter");
  single("tcpwin_sample_duration_seconds", "Time the last sample took: sock_diag dump, /proc walk and accounting.", () => state().lastSampleSeconds);
  single("tcpwin_sockets", "TCP sockets in the last dump (listeners included).", () => state().sockets);
  single("tcpwin_unreadable_processes", "Processes whose sockets could not be attributed in the last sample (no permission to read /proc/PID/fd).", () => state().unreadableProcesses);
  return r;
}
