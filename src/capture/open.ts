/**
 * @module capture/open
 * `openCapture(path | "-")`: look at the first four bytes and hand the source to the pcap or pcapng
 * reader. Content problems (empty file, unknown magic) come back as `reader.error`, never as a throw;
 * only failing to open the file at all throws (CaptureIoError).
 */
import { ChunkSource, DEFAULT_CHUNK } from "./chunk-source.js";
import type { PacketRef } from "./packet.js";
import { PCAP_MAGIC_NS, PCAP_MAGIC_US, PcapReader } from "./pcap-reader.js";
import { BT_SHB, PcapngReader } from "./pcapng-reader.js";
import { ReaderBase } from "./reader-base.js";
import { CaptureCode, type CaptureReader } from "./reader-types.js";

export interface OpenCaptureOptions {
  /** Size of the reused read buffer (default 1 MiB). Small values exercise records spanning reads. */
  chunkSize?: number;
}

/** A reader for input that is not a capture at all: no records, `error` says why. */
class UnreadableCapture extends ReaderBase {
  readonly format = "unknown" as const;
  constructor(src: ChunkSource, code: typeof CaptureCode.empty | typeof CaptureCode.badMagic, message: string) {
    super(src);
    this.fail(code, message, 0);
  }
  protected read(_pkt: PacketRef): boolean {
    return false;
  }
}

const KNOWN_OTHER: Record<number, string> = {
  0xa1b2cd34: "a Kuznetzov-modified pcap (not supported; convert with editcap)",
  0x34cdb2a1: "a Kuznetzov-modified pcap (not supported; convert with editcap)",
  0x1f8b0800: "gzip-compressed (decompress it first, e.g. zcat F | tcpwin analyze -)",
};

export function openCapture(source: string, opts: OpenCaptureOptions = {}): CaptureReader {
  const src = new ChunkSource(source, opts.chunkSize ?? DEFAULT_CHUNK);
  if (!src.ensure(4)) {
    const n = src.available;
    return new UnreadableCapture(
      src,
      n === 0 ? CaptureCode.empty : CaptureCode.badMagic,
      n === 0 ? `${source === "-" ? "stdin" : source} is empty: not a capture` : `${source} is only ${n} bytes: not a capture`,
    );
  }
  const be = src.dv.getUint32(src.pos, false);
  const le = src.dv.getUint32(src.pos, true);
  if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS || le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) return new PcapReader(src);
  if (be === BT_SHB) return new PcapngReader(src);
  const hex = `0x${be.toString(16).padStart(8, "0")}`;
  const what = KNOWN_OTHER[be] ?? KNOWN_OTHER[(be & 0xffffff00) >>> 0];
  return new UnreadableCapture(
    src,
    CaptureCode.badMagic,
    `not a pcap or pcapng file: magic ${hex} at offset 0${what ? ` — looks like ${what}` : " (pcap: a1b2c3d4 or a1b23c4d, either byte order; pcapng: 0a0d0d0a)"}`,
  );
}
