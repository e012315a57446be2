import { test } from "node:test";
import assert from "node:assert/strict";
import { DecodeResult, decodeTcpPacket, ipv6ToString, srcAddrString, dstAddrString } from "./decode.js";
import { PacketRef, TcpPacket } from "./packet.js";
import { LinkType } from "./link-types.js";
import { cat, eth, hex, ipv4, ipv6, nullHdr, opt, sll, sll2, tcp } from "../../test/fixtures/capture/builders.js";

/** Put `frame` at a non-zero offset of a bigger buffer, as the readers do. */
function ref(frame: Uint8Array, linkType: number, origLen = frame.length, caplen = frame.length): PacketRef {
  const buf = new Uint8Array(frame.length + 37);
  buf.set(frame, 29);
  const p = new PacketRef();
  p.frame = 7;
  p.bytes = buf;
  p.dv = new DataView(buf.buffer);
  p.offset = 29;
  p.caplen = caplen;
  p.origLen = origLen;
  p.linkType = linkType;
  return p;
}

// tshark: "40000 → 9876 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=12345 TSecr=0 WS=128"
const SYN = hex(`
  02 00 00 00 00 02 02 00 00 00 00 01 08 00        # eth: dst, src, IPv4
  45 00 00 3c 12 34 40 00 40 06 00 00              # IPv4: IHL 5, total 60, DF, TTL 64, TCP
  0a 00 00 01 0a 00 00 02                          # 10.0.0.1 → 10.0.0.2
  9c 40 26 94 00 00 03 e8 00 00 00 00              # 40000 → 9876, seq 1000, ack 0
  a0 02 fa f0 00 00 00 00                          # doff 10, SYN, win 64240, cksum, urg
  02 04 05 b4 04 02 08 0a 00 00 30 39 00 00 00 00  # MSS 1460, SACK_PERM, TS 12345/0
  01 03 03 07                                      # NOP, WS 7
`);

test("Ethernet IPv4 SYN: every field", () => {
  const s = new TcpPacket();
  assert.equal(decodeTcpPacket(ref(SYN, LinkType.ETHERNET), s), DecodeResult.ok);
  assert.equal(s.frame, 7);
  assert.equal(s.ipVersion, 4);
  assert.equal(srcAddrString(s), "10.0.0.1");
  assert.equal(dstAddrString(s), "10.0.0.2");
  assert.equal(s.ttl, 64);
  assert.equal(s.srcPort, 40000);
  assert.equal(s.dstPort, 9876);
  assert.equal(s.seq, 1000);
  assert.equal(s.ack, 0);
  assert.equal(s.flags, 0x002);
  assert.equal(s.windowRaw, 64240);
  assert.equal(s.payloadLen, 0);
  assert.equal(s.tcpHeaderLen, 40);
  assert.equal(s.ipOffset, 29 + 14);
  assert.equal(s.tcpOffset, 29 + 34);
  assert.equal(s.optMss, 1460);
  assert.equal(s.optSackPerm, true);
  assert.equal(s.optTsVal, 12345);
  assert.equal(s.optTsEcr, 0);
  assert.equal(s.optWscale, 7);
  assert.equal(s.sackCount, 0);
  assert.equal(s.optMalformed, false);
  assert.equal(s.truncated, false);
});

test("every truncated length of the SYN: truncated or malformed, offset inside the frame, never a throw", () => {
  const s = new TcpPacket();
  for (let n = 0; n < SYN.length; n++) {
    // Cut by a snaplen: origLen stays the full length.
    const rc = decodeTcpPacket(ref(SYN, LinkType.ETHERNET, SYN.length, n), s);
    if (n < 54) {
      assert.equal(rc, DecodeResult.truncated, `caplen ${n}`);
      assert.ok(s.decodeErrorOffset >= 0 && s.decodeErrorOffset <= n, `caplen ${n} offset ${s.decodeErrorOffset}`);
    } else {
      // Fixed TCP header captured: decoded, options as far as captured, never "malformed".
      assert.equal(rc, DecodeResult.ok, `caplen ${n}`);
      assert.equal(s.truncated, true);
      assert.equal(s.optMalformed, false);
      assert.equal(s.optMss, n >= 58 ? 1460 : -1);
    }
    // The bytes themselves end there (a broken file, not a snaplen): malformed.
    const rc2 = decodeTcpPacket(ref(SYN.subarray(0, n), LinkType.ETHERNET), s);
    assert.equal(rc2, DecodeResult.malformed, `len ${n}`);
    assert.ok(s.decodeErrorOffset >= 0 && s.decodeErrorOffset <= n);
  }
});

test("snaplen-truncated data segment: tcp.len from the IP total length", () => {
  const frame = eth(0x0800, ipv4(tcp({ payload: 1448, flags: 0x18, options: cat(opt.nop(), opt.nop(), opt.ts(1, 2)) })));
  const s = new TcpPacket();
  assert.equal(decodeTcpPacket(ref(frame, 1, frame.length, 96), s), DecodeResult.ok);
  assert.equal(s.payloadLen, 1448);
  assert.equal(s.payloadCaptured, 96 - 14 - 20 - 32);
  assert.equal(s.truncated, true);
  assert.equal(s.optTsVal, 1);
  assert.equal(s.optTsEcr, 2);
});

test("IPv4 total length 0 (TSO) uses the frame length; total length beyond the frame is clamped", () => {
  const s = new TcpPacket();
  const tso = eth(0x0800, ipv4(tcp({ payload: 3000 }), { totalLen: 0 }));
  assert.equal(decodeTcpPacket(ref(tso, 1), s), DecodeResult.ok);
  assert.equal(s.payloadLen, 3000);
  const big = eth(0x0800, ipv4(tcp({ payload: 10 }), { totalLen: 1000 }));
  assert.equal(decodeTcpPacket(ref(big, 1), s), DecodeResult.ok);
  assert.equal(s.payloadLen, 10);
  // Ethernet padding after a short packet is not payload.
  const padded = cat(eth(0x0800, ipv4(tcp({}))), new Uint8Array(6));
  assert.equal(decodeTcpPacket(ref(padded, 1), s), DecodeResult.ok);
  assert.equal(s.payloadLen, 0);
});

test("IPv4 options (IHL > 5) and invalid IPv4 headers", () => {
  const s = new TcpPacket();
  const withOpts = eth(0x0800, ipv4(tcp({ payload: 5, seq: 77 }), { options: hex("94 04 00 00  01 01 01 00") }));
  assert.equal(decodeTcpPacket(ref(withOpts, 1), s), DecodeResult.ok);
  assert.equal(s.seq, 77);
  assert.equal(s.payloadLen, 5);
  assert.equal(s.tcpOffset - s.ipOffset, 28);
  const v5 = eth(0x0800, ipv4(tcp({}), { version: 5 }));
  assert.equal(decodeTcpPacket(ref(v5, 1), s), DecodeResult.malformed);
  assert.equal(s.decodeError, "ipv4_bad_version");
  assert.equal(s.decodeErrorOffset, 14);
  const ihl4 = eth(0x0800, ipv4(tcp({}), { ihlWords: 4 }));
  assert.equal(decodeTcpPacket(ref(ihl4, 1), s), DecodeResult.malformed);
  assert.equal(s.decodeError, "ipv4_bad_header_length");
  const tl = eth(0x0800, ipv4(tcp({}), { totalLen: 12 }));
  assert.equal(decodeTcpPacket(ref(tl, 1), s), DecodeResult.malformed);
  assert.equal(s.decodeErrorOffset, 16);
});

test("IPv4 fragments are reported, not decoded; UDP is not TCP; ARP is not IP", () => {
  const s = new TcpPacket();
  const mf = eth(0x0800, ipv4(tcp({ payload: 100 }), { flagsFrag: 0x2000 }));
  assert.equal(decodeTcpPacket(ref(mf, 1), s), DecodeResult.ipFragment);
  const later = eth(0x0800, ipv4(new Uint8Array(100), { flagsFrag: 185 }));
  assert.equal(decodeTcpPacket(ref(later, 1), s), DecodeResult.ipFragment);
  const udp = eth(0x0800, ipv4(new Uint8Array(8), { proto: 17 }));
  assert.equal(decodeTcpPacket(ref(udp, 1), s), DecodeResult.notTcp);
  const arp = eth(0x0806, new Uint8Array(28));
  assert.equal(decodeTcpPacket(ref(arp, 1), s), DecodeResult.notIp);
});

test("802.1Q and QinQ (0x88a8, 0x9100) stacks", () => {
  const s = new TcpPacket();
  for (const tags of [[{ tpid: 0x8100, vid: 10 }], [{ tpid: 0x88a8, vid: 100 }, { tpid: 0x8100, vid: 10 }], [{ tpid: 0x9100, vid: 5 }, { tpid: 0x8100, vid: 6 }]]) {
    const f = eth(0x0800, ipv4(tcp({ seq: 5, payload: 3 })), tags);
    assert.equal(decodeTcpPacket(ref(f, 1), s), DecodeResult.ok);
    assert.equal(s.ipOffset - 29, 14 + 4 * tags.length);
    assert.equal(s.payloadLen, 3);
  }
});

test("SLL, SLL2, raw IP (101, 12, 14, 228, 229), NULL (both byte orders) and LOOP", () => {
  const s = new TcpPacket();
  const p4 = ipv4(tcp({ seq: 42, payload: 9 }));
  const p6 = ipv6(tcp({ seq: 43, payload: 8 }));
  const cases: [string, Uint8Array, number, number][] = [
    ["sll v4", sll(0x0800, p4), LinkType.LINUX_SLL, 42],
    ["sll v6", sll(0x86dd, p6), LinkType.LINUX_SLL, 43],
    ["sll2 v4", sll2(0x0800, p4), LinkType.LINUX_SLL2, 42],
    ["sll2 v6", sll2(0x86dd, p6), LinkType.LINUX_SLL2, 43],
    ["raw v4", p4, LinkType.RAW, 42],
    ["raw v6", p6, LinkType.RAW, 43],
    ["raw12", p4, LinkType.RAW_12, 42],
    ["raw14", p6, LinkType.RAW_14, 43],
    ["ipv4", p4, LinkType.IPV4, 42],
    ["ipv6", p6, LinkType.IPV6, 43],
    ["null le v4", nullHdr(2, p4, true), LinkType.NULL, 42],
    ["null be v4", nullHdr(2, p4, false), LinkType.NULL, 42],
    ["null le v6 linux", nullHdr(10, p6, true), LinkType.NULL, 43],
    ["null be v6 bsd", nullHdr(30, p6, false), LinkType.NULL, 43],
    ["null le v6 24", nullHdr(24, p6, true), LinkType.NULL, 43],
    ["loop v4", nullHdr(2, p4, false), LinkType.LOOP, 42],
    ["loop v6", nullHdr(28, p6, false), LinkType.LOOP, 43],
  ];
  for (const [name, f, lt, seq] of cases) {
    assert.equal(decodeTcpPacket(ref(f, lt), s), DecodeResult.ok, name);
    assert.equal(s.seq, seq, name);
    assert.equal(s.payloadLen, seq === 42 ? 9 : 8, name);
  }
  assert.equal(decodeTcpPacket(ref(nullHdr(7, p4, true), LinkType.NULL), s), DecodeResult.notIp);
  assert.equal(decodeTcpPacket(ref(p4, 147), s), DecodeResult.unsupportedLinkType);
  assert.equal(decodeTcpPacket(ref(hex("00 01 02"), LinkType.RAW), s), DecodeResult.notIp);
});

test("IPv6 addresses and extension headers: HBH, routing, destination options, AH, atomic fragment", () => {
  const s = new TcpPacket();
  const f = eth(0x86dd, ipv6(tcp({ seq: 9, payload: 100 }), {
    src: "2001:db8::1",
    dst: "fd00:1:2:3::ff",
    exts: [{ type: 0 }, { type: 43, body: new Uint8Array(14) }, { type: 60 }, { type: 51, body: new Uint8Array(14) }, { type: 44 }],
  }));
  assert.equal(decodeTcpPacket(ref(f, 1), s), DecodeResult.ok);
  assert.equal(s.ipVersion, 6);
  assert.equal(ipv6ToString(s.src6), "2001:db8::1");
  assert.equal(dstAddrString(s), "fd00:1:2:3::ff");
  assert.equal(s.seq, 9);
  assert.equal(s.payloadLen, 100);
  assert.equal(s.tcpOffset - s.ipOffset, 40 + 8 + 16 + 8 + 16 + 8);
  // Real fragments: first (M set) and later (offset ≠ 0) are skipped.
  for (const e of [{ type: 44, more: true }, { type: 44, fragOffset: 100 }]) {
    assert.equal(decodeTcpPacket(ref(eth(0x86dd, ipv6(tcp({}), { exts: [e] })), 1), s), DecodeResult.ipFragment);
  }
  // ESP / no-next-header / UDP are not TCP.
  for (const nh of [50, 59, 17]) assert.equal(decodeTcpPacket(ref(eth(0x86dd, ipv6(new Uint8Array(8), { nh })), 1), s), DecodeResult.notTcp);
  // An extension header running past the payload length is malformed.
  const broken = eth(0x86dd, ipv6(tcp({}), { exts: [{ type: 0, body: new Uint8Array(6) }], payloadLen: 4 }));
  assert.equal(decodeTcpPacket(ref(broken, 1), s), DecodeResult.malformed);
});

test("TCP options: SACK blocks, NOP/EOL, malformed lengths stop safely", () => {
  const s = new TcpPacket();
  const sackSeg = ipv4(tcp({ options: cat(opt.nop(), opt.nop(), opt.ts(5, 6), opt.nop(), opt.nop(), opt.sack(100, 200, 300, 400, 0xfffffff0, 0xffffffff)) }));
  assert.equal(decodeTcpPacket(ref(sackSeg, LinkType.RAW), s), DecodeResult.ok);
  assert.equal(s.sackCount, 3);
  assert.deepEqual([...s.sackLeft.subarray(0, 3)], [100, 300, 0xfffffff0]);
  assert.deepEqual([...s.sackRight.subarray(0, 3)], [200, 400, 0xffffffff]);
  assert.equal(s.optTsVal, 5);
  // EOL stops parsing: the MSS after it is padding.
  const eol = ipv4(tcp({ options: cat(opt.ws(2), opt.eol(), opt.mss(999)) }));
  decodeTcpPacket(ref(eol, LinkType.RAW), s);
  assert.equal(s.optWscale, 2);
  assert.equal(s.optMss, -1);
  assert.equal(s.optMalformed, false);
  // Impossible lengths: 0, 1, beyond the header, wrong for the kind.
  for (const bad of [Uint8Array.of(2, 0, 0, 0), Uint8Array.of(8, 1, 0, 0), Uint8Array.of(3, 40, 0, 0), Uint8Array.of(2, 3, 5, 0), cat(opt.mss(1000), Uint8Array.of(5, 7, 0, 0, 0, 0, 0, 0))]) {
    assert.equal(decodeTcpPacket(ref(ipv4(tcp({ options: bad })), LinkType.RAW), s), DecodeResult.ok);
    assert.equal(s.optMalformed, true, `${[...bad]}`);
  }
  assert.equal(s.optMss, 1000, "options before the bad one are kept");
  // Data offset < 5 and beyond the segment.
  assert.equal(decodeTcpPacket(ref(ipv4(tcp({ dataOffsetWords: 4 })), LinkType.RAW), s), DecodeResult.malformed);
  assert.equal(s.decodeError, "tcp_bad_data_offset");
  assert.equal(s.decodeErrorOffset, 32);
  assert.equal(decodeTcpPacket(ref(ipv4(tcp({ dataOffsetWords: 15 })), LinkType.RAW), s), DecodeResult.malformed);
});

test("a SACK option cut by the snaplen: whole blocks kept, a lone left edge reported as tshark does", () => {
  const s = new TcpPacket();
  // IPv4 20 + TCP 20 + NOP NOP TS(10) + NOP NOP SACK(2 + 2 × 8) = 72 bytes of headers.
  const seg = ipv4(tcp({ options: cat(opt.nop(), opt.nop(), opt.ts(5, 6), opt.nop(), opt.nop(), opt.sack(100, 200, 300, 400)) }));
  const sackAt = 20 + 20 + 12 + 2; // kind byte of the SACK option
  for (let caplen = sackAt; caplen <= seg.length; caplen++) {
    assert.equal(decodeTcpPacket(ref(seg, LinkType.RAW, seg.length, caplen), s), DecodeResult.ok, `caplen ${caplen}`);
    const blocks = Math.min(2, Math.max(0, Math.floor((caplen - sackAt - 2) / 8)));
    assert.equal(s.sackCount, blocks, `caplen ${caplen}`);
    const lone = caplen - sackAt - 2 - blocks * 8 >= 4 && blocks < 2;
    assert.equal(s.sackLeftCut, lone ? [100, 300][blocks] : -1, `caplen ${caplen}`);
    assert.equal(s.optMalformed, false, `caplen ${caplen}`);
    assert.equal(s.optTsVal, 5);
  }
});

test("NS flag and all flag bits", () => {
  const s = new TcpPacket();
  decodeTcpPacket(ref(ipv4(tcp({ flags: 0x1ff })), LinkType.RAW), s);
  assert.equal(s.flags, 0x1ff);
});
