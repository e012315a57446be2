/**
 * @module lab/link/pcap-sink
 * Minimal libpcap writer for the forwarder: nanosecond-resolution pcap (magic 0xa1b23c4d),
 * LINKTYPE_RAW (101: each record is a bare IPv4/IPv6 packet, as TUN gives them), written through
 * one reused 1 MiB buffer with synchronous writes, so the forwarding loop allocates nothing per
 * packet. Format: https://www.tcpdump.org/manpages/pcap-savefile.5.html.
 *
 * (The capture module's PcapWriter is the general-purpose writer; this one exists because it
 * must run inside the forwarder's worker loop with zero allocation and a caller-given clock.)
 */
import { closeSync, openSync, writeSync } from "node:fs";

export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const LINKTYPE_RAW = 101;
const FLUSH_AT = 1 << 20;

export class PcapSink {
  private readonly fd: number;
  private readonly buf: Buffer;
  private used = 0;
  packets = 0;

  constructor(
    path: string,
    readonly snaplen = 65535,
  ) {
    this.fd = openSync(path, "w");
    this.buf = Buffer.allocUnsafe(FLUSH_AT + 16 + snaplen);
    const b = this.buf;
    b.writeUInt32LE(PCAP_MAGIC_NS, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeInt32LE(0, 8); // thiszone
    b.writeUInt32LE(0, 12); // sigfigs
    b.writeUInt32LE(snaplen, 16);
    b.writeUInt32LE(LINKTYPE_RAW, 20);
    this.used = 24;
  }

  /** Append one packet (bytes[0, len)) stamped sec + nsec of the Unix epoch. */
  write(bytes: Buffer, len: number, sec: number, nsec: number): void {
    const incl = len < this.snaplen ? len : this.snaplen;
    const b = this.buf;
    let o = this.used;
    b.writeUInt32LE(sec >>> 0, o);
    b.writeUInt32LE(nsec >>> 0, o + 4);
    b.writeUInt32LE(incl, o + 8);
    b.writeUInt32LE(len, o + 12);
    o += 16;
    bytes.copy(b, o, 0, incl);
    this.used = o + incl;
    this.packets++;
    if (this.used >= FLUSH_AT) this.flush();
  }

  flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
