/**
 * @module test/support/pcap-filter
 * Copy a capture keeping only the records a predicate accepts, with the project's reader, decoder
 * and writer (records are copied byte for byte, timestamps kept). Used to cut handshakes off real
 * captures: the "capture started mid-connection" case Wireshark cannot scale windows for.
 */
import { openCapture, PacketRef, TcpPacket, decodeTcpPacket, DecodeResult, PcapWriter, TCP_SYN } from "../../src/capture/index.js";

export function filterCapture(src: string, dst: string, keep: (seg: TcpPacket | null, frame: number) => boolean): number {
  const r = openCapture(src);
  const pkt = new PacketRef();
  const seg = new TcpPacket();
  let w: PcapWriter | null = null;
  let kept = 0;
  try {
    while (r.next(pkt)) {
      if (w === null) w = new PcapWriter(dst, { linkType: pkt.linkType, nanosecond: true });
      const ok = decodeTcpPacket(pkt, seg) === DecodeResult.ok;
      if (!keep(ok ? seg : null, pkt.frame)) continue;
      w.writeRange(pkt.tsSec, pkt.tsNsec, pkt.bytes, pkt.offset, pkt.caplen, pkt.origLen);
      kept++;
    }
  } finally {
    r.close();
    w?.close();
  }
  return kept;
}

/** Drop every SYN and SYN-ACK: no connection in the result shows its handshake. */
export function dropHandshakes(src: string, dst: string): number {
  return filterCapture(src, dst, (seg) => seg === null || (seg.flags & TCP_SYN) === 0);
}
