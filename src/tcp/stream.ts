/**
 * @module tcp/stream
 * How application protocols plug into the TCP analysis (gopacket's tcpassembly.StreamFactory is the
 * model). The analysis reassembles each direction's payload in sequence order (retransmissions and
 * overlaps trimmed, out-of-order data held until the hole fills) and hands it to the one handler a
 * factory returned for that connection. Flows no factory wants cost nothing beyond one question.
 *
 * Dependency direction: protocols/ implement these interfaces; tcp/ never imports protocols/.
 */

/** 0 = client → server (the evidence's `c2s`), 1 = server → client (`s2c`). */
export type StreamDir = 0 | 1;

/** What a factory is told about a new connection (ports decide nothing by themselves: sniff bytes). */
export interface StreamInfo {
  /** Wireshark's tcp.stream. */
  stream: number;
  client: { addr: string; port: number };
  server: { addr: string; port: number };
  /**
   * The SYN was seen (sequence offsets count from ISN + 1); else from the first byte seen.
   * (Precisely: the connection's first packet was the client's SYN. Each direction counts from its
   * own SYN when that is in the capture — a capture starting at the SYN-ACK has one of each.)
   */
  handshakeSeen: boolean;
}

/** What `onData` tells the assembler about the flow. */
export const StreamClaim = {
  /** Not sure yet: keep delivering (bounded: see `UNDECIDED_MAX_BYTES`). */
  undecided: 0,
  /** This is my protocol: deliver everything from now on. */
  claimed: 1,
  /** Not mine: stop delivering; the flow then costs nothing more. */
  released: 2,
} as const;
export type StreamClaim = (typeof StreamClaim)[keyof typeof StreamClaim];

/**
 * Bytes per direction a handler may see while `undecided` before the assembler releases the flow
 * on its behalf: a protocol that cannot tell from the first few KiB never gets to hold memory.
 */
export const UNDECIDED_MAX_BYTES = 4096;

/**
 * One connection's consumer. `bytes` is a view into the capture's buffer, valid only during the call:
 * copy what you keep. `offset` counts payload bytes of that direction (0 = the first byte after the
 * SYN, or the first byte seen without a handshake). Times are ns from the capture's first packet;
 * `frame` is the 1-based frame number of the packet that carried the bytes (for `--packets`).
 */
export interface StreamHandler {
  onData(dir: StreamDir, bytes: Uint8Array, offset: number, tsNs: number, frame: number): StreamClaim;
  /** Bytes `[at, at + bytes)` of `dir` never arrived (not in the capture); data resumes at `at + bytes`. */
  onGap(dir: StreamDir, at: number, bytes: number, tsNs: number): void;
  /** The peer acknowledged `dir`'s bytes up to (not including) `offset`, at `tsNs`. Only for claimed flows. */
  onAck(dir: StreamDir, offset: number, tsNs: number): void;
  /** FIN (`how` "fin") or RST ("rst") from `dir`'s sender, or the capture ended ("end", dir ignored). */
  onClose(dir: StreamDir, how: "fin" | "rst" | "end", tsNs: number): void;
  /** The application layer's evidence, put in `ConnectionEvidence.app[factory.name]`; null for none. */
  result(): unknown;
  /**
   * Optional: fields for the `--packets` line of the packet whose bytes were just delivered (the
   * frames whose header became readable in it), keyed as Wireshark's dissector names them
   * ("rocketmq.code"); null for none. Asked only when per-packet output is on, once per packet of a
   * flow still followed, after that packet's bytes. Data held out of order reaches the handler
   * with the packet that fills the hole, so its fields land on that packet's line.
   */
  packetFields?(frame: number): Record<string, unknown> | null;
}

export interface StreamFactory {
  /** Key of this protocol's evidence in `ConnectionEvidence.app` ("rocketmq"). */
  readonly name: string;
  /** Asked once per new connection: a handler to follow it, or null (the flow is never reassembled). */
  accept(info: StreamInfo): StreamHandler | null;
}
