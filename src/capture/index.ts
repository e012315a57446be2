/**
 * @module capture
 * Capture files in, decoded TCP segments out: pcap/pcapng readers (file or stdin, bounded memory),
 * the link/IP/TCP decoder, and a streaming pcap writer.
 * @example
 * import { openCapture, decodeTcpPacket, PacketRef, TcpPacket, DecodeResult } from "tcpwin";
 * const r = openCapture("trace.pcap"), pkt = new PacketRef(), seg = new TcpPacket();
 * while (r.next(pkt)) if (decodeTcpPacket(pkt, seg) === DecodeResult.ok) console.log(seg.seq);
 * if (r.error) console.error(r.error.message);
 */
export * from "./packet.js";
export * from "./reader-types.js";
export { openCapture, type OpenCaptureOptions } from "./open.js";
export { ipv4Text, ipv6Text, parseIp, canonicalIp } from "./ip-text.js";
export { CaptureIoError } from "./chunk-source.js";
export {
  DecodeResult,
  decodeTcpPacket,
  ipv4ToString,
  ipv6ToString,
  srcAddrString,
  dstAddrString,
  type DecodeResultValue,
} from "./decode.js";
export { LinkType, linkTypeName, isDecodableLinkType } from "./link-types.js";
export { PcapReader, PCAP_MAGIC_NS, PCAP_MAGIC_US } from "./pcap-reader.js";
export { PcapngReader, splitTimestamp } from "./pcapng-reader.js";
export { PcapWriter, type PcapWriterOptions } from "./pcap-writer.js";
