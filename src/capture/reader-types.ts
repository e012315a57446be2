/**
 * @module capture/reader-types
 * What every capture reader (classic pcap, pcapng) exposes: the pull API, warnings and the one
 * fatal error, each with the byte offset in the file, and running statistics.
 *
 * Bad input never throws: a reader records a `CaptureWarning` and carries on (resynchronising past
 * garbage where it can), or sets `error` and stops. Every record before the error has been delivered.
 */
import type { PacketRef } from "./packet.js";

/** Stable codes for what can be wrong with a capture file (snake_case, like Zeek's weirds). */
export const CaptureCode = {
  empty: "empty_file",
  badMagic: "bad_magic",
  truncatedFileHeader: "truncated_file_header",
  unsupportedVersion: "unsupported_version",
  truncatedRecord: "truncated_record",
  recordTooLong: "record_too_long",
  recordExceedsSnaplen: "record_exceeds_snaplen",
  caplenExceedsOrigLen: "caplen_exceeds_origlen",
  garbageSkipped: "garbage_skipped",
  unrecoverable: "unrecoverable_garbage",
  blockLengthMismatch: "pcapng_block_length_mismatch",
  badBlockLength: "pcapng_bad_block_length",
  badByteOrderMagic: "pcapng_bad_byte_order_magic",
  unknownInterface: "pcapng_unknown_interface",
  noInterface: "pcapng_no_interface",
  badOption: "pcapng_bad_option",
  unknownLinkType: "unknown_link_type",
  ioError: "io_error",
  tooManyWarnings: "too_many_warnings",
} as const;
export type CaptureCodeValue = (typeof CaptureCode)[keyof typeof CaptureCode];

export interface CaptureWarning {
  code: CaptureCodeValue;
  /** One line for people: what, where, which value. */
  message: string;
  /** Byte offset in the file where the problem starts. */
  fileOffset: number;
  /** The frame number concerned (the record being read), when there is one. */
  frame?: number;
}

/** An interface as the file describes it (classic pcap has exactly one). */
export interface CaptureInterface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second (1e6 for µs, 1e9 for ns, 2^n for binary if_tsresol). */
  tsUnitsPerSec: number;
  /** pcapng if_tsoffset, seconds added to every timestamp. */
  tsOffsetSec: number;
  /** pcapng section number (0-based) this interface belongs to. */
  section: number;
}

export class CaptureStats {
  format: "pcap" | "pcapng" | "unknown" = "unknown";
  /** Records delivered. */
  frames = 0;
  /** File bytes consumed so far (for progress). */
  bytesRead = 0;
  /** Total size of the input when known (regular file), else -1 (stdin pipe): progress = bytesRead / fileSize. */
  fileSize = -1;
  /** Bytes skipped as unreadable garbage. */
  bytesSkipped = 0;
  /** pcapng blocks skipped because their type is unknown or irrelevant (NRB, DSB, ...). */
  blocksSkipped = 0;
  sections = 0;
  /** Warnings raised, including those not kept once the cap was reached. */
  warningCount = 0;
  /** Classic pcap: little-endian file; pcapng: byte order of the current section. */
  littleEndian = true;
}

/**
 * What the capture file says it lost while capturing: pcapng Interface Statistics Blocks
 * (isb_ifrecv option 4, isb_ifdrop 5, isb_osdrop 7; counters since the capture started, so the
 * last ISB of each interface counts, summed over interfaces) or, without ISB counters, the Enhanced
 * Packet Blocks' epb_dropcount (option 4, packets lost since the previous packet; summed). Classic
 * pcap has no such record: everything null. Field names are pcapng's option names.
 */
export interface CaptureDrops {
  /** Packets lost: isb_ifdrop + isb_osdrop when an ISB says either, else the epb_dropcount sum; null when the file does not say. */
  dropped: number | null;
  /** Which counters `dropped` comes from. */
  source: "interface_statistics" | "packet_blocks" | null;
  isb_ifrecv: number | null;
  isb_ifdrop: number | null;
  isb_osdrop: number | null;
  epb_dropcount: number | null;
}

export const NO_DROPS_INFO: CaptureDrops = Object.freeze({
  dropped: null,
  source: null,
  isb_ifrecv: null,
  isb_ifdrop: null,
  isb_osdrop: null,
  epb_dropcount: null,
}) as CaptureDrops;

export interface CaptureReader {
  readonly format: "pcap" | "pcapng" | "unknown";
  /** Kept warnings (at most MAX_WARNINGS; stats.warningCount counts all). */
  readonly warnings: CaptureWarning[];
  /** The problem that stopped reading, or null (EOF reached cleanly, or still reading). */
  readonly error: CaptureWarning | null;
  readonly stats: CaptureStats;
  /** Interfaces seen so far (pcapng: across all sections, in order). */
  readonly interfaces: CaptureInterface[];
  /**
   * Fill `pkt` with the next record; false at the end or after a fatal error. `pkt.bytes`/`pkt.dv`
   * view the reader's buffer and stay valid only until the next call.
   */
  next(pkt: PacketRef): boolean;
  /** The file's own drop counters read so far (complete once `next` returned false). */
  drops(): CaptureDrops;
  close(): void;
}

export const MAX_WARNINGS = 1000;
/** Largest record payload we accept, as Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD (256 KiB). */
export const MAX_RECORD = 262144;
