/**
 * @module capture/pcapng-reader
 * pcapng (draft-ietf-opsawg-pcapng): Section Header Blocks in either byte order (each section may
 * differ; section length −1 or not, ignored), Interface Description Blocks (link type, snaplen,
 * if_tsresol as a power of 10 or 2 — default µs — and if_tsoffset), Enhanced, Simple and obsolete
 * Packet Blocks, and the drop counters of Interface Statistics Blocks (isb_ifrecv/ifdrop/osdrop)
 * and of EPBs (epb_dropcount), which `drops()` sums. Every other block type (NRB, DSB, custom, ...)
 * is skipped. Interface ids are per section: a new SHB starts a new interface list.
 *
 * Bad blocks: a length below 12 or not a multiple of 4, or a trailing length that differs from the
 * leading one, means the bytes there are not a block. We warn with the offset and scan forward,
 * byte by byte, for a block whose two lengths agree and whose type we know, and carry on from it.
 *
 * Hot path (EPB): a handful of DataView reads, one interface lookup, an exact 64-bit timestamp
 * split without BigInt for resolutions up to 2^32 units/s; no allocation.
 */
import type { ChunkSource } from "./chunk-source.js";
import type { PacketRef } from "./packet.js";
import { ReaderBase } from "./reader-base.js";
import { CaptureCode, MAX_RECORD, type CaptureDrops, type CaptureInterface } from "./reader-types.js";

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_PB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_NRB = 0x00000004;
export const BT_ISB = 0x00000005;
export const BT_EPB = 0x00000006;
export const BT_DSB = 0x0000000a;
const BOM = 0x1a2b3c4d;
/** Blocks up to this size are read whole and their trailing length checked; bigger unknown blocks are streamed past. */
const MAX_BLOCK = 16 << 20;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
const OPT_ISB_IFRECV = 4;
const OPT_ISB_IFDROP = 5;
const OPT_ISB_OSDROP = 7;
const OPT_EPB_DROPCOUNT = 4;

function knownType(t: number): boolean {
  return t === BT_SHB || t === BT_IDB || t === BT_PB || t === BT_SPB || t === BT_NRB || t === BT_ISB || t === BT_EPB || t === BT_DSB;
}

export class PcapngReader extends ReaderBase {
  readonly format = "pcapng" as const;
  private le = true;
  private section = -1;
  /** Index in `interfaces` of the current section's interface 0. */
  private itfBase = 0;
  private frames = 0;
  /** Per interface (index in `interfaces`): the latest ISB's counter, -1 where no ISB said it. */
  private readonly isbIfRecv: number[] = [];
  private readonly isbIfDrop: number[] = [];
  private readonly isbOsDrop: number[] = [];
  /** Sum of epb_dropcount over EPBs that carry it; -1 while none has. */
  private epbDrops = -1;

  constructor(src: ChunkSource) {
    super(src);
    this.stats.format = "pcapng";
  }

  private blockTypeName(t: number): string {
    return `0x${t.toString(16).padStart(8, "0")}`;
  }

  protected read(pkt: PacketRef): boolean {
    const src = this.src;
    for (;;) {
      if (!src.ensure(12)) {
        if (src.available > 0) {
          return this.fail(
            CaptureCode.truncatedRecord,
            `file ends inside a block header at offset ${src.offset}: ${src.available} of at least 12 bytes`,
            src.offset,
          );
        }
        if (this.section < 0) return this.fail(CaptureCode.truncatedFileHeader, "pcapng file without a Section Header Block", 0);
        return false;
      }
      let p = src.pos;
      let dv = src.dv;
      let type = dv.getUint32(p, this.le);
      if (type === BT_SHB) {
        const bom = dv.getUint32(p + 8, true);
        if (bom === BOM) this.le = true;
        else if (bom === 0x4d3c2b1a) this.le = false;
        else {
          this.warn(
            CaptureCode.badByteOrderMagic,
            `Section Header Block at offset ${src.offset} has byte-order magic 0x${bom.toString(16)}, not 0x1a2b3c4d`,
            src.offset + 8,
          );
          if (!this.resync()) return false;
          continue;
        }
      } else if (this.section < 0) {
        return this.fail(CaptureCode.badMagic, `pcapng file does not start with a Section Header Block (type ${this.blockTypeName(type)})`, src.offset);
      }
      const le = this.le;
      type = dv.getUint32(p, le);
      const len = dv.getUint32(p + 4, le);
      if (len < 12 || len % 4 !== 0) {
        this.warn(
          CaptureCode.badBlockLength,
          `block at offset ${src.offset} (type ${this.blockTypeName(type)}) has total length ${len}: must be ≥ 12 and a multiple of 4`,
          src.offset + 4,
          this.frames + 1,
        );
        if (!this.resync()) return false;
        continue;
      }
      if (len > MAX_BLOCK) {
        if (knownType(type) && type !== BT_NRB && type !== BT_DSB) {
          this.warn(
            CaptureCode.badBlockLength,
            `block at offset ${src.offset} (type ${this.blockTypeName(type)}) has total length ${len}, above the ${MAX_BLOCK}-byte limit`,
            src.offset + 4,
            this.frames + 1,
          );
          if (!this.resync()) return false;
          continue;
        }
        const at = src.offset;
        if (!src.skip(len)) {
          return this.fail(CaptureCode.truncatedRecord, `file ends inside the ${len}-byte block of type ${this.blockTypeName(type)} at offset ${at}`, at);
        }
        this.stats.blocksSkipped++;
        continue;
      }
      if (!src.ensure(len)) {
        return this.fail(
          CaptureCode.truncatedRecord,
          `file ends inside block of type ${this.blockTypeName(type)} at offset ${src.offset}: total length ${len}, only ${src.available} bytes left`,
          src.offset,
          this.frames + 1,
        );
      }
      p = src.pos;
      dv = src.dv;
      const trailer = dv.getUint32(p + len - 4, le);
      if (trailer !== len) {
        this.warn(
          CaptureCode.blockLengthMismatch,
          `block at offset ${src.offset} (type ${this.blockTypeName(type)}): leading total length ${len}, trailing ${trailer} at offset ${src.offset + len - 4}`,
          src.offset,
          this.frames + 1,
        );
        if (!this.resync()) return false;
        continue;
      }
      // Consume the block first: pkt views stay valid, the buffer is not touched until the next read.
      src.pos = p + len;
      switch (type) {
        case BT_EPB:
        case BT_PB:
          if (this.packetBlock(pkt, p, len, type)) return true;
          break;
        case BT_SPB:
          if (this.simplePacketBlock(pkt, p, len)) return true;
          break;
        case BT_IDB:
          this.interfaceBlock(p, len);
          break;
        case BT_ISB:
          this.statisticsBlock(p, len);
          break;
        case BT_SHB:
          this.section++;
          this.stats.sections++;
          this.stats.littleEndian = le;
          this.itfBase = this.interfaces.length;
          if (len < 28) this.warn(CaptureCode.badBlockLength, `Section Header Block at offset ${(src.base + p)} is ${len} bytes, below 28`, (src.base + p) + 4);
          else if (dv.getUint16(p + 12, le) !== 1) {
            this.warn(
              CaptureCode.unsupportedVersion,
              `Section Header Block at offset ${(src.base + p)}: version ${dv.getUint16(p + 12, le)}.${dv.getUint16(p + 14, le)}, expected 1.0`,
              (src.base + p) + 12,
            );
          }
          break;
        default:
          this.stats.blocksSkipped++;
      }
    }
  }

  /** EPB (type 6) or obsolete PB (type 2); false if the block was skipped with a warning. */
  private packetBlock(pkt: PacketRef, p: number, len: number, type: number): boolean {
    const src = this.src;
    const dv = src.dv;
    const le = this.le;
    const at = src.base + p;
    if (len < 32) {
      this.warn(CaptureCode.badBlockLength, `packet block at offset ${at} is ${len} bytes, below 32`, at + 4, this.frames + 1);
      return false;
    }
    const itfId = type === BT_EPB ? dv.getUint32(p + 8, le) : dv.getUint16(p + 8, le);
    const itf = this.itfBase + itfId < this.interfaces.length ? this.interfaces[this.itfBase + itfId] : undefined;
    if (itf === undefined) {
      this.warn(
        CaptureCode.unknownInterface,
        `packet block at offset ${at} names interface ${itfId}, but section ${this.section} describes ${this.interfaces.length - this.itfBase}; skipped`,
        at + 8,
        this.frames + 1,
      );
      return false;
    }
    const caplen = dv.getUint32(p + 20, le);
    if (caplen > len - 32 || caplen > MAX_RECORD) {
      this.warn(
        caplen > MAX_RECORD ? CaptureCode.recordTooLong : CaptureCode.badBlockLength,
        `packet block at offset ${at}: captured length ${caplen} does not fit its ${len}-byte block${caplen > MAX_RECORD ? " or the 262144-byte limit" : ""}; skipped`,
        at + 20,
        this.frames + 1,
      );
      return false;
    }
    this.fill(pkt, itf, itfId, dv.getUint32(p + 12, le), dv.getUint32(p + 16, le), caplen, dv.getUint32(p + 24, le), p + 28, at);
    // Options follow the padded data; most writers put none, so the common case is one compare.
    const opts = p + 28 + ((caplen + 3) & ~3);
    if (type === BT_EPB && opts + 4 <= p + len - 4) this.packetOptions(opts, p + len - 4);
    return true;
  }

  /** EPB options: only epb_dropcount is kept. Malformed options end the scan silently (they carry no packet data). */
  private packetOptions(q: number, qe: number): void {
    const dv = this.src.dv;
    const le = this.le;
    while (q + 4 <= qe) {
      const code = dv.getUint16(q, le);
      const olen = dv.getUint16(q + 2, le);
      if (code === 0 || q + 4 + olen > qe) return;
      if (code === OPT_EPB_DROPCOUNT && olen >= 8) this.epbDrops = Math.max(0, this.epbDrops) + this.u64(q + 4);
      q += 4 + ((olen + 3) & ~3);
    }
  }

  private u64(q: number): number {
    const dv = this.src.dv;
    const le = this.le;
    return dv.getUint32(q + (le ? 4 : 0), le) * 4294967296 + dv.getUint32(q + (le ? 0 : 4), le);
  }

  /**
   * ISB (type 5): interface id, timestamp, options. The counters run from the start of the capture,
   * so a later ISB for the same interface replaces an earlier one (dumpcap writes one at the end).
   */
  private statisticsBlock(p: number, len: number): void {
    const src = this.src;
    const dv = src.dv;
    const le = this.le;
    const at = src.base + p;
    if (len < 24) {
      this.warn(CaptureCode.badBlockLength, `Interface Statistics Block at offset ${at} is ${len} bytes, below 24`, at + 4);
      return;
    }
    const itfId = dv.getUint32(p + 8, le);
    const i = this.itfBase + itfId;
    if (i >= this.interfaces.length) {
      this.warn(
        CaptureCode.unknownInterface,
        `Interface Statistics Block at offset ${at} names interface ${itfId}, but section ${this.section} describes ${this.interfaces.length - this.itfBase}; its counters are ignored`,
        at + 8,
      );
      return;
    }
    let q = p + 20;
    const qe = p + len - 4;
    while (q + 4 <= qe) {
      const code = dv.getUint16(q, le);
      const olen = dv.getUint16(q + 2, le);
      if (code === 0) break;
      if (q + 4 + olen > qe) {
        this.warn(CaptureCode.badOption, `Interface Statistics Block at offset ${at}: option ${code} at offset ${src.base + q} has length ${olen}, beyond the block`, src.base + q + 2);
        break;
      }
      if (olen >= 8) {
        if (code === OPT_ISB_IFRECV) setAt(this.isbIfRecv, i, this.u64(q + 4));
        else if (code === OPT_ISB_IFDROP) setAt(this.isbIfDrop, i, this.u64(q + 4));
        else if (code === OPT_ISB_OSDROP) setAt(this.isbOsDrop, i, this.u64(q + 4));
      }
      q += 4 + ((olen + 3) & ~3);
    }
  }

  override drops(): CaptureDrops {
    const ifrecv = sumKnown(this.isbIfRecv);
    const ifdrop = sumKnown(this.isbIfDrop);
    const osdrop = sumKnown(this.isbOsDrop);
    const epb = this.epbDrops < 0 ? null : this.epbDrops;
    const isb = ifdrop !== null || osdrop !== null;
    return {
      dropped: isb ? (ifdrop ?? 0) + (osdrop ?? 0) : epb,
      source: isb ? "interface_statistics" : epb !== null ? "packet_blocks" : null,
      isb_ifrecv: ifrecv,
      isb_ifdrop: ifdrop,
      isb_osdrop: osdrop,
      epb_dropcount: epb,
    };
  }

  /** SPB (type 3): no interface id (always 0), no timestamp, caplen = min(original length, snaplen, block). */
  private simplePacketBlock(pkt: PacketRef, p: number, len: number): boolean {
    const src = this.src;
    const dv = src.dv;
    const at = src.base + p;
    const itf = this.itfBase < this.interfaces.length ? this.interfaces[this.itfBase] : undefined;
    if (itf === undefined) {
      this.warn(CaptureCode.noInterface, `Simple Packet Block at offset ${at} but section ${this.section} has no interface; skipped`, at, this.frames + 1);
      return false;
    }
    if (len < 16) {
      this.warn(CaptureCode.badBlockLength, `Simple Packet Block at offset ${at} is ${len} bytes, below 16`, at + 4, this.frames + 1);
      return false;
    }
    const orig = dv.getUint32(p + 8, this.le);
    let caplen = len - 16;
    if (orig < caplen) caplen = orig;
    if (itf.snaplen > 0 && itf.snaplen < caplen) caplen = itf.snaplen;
    if (caplen > MAX_RECORD) {
      this.warn(CaptureCode.recordTooLong, `Simple Packet Block at offset ${at}: ${caplen} bytes, above the 262144-byte limit; skipped`, at, this.frames + 1);
      return false;
    }
    this.fill(pkt, itf, 0, 0, 0, caplen, orig, p + 12, at);
    pkt.tsSec = 0;
    pkt.tsNsec = 0;
    return true;
  }

  private fill(pkt: PacketRef, itf: CaptureInterface, itfId: number, tsHigh: number, tsLow: number, caplen: number, orig: number, data: number, at: number): void {
    const src = this.src;
    pkt.frame = ++this.frames;
    splitTimestamp(pkt, tsHigh, tsLow, itf.tsUnitsPerSec, itf.tsOffsetSec);
    pkt.caplen = caplen;
    pkt.origLen = orig;
    pkt.linkType = itf.linkType;
    pkt.interfaceId = itfId;
    pkt.bytes = src.buf;
    pkt.dv = src.dv;
    pkt.offset = data;
    pkt.fileOffset = at;
    this.stats.frames = this.frames;
  }

  private interfaceBlock(p: number, len: number): void {
    const src = this.src;
    const dv = src.dv;
    const le = this.le;
    const at = src.base + p;
    if (len < 20) {
      this.warn(CaptureCode.badBlockLength, `Interface Description Block at offset ${at} is ${len} bytes, below 20`, at + 4);
      // Still count the interface so later interface ids keep their meaning.
      this.addInterface({ linkType: 0xffff, snaplen: 0, tsUnitsPerSec: 1e6, tsOffsetSec: 0, section: this.section }, at + 8);
      return;
    }
    const itf: CaptureInterface = {
      linkType: dv.getUint16(p + 8, le),
      snaplen: dv.getUint32(p + 12, le),
      tsUnitsPerSec: 1e6,
      tsOffsetSec: 0,
      section: this.section,
    };
    let q = p + 16;
    const qe = p + len - 4;
    while (q + 4 <= qe) {
      const code = dv.getUint16(q, le);
      const olen = dv.getUint16(q + 2, le);
      if (code === 0) break;
      if (q + 4 + olen > qe) {
        this.warn(CaptureCode.badOption, `Interface Description Block at offset ${at}: option ${code} at offset ${src.base + q} has length ${olen}, beyond the block`, src.base + q + 2);
        break;
      }
      if (code === OPT_IF_TSRESOL && olen >= 1) {
        const v = src.buf[q + 4]!;
        const units = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
        if (!Number.isFinite(units) || units < 1) {
          this.warn(CaptureCode.badOption, `Interface Description Block at offset ${at}: if_tsresol 0x${v.toString(16)} unusable; using µs`, src.base + q + 4);
        } else itf.tsUnitsPerSec = units;
      } else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        const hi = dv.getInt32(q + 4 + (le ? 4 : 0), le);
        const lo = dv.getUint32(q + 4 + (le ? 0 : 4), le);
        itf.tsOffsetSec = hi * 4294967296 + lo;
      }
      q += 4 + ((olen + 3) & ~3);
    }
    this.addInterface(itf, at + 8);
  }

  /**
   * The bytes at `src.pos` are not a block. Scan forward for a block of a known type whose leading
   * and trailing lengths agree; false (with `error` set) if there is none before EOF.
   */
  private resync(): boolean {
    const src = this.src;
    const from = src.offset;
    src.pos += 1;
    for (;;) {
      if (!src.ensure(12)) {
        this.stats.bytesSkipped += src.offset + src.available - from;
        return this.fail(
          CaptureCode.unrecoverable,
          `no valid pcapng block after the bad bytes at offset ${from}; the last ${src.offset + src.available - from} bytes are unreadable`,
          from,
          this.frames + 1,
        );
      }
      const dv = src.dv;
      const p = src.pos;
      const type = dv.getUint32(p, this.le);
      if (knownType(type) && type !== BT_SHB) {
        const len = dv.getUint32(p + 4, this.le);
        if (len >= 12 && len % 4 === 0 && len <= MAX_BLOCK && src.ensure(len) && src.dv.getUint32(src.pos + len - 4, this.le) === len) break;
      } else if (type === BT_SHB) {
        const bom = dv.getUint32(p + 8, true);
        const le = bom === BOM ? true : bom === 0x4d3c2b1a ? false : null;
        if (le !== null) {
          const len = dv.getUint32(p + 4, le);
          if (len >= 28 && len % 4 === 0 && len <= MAX_BLOCK && src.ensure(len) && src.dv.getUint32(src.pos + len - 4, le) === len) break;
        }
      }
      src.pos += 1;
    }
    const skipped = src.offset - from;
    this.stats.bytesSkipped += skipped;
    this.warn(
      CaptureCode.garbageSkipped,
      `skipped ${skipped} bytes at offsets ${from}..${src.offset - 1}; resynchronised on a valid block at offset ${src.offset}`,
      from,
      this.frames + 1,
    );
    return true;
  }
}

function setAt(a: number[], i: number, v: number): void {
  while (a.length <= i) a.push(-1);
  a[i] = v;
}

/** Sum of the counters some ISB gave (-1: not said), or null when none did. */
function sumKnown(a: readonly number[]): number | null {
  let sum = -1;
  for (const v of a) if (v >= 0) sum = Math.max(0, sum) + v;
  return sum < 0 ? null : sum;
}

/**
 * pcapng timestamps are 64-bit counts of 1/units seconds. Split hi:lo into seconds and nanoseconds
 * exactly: a double holds the 64-bit value only below 2^53, so divide in 16-bit limbs (remainders
 * stay below 2^48). Resolutions finer than 2^32 units/s (rare) go through BigInt.
 */
export function splitTimestamp(pkt: { tsSec: number; tsNsec: number }, hi: number, lo: number, units: number, offsetSec: number): void {
  if (hi < 0x200000) {
    const v = hi * 4294967296 + lo;
    if (units === 1e6) {
      const s = Math.floor(v / 1e6);
      pkt.tsSec = s + offsetSec;
      pkt.tsNsec = (v - s * 1e6) * 1000;
      return;
    }
  }
  if (units <= 4294967295) {
    let r = 0;
    let q = 0;
    let cur = r * 65536 + (hi >>> 16);
    let d = Math.floor(cur / units);
    r = cur - d * units;
    q = d;
    cur = r * 65536 + (hi & 0xffff);
    d = Math.floor(cur / units);
    r = cur - d * units;
    q = q * 65536 + d;
    cur = r * 65536 + (lo >>> 16);
    d = Math.floor(cur / units);
    r = cur - d * units;
    q = q * 65536 + d;
    cur = r * 65536 + (lo & 0xffff);
    d = Math.floor(cur / units);
    r = cur - d * units;
    q = q * 65536 + d;
    pkt.tsSec = q + offsetSec;
    pkt.tsNsec = units <= 1e9 && 1e9 % units === 0 ? r * (1e9 / units) : Math.floor((r * 1e9) / units);
    return;
  }
  const v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  const u = BigInt(Math.round(units));
  pkt.tsSec = Number(v / u) + offsetSec;
  pkt.tsNsec = Number(((v % u) * 1000000000n) / u);
}
