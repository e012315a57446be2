import { after, test } from "node:test";
import assert from "node:assert/strict";
import { SocketAddress } from "node:net";
import { canonicalIp, ipv4Text, ipv6Text, parseIp } from "./ip-text.js";
import { decodeTcpPacket, dstAddrString, srcAddrString } from "./decode.js";
import { PacketRef, TcpPacket } from "./packet.js";
import { openCapture } from "./open.js";
import { formatIPv6 } from "../kernel/netlink.js";
import { analyzeCapture } from "../tcp/analyze-capture.js";
import { ipv6, pcapFile, tcp } from "../../test/fixtures/capture/builders.js";
import { cleanupTemp, tempFile } from "../../test/fixtures/capture/read-all.js";

after(cleanupTemp);

const bytes = (hexGroups: number[]) => new Uint8Array(hexGroups.flatMap((g) => [g >> 8, g & 255]));
/** What Node (libuv's inet_ntop, the same rules as glibc's that ss uses) prints for the 16 bytes. */
const nodeText = (b: Uint8Array) => new SocketAddress({ address: [...Array(8).keys()].map((i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16)).join(":"), family: "ipv6" }).address;

test("IPv4-mapped and -compatible addresses: last 32 bits dotted, as ss and Node print them", () => {
  const mapped = bytes([0, 0, 0, 0, 0, 0xffff, 0x0a01, 0x0203]);
  assert.equal(ipv6Text(mapped), "::ffff:10.1.2.3");
  assert.equal(ipv6Text(mapped), nodeText(mapped));
  assert.equal(ipv6Text(bytes([0, 0, 0, 0, 0, 0, 0x0a01, 0x0203])), "::10.1.2.3");
  // Not embedded IPv4: the zero run is longer (::1, ::) or a group between is not ffff.
  assert.equal(ipv6Text(bytes([0, 0, 0, 0, 0, 0, 0, 1])), "::1");
  assert.equal(ipv6Text(new Uint8Array(16)), "::");
  assert.equal(ipv6Text(bytes([0, 0, 0, 0, 0, 0xfffe, 0x0a01, 0x0203])), "::fffe:a01:203");
  assert.equal(ipv6Text(bytes([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])), "2001:db8::1");
  assert.equal(ipv6Text(bytes([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])), "2001:db8::1:0:0:1");
  assert.equal(ipv4Text(0x0a010203), "10.1.2.3");
});

test("the packet decoder and the netlink decoder write the same text (one formatter)", () => {
  const mapped = bytes([0, 0, 0, 0, 0, 0xffff, 0x0a01, 0x0203]);
  const file = tempFile(pcapFile([{ tsSec: 1, tsFrac: 0, data: ipv6(tcp({}), { src: "::ffff:a01:203", dst: "fd00::2" }) }], { linkType: 101 }), "mapped.pcap");
  const dv = new DataView(new Uint8Array([0xff, ...mapped]).buffer);
  assert.equal(formatIPv6(dv, 1), "::ffff:10.1.2.3");
  const r = openCapture(file);
  const pkt = new PacketRef();
  const s = new TcpPacket();
  assert.ok(r.next(pkt));
  assert.equal(decodeTcpPacket(pkt, s), 0);
  assert.equal(srcAddrString(s), "::ffff:10.1.2.3");
  assert.equal(dstAddrString(s), "fd00::2");
  r.close();
});

test("random addresses (zero groups likely): our text = Node's, and parses back to the bytes", () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24);
  for (let n = 0; n < 5000; n++) {
    const g: number[] = [];
    for (let i = 0; i < 8; i++) g.push(rnd() < 0.5 ? 0 : rnd() < 0.2 ? 0xffff : Math.floor(rnd() * 0x10000));
    const b = bytes(g);
    const text = ipv6Text(b);
    assert.equal(text, nodeText(b), g.map((x) => x.toString(16)).join(":"));
    assert.deepEqual(parseIp(text), [...b], text);
    assert.equal(canonicalIp(text), text);
  }
});

test("canonicalIp: any spelling of one address gives one text; non-addresses give undefined", () => {
  for (const s of ["::FFFF:10.1.2.3", "::ffff:a01:203", "0:0:0:0:0:ffff:0a01:0203", "::ffff:10.1.2.3"]) assert.equal(canonicalIp(s), "::ffff:10.1.2.3", s);
  assert.equal(canonicalIp("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  assert.equal(canonicalIp("10.1.2.3"), "10.1.2.3");
  for (const s of ["10.1.2.300", "1::2::3", "host.example", "", ":::"]) assert.equal(canonicalIp(s), undefined, s);
});

test("analyze --host matches an IPv4-mapped address in any spelling", () => {
  const recs = [
    { tsSec: 1, tsFrac: 0, data: ipv6(tcp({ sport: 40000, dport: 80, flags: 0x02 }), { src: "::ffff:a01:203", dst: "fd00::2" }) },
    { tsSec: 1, tsFrac: 1000, data: ipv6(tcp({ sport: 80, dport: 40000, flags: 0x12 }), { src: "fd00::2", dst: "::ffff:a01:203" }) },
  ];
  const file = tempFile(pcapFile(recs, { linkType: 101 }), "mapped-host.pcap");
  for (const host of ["::ffff:10.1.2.3", "::ffff:a01:203", "::FFFF:10.1.2.3", "FD00::2"]) assert.equal(analyzeCapture(file, { host }).connections.length, 1, host);
  assert.equal(analyzeCapture(file, { host: "10.1.2.3" }).connections.length, 0, "an IPv4 packet's address is another address");
});
