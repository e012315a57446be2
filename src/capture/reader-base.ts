/**
 * @module capture/reader-base
 * Shared bookkeeping of the pcap and pcapng readers: the byte source, warnings (capped, so a file
 * full of garbage cannot grow memory without bound), the fatal error, statistics. `next()` turns an
 * OS read failure into `error` too, so a caller's loop never has to catch.
 */
import { CaptureIoError, type ChunkSource } from "./chunk-source.js";
import type { PacketRef } from "./packet.js";
import {
  CaptureCode,
  CaptureStats,
  MAX_WARNINGS,
  NO_DROPS_INFO,
  type CaptureCodeValue,
  type CaptureDrops,
  type CaptureInterface,
  type CaptureReader,
  type CaptureWarning,
} from "./reader-types.js";
import { isDecodableLinkType, linkTypeName } from "./link-types.js";

export abstract class ReaderBase implements CaptureReader {
  readonly warnings: CaptureWarning[] = [];
  error: CaptureWarning | null = null;
  readonly stats = new CaptureStats();
  readonly interfaces: CaptureInterface[] = [];
  protected done = false;

  constructor(protected readonly src: ChunkSource) {
    this.stats.fileSize = src.size;
  }

  abstract get format(): "pcap" | "pcapng" | "unknown";
  protected abstract read(pkt: PacketRef): boolean;

  next(pkt: PacketRef): boolean {
    if (this.done) return false;
    let ok: boolean;
    try {
      ok = this.read(pkt);
    } catch (e) {
      if (!(e instanceof CaptureIoError)) throw e;
      this.fail(CaptureCode.ioError, e.message, this.src.offset);
      ok = false;
    }
    this.stats.bytesRead = this.src.offset;
    if (!ok) this.done = true;
    return ok;
  }

  /** Classic pcap carries no drop counters; pcapng overrides. */
  drops(): CaptureDrops {
    return { ...NO_DROPS_INFO };
  }

  close(): void {
    this.done = true;
    this.src.close();
  }

  protected warn(code: CaptureCodeValue, message: string, fileOffset: number, frame?: number): void {
    this.stats.warningCount++;
    if (this.warnings.length < MAX_WARNINGS) {
      const w: CaptureWarning = { code, message, fileOffset };
      if (frame !== undefined) w.frame = frame;
      this.warnings.push(w);
    } else if (this.warnings.length === MAX_WARNINGS) {
      this.warnings.push({
        code: CaptureCode.tooManyWarnings,
        message: `more than ${MAX_WARNINGS} warnings; further ones are counted in stats.warningCount only`,
        fileOffset,
      });
    }
  }

  /** Record the fatal error and stop: everything delivered before stays valid. */
  protected fail(code: CaptureCodeValue, message: string, fileOffset: number, frame?: number): false {
    if (this.error === null) {
      const w: CaptureWarning = { code, message, fileOffset };
      if (frame !== undefined) w.frame = frame;
      this.error = w;
    }
    this.done = true;
    return false;
  }

  protected addInterface(itf: CaptureInterface, fileOffset: number): void {
    this.interfaces.push(itf);
    if (!isDecodableLinkType(itf.linkType)) {
      this.warn(
        CaptureCode.unknownLinkType,
        `interface ${this.interfaces.length - 1} has link type ${itf.linkType} (${linkTypeName(itf.linkType)}), which tcpwin does not decode; its packets are counted but not analysed`,
        fileOffset,
      );
    }
  }
}
