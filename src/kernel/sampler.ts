/**
 * @module kernel/sampler
 * The one sampling loop of live sockets: `tcpwin watch` runs it on an interval, the exporter takes a
 * sample per scrape. A sample is one sock_diag dump (kernel/sockets, with owners when asked) keyed
 * by sock cookie, stamped with a monotonic clock; diagnose/live-deltas turns two into deltas.
 *
 * comm values are cached by pid (kernel/proc-fd); a long-running sampler forgets them at every
 * sample, so a reused pid never shows its predecessor's name.
 */
import { listTcpSockets, type LiveSocket, type OwnerStats, type SocketQuery } from "./sockets.js";
import { readFileSync } from "node:fs";
import { clearCommCache } from "./proc-fd.js";
import { OwnerCache } from "./owner-cache.js";
import { dumpSlimSockets, type SlimSocket } from "./slim-sample.js";
import type { DiagDecodeError } from "./netlink.js";

/** One dump by cookie (the shape diagnose/live-deltas Sample reads). */
export interface LiveSample {
  /** Monotonic time of the dump, µs. */
  tUs: number;
  sockets: Map<number, LiveSocket>;
  errors: DiagDecodeError[];
  owners?: OwnerStats | undefined;
}

/** Monotonic µs. */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

export class SocketSampler {
  samples = 0;
  /**
   * `ownerCache`: find owners through a kernel/owner-cache (walks /proc only for inodes it does not
   * know, at most once per its minWalkMs) instead of walking at every sample as `query.owners` does.
   */
  constructor(
    readonly query: SocketQuery,
    private readonly clock: () => number = monotonicUs,
    readonly ownerCache?: OwnerCache,
  ) {}

  /** One dump now. Throws like listTcpSockets (SockDiagError, ProcessNotReadableError). */
  take(): LiveSample {
    if (this.query.owners || this.query.pid !== undefined) clearCommCache();
    const t = this.clock();
    const list = listTcpSockets(this.query);
    if (this.ownerCache) {
      const a = this.ownerCache.attach(list.sockets);
      list.owners = { processes: a.processes, unreadable: a.unreadable, unreadablePids: [] };
    }
    const m = new Map<number, LiveSocket>();
    for (const s of list.sockets) m.set(s.cookie, s);
    this.samples++;
    return { tUs: t, sockets: m, errors: list.errors, owners: list.owners };
  }

  /**
   * The exporter's form: kernel/slim-sample sockets (the fields accounting reads, no full tcp_info
   * object), owners from the cache. Only the query's states, port and families apply.
   */
  takeSlim(): SlimSample {
    const t = this.clock();
    const q = this.query;
    const filter: Parameters<typeof dumpSlimSockets>[0] = {};
    if (q.states !== undefined) filter.states = q.states;
    if (q.port !== undefined) filter.port = q.port;
    if (q.families) filter.families = q.families;
    const d = dumpSlimSockets(filter);
    let owners: OwnerStats | undefined;
    if (this.ownerCache) {
      const a = this.ownerCache.attach(d.sockets);
      owners = { processes: a.processes, unreadable: a.unreadable, unreadablePids: [] };
    }
    const m = new Map<number, SlimSocket>();
    for (const s of d.sockets) m.set(s.cookie, s);
    this.samples++;
    return { tUs: t, sockets: m, errors: d.errors, owners };
  }
}

export interface SlimSample {
  tUs: number;
  sockets: Map<number, SlimSocket>;
  errors: DiagDecodeError[];
  owners?: OwnerStats | undefined;
}

export interface SampleLoopOptions {
  intervalS: number;
  /** Stop after this long (default: until `signal`). */
  durationS?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Take a sample at once, then one every `intervalS`, and hand each with its predecessor to
 * `onSample`, until `durationS` has passed or `signal` aborts. Timers wake on the wall clock; the
 * samples carry the monotonic time they were taken, which is what deltas divide by.
 */
export async function sampleEvery(sampler: SocketSampler, opts: SampleLoopOptions, onSample: (prev: LiveSample, cur: LiveSample) => void | Promise<void>): Promise<void> {
  const endAt = opts.durationS !== undefined ? Date.now() + opts.durationS * 1000 : Infinity;
  let prev = sampler.take();
  while (!opts.signal?.aborted) {
    const left = endAt - Date.now();
    if (left <= 0) break;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, Math.min(opts.intervalS * 1000, left));
      function done(): void {
        clearTimeout(t);
        opts.signal?.removeEventListener("abort", done);
        resolve();
      }
      opts.signal?.addEventListener("abort", done);
    });
    if (opts.signal?.aborted) break;
    const cur = sampler.take();
    await onSample(prev, cur);
    prev = cur;
  }
}

/** net.ipv4.ip_local_port_range (the ports connect() picks from); Linux's default when unreadable. */
export function ephemeralPortRange(procRoot = "/proc"): [number, number] {
  try {
    const [lo, hi] = readFileSync(`${procRoot}/sys/net/ipv4/ip_local_port_range`, "utf8").trim().split(/\s+/).map(Number);
    if (lo! > 0 && hi! >= lo!) return [lo!, hi!];
  } catch {
    /* not Linux, or no /proc */
  }
  return [32768, 60999];
}
