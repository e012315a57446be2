/**
 * @module tcp/half-flow
 * State of one direction of a TCP conversation: Wireshark's `tcp_flow_t` +
 * `tcp_analyze_seq_info_t` (same names, same zero/sentinel starting values, because several
 * Wireshark checks depend on a field still being 0), plus what tcpwin accumulates for evidence.
 * Plain numeric fields only; times are ns relative to the analyzer's time base (see analyzer.ts).
 */
import { Sketch } from "./sketch.js";
import { UnackedRing } from "./unacked-ring.js";
import { LimitTracker } from "./limits.js";
import { ScaleInference } from "./wscale-inference.js";

export class HalfFlow {
  // ---- Wireshark tcp_flow_t ----
  baseSeqSet = false;
  baseSeq = 0;
  /** -1 unknown, -2 not used, else the shift from this side's SYN. */
  winScale = -1;
  /** Last raw 16-bit window this side advertised (0 until it sent something, as Wireshark). */
  window = 0;
  isFirstAck = false;
  /**
   * Bytes in flight are reported (tshark 4.0 starts with it set, even without a handshake); a
   * lost segment clears it until the peer sends an ACK.
   */
  validBif = true;
  lastSegmentFlags = 0;
  // ---- Wireshark tcp_analyze_seq_info_t ----
  nextseq = 0;
  nextseqFrame = 0;
  nextseqTimeNs = 0;
  lastack = 0;
  lastackTimeNs = 0;
  maxseqtobeacked = 0;
  /** Can be -1: parked by an "ACKed unseen segment" (see sequence-analysis.ts). */
  dupacknum = 0;
  lastnondupack = 0;
  /** SACK blocks of this side's latest packet (Wireshark keeps at most 3); plain fields, no arrays. */
  numSack = 0;
  sackL0 = 0;
  sackR0 = 0;
  sackL1 = 0;
  sackR1 = 0;
  sackL2 = 0;
  sackR2 = 0;
  readonly unacked = new UnackedRing();

  // ---- tcpwin evidence ----
  packets = 0;
  bytesSent = 0;
  dataSegments = 0;
  /** First data sequence number, and the highest end of data sent (for unique bytes). */
  dataFirstSeq = 0;
  dataHighEnd = 0;
  hasData = false;
  firstDataNs = 0;
  lastDataNs = 0;
  /** MSS option of this side's SYN, -1 if none seen. */
  mssSyn = -1;
  maxSegment = 0;
  /** Length of the latest data segment (a short one means the sender ran out of data). */
  lastSegLen = 0;
  sawSyn = false;
  /** This side's latest packet was a SYN (its window is unscaled). */
  lastWasSyn = false;
  /** This side has sent a packet with the ACK flag (its lastack means something). */
  sentAck = false;
  /**
   * This side's newest ACK (the highest ack number, the latest of equals; int32 like every sequence
   * number in tcp/) and the raw window it carried: what the peer's sender goes by. `lastack` and
   * `window` are Wireshark's, the latest *captured*, which on a capture with reordered ACKs (seen
   * on a veth pair: two interleaved runs of ACKs) can be an older one.
   */
  highAck = 0;
  highAckWindow = 0;
  sawFin = false;
  sawRst = false;
  /** Raw windows this side advertised in non-SYN packets (scaled at the end). */
  readonly advRaw = new Sketch();
  /** Wireshark bytes_in_flight values of this side's data. */
  readonly bif = new Sketch();
  /** ack_rtt samples (ns) for this side's data, measured when the peer acknowledged it. */
  readonly rtt = new Sketch();
  /** The ack_rtt samples whose ACK rode on the start of the peer's own data (they include its think time). */
  readonly rttOnReply = new Sketch();
  /** Flag counts by bit index (see flags.ts), for this side's packets; allocated at the first flag. */
  flagCounts: Uint32Array | null = null;
  windowFullInferred = 0;
  /** Time attribution of this side as a sender. */
  readonly limits = new LimitTracker();
  /** Scale inference for the windows the *peer* advertises to this side (needs this side's in-flight). */
  readonly peerScale = new ScaleInference();

  constructor(absZeroNs: number) {
    // Wireshark compares against absolute time 0 when a time was never set.
    this.nextseqTimeNs = absZeroNs;
    this.lastackTimeNs = absZeroNs;
  }
}

