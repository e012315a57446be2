/**
 * @module tcp/sequence-analysis
 * Wireshark's `tcp_analyze_sequence_number` (epan/dissectors/packet-tcp.c, the 4.0 series that
 * Debian 12's tshark 4.0.17 runs), transcribed check by check in the same order, on raw sequence
 * numbers and the raw 16-bit window. Comments name the Wireshark check; deviations would break
 * the tshark conformance tests in test/tcp/, which compare every flag and number per packet.
 *
 * Wireshark quirks kept on purpose (they decide tshark's output):
 * - a peer that never sent anything has window 0, lastack 0 and times at absolute 0;
 * - zero-window probes, keep-alive ACKs and zero-window-probe ACKs skip the remaining fwd checks;
 * - SYN/FIN count one sequence number only when the segment is stored in the unacked list
 *   (at most 10000 unacked segments are stored).
 * Where Wireshark versions differ (flagging a retransmitted SYN as port reuse; the exact
 * "ACKed unseen segment" repeat rule), we follow what tshark 4.0.17 prints: the hand-built edge
 * cases in test/tcp/ pin each of these against tshark.
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "../capture/packet.js";
import type { Conversation } from "./conversation.js";
import { TcpFlag } from "./flags.js";
import type { HalfFlow } from "./half-flow.js";
import type { SegmentResult } from "./segment-result.js";
import { MAX_UNACKED } from "./unacked-ring.js";
import { seqGt, seqLe, seqLt } from "./seq.js";

const SFR = TCP_SYN | TCP_FIN | TCP_RST;
const SF = TCP_SYN | TCP_FIN;
/** Fast retransmission: within 20 ms of the peer's latest (duplicate) ACK. */
const FAST_RT_NS = 20_000_000;
/** Out-of-order threshold when the initial RTT is unknown: 3 ms. */
const OOO_DEFAULT_NS = 3_000_000;

/**
 * Analyse one segment sent by `fwd` to `rev` at `r.tNs` (a field, not an argument: a double
 * argument would be boxed on every call); fills the analysis part of `r`.
 * `seglen` is tcp.len; `flags` tcp.flags; `window` the raw window. Sequence numbers (`seq`, `ack`
 * and every one stored) are held as int32 (`x | 0`): the same 32 bits as Wireshark's guint32, but
 * small integers to V8, so nothing is boxed per packet; equality and the wrap-aware comparisons of
 * seq.ts do not care about the sign, and values are turned unsigned (`>>> 0`) only for output.
 */
export function analyzeSequence(
  conv: Conversation,
  fwd: HalfFlow,
  rev: HalfFlow,
  frame: number,
  seq: number,
  ack: number,
  seglen: number,
  flags: number,
  window: number,
  r: SegmentResult,
): void {
  const nowNs = r.tNs;
  let fl = r.analysisFlags;
  let ta = r.hasTa;

  // Base sequence numbers (relative numbering, and the reference for bytes in flight).
  if (!fwd.baseSeqSet) {
    fwd.baseSeq = flags & TCP_SYN ? seq : (seq - 1) | 0;
    fwd.baseSeqSet = true;
  }
  if (!rev.baseSeqSet && flags & TCP_ACK) {
    rev.baseSeq = (ack - 1) | 0;
    rev.baseSeqSet = true;
  }
  if (flags & TCP_ACK) rev.validBif = true;

  const sfr = flags & SFR;
  fwdChecks: {
    // ZERO WINDOW PROBE: 1 byte at nextseq while the peer's window is 0.
    if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) {
      fl |= TcpFlag.zero_window_probe;
      break fwdChecks;
    }
    // ZERO WINDOW
    if (window === 0 && sfr === 0) fl |= TcpFlag.zero_window;
    // LOST PACKET ("previous segment not captured")
    if (fwd.nextseq !== 0 && seqGt(seq, fwd.nextseq) && (flags & TCP_RST) === 0) {
      fl |= TcpFlag.lost_segment;
      fwd.validBif = false;
    }
    // KEEP ALIVE: 0 or 1 byte starting one before nextseq.
    if ((seglen === 0 || seglen === 1) && seq === ((fwd.nextseq - 1) | 0) && sfr === 0) fl |= TcpFlag.keep_alive;
    // WINDOW UPDATE
    if (seglen === 0 && window !== 0 && window !== fwd.window && seq === fwd.nextseq && ack === fwd.lastack && sfr === 0)
      fl |= TcpFlag.window_update;
    // WINDOW FULL: only with a known (or "not used") scale; the peer's first window after its SYN is unscaled.
    if (seglen > 0 && rev.winScale !== -1 && sfr === 0) {
      const shift = rev.isFirstAck ? 0 : rev.winScale === -2 ? 0 : rev.winScale;
      if (((seq + seglen) | 0) === ((rev.lastack + (rev.window << shift)) | 0)) fl |= TcpFlag.window_full;
    }
    // KEEP ALIVE ACK
    if (
      seglen === 0 &&
      window !== 0 &&
      window === fwd.window &&
      seq === fwd.nextseq &&
      ack === fwd.lastack &&
      rev.lastSegmentFlags & TcpFlag.keep_alive &&
      sfr === 0
    ) {
      fl |= TcpFlag.keep_alive_ack;
      break fwdChecks;
    }
    // ZERO WINDOW PROBE ACK
    if (
      seglen === 0 &&
      window === 0 &&
      window === fwd.window &&
      seq === fwd.nextseq &&
      ack === fwd.lastack &&
      rev.lastSegmentFlags & TcpFlag.zero_window_probe &&
      sfr === 0
    ) {
      fl |= TcpFlag.zero_window_probe_ack;
      break fwdChecks;
    }
    // DUPLICATE ACK
    if (seglen === 0 && window !== 0 && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastack && sfr === 0) {
      fwd.dupacknum = fwd.dupacknum === -1 ? 1 : fwd.dupacknum + 1;
      fl |= TcpFlag.duplicate_ack;
      r.dupAckNum = fwd.dupacknum;
      r.dupAckFrame = fwd.lastnondupack;
    }
  }

  // finished_fwd: a new ACK number resets the duplicate-ACK counter.
  if (ack !== fwd.lastack) {
    fwd.lastnondupack = frame;
    fwd.dupacknum = 0;
  }

  // ACKED LOST PACKET ("ACKed unseen segment"). Repeats for the same gap are suppressed by
  // parking the peer's duplicate-ACK counter at -1 (rules pinned against tshark 4.0.17 by the
  // acked_unseen_* edge cases and the RocketMQ fixtures: it flags again only once the peer sent
  // beyond the gap, or after the peer's ACK number moved).
  if (rev.maxseqtobeacked !== 0 && seqGt(ack, rev.maxseqtobeacked) && flags & TCP_ACK) {
    ta = true;
    if (rev.maxseqtobeacked >>> 0 < rev.nextseq >>> 0) {
      rev.maxseqtobeacked = rev.nextseq;
      fl |= TcpFlag.ack_lost_segment;
    } else {
      if (rev.dupacknum === 0) fl |= TcpFlag.ack_lost_segment;
      rev.dupacknum = -1;
    }
  }

  // RETRANSMISSION / FAST RETRANSMISSION / SPURIOUS / OUT-OF-ORDER
  if (seglen > 0 || flags & SF) {
    let notAdvanced = fwd.nextseq !== 0 && seqLt(seq, fwd.nextseq);
    if ((fl & TcpFlag.keep_alive) === 0) {
      // More than one byte starting at nextseq − 1 follows a probe: new data, not a retransmission.
      if (seglen > 1 && ((fwd.nextseq - 1) | 0) === seq) notAdvanced = false;
      if (seglen > 0 && rev.lastack !== 0 && seqLe((seq + seglen) | 0, rev.lastack)) {
        fl |= TcpFlag.spurious_retransmission;
      } else {
        let t = nowNs - rev.lastackTimeNs;
        if (notAdvanced && rev.dupacknum >= 2 && rev.lastack === seq && t >= 0 && t < FAST_RT_NS) {
          fl |= TcpFlag.fast_retransmission;
        } else {
          t = nowNs - fwd.nextseqTimeNs;
          const thres = conv.firstRttNs !== 0 ? conv.firstRttNs : OOO_DEFAULT_NS;
          if (notAdvanced && t >= 0 && t < thres && fwd.nextseq !== ((seq + seglen + (flags & SF ? 1 : 0)) | 0)) {
            fl |= TcpFlag.out_of_order;
          } else if (notAdvanced) {
            fl |= TcpFlag.retransmission;
          }
        }
      }
    }
  }

  // Store the segment in the unacked list; SYN/FIN take one sequence number (only if stored).
  let nextseq = (seq + seglen) | 0;
  if ((seglen !== 0 || flags & SF) && fwd.unacked.count < MAX_UNACKED) {
    if (flags & SF) nextseq = (nextseq + 1) | 0;
    fwd.unacked.push(seq, nextseq, nowNs, frame);
  }
  const zwp = (fl & TcpFlag.zero_window_probe) !== 0;
  if (seqGt(nextseq, fwd.nextseq) || fwd.nextseq === 0) {
    if (!zwp) {
      fwd.nextseq = nextseq;
      fwd.nextseqFrame = frame;
      fwd.nextseqTimeNs = nowNs;
    }
  }
  if (seq === fwd.maxseqtobeacked || fwd.maxseqtobeacked === 0) {
    if (!zwp) fwd.maxseqtobeacked = fwd.nextseq;
  }

  fwd.window = window;
  fwd.lastack = ack;
  fwd.lastackTimeNs = nowNs;
  fwd.lastSegmentFlags = fl;

  // Remove what this ACKs from the peer's list; an exact match gives the RTT.
  const ring = rev.unacked;
  if (ring.count > 0) {
    ring.ack(ack);
    if (ring.ackedFrame >= 0) {
      ta = true;
      r.acksFrame = ring.ackedFrame;
      r.ackRttNs = nowNs - ring.ackedTsNs;
    }
  }

  // Bytes in flight (Wireshark's default, payload-based method), minus the peer's SACKed bytes.
  if (seglen !== 0 && fwd.unacked.count > 0 && fwd.validBif) {
    ta = true;
    let inFlight = fwd.unacked.span(fwd.baseSeq);
    if (rev.numSack > 0) {
      let delivered = rev.sackR0 - rev.sackL0;
      if (rev.numSack > 1) delivered += rev.sackR1 - rev.sackL1;
      if (rev.numSack > 2) delivered += rev.sackR2 - rev.sackL2;
      // int32, not uint32: the same test below (a wrapped value fails it either way), but a
      // negative difference stays a small integer instead of deoptimising the compiled code.
      inFlight = (inFlight - delivered) | 0;
    }
    if (inFlight > 0 && inFlight < 2_000_000_000) r.bytesInFlight = flags & SF ? inFlight - 1 : inFlight;
  }

  r.analysisFlags = fl;
  r.hasTa = ta || fl !== 0;
}
