/**
 * @module capture/pcap-reader
 * Classic libpcap files: magic a1b2c3d4 (µs) and a1b23c4d (ns), either byte order; a 24-byte file
 * header, then 16-byte record headers (ts_sec, ts_frac, incl_len, orig_len) each followed by
 * incl_len bytes. Format: draft-ietf-opsawg-pcap.
 *
 * Bad records: incl_len above 256 KiB (Wireshark's limit) cannot be a real record, so the bytes
 * there are garbage; incl_len above the snaplen is suspicious and kept only if the next record
 * header is plausible. In both cases we scan forward, one byte at a time, for two consecutive
 * plausible record headers and resume there (with a `garbage_skipped` warning saying which bytes
 * were lost) — Wireshark stops at the first such record; we keep what is readable after it.
 *
 * Hot path: `read()` reads four uint32 through the source's DataView, points `pkt` into the source
 * buffer and advances; no allocation.
 */
import type { ChunkSource } from "./chunk-source.js";
import type { PacketRef } from "./packet.js";
import { ReaderBase } from "./reader-base.js";
import { CaptureCode, MAX_RECORD } from "./reader-types.js";

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
const FILE_HEADER = 24;
const REC_HEADER = 16;
/** Timestamps of two consecutive records further apart than this are not plausible during resync. */
const RESYNC_MAX_TS_JUMP = 7 * 86400;

export class PcapReader extends ReaderBase {
  readonly format = "pcap" as const;
  littleEndian = true;
  nanosecond = false;
  snaplen = 0;
  linkType = 0;
  versionMajor = 0;
  versionMinor = 0;
  private frames = 0;
  private lastTsSec = -1;

  constructor(src: ChunkSource) {
    super(src);
    this.stats.format = "pcap";
    this.readHeader();
  }

  private readHeader(): void {
    const src = this.src;
    if (!src.ensure(FILE_HEADER)) {
      this.fail(
        CaptureCode.truncatedFileHeader,
        `pcap file header is 24 bytes but the file has only ${src.available}`,
        0,
      );
      return;
    }
    const dv = src.dv;
    const p = src.pos;
    const be = dv.getUint32(p, false);
    if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) this.littleEndian = false;
    else this.littleEndian = true;
    const magic = dv.getUint32(p, this.littleEndian);
    this.nanosecond = magic === PCAP_MAGIC_NS;
    const le = this.littleEndian;
    this.versionMajor = dv.getUint16(p + 4, le);
    this.versionMinor = dv.getUint16(p + 6, le);
    this.snaplen = dv.getUint32(p + 16, le);
    // The top bits of the link-type field carry FCS information (pcap draft §4); the type is the low 16.
    this.linkType = dv.getUint32(p + 20, le) & 0xffff;
    this.stats.littleEndian = le;
    if (this.versionMajor !== 2) {
      this.warn(
        CaptureCode.unsupportedVersion,
        `pcap version ${this.versionMajor}.${this.versionMinor} at offset 4; expected 2.4, reading as 2.4`,
        4,
      );
    }
    this.addInterface(
      { linkType: this.linkType, snaplen: this.snaplen, tsUnitsPerSec: this.nanosecond ? 1e9 : 1e6, tsOffsetSec: 0, section: 0 },
      20,
    );
    src.pos += FILE_HEADER;
  }

  protected read(pkt: PacketRef): boolean {
    const src = this.src;
    for (;;) {
      if (!src.ensure(REC_HEADER)) {
        if (src.available > 0) {
          return this.fail(
            CaptureCode.truncatedRecord,
            `file ends inside the header of record ${this.frames + 1} at offset ${src.offset}: ${src.available} of 16 bytes`,
            src.offset,
            this.frames + 1,
          );
        }
        return false;
      }
      let p = src.pos;
      let dv = src.dv;
      const le = this.littleEndian;
      const caplen = dv.getUint32(p + 8, le);
      if (caplen > MAX_RECORD) {
        this.warn(
          CaptureCode.recordTooLong,
          `record ${this.frames + 1} at offset ${src.offset} claims incl_len ${caplen}, above the 262144-byte limit: garbage`,
          src.offset,
          this.frames + 1,
        );
        if (!this.resync()) return false;
        continue;
      }
      if (!src.ensure(REC_HEADER + caplen)) {
        return this.fail(
          CaptureCode.truncatedRecord,
          `file ends inside record ${this.frames + 1} at offset ${src.offset}: incl_len ${caplen} but only ${src.available - REC_HEADER} bytes follow the header`,
          src.offset,
          this.frames + 1,
        );
      }
      p = src.pos;
      dv = src.dv;
      if (this.snaplen > 0 && caplen > this.snaplen) {
        // Keep it if the next header makes sense (some writers exceed their own snaplen).
        const ok = src.ensure(REC_HEADER + caplen + REC_HEADER)
          ? this.plausibleAt(src.pos + REC_HEADER + caplen)
          : src.available === REC_HEADER + caplen;
        p = src.pos;
        dv = src.dv;
        if (!ok) {
          this.warn(
            CaptureCode.recordExceedsSnaplen,
            `record ${this.frames + 1} at offset ${src.offset} has incl_len ${caplen} above the snaplen ${this.snaplen} and no valid record follows it: garbage`,
            src.offset,
            this.frames + 1,
          );
          if (!this.resync()) return false;
          continue;
        }
        this.warn(
          CaptureCode.recordExceedsSnaplen,
          `record ${this.frames + 1} at offset ${src.offset} has incl_len ${caplen} above the snaplen ${this.snaplen}; kept`,
          src.offset,
          this.frames + 1,
        );
      }
      const tsSec = dv.getUint32(p, le);
      const frac = dv.getUint32(p + 4, le);
      pkt.frame = ++this.frames;
      pkt.tsSec = tsSec;
      pkt.tsNsec = this.nanosecond ? frac : frac * 1000;
      pkt.caplen = caplen;
      pkt.origLen = dv.getUint32(p + 12, le);
      pkt.linkType = this.linkType;
      pkt.interfaceId = 0;
      pkt.bytes = src.buf;
      pkt.dv = dv;
      pkt.offset = p + REC_HEADER;
      pkt.fileOffset = src.base + p;
      src.pos = p + REC_HEADER + caplen;
      this.lastTsSec = tsSec;
      this.stats.frames = this.frames;
      return true;
    }
  }

  /** Could a record header start at buffer offset `q`? (16 bytes must be available there.) */
  private plausibleAt(q: number): boolean {
    const dv = this.src.dv;
    const le = this.littleEndian;
    const tsSec = dv.getUint32(q, le);
    const frac = dv.getUint32(q + 4, le);
    const caplen = dv.getUint32(q + 8, le);
    const orig = dv.getUint32(q + 12, le);
    if (frac >= (this.nanosecond ? 1e9 : 1e6)) return false;
    if (caplen > MAX_RECORD || caplen > orig) return false;
    if (this.snaplen > 0 && caplen > this.snaplen) return false;
    if (orig > 0x1000000) return false;
    if (this.lastTsSec >= 0 && Math.abs(tsSec - this.lastTsSec) > RESYNC_MAX_TS_JUMP) return false;
    return true;
  }

  /**
   * The record header at `src.pos` is garbage. Scan forward for a plausible header whose successor
   * is plausible too (or which ends exactly at EOF). False (with `error` set) if none exists.
   */
  private resync(): boolean {
    const src = this.src;
    const from = src.offset;
    src.pos += 1;
    for (;;) {
      if (!src.ensure(REC_HEADER)) {
        this.stats.bytesSkipped += src.offset + src.available - from;
        return this.fail(
          CaptureCode.unrecoverable,
          `no valid pcap record after the garbage at offset ${from}; the last ${src.offset + src.available - from} bytes of the file are unreadable`,
          from,
          this.frames + 1,
        );
      }
      if (this.plausibleAt(src.pos)) {
        const caplen = src.dv.getUint32(src.pos + 8, this.littleEndian);
        if (src.ensure(REC_HEADER + caplen + REC_HEADER)) {
          if (this.plausibleAt(src.pos + REC_HEADER + caplen)) break;
        } else if (src.available === REC_HEADER + caplen) {
          break;
        }
      }
      src.pos += 1;
    }
    const skipped = src.offset - from;
    this.stats.bytesSkipped += skipped;
    this.warn(
      CaptureCode.garbageSkipped,
      `skipped ${skipped} bytes of garbage at offsets ${from}..${src.offset - 1}; resynchronised on a valid record at offset ${src.offset}`,
      from,
      this.frames + 1,
    );
    return true;
  }
}
