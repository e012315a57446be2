/**
 * @module lab/link/lateness
 * How late the forwarder released packets against their scheduled times, and whether that is
 * worth a warning. The worker records, per direction, the sum and the maximum of (write start −
 * due time) for every packet it delivers (forwarder-types STAT.lateSumUs / lateMaxUs); a forwarder
 * that cannot keep up — flat out at 1–3 Gbit/s on a 2-vCPU VM, or a machine busy elsewhere —
 * releases everything late, and every round trip then carries one packet's lateness each way.
 * So the endpoints' RTT was larger than --rtt by about mean(A→B) + mean(B→A): measured here at
 * 1 ms with iperf3 flat out, 0.90 + 2.75 ms late against iperf3's mean_rtt of 4.8 ms, and at 5 ms
 * 0.93 + 1.43 ms against 7.6 ms. (At least that much: packets also wait in the TUN queue before
 * the forwarder reads them, which it cannot see.)
 *
 * Pure: no I/O; the CLI prints the warning and puts the summary in --report.
 */
import type { ForwarderStats } from "./forwarder.js";
import type { DirectionStats } from "./forwarder-types.js";

/** Warn when the RTT excess the lateness implies passes this share of --rtt… */
export const LATENESS_WARN_SHARE = 0.05;
/**
 * …and this many µs: an idle forwarder releases 1–3 µs late per packet (it spins the last
 * --spin-us before each due time), which at --rtt 0.1 ms is already 4 % — precision, not overload.
 */
export const LATENESS_WARN_FLOOR_US = 10;

export interface DirectionLateness {
  packets: number;
  mean_us: number;
  max_us: number;
}

export interface LatenessSummary {
  a_to_b: DirectionLateness;
  b_to_a: DirectionLateness;
  /** mean A→B + mean B→A, ms: how much larger than rtt_ms the endpoints' round trips were, about. */
  rtt_excess_ms: number;
  /** rtt_excess_ms / rtt_ms (null at --rtt 0). */
  share_of_rtt: number | null;
  /** The share, and the µs floor, past which `warn` is set. */
  warn_share: number;
  warn_floor_us: number;
  warn: boolean;
}

function direction(d: DirectionStats): DirectionLateness {
  return { packets: d.packets_out, mean_us: d.late_mean_us, max_us: d.late_max_us };
}

/** Lateness of a run (stats after the calibration) on a link of rttMs. */
export function summarizeLateness(stats: ForwarderStats, rttMs: number): LatenessSummary {
  const a = direction(stats.a_to_b);
  const b = direction(stats.b_to_a);
  const excessUs = a.mean_us + b.mean_us;
  const share = rttMs > 0 ? excessUs / 1000 / rttMs : null;
  return {
    a_to_b: a,
    b_to_a: b,
    rtt_excess_ms: Math.round(excessUs) / 1000,
    share_of_rtt: share === null ? null : Math.round(share * 1000) / 1000,
    warn_share: LATENESS_WARN_SHARE,
    warn_floor_us: LATENESS_WARN_FLOOR_US,
    // At --rtt 0 there is no RTT to be off by a share of: the forwarder adds nothing on purpose.
    warn: share !== null && share > LATENESS_WARN_SHARE && excessUs > LATENESS_WARN_FLOOR_US,
  };
}

function ms(x: number): string {
  return x >= 10 ? `${x.toFixed(1)} ms` : x >= 1 ? `${x.toFixed(2)} ms` : `${x.toFixed(3)} ms`;
}

function us(x: number): string {
  return x >= 1000 ? ms(x / 1000) : `${Math.round(x)} µs`;
}

/** The stderr warning for a summary with `warn` set (null otherwise): what it means, what to do. */
export function latenessWarning(l: LatenessSummary, rttMs: number): string | null {
  if (!l.warn || l.share_of_rtt === null) return null;
  const max = Math.max(l.a_to_b.max_us, l.b_to_a.max_us);
  return (
    `tcpwin lab link: warning: the forwarder released packets late — mean ${us(l.a_to_b.mean_us)} A→B, ${us(l.b_to_a.mean_us)} B→A (max ${us(max)}) — ` +
    `so the RTT the endpoints saw was larger than --rtt ${ms(rttMs)} by about ${ms(l.rtt_excess_ms)} (${Math.round(l.share_of_rtt * 100)} %) or more: ` +
    `it could not keep up (with this rate, or with other load on the machine). Lower the rate with --rate, or pin the forwarder with --cpu (and the endpoints there too, e.g. with taskset).`
  );
}
