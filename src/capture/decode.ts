/**
 * @module capture/decode
 * Link layer → IPv4/IPv6 → TCP, straight from the reader's buffer into one reused `TcpPacket`.
 * Allocation-free: DataView/byte reads only, no subarray, no objects.
 *
 * Returns 0 (`DecodeResult.ok`) when `out` holds a TCP segment; otherwise a code saying why not,
 * with `out.decodeError`/`out.decodeErrorOffset` (frame-relative) for the malformed/truncated cases.
 *
 * Wireshark behaviours we copy, on purpose:
 * - tcp.len comes from the IP total length (IPv6 payload length) minus the IP and TCP headers, even
 *   when the snaplen cut the packet (`truncated` = caplen < origLen).
 * - IPv4 total length 0 (TSO/GSO captured before segmentation) → the frame's length is used.
 *   IPv6 payload length 0 (jumbogram or TSO) likewise.
 * - An IP total length larger than the frame is clamped to the frame's (on-the-wire) length.
 * - BSD NULL: the family is in the capturing host's byte order; a value with the low 16 bits zero
 *   is byte-swapped (as Wireshark's packet-null.c). AF_INET6 is 10 (Linux), 24, 28 or 30 (BSDs).
 * Where we differ: IP fragments are not reassembled: any fragment (MF set or offset ≠ 0; IPv6
 * fragment header other than an atomic one) is returned as `ipFragment` for the caller to count.
 */
import { LinkType } from "./link-types.js";
import type { PacketRef, TcpPacket } from "./packet.js";
import { ipv4Text, ipv6Text } from "./ip-text.js";

export const DecodeResult = {
  ok: 0,
  /** Not IPv4/IPv6 (ARP, LLDP, ...). */
  notIp: 1,
  /** IP but not TCP (UDP, ICMP, ESP, ...). */
  notTcp: 2,
  /** An IP fragment: counted and skipped (no reassembly). */
  ipFragment: 3,
  /** A header is impossible (bad version, header length, data offset): see decodeError/Offset. */
  malformed: 4,
  /** The link type of this record is one we do not decode. */
  unsupportedLinkType: 5,
  /** The snaplen cut the packet inside the link/IP/TCP headers: nothing reliable to decode. */
  truncated: 6,
} as const;
export type DecodeResultValue = (typeof DecodeResult)[keyof typeof DecodeResult];

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD = 0x9100;
const IPPROTO_TCP = 6;

function short(pkt: PacketRef, out: TcpPacket, at: number, code: string): number {
  out.decodeError = code;
  out.decodeErrorOffset = at - pkt.offset;
  return out.truncated ? DecodeResult.truncated : DecodeResult.malformed;
}

function bad(pkt: PacketRef, out: TcpPacket, at: number, code: string): number {
  out.decodeError = code;
  out.decodeErrorOffset = at - pkt.offset;
  return DecodeResult.malformed;
}

function familyToEthertype(fam: number): number {
  if (fam === 2) return ETH_IPV4;
  if (fam === 10 || fam === 24 || fam === 28 || fam === 30) return ETH_IPV6;
  return -2;
}

/** Decode one record; see the module comment. `out` is overwritten (all fields that matter). */
export function decodeTcpPacket(pkt: PacketRef, out: TcpPacket): number {
  const b = pkt.bytes;
  const dv = pkt.dv;
  const start = pkt.offset;
  const end = start + pkt.caplen;
  /** Where the frame ends on the wire (may lie beyond the captured bytes). */
  const wireEnd = start + (pkt.origLen > pkt.caplen ? pkt.origLen : pkt.caplen);
  out.frame = pkt.frame;
  out.tsSec = pkt.tsSec;
  out.tsNsec = pkt.tsNsec;
  out.bytes = b;
  out.truncated = pkt.caplen < pkt.origLen;
  out.decodeError = "";
  out.decodeErrorOffset = -1;

  let o = start;
  /** -1: decide from the IP version nibble; -2: not IP. */
  let etype: number;
  switch (pkt.linkType) {
    case LinkType.ETHERNET:
      if (end - o < 14) return short(pkt, out, o, "eth_short");
      etype = dv.getUint16(o + 12);
      o += 14;
      break;
    case LinkType.LINUX_SLL:
      if (end - o < 16) return short(pkt, out, o, "sll_short");
      etype = dv.getUint16(o + 14);
      o += 16;
      break;
    case LinkType.LINUX_SLL2:
      if (end - o < 20) return short(pkt, out, o, "sll2_short");
      etype = dv.getUint16(o);
      o += 20;
      break;
    case LinkType.RAW:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
      etype = -1;
      break;
    case LinkType.IPV4:
      etype = ETH_IPV4;
      break;
    case LinkType.IPV6:
      etype = ETH_IPV6;
      break;
    case LinkType.NULL: {
      if (end - o < 4) return short(pkt, out, o, "null_short");
      let fam = dv.getUint32(o, true);
      if ((fam & 0xffff0000) !== 0) fam = dv.getUint32(o, false);
      etype = familyToEthertype(fam);
      o += 4;
      break;
    }
    case LinkType.LOOP:
      if (end - o < 4) return short(pkt, out, o, "loop_short");
      etype = familyToEthertype(dv.getUint32(o, false));
      o += 4;
      break;
    default:
      out.decodeError = "unsupported_link_type";
      return DecodeResult.unsupportedLinkType;
  }
  // 802.1Q and QinQ tags: TPID already read as the ethertype; each tag is TCI(2) + next type(2).
  while (etype === ETH_VLAN || etype === ETH_QINQ || etype === ETH_QINQ_OLD) {
    if (end - o < 4) return short(pkt, out, o, "vlan_short");
    etype = dv.getUint16(o + 2);
    o += 4;
  }
  if (etype === -1) {
    if (o >= end) return short(pkt, out, o, "ip_short");
    const v = b[o]! >> 4;
    etype = v === 4 ? ETH_IPV4 : v === 6 ? ETH_IPV6 : -2;
  }
  if (etype === ETH_IPV4) return decodeIpv4(pkt, out, o, end, wireEnd);
  if (etype === ETH_IPV6) return decodeIpv6(pkt, out, o, end, wireEnd);
  out.decodeError = "not_ip";
  return DecodeResult.notIp;
}

function decodeIpv4(pkt: PacketRef, out: TcpPacket, o: number, end: number, wireEnd: number): number {
  const b = pkt.bytes;
  const dv = pkt.dv;
  if (end - o < 20) return short(pkt, out, o, "ipv4_short");
  const vihl = b[o]!;
  if (vihl >> 4 !== 4) return bad(pkt, out, o, "ipv4_bad_version");
  const ihl = (vihl & 15) * 4;
  if (ihl < 20) return bad(pkt, out, o, "ipv4_bad_header_length");
  if (end - o < ihl) return short(pkt, out, o, "ipv4_options_short");
  const totalLen = dv.getUint16(o + 2);
  const wireAvail = wireEnd - o;
  let ipLen: number;
  if (totalLen === 0) ipLen = wireAvail;
  else if (totalLen < ihl) return bad(pkt, out, o + 2, "ipv4_bad_total_length");
  else ipLen = totalLen > wireAvail ? wireAvail : totalLen;
  out.ipVersion = 4;
  out.ipOffset = o;
  out.ttl = b[o + 8]!;
  out.srcV4 = dv.getUint32(o + 12);
  out.dstV4 = dv.getUint32(o + 16);
  if ((dv.getUint16(o + 6) & 0x3fff) !== 0) {
    out.decodeError = "ip_fragment";
    return DecodeResult.ipFragment;
  }
  if (b[o + 9] !== IPPROTO_TCP) {
    out.decodeError = "not_tcp";
    return DecodeResult.notTcp;
  }
  return decodeTcp(pkt, out, o + ihl, o + ipLen, end);
}

function decodeIpv6(pkt: PacketRef, out: TcpPacket, o: number, end: number, wireEnd: number): number {
  const b = pkt.bytes;
  const dv = pkt.dv;
  if (end - o < 40) return short(pkt, out, o, "ipv6_short");
  if (b[o]! >> 4 !== 6) return bad(pkt, out, o, "ipv6_bad_version");
  const payloadLen = dv.getUint16(o + 4);
  let ipEnd = payloadLen === 0 ? wireEnd : o + 40 + payloadLen;
  if (ipEnd > wireEnd) ipEnd = wireEnd;
  out.ipVersion = 6;
  out.ipOffset = o;
  out.ttl = b[o + 7]!;
  const s6 = out.src6;
  const d6 = out.dst6;
  for (let i = 0; i < 16; i++) {
    s6[i] = b[o + 8 + i]!;
    d6[i] = b[o + 24 + i]!;
  }
  let nh = b[o + 6]!;
  let p = o + 40;
  for (;;) {
    switch (nh) {
      case IPPROTO_TCP:
        return decodeTcp(pkt, out, p, ipEnd, end);
      case 0: // hop-by-hop
      case 43: // routing
      case 60: // destination options
        if (end - p < 2) return short(pkt, out, p, "ipv6_ext_short");
        nh = b[p]!;
        p += (b[p + 1]! + 1) * 8;
        break;
      case 51: // AH: length in 4-octet units minus 2 (RFC 4302 §2.2)
        if (end - p < 2) return short(pkt, out, p, "ipv6_ext_short");
        nh = b[p]!;
        p += (b[p + 1]! + 2) * 4;
        break;
      case 44: {
        if (end - p < 8) return short(pkt, out, p, "ipv6_frag_short");
        // Offset (13 bits) or M flag set = a real fragment; both zero = atomic fragment (RFC 6946).
        if ((dv.getUint16(p + 2) & 0xfff9) !== 0) {
          out.decodeError = "ip_fragment";
          return DecodeResult.ipFragment;
        }
        nh = b[p]!;
        p += 8;
        break;
      }
      default:
        out.decodeError = "not_tcp";
        return DecodeResult.notTcp;
    }
    if (p > ipEnd) return bad(pkt, out, o + 4, "ipv6_ext_beyond_payload");
  }
}

function decodeTcp(pkt: PacketRef, out: TcpPacket, t: number, l4End: number, end: number): number {
  const b = pkt.bytes;
  const dv = pkt.dv;
  if (l4End - t < 20) return bad(pkt, out, t, "tcp_segment_short");
  if (end - t < 20) return short(pkt, out, t, "tcp_short");
  const hlen = (b[t + 12]! >> 4) * 4;
  if (hlen < 20) return bad(pkt, out, t + 12, "tcp_bad_data_offset");
  if (t + hlen > l4End) return bad(pkt, out, t + 12, "tcp_header_beyond_segment");
  out.srcPort = dv.getUint16(t);
  out.dstPort = dv.getUint16(t + 2);
  out.seq = dv.getUint32(t + 4);
  out.ack = dv.getUint32(t + 8);
  out.flags = ((b[t + 12]! & 1) << 8) | b[t + 13]!;
  out.windowRaw = dv.getUint16(t + 14);
  out.tcpOffset = t;
  out.tcpHeaderLen = hlen;
  const pay = t + hlen;
  out.payloadOffset = pay;
  out.payloadLen = l4End - pay;
  const capEnd = l4End < end ? l4End : end;
  out.payloadCaptured = capEnd > pay ? capEnd - pay : 0;
  out.optMss = -1;
  out.optWscale = -1;
  out.optSackPerm = false;
  out.optTsVal = -1;
  out.optTsEcr = -1;
  out.sackCount = 0;
  out.sackLeftCut = -1;
  out.optMalformed = false;
  if (hlen > 20) parseOptions(b, dv, out, t + 20, pay, end);
  return DecodeResult.ok;
}

/** NOP, NOP, timestamps (kind 8, length 10): the whole option area of almost every segment Linux sends. */
const NOP_NOP_TS = 0x0101080a;

function parseOptions(b: Uint8Array, dv: DataView, out: TcpPacket, q: number, hdrEnd: number, end: number): void {
  // Options cut by the snaplen are parsed as far as captured, and that is not "malformed".
  const qe = hdrEnd < end ? hdrEnd : end;
  // The common layout in one comparison instead of three turns of the loop (same result).
  if (q + 12 === hdrEnd && hdrEnd <= end && dv.getUint32(q) === NOP_NOP_TS) {
    out.optTsVal = dv.getUint32(q + 4);
    out.optTsEcr = dv.getUint32(q + 8);
    return;
  }
  const cut = qe < hdrEnd;
  while (q < qe) {
    const kind = b[q]!;
    if (kind === 0) return; // EOL
    if (kind === 1) {
      q++;
      continue;
    }
    if (q + 2 > qe) {
      if (!cut) out.optMalformed = true;
      return;
    }
    const len = b[q + 1]!;
    if (len < 2 || q + len > qe) {
      if (!cut || len < 2) out.optMalformed = true;
      else if (kind === 5 && (len - 2) % 8 === 0) sackCutBySnaplen(dv, out, q, qe);
      return;
    }
    switch (kind) {
      case 2:
        if (len !== 4) return void (out.optMalformed = true);
        out.optMss = dv.getUint16(q + 2);
        break;
      case 3:
        if (len !== 3) return void (out.optMalformed = true);
        out.optWscale = b[q + 2]!;
        break;
      case 4:
        if (len !== 2) return void (out.optMalformed = true);
        out.optSackPerm = true;
        break;
      case 5: {
        if ((len - 2) % 8 !== 0) return void (out.optMalformed = true);
        const n = (len - 2) / 8;
        for (let i = 0; i < n && out.sackCount < 4; i++) {
          out.sackLeft[out.sackCount] = dv.getUint32(q + 2 + i * 8);
          out.sackRight[out.sackCount] = dv.getUint32(q + 6 + i * 8);
          out.sackCount++;
        }
        break;
      }
      case 8:
        if (len !== 10) return void (out.optMalformed = true);
        out.optTsVal = dv.getUint32(q + 2);
        out.optTsEcr = dv.getUint32(q + 6);
        break;
      default:
        break;
    }
    q += len;
  }
}

/** Dotted-quad / RFC 5952 text of the packet's addresses (capture/ip-text: the one spelling). */
export const ipv4ToString = ipv4Text;
export const ipv6ToString = (a: Uint8Array): string => ipv6Text(a, 0);

export function srcAddrString(p: TcpPacket): string {
  return p.ipVersion === 4 ? ipv4Text(p.srcV4) : ipv6Text(p.src6);
}

export function dstAddrString(p: TcpPacket): string {
  return p.ipVersion === 4 ? ipv4Text(p.dstV4) : ipv6Text(p.dst6);
}

/** A SACK option the snaplen cut: its whole blocks, and a lone left edge, as tshark reports them. */
function sackCutBySnaplen(dv: DataView, out: TcpPacket, q: number, qe: number): void {
  let e = q + 2;
  while (e + 8 <= qe && out.sackCount < 4) {
    out.sackLeft[out.sackCount] = dv.getUint32(e);
    out.sackRight[out.sackCount] = dv.getUint32(e + 4);
    out.sackCount++;
    e += 8;
  }
  if (e + 4 <= qe) out.sackLeftCut = dv.getUint32(e);
}
