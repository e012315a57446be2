/**
 * @module capture/packet
 * The contract between capture/ (readers, link/IP/TCP decoders) and tcp/ (analysis).
 *
 * A reader fills one reused `PacketRef` per record; `bytes`/`dv` view the reader's buffer and are
 * valid only until the next `next()` call. A decoder fills one reused `TcpPacket` from it. Both are
 * plain mutable fields, initialised here, so the hot loop allocates nothing per packet:
 *
 *   const pkt = new PacketRef(), seg = new TcpPacket();
 *   while (reader.next(pkt)) { if (decodeTcpPacket(pkt, seg)) flows.onSegment(seg); }
 */

/** One capture record. */
export class PacketRef {
  /** 1-based, counting every record read (as Wireshark's frame.number). */
  frame = 0;
  /** Timestamp: whole seconds since the epoch, and nanoseconds within that second. */
  tsSec = 0;
  tsNsec = 0;
  /** Bytes captured (≤ snaplen) and bytes on the wire. */
  caplen = 0;
  origLen = 0;
  /** LINKTYPE_* of this record's interface. */
  linkType = 0;
  interfaceId = 0;
  /** The captured bytes are bytes[offset .. offset + caplen). */
  bytes: Uint8Array = new Uint8Array(0);
  dv: DataView = new DataView(new ArrayBuffer(0));
  offset = 0;
  /** Byte offset of this record's header in the file (for error messages). */
  fileOffset = 0;
}

/** Decoded IPv4/IPv6 + TCP fields of one packet. Addresses are kept as compact keys. */
export class TcpPacket {
  frame = 0;
  tsSec = 0;
  tsNsec = 0;
  /** 4 or 6. */
  ipVersion = 4;
  /**
   * Addresses: IPv4 as a uint32 in `srcV4`/`dstV4`; IPv6 as 16 bytes copied into `src6`/`dst6`
   * (reused arrays). `addrKey()` helpers in capture/ turn them into strings only when needed.
   */
  srcV4 = 0;
  dstV4 = 0;
  readonly src6 = new Uint8Array(16);
  readonly dst6 = new Uint8Array(16);
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  /** TCP flags byte plus NS bit (0x100), as tcp.flags. */
  flags = 0;
  /** Raw 16-bit window (tcp.window_size_value). */
  windowRaw = 0;
  /** TCP payload length from the IP total length (tcp.len), even when the capture is truncated. */
  payloadLen = 0;
  /** Payload bytes actually captured (≤ payloadLen). */
  payloadCaptured = 0;
  /** Offset of the payload in `bytes` (for reassembly; copy to keep). */
  payloadOffset = 0;
  bytes: Uint8Array = new Uint8Array(0);
  /** Options; -1 = absent. */
  optMss = -1;
  optWscale = -1;
  optSackPerm = false;
  optTsVal = -1;
  optTsEcr = -1;
  /** SACK blocks: left/right edges, sackCount of them (max 4). */
  sackCount = 0;
  readonly sackLeft = new Uint32Array(4);
  readonly sackRight = new Uint32Array(4);
  /**
   * Left edge of a SACK block whose right edge the snaplen cut off, or -1. tshark shows such an
   * edge as tcp.options.sack_le; the analysis ignores it (half a block says nothing about holes).
   */
  sackLeftCut = -1;
  /** The snaplen cut this packet short. */
  truncated = false;
  /** Offsets in `bytes` of the IP and TCP headers, and the TCP header length (data offset × 4). */
  ipOffset = 0;
  tcpOffset = 0;
  tcpHeaderLen = 0;
  /** IPv4 TTL / IPv6 hop limit. */
  ttl = 0;
  /** An option with an impossible length stopped option parsing (options before it are kept). */
  optMalformed = false;
  /**
   * Why decodeTcpPacket returned non-zero (a snake_case code, "" when it returned 0), and where:
   * the byte offset within the frame (0 = first byte of the link-layer header), -1 if none.
   */
  decodeError = "";
  decodeErrorOffset = -1;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;
