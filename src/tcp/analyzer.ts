/**
 * @module tcp/analyzer
 * `TcpAnalyzer`: feed it decoded TCP segments in capture order (`onSegment`), get per-packet
 * results through an optional callback and per-connection evidence from `finish()`.
 *
 * Per packet it does what Wireshark's dissect_tcp does around the sequence analysis, in the same
 * order (the order changes results): conversation lookup and the port-reuse rule → sequence
 * analysis → tcp.window_size with the scale known *before* this packet's options → SYN bookkeeping
 * and the initial RTT → options (window scale, SACK blocks, kept for the next packets) → window
 * scaling verification on SYNs. Then tcpwin's own evidence: scale inference, limit attribution.
 *
 * Times: ns relative to a time base (the capture's first packet), as doubles, exact to the ns
 * for 104 days. Wireshark's "never set" times are absolute 0, i.e. `absZeroNs` here.
 * The hot path allocates nothing; conversations allocate once when they appear (~3.5 KB each).
 *
 * Memory follows the number of connections, not packets: every 65536 segments, conversations that
 * are over — closed (FIN both ways, or RST) and silent for 2 minutes of capture time, unanswered
 * SYNs silent for 3 minutes, or superseded by a new SYN on the same tuple — are turned into their
 * evidence (~1.3 KB) and their analysis state is dropped. The one place this can differ from
 * Wireshark: a non-SYN packet on such a tuple after that long starts a new tcp.stream here, where
 * Wireshark would continue the old one.
 *
 * Application protocols (`protocols`, tcp/stream): asked once per new selected conversation; the
 * flows they follow get a StreamAssembler (tcp/stream-assembler), fed after the analysis of each
 * packet and dropped from the per-packet path once every handler released the flow — then, and for
 * flows nobody took, the cost is one null check per packet.
 */
import { ipv4ToString, ipv6ToString } from "../capture/decode.js";
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TcpPacket } from "../capture/packet.js";
import { Conversation } from "./conversation.js";
import type { ConnectionEvidence } from "./evidence.js";
import { buildEvidence } from "./evidence-builder.js";
import { TcpFlag } from "./flags.js";
import { FlowTable } from "./flow-table.js";
import type { HalfFlow } from "./half-flow.js";
import { SegmentResult } from "./segment-result.js";
import { analyzeSequence } from "./sequence-analysis.js";
import { seqDiff, seqGe, seqGt, seqSub } from "./seq.js";
import { StreamAssembler, type StreamFailure } from "./stream-assembler.js";
import type { StreamDir, StreamFactory } from "./stream.js";

const SFR = TCP_SYN | TCP_FIN | TCP_RST;

/** Placeholder for conversations whose state was dropped (their evidence is kept). */
const EVICTED = new Conversation(-1, 0);

export interface TcpAnalyzerOptions {
  /** Capture seconds a closed conversation stays before its state is dropped (default 120). */
  closedIdleS?: number;
  /** Capture seconds an unanswered SYN stays (default 180: Linux retries SYNs for 127 s). */
  synIdleS?: number;
  /** Look for finished conversations every this many segments (default 65536). */
  sweepEvery?: number;
  /** Called for every segment with the analysis result (reused object: copy what you keep). */
  onResult?: (r: SegmentResult, seg: TcpPacket) => void;
  /** Decides once per conversation whether it is reported (and passed to onResult). */
  select?: (c: Conversation, seg: TcpPacket) => boolean;
  /**
   * Application protocols (tcp/stream): each factory is asked once per new selected connection;
   * the flows they follow are reassembled and their results land in `ConnectionEvidence.app`.
   * Segments must then carry their bytes (`bytes`/`payloadOffset`/`payloadCaptured`).
   */
  protocols?: readonly StreamFactory[];
}

export class TcpAnalyzer {
  /** By tcp.stream; `EVICTED` once a finished conversation's state was dropped (see `done`). */
  private readonly conversations: Conversation[] = [];
  /** Evidence of evicted (and selected) conversations, by tcp.stream. */
  private readonly done: (ConnectionEvidence | null)[] = [];
  /** Streams whose state is still held. */
  private live: number[] = [];
  private readonly closedIdleNs: number;
  private readonly synIdleNs: number;
  private readonly sweepEvery: number;
  private sinceSweep = 0;
  private lastNs = 0;
  private readonly table: FlowTable;
  private readonly r = new SegmentResult();
  private baseSec = NaN;
  private baseNsec = 0;
  private absZeroNs = 0;
  private readonly onResult: ((r: SegmentResult, seg: TcpPacket) => void) | null;
  private readonly select: ((c: Conversation, seg: TcpPacket) => boolean) | null;
  private readonly protocols: readonly StreamFactory[] | null;
  /** Protocol handlers (or factories) that threw, with their stream: those flows were released. */
  readonly protocolFailures: StreamFailure[] = [];
  segments = 0;

  constructor(opts: TcpAnalyzerOptions = {}) {
    this.table = new FlowTable(this.conversations);
    this.onResult = opts.onResult ?? null;
    this.select = opts.select ?? null;
    this.protocols = opts.protocols !== undefined && opts.protocols.length > 0 ? opts.protocols : null;
    this.closedIdleNs = (opts.closedIdleS ?? 120) * 1e9;
    this.synIdleNs = (opts.synIdleS ?? 180) * 1e9;
    this.sweepEvery = opts.sweepEvery ?? 65536;
  }

  /** Conversations seen so far (tcp.stream count). */
  get streams(): number {
    return this.conversations.length;
  }

  /** Conversations whose analysis state is held right now. */
  get liveConversations(): number {
    return this.live.length;
  }

  /** Times in evidence are relative to this instant (default: the first segment). */
  setTimeBase(sec: number, nsec: number): void {
    if (!Number.isNaN(this.baseSec)) return;
    this.baseSec = sec;
    this.baseNsec = nsec;
    this.absZeroNs = -(sec * 1e9 + nsec);
  }

  get timeBase(): { sec: number; nsec: number } | null {
    return Number.isNaN(this.baseSec) ? null : { sec: this.baseSec, nsec: this.baseNsec };
  }

  private newConversation(seg: TcpPacket, nowNs: number): Conversation {
    const c = new Conversation(this.conversations.length, this.absZeroNs);
    c.ipVersion = seg.ipVersion;
    if (seg.ipVersion === 4) {
      c.v4a = seg.srcV4;
      c.v4b = seg.dstV4;
    } else {
      c.v6a = seg.src6.slice();
      c.v6b = seg.dst6.slice();
    }
    c.portA = seg.srcPort;
    c.portB = seg.dstPort;
    c.startNs = nowNs;
    c.firstFrame = seg.frame;
    this.conversations.push(c);
    this.done.push(null);
    this.live.push(c.stream);
    this.table.set(seg, c.stream);
    if (this.select !== null) c.selected = this.select(c, seg);
    if (this.protocols !== null && c.selected) this.acceptStreams(c, seg);
    return c;
  }

  /** Ask the protocols about a new connection (once; allocates, per connection only). */
  private acceptStreams(c: Conversation, seg: TcpPacket): void {
    const v4 = c.ipVersion === 4;
    const a = v4 ? ipv4ToString(c.v4a) : ipv6ToString(c.v6a);
    const b = v4 ? ipv4ToString(c.v4b) : ipv6ToString(c.v6b);
    const failed = this.protocolFailures.length;
    const sa = StreamAssembler.accept(
      this.protocols!,
      {
        stream: c.stream,
        client: { addr: a, port: c.portA },
        server: { addr: b, port: c.portB },
        handshakeSeen: (seg.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN,
      },
      this.protocolFailures,
    );
    for (let i = failed; i < this.protocolFailures.length; i++) this.protocolFailures[i]!.stream = c.stream;
    c.streams = sa;
    c.app = sa;
  }

  onSegment(seg: TcpPacket): void {
    if (Number.isNaN(this.baseSec)) this.setTimeBase(seg.tsSec, seg.tsNsec);
    this.segments++;
    const now = (seg.tsSec - this.baseSec) * 1e9 + (seg.tsNsec - this.baseNsec);
    if (now > this.lastNs) this.lastNs = now;
    if (++this.sinceSweep >= this.sweepEvery) this.sweep();
    const r = this.r;
    r.reset();
    r.tNs = now;
    const flags = seg.flags;
    const seq = seg.seq | 0; // int32 inside tcp/ (see sequence-analysis.ts)
    const ack = seg.ack | 0;
    const seglen = seg.payloadLen;
    const window = seg.windowRaw;

    const idx = this.table.find(seg);
    let dir = this.table.dir;
    let conv: Conversation;
    if (idx < 0) {
      conv = this.newConversation(seg, now);
      dir = 0;
    } else conv = this.conversations[idx]!;
    let fwd = conv.dirs[dir]!;
    // A new SYN with another ISN on a known tuple starts a new conversation (tcp.stream), whether
    // or not the old one was closed: Wireshark's rule. The same ISN again is a retransmitted SYN.
    if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && fwd.baseSeqSet && seq !== fwd.baseSeq) {
      conv.superseded = true;
      conv = this.newConversation(seg, now);
      dir = 0;
      fwd = conv.dirs[0];
      r.analysisFlags |= TcpFlag.reused_ports;
      r.hasTa = true;
    } else if ((flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) && fwd.baseSeqSet && seq !== fwd.baseSeq) {
      fwd.baseSeq = seq;
      r.analysisFlags |= TcpFlag.reused_ports;
      r.hasTa = true;
    }
    const rev = conv.dirs[1 - dir]!;
    fwd.numSack = 0;

    analyzeSequence(conv, fwd, rev, seg.frame, seq, ack, seglen, flags, window, r);

    // tcp.window_size uses the scale known before this packet's own options; SYNs are never scaled.
    if (flags & TCP_SYN) {
      r.windowSize = window;
      r.scaleFactor = 0;
    } else if (fwd.winScale >= 0) {
      r.windowSize = window << fwd.winScale;
      r.scaleFactor = 1 << fwd.winScale;
    } else {
      r.windowSize = window;
      r.scaleFactor = fwd.winScale;
    }

    if (flags & TCP_SYN) {
      if ((flags & TCP_ACK) === 0) {
        conv.hasMruSyn = true;
        conv.mruSynNs = now;
        if (conv.synSide < 0) conv.synSide = dir;
      } else conv.sawSynAck = true;
      fwd.isFirstAck = true;
      fwd.sawSyn = true;
      if (seg.optMss >= 0) fwd.mssSyn = seg.optMss;
    }
    if ((flags & (TCP_SYN | TCP_ACK)) === TCP_ACK) {
      if (conv.hasMruSyn && conv.firstRttNs === 0) conv.firstRttNs = now - conv.mruSynNs;
      fwd.isFirstAck = false;
    }
    // Options, as Wireshark dissects them after the analysis: they matter from the next packet on.
    if (seg.optWscale >= 0) fwd.winScale = seg.optWscale > 14 ? 14 : seg.optWscale;
    if (seg.sackCount > 0) {
      // Wireshark stores at most 3 blocks for bytes in flight (a 4th is shown, not used).
      fwd.numSack = seg.sackCount < 3 ? seg.sackCount : 3;
      fwd.sackL0 = seg.sackLeft[0]!;
      fwd.sackR0 = seg.sackRight[0]!;
      if (fwd.numSack > 1) {
        fwd.sackL1 = seg.sackLeft[1]!;
        fwd.sackR1 = seg.sackRight[1]!;
      }
      if (fwd.numSack > 2) {
        fwd.sackL2 = seg.sackLeft[2]!;
        fwd.sackR2 = seg.sackRight[2]!;
      }
    }
    if (flags & TCP_SYN) {
      // verify_tcp_window_scaling: both SYNs must carry the option, else nobody scales.
      if (fwd.winScale === -1) {
        fwd.winScale = -2;
        rev.winScale = -2;
      } else if (flags & TCP_ACK && rev.winScale === -2) fwd.winScale = -2;
    }
    if (r.hasTa && conv.firstRttNs !== 0) r.initialRttNs = conv.firstRttNs;

    this.evidence(conv, fwd, rev, seq, ack, seglen, flags, window, r);
    // Flows no protocol follows (or every protocol released) stop here: one branch.
    const sa = conv.streams;
    if (sa !== null && !sa.onSegment(seg, dir as StreamDir, now)) conv.streams = null;

    if (this.onResult !== null && conv.selected) {
      r.frame = seg.frame;
      r.stream = conv.stream;
      r.dir = dir;
      r.seglen = seglen;
      r.seq = seq;
      r.ack = ack;
      r.flags = flags;
      r.windowRaw = window;
      r.selected = conv.selected;
      r.app = sa !== null ? sa.packetFields(seg.frame) : null;
      this.onResult(r, seg);
    }
  }

  /** tcpwin's own bookkeeping: counts, series, scale inference, limit attribution. */
  private evidence(
    conv: Conversation,
    fwd: HalfFlow,
    rev: HalfFlow,
    seq: number,
    ack: number,
    seglen: number,
    flags: number,
    window: number,
    r: SegmentResult,
  ): void {
    const now = r.tNs;
    conv.endNs = now;
    if (flags & TCP_RST) conv.state = 3;
    else if (flags & TCP_FIN) {
      if (conv.state < 2) conv.state = 2;
    } else if (conv.state === 0 && (flags & TCP_SYN) === 0) conv.state = 1;
    if (flags & TCP_FIN) fwd.sawFin = true;
    if (flags & TCP_RST) fwd.sawRst = true;

    fwd.packets++;
    fwd.lastWasSyn = (flags & TCP_SYN) !== 0;
    // A RST's window field advertises nothing (Linux sends Win=0; Wireshark's ZERO WINDOW check
    // skips SYN/FIN/RST): it stays out of the advertised-window stats, the newest ACK's window
    // (zero-window time, limit attribution, scale inference). Per packet it is still shown as is.
    if (flags & TCP_ACK && (flags & TCP_RST) === 0) {
      if (!fwd.sentAck || seqGe(ack, fwd.highAck)) {
        fwd.highAck = ack;
        fwd.highAckWindow = window;
      }
      fwd.sentAck = true;
    }
    if ((flags & (TCP_SYN | TCP_RST)) === 0) fwd.advRaw.add(window);
    let newData = false;
    if (seglen > 0) {
      fwd.bytesSent += seglen;
      fwd.dataSegments++;
      const end = (seq + seglen) | 0;
      if (!fwd.hasData) {
        fwd.hasData = true;
        fwd.dataFirstSeq = seq;
        fwd.dataHighEnd = end;
        fwd.firstDataNs = now;
        newData = true;
      } else if (seqGt(end, fwd.dataHighEnd)) {
        fwd.dataHighEnd = end;
        newData = true;
      }
      fwd.lastDataNs = now;
      if (seglen > fwd.maxSegment) fwd.maxSegment = seglen;
      fwd.lastSegLen = seglen;
    }
    const fl = r.analysisFlags;
    if (fl !== 0) {
      const counts = (fwd.flagCounts ??= new Uint32Array(16));
      for (let b = 0; b < 16; b++) if (fl & (1 << b)) counts[b]!++;
    }
    if (r.bytesInFlight > 0) fwd.bif.add(r.bytesInFlight);
    if (r.ackRttNs > 0) {
      // An ACK riding on the start of this side's own data (everything it sent before was
      // acknowledged: a reply, or the next request) waited for that data: the sample is RTT plus
      // this side's think time. Kept apart, so rtt_ms stays a round-trip time.
      if (seglen > 0 && (!rev.sentAck || seq === rev.highAck)) rev.rttOnReply.add(r.ackRttNs);
      else rev.rtt.add(r.ackRttNs);
    }

    // Window scale inference for the peer's windows, from this side's data in flight against the
    // peer's newest ACK (see HalfFlow.highAck).
    if (seglen > 0 && rev.winScale === -1 && rev.sentAck && !rev.lastWasSyn) {
      const outstanding = seqGt(fwd.nextseq, rev.highAck) ? seqSub(fwd.nextseq, rev.highAck) : 0;
      fwd.peerScale.sample(outstanding, rev.highAckWindow, fwd.maxSegment);
      const k = fwd.peerScale.shift;
      if (k >= 0 && (flags & SFR) === 0 && ((seq + seglen) | 0) === ((rev.highAck + (rev.highAckWindow << k)) | 0)) {
        r.windowFullInferred = true;
        fwd.windowFullInferred++;
      }
    }
    if ((flags & TCP_SYN) === 0 && fwd.winScale === -1) {
      const k = rev.peerScale.shift;
      if (k >= 0) {
        r.scaleInferred = k;
        r.windowInferred = window << k;
      }
    }

    // Limit attribution, both sides as senders.
    // (A side that never sent data has nothing to attribute: skip it, it is most packets' peer.)
    const a = conv.dirs[0];
    const b = conv.dirs[1];
    if (a.hasData) a.limits.advance(now);
    if (b.hasData) b.limits.advance(now);
    if (newData) {
      fwd.limits.onNewData();
      rev.limits.onPeerData();
    }
    if (a.hasData) classify(a, b);
    if (b.hasData) classify(b, a);
  }

  /** Drop the state of conversations that are over, keeping their evidence (see module note). */
  private sweep(): void {
    this.sinceSweep = 0;
    const now = this.lastNs;
    let w = 0;
    for (const s of this.live) {
      const c = this.conversations[s]!;
      const idle = now - c.endNs;
      const closed = c.state === 3 || (c.dirs[0].sawFin && c.dirs[1].sawFin);
      const unanswered = c.state === 0 && !c.sawSynAck && !c.dirs[0].hasData && !c.dirs[1].hasData;
      if (c.superseded || (closed && idle >= this.closedIdleNs) || (unanswered && idle >= this.synIdleNs)) {
        if (c.selected) this.done[s] = this.evidenceOf(c, c.endNs);
        if (!c.superseded) this.table.remove(c);
        this.conversations[s] = EVICTED;
      } else this.live[w++] = s;
    }
    this.live.length = w;
  }

  /** The conversation's evidence; its protocols are told the packets are over first (at `endNs`). */
  private evidenceOf(c: Conversation, endNs: number): ConnectionEvidence {
    const app = c.app;
    if (app === null) return buildEvidence(c);
    app.end(endNs);
    const e = buildEvidence(c);
    if (app.failures !== null) for (const f of app.failures) this.protocolFailures.push({ ...f, stream: c.stream });
    return e;
  }

  /** Evidence for every reported conversation, in stream order. */
  finish(): ConnectionEvidence[] {
    const out: ConnectionEvidence[] = [];
    for (let s = 0; s < this.conversations.length; s++) {
      const c = this.conversations[s]!;
      if (c === EVICTED) {
        const e = this.done[s];
        if (e) out.push(e);
      } else if (c.selected) out.push(this.evidenceOf(c, this.lastNs));
    }
    return out;
  }
}

function classify(s: HalfFlow, r: HalfFlow): void {
  let outstanding: number;
  if (r.sentAck) outstanding = seqDiff(s.nextseq, r.highAck) > 0 ? seqSub(s.nextseq, r.highAck) : 0;
  else outstanding = seqSub(s.dataHighEnd, s.dataFirstSeq);
  let raw = -1;
  let shift = 0;
  if (r.packets > 0) {
    // The newest ACK's window (a receiver that never sent an ACK has only its SYN's).
    raw = r.sentAck ? r.highAckWindow : r.sawRst ? -1 : r.window;
    if (!r.lastWasSyn) shift = r.winScale >= 0 ? r.winScale : r.winScale === -2 ? 0 : -1;
  }
  const mss = s.maxSegment > 0 ? s.maxSegment : s.mssSyn > 0 ? s.mssSyn : 536;
  s.limits.classify(outstanding, raw, shift, mss, s.lastSegLen < s.maxSegment);
}

/**
 * Settle V8's hidden classes before anything is compiled. Several fields start small (0 fits a
 * small integer; times, sums and some sequence values outgrow it) or empty (arrays allocated on
 * first use, to keep short connections small). Each first wider value changes the field's type in
 * the class shared by all instances and deoptimises every compiled function relying on it; with
 * the large analysis functions that was ~10 recompilations per run (~0.4 s of compiler CPU on the
 * benchmark capture). One synthetic conversation through the main paths at module load, plus the
 * few fields that only grow wide on long transfers, makes those changes before compilation.
 */
function settleShapes(): void {
  // Sweeping often here gives onSegment's sweep call feedback (the first real sweep comes after
  // 65536 segments, deep inside the compiled loop); superseded conversations get evicted on the way.
  const an = new TcpAnalyzer({ onResult: () => {}, sweepEvery: 16 });
  const p = new TcpPacket();
  let ns = 0;
  const send = (fromA: boolean, seq: number, ack: number, flags: number, win: number, len: number, sack = 0) => {
    ns += 100_000;
    p.frame++;
    p.tsSec = 1_700_000_000 + Math.floor(ns / 1e9);
    p.tsNsec = ns % 1e9;
    p.srcV4 = fromA ? 1 : 2;
    p.dstV4 = fromA ? 2 : 1;
    p.srcPort = fromA ? 1 : 2;
    p.dstPort = fromA ? 2 : 1;
    p.seq = seq >>> 0;
    p.ack = ack >>> 0;
    p.flags = flags;
    p.windowRaw = win;
    p.payloadLen = len;
    p.optWscale = flags & TCP_SYN ? 7 : -1;
    p.optMss = flags & TCP_SYN ? 1460 : -1;
    p.sackCount = sack;
    for (let i = 0; i < sack; i++) {
      p.sackLeft[i] = (ack + 1000 * (i + 1)) >>> 0;
      p.sackRight[i] = (ack + 1000 * (i + 1) + 500) >>> 0;
    }
    an.onSegment(p);
  };
  // Rounds: handshake or not, sequence numbers crossing 2^31 and 2^32; enough calls that V8 keeps
  // feedback (it allocates feedback vectors only after a function's first few calls).
  for (let round = 0; round < 6; round++) {
    const a = [0xfffffff0, 0x7ffffff0, 0x10][round % 3]! + round;
    const b = 0x90000000 + round;
    p.srcV4 = 0;
    if (round % 2 === 0) {
      send(true, a - 1, 0, TCP_SYN, 65535, 0);
      send(false, b - 1, a, TCP_SYN | TCP_ACK, 65535, 0);
    }
    send(true, a, b, TCP_ACK, 100, 0);
    for (let i = 0; i < 6; i++) send(true, a + i * 1000, b, TCP_ACK, 100, 1000);
    send(true, a + 7000, b, TCP_ACK, 100, 1000); // previous segment not captured
    send(true, a + 6500, b, TCP_ACK, 100, 1000); // out of order
    for (let k = 1; k <= 3; k++) send(false, b, a + 1000, TCP_ACK, 10, 0, k); // duplicate ACKs with SACK
    send(true, a + 1000, b, TCP_ACK, 100, 1000); // fast retransmission
    send(true, a, b, TCP_ACK, 100, 1000); // spurious
    send(false, b, a + 9000, TCP_ACK, 0, 0); // ACKed unseen, zero window
    send(true, a + 9000, b, TCP_ACK, 100, 1); // zero window probe
    send(false, b, a + 9000, TCP_ACK, 0, 0);
    send(true, a + 8999, b, TCP_ACK, 100, 0); // keep-alive
    send(false, b, a + 9000, TCP_ACK, 0, 0);
    send(false, b, a + 9000, TCP_ACK, 20, 0); // window update
    send(false, b, a + 9000, TCP_ACK, 8, 0);
    send(true, a + 9000, b, TCP_ACK, 100, 8 << 7); // window full (scaled rounds)
    ns += 500_000_000;
    send(true, a + 7000, b, TCP_ACK, 100, 1000); // retransmission
    send(false, b, a + 9000, TCP_ACK | TCP_FIN, 30, 0);
    send(true, a + 9000, b + 1, TCP_ACK | (round % 2 ? TCP_RST : TCP_FIN), 100, 0);
  }
  for (const c of an["conversations"]) {
    if (c === EVICTED) continue;
    c.endNs = c.startNs = c.firstRttNs = c.mruSynNs = 2 ** 40 + 0.5;
    for (const h of c.dirs) {
      h.bytesSent = h.packets = h.dataSegments = 2 ** 40 + 0.5;
      h.firstDataNs = h.lastDataNs = h.nextseqTimeNs = h.lastackTimeNs = 2 ** 40 + 0.5;
      h.limits.zeroWindowNs = h.limits.peerWaitNs = 2 ** 40 + 0.5;
      h.windowFullInferred = 2 ** 40 + 0.5;
    }
  }
  an.finish();
}
settleShapes();
