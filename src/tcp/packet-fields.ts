/**
 * @module tcp/packet-fields
 * One plain object per TCP packet for `--packets` / `onPacket`, keyed exactly by tshark's field
 * names so `tshark -T fields -e <name>` output can be diffed against it. A key is present only
 * when tshark would print the field; flags are `true` when set. What tcpwin knows beyond tshark
 * lives under `tcpwin.*`. Built only when asked for (it allocates).
 */
import { RETRANSMISSION_FAMILY, TCP_FLAG_NAMES, TcpFlag, tsharkFlagField } from "./flags.js";
import type { SegmentResult } from "./segment-result.js";

export interface PacketFields {
  "frame.number": number;
  "tcp.stream": number;
  "tcp.len": number;
  "tcp.seq_raw": number;
  "tcp.ack_raw": number;
  "tcp.flags": number;
  "tcp.window_size_value": number;
  /** Scaled when the scale is known, else the raw value (as tshark). */
  "tcp.window_size": number;
  /** -1 unknown, -2 not used, else 1 << shift; absent on SYNs. */
  "tcp.window_size_scalefactor"?: number;
  "tcp.analysis.bytes_in_flight"?: number;
  "tcp.analysis.acks_frame"?: number;
  /** Seconds. */
  "tcp.analysis.ack_rtt"?: number;
  /** Seconds. */
  "tcp.analysis.initial_rtt"?: number;
  "tcp.analysis.duplicate_ack_num"?: number;
  "tcp.analysis.duplicate_ack_frame"?: number;
  /** Seconds since the capture's first packet (frame.time_relative). */
  "frame.time_relative"?: number;
  "tcpwin.window_scale_inferred"?: number;
  "tcpwin.window_size_inferred"?: number;
  "tcpwin.window_full_inferred"?: true;
  [flag: `tcp.analysis.${string}`]: number | true | undefined;
}

const FLAG_FIELDS = TCP_FLAG_NAMES.map((n) => [TcpFlag[n], tsharkFlagField(n)] as const);

export function packetFields(r: SegmentResult): PacketFields {
  const o: PacketFields = {
    "frame.number": r.frame,
    "frame.time_relative": r.tNs / 1e9,
    "tcp.stream": r.stream,
    "tcp.len": r.seglen,
    "tcp.seq_raw": r.seq >>> 0,
    "tcp.ack_raw": r.ack >>> 0,
    "tcp.flags": r.flags,
    "tcp.window_size_value": r.windowRaw,
    "tcp.window_size": r.windowSize,
  };
  if (r.scaleFactor !== 0) o["tcp.window_size_scalefactor"] = r.scaleFactor;
  if (r.hasTa) {
    if (r.acksFrame !== 0) {
      o["tcp.analysis.acks_frame"] = r.acksFrame;
      if (r.ackRttNs !== 0) o["tcp.analysis.ack_rtt"] = r.ackRttNs / 1e9;
    }
    if (r.initialRttNs !== 0) o["tcp.analysis.initial_rtt"] = r.initialRttNs / 1e9;
    if (r.bytesInFlight !== 0) o["tcp.analysis.bytes_in_flight"] = r.bytesInFlight;
    const fl = r.analysisFlags;
    if (fl !== 0) {
      o["tcp.analysis.flags"] = true;
      for (const [bit, name] of FLAG_FIELDS) if (fl & bit) o[name as `tcp.analysis.${string}`] = true;
      // tshark adds the generic retransmission expert item to fast and spurious retransmissions.
      if (fl & RETRANSMISSION_FAMILY) o["tcp.analysis.retransmission"] = true;
      if (r.dupAckNum !== 0) {
        o["tcp.analysis.duplicate_ack_num"] = r.dupAckNum;
        o["tcp.analysis.duplicate_ack_frame"] = r.dupAckFrame;
      }
    }
  }
  if (r.scaleInferred >= 0) {
    o["tcpwin.window_scale_inferred"] = r.scaleInferred;
    o["tcpwin.window_size_inferred"] = r.windowInferred;
  }
  if (r.windowFullInferred) o["tcpwin.window_full_inferred"] = true;
  if (r.app !== null) Object.assign(o, r.app);
  return o;
}
