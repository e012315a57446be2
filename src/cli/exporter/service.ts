/**
 * @module cli/exporter/service
 * The exporter without its HTTP face: one SocketSampler (kernel/sampler, the loop `watch` uses),
 * the kernel's destroy notifications (kernel/sock-destroy) drained every `drainMs`, the per-port
 * accounting (diagnose/port-totals) and the exposition (report/exposition). `scrape()` returns the
 * exposition text; scrapes closer together than `minIntervalMs` reuse the last one, so a scrape
 * storm costs one sample per interval, not one per request.
 *
 * Failure modes kept out of the scrape: a dump that fails (SockDiagError) is counted in
 * tcpwin_scrape_errors_total and the last totals are served; a process that exits during the /proc
 * walk, or a socket that closes between the dump and the walk, only loses its owner (kernel/proc-fd).
 */
import { openSockDestroy, type SockDestroyListener } from "../../kernel/sock-destroy.js";
import { SocketSampler, ephemeralPortRange, monotonicUs, type SlimSample } from "../../kernel/sampler.js";
import { OwnerCache } from "../../kernel/owner-cache.js";
import { errnoName } from "../../kernel/libc.js";
import { PortTotals, type PortTotalsOptions } from "../../diagnose/port-totals.js";
import { exporterRegistry, type ExporterState } from "../../report/exposition.js";
import type { Registry } from "prom-client";

export interface ExporterOptions extends PortTotalsOptions {
  /** false: do not subscribe to destroy notifications (poll only). */
  destroyEvents?: boolean;
  minIntervalMs?: number;
  drainMs?: number;
}

/** Every state but TIME-WAIT and NEW-SYN-RECV: connections and the listeners that name server ports. */
const STATES = 0xfff & ~1 & ~(1 << 6);

export class ExporterService {
  readonly totals: PortTotals;
  readonly registry: Registry;
  private readonly sampler = new SocketSampler({ states: STATES }, undefined, new OwnerCache());
  private listener: SockDestroyListener | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private readonly minIntervalMs: number;
  private cached: { atMs: number; text: string } | undefined;
  private inflight: Promise<string> | undefined;
  readonly state: ExporterState = {
    destroySubscribed: false,
    destroyRefusal: "",
    destroyEvents: 0,
    destroyOverflows: 0,
    scrapes: 0,
    samples: 0,
    scrapeErrors: 0,
    lastSampleSeconds: 0,
    sockets: 0,
    unreadableProcesses: 0,
  };

  constructor(opts: ExporterOptions = {}) {
    this.totals = new PortTotals({ ephemeralPorts: ephemeralPortRange(), ...opts });
    this.minIntervalMs = opts.minIntervalMs ?? 500;
    if (opts.destroyEvents !== false) {
      const o = openSockDestroy();
      if (o.ok) {
        this.listener = o.listener;
        this.state.destroySubscribed = true;
        this.drainTimer = setInterval(() => this.drain(), opts.drainMs ?? 100);
        this.drainTimer.unref();
      } else this.state.destroyRefusal = `${o.syscall}: ${errnoName(o.errno)}`;
    } else this.state.destroyRefusal = "off";
    this.registry = exporterRegistry(
      () => this.totals.snapshot(),
      () => this.state,
    );
    // The first sample: every connection from now on has a baseline.
    this.sample();
  }

  /** Hand queued destroy notifications to the accounting. */
  drain(): void {
    if (!this.listener) return;
    const r = this.listener.drain((s) => this.totals.destroyed(s));
    this.state.destroyEvents += r.events;
    this.state.destroyOverflows += r.overflows;
  }

  private sample(): SlimSample | undefined {
    const t0 = monotonicUs();
    try {
      this.drain(); // closes first: a cookie then never waits for a notification already queued
      const s = this.sampler.takeSlim();
      this.state.samples++;
      this.totals.observe(s, this.state.destroySubscribed);
      this.state.sockets = s.sockets.size;
      this.state.unreadableProcesses = s.owners?.unreadable ?? 0;
      return s;
    } catch {
      this.state.scrapeErrors++;
      return undefined;
    } finally {
      this.state.lastSampleSeconds = (monotonicUs() - t0) / 1e6;
    }
  }

  /** The exposition text, sampled now unless the last sample is younger than minIntervalMs. */
  async scrape(): Promise<string> {
    this.state.scrapes++;
    const now = Date.now();
    if (this.cached && now - this.cached.atMs < this.minIntervalMs) return this.cached.text;
    if (this.inflight) return this.inflight;
    this.inflight = (async () => {
      this.sample();
      const text = await this.registry.metrics();
      this.cached = { atMs: Date.now(), text };
      return text;
    })();
    try {
      return await this.inflight;
    } finally {
      this.inflight = undefined;
    }
  }

  /** Idempotent. */
  close(): void {
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = undefined;
    this.listener?.close();
    this.listener = undefined;
  }
}
