/**
 * @module diagnose/testing/make-evidence
 * Hand-made ConnectionEvidence for policy tests: a healthy baseline plus overrides per case.
 * The numbers follow what tcp/ reports for real transfers (the incident's: 2 079 208 B, MSS 574,
 * window 1148, RTT 1.66 ms, 3.0 s).
 */
import type { ConnectionEvidence, DirectionEvidence, Endpoint, Stats } from "../../tcp/evidence.js";

export const stats = (min: number, median: number, max: number, count = 100, p95?: number): Stats =>
  p95 === undefined ? { min, median, max, count } : { min, median, max, count, p95 };

export function direction(sender: Endpoint, receiver: Endpoint, over: Partial<DirectionEvidence> = {}): DirectionEvidence {
  return {
    sender,
    receiver,
    packets: 0,
    bytes: 0,
    bytes_sent: 0,
    first_data_s: null,
    last_data_s: null,
    mss_syn: 1460,
    max_segment: 0,
    rwnd_adv: null,
    bytes_in_flight: null,
    rtt_ms: null,
    rtt_on_reply_ms: null,
    flags: {},
    rwnd_scale: { shift: 7, source: "handshake" },
    limits: null,
    zero_window_s: 0,
    small_window_share: 0,
    ...over,
  };
}

export interface ConnOver {
  stream?: number;
  client?: Endpoint;
  server?: Endpoint;
  c2s?: Partial<DirectionEvidence>;
  s2c?: Partial<DirectionEvidence>;
  irtt_ms?: number | null;
  handshake_seen?: boolean;
  duration_s?: number;
}

export function connection(o: ConnOver = {}): ConnectionEvidence {
  const client = o.client ?? { addr: "10.0.0.1", port: 40000 };
  const server = o.server ?? { addr: "10.0.0.2", port: 9876 };
  const dur = o.duration_s ?? 1;
  return {
    stream: o.stream ?? 0,
    client,
    server,
    start_s: 0,
    end_s: dur,
    duration_s: dur,
    handshake_seen: o.handshake_seen ?? true,
    irtt_ms: o.irtt_ms === undefined ? 1 : o.irtt_ms,
    state: "FIN",
    c2s: direction(client, server, o.c2s),
    s2c: direction(server, client, { packets: 10, ...o.s2c }),
  };
}

/** The incident: 2 079 208 B broker → name server through a 1148-byte window at 1.66 ms. */
export function incident(over: ConnOver = {}): ConnectionEvidence {
  return connection({
    client: { addr: "10.0.0.1", port: 51234 },
    server: { addr: "10.0.0.2", port: 9876 },
    irtt_ms: 1.66,
    duration_s: 3.02,
    ...over,
    c2s: {
      packets: 3623,
      bytes: 2079208,
      bytes_sent: 2079208,
      first_data_s: 0.002,
      last_data_s: 3.006,
      mss_syn: 574,
      max_segment: 574,
      rwnd_adv: stats(1148, 1148, 1148),
      bytes_in_flight: stats(574, 1148, 1148),
      rtt_ms: stats(1.6, 1.66, 1.9, 1812, 1.8),
      flags: { window_full: 1800 },
      rwnd_scale: { shift: 0, source: "handshake" },
      limits: { busy_s: 3.0, rwnd: 0.99, cwnd: 0.01, app: 0 },
      small_window_share: 0.99,
      ...over.c2s,
    },
    s2c: { packets: 1813, mss_syn: 574, ...over.s2c },
  });
}

/** A healthy bulk transfer: 50 MB, window 3 MB never full, no loss. */
export function bulkHealthy(over: ConnOver = {}): ConnectionEvidence {
  return connection({
    irtt_ms: 0.05,
    ...over,
    c2s: {
      packets: 34000,
      bytes: 50_000_000,
      bytes_sent: 50_000_000,
      first_data_s: 0.001,
      last_data_s: 0.051,
      max_segment: 1448,
      rwnd_adv: stats(64000, 3_000_000, 6_000_000),
      bytes_in_flight: stats(1448, 200_000, 900_000),
      rtt_ms: stats(0.02, 0.05, 0.4, 10000, 0.2),
      limits: { busy_s: 0.05, rwnd: 0.05, cwnd: 0.9, app: 0.05 },
      ...over.c2s,
    },
    s2c: { ...over.s2c },
  });
}
