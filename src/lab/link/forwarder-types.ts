/**
 * @module lab/link/forwarder-types
 * What the main thread and the forwarder worker share: the worker's configuration and the layout
 * of the shared statistics array (one block of STAT_STRIDE doubles per direction, A→B first).
 */

export interface ForwarderConfig {
  fdA: number;
  fdB: number;
  /** Link rate in bit/s; 0 = unlimited. */
  rateBps: number;
  /** Tail-drop threshold of the rate limiter's queue, bytes. */
  queueBytes: number;
  /** Drop probability per packet, 0..1. */
  loss: number;
  seed: number;
  mtu: number;
  pcapPath: string | null;
  /** Where the capture is taken: at side A's interface ("a") or side B's ("b"). */
  pcapSide: "a" | "b";
  /** How long before a due time the worker stops sleeping and spins, µs. */
  spinUs: number;
  /** SCHED_FIFO priority for the worker thread (1–99), 0 = normal scheduling. */
  realtime: number;
  /** CPU to pin the worker thread to, -1 = no pinning. */
  cpu: number;
  ctrl: SharedArrayBuffer;
  /** Float64 [A→B, B→A] one-way delays, ms. */
  delays: SharedArrayBuffer;
  stats: SharedArrayBuffer;
}

/** Int32 words of `ctrl`: stop requested; worker stopped (fds released); packets are captured. */
export const CTRL_STOP = 0;
export const CTRL_STOPPED = 1;
export const CTRL_CAPTURE = 2;
export const CTRL_WORDS = 3;

export const STAT = {
  packetsIn: 0,
  bytesIn: 1,
  packetsOut: 2,
  bytesOut: 3,
  dropsLoss: 4,
  dropsQueue: 5,
  lateSumUs: 6,
  lateMaxUs: 7,
  readErrors: 8,
  writeErrors: 9,
  /** Time spent delivering packets, µs: write(2) to the TUN device (the receiving namespace's stack runs there) and looking for what it provoked. */
  deliverSumUs: 10,
} as const;
export const STAT_STRIDE = 11;

export interface DirectionStats {
  packets_in: number;
  bytes_in: number;
  packets_out: number;
  bytes_out: number;
  drops_loss: number;
  drops_queue: number;
  /** Mean and max delay beyond the due time at which packets were written, µs. */
  late_mean_us: number;
  late_max_us: number;
  read_errors: number;
  write_errors: number;
  /**
   * Total time the forwarder spent delivering this direction's packets, µs: each write(2) into the
   * TUN device — which runs the receiving namespace's TCP stack, and what it transmits in response,
   * in the forwarder's thread — plus looking for what that write provoked (reading the packets it did
   * provoke is not counted: that overlaps their delay). On one machine this
   * work is serial with the link's delay; on two hosts it would overlap the wire.
   */
  deliver_us: number;
}

export function readDirectionStats(stats: Float64Array, base: number): DirectionStats {
  const out = stats[base + STAT.packetsOut]!;
  return {
    packets_in: stats[base + STAT.packetsIn]!,
    bytes_in: stats[base + STAT.bytesIn]!,
    packets_out: out,
    bytes_out: stats[base + STAT.bytesOut]!,
    drops_loss: stats[base + STAT.dropsLoss]!,
    drops_queue: stats[base + STAT.dropsQueue]!,
    late_mean_us: out > 0 ? Math.round((stats[base + STAT.lateSumUs]! / out) * 10) / 10 : 0,
    late_max_us: Math.round(stats[base + STAT.lateMaxUs]! * 10) / 10,
    read_errors: stats[base + STAT.readErrors]!,
    write_errors: stats[base + STAT.writeErrors]!,
    deliver_us: Math.round(stats[base + STAT.deliverSumUs]! * 10) / 10,
  };
}
