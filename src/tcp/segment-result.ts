/**
 * @module tcp/segment-result
 * What the analysis says about one packet, in one reused object (no allocation per packet).
 * Fields mirror tshark's; "absent" has a sentinel so `--packets` can print exactly the keys tshark
 * would print.
 */
export class SegmentResult {
  frame = 0;
  stream = 0;
  /** Fields an application protocol adds to this packet's `--packets` line (tcp/stream packetFields), or null. */
  app: Record<string, unknown> | null = null;
  /** 0 or 1: which direction of the conversation sent this packet. */
  dir = 0;
  /** Time relative to the analyzer's time base, ns. */
  tNs = 0;
  seglen = 0;
  /** Raw seq/ack as int32 (same bits; `>>> 0` for the unsigned value). */
  seq = 0;
  ack = 0;
  flags = 0;
  windowRaw = 0;
  /** tcp.window_size: raw << shift when the shift is known, else raw. */
  windowSize = 0;
  /** tcp.window_size_scalefactor: -1 unknown, -2 not used, else 1 << shift; 0 = absent (SYN). */
  scaleFactor = 0;
  /** Bitmask of TcpFlag. */
  analysisFlags = 0;
  /** Wireshark created a tcp_acked for this frame (the tcp.analysis tree is present). */
  hasTa = false;
  /** tcp.analysis.bytes_in_flight, 0 = absent. */
  bytesInFlight = 0;
  /** tcp.analysis.acks_frame, 0 = absent; ack_rtt ns (absent when acksFrame is 0 or rtt 0). */
  acksFrame = 0;
  ackRttNs = 0;
  /** tcp.analysis.initial_rtt ns, 0 = absent. */
  initialRttNs = 0;
  /** tcp.analysis.duplicate_ack_num, 0 = absent; duplicate_ack_frame. */
  dupAckNum = 0;
  dupAckFrame = 0;
  /** tcpwin: inferred shift of this packet's own window (-1 none), and the window it gives. */
  scaleInferred = -1;
  windowInferred = -1;
  /** tcpwin: window full judged with the inferred scale of the receiver. */
  windowFullInferred = false;
  /** Conversation has been selected by the caller's filters. */
  selected = true;

  reset(): void {
    this.analysisFlags = 0;
    this.hasTa = false;
    this.bytesInFlight = 0;
    this.acksFrame = 0;
    this.ackRttNs = 0;
    this.initialRttNs = 0;
    this.dupAckNum = 0;
    this.dupAckFrame = 0;
    this.scaleInferred = -1;
    this.windowInferred = -1;
    this.windowFullInferred = false;
    this.scaleFactor = 0;
  }
}
