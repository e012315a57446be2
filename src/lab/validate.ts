/**
 * @module lab/validate
 * `tcpwin lab validate`: the model against reality. For each grid cell (receiver SO_RCVBUF × RTT ×
 * MSS) a lab link is built with that RTT and MTU = MSS + 40 (timestamps off by default, so each
 * segment carries exactly MSS bytes, as in the incident), `tcpwin lab serve` runs in side B with
 * the SO_RCVBUF, `tcpwin lab send` in side A moves the bytes, and the measured time is set against
 * the model's prediction. Cells sharing RTT and MSS share one link.
 *
 * The two tcpwin processes are started with `selfCommand` (this very program), so what is
 * validated is the shipped CLI, not a test double. Also checks the emulator's RTT as the kernel
 * sees it (tcp_info min_rtt of every transfer) and, optionally, as iperf3 reports it (-J
 * mean_rtt, a mean of its srtt samples).
 *
 * Basis of the window-limited check (measured here, see the lab notes in README): on one machine
 * the link emulator's write(2) into a TUN device runs the receiving namespace's TCP stack — and
 * what it transmits in response — in the emulator's thread, so both endpoints' per-packet stack
 * work is serial with the link's delay (on two hosts it would overlap the wire). In a
 * window-limited transfer the link is idle between windows, so all of that work is on the
 * critical path of its round. The link measures it (time delivering packets: the writes and
 * reading back what they provoke); a cell is held to the model's prediction plus that time. What is left is each round's reader wake-up
 * (~10–20 µs here) and the VM's scheduling noise.
 */
import { spawnSync } from "node:child_process";
import { TcpwinError } from "../errors.js";
import { LabLink } from "./link/link.js";
import { collect, shellQuote, waitListener } from "./link/children.js";
import { predict, type TransferResult } from "./bulk/sender.js";

export interface GridCell {
  /** Receiver's SO_RCVBUF; null = kernel default (autotuning). */
  rcvbuf: number | null;
  rttMs: number;
  mss: number;
}

export const FULL_GRID = {
  rcvbuf: [1024, 4096, 16384, null] as (number | null)[],
  rttMs: [0.5, 1.66, 5],
  mss: [574, 1448],
};

/** The incident's transfer: RocketMQ REGISTER_BROKER body. */
export const INCIDENT_BYTES = 2_079_208;

export function gridCells(g: { rcvbuf: (number | null)[]; rttMs: number[]; mss: number[] }): GridCell[] {
  const out: GridCell[] = [];
  for (const rttMs of g.rttMs) for (const mss of g.mss) for (const rcvbuf of g.rcvbuf) out.push({ rcvbuf, rttMs, mss });
  return out;
}

/** CI subset: the incident's cell, a 4096 cell, and a default-buffer cell, all at 1.66 ms. */
export const QUICK_CELLS: GridCell[] = [
  { rcvbuf: 1024, rttMs: 1.66, mss: 574 },
  { rcvbuf: 4096, rttMs: 1.66, mss: 574 },
  { rcvbuf: 16384, rttMs: 1.66, mss: 1448 },
  { rcvbuf: null, rttMs: 1.66, mss: 1448 },
];

export interface CellResult {
  rcvbuf: number | null;
  rtt_ms: number;
  mss: number;
  size: number;
  measured_ms: number | null;
  predicted_ms: number | null;
  /** measured / predicted − 1. */
  error: number | null;
  /** The kernel's smoothed RTT at the end of the transfer (includes both endpoints' processing). */
  srtt_ms: number | null;
  /** The model with the RTT the flow actually had (srtt) instead of the configured one. */
  predicted_srtt_ms: number | null;
  /** measured / predicted_srtt − 1: informative (srtt is an EWMA of the last samples, noisy under load). */
  error_srtt: number | null;
  /**
   * Time the link emulator spent delivering packets during this cell, ms (DirectionStats.deliver_us,
   * both directions): both endpoints' TCP stacks run inside its TUN writes (delivering a segment
   * runs the receiver's stack; delivering an ACK runs the sender's, which transmits the next window
   * there), plus reading back what each write provoked — serially with the link's delay.
   */
  link_busy_ms: number | null;
  /**
   * The model plus link_busy_ms: in a window-limited transfer the link idles between windows, so
   * every delivery is on the critical path of its round (one machine does serially what two hosts
   * and a wire would overlap). This is the basis window-limited cells are held to.
   */
  predicted_link_ms: number | null;
  /** measured / predicted_link − 1. */
  error_link: number | null;
  /** The model's bound: only "window" cells are held to the tolerance. */
  bottleneck: string | null;
  window_limited: boolean;
  pass: boolean | null;
  model_window: number | null;
  snd_wnd: number | null;
  snd_mss: number | null;
  min_rtt_ms: number | null;
  /** min_rtt / configured RTT − 1. */
  rtt_error: number | null;
  /**
   * Whether rtt_error is held to the RTT tolerance: window-limited cells with at most 4 segments in
   * flight. With a bigger window every RTT sample also carries the serial delivery of the burst
   * ahead of its segment (~2–3 µs per segment here: +6 % at 0.5 ms for 25 segments), which is
   * the window's doing, not the link's delay.
   */
  rtt_held: boolean;
  rwnd_limited_share: number | null;
  total_retrans: number | null;
  failure?: string;
}

export interface ValidateOptions {
  cells: GridCell[];
  size: number;
  timestamps: boolean;
  tolerance: number;
  /** argv prefix that runs tcpwin (e.g. [node, bin/tcpwin.js]). */
  selfCommand: string[];
  port?: number;
  timeoutMs?: number;
  onCell?: (r: CellResult) => void;
  onProgress?: (line: string) => void;
  prefix?: string;
  /**
   * Run `lab serve` and `lab send` SCHED_FIFO (chrt -f 5, below the forwarder's 10). Off by
   * default: with --busy-poll the receiver spins, and a spinning RT task trips the kernel's RT
   * throttling (sched_rt_runtime_us), which then stalls the forwarder for tens of ms.
   */
  realtimeApps?: boolean;
  /** lab serve --busy-poll, ms (default 0: a spinning reader loses the CPU to other load on a busy machine and its ACKs then wait for the delayed-ACK timer). */
  busyPollMs?: number;
  /**
   * Pin the forwarder, lab serve and lab send to this CPU (taskset / sched_setaffinity); -1 = no
   * pinning. Default: the last CPU. On a VM, cross-CPU wake-ups (IPIs) added 40–100 µs per round
   * trip — +15–25 % at 0.5 ms — which pinning removes (+7–9 % left, the endpoints' own processing).
   */
  cpu?: number;
}

/** One cell on an existing link (its RTT/MTU must match). */
export async function runCell(link: LabLink, cell: GridCell, opts: ValidateOptions): Promise<CellResult> {
  const port = opts.port ?? 5202;
  const base: CellResult = {
    rcvbuf: cell.rcvbuf,
    rtt_ms: cell.rttMs,
    mss: cell.mss,
    size: opts.size,
    measured_ms: null,
    predicted_ms: null,
    error: null,
    link_busy_ms: null,
    predicted_link_ms: null,
    error_link: null,
    srtt_ms: null,
    predicted_srtt_ms: null,
    error_srtt: null,
    bottleneck: null,
    window_limited: false,
    pass: null,
    model_window: null,
    snd_wnd: null,
    snd_mss: null,
    min_rtt_ms: null,
    rtt_error: null,
    rtt_held: false,
    rwnd_limited_share: null,
    total_retrans: null,
  };
  const cpu = opts.cpu ?? -1;
  const self = (opts.realtimeApps === true ? ["chrt", "-f", "5"] : [])
    .concat(cpu >= 0 ? ["taskset", "-c", String(cpu)] : [])
    .concat(opts.selfCommand)
    .map(shellQuote)
    .join(" ");
  const serveArgs = ["lab", "serve", "--port", String(port), "--count", "1", "--json", "--busy-poll", `${opts.busyPollMs ?? 0}ms`];
  if (cell.rcvbuf !== null) serveArgs.push("--rcvbuf", String(cell.rcvbuf));
  const server = link.spawnIn("b", `exec ${self} ${serveArgs.join(" ")}`, { stdio: "pipe" });
  const serverOut = collect(server);
  try {
    await waitListener(link, server, 20_000, "lab serve");
    const sendArgs = ["lab", "send", `${link.info.addr_b}:${port}`, "--size", String(opts.size), "--rtt", `${cell.rttMs}ms`, "--json"];
    if (opts.timeoutMs) sendArgs.push("--timeout", `${opts.timeoutMs}ms`);
    const before = link.stats();
    const client = link.spawnIn("a", `exec ${self} ${sendArgs.join(" ")}`, { stdio: "pipe" });
    const out = await collect(client);
    const after = link.stats();
    if (out.code !== 0) {
      base.failure = `lab send exited with status ${out.code}: ${out.stderr.trim().split("\n").pop() ?? ""}`;
      return base;
    }
    const line = out.stdout.trim().split("\n").pop() ?? "";
    let r: TransferResult;
    try {
      r = JSON.parse(line) as TransferResult;
    } catch {
      base.failure = `lab send printed no JSON: ${JSON.stringify(line.slice(0, 200))}`;
      return base;
    }
    base.measured_ms = r.elapsed_ms;
    base.predicted_ms = r.predicted_ms;
    base.error = Math.round((r.elapsed_ms / r.predicted_ms - 1) * 1000) / 1000;
    base.bottleneck = r.model.bottleneck;
    base.window_limited = r.model.bottleneck === "window";
    base.srtt_ms = r.kernel.srtt_us / 1000;
    const ps = predict(r.bytes, r.kernel, r.server, Math.max(base.srtt_ms, cell.rttMs)).predicted_ms;
    base.predicted_srtt_ms = ps;
    base.error_srtt = Math.round((r.elapsed_ms / ps - 1) * 1000) / 1000;
    if (before && after) {
      const us = after.a_to_b.deliver_us + after.b_to_a.deliver_us - before.a_to_b.deliver_us - before.b_to_a.deliver_us;
      base.link_busy_ms = Math.round(us) / 1000;
      base.predicted_link_ms = Math.round((r.predicted_ms + base.link_busy_ms) * 1000) / 1000;
      base.error_link = Math.round((r.elapsed_ms / base.predicted_link_ms - 1) * 1000) / 1000;
    }
    base.pass = base.window_limited ? Math.abs(base.error_link ?? base.error) <= opts.tolerance : null;
    base.model_window = r.model.window_bytes;
    base.snd_wnd = r.snd_wnd;
    base.snd_mss = r.snd_mss;
    base.min_rtt_ms = r.kernel.min_rtt_us !== null ? r.kernel.min_rtt_us / 1000 : null;
    base.rtt_error = base.min_rtt_ms !== null ? Math.round((base.min_rtt_ms / cell.rttMs - 1) * 1000) / 1000 : null;
    base.rtt_held = base.window_limited && base.rtt_error !== null && r.model.window_bytes <= 4 * r.snd_mss;
    base.rwnd_limited_share = r.kernel.rwnd_limited_share;
    base.total_retrans = r.kernel.total_retrans;
    return base;
  } catch (e) {
    base.failure = (e as Error).message;
    return base;
  } finally {
    await link.stopChild(server);
    await serverOut;
  }
}

export async function runValidate(opts: ValidateOptions, guard?: (link: LabLink) => () => void): Promise<CellResult[]> {
  const results: CellResult[] = [];
  const groups = new Map<string, GridCell[]>();
  for (const c of opts.cells) {
    const k = `${c.rttMs}/${c.mss}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  for (const cells of groups.values()) {
    const { rttMs, mss } = cells[0]!;
    const link = await LabLink.create({ rttMs, mtu: mss + 40 + (opts.timestamps ? 12 : 0), timestamps: opts.timestamps, prefix: opts.prefix, cpu: opts.cpu !== undefined && opts.cpu >= 0 ? opts.cpu : undefined });
    const unguard = guard?.(link);
    try {
      for (const cell of cells) {
        opts.onProgress?.(`cell SO_RCVBUF ${cell.rcvbuf ?? "default"}, RTT ${cell.rttMs} ms, MSS ${cell.mss}…`);
        const r = await runCell(link, cell, opts);
        results.push(r);
        opts.onCell?.(r);
      }
    } finally {
      link.close();
      unguard?.();
    }
  }
  return results;
}

export interface RttCheck {
  rtt_ms: number;
  tool: "iperf3";
  mean_rtt_ms: number | null;
  min_rtt_ms: number | null;
  error: number | null;
  pass: boolean | null;
  failure?: string;
}

/** iperf3's sending rate in the RTT check (see there why). */
export const IPERF3_RATE = "20M";

/** iperf3 through a link of `rttMs`: its -J mean_rtt (µs, from tcp_info srtt samples) vs configured. */
export async function iperf3RttCheck(rttMs: number, tolerance: number, prefix?: string, guard?: (link: LabLink) => () => void, cpu = -1): Promise<RttCheck> {
  const out: RttCheck = { rtt_ms: rttMs, tool: "iperf3", mean_rtt_ms: null, min_rtt_ms: null, error: null, pass: null };
  if (spawnSync("iperf3", ["--version"]).error) {
    out.failure = "iperf3 is not installed";
    return out;
  }
  const link = await LabLink.create({ rttMs, mtu: 1500, prefix, cpu: cpu >= 0 ? cpu : undefined });
  const pin = cpu >= 0 ? ["taskset", "-c", String(cpu)] : [];
  const unguard = guard?.(link);
  try {
    // Light load, the receiver ACKing at once (route option quickack in side B): what iperf3 then
    // reports is the link's round trip. Under bulk load its srtt also carries the iperf3 server's
    // wake-up before it reads (the small-segment ACK waits for the read; ~60 µs here) and bursts
    // queued behind one another in the forwarder — endpoint behaviour, not the emulator's delay.
    // 20 Mbit/s (2500 packets/s, 1 % of the forwarder's capacity), not less: this VM stalls a
    // vCPU for 1–9 ms a few times a second, and an srtt that one such sample inflated decays over
    // ~16 samples; at 2 Mbit/s that took ~60 ms, long enough for the 0.1 s snapshots to catch it
    // often (mean_rtt at 0.5 ms: +3 … +9 % at 2 Mbit/s, 0 … +5 % at 10, +1 … +3 % at 20).
    const route = link.spawnIn("b", "ip route change $(ip route | head -1) quickack 1", { stdio: "ignore" });
    const rc = await new Promise<number | null>((r) => route.once("exit", r));
    if (rc !== 0) throw new TcpwinError("route_failed", `could not set quickack on side B's route (ip route change exited ${rc})`);
    const server = link.spawnArgv("b", [...pin, "iperf3", "-s", "-1", "-p", "5299"], { stdio: "ignore" });
    await waitListener(link, server, 5000, "iperf3 -s");
    const client = link.spawnArgv("a", [...pin, "iperf3", "-c", link.info.addr_b, "-p", "5299", "-t", "3", "-i", "0.1", "-b", IPERF3_RATE, "-l", "1000", "-J"], { stdio: "pipe" });
    const res = await collect(client);
    await link.stopChild(server);
    const j = JSON.parse(res.stdout) as { end?: { streams?: { sender?: { mean_rtt?: number; min_rtt?: number } }[] }; error?: string };
    const s = j.end?.streams?.[0]?.sender;
    if (!s || s.mean_rtt === undefined) {
      out.failure = `iperf3 gave no mean_rtt${j.error ? `: ${j.error}` : ""}`;
      return out;
    }
    out.mean_rtt_ms = s.mean_rtt / 1000;
    out.min_rtt_ms = s.min_rtt !== undefined ? s.min_rtt / 1000 : null;
    out.error = Math.round((out.mean_rtt_ms / rttMs - 1) * 1000) / 1000;
    out.pass = Math.abs(out.error) <= tolerance;
    return out;
  } catch (e) {
    out.failure = (e as Error).message;
    return out;
  } finally {
    link.close();
    unguard?.();
  }
}
