/**
 * @module tcp/stream-assembler
 * `StreamAssembler`: one connection's two HalfStreams (tcp/reassembly) and the protocol handlers
 * that asked to follow it (tcp/stream). The analyzer creates it once per new connection, only when
 * some factory returned a handler, and drops it from the per-packet path as soon as every handler
 * released the flow: from then on the flow costs one null check per packet.
 *
 * Claims (tcp/stream StreamClaim): a handler stays `undecided` for at most UNDECIDED_MAX_BYTES per
 * direction (it is handed exactly that many, the last chunk cut to fit), then the assembler
 * releases it. `claimed` from an undecided handler also gets the rest of a chunk that was cut.
 * `onAck` reaches claimed handlers only; gaps and closes reach every handler not released.
 *
 * Directions: StreamDir 0 is the conversation's direction 0 (the side that sent its first packet,
 * the evidence's client unless a later SYN says otherwise — evidence-builder's rule).
 */
import { TCP_ACK as ACK_, TCP_RST as RST_, type TcpPacket } from "../capture/packet.js";
import { HalfStream, type HalfStreamSink } from "./reassembly.js";
import { StreamClaim as Claim_, UNDECIDED_MAX_BYTES as MAX_, type StreamDir, type StreamFactory, type StreamHandler, type StreamInfo } from "./stream.js";

// Imported bindings copied to module constants (see tcp/reassembly: no getter per packet).
const TCP_ACK = ACK_;
const TCP_RST = RST_;
const UNDECIDED_MAX_BYTES = MAX_;
const StreamClaim = Claim_;
type StreamClaim = Claim_;

/** A handler threw: which protocol, in which call, where in which direction, and the error's message. */
export interface StreamFailure {
  protocol: string;
  /** Wireshark's tcp.stream (set by the analyzer; -1 until then). */
  stream?: number;
  call: "accept" | "onData" | "onGap" | "onAck" | "onClose" | "result" | "packetFields";
  dir: StreamDir;
  offset: number;
  message: string;
}

export class StreamAssembler implements HalfStreamSink {
  readonly halves: [HalfStream, HalfStream] = [new HalfStream(0), new HalfStream(1)];
  /** StreamClaim per handler. */
  private readonly claims: Uint8Array;
  /** Bytes handed to each handler while undecided, [handler * 2 + dir]. */
  private readonly undecidedBytes: Float64Array;
  /** Handlers not released. */
  active: number;
  private ended = false;
  private rstSeen = false;
  /** Handlers that threw: released, their first error kept (the analysis goes on without them). */
  failures: StreamFailure[] | null = null;

  constructor(
    readonly handlers: StreamHandler[],
    readonly names: string[],
  ) {
    this.claims = new Uint8Array(handlers.length);
    this.undecidedBytes = new Float64Array(handlers.length * 2);
    this.active = handlers.length;
  }

  /**
   * Each factory is asked once; null when none wants the connection (nothing is reassembled).
   * A factory that throws counts as declining; its error goes to `failures`.
   */
  static accept(factories: readonly StreamFactory[], info: StreamInfo, failures?: StreamFailure[]): StreamAssembler | null {
    let handlers: StreamHandler[] | null = null;
    let names: string[] | null = null;
    for (const f of factories) {
      let h: StreamHandler | null;
      try {
        h = f.accept(info);
      } catch (e) {
        failures?.push({ protocol: f.name, call: "accept", dir: 0, offset: -1, message: e instanceof Error ? e.message : String(e) });
        continue;
      }
      if (h === null || h === undefined) continue;
      (handlers ??= []).push(h);
      (names ??= []).push(f.name);
    }
    return handlers === null ? null : new StreamAssembler(handlers, names!);
  }

  /**
   * One TCP segment of this connection, sent in `dir`, at `tsNs`. Returns false once no handler
   * wants more (the caller then stops calling).
   */
  onSegment(seg: TcpPacket, dir: StreamDir, tsNs: number): boolean {
    return this.segment(dir, seg.seq, seg.ack, seg.flags, seg.bytes, seg.payloadOffset, seg.payloadLen, seg.payloadCaptured, tsNs, seg.frame);
  }

  /** `onSegment` from plain values (uint32 or int32 seq/ack; `bytes[payOff, payOff + cap)` captured of `len`). */
  segment(dir: StreamDir, seq: number, ack: number, flags: number, bytes: Uint8Array, payOff: number, len: number, cap: number, tsNs: number, frame: number): boolean {
    if (this.active === 0 || this.ended) return this.active > 0;
    if (flags & TCP_RST) {
      // The connection is over both ways: holes will not fill. (A RST's payload is no stream data.)
      this.halves[0].end(tsNs, this);
      this.halves[1].end(tsNs, this);
      if (!this.rstSeen) {
        this.rstSeen = true;
        this.close(dir, "rst", tsNs);
      }
      return this.active > 0;
    }
    this.halves[dir].segment(seq, flags, bytes, payOff, len, cap, tsNs, frame, this);
    if (flags & TCP_ACK && this.active > 0) this.halves[1 - dir]!.ack(ack, tsNs, this);
    return this.active > 0;
  }

  /** The connection's packets are over (end of capture, or its state is dropped): idempotent. */
  end(tsNs: number): void {
    if (this.ended) return;
    if (this.active > 0) {
      this.halves[0].end(tsNs, this);
      this.halves[1].end(tsNs, this);
      this.close(0, "end", tsNs);
    }
    this.ended = true;
    this.halves[0].drop();
    this.halves[1].drop();
  }

  /** `ConnectionEvidence.app`: each handler's non-null result() by its factory's name, or null for none. */
  results(): Record<string, unknown> | null {
    let out: Record<string, unknown> | null = null;
    for (let i = 0; i < this.handlers.length; i++) {
      let r: unknown;
      try {
        r = this.handlers[i]!.result();
      } catch (e) {
        this.fail(i, "result", 0, -1, e);
        continue;
      }
      if (r !== null && r !== undefined) (out ??= {})[this.names[i]!] = r;
    }
    return out;
  }

  /** Every following handler's `packetFields` for the packet just delivered, merged; null for none. */
  packetFields(frame: number): Record<string, unknown> | null {
    let out: Record<string, unknown> | null = null;
    const hs = this.handlers;
    for (let i = 0; i < hs.length; i++) {
      if (this.claims[i] === StreamClaim.released) continue;
      let f: Record<string, unknown> | null | undefined;
      try {
        f = hs[i]!.packetFields?.(frame);
      } catch (e) {
        this.fail(i, "packetFields", 0, -1, e);
        continue;
      }
      if (f) out = out === null ? f : Object.assign(out, f);
    }
    return out;
  }

  /** StreamClaim of handler `i` right now (tests). */
  claim(i: number): StreamClaim {
    return this.claims[i] as StreamClaim;
  }

  private release(i: number): void {
    if (this.claims[i] === StreamClaim.released) return;
    this.claims[i] = StreamClaim.released;
    if (--this.active === 0) {
      this.halves[0].drop();
      this.halves[1].drop();
    }
  }

  /**
   * A handler threw (a protocol's bug, or input it did not expect): a bad flow must not end the
   * whole analysis. The handler is released and its first error kept for the caller's warnings.
   */
  private fail(i: number, call: StreamFailure["call"], dir: StreamDir, offset: number, e: unknown): void {
    (this.failures ??= []).push({ protocol: this.names[i]!, call, dir, offset, message: e instanceof Error ? e.message : String(e) });
    this.release(i);
  }

  private close(dir: StreamDir, how: "fin" | "rst" | "end", tsNs: number): void {
    const hs = this.handlers;
    for (let i = 0; i < hs.length; i++) {
      if (this.claims[i] === StreamClaim.released) continue;
      try {
        hs[i]!.onClose(dir, how, tsNs);
      } catch (e) {
        this.fail(i, "onClose", dir, this.halves[dir].nextOff, e);
      }
    }
  }

  // HalfStreamSink

  data(dir: StreamDir, bytes: Uint8Array, start: number, end: number, offset: number, tsNs: number, frame: number): void {
    const hs = this.handlers;
    for (let i = 0; i < hs.length; i++) {
      const st = this.claims[i];
      if (st === StreamClaim.released) continue;
      const h = hs[i]!;
      try {
        if (st === StreamClaim.claimed) {
          if (h.onData(dir, bytes.subarray(start, end), offset, tsNs, frame) === StreamClaim.released) this.release(i);
          continue;
        }
        const k = i * 2 + dir;
        const room = UNDECIDED_MAX_BYTES - this.undecidedBytes[k]!;
        const cut = end - start > room ? start + room : end;
        const r = h.onData(dir, bytes.subarray(start, cut), offset, tsNs, frame);
        if (r === StreamClaim.claimed) {
          this.claims[i] = StreamClaim.claimed;
          if (cut < end && h.onData(dir, bytes.subarray(cut, end), offset + (cut - start), tsNs, frame) === StreamClaim.released) this.release(i);
        } else if (r === StreamClaim.released) this.release(i);
        else if ((this.undecidedBytes[k] = UNDECIDED_MAX_BYTES - room + (cut - start)) >= UNDECIDED_MAX_BYTES) this.release(i);
      } catch (e) {
        this.fail(i, "onData", dir, offset, e);
      }
    }
  }

  gap(dir: StreamDir, at: number, bytes: number, tsNs: number): void {
    const hs = this.handlers;
    for (let i = 0; i < hs.length; i++) {
      if (this.claims[i] === StreamClaim.released) continue;
      try {
        hs[i]!.onGap(dir, at, bytes, tsNs);
      } catch (e) {
        this.fail(i, "onGap", dir, at, e);
      }
    }
  }

  ack(dir: StreamDir, offset: number, tsNs: number): void {
    const hs = this.handlers;
    for (let i = 0; i < hs.length; i++) {
      if (this.claims[i] !== StreamClaim.claimed) continue;
      try {
        hs[i]!.onAck(dir, offset, tsNs);
      } catch (e) {
        this.fail(i, "onAck", dir, offset, e);
      }
    }
  }

  fin(dir: StreamDir, tsNs: number): void {
    this.close(dir, "fin", tsNs);
  }
}
